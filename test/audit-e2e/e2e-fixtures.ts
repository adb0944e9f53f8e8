/**
 * Identities, calls and database readers shared by the end-to-end audit tests. The databases are read
 * with a connection of the test's own, straight from the file: never through modelgate's API.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync } from 'node:fs';
import Database from 'better-sqlite3';

export const CODEGEN = 'spiffe://corp/ci/codegen-pipeline';
export const SUPPORT = 'spiffe://corp/support/reply-bot';
export const FINANCE = 'spiffe://corp/finance/invoice-assistant';
export const STRANGER = 'spiffe://corp/stranger';
/** Not in the policy's entitlements: it only reads the audit log. */
export const AUDITOR = 'spiffe://corp/security/auditor';
export const AUDIT_SCOPE = 'modelgate:audit';

/** A token's claims and a body for POST /v1/decide. */
export interface Call {
  claims: Record<string, unknown>;
  body: Record<string, unknown>;
}

/** The default policy allows this: code generation from an approved repository in CI. */
export const codegenAllowed: Call = {
  claims: { sub: CODEGEN, scope: 'invoke:codegen' },
  body: {
    invocation: {
      model: 'anthropic.claude-sonnet',
      provider: 'bedrock',
      operation: 'completion',
      max_tokens: 4096,
    },
    context: { environment: 'ci', repository: 'corp/webapp' },
  },
};

/** The default policy denies this with repository_not_allowed. */
export const codegenDenied: Call = {
  claims: codegenAllowed.claims,
  body: { ...codegenAllowed.body, context: { environment: 'ci', repository: 'corp/payments' } },
};

/** The default policy allows this, capped at 2048 tokens, redacting personal data. */
export const supportAllowed: Call = {
  claims: { sub: SUPPORT, scope: 'invoke:support' },
  body: {
    invocation: {
      model: 'anthropic.claude-haiku',
      provider: 'bedrock',
      operation: 'chat',
      purpose: 'support-reply',
    },
  },
};

/** The default policy denies this with unknown_subject. */
export const strangerDenied: Call = {
  claims: { sub: STRANGER },
  body: { invocation: { model: 'anthropic.claude-sonnet', operation: 'chat' } },
};

/** Returns the decision ids the database file holds. */
export function storedDecisionIds(dbFile: string): Set<string> {
  return withReader(dbFile, (db) => {
    const rows = db.prepare('SELECT decision_id FROM audit_records').all() as { decision_id: string }[];
    return new Set(rows.map((r) => r.decision_id));
  });
}

/** Returns the SHA-256 of every row of every table: equal digests mean nothing stored changed. */
export function rowDigest(dbFile: string): string {
  return withReader(dbFile, (db) => {
    const tables = db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`).all() as {
      name: string;
    }[];
    const hash = createHash('sha256');
    for (const { name } of tables) {
      hash.update(`${name}\n`);
      for (const row of db.prepare(`SELECT * FROM "${name}" ORDER BY 1, 2`).iterate()) {
        hash.update(`${JSON.stringify(row)}\n`);
      }
    }
    return hash.digest('hex');
  });
}

/** Returns what a read-only connection of its own computes from the database file. */
export function withReader<T>(dbFile: string, read: (db: Database.Database) => T): T {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/** Runs SQL on the file through a connection of its own, as an attacker with file access would. */
export function tamper(dbFile: string, sql: string, ...params: unknown[]): void {
  const db = new Database(dbFile, { fileMustExist: true });
  try {
    db.prepare(sql).run(...params);
  } finally {
    db.close();
  }
}

/** Copies a closed database (and its WAL, if one was left behind) to `target`. */
export function copyDatabase(source: string, target: string): string {
  copyFileSync(source, target);
  if (existsSync(`${source}-wal`)) copyFileSync(`${source}-wal`, `${target}-wal`);
  return target;
}
