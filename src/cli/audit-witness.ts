import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { VerifyOk } from '../audit/audit-store';
import type { Checkpoint } from '../audit/signed-checkpoints';

/** Thrown when a witness file holds something other than a checkpoint; verify then exits 1 without a verdict. */
export class WitnessFileError extends Error {}

/**
 * Returns the checkpoint kept in a witness file, or undefined when there is none yet (the first verify).
 * Only its shape is checked here; verify checks its signature with the keys it was given.
 */
export function readWitness(file: string): Checkpoint | undefined {
  if (!existsSync(file)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new WitnessFileError(problem(file, 'it is not JSON'), { cause: err });
  }
  const checkpoint = value as Partial<Record<keyof Checkpoint, unknown>>;
  const wellFormed =
    typeof value === 'object' &&
    value !== null &&
    Number.isSafeInteger(checkpoint.seq) &&
    (['hash', 'signed_at', 'key_id', 'signature'] as const).every((k) => typeof checkpoint[k] === 'string');
  if (!wellFormed)
    throw new WitnessFileError(problem(file, 'it lacks seq, hash, signed_at, key_id or signature'));
  const { seq, hash, signed_at, key_id, signature } = checkpoint as Checkpoint;
  return { seq, hash, signed_at, key_id, signature };
}

/**
 * Keeps the last checkpoint a verify found intact in the witness file, unless it is older than the one there.
 * Written to a temporary file and renamed, so a crash never leaves half a witness that would fail every verify.
 */
export function keepWitness(
  file: string,
  result: VerifyOk,
  previous: Checkpoint | undefined,
): Checkpoint | undefined {
  const last = result.checkpoints?.last;
  if (!last || (previous && last.seq < previous.seq)) return previous;
  writeFileSync(`${file}.partial`, `${JSON.stringify(last, null, 2)}\n`);
  renameSync(`${file}.partial`, file);
  return last;
}

function problem(file: string, why: string): string {
  return (
    `the witness file ${file} does not hold a signed checkpoint: ${why}. Restore it from where it is kept; ` +
    'remove it only to trust this log as it is now'
  );
}
