import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { auditMigrations } from '../../audit/audit-migrations';
import { openDatabase } from '../../audit/database';
import { parseSince } from '../../audit/relative-time';
import { parseInstant } from '../../audit/time-range';
import { loadConfig } from '../../config/load-config';
import { readBundle } from '../../policy/bundle';
import { DEFAULT_ENTITLEMENTS_PATH } from '../../reports/entitlement-grants';
import { privilegesReport } from '../../reports/privileges';
import { parseCommandArgs, type CliCommand } from '../cli-command';
import { unknownWordText } from '../nearest-name';
import { renderPrivilegesCsv, renderPrivilegesTable } from '../render-privileges';
import { configuredPostgresRefusal, postgresDbRefusal } from '../sqlite-only';

const usage = `Usage: modelgate report privileges [--since 30d] [--until DATE] [--subject ID]
                                 [--format table|json|csv] [--patch FILE] [--bundle FILE]
                                 [--db FILE]

For each subject, what its entitlements grant (models, operations, purposes, tools, budgets, read
from the bundle's data at reports.entitlements_path, default ${DEFAULT_ENTITLEMENTS_PATH}) against what
its allowed /v1/decide calls used in the period: grants never used, budgets far above peak use
(peak below a quarter of the grant), and denials that suggest a missing grant.

  --since WHEN    30m, 24h, 7d, 4w, or an RFC 3339 date / date-time with a zone (default 30d)
  --until DATE    end of the period, an RFC 3339 date / date-time with a zone (default now)
  --subject ID    one subject only (default: every entitled subject, and every one the log saw)
  --format F      table (default), json or csv
  --patch FILE    also write the entitlements with unused grants removed and far-too-high budgets
                  lowered to twice the peak: a proposal to review, never applied by modelgate
  --bundle FILE   the bundle whose grants to read (default: the service's configured bundle)
  --db FILE       the SQLite audit database (default: the service's configured one; with
                  database.url set, report reads only the SQLite file given here)

Opens the database read-only. Exit status: 0 done, 1 could not run, 2 usage error.`;

/** `modelgate report privileges`: granted against used entitlements. */
export const reportCommand: CliCommand = {
  name: 'report',
  summary: 'report granted against used privileges per subject (report privileges)',
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    let values;
    let fromMs: number;
    let toMs: number | undefined;
    try {
      if (sub === '--help' || sub === '-h' || sub === 'help') {
        io.stdout(`${usage}\n`);
        return 0;
      }
      if (sub === undefined) throw new TypeError('name the report: modelgate report privileges');
      const near =
        sub === 'privileges' ? null : unknownWordText('modelgate report', 'report', sub, ['privileges']);
      if (near) {
        io.stderr(near);
        return 2;
      }
      if (sub !== 'privileges') throw new TypeError(`unknown report "${sub}"; the report is privileges`);
      ({ values } = parseCommandArgs({
        args: rest,
        options: {
          since: { type: 'string', default: '30d' },
          until: { type: 'string' },
          subject: { type: 'string' },
          format: { type: 'string', default: 'table' },
          patch: { type: 'string' },
          bundle: { type: 'string' },
          db: { type: 'string' },
          help: { type: 'boolean', short: 'h', default: false },
        },
      }));
      if (values.help) {
        io.stdout(`${usage}\n`);
        return 0;
      }
      if (!['table', 'json', 'csv'].includes(values.format))
        throw new TypeError('--format must be table, json or csv');
      const postgresDb = postgresDbRefusal('report', values.db);
      if (postgresDb) throw new TypeError(postgresDb);
      fromMs = parseSince(values.since, Date.now());
      toMs = values.until === undefined ? undefined : parseInstant(values.until, 'until');
    } catch (err) {
      io.stderr(`modelgate report: ${(err as Error).message}\n\n${usage}\n`);
      return 2;
    }
    const config = loadConfig(io.env);
    const refusal = values.db ? null : configuredPostgresRefusal('report', config);
    if (refusal) {
      io.stderr(`modelgate report: ${refusal}\n`);
      return 1;
    }
    const bundle = await readBundle(
      values.bundle ? path.resolve(values.bundle) : config.bundle,
      config.bundleName,
    );
    const db = openDatabase(values.db ? path.resolve(values.db) : config.db, [auditMigrations], {
      readonly: true,
    });
    try {
      const { report, tightened } = privilegesReport(db, bundle, {
        fromMs,
        toMs,
        subject: values.subject,
        entitlementsPath: config.reports?.entitlementsPath ?? DEFAULT_ENTITLEMENTS_PATH,
      });
      if (values.format === 'json') io.stdout(`${JSON.stringify(report, null, 2)}\n`);
      else io.stdout(values.format === 'csv' ? renderPrivilegesCsv(report) : renderPrivilegesTable(report));
      if (values.patch) {
        const file = path.resolve(values.patch);
        mkdirSync(path.dirname(file), { recursive: true });
        // The same shape as rego/entitlements/data.json, so a reviewer can diff and adopt it.
        writeFileSync(file, `${JSON.stringify({ subjects: tightened }, null, 2)}\n`);
        io.stderr(`wrote the proposed entitlements to ${file}; review it, nothing was applied\n`);
      }
      return 0;
    } finally {
      db.close();
    }
  },
};
