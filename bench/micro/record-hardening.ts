/**
 * CPU per decision of what issue #13 added to the request path, on the benchmark's own request:
 * strict JSON parsing of the body (vs JSON.parse), the record's claims (main thread), its bounding and
 * screening (writer thread), and its serialisation on the main thread (JSON.stringify, which replaced the
 * structured clone of the batch; validation and canonical JSON are in the writer thread too).
 *
 *   npx tsx bench/micro/record-hardening.ts
 */
import { boundRecord, DEFAULT_RECORD_LIMITS } from '../../src/audit/bound-record';
import { prepareRecord } from '../../src/audit/prepare-record';
import type { AuditRecordV1 } from '../../src/audit/audit-record';
import { storableRecord, withRecordedClaims } from '../../src/decision/record-privacy';
import { buildVerifiedIdentity, tokenSha256 } from '../../src/identity/verified-identity';
import { parseStrictJson } from '../../src/schemas/strict-json';
import { benchClaims, decideBody } from '../lib/workload';
import { benchPolicyInput } from './policy-input-fixture';

const identity = buildVerifiedIdentity(benchClaims(1), tokenSha256('bench'));
const body = JSON.stringify(decideBody());
const input = benchPolicyInput();
const record = {
  decision_id: '0193a8f2-6b1c-7d2e-8f30-1a2b3c4d5e6f',
  timestamp: new Date().toISOString(),
  path: '/v1/decide',
  outcome: 'allowed',
  status: 200,
  subject: identity.subject.id,
  issuer: identity.subject.issuer,
  actor: null,
  token_id: identity.tokenId,
  model: input.invocation.model,
  provider: input.invocation.provider ?? null,
  operation: input.invocation.operation,
  purpose: input.invocation.purpose ?? null,
  input,
  result: { allow: true, reasons: [], obligations: [{ type: 'cap_tokens', max_tokens: 1024 }] },
  reasons: [],
  obligations: [{ type: 'cap_tokens', max_tokens: 1024 }],
  max_tokens: 1024,
  bundle: { name: 'modelgate', revision: 'bench' },
  latency_ms: 1,
  client_address: '127.0.0.1',
} as unknown as AuditRecordV1;

function time(name: string, fn: () => unknown, n = 20_000): void {
  for (let i = 0; i < 2_000; i++) fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  console.log(`${name.padEnd(44)} ${(Number(process.hrtime.bigint() - start) / n / 1000).toFixed(1)} µs`);
}

console.log(`body ${body.length} bytes`);
time('JSON.parse (before)', () => JSON.parse(body));
time('parseStrictJson (after)', () => parseStrictJson(body));
time('JSON.stringify of the record (main thread)', () => JSON.stringify(record));
time('prepareRecord (writer thread, as before)', () => prepareRecord(record));
time('withRecordedClaims (main thread)', () => withRecordedClaims(record, identity));
time('boundRecord', () => boundRecord(record));
time('storableRecord: bound + screen (writer thread)', () =>
  storableRecord(record, { limits: DEFAULT_RECORD_LIMITS, redactionFormat: '[REDACTED:<class>]' }),
);
