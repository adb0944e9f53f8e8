import type { Category, ScreeningClass } from './classes';
import type { PathStep } from './payload-leaves';
import type { Finding, ScreeningResult } from './screen-payload';

/** Numbers per span in `spans`: path, start, end, class, rule, category, key. */
const WIDTH = 7;

/**
 * A ScreeningResult as a screening thread sends it: the spans as one typed array (moved, not copied) over
 * tables of their paths and names. A payload can have ten thousand findings; as objects, copying them between
 * threads cost the event loop several milliseconds, as numbers it costs next to nothing.
 */
export interface PackedResult extends Omit<ScreeningResult, 'spans'> {
  paths: PathStep[][];
  names: string[];
  spans: Int32Array;
}

/** Returns `result` packed for postMessage; transfer `packed.spans.buffer`. */
export function packResult(result: ScreeningResult): PackedResult {
  const paths: PathStep[][] = [];
  const pathIndex = new Map<string, number>();
  const names: string[] = [];
  const nameIndex = new Map<string, number>();
  const name = (value: string): number => {
    let i = nameIndex.get(value);
    if (i === undefined) {
      i = names.length;
      names.push(value);
      nameIndex.set(value, i);
    }
    return i;
  };
  const spans = new Int32Array(result.spans.length * WIDTH);
  result.spans.forEach((span, k) => {
    const key = JSON.stringify(span.path);
    let p = pathIndex.get(key);
    if (p === undefined) {
      p = paths.length;
      paths.push(span.path);
      pathIndex.set(key, p);
    }
    spans.set(
      [p, span.start, span.end, name(span.class), name(span.rule), name(span.category), span.key ? 1 : 0],
      k * WIDTH,
    );
  });
  const { present, chars, findings, categories, rules } = result;
  return { present, chars, findings, categories, rules, paths, names, spans };
}

/** Returns the ScreeningResult a PackedResult holds. */
export function unpackResult(packed: PackedResult): ScreeningResult {
  const { present, chars, findings, categories, rules, paths, names, spans } = packed;
  const out: Finding[] = [];
  for (let k = 0; k < spans.length; k += WIDTH) {
    const finding: Finding = {
      path: [...(paths[spans[k] as number] as PathStep[])],
      start: spans[k + 1] as number,
      end: spans[k + 2] as number,
      class: names[spans[k + 3] as number] as ScreeningClass,
      rule: names[spans[k + 4] as number] as string,
      category: names[spans[k + 5] as number] as Category,
    };
    if (spans[k + 6] === 1) finding.key = true;
    out.push(finding);
  }
  return { present, chars, findings, categories, rules, spans: out };
}
