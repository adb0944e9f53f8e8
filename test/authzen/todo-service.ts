import { execFileSync } from 'node:child_process';
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
      TODO_POLICY_DIR,
    ],
    { stdio: 'pipe' },
  );
  return startTestService({ bundle, authzen: { entrypoint: TODO_ENTRYPOINT } });
}
