import path from 'node:path';
import { auditMigrations } from '../../audit/audit-migrations';
import { openDatabase } from '../../audit/database';
import { scanDecisions } from '../../audit/decision-scan';
import { parseSince } from '../../audit/relative-time';
import { parseInstant } from '../../audit/time-range';
import { loadConfig } from '../../config/load-config';
import { failingKinds, parseFailOn } from '../../replay/fail-on';
import { loadReplayEngine } from '../../replay/load-engine';
import { renderReplay } from '../../replay/render-replay';
import { replay } from '../../replay/replay';
import { parseCommandArgs, type CliCommand } from '../cli-command';
import { progressReporter } from '../progress';
import { configuredPostgresRefusal, postgresDbRefusal } from '../sqlite-only';

const usage = `Usage: modelgate replay --bundle CANDIDATE [--since 7d] [--until DATE] [--subject ID]
                        [--fail-on KINDS] [--format table|json] [--active BUNDLE] [--db FILE]

Evaluates the recorded policy input documents of /v1/decide decisions with the candidate bundle
and with the active one, and reports every decision that would change, grouped by subject, kind
of change and reason, with counts and example decision ids. The inputs are replayed as recorded,
usage figures and clock included, so budget and rate-limit rules see the usage of the time.
Replay opens the database read-only: it writes no audit record and touches no usage counter.
Progress goes to stderr when it is a terminal.

Options:
  --bundle FILE     the candidate bundle (.tar.gz or folder, built by \`opa build -t wasm\`)
  --active FILE     the bundle to compare with (default: the service's configured bundle)
  --since WHEN      30m, 24h, 7d, 4w, or an RFC 3339 date / date-time with a zone (default: all)
  --until DATE      RFC 3339 date or date-time with a zone, exclusive (default: now)
  --subject ID      only this subject's decisions
  --fail-on KINDS   comma-separated: allow-to-deny, deny-to-allow, obligations-added,
                    obligations-removed, obligations-changed
  --format F        table (default) or json
  --db FILE         the SQLite audit database (default: the service's configured db; with
                    database.url set, replay reads only the SQLite file given here)

Exit status: 0 no change of a --fail-on kind, 1 replay could not run, 2 usage error,
3 the candidate changes decisions of a --fail-on kind, or --fail-on was given and some
decisions could not be replayed (the record cut their input to size).`;

/** Exit status when the candidate changes a decision of a --fail-on kind. */
export const EXIT_CHANGES = 3;

/** `modelgate replay`: what a candidate bundle would change in recorded traffic. */
export const replayCommand: CliCommand = {
  name: 'replay',
  summary: 'replay recorded decisions against a candidate bundle; report what would change',
  usage,
  async run(argv, io) {
    let values;
    let failOn;
    let fromMs: number | undefined;
    let toMs: number | undefined;
    try {
      ({ values } = parseCommandArgs({
        args: argv,
        options: {
          bundle: { type: 'string' },
          active: { type: 'string' },
          since: { type: 'string' },
          until: { type: 'string' },
          subject: { type: 'string' },
          'fail-on': { type: 'string', default: '' },
          format: { type: 'string', default: 'table' },
          db: { type: 'string' },
          help: { type: 'boolean', short: 'h', default: false },
        },
      }));
      if (values.help) {
        io.stdout(`${usage}\n`);
        return 0;
      }
      if (!values.bundle) throw new TypeError('--bundle is required');
      const postgresDb = postgresDbRefusal('replay', values.db);
      if (postgresDb) throw new TypeError(postgresDb);
      if (values.format !== 'table' && values.format !== 'json') {
        throw new TypeError('--format must be table or json');
      }
      failOn = parseFailOn(values['fail-on']);
      fromMs = values.since === undefined ? undefined : parseSince(values.since, Date.now());
      toMs = values.until === undefined ? undefined : parseInstant(values.until, 'until');
    } catch (err) {
      io.stderr(`modelgate replay: ${(err as Error).message}\n\n${usage}\n`);
      return 2;
    }
    const config = loadConfig(io.env);
    const refusal = values.db ? null : configuredPostgresRefusal('replay', config);
    if (refusal) {
      io.stderr(`modelgate replay: ${refusal}\n`);
      return 1;
    }
    const active = await loadReplayEngine(
      values.active ? path.resolve(values.active) : config.bundle,
      config.entrypoint,
    );
    const candidate = await loadReplayEngine(path.resolve(values.bundle), config.entrypoint);
    const db = openDatabase(values.db ? path.resolve(values.db) : config.db, [auditMigrations], {
      readonly: true,
    });
    const progress = progressReporter(io, 'replayed');
    try {
      const report = await replay({
        records: scanDecisions(db, { path: '/v1/decide', fromMs, toMs, subject: values.subject }),
        active,
        candidate,
        entrypoint: config.entrypoint,
        period: { from: iso(fromMs), to: iso(toMs) },
        subject: values.subject ?? null,
        onProgress: (records) => progress.update({ records }),
      });
      progress.done();
      const failing = failingKinds(report, failOn);
      io.stdout(
        values.format === 'json'
          ? `${JSON.stringify({ ...report, failed_on: failing }, null, 2)}\n`
          : renderReplay(report),
      );
      if (failing.length === 0) return 0;
      // The CLI has no record limit, so it never reports `truncated`.
      const changes = failing.filter((kind) => kind !== 'unreplayable');
      if (changes.length > 0)
        io.stderr(`modelgate replay: the candidate changes decisions: ${changes.join(', ')}\n`);
      if (changes.length < failing.length)
        io.stderr(
          `modelgate replay: --fail-on cannot vouch for ${report.unreplayable} decision` +
            `${report.unreplayable === 1 ? '' : 's'} it could not replay (the record cut the input to size)\n`,
        );
      return EXIT_CHANGES;
    } finally {
      progress.done();
      db.close();
    }
  },
};

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}
