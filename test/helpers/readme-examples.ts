/**
 * The README's runnable examples: each ```sh block of a section, with the ```json or ```text block that
 * follows it as its printed output. Tests run the blocks as printed and compare what they print.
 */

/** One shell block and the output the README shows for it, if any. */
export interface ReadmeExample {
  shell: string;
  output?: { kind: 'json' | 'text'; text: string };
}

/** Returns the body of the README section under `## heading`, up to the next `## `. */
export function readmeSection(readme: string, heading: string): string {
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README has no section "## ${heading}"`);
  const next = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, next < 0 ? undefined : next);
}

/** Returns the fenced code blocks of `markdown` in order, with their info strings. */
export function codeBlocks(markdown: string): { lang: string; text: string }[] {
  const blocks: { lang: string; text: string }[] = [];
  const fence = /^```(\w*)\n([\s\S]*?)^```$/gm;
  for (let m = fence.exec(markdown); m; m = fence.exec(markdown)) blocks.push({ lang: m[1]!, text: m[2]! });
  return blocks;
}

/** Returns the section's shell examples, each paired with the output block right after it. */
export function readmeExamples(readme: string, heading: string): ReadmeExample[] {
  const blocks = codeBlocks(readmeSection(readme, heading));
  const examples: ReadmeExample[] = [];
  blocks.forEach((block, i) => {
    if (block.lang !== 'sh') return;
    const next = blocks[i + 1];
    const output = next && (next.lang === 'json' || next.lang === 'text') ? next : undefined;
    examples.push({
      shell: block.text,
      output: output && { kind: output.lang as 'json' | 'text', text: output.text },
    });
  });
  return examples;
}

/** Returns a copy of a reply with the values that differ on every run (ids, times, hashes) masked. */
export function maskVolatile(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskVolatile);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, VOLATILE_KEYS.has(k) ? '<varies>' : maskVolatile(v)]),
    );
  }
  return value;
}

const VOLATILE_KEYS = new Set(['decision_id', 'timestamp', 'hash', 'prev_hash', 'head', 'next_cursor']);

/** Returns text output with hex hashes (whole or shortened with …) masked. */
export function maskText(text: string): string {
  return text.replace(/\b[0-9a-f]{6,64}…?/g, '<hash>').trim();
}
