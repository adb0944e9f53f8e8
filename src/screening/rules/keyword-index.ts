/**
 * An Aho–Corasick automaton over lower-case keywords: one pass over a text reports every keyword in it,
 * however many keywords there are, as gitleaks' own prefilter does. Rules whose keywords are absent never run
 * their regex, which keeps the cost of 200+ rules close to the cost of one scan.
 */
export class KeywordIndex {
  private readonly next: Array<Map<number, number>> = [new Map()];
  private readonly fail: number[] = [0];
  /** Keyword numbers ending at each state, including those reached through failure links. */
  private readonly out: number[][] = [[]];

  constructor(readonly keywords: readonly string[]) {
    keywords.forEach((word, index) => {
      let state = 0;
      for (let i = 0; i < word.length; i++) {
        const c = word.charCodeAt(i);
        let to = this.next[state]?.get(c);
        if (to === undefined) {
          to = this.next.length;
          this.next.push(new Map());
          this.fail.push(0);
          this.out.push([]);
          this.next[state]?.set(c, to);
        }
        state = to;
      }
      this.out[state]?.push(index);
    });
    // Breadth-first, so a state's failure target is complete before its children need it.
    const queue: number[] = [...(this.next[0]?.values() ?? [])];
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head] as number;
      for (const [c, to] of this.next[state] ?? []) {
        queue.push(to);
        let f = this.fail[state] as number;
        while (f !== 0 && !this.next[f]?.has(c)) f = this.fail[f] as number;
        const target = this.next[f]?.get(c);
        this.fail[to] = target !== undefined && target !== to ? target : 0;
        this.out[to]?.push(...(this.out[this.fail[to] as number] ?? []));
      }
    }
  }

  /** Returns whether any keyword occurs in `text` (ASCII case-insensitive); stops at the first. */
  any(text: string): boolean {
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      let c = text.charCodeAt(i);
      if (c >= 65 && c <= 90) c += 32;
      while (state !== 0 && !this.next[state]?.has(c)) state = this.fail[state] as number;
      state = this.next[state]?.get(c) ?? 0;
      if ((this.out[state]?.length ?? 0) > 0) return true;
    }
    return false;
  }

  /** Returns which keywords occur in `text`, compared case-insensitively (ASCII), as a set of keyword numbers. */
  present(text: string): Set<number> {
    const found = new Set<number>();
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      let c = text.charCodeAt(i);
      if (c >= 65 && c <= 90) c += 32;
      while (state !== 0 && !this.next[state]?.has(c)) state = this.fail[state] as number;
      state = this.next[state]?.get(c) ?? 0;
      const words = this.out[state];
      if (words !== undefined) for (const w of words) found.add(w);
    }
    return found;
  }
}
