import path from 'node:path';
import pino from 'pino';
import { auditMigrations } from '../../audit/audit-migrations';
import { openDatabase } from '../../audit/database';
import { loadConfig } from '../../config/load-config';
import { errorText } from '../../errors';
import { PolicyHolder } from '../../policy/policy-holder';
import { MemoryUsageTracker } from '../../usage/memory-usage-tracker';
import { UsageLedger } from '../../usage/usage-ledger';
import { SqliteUsageReports } from '../../usage/usage-reports';
import { usageMigrations } from '../../usage/usage-migrations';
import { UsageView, type UsageDescription } from '../../usage/usage-view';
import { parseCommandArgs, type CliCommand } from '../cli-command';

const usage = `Usage: modelgate usage --subject ID [--model NAME] [--db FILE] [--bundle FILE] [--json]

Shows a subject's usage (requests in the last minute, tokens in the last hour and day, usage
reports) and the limits its policy sets, read from the audit database: the same figures
GET /v1/usage returns. The database and bundle default to the service's configuration
(MODELGATE_CONFIG, MODELGATE_DB, MODELGATE_BUNDLE). It opens the database read-only. When that
bundle does not load, usage is shown without limits, and stderr says why; a --bundle FILE that
does not load fails.

Exit status: 0 done, 1 could not run, 2 usage error.`;

/** `modelgate usage`: a subject's usage and limits on the terminal. */
export const usageCommand: CliCommand = {
  name: 'usage',
  summary: 'show a subject’s usage and limits',
  usage,
  async run(argv, io) {
    const args = parseCommandArgs({
      args: argv,
      options: {
        subject: { type: 'string', short: 's' },
        model: { type: 'string', short: 'm' },
        db: { type: 'string' },
        bundle: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (args.values.help) {
      io.stdout(`${usage}\n`);
      return 0;
    }
    if (!args.values.subject) {
      io.stderr(`usage needs --subject.\n\n${usage}\n`);
      return 2;
    }
    const config = loadConfig(io.env);
    if (!args.values.db && config.database) {
      // Not a wrong answer from a stale local file: say where the shared figures are.
      io.stderr(
        'modelgate usage reads an SQLite file; with database.url set, ask GET /v1/usage of any replica.\n',
      );
      return 1;
    }
    const dbFile = args.values.db ? path.resolve(args.values.db) : config.db;
    const logger = pino({ level: 'silent' });
    const db = openDatabase(dbFile, [auditMigrations, usageMigrations], { readonly: true });
    try {
      const tracker = new MemoryUsageTracker(config.reservationTtlSeconds * 1000);
      const ledger = new UsageLedger(
        db,
        tracker,
        config.reservationTtlSeconds * 1000,
        new SqliteUsageReports(db),
      );
      const now = Date.now();
      // Only this subject's decisions: the CLI must not pay for rebuilding every subject's counters.
      ledger.restore(now, args.values.subject);
      const policy = new PolicyHolder(
        args.values.bundle ? path.resolve(args.values.bundle) : config.bundle,
        config.entrypoint,
        logger,
      );
      // The configured bundle is the service's: usage is shown without its limits, and says why. A --bundle
      // that does not load is a mistake in this command line, not a policy without limits.
      const loadError = await policy.load().then(
        () => null,
        (err: unknown) => errorText(err),
      );
      if (loadError !== null && args.values.bundle) {
        io.stderr(`modelgate usage: ${loadError}\n`);
        return 1;
      }
      if (loadError !== null) io.stderr(`modelgate usage: limits unknown: ${loadError}\n`);
      const description = await new UsageView(tracker, ledger, policy).describe(
        args.values.subject,
        args.values.model,
        now,
      );
      io.stdout(args.values.json ? `${JSON.stringify(description, null, 2)}\n` : render(description));
      return 0;
    } finally {
      db.close();
    }
  },
};

function render(d: UsageDescription): string {
  const limits = (d.limits ?? {}) as Record<string, unknown>;
  const row = (label: string, used: number, limit: unknown) =>
    `  ${label.padEnd(22)} ${String(used).padStart(10)}${typeof limit === 'number' ? ` / ${limit}` : ''}\n`;
  let out = `subject ${d.subject}\n`;
  out += row('requests last minute', d.usage.requests_last_minute, limits.requests_per_minute);
  out += row('tokens last hour', d.usage.tokens_last_hour, undefined);
  out += row('tokens last day', d.usage.tokens_last_day, limits.daily_tokens);
  if (d.model)
    out += `model ${d.model.name}: ${d.model.requests_last_minute} requests last minute, ${d.model.tokens_last_day} tokens last day\n`;
  out += `usage reports last day: ${d.reported_last_day.reports} (${d.reported_last_day.tokens} tokens, $${d.reported_last_day.cost_usd.toFixed(4)})\n`;
  out += d.limits === null ? 'limits: none known to the policy\n' : `limits: ${JSON.stringify(d.limits)}\n`;
  return out;
}
