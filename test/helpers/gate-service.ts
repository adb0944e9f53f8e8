import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { opaBinary } from './opa';
import { startTestService, type TestService } from './service';
import { waitFor } from './wait-for';

/** The policy the integration tests run against (see its header for the rules). */
export const GATE_POLICY_DIR = path.resolve(__dirname, '..', '..', 'integrations', 'testdata', 'gate-policy');

/** Starts a real modelgate on the gate policy, built by the real `opa build` into a fresh temp folder. */
export async function startGateService(): Promise<TestService> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-gate-'));
  const bundle = path.join(dir, 'gate.tar.gz');
  execFileSync(
    opaBinary(),
    [
      'build',
      '-t',
      'wasm',
      '--revision',
      'gate-test',
      '-e',
      'modelgate/decision',
      '-o',
      bundle,
      GATE_POLICY_DIR,
    ],
    { stdio: 'pipe' },
  );
  return startTestService({ bundle });
}

/** A usage report as modelgate recorded it. */
export interface RecordedUsage {
  input_tokens: number;
  output_tokens: number;
}

/** Returns the usage report modelgate recorded for a decision, read from the database file. */
export function usageReport(dbFile: string, decisionId: string): RecordedUsage | undefined {
  const db = new Database(dbFile, { readonly: true });
  try {
    return db
      .prepare('SELECT input_tokens, output_tokens FROM usage_reports WHERE decision_id = ?')
      .get(decisionId) as RecordedUsage | undefined;
  } finally {
    db.close();
  }
}

/** Returns the usage report of a decision once it is recorded: a gateway sends it after the reply, detached. */
export async function waitForUsageReport(dbFile: string, decisionId: string): Promise<RecordedUsage> {
  let report: RecordedUsage | undefined;
  await waitFor(
    `the usage report of ${decisionId}`,
    () => (report = usageReport(dbFile, decisionId)) !== undefined,
    10_000,
  );
  return report!;
}
