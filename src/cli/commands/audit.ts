import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { ParseArgsConfig } from 'node:util';
import pino from 'pino';
import { auditMigrations } from '../../audit/audit-migrations';
import { lockAuditLog, type AuditLogLock, type LockPurpose } from '../../audit/audit-log-lock';
import { missingAuditLogError, openDatabase } from '../../audit/database';
import { lineageTree, sqliteLineageSource, type LineageTree } from '../../audit/lineage-query';
import { generateCheckpointKeys, loadCheckpointKey, type Checkpoint } from '../../audit/signed-checkpoints';
import { parseInstant } from '../../audit/time-range';
import { SqliteAuditStore } from '../../audit/sqlite-audit-store';
import type { AuditStore, VerifiedRange, VerifyResult } from '../../audit/audit-store';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { approvalPgMigrations } from '../../postgres/approval-pg-migrations';
import { auditPgMigrations } from '../../postgres/audit-pg-migrations';
import { migratePg } from '../../postgres/pg-migrations';
import { pgLineageSource } from '../../postgres/pg-lineage-source';
import { createPgPool, redactUrl } from '../../postgres/pg-pool';
import { PostgresAuditStore } from '../../postgres/postgres-audit-store';
import { usagePgMigrations } from '../../postgres/usage-pg-migrations';
import { keepWitness, readWitness, WitnessFileError } from '../audit-witness';
import { argumentErrorText, parseCommandArgs, type CliCommand, type CliIo } from '../cli-command';
import { ConfigError, errorText } from '../../errors';
import { unknownWordText } from '../nearest-name';
import { progressReporter } from '../progress';
import { renderLineage } from '../render-lineage';

// A paragraph of its own in every help text, wrapped like the rest of them (under 100 columns).
const DB_HELP = `The database is --db FILE, else $MODELGATE_DB, else the db of $MODELGATE_CONFIG, else
$MODELGATE_DATA_DIR/modelgate.db, else .modelgate/modelgate.db. A shared PostgreSQL log is
--db postgres://…, else $MODELGATE_DATABASE_URL, else database.url of $MODELGATE_CONFIG.`;

const usages = {
  audit: `Usage: modelgate audit <command> [options]

Commands:
  verify   check the hash chain (and, given a public key, the signed checkpoints)
  export   write records as JSON Lines (OPA decision-log fields) or CSV
  prune    delete records older than a date; the rest stays verifiable
  keygen   create an Ed25519 key pair for signed checkpoints
  migrate  copy an SQLite audit log into PostgreSQL and verify the copy
  lineage  show a decision's chain: the decisions that led to it and the ones it led to

${DB_HELP}
Run \`modelgate audit <command> --help\` for its options.`,
  verify: `Usage: modelgate audit verify [--db FILE] [--public-key FILE]... [--witness FILE] [--full] [--json]

Walks the audit log's hash chain and reports "N records, chain intact, head <hash>", or the first
break: where, and whether a record was modified, deleted, inserted or reordered. With --public-key
(repeatable, e.g. during a key rotation) it also checks every signed checkpoint, which detects a
chain rewritten from scratch, and then re-hashes only the records from the last signed checkpoint
on: the records before it are trusted to that checkpoint's signature. It says which seq range it
re-hashed. --full re-hashes every record (run it now and then: only it finds a record edited in
place before the last checkpoint). Without --public-key every record is re-hashed. Progress goes
to stderr when it is a terminal. Opens the database read-only.

--witness FILE (needs --public-key) keeps the last signed checkpoint that verified in FILE and,
from the next run on, requires the log to still hold it: a log rolled back to an earlier head, or
replaced by a consistent chain, with the checkpoints that would contradict it deleted, verifies on
its own but not against the witness. Keep FILE where the database host cannot change it.

${DB_HELP}

Exit status: 0 intact, 1 broken, 2 usage error, 3 could not verify (no such database, an unreadable
key file, a database error).`,
  export: `Usage: modelgate audit export --from DATE --to DATE --format jsonl|csv [--out FILE] [--db FILE]

Writes the records with from <= timestamp < to, oldest first, to FILE (or stdout). DATE is
2026-11-01 (midnight UTC) or a date-time with a zone (2026-11-01T12:00:00Z). JSONL lines use OPA
decision-log field names; CSV is RFC 4180 with a header row. A file is written as FILE.partial
(its folder created) and renamed when complete; SIGINT or SIGTERM removes it. Progress goes to
stderr when it is a terminal.
Opens the database read-only. Written to stdout, it stops when the reader does (\`| head\`).

${DB_HELP}

Exit status: 0 exported, 1 could not export (no such log, a database error, stdout closed before
the end), 2 usage error.`,
  prune: `Usage: modelgate audit prune --before DATE [--db FILE]

Deletes, in one transaction, records older than DATE and records the last deleted record as the
anchor the remaining chain is verified from. Appends wait while it runs (run it off-peak on large
logs). It never creates a log: a path that holds none is refused.

${DB_HELP}

Exit status: 0 pruned (or nothing to prune), 1 could not prune (no such log, a locked log, a
database error), 2 usage error.`,
  keygen: `Usage: modelgate audit keygen --out DIR

Writes DIR/audit-signing.pem (Ed25519 private key, mode 0600) and DIR/audit-signing.pub.pem.
Refuses to overwrite existing files. Configure the private key as audit.checkpoint.private_key_file;
give the public key to \`modelgate audit verify --public-key\`. Keep the private key away from the
audit database's backups: whoever holds it can re-sign a rewritten chain.

Exit status: 0 written, 1 not written (a file exists, the folder cannot be written), 2 usage error.`,
  migrate: `Usage: modelgate audit migrate --to postgres://… [--db FILE] [--public-key FILE]...

Copies the SQLite audit log (records, hash chain, signed checkpoints, prune anchors, usage reports,
approvals) into an empty PostgreSQL database, in one transaction, then verifies the copy and checks
that its head equals the source's. Stop modelgate first: records appended to the SQLite file during
the copy would not be copied, so it refuses to run while a modelgate serves from the file, and a
modelgate started meanwhile is refused. The source must verify first. Each stage shows its progress
on stderr when it is a terminal. Exit status: 0 copied and verified, 1 refused or broken, 2 usage error.`,

  lineage: `Usage: modelgate audit lineage DECISION_ID [--db FILE] [--json]

Shows the chain a decision belongs to: its ancestors (through context.parent_decision_id, up to
the decision that started the chain) and every decision that named it, or one of its descendants,
as its parent; with outcome, reasons, subject, actor, operation, model, purpose and tools. --json
prints what GET /v1/decisions/{id}/lineage returns. When retention pruned an ancestor (or the
chain is deeper than 256), the first line names the parent that is not shown. Opens the database
read-only.

${DB_HELP}

Exit status: 0 found, 1 no such decision, 2 usage error, 3 could not run (no such database, a
database error).`,
};

type Sub = keyof typeof usages;
type Options = NonNullable<ParseArgsConfig['options']>;

const common: Options = { help: { type: 'boolean', short: 'h' }, db: { type: 'string' } };
const optionsOf: Record<Exclude<Sub, 'audit'>, Options> = {
  verify: {
    ...common,
    'public-key': { type: 'string', multiple: true },
    witness: { type: 'string' },
    json: { type: 'boolean' },
    full: { type: 'boolean' },
  },
  export: {
    ...common,
    from: { type: 'string' },
    to: { type: 'string' },
    format: { type: 'string' },
    out: { type: 'string' },
  },
  prune: { ...common, before: { type: 'string' } },
  keygen: { help: { type: 'boolean', short: 'h' }, out: { type: 'string' } },
  migrate: { ...common, to: { type: 'string' }, 'public-key': { type: 'string', multiple: true } },
  lineage: { ...common, json: { type: 'boolean' } },
};

/**
 * Exit status of verify and lineage when they could not look at the log (no database, an unreadable key
 * file, a database error): a script must not take a typo in --db for tampering (1) or a missing decision.
 */
export const EXIT_COULD_NOT_RUN = 3;
const COULD_NOT_RUN: Partial<Record<Sub, string>> = { verify: 'could not verify', lineage: 'could not run' };

// `_` holds the positional arguments (only `lineage` takes one).
type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;
class UsageError extends Error {}

/** `modelgate audit`: verify, export, prune and keygen for the audit log. */
export const auditCommand: CliCommand = {
  name: 'audit',
  summary: 'verify, export or prune the audit log; create checkpoint signing keys',
  usage: usages.audit,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    // `audit help verify` is `audit verify --help`, as `modelgate help audit` is `audit --help`.
    if (sub === 'help' && rest[0] && rest[0] in optionsOf) return auditCommand.run([rest[0], '--help'], io);
    if (!sub || sub === '--help' || sub === '-h' || sub === 'help') {
      io[sub ? 'stdout' : 'stderr'](`${usages.audit}\n`);
      return sub ? 0 : 2;
    }
    if (!(sub in optionsOf)) {
      const near = unknownWordText('modelgate audit', 'command', sub, Object.keys(optionsOf));
      io.stderr(near ?? `modelgate audit: unknown command "${sub}"\n\n${usages.audit}\n`);
      return 2;
    }
    const name = sub as Exclude<Sub, 'audit'>;
    let values: Values = {};
    try {
      const parsed = parseCommandArgs({
        args: rest,
        options: optionsOf[name],
        strict: true,
        allowPositionals: name === 'lineage',
      });
      values = { ...parsed.values, _: parsed.positionals };
      if (values.help) {
        io.stdout(`${usages[name]}\n`);
        return 0;
      }
      return await handlers[name](values, io);
    } catch (err) {
      const parseError = (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
      if (err instanceof UsageError || parseError) {
        io.stderr(`modelgate audit ${name}: ${argumentErrorText(err)}\n\n${usages[name]}\n`);
        return 2;
      }
      // A witness file that holds no signed checkpoint is evidence that does not hold: broken (1), not a typo.
      const failed = err instanceof WitnessFileError ? undefined : COULD_NOT_RUN[name];
      io.stderr(`modelgate audit ${name}: ${failed ? `${failed}: ` : ''}${failureText(err, values)}\n`);
      return failed ? EXIT_COULD_NOT_RUN : 1;
    }
  },
};

const handlers: Record<Exclude<Sub, 'audit'>, (values: Values, io: CliIo) => Promise<number>> = {
  async verify(values, io) {
    const keys = await readPublicKeys(values);
    const witnessFile = typeof values.witness === 'string' ? path.resolve(values.witness) : null;
    if (witnessFile && keys.length === 0) {
      throw new UsageError(
        '--witness needs --public-key: the witness is a signed checkpoint, checked with it',
      );
    }
    // Checked before the walk: a folder that is not there (a volume not mounted) failed after it, at the write.
    if (witnessFile && !existsSync(path.dirname(witnessFile))) {
      throw new ConfigError(
        'witness',
        `the folder ${path.dirname(witnessFile)} does not exist (is its volume mounted?)`,
      );
    }
    const witness = witnessFile ? readWitness(witnessFile) : undefined;
    const store = await openStore(values, io, true);
    try {
      // With keys, the default is incremental: a routine verify of a large log takes seconds.
      const options = keys.length > 0 ? { publicKeys: keys, incremental: values.full !== true, witness } : {};
      const result = await withProgress(io, 'checked', (onProgress) =>
        store.verify({ ...options, onProgress }),
      );
      const kept = result.ok && witnessFile ? keepWitness(witnessFile, result, witness) : undefined;
      io.stdout(
        values.json ? `${JSON.stringify(result, null, 2)}\n` : describe(result) + witnessLine(witness, kept),
      );
      return result.ok ? 0 : 1;
    } finally {
      await store.close();
    }
  },

  async export(values, io) {
    const from = requiredInstant(values, 'from');
    const to = requiredInstant(values, 'to');
    const format = required(values, 'format');
    if (format !== 'jsonl' && format !== 'csv') throw new UsageError('--format must be jsonl or csv');
    const target = typeof values.out === 'string' ? outputFile(values.out) : null;
    const store = await openStore(values, io, true);
    const out = target ? createWriteStream(`${target}.partial`) : stdoutStream(io);
    const progress = progressReporter(io, 'written');
    const stopOnSignal = target ? removeOnSignal(`${target}.partial`) : () => undefined;
    try {
      const { records } = await store.exportRecords({ from, to, format }, out, progress.update);
      out.end();
      await finished(out);
      if (target) renameSync(`${target}.partial`, target);
      progress.done();
      io.stderr(`exported ${records} records${target ? ` to ${target}` : ''}\n`);
      return 0;
    } catch (err) {
      out.destroy();
      if (target) rmSync(`${target}.partial`, { force: true });
      throw err;
    } finally {
      stopOnSignal();
      await store.close();
    }
  },

  async prune(values, io) {
    const before = requiredInstant(values, 'before');
    // Opening takes the write lock too (it upgrades an older log in place).
    const store = await openStore(values, io, false).catch((err: unknown) => {
      throw lockedError(err);
    });
    try {
      const { deleted, anchor } = await store.prune({ before }).catch((err: unknown) => {
        throw lockedError(err);
      });
      io.stdout(
        deleted === 0
          ? `nothing to prune: no records older than ${before} at the start of the log\n`
          : `pruned ${deleted} records older than ${before}; the chain now starts after seq ${anchor!.seq} (hash ${anchor!.hash})\n`,
      );
      return 0;
    } finally {
      await store.close();
    }
  },

  async migrate(values, io) {
    const url = required(values, 'to');
    if (!isPostgresUrl(url)) throw new UsageError('--to must be a postgres:// URL');
    const keys = await readPublicKeys(values);
    const verifyOptions = keys.length > 0 ? { publicKeys: keys } : {};
    const file = await databaseFile(values, io.env);
    const logger = cliLogger(io);
    const source = SqliteAuditStore.open({ path: file, readonly: true, logger });
    // Opened first: a missing source is said as such, and leaves no lock file behind. Locked before it is verified:
    // records appended between the verify and the copy would be left behind, and no head would match.
    let lock: AuditLogLock;
    try {
      lock = lockAuditLog(file, MIGRATE_LOCK);
    } catch (err) {
      await source.close();
      throw err;
    }
    try {
      return await copyToPostgres({ file, source, url, verifyOptions, logger }, io);
    } finally {
      lock.release();
    }
  },

  async keygen(values, io) {
    const keys = generateCheckpointKeys(path.resolve(required(values, 'out')));
    io.stdout(
      `wrote ${keys.privateKeyFile} (private key, mode 0600)\n` +
        `wrote ${keys.publicKeyFile}\n` +
        `key id ${keys.keyId}\n\n` +
        `sign checkpoints:  audit: { checkpoint: { private_key_file: ${keys.privateKeyFile} } }\n` +
        `verify them:       modelgate audit verify --public-key ${keys.publicKeyFile}\n`,
    );
    return 0;
  },

  async lineage(values, io) {
    const ids = (values._ as string[] | undefined) ?? [];
    if (ids.length !== 1) throw new UsageError('give exactly one decision id');
    const id = ids[0] as string;
    const url = await databaseUrl(values, io.env);
    let tree: LineageTree | null;
    if (url) {
      const pool = createPgPool({ url, max: 1, logger: cliLogger(io) });
      await refuseWithoutAuditLog(pool, url);
      try {
        tree = await lineageTree(pgLineageSource(pool), id);
      } finally {
        await pool.end();
      }
    } else {
      const db = openDatabase(await databaseFile(values, io.env), [auditMigrations], { readonly: true });
      try {
        tree = await lineageTree(sqliteLineageSource(db), id);
      } finally {
        db.close();
      }
    }
    if (!tree) {
      io.stderr(`modelgate audit lineage: no decision ${id}\n`);
      return 1;
    }
    io.stdout(values.json ? `${JSON.stringify(tree, null, 2)}\n` : renderLineage(tree));
    return 0;
  },
};

// What a server starting on the log during a migrate is told, and what the migrate is told when one serves.
const MIGRATE_LOCK: LockPurpose = {
  command: 'modelgate audit migrate',
  advice:
    'the copy to PostgreSQL needs a log no one appends to (records appended during the copy would be left ' +
    'behind). Stop modelgate, run the migrate, then start modelgate on PostgreSQL (database.url)',
};

/** The SQLite log being moved to PostgreSQL, verified and locked by the caller. */
interface Migration {
  file: string;
  source: SqliteAuditStore;
  url: string;
  verifyOptions: { publicKeys?: string[] };
  logger: Logger;
}

// Verifies the source, copies it into PostgreSQL, and checks that the copy verifies to the same head.
async function copyToPostgres(migration: Migration, io: CliIo): Promise<number> {
  const { file, source, url, verifyOptions, logger } = migration;
  const before = await withProgress(io, 'checked in the source', (onProgress) =>
    source.verify({ ...verifyOptions, onProgress }),
  ).finally(() => source.close());
  if (!before.ok) {
    io.stderr(`not migrating: the source log is broken\n${describe(before)}`);
    return 1;
  }
  const { copySqliteToPostgres } = await import('../../postgres/copy-sqlite-to-postgres');
  const pg = await openPostgres(url, logger, 'new');
  try {
    const db = openDatabase(file, [], { readonly: true });
    let counts: Record<string, number>;
    try {
      counts = await withProgress(
        io,
        'copied to PostgreSQL',
        (onProgress) => copySqliteToPostgres(db, pg.pool, onProgress),
        'rows',
      );
    } finally {
      db.close();
    }
    const after = await withProgress(io, 'checked in the copy', (onProgress) =>
      pg.store.verify({ ...verifyOptions, onProgress }),
    );
    const copied = Object.entries(counts)
      .map(([table, n]) => `${n} ${table}`)
      .join(', ');
    if (!after.ok || after.head !== before.head || after.records !== before.records) {
      io.stderr(`copied ${copied}, but the copy does not verify as the source does:\n${describe(after)}`);
      return 1;
    }
    io.stdout(`copied ${copied} to ${redactUrl(url)}\ncopy verified: ${describe(after)}`);
    return 0;
  } finally {
    await pg.store.close();
  }
}

// Runs one long stage of a command with its own progress line (on a terminal), ended when the stage ends.
async function withProgress<T>(
  io: CliIo,
  verb: string,
  stage: (onProgress: (done: number) => void) => Promise<T>,
  unit?: string,
): Promise<T> {
  const progress = progressReporter(io, verb, unit);
  try {
    return await stage((done) => progress.update({ records: done }));
  } finally {
    progress.done();
  }
}

function describe(result: VerifyResult): string {
  if (!result.ok) {
    const where = result.first_bad.decision_id ? ` (decision ${result.first_bad.decision_id})` : '';
    return (
      `chain broken at seq ${result.first_bad.seq}${where}: ${result.problem}\n` +
      `  ${result.message}\n  ${result.records_checked} records checked before the break` +
      (result.range ? ` ${walked(result.range)}\n` : '\n')
    );
  }
  const range = result.range;
  const trusted = range.trusted_checkpoint;
  let text = trusted
    ? `chain intact from the signed checkpoint at seq ${trusted.seq} to the head, head ${result.head}\n` +
      `incremental: re-hashed seq ${range.from_seq} to ${range.to_seq} (${result.records} records); the records ` +
      `before seq ${trusted.seq} were not re-read: the checkpoint signed ${trusted.signed_at} vouches for them ` +
      `(--full re-hashes every record)\n`
    : `${result.records} records, chain intact, head ${result.head}\n`;
  if (result.anchor)
    text += `the chain starts after seq ${result.anchor.seq}, pruned ${result.anchor.pruned_at}\n`;
  const cp = result.checkpoints;
  if (cp) {
    // With keys the range is always said; without, "N records" already says every record was re-hashed.
    if (!trusted) text += `full: re-hashed every record, ${spanOf(range)}\n`;
    text +=
      cp.verified === 0
        ? `no signed checkpoints: ${cp.unsigned_records} records are covered by the hash chain only\n`
        : `${cp.verified} signed checkpoints verified, the last at seq ${cp.last_seq}` +
          (cp.unsigned_records > 0 ? `; ${cp.unsigned_records} later records are not signed yet\n` : '\n');
  }
  return text;
}

// What the witness proved and what it holds now; nothing when no --witness was given or the verify failed.
function witnessLine(before: Checkpoint | undefined, after: Checkpoint | undefined): string {
  if (!after) return '';
  const seen = before
    ? `the checkpoint at seq ${before.seq} that an earlier verify saw is still in the log; `
    : 'no witness yet: ';
  return `${seen}the witness now holds the checkpoint at seq ${after.seq}\n`;
}

function walked(range: VerifiedRange): string {
  return range.trusted_checkpoint
    ? `(incremental, from the signed checkpoint at seq ${range.trusted_checkpoint.seq}: ${spanOf(range)})`
    : `(${range.mode}: ${spanOf(range)})`;
}

function spanOf(range: VerifiedRange): string {
  return range.from_seq === null ? 'no records' : `seq ${range.from_seq} to ${range.to_seq}`;
}

// Each --public-key file, read and checked here: the store's own check names neither the option nor the file.
async function readPublicKeys(values: Values): Promise<string[]> {
  const files = (values['public-key'] as string[] | undefined) ?? [];
  return Promise.all(
    files.map(async (file) => {
      const pem = await readFile(file, 'utf8');
      try {
        loadCheckpointKey(pem);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        throw new ConfigError('public-key', `${file} ${err.detail}`, { cause: err });
      }
      return pem;
    }),
  );
}

async function openStore(values: Values, io: CliIo, readonly: boolean): Promise<AuditStore> {
  const logger = cliLogger(io);
  const url = await databaseUrl(values, io.env);
  if (url) return (await openPostgres(url, logger, readonly ? 'read' : 'write')).store;
  const file = await databaseFile(values, io.env);
  // Only `serve` starts a log: prune given a mistyped path would create an empty one and "prune" it, exit 0.
  if (!readonly && !existsSync(file)) throw missingAuditLogError(file);
  return SqliteAuditStore.open({ path: file, readonly, logger });
}

// The store logs through pino; on the terminal only warnings and errors belong on stderr.
function cliLogger(io: CliIo): Logger {
  return pino({ level: 'warn' }, { write: (line: string) => io.stderr(line) });
}

/**
 * How a command uses a PostgreSQL log: `read` never migrates (verifying a database must not change it); `write`
 * (prune) upgrades a log that exists; `new` (the target of audit migrate) creates the tables. Only `new` accepts a
 * database without a log: a prune given a wrong database name created the tables there, pruned nothing, exit 0.
 */
type PgUse = 'read' | 'write' | 'new';

async function openPostgres(
  url: string,
  logger: Logger,
  use: PgUse,
): Promise<{ pool: Pool; store: PostgresAuditStore }> {
  const pool = createPgPool({ url, max: 2, logger });
  if (use !== 'new') await refuseWithoutAuditLog(pool, url);
  if (use !== 'read') {
    await migratePg(pool, [auditPgMigrations, usagePgMigrations, approvalPgMigrations], logger).catch(
      async (err: unknown) => {
        await pool.end();
        throw err;
      },
    );
  }
  return { pool, store: new PostgresAuditStore({ pool, ownsPool: true, logger }) };
}

// A reader does not migrate, so a database no modelgate wrote (a wrong name) failed at its first query, as an
// outage: the service's "decisions fail closed" logged, then "the audit log cannot be read (42P01)"; a prune
// created the tables there.
async function refuseWithoutAuditLog(pool: Pool, url: string): Promise<void> {
  const { rows } = await pool
    .query<{ present: boolean }>(`SELECT to_regclass('modelgate_migrations') IS NOT NULL AS present`)
    .catch(async (err: unknown) => {
      await pool.end();
      throw err;
    });
  if (rows[0]?.present) return;
  await pool.end();
  throw new ConfigError(
    'db',
    `${redactUrl(url)} holds no modelgate audit log (no modelgate_migrations table): check the database name; ` +
      'a new one gets its tables from modelgate serve or audit migrate',
  );
}

function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//.test(value);
}

async function databaseUrl(values: Values, env: NodeJS.ProcessEnv): Promise<string | null> {
  if (typeof values.db === 'string') return isPostgresUrl(values.db) ? values.db : null;
  if (env.MODELGATE_DB) return null;
  if (env.MODELGATE_DATABASE_URL) return env.MODELGATE_DATABASE_URL;
  if (env.MODELGATE_CONFIG) {
    const { loadConfig } = await import('../../config/load-config');
    return loadConfig(env).database?.url ?? null;
  }
  return null;
}

async function databaseFile(values: Values, env: NodeJS.ProcessEnv): Promise<string> {
  if (typeof values.db === 'string') return path.resolve(values.db);
  if (env.MODELGATE_DB) return path.resolve(env.MODELGATE_DB);
  if (env.MODELGATE_CONFIG || env.MODELGATE_DATA_DIR) {
    // Only then: the service's own resolution of `db` (its config file's, relative to that file, else
    // <data_dir>/modelgate.db), so that the environment `serve` runs with finds the same file here.
    const { loadConfig } = await import('../../config/load-config');
    return loadConfig(env).db;
  }
  return path.resolve('.modelgate', 'modelgate.db');
}

// A path typed after --db is the command line's, not the config file's: "config: db:" sent readers there.
function failureText(err: unknown, values: Values): string {
  if (err instanceof ConfigError && values[err.key] !== undefined) return `--${err.key}: ${err.detail}`;
  return errorText(err);
}

// Checked before the log is read: a folder given as --out failed at the rename, after the whole export. Its
// folder is created, as bundle build's and test-bundle's are.
function outputFile(out: string): string {
  const file = path.resolve(out);
  if (existsSync(file) && statSync(file).isDirectory()) {
    throw new UsageError(`--out ${file} is a folder; name a file in it`);
  }
  mkdirSync(path.dirname(file), { recursive: true });
  return file;
}

/**
 * Until the returned function is called, SIGINT or SIGTERM removes `file` and then ends the process as the signal
 * would have: Ctrl-C or a cron job's `timeout` left megabytes of an export that would never finish.
 */
function removeOnSignal(file: string): () => void {
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const stop = () => signals.forEach((signal) => process.off(signal, onSignal));
  const onSignal = (signal: NodeJS.Signals) => {
    stop();
    rmSync(file, { force: true });
    process.kill(process.pid, signal);
  };
  signals.forEach((signal) => process.once(signal, onSignal));
  return stop;
}

// SQLite's "database is locked" says neither what holds it nor whether anything was deleted (nothing was).
function lockedError(err: unknown): unknown {
  if ((err as { code?: string }).code !== 'SQLITE_BUSY') return err;
  return new Error(
    'the audit log is locked: another connection holds a write transaction on it (another prune, or a program ' +
      'stuck in one); nothing was pruned, try again',
    { cause: err },
  );
}

function required(values: Values, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

// Checked before the database is opened: a mistyped date is a usage error, not a failed run.
function requiredInstant(values: Values, name: string): string {
  const value = required(values, name);
  try {
    parseInstant(value, name);
  } catch (err) {
    throw new UsageError((err as Error).message, { cause: err });
  }
  return value;
}

// io.stdout has no backpressure signal: exports of large logs belong in --out files. A reader gone fails the
// stream, which ends the export: reading the rest of the log for no one took minutes and ended in "exported N".
function stdoutStream(io: CliIo): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (io.readerGone?.()) {
        done(new Error('stdout was closed (its reader went away); the export is incomplete'));
        return;
      }
      io.stdout(chunk.toString('utf8'));
      done();
    },
  });
}
