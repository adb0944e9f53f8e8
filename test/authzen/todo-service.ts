import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { opaBinary, REGO_DIR } from '../helpers/opa';
import { startTestService, type TestService } from '../helpers/service';

/** The Todo policy of the AuthZEN interop scenario, written by us (see README.md beside it). */
export const TODO_POLICY_DIR = path.join(__dirname, 'todo-policy');
/** Our own Todo vectors, in the interop suite's JSON shape. */
export const TODO_VECTORS = path.join(__dirname, 'todo-vectors.json');
export const TODO_ENTRYPOINT = 'todo/decision';

/**
 * Starts a real modelgate whose bundle, built by the real `opa build`, holds the shipped policy and
 * the Todo policy, with AuthZEN mapped to `todo/decision`.
 */
export async function startTodoService(dir: string): Promise<TestService> {
  const bundle = path.join(dir, 'todo-bundle.tar.gz');
  const policyDir = todoPolicyDir(dir);
  execFileSync(
    opaBinary(),
    [
      'build',
      '-t',
      'wasm',
      '--ignore',
      '*_test.rego',
      '--revision',
      'todo-test',
      '-e',
      'modelgate/decision',
      '-e',
      TODO_ENTRYPOINT,
      '-o',
      bundle,
      REGO_DIR,
      policyDir,
    ],
    { stdio: 'pipe' },
  );
  return startTestService({ bundle, authzen: { entrypoint: TODO_ENTRYPOINT } });
}

// AUTHZEN_DIRECTORY names a user directory (data.json of the same shape) to build with instead of ours:
// the interop suite's vectors name the suite's own user ids, which are not kept in this repository.
function todoPolicyDir(dir: string): string {
  const directory = process.env.AUTHZEN_DIRECTORY;
  if (!directory) return TODO_POLICY_DIR;
  const copy = path.join(dir, 'todo-policy');
  mkdirSync(copy, { recursive: true });
  copyFileSync(path.join(TODO_POLICY_DIR, 'todo.rego'), path.join(copy, 'todo.rego'));
  copyFileSync(directory, path.join(copy, 'data.json'));
  return copy;
}
