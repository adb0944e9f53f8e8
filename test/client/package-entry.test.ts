import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, { types: string; default: string }>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
};
const tsconfig = JSON.parse(readFileSync(path.join(root, 'tsconfig.json'), 'utf8')) as {
  compilerOptions: { rootDir: string; outDir: string; declaration?: boolean };
};

describe('the modelgate/client package entry point', () => {
  it('points at what `npm run build` emits for src/client/index.ts, types included', () => {
    const { rootDir, outDir, declaration } = tsconfig.compilerOptions;
    const source = path.join(root, rootDir, 'client', 'index.ts');
    expect(existsSync(source)).toBe(true);
    expect(declaration).toBe(true);
    const emitted = path.join(outDir, 'client', 'index');
    expect(pkg.exports['./client']).toEqual({ types: `./${emitted}.d.ts`, default: `./${emitted}.js` });
  });

  it('needs openai only for the guard: an optional peer dependency', () => {
    expect(pkg.peerDependenciesMeta?.openai?.optional).toBe(true);
  });
});
