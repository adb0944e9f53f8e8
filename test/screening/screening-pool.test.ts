import { ModelgateError, ReasonCode } from '../../src/errors';
import { EVASION_CASES } from '../../src/screening/evasion-cases';
import { redactPayload, SCREENING_CLASSES, screenPayload, ScreeningPool } from '../../src/screening';
import { packResult, unpackResult } from '../../src/screening/packed-result';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import {
  MAX_SMALL_BACKLOG,
  type RedactRequest,
  type ScreenRequest,
} from '../../src/screening/screening-pool';
import { newWorker } from '../../src/threads/new-worker';
import { fake } from './fake-values';

/** A 256 KiB payload built to stress the rules (thousands of near misses): slow to screen, by design. */
const heavy = (): unknown => ({ prompt: 'api_key: Q7vK2mZp9XwL4rT8nB3cY6hF1dJ5sA0e\n'.repeat(6000) });

/** A chat of `n` messages, each with one email address. */
const mailChat = (n: number): { messages: Array<{ role: string; content: string }> } => ({
  messages: Array.from({ length: n }, (_, i) => ({
    role: i % 2 === 0 ? 'user' : 'assistant',
    content: `Please write to jane.doe${i}@acme-corp.com about the invoice.`,
  })),
});

describe('packResult', () => {
  it('round-trips a result with thousands of findings, keys and split secrets included', () => {
    const payload = {
      [`${fake.githubToken()}`]: 'secret as a key',
      messages: [
        ...Array.from({ length: 2000 }, (_, i) => ({ role: 'user', content: `mail jane${i}@acme-corp.com` })),
        { role: 'user', content: fake.githubToken().slice(0, 20) },
        { role: 'user', content: fake.githubToken().slice(20) },
      ],
    };
    const result = screenPayload(payload);
    expect(result.spans.length).toBeGreaterThan(2000); // precondition
    expect(result.spans.some((s) => s.key === true)).toBe(true); // precondition
    expect(JSON.stringify(unpackResult(packResult(result)))).toBe(JSON.stringify(result));
  });
});

describe('ScreeningPool', () => {
  let pool: ScreeningPool;
  afterEach(async () => {
    await pool?.close();
  });

  it('gives the same findings and redactions on a thread as inline', async () => {
    pool = new ScreeningPool({ inlineChars: 0, threads: 1, budgetMs: 60_000 });
    const payloads: unknown[] = [
      ...EVASION_CASES.map((c) => c.payload),
      {
        messages: [
          { role: 'user', content: `my key is ${fake.githubToken()} and card 4111 1111 1111 1111` },
          { role: 'assistant', content: 'noted; mail jane.doe@acme-corp.com' },
        ],
      },
    ];
    let found = 0;
    for (const payload of payloads) {
      const inline = screenPayload(payload);
      found += inline.spans.length;
      const threaded = await pool.screen(payload);
      expect(threaded).toEqual(inline);
      expect(redactPayload(payload, threaded, SCREENING_CLASSES, '[{class}]')).toEqual(
        redactPayload(payload, inline, SCREENING_CLASSES, '[{class}]'),
      );
    }
    expect(found).toBeGreaterThan(payloads.length); // precondition: there was something to find
  });

  it('keeps the event loop free while a large payload is screened on a thread', async () => {
    pool = new ScreeningPool({ inlineChars: 16384, threads: 1, budgetMs: 60_000 });
    const order: string[] = [];
    const screened = pool.screen(heavy()).then(() => order.push('screened'));
    await new Promise((resolve) => setTimeout(resolve, 0));
    order.push('timer');
    await screened;
    expect(order).toEqual(['timer', 'screened']);
  });

  it('screens small payloads inline (no thread needed)', async () => {
    pool = new ScreeningPool({ threads: 1 });
    await pool.close(); // a closed pool screens inline: proves the small path never needs a thread
    const result = await pool.screen({ prompt: `token ${fake.githubToken()}` });
    expect(result.findings).toEqual({ github_token: 1 });
  });

  // A megabyte of empty strings, nulls and booleans has no text, yet walking, screening and copying it held the
  // event loop about 0.4 s a request inline: any token holder could stall every other decision with a few a second.
  it('screens on a thread a payload of many values with little text, and does not copy it to redact', async () => {
    pool = new ScreeningPool({ inlineChars: 16384, threads: 1, budgetMs: 60_000, shareSmall: false });
    const payload = {
      arguments: [new Array(5000).fill(''), new Array(5000).fill(null), new Array(5000).fill(false)],
    };
    const result = await pool.screen(payload);
    expect(result.chars).toBe('arguments'.length); // precondition: small by its text alone
    expect(pool.screened).toEqual({ inline: 0, threaded: 1 });
    expect(await pool.redact(payload, result, ['email'], '[{class}]')).toBe(payload);
    // A payload of a few values stays inline, as before.
    await pool.screen({ arguments: new Array(100).fill('') });
    expect(pool.screened).toEqual({ inline: 1, threaded: 1 });
  });

  it('sends a small payload to an idle thread, and screens it inline while the threads are busy', async () => {
    pool = new ScreeningPool({ inlineChars: 1000, threads: 1, budgetMs: 60_000, shareSmall: true });
    const small = { prompt: `token ${fake.githubToken()}` };
    await pool.screen({ prompt: 'x'.repeat(2000) }); // a large payload waits until the thread is ready
    expect(pool.screened).toEqual({ inline: 0, threaded: 1 });
    expect((await pool.screen(small)).findings).toEqual({ github_token: 1 });
    expect(pool.screened).toEqual({ inline: 0, threaded: 2 }); // the idle thread took it
    const order: string[] = [];
    const large = pool.screen(heavy()).then(() => order.push('large'));
    const quick = pool.screen(small).then((r) => order.push(`small ${Object.keys(r.findings).join()}`));
    await Promise.all([large, quick]);
    expect(order).toEqual(['small github_token', 'large']); // it did not queue behind the large one
    expect(pool.screened).toEqual({ inline: 1, threaded: 3 });
  });

  it('sends a thread small payloads while it has fewer than MAX_SMALL_BACKLOG to work through', async () => {
    // "Small" up to 300,000 characters here, so that payloads slow to screen keep the thread busy for a while.
    pool = new ScreeningPool({ inlineChars: 300_000, threads: 1, budgetMs: 60_000, shareSmall: true });
    await pool.screen({ prompt: 'x'.repeat(400_000) }); // a large one: waits until the thread is ready
    const slow = Array.from({ length: MAX_SMALL_BACKLOG }, () => pool.screen(heavy()));
    expect(pool.screened).toEqual({ inline: 0, threaded: 1 + MAX_SMALL_BACKLOG }); // all queued on the thread
    const next = await pool.screen({ prompt: `token ${fake.githubToken()}` });
    expect(next.findings).toEqual({ github_token: 1 });
    expect(pool.screened).toEqual({ inline: 1, threaded: 1 + MAX_SMALL_BACKLOG }); // the thread was full
    await Promise.all(slow);
    await pool.screen({ prompt: 'y'.repeat(100) }); // the thread has worked through them: it takes the next
    expect(pool.screened.threaded).toBe(2 + MAX_SMALL_BACKLOG);
  }, 60_000);

  it('fails a shared small payload closed when its budget runs out, and the pool goes on', async () => {
    // "Small" up to 300,000 characters here: one slow to screen outlasts a 1 ms budget however late the event
    // loop wakes (a quick one could be answered before the timer is read).
    pool = new ScreeningPool({ inlineChars: 300_000, threads: 1, budgetMs: 60_000, shareSmall: true });
    const small = { prompt: `token ${fake.githubToken()}` };
    await pool.screen({ prompt: 'x'.repeat(400_000) }); // a large one: waits until the thread is ready
    const late = pool.screen(heavy(), {}, 1).catch((err: unknown) => err);
    const other = pool.screen(small).catch((err: unknown) => err); // on the same thread, behind it
    expect(pool.screened).toEqual({ inline: 0, threaded: 3 }); // precondition: both went to the thread
    expect(await late).toMatchObject({ code: ReasonCode.ScreeningTimeout, status: 503 });
    // The thread was replaced: what it held fails closed too, and the next payload is screened normally.
    expect(await other).toMatchObject({ status: 503 });
    expect((await pool.screen({ prompt: 'y'.repeat(400_000) + fake.githubToken() })).findings).toEqual({
      github_token: 1,
    });
  });

  it('keeps small payloads inline when sharing is off', async () => {
    pool = new ScreeningPool({ inlineChars: 1000, threads: 1, budgetMs: 60_000, shareSmall: false });
    await pool.screen({ prompt: 'x'.repeat(2000) });
    await pool.screen({ prompt: 'a small one' });
    expect(pool.screened).toEqual({ inline: 1, threaded: 1 });
  });

  it('fails closed with screening_timeout when the budget runs out, and replaces the busy thread', async () => {
    pool = new ScreeningPool({ inlineChars: 0, threads: 1, budgetMs: 60_000 });
    const token = fake.githubToken();
    expect((await pool.screen({ prompt: `a ${token}` })).findings).toEqual({ github_token: 1 }); // thread ready
    const error = await pool.screen(heavy(), {}, 1).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ModelgateError);
    expect(error).toMatchObject({ code: ReasonCode.ScreeningTimeout, status: 503 });
    // The thread that was busy with it is gone; a new one screens the next payload.
    expect((await pool.screen({ prompt: `b ${token}` })).findings).toEqual({ github_token: 1 });
  });

  it('redacts on a thread a payload it screened on one, as redactPayload does on the event loop', async () => {
    pool = new ScreeningPool({ inlineChars: 0, threads: 1, budgetMs: 60_000 });
    const payload = {
      [fake.githubToken()]: 'a secret as a key',
      messages: [
        ...mailChat(50).messages,
        { role: 'user', content: `card 4111 1111 1111 1111, token ${fake.githubToken().slice(0, 20)}` },
        { role: 'user', content: fake.githubToken().slice(20) },
      ],
    };
    const result = await pool.screen(payload);
    expect(result.findings).toMatchObject({ email: 50, github_token: 2, credit_card: 1 }); // precondition
    for (const classes of [['email'], ['github_token', 'credit_card'], [...SCREENING_CLASSES]]) {
      const inline = redactPayload(payload, screenPayload(payload), classes, '[{class}]');
      expect(await pool.redact(payload, result, classes, '[{class}]')).toEqual(inline);
    }
  });

  it('fails closed with screening_timeout when redaction runs out of time, and replaces the busy thread', async () => {
    pool = new ScreeningPool({ inlineChars: 0, threads: 1, budgetMs: 60_000 });
    // Large enough that the copy takes far longer than the budget even on a busy machine: an answer that arrives
    // while the event loop wakes for it would otherwise be read before the expired timer.
    const payload = mailChat(40_000);
    const result = await pool.screen(payload);
    expect(result.findings).toEqual({ email: 40_000 }); // precondition: 40,000 spans to apply, a copy of it all
    const error = await pool.redact(payload, result, ['email'], '[{class}]', 1).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ModelgateError);
    expect(error).toMatchObject({ code: ReasonCode.ScreeningTimeout, status: 503 });
    expect((error as Error).message).toBe('redacting the payload took longer than 1 ms');
    // Only the thread could run out of time: the same call with time to spare gives the redacted payload.
    const redacted = await pool.redact(payload, result, ['email'], '[{class}]');
    expect(JSON.stringify(redacted)).not.toContain('@acme-corp.com');
    expect(redacted).toEqual(redactPayload(payload, result, ['email'], '[{class}]'));
  });

  it('sends the payload again when the thread that screened it no longer keeps it', async () => {
    pool = new ScreeningPool({ inlineChars: 0, threads: 1, budgetMs: 60_000 });
    const first = mailChat(30);
    const result = await pool.screen(first);
    // The thread keeps the last two payloads it screened: after two more, the first is gone from it.
    await pool.screen(mailChat(2));
    await pool.screen(mailChat(3));
    const redacted = await pool.redact(first, result, ['email'], '[<class>]');
    expect(JSON.stringify(redacted)).toContain('[email]');
    expect(redacted).toEqual(redactPayload(first, result, ['email'], '[<class>]'));
  });

  it('redacts inline a payload screened inline, and refuses an unknown class either way', async () => {
    pool = new ScreeningPool({ inlineChars: 1_000_000, threads: 1, budgetMs: 60_000 });
    const payload = mailChat(3);
    const result = await pool.screen(payload);
    expect(await pool.redact(payload, result, ['email'], '[{class}]')).toEqual(
      redactPayload(payload, result, ['email'], '[{class}]'),
    );
    const threaded = new ScreeningPool({ inlineChars: 0, threads: 1, budgetMs: 60_000 });
    try {
      for (const [p, r] of [
        [pool, result],
        [threaded, await threaded.screen(payload)],
      ] as const) {
        await expect(p.redact(payload, r, ['email', 'emails'], '[{class}]')).rejects.toMatchObject({
          code: ReasonCode.PolicyOutputInvalid,
          details: { unknown_classes: ['emails'] },
        });
      }
    } finally {
      await threaded.close();
    }
  });

  it('hands back a payload with nothing to redact as it is, without copying it', async () => {
    pool = new ScreeningPool({ inlineChars: 0, threads: 1, budgetMs: 60_000 });
    const payload = mailChat(10);
    const result = await pool.screen(payload);
    expect(result.findings).toEqual({ email: 10 }); // precondition: screened, with spans of another class
    expect(await pool.redact(payload, result, [], '[{class}]')).toBe(payload);
    expect(await pool.redact(payload, result, ['credit_card'], '[{class}]')).toBe(payload);
  });

  it('refuses an oversized payload with 413 before sending it anywhere', async () => {
    pool = new ScreeningPool({ inlineChars: 0, threads: 1 });
    await expect(pool.screen({ prompt: 'x'.repeat(200) }, { maxChars: 100 })).rejects.toMatchObject({
      code: ReasonCode.PayloadTooLarge,
      status: 413,
    });
  });
});

describe('the screening thread', () => {
  let worker: Worker;
  afterEach(async () => {
    await worker?.terminate();
  });

  it('keeps the last two large payloads it screened for their redaction, and says when it no longer has one', async () => {
    worker = newWorker(path.join(__dirname, '../../src/screening'), 'screening-worker');
    const answers: Array<Record<string, unknown>> = [];
    let waiting: (() => void) | undefined;
    worker.on('message', (message: Record<string, unknown>) => {
      answers.push(message);
      waiting?.();
    });
    const ask = async (request: ScreenRequest | RedactRequest): Promise<Record<string, unknown>> => {
      const before = answers.length;
      worker.postMessage(request);
      while (answers.length === before || answers[answers.length - 1]?.id !== request.id)
        await new Promise<void>((resolve) => (waiting = resolve));
      return answers[answers.length - 1] as Record<string, unknown>;
    };
    const redact = (id: number, screenId: number) => ({
      id,
      redact: { screenId, classes: ['email'], format: '[<class>]' },
    });
    const payload = mailChat(2);
    expect(await ask(redact(1, 10))).toEqual({ id: 1, missing: true }); // never screened here
    expect(await ask({ id: 10, payload, maxChars: 1000, keep: true })).toHaveProperty('result');
    expect(await ask(redact(2, 10))).toEqual({
      id: 2,
      redacted: redactPayload(payload, screenPayload(payload), ['email'], '[<class>]'),
    });
    await ask({ id: 11, payload: mailChat(1), maxChars: 1000, keep: true });
    await ask({ id: 13, payload: mailChat(1), maxChars: 1000, keep: false }); // a small one is not kept
    expect(await ask(redact(3, 10))).toHaveProperty('redacted'); // still one of the last two
    await ask({ id: 12, payload: mailChat(1), maxChars: 1000, keep: true });
    expect(await ask(redact(4, 10))).toEqual({ id: 4, missing: true });
  });
});
