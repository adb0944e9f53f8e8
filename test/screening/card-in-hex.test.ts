/**
 * Hexadecimal strings (digests, commit ids, the tool-call ids some OpenAI-compatible servers make) hold long digit
 * runs: one in 1,500 random ones held a run that passes as a card number, so a commit id in a chat about code, or a
 * tool call's id that a guard forwards redacted, was reported as a credit_card.
 */
import { createHash } from 'node:crypto';
import { detectText } from '../../src/screening/detect-text';
import { withLuhnDigit } from './fake-values';

// Deterministic: the same digests every run, so the test cannot flake.
const digests = (algorithm: string, n: number) =>
  Array.from({ length: n }, (_, i) => createHash(algorithm).update(`modelgate ${i}`).digest('hex'));

const cards = (text: string) => detectText(text).filter((s) => s.class === 'credit_card');

describe('card numbers and hexadecimal strings', () => {
  it.each([
    ['sha256', 64],
    ['sha1', 40],
    ['md5', 32],
  ])('finds no card in 20,000 %s digests', (algorithm) => {
    const hits = digests(algorithm, 20_000).filter((d) => cards(`commit ${d} fixed it`).length > 0);
    expect(hits).toEqual([]);
  });

  it('finds no card in a tool-call id made of a hex uuid', () => {
    const ids = digests('md5', 20_000).map((d) => `chatcmpl-tool-${d}`);
    expect(ids.filter((id) => cards(`{"tool_call_id":"${id}"}`).length > 0)).toEqual([]);
  });

  it('finds no card in 100,000 UUIDs, which hold dashed digit groups', () => {
    const uuids = digests('md5', 100_000).map(
      (d) => `${d.slice(0, 8)}-${d.slice(8, 12)}-4${d.slice(13, 16)}-8${d.slice(17, 20)}-${d.slice(20)}`,
    );
    expect(uuids.filter((id) => cards(`request ${id} failed`).length > 0)).toEqual([]);
  });

  it('still finds a card next to a few hex letters, and one glued to a word', () => {
    const visa = withLuhnDigit('411111111111111');
    const dashed = '4111-1111-1111-1111';
    for (const text of [`cc${visa}`, `ab${visa}cd`, `card:${visa}`, `${visa}`, `deadbeef ${visa} cafe`]) {
      expect(cards(text).map((s) => text.slice(s.start, s.end))).toEqual([visa]);
    }
    for (const text of [dashed, `ref 1234abcd ${dashed}`, `${dashed}-abcd`]) {
      expect(cards(text).map((s) => text.slice(s.start, s.end))).toEqual([dashed]);
    }
  });
});
