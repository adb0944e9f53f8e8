import { editDistance } from '../config/edit-distance';

/** Returns the one of `names` nearest to `typed` when it is at most two edits away (and not all of it), else undefined. */
export function nearestName(typed: string, names: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of names) {
    const distance = editDistance(typed, name);
    if (distance <= 2 && distance < typed.length && (!best || distance < best.distance))
      best = { name, distance };
  }
  return best?.name;
}

/**
 * Returns the stderr text for an unknown command word that is near a known one: the guess, and where the usage is.
 * Null when no known word is near: the caller then prints the whole usage, which lists them.
 */
export function unknownWordText(
  where: string,
  kind: string,
  typed: string,
  names: readonly string[],
): string | null {
  const meant = nearestName(typed, names);
  return meant
    ? `${where}: unknown ${kind} "${typed}"; did you mean "${meant}"?\nRun "${where} --help" for usage.\n`
    : null;
}
