import { ModelgateError, ReasonCode } from '../../src/errors';
import {
  redactPayload,
  screenPayload,
  UnknownClassError,
  type ScreeningResult,
} from '../../src/screening/index';
import { mergeSpans } from '../../src/screening/merge-spans';
import { fake, gcpKeyFile } from './fake-values';

const EMAIL = 'jane.doe@acme-corp.com';
const PHONE = '+44 20 7946 0958';

describe('redactPayload', () => {
  it('replaces spans of the listed classes and leaves other classes untouched', () => {
    const payload = { prompt: `mail ${EMAIL} or call ${PHONE}` };
    const result = screenPayload(payload);
    expect(result.findings).toEqual({ email: 1, phone: 1 }); // precondition: both are found
    expect(redactPayload(payload, result, ['email'])).toEqual({
      prompt: `mail [REDACTED:email] or call ${PHONE}`,
    });
    expect(redactPayload(payload, result, ['email', 'phone'])).toEqual({
      prompt: 'mail [REDACTED:email] or call [REDACTED:phone]',
    });
  });

  it('keeps the shape, keys, order and non-string values of the payload', () => {
    const payload = {
      model_hint: 'x',
      messages: [
        { role: 'user', content: [{ type: 'text', text: `hi ${EMAIL}` }] },
        { role: 'assistant', content: 'ok', extra: { n: 1, b: true, z: null, list: [1, 'two'] } },
      ],
    };
    const redacted = redactPayload(payload, screenPayload(payload), ['email']) as typeof payload;
    expect(JSON.stringify(redacted)).toBe(JSON.stringify(payload).replace(EMAIL, '[REDACTED:email]'));
    expect(Object.keys(redacted.messages[1] as object)).toEqual(['role', 'content', 'extra']);
  });

  it('renames an object key that holds a finding and keeps its value', () => {
    const token = fake.githubToken();
    const payload = { arguments: { [token]: 'value', other: 1 } };
    const result = screenPayload(payload);
    expect(result.findings).toEqual({ github_token: 1 }); // precondition: the key is found
    const redacted = redactPayload(payload, result, ['github_token']);
    expect(redacted).toEqual({ arguments: { '[REDACTED:github_token]': 'value', other: 1 } });
    expect(JSON.stringify(redacted)).not.toContain(token);
  });

  it('replaces a number that holds a finding with its redacted text', () => {
    const payload = { arguments: { card: 4111111111111111, count: 2 } };
    const result = screenPayload(payload);
    expect(result.findings).toEqual({ credit_card: 1 }); // precondition
    expect(redactPayload(payload, result, ['credit_card'])).toEqual({
      arguments: { card: '[REDACTED:credit_card]', count: 2 },
    });
  });

  it('returns a copy and never mutates the payload', () => {
    const payload = { input: [`a ${EMAIL}`] };
    const before = JSON.stringify(payload);
    const redacted = redactPayload(payload, screenPayload(payload), ['email']) as typeof payload;
    expect(JSON.stringify(payload)).toBe(before);
    expect(redacted).not.toBe(payload);
    expect(redacted.input).not.toBe(payload.input);
  });

  it('returns a byte-identical copy when no listed class was found', () => {
    const payload = { prompt: `call ${PHONE}`, arguments: { nested: ['😀 text', { k: 'v' }] } };
    const result = screenPayload(payload);
    expect(result.spans).toHaveLength(1); // precondition: there is a span, just not of a listed class
    expect(redactPayload(payload, result, ['email'])).toEqual(payload);
    expect(redactPayload(payload, result, [])).toEqual(payload);
  });

  it('uses a configurable format with a <class> placeholder', () => {
    const payload = { prompt: `mail ${EMAIL}` };
    const result = screenPayload(payload);
    expect(redactPayload(payload, result, ['email'], '<<<class>>>')).toEqual({ prompt: 'mail <<email>>' });
    expect(redactPayload(payload, result, ['email'], '***')).toEqual({ prompt: 'mail ***' });
  });

  it('merges overlapping spans into one, named after the longest', () => {
    const keyFile = gcpKeyFile(fake.gcpKeyId());
    const payload = { prompt: keyFile };
    const result = screenPayload(payload);
    // precondition: the private key span lies inside the service account span
    expect(result.findings).toMatchObject({ gcp_service_account_key: 1, private_key: 1 });
    const redacted = redactPayload(payload, result, ['private_key', 'gcp_service_account_key']) as {
      prompt: string;
    };
    expect(redacted.prompt).toContain('[REDACTED:gcp_service_account_key]');
    expect(redacted.prompt).not.toContain('[REDACTED:private_key]');
    expect(redacted.prompt).not.toContain('BEGIN PRIVATE KEY');
  });

  it('redacts only the inner span when only its class is listed', () => {
    const payload = { prompt: gcpKeyFile(fake.gcpKeyId()) };
    const redacted = redactPayload(payload, screenPayload(payload), ['private_key']) as { prompt: string };
    expect(redacted.prompt).toContain('"type": "service_account"');
    expect(redacted.prompt).toContain('"private_key": "[REDACTED:private_key]\\n"');
  });

  it('merges touching spans and keeps the class of the longer one', () => {
    expect(
      mergeSpans([
        { start: 10, end: 20, class: 'email' },
        { start: 0, end: 10, class: 'phone' },
        { start: 30, end: 35, class: 'jwt' },
      ]),
    ).toEqual([
      { start: 0, end: 20, class: 'phone' },
      { start: 30, end: 35, class: 'jwt' },
    ]);
    expect(
      mergeSpans([
        { start: 0, end: 5, class: 'email' },
        { start: 3, end: 20, class: 'url_credentials' },
      ]),
    ).toEqual([{ start: 0, end: 20, class: 'url_credentials' }]);
  });

  it('redacts the same value in two leaves independently', () => {
    const payload = { messages: [{ content: EMAIL }, { content: `again ${EMAIL}` }] };
    expect(redactPayload(payload, screenPayload(payload), ['email'])).toEqual({
      messages: [{ content: '[REDACTED:email]' }, { content: 'again [REDACTED:email]' }],
    });
  });

  it('copies an own "__proto__" key as data without touching the prototype', () => {
    const payload = JSON.parse(`{"arguments": {"__proto__": {"to": "${EMAIL}"}}}`) as unknown;
    const redacted = redactPayload(payload, screenPayload(payload), ['email']) as { arguments: object };
    expect(Object.getPrototypeOf(redacted.arguments)).toBe(Object.prototype);
    expect(JSON.stringify(redacted)).toBe('{"arguments":{"__proto__":{"to":"[REDACTED:email]"}}}');
  });

  it('rejects unknown class names as policy_output_invalid', () => {
    const payload = { prompt: EMAIL };
    expect(() => redactPayload(payload, screenPayload(payload), ['emails'])).toThrow(UnknownClassError);
    expect(() => redactPayload(payload, screenPayload(payload), ['email', 'ssn'])).toThrow(
      expect.objectContaining({ code: ReasonCode.PolicyOutputInvalid, classes: ['ssn'] }),
    );
  });

  it('refuses a screening result that does not belong to the payload', () => {
    const result: ScreeningResult = screenPayload({ prompt: `x ${EMAIL}` });
    expect(() => redactPayload({ prompt: 'short' }, result, ['email'])).toThrow(ModelgateError);
    expect(() => redactPayload({ other: `x ${EMAIL}` }, result, ['email'])).toThrow(ModelgateError);
  });

  it('redacts inside a deeply nested payload without overflowing the stack', () => {
    let node: unknown = `deep ${EMAIL}`;
    for (let i = 0; i < 100000; i++) node = [node];
    const payload = { arguments: node };
    let out = (redactPayload(payload, screenPayload(payload), ['email']) as { arguments: unknown }).arguments;
    while (Array.isArray(out)) out = out[0];
    expect(out).toBe('deep [REDACTED:email]');
  });
});
