import { ModelgateError, ReasonCode } from '../../src/errors';
import { DETECTORS } from '../../src/screening/detect-text';
import { DEFAULT_MAX_CHARS, redactPayload, screenPayload } from '../../src/screening/index';
import { fake } from './fake-values';

const EMAIL = 'jane.doe@acme-corp.com';

describe('screenPayload', () => {
  it('screens a prompt string', () => {
    const result = screenPayload({ prompt: `mail ${EMAIL}` });
    expect(result).toEqual({
      present: true,
      chars: 'prompt'.length + 5 + EMAIL.length,
      findings: { email: 1 },
      categories: { pii: 1 },
      rules: { 'modelgate-email': 1 },
      spans: [
        {
          path: ['prompt'],
          start: 5,
          end: 5 + EMAIL.length,
          class: 'email',
          rule: 'modelgate-email',
          category: 'pii',
        },
      ],
    });
  });

  it('screens chat messages with string content and with content parts', () => {
    const token = fake.githubToken();
    const result = screenPayload({
      messages: [
        { role: 'system', content: 'be brief' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'hi' },
            { type: 'text', text: `my token ${token}` },
          ],
        },
        { role: 'assistant', content: `ok, ${EMAIL}` },
      ],
    });
    expect(result.findings).toEqual({ github_token: 1, email: 1 });
    // Then the join of the token's part and the next message (one field: a content string and a part's text), as
    // between two string messages: the token ends its part, so the next message's first word is taken as its rest.
    expect(result.spans.map((s) => [s.path, s.start, s.end])).toEqual([
      [['messages', 1, 'content', 1, 'text'], 9, 9 + token.length],
      [['messages', 2, 'content'], 4, 4 + EMAIL.length],
      [['messages', 1, 'content', 1, 'text'], 9, 9 + token.length],
      [['messages', 2, 'content'], 0, 2],
    ]);
  });

  it('screens embedding input as a string or an array of strings', () => {
    expect(screenPayload({ input: EMAIL }).findings).toEqual({ email: 1 });
    const result = screenPayload({ input: ['nothing here', `x ${EMAIL}`] });
    expect(result.spans[0]?.path).toEqual(['input', 1]);
  });

  it('screens every string leaf of tool-call arguments, however nested', () => {
    const result = screenPayload({
      arguments: {
        to: [{ address: EMAIL }],
        meta: { retries: 3, urgent: true, note: null, card: '4111 1111 1111 1111' },
      },
    });
    expect(result.findings).toEqual({ email: 1, credit_card: 1 });
    expect(result.spans.map((s) => s.path)).toEqual([
      ['arguments', 'to', 0, 'address'],
      ['arguments', 'meta', 'card'],
    ]);
  });

  it('screens object keys, marking their findings as keys, and counts them in chars', () => {
    const result = screenPayload({ arguments: { [EMAIL]: 'subscriber' } });
    expect(result.chars).toBe('arguments'.length + EMAIL.length + 'subscriber'.length);
    expect(result.findings).toEqual({ email: 1 });
    expect(result.spans).toEqual([
      expect.objectContaining({ path: ['arguments', EMAIL], start: 0, end: EMAIL.length, key: true }),
    ]);
  });

  it('finds a token split across two messages once and marks both parts', () => {
    const token = fake.githubToken();
    const split = { messages: [{ content: `mine is ${token.slice(0, 18)}` }, { content: token.slice(18) }] };
    expect(screenPayload({ prompt: token.slice(0, 18) }).findings).toEqual({}); // precondition: half is nothing
    const result = screenPayload(split);
    expect(result.findings).toEqual({ github_token: 1 });
    expect(result.spans.map((s) => [s.path, s.start, s.end])).toEqual([
      [['messages', 0, 'content'], 8, 26],
      [['messages', 1, 'content'], 0, token.length - 18],
    ]);
    // Different fields are not joined: a role and a content are not one text.
    expect(screenPayload({ a: token.slice(0, 18), b: token.slice(18) }).findings).toEqual({});
  });

  it('finds a token split across three and more values once and marks every part', () => {
    const token = fake.githubToken();
    const three = {
      messages: [
        { content: `mine is ${token.slice(0, 12)}` },
        { content: token.slice(12, 24) },
        { content: `${token.slice(24)} ok` },
      ],
    };
    expect(screenPayload({ prompt: token.slice(12, 24) }).findings).toEqual({}); // precondition
    const result = screenPayload(three);
    expect(result.findings).toEqual({ github_token: 1 });
    expect(result.spans.map((s) => [s.path, s.start, s.end])).toEqual([
      [['messages', 0, 'content'], 8, 20],
      [['messages', 1, 'content'], 0, 12],
      [['messages', 2, 'content'], 0, token.length - 24],
    ]);
    // A whole token in the middle of short neighbours is found in its own value, once.
    const whole = screenPayload({ parts: ['key', token, 'x1'] });
    expect(whole.findings).toEqual({ github_token: 1 });
    expect(whole.spans.map((s) => s.path)).toContainEqual(['parts', 1]);
    expect(whole.spans.map((s) => s.path)).not.toContainEqual(['parts', 0]);
    // One character per array element.
    const chars = screenPayload({ parts: [...`token ${token}`] });
    expect(chars.findings).toEqual({ github_token: 1 });
    expect(chars.spans).toHaveLength(token.length);
    expect(redactPayload({ parts: [...`token ${token}`] }, chars, ['github_token'], '[<class>]')).toEqual({
      parts: [...'token ', ...Array<string>(token.length).fill('[github_token]')],
    });
  });

  it('finds a split token at the end of a long message, and its name many words before the cut', () => {
    const key = fake.awsSecretKey();
    const prose = 'We rotated the credentials this morning. '.repeat(20);
    const split = {
      messages: [
        { content: `${prose}aws_secret_access_key = ${key.slice(0, 15)}` },
        { content: `${key.slice(15)} and that is all. ${prose}` },
      ],
    };
    const result = screenPayload(split);
    expect(result.categories).toEqual({ secret: 1 });
    const parts = result.spans.map((s) => [s.path, s.end - s.start]);
    expect(parts).toEqual([
      [['messages', 0, 'content'], 15],
      [['messages', 1, 'content'], key.length - 15],
    ]);
  });

  it('finds a bare secret split across two messages near an access key id further back than the usual context', () => {
    const id = fake.awsAccessKey();
    const key = fake.awsSecretKey();
    const between = ` is the id; ${'and some more words about the account '.repeat(4)}then the other half: `;
    expect(between.length).toBeGreaterThan(160); // precondition: further back than a rule's own context
    const split = {
      messages: [{ content: `${id}${between}${key.slice(0, 20)}` }, { content: key.slice(20) }],
    };
    expect(screenPayload({ prompt: `${id}${between}` }).findings).toEqual({ aws_access_key: 1 }); // precondition
    const result = screenPayload(split);
    expect(result.findings).toEqual({ aws_access_key: 1, aws_secret_key: 1 });
    expect(result.spans.filter((s) => s.class === 'aws_secret_key').map((s) => s.path[1])).toEqual([0, 1]);
  });

  it('redacts the rest of a private key that one message cuts off and the next continues, counted once', () => {
    const pem = fake.privateKey();
    const cut = pem.length - 40; // inside the last body line: the first message alone holds a truncated key
    const split = {
      messages: [{ content: `here: ${pem.slice(0, cut)}` }, { content: `${pem.slice(cut)} ok` }],
    };
    expect(screenPayload({ prompt: `here: ${pem.slice(0, cut)}` }).findings).toEqual({ private_key: 1 }); // precondition
    expect(screenPayload({ prompt: pem.slice(cut) }).findings).toEqual({}); // precondition: the rest alone is nothing
    const result = screenPayload(split);
    expect(result.findings).toEqual({ private_key: 1 });
    const redacted = JSON.stringify(redactPayload(split, result, ['private_key'], '[{class}]'));
    expect(redacted).not.toContain(pem.slice(cut, cut + 20));
    expect(redacted).not.toContain('END RSA PRIVATE KEY');
    expect(redacted).toContain(' ok');
  });

  it('joins only values inside arrays: the same field of two objects is not one text', () => {
    const token = fake.githubToken();
    const twoObjects = { request: { model: token.slice(0, 18) }, record: { model: token.slice(18) } };
    expect(screenPayload(twoObjects).findings).toEqual({});
    const twoParts = { content: [{ text: token.slice(0, 18) }, { text: token.slice(18) }] };
    expect(screenPayload(twoParts).findings).toEqual({ github_token: 1 });
  });

  it('screens numbers as their decimal text: a card number sent as a JSON number is found', () => {
    const result = screenPayload({ arguments: { card: 4111111111111111 } });
    expect(result.findings).toEqual({ credit_card: 1 });
    expect(result.spans[0]).toMatchObject({ path: ['arguments', 'card'], start: 0, end: 16 });
    expect(result.spans[0]?.key).toBeUndefined();
  });

  it('ignores booleans and nulls, finds nothing in a plain number, and counts keys, numbers and strings', () => {
    const result = screenPayload({ arguments: { n: 4155552671, ok: false, none: null, s: 'abc' } });
    const chars = 'arguments'.length + 'n4155552671'.length + 'ok'.length + 'none'.length + 'sabc'.length;
    expect(result).toEqual({ present: true, chars, findings: {}, categories: {}, rules: {}, spans: [] });
  });

  it('reports present=false for an empty payload or one without string leaves', () => {
    const none = { findings: {}, categories: {}, rules: {}, spans: [] };
    expect(screenPayload({})).toEqual({ present: false, chars: 0, ...none });
    expect(screenPayload(undefined).present).toBe(false);
    expect(screenPayload({ arguments: { n: 1 } }).present).toBe(false);
    expect(screenPayload({ prompt: '' })).toEqual({ present: true, chars: 'prompt'.length, ...none });
  });

  it('counts UTF-16 code units and reports offsets in them', () => {
    const prompt = `😀 ${EMAIL}`;
    const result = screenPayload({ prompt });
    expect(result.chars).toBe('prompt'.length + prompt.length);
    const span = result.spans[0];
    expect(span && prompt.slice(span.start, span.end)).toBe(EMAIL);
  });

  it('accepts a payload exactly at maxChars and rejects one character more with 413 payload_too_large', () => {
    // 'prompt' and 'input' count too: the model reads every key.
    expect(screenPayload({ prompt: 'a'.repeat(10) }, { maxChars: 16 }).chars).toBe(16);
    let error: unknown;
    try {
      screenPayload({ prompt: 'a'.repeat(6), input: ['b'] }, { maxChars: 17 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ModelgateError);
    expect(error).toMatchObject({ code: ReasonCode.PayloadTooLarge, status: 413 });
  });

  it('defaults maxChars to 256 KiB', () => {
    expect(DEFAULT_MAX_CHARS).toBe(262144);
    expect(screenPayload({ prompt: 'a'.repeat(262138) }).chars).toBe(262144);
    expect(() => screenPayload({ prompt: 'a'.repeat(262139) })).toThrow(ModelgateError);
  });

  it('rejects an oversized payload before running any detector', () => {
    const spies = DETECTORS.map((d) => jest.spyOn(d, 'detect'));
    try {
      screenPayload({ prompt: EMAIL });
      // precondition: the spies see calls (the wide-context detectors run only when their marker is present)
      expect(spies.filter((s) => s.mock.calls.length > 0).length).toBeGreaterThan(DETECTORS.length / 2);
      spies.forEach((s) => s.mockClear());
      expect(() => screenPayload({ prompt: EMAIL, input: ['x'.repeat(100)] }, { maxChars: 100 })).toThrow(
        ModelgateError,
      );
      expect(spies.every((s) => s.mock.calls.length === 0)).toBe(true);
    } finally {
      spies.forEach((s) => s.mockRestore());
    }
  });

  it('screens a deeply nested payload without overflowing the stack', () => {
    let node: unknown = `deep ${EMAIL}`;
    for (let i = 0; i < 100000; i++) node = [node];
    const result = screenPayload({ arguments: node });
    expect(result.findings).toEqual({ email: 1 });
    expect(result.spans[0]?.path).toHaveLength(100001);
  });
});
