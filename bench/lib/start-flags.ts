import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Returns the node flags that `npm start` runs the service with (package.json's start script), so that
 * every benchmark measures modelgate as it is shipped; the Dockerfile's ENTRYPOINT carries the same flags
 * (test/deploy/deployment-files.test.ts holds them equal).
 */
export function serviceNodeFlags(root = path.resolve(__dirname, '..', '..')): string[] {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const start = /\bnode((?: --[\w-]+(?:=\S+)?)*) dist\/cli\/main\.js serve\b/.exec(pkg.scripts.start ?? '');
  if (!start)
    throw new Error('package.json: the start script does not run `node [flags] dist/cli/main.js serve`');
  return start[1]!.trim().split(' ').filter(Boolean);
}
