import { UNIQUE_MARKER } from './workload';

const SPACE = 36 ** UNIQUE_MARKER.length;
// One counter for every run of the process, from a random start: a server that lives through several runs is
// never sent the same newest turn twice.
let counter = Math.floor(Math.random() * SPACE);

/** Returns the next value for UNIQUE_MARKER: a base-36 counter of the marker's length (Content-Length holds). */
function nextId(): string {
  counter = (counter + 1) % SPACE;
  return counter.toString(36).padStart(UNIQUE_MARKER.length, '0');
}

/**
 * Returns a function giving each request a body of its own when `body` holds UNIQUE_MARKER (see workload.ts):
 * a copy of `template` (the body, or a whole request that holds it) with the marker's place filled by
 * nextId(); undefined when there is no marker.
 */
export function uniqueBody<T extends string | Buffer>(template: T): ((template: T) => T) | undefined {
  const at = template.indexOf(UNIQUE_MARKER);
  if (at < 0) return undefined;
  if (typeof template === 'string')
    return (t) => (t.slice(0, at) + nextId() + t.slice(at + UNIQUE_MARKER.length)) as T;
  return (t) => {
    const copy = Buffer.from(t);
    copy.write(nextId(), at, 'latin1');
    return copy as T;
  };
}
