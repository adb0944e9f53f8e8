/**
 * Someone with write access to the audit database, but not the signing key, rewrites the records the service has
 * not signed yet while it runs (a denied decision made to read allowed, every later hash recomputed). The chain
 * stays consistent, so the service used to extend it and sign its head at the next checkpoint, vouching for the
 * rewrite. It must refuse instead: every decision 503 audit_unavailable, and no checkpoint over the forged head.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { generateCheckpointKeys } from '../../src/audit';
import { auditCount, forgeChain } from '../helpers/audit-db';
import { startTestService, type TestService } from '../helpers/service';
import { supportAllowed } from './e2e-fixtures';

// Recomputes the whole chain with every record marked allowed: what an attacker without the key can do.
function rewriteAsAllowed(file: string): void {
  forgeChain(file, (record) => {
    record.outcome = 'allowed';
  });
}

function checkpointCount(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM audit_checkpoints').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('the unsigned records are rewritten while serving', () => {
  let svc: TestService;
  let keysDir: string;
  let closed = false;
  beforeAll(async () => {
    keysDir = mkdtempSync(join(os.tmpdir(), 'mg-chain-keys-'));
    const keys = generateCheckpointKeys(join(keysDir, 'keys'));
    svc = await startTestService({
      audit: {
        synchronous: 'FULL',
        checkpoint: { privateKeyFile: keys.privateKeyFile, everyRecords: 1000, everySeconds: 3600 },
      },
    });
  });
  afterAll(async () => {
    if (!closed) await svc?.close();
    if (svc) rmSync(svc.dir, { recursive: true, force: true });
    rmSync(keysDir, { recursive: true, force: true });
  });

  it('answers 503 audit_unavailable from then on, and signs no checkpoint over the forged head', async () => {
    const denied = await svc.post(
      '/v1/decide',
      supportAllowed.body,
      svc.token({ sub: 'spiffe://corp/nobody' }),
    );
    const allowed = await svc.post('/v1/decide', supportAllowed.body, svc.token(supportAllowed.claims));
    expect([denied.body.allow, allowed.body.allow]).toEqual([false, true]);
    const recorded = auditCount(svc.db);
    expect(checkpointCount(svc.db)).toBe(0);

    rewriteAsAllowed(svc.db);

    const after = await svc.post('/v1/decide', supportAllowed.body, svc.token(supportAllowed.claims));
    expect([after.status, after.body.allow]).toEqual([503, false]);
    expect((after.body.reasons as { code: string }[]).map((r) => r.code)).toEqual(['audit_unavailable']);
    await svc.close();
    closed = true;
    expect(auditCount(svc.db)).toBe(recorded);
    expect(checkpointCount(svc.db)).toBe(0);
  });
});
