/**
 * Names a policy matches on (model, provider, tool) may not hold characters that change how they read without
 * changing what they match: bidi controls, zero-width characters, C0 and C1 controls. A purpose is text and
 * may hold the joiners and marks that scripts need, but not the bidi overrides and isolates that reorder it.
 */
import { validateDecideRequest } from '../../src/schemas/validators';

const request = (invocation: Record<string, unknown>) => ({
  invocation: { model: 'm', operation: 'tool_call', ...invocation },
});
const problems = (invocation: Record<string, unknown>) =>
  validateDecideRequest.problems(request(invocation)).map((p) => p.pointer);

describe('invisible characters in the invocation', () => {
  it.each([
    ['\u202e', 'right-to-left override'],
    ['\u2066', 'left-to-right isolate'],
    ['\u200b', 'zero-width space'],
    ['\u200c', 'zero-width non-joiner'],
    ['\u200d', 'zero-width joiner'],
    ['\u200f', 'right-to-left mark'],
    ['\u2060', 'word joiner'],
    ['\ufeff', 'byte order mark'],
    ['\u00ad', 'soft hyphen'],
    ['\u007f', 'delete'],
    ['\u0085', 'next line (C1)'],
    ['\u{e0041}', 'tag letter A (invisible text smuggled into prompts)'],
    ['\ufe0f', 'variation selector'],
  ])('refuses %j (%s) in a model, a provider and a tool name', (c) => {
    expect(problems({ model: `anthropic.claude-${c}x` })).toEqual(['/invocation/model']);
    expect(problems({ provider: `bed${c}rock` })).toEqual(['/invocation/provider']);
    expect(problems({ tools: [{ name: `repo${c}.read` }] })).toEqual(['/invocation/tools/0/name']);
  });

  it('keeps names in any script', () => {
    expect(problems({ model: 'модель-1', provider: '阿里云', tools: [{ name: 'ツール.読む' }] })).toEqual([]);
  });

  it('lets a purpose hold the joiners and marks scripts need, not bidi overrides or isolates', () => {
    expect(problems({ purpose: 'क्\u200dष सहायता' })).toEqual([]); // ZWJ in Devanagari
    expect(problems({ purpose: 'می\u200cخواهم' })).toEqual([]); // ZWNJ in Persian
    expect(problems({ purpose: 'دعم\u200f العملاء' })).toEqual([]); // a right-to-left mark
    // An ideographic variation sequence (U+E0100): Japanese place and family names, such as 葛󠄀飾区, need it.
    expect(problems({ purpose: '葛\u{e0100}飾区の住民対応' })).toEqual([]);
    for (const c of ['\u202a', '\u202e', '\u2066', '\u2069', '\u0000', '\u0085', '\u{e0041}']) {
      expect(problems({ purpose: `support ${c}reply` })).toEqual(['/invocation/purpose']);
    }
  });
});
