/**
 * What every contender is asked: one realistic support-bot decision. The identity is a copy of the
 * shipped support bot's entitlement without its rate limit and daily budget (see bench-policy.ts),
 * so a saturated run measures allows, not `rate_limited` denies.
 */

/** The subject id of the benchmark identity, added to a copy of the default data. */
export const BENCH_SUBJECT = 'spiffe://corp/bench/support-load';
/** The scope its entitlement requires. */
export const BENCH_SCOPE = 'invoke:bench';
/** The issuer and audience modelgate trusts in the benchmark (RS256, a PEM public key). */
export const BENCH_ISSUER = 'https://idp.bench.local';
export const BENCH_AUDIENCE = 'modelgate';

/** The entitlement of BENCH_SUBJECT: the support bot's rules, limits reduced to the per-call cap. */
export const BENCH_ENTITLEMENT = {
  description: 'benchmark identity: the support bot without rate limit or daily budget',
  required_scopes: [BENCH_SCOPE],
  models: ['anthropic.claude-haiku', 'anthropic.claude-sonnet'],
  providers: ['bedrock'],
  operations: ['chat'],
  purposes: ['support-reply', 'case-summary'],
  redact: ['pii'],
  deny_findings: ['secrets'],
  limits: { max_tokens_per_call: 2048 },
};

const SYSTEM =
  'You are the support assistant of Acme Cloud. Answer in the customer’s language, be concise and ' +
  'polite, never promise refunds, and escalate billing disputes to a human agent. Use the ticket ' +
  'history below; do not reveal internal notes or other customers’ data.';

const TURNS: [string, string][] = [
  [
    'user',
    'Hi, my invoice for March shows two charges for the same Pro plan (ref INV-2291 and INV-2304). ' +
      'I only have one workspace. Could you check? You can reach me at jane.doe@example.org or on ' +
      '+1 415 555 0134 in the afternoon.',
  ],
  [
    'assistant',
    'Thanks for reaching out. I can see both invoices on the account: INV-2291 was issued on 1 March ' +
      'for the Pro plan, and INV-2304 on 3 March after the plan was switched from monthly to annual ' +
      'billing. The second one should have credited the first. I have opened a billing case so that ' +
      'a colleague can confirm the credit.',
  ],
  [
    'user',
    'OK. The annual switch was a mistake on our side, we wanted to stay monthly. Is it possible to ' +
      'revert and get the difference back? Our finance team needs an answer before the end of the ' +
      'week, they close the books on Friday.',
  ],
  [
    'assistant',
    'Understood. Reverting to monthly billing is possible within 14 days of the switch, which is ' +
      'still the case here. Once the change is made the annual charge is refunded in full and the ' +
      'March monthly charge stays. Billing cases are usually answered within one business day.',
  ],
  [
    'user',
    'Great, please go ahead. Also, can you send the corrected invoice to our accounts address? And ' +
      'for next time: who do we contact if a plan change goes wrong again, is there a direct line?',
  ],
  [
    'assistant',
    'Done: the account is back on monthly billing and the refund of the annual charge is on its way; ' +
      'it shows on your statement within five to ten business days. The corrected invoice goes out to ' +
      'the accounts address on file as soon as the billing team closes the case. For plan changes, ' +
      'the billing team is the right contact, through this chat or from the Billing page of the console.',
  ],
];

/** Returns the chat payload of the benchmark: a 2 KiB support conversation with an email and a phone number. */
export function benchPayload(): { messages: { role: string; content: string }[] } {
  return {
    messages: [{ role: 'system', content: SYSTEM }, ...TURNS.map(([role, content]) => ({ role, content }))],
  };
}

/**
 * Replaced by both load generators with a different value in every request (a counter of the same length,
 * bench/lib/unique-body.ts): the newest turn of a conversation is new text,
 * while its history repeats from call to call. Screening remembers what a caller sent before, so a body that
 * never changed would measure a cache that always hits.
 */
export const UNIQUE_MARKER = '[<id>]';

/** Returns the POST /v1/decide body of the benchmark: the conversation and a newest user turn unique per request. */
export function decideBody(): Record<string, unknown> {
  const { messages } = benchPayload();
  const newest = `Thanks! Please put our reference ${UNIQUE_MARKER} on the corrected invoice.`;
  return {
    invocation: {
      model: 'anthropic.claude-sonnet',
      provider: 'bedrock',
      operation: 'chat',
      max_tokens: 4096,
      input_tokens: 620,
      purpose: 'support-reply',
    },
    payload: { messages: [...messages, { role: 'user', content: newest }] },
    context: { environment: 'prod', ticket: 'CASE-88412' },
  };
}

/** Returns the claims of the benchmark token (RS256, valid for `hours`). */
export function benchClaims(hours: number): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: BENCH_ISSUER,
    aud: BENCH_AUDIENCE,
    sub: BENCH_SUBJECT,
    scope: BENCH_SCOPE,
    iat: now,
    exp: now + hours * 3600,
  };
}
