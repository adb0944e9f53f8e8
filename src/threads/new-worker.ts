import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * Starts the worker thread `name` of the module folder `dir` (the caller's `__dirname`). Built, the thread is
 * `dist/…/name.js`. Run from sources (jest, tsx), it is the .ts file, which a worker can only load once
 * tsx's require hook is registered in it.
 */
export function newWorker(dir: string, name: string, workerData?: unknown): Worker {
  const built = join(dir, `${name}.js`);
  if (existsSync(built)) return new Worker(built, { workerData });
  const source = join(dir, `${name}.ts`);
  const code = `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(source)});`;
  return new Worker(code, { eval: true, workerData });
}
