import { isDeepStrictEqual } from 'node:util';
import Database from 'better-sqlite3';
import type { Target } from './target';

/** What one request to each contender answered, and the input document C and B were given. */
export interface Agreement {
  /** The policy input modelgate built for A's request, read back from its audit record. */
  input: Record<string, unknown>;
  decideReply: Record<string, unknown>;
  dataResult: unknown;
  opaResult: unknown;
}

async function post(target: Target): Promise<Record<string, unknown>> {
  const res = await fetch(target.url, { method: 'POST', headers: target.headers, body: target.body });
  const body = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200) throw new Error(`${target.name}: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** Returns the policy input of a recorded decision, read straight from the audit database. */
export function recordedInput(dbFile: string, decisionId: string): Record<string, unknown> {
  const db = new Database(dbFile, { readonly: true });
  try {
    const row = db.prepare('SELECT record FROM audit_records WHERE decision_id = ?').get(decisionId) as
      { record: string } | undefined;
    if (!row) throw new Error(`decision ${decisionId} is not in ${dbFile}`);
    return (JSON.parse(row.record) as { input: Record<string, unknown> }).input;
  } finally {
    db.close();
  }
}

/** Makes one decision on a modelgate's /v1/decide and returns the policy input its audit log recorded. */
export async function recordInputOf(decide: Target, dbFile: string): Promise<Record<string, unknown>> {
  const res = await fetch(decide.url, { method: 'POST', headers: decide.headers, body: decide.body });
  const { decision_id } = (await res.json()) as { decision_id: string };
  return recordedInput(dbFile, decision_id);
}

/** Returns how many records the audit database holds per outcome. */
export function recordedOutcomes(dbFile: string): Record<string, number> {
  const db = new Database(dbFile, { readonly: true });
  try {
    const rows = db.prepare('SELECT outcome, count(*) AS n FROM audit_records GROUP BY outcome').all() as {
      outcome: string;
      n: number;
    }[];
    return Object.fromEntries(rows.map((r) => [r.outcome, r.n]));
  } finally {
    db.close();
  }
}

/**
 * Asks A once, takes the input document modelgate built from its audit record, and gives that same
 * document to B and C. Throws unless A allows with the expected obligations and B and C return the
 * same decision: the three contenders must be doing the same work before they are timed.
 */
export async function checkAgreement(
  a: Target,
  aDb: string,
  makeDataTargets: (input: Record<string, unknown>) => { b: Target; c: Target },
): Promise<Agreement> {
  const decideReply = await post(a);
  if (decideReply.allow !== true)
    throw new Error(`A did not allow the benchmark call: ${JSON.stringify(decideReply)}`);
  const input = recordedInput(aDb, decideReply.decision_id as string);
  const { b, c } = makeDataTargets(input);
  const dataResult = (await post(b)).result;
  const opaResult = (await post(c)).result;
  if (!isDeepStrictEqual(dataResult, opaResult)) {
    throw new Error(
      `B and C disagree on the same input:\nB ${JSON.stringify(dataResult)}\nC ${JSON.stringify(opaResult)}`,
    );
  }
  const types = (decideReply.obligations as { type: string }[]).map((o) => o.type).sort();
  if (types.join() !== 'cap_tokens,redact')
    throw new Error(`unexpected obligations: ${JSON.stringify(decideReply)}`);
  return { input, decideReply, dataResult, opaResult };
}
