import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildBundle, REGO_DIR } from '../helpers/opa';

export const CODEGEN = { sub: 'spiffe://corp/ci/codegen-pipeline', scope: 'invoke:codegen' };
export const SUPPORT = { sub: 'spiffe://corp/support/reply-bot', scope: 'invoke:support' };
export const SUMMARIZER = { sub: 'spiffe://corp/data/doc-summarizer', scope: 'invoke:summarize' };
export const AUDITOR = { sub: 'spiffe://corp/security/auditor', scope: 'modelgate:audit' };
export const HAIKU = 'anthropic.claude-haiku';
export const SONNET = 'anthropic.claude-sonnet';

/** A /v1/decide body for the support bot. */
export function supportCall(model: string, purpose = 'support-reply') {
  return {
    invocation: { model, provider: 'bedrock', operation: 'chat', purpose, max_tokens: 1024 },
    payload: { messages: [{ role: 'user', content: 'Where is my parcel?' }] },
  };
}

/** A /v1/decide body for the CI pipeline. */
export function codegenCall(model: string, repository = 'corp/webapp') {
  return {
    invocation: { model, provider: 'bedrock', operation: 'completion', max_tokens: 2048 },
    context: { environment: 'ci', repository },
  };
}

/** A /v1/decide body for the data team (5 requests a minute). */
export function summaryCall() {
  return { invocation: { model: HAIKU, operation: 'chat', purpose: 'document-summary', max_tokens: 200 } };
}

/**
 * Builds, with the real `opa build`, the shipped policy with `edit` applied to a copy of its
 * entitlements data; returns the bundle's path.
 */
export function buildEditedBundle(
  edit: (subjects: Record<string, Record<string, unknown>>) => void,
  revision: string,
): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-candidate-'));
  const rego = path.join(dir, 'rego');
  cpSync(REGO_DIR, rego, { recursive: true });
  const dataFile = path.join(rego, 'entitlements', 'data.json');
  const data = JSON.parse(readFileSync(dataFile, 'utf8')) as {
    subjects: Record<string, Record<string, unknown>>;
  };
  edit(data.subjects);
  writeFileSync(dataFile, JSON.stringify(data, null, 2));
  return buildBundle(
    rego,
    path.join(dir, 'candidate.tar.gz'),
    ['modelgate/decision', 'modelgate/limits'],
    revision,
  );
}

/**
 * Builds the shipped policy plus a deny rule that never holds but costs `n`² comparisons of the WASM engine per
 * evaluation, and no memory: a candidate whose every decision takes seconds, as a careless (or hostile) rule can.
 */
export function buildSlowBundle(n: number): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-slow-candidate-'));
  const rego = path.join(dir, 'rego');
  cpSync(REGO_DIR, rego, { recursive: true });
  writeFileSync(
    path.join(rego, 'modelgate', 'slow.rego'),
    [
      'package modelgate',
      '',
      `deny contains reason("slow", "never") if {`,
      `\trange := numbers.range(1, ${n})`,
      '\tsome i in range',
      '\tsome j in range',
      '\ti < j',
      '\ti == 0',
      '}',
      '',
    ].join('\n'),
  );
  return buildBundle(rego, path.join(dir, 'slow.tar.gz'), ['modelgate/decision', 'modelgate/limits'], 'slow');
}
