import { join } from 'node:path';
import { DEFAULT_RECORD_LIMITS } from '../../src/audit/bound-record';
import { storableRecord } from '../../src/decision/record-privacy';
import { screenPayload } from '../../src/screening';
import { EVASION_CASES } from '../../src/screening/evasion-cases';
import { readCorpus } from '../../src/screening/evaluate-corpus';
import { ScreeningPool } from '../../src/screening/screening-pool';
import { callerScope, ScreeningCache, textKey } from '../../src/screening/screening-cache';
import { makeRecord } from '../audit/audit-fixtures';
import { fake } from './fake-values';

const scope = callerScope('https://idp.example', 'svc-a');

/** The corpus snippets as chat payloads of four messages each: every kind of text, and joins between them. */
function corpusChats(): unknown[] {
  const texts = readCorpus(join(__dirname, 'corpus')).map((row) => row.record.text);
  const chats: unknown[] = [];
  for (let i = 0; i < texts.length; i += 4)
    chats.push({ messages: texts.slice(i, i + 4).map((content) => ({ role: 'user', content })) });
  return chats;
}

describe('ScreeningCache', () => {
  it('gives what screening without it gives, on the first call and on every later one', () => {
    const payloads = [...corpusChats(), ...EVASION_CASES.map((c) => c.payload)];
    const cache = new ScreeningCache(100_000);
    const plain = payloads.map((p) => screenPayload(p));
    const cold = payloads.map((p) => screenPayload(p, { cache, scope }));
    const warm = payloads.map((p) => screenPayload(p, { cache, scope }));
    expect(cold).toEqual(plain);
    expect(warm).toEqual(plain);
    expect(cache.hits).toBeGreaterThan(payloads.length); // the second pass was answered from the cache
  });

  it('finds a token split across two messages that were each sent before on their own', () => {
    const token = fake.githubToken();
    const first = `deploy with ${token.slice(0, 20)}`;
    const second = `${token.slice(20)} and go`;
    const cache = new ScreeningCache();
    const cached = { cache, scope };
    expect(screenPayload({ messages: [{ content: first }] }, cached).spans).toEqual([]);
    expect(screenPayload({ messages: [{ content: second }] }, cached).spans).toEqual([]);
    const split = { messages: [{ content: first }, { content: second }] };
    for (let call = 0; call < 2; call++) {
      const result = screenPayload(split, cached);
      expect(result.findings).toEqual({ github_token: 1 });
      expect(result.spans.map((s) => s.path)).toEqual([
        ['messages', 0, 'content'],
        ['messages', 1, 'content'],
      ]);
    }
  });

  it('remembers the joins of consecutive values too: a conversation sent again is answered whole', () => {
    const token = fake.githubToken();
    const chat = {
      messages: [
        { role: 'user', content: `the token is ${token.slice(0, 12)}` },
        { role: 'user', content: token.slice(12, 24) },
        { role: 'assistant', content: `${token.slice(24)}.` },
        { role: 'user', content: 'Thanks. Please rotate it.' },
      ],
    };
    const cache = new ScreeningCache();
    const first = screenPayload(chat, { cache, scope });
    expect(first.findings).toMatchObject({ github_token: 1 }); // precondition: a secret across three values
    const misses = cache.misses;
    expect(screenPayload(chat, { cache, scope })).toEqual(first);
    expect(cache.misses).toBe(misses);
  });

  it('keeps every key short, however many values a join spans', () => {
    const lengths: number[] = [];
    class KeyLengths extends ScreeningCache {
      override set(key: string, spans: Parameters<ScreeningCache['set']>[1]): void {
        lengths.push(key.length);
        super.set(key, spans);
      }
    }
    // 2,000 one-character values: joins of hundreds of values each.
    screenPayload({ parts: [...'ab'.repeat(1000)] }, { cache: new KeyLengths(), scope });
    expect(lengths.length).toBeGreaterThan(2); // precondition: the joins were remembered
    expect(Math.max(...lengths)).toBeLessThanOrEqual(100);
  });

  it("never answers one caller from another's texts", () => {
    const cache = new ScreeningCache();
    const payload = { prompt: `mail jane.doe@acme-corp.com about ${fake.githubToken()}` };
    screenPayload(payload, { cache, scope });
    const hits = cache.hits;
    const other = callerScope('https://idp.example', 'svc-b');
    expect(screenPayload(payload, { cache, scope: other }).findings).toEqual({
      email: 1,
      github_token: 1,
    });
    expect(cache.hits).toBe(hits);
    screenPayload(payload, { cache, scope });
    expect(cache.hits).toBeGreaterThan(hits);
  });

  it('keeps scopes and texts apart however their characters fall', () => {
    expect(textKey(callerScope('a', 'bc'), '', 'd')).not.toBe(textKey(callerScope('ab', 'c'), '', 'd'));
    expect(textKey('s', '', 'xd')).not.toBe(textKey('s', 'x', 'd'));
    expect(textKey('s', 's', 'text')).not.toBe(textKey('s', '', 'text'));
  });

  it('keeps only a hash of each text, and none of a text that is not well-formed UTF-16', () => {
    expect(textKey(scope, '', 'some text')).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    // A lone surrogate would hash as U+FFFD: "\ud800" and "\udc00" would share a key.
    expect(textKey(scope, '', 'x \ud800 y')).toBeUndefined();
    const cache = new ScreeningCache();
    // The key `text` is too short to be screened at all: the value is the payload's one text.
    const payload = { text: `lone \ud800 surrogate near jane.doe@acme-corp.com` };
    expect(screenPayload(payload, { cache, scope }).findings).toEqual({ email: 1 });
    expect(cache.size).toBe(0);
    screenPayload({ text: 'well-formed, near jane.doe@acme-corp.com' }, { cache, scope });
    expect(cache.size).toBe(1);
  });

  it('holds at most its capacity, and keeps the texts a caller keeps sending', () => {
    const cache = new ScreeningCache(64);
    const system = 'You are the support assistant of Acme Cloud; be concise and polite.';
    for (let i = 0; i < 1000; i++) {
      screenPayload(
        { messages: [{ content: system }, { content: `question number ${i}, nothing more` }] },
        { cache, scope },
      );
      expect(cache.size).toBeLessThanOrEqual(64);
    }
    const misses = cache.misses;
    screenPayload({ messages: [{ content: system }] }, { cache, scope });
    expect(cache.misses).toBe(misses);
  });

  it('remembers nothing with capacity 0', () => {
    const cache = new ScreeningCache(0);
    screenPayload({ prompt: 'a text long enough to be screened' }, { cache, scope });
    screenPayload({ prompt: 'a text long enough to be screened' }, { cache, scope });
    // Turned off is off: no text is even hashed and looked up.
    expect([cache.size, cache.hits, cache.misses]).toEqual([0, 0, 0]);
  });
});

describe('ScreeningPool with a cache', () => {
  let pool: ScreeningPool | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  it("screens a caller's repeated texts from the cache, inline and on a thread alike", async () => {
    const payload = {
      messages: [{ content: `reach me at jane.doe@acme-corp.com, token ${fake.githubToken()}` }],
    };
    pool = new ScreeningPool({ threads: 1, shareSmall: false });
    const first = await pool.screen(payload, { scope });
    expect(await pool.screen(payload, { scope })).toEqual(first);
    expect(pool.cache.hits).toBeGreaterThan(0);

    await pool.close();
    pool = new ScreeningPool({ threads: 1, inlineChars: 0, budgetMs: 60_000 });
    expect(await pool.screen(payload, { scope })).toEqual(first);
    expect(await pool.screen(payload, { scope })).toEqual(first);
    expect(pool.cache.hits).toBe(0); // the thread screened both, from its own cache
    const threaded = pool.cacheLookups(); // ...and said so with its answers
    expect(threaded.hits).toBeGreaterThan(0);
    expect(threaded.misses).toBeGreaterThan(0);
    await pool.close();
    expect(pool.cacheLookups()).toEqual(threaded); // counts outlive the thread, for a counter that never drops
  });

  it('does not cache without a scope, or with cacheEntries 0', async () => {
    const payload = { prompt: 'a text long enough to be screened' };
    pool = new ScreeningPool({ threads: 1, shareSmall: false });
    await pool.screen(payload);
    await pool.screen(payload);
    expect(pool.cache.size).toBe(0);
    await pool.close();
    pool = new ScreeningPool({ threads: 1, shareSmall: false, cacheEntries: 0 });
    await pool.screen(payload, { scope });
    await pool.screen(payload, { scope });
    expect([pool.cache.size, pool.cache.hits]).toEqual([0, 0]);
  });
});

describe('the audit record screened with a cache', () => {
  const preparation = { limits: DEFAULT_RECORD_LIMITS, redactionFormat: '[REDACTED:<class>]' };

  it("redacts a subject's declared values alike cold and warm, and caches nothing of an anonymous request", () => {
    const secret = `aws_secret_access_key=${fake.awsSecretKey()}`;
    const records = [
      makeRecord({ purpose: secret }),
      makeRecord({ model: `anthropic.claude-haiku:${fake.githubToken()}` }),
      makeRecord({
        input: {
          invocation: { model: 'm' },
          context: { ticket: 'CASE-1', note: `mail jane.doe@acme-corp.com` },
        },
      }),
    ];
    const cache = new ScreeningCache();
    for (const record of records) {
      const plain = storableRecord(record, preparation);
      expect(storableRecord(record, preparation, cache)).toEqual(plain);
      expect(storableRecord(record, preparation, cache)).toEqual(plain);
    }
    expect(cache.hits).toBeGreaterThan(0);
    expect(JSON.stringify(storableRecord(records[0]!, preparation, cache).record)).not.toContain(secret);

    // A subject's values seen clean before do not vouch for a set that differs in one value.
    const clean = makeRecord({ input: { invocation: { model: 'm' }, context: { ticket: 'CASE-2' } } });
    storableRecord(clean, preparation, cache);
    storableRecord(clean, preparation, cache);
    const token = fake.githubToken();
    const dirty = makeRecord({
      input: { invocation: { model: 'm' }, context: { ticket: `CASE-2 ${token}` } },
    });
    expect(JSON.stringify(storableRecord(dirty, preparation, cache).record)).not.toContain(token);

    const anonymous = new ScreeningCache();
    storableRecord(makeRecord({ subject: null, purpose: secret }), preparation, anonymous);
    expect(anonymous.size).toBe(0);
  });
});
