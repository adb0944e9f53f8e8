import path from 'node:path';
import pino from 'pino';
import { startService } from '../../compose';
import { loadConfig } from '../../config/load-config';
import { plainHttpWarnings } from '../../config/plain-http-warnings';
import { ConfigError } from '../../errors';
import { parseCommandArgs, type CliCommand } from '../cli-command';

const usage = `Usage: modelgate serve [-c|--config FILE]

Starts the decision service. Configuration comes from the YAML or JSON file named by --config or
MODELGATE_CONFIG; PORT, HOST, MODELGATE_DB, MODELGATE_DATABASE_URL, MODELGATE_BUNDLE,
MODELGATE_DATA_DIR and LOG_LEVEL override it (a warning names each value of the file they replace).
With no file at all it serves the shipped default bundle on 127.0.0.1:8080, keeps the
audit log in .modelgate/modelgate.db, and trusts a local development issuer (see \`modelgate token\`).
One process at a time serves from an SQLite audit log: a second is refused while the first runs
(docs/operations.md, "One process per SQLite audit log"); replicas share one PostgreSQL instead.

The policy bundle is a local file (watched: a change is activated once the file stands still) or an
OPA bundle server (\`services\` and \`bundles\` in the config; see docs/policies.md). A new bundle is
activated only after its signature, files, WASM and entrypoint check out; otherwise the old one
stays.

Signals: SIGHUP reloads the policy bundle; SIGTERM and SIGINT make /ready answer 503 and every
reply close its connection, serve on for shutdown.wait_period_seconds (default 0), then stop
accepting, finish in-flight decisions (shutdown.grace_period_seconds, default 10) and close the
database. A second signal ends the process at once.

Exit status: 0 stopped by SIGTERM or SIGINT, 1 ended by a second signal or a failure while
serving, 2 usage error or could not start (the configuration, the database, the port).`;

/** `modelgate serve`: runs the HTTP service until SIGTERM/SIGINT. */
export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'run the decision service (npm start)',
  usage,
  async run(argv, io) {
    const args = parseCommandArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (args.values.help) {
      io.stdout(`${usage}\n`);
      return 0;
    }
    const env = args.values.config ? { ...io.env, MODELGATE_CONFIG: args.values.config } : io.env;
    let config;
    try {
      config = loadConfig(env);
    } catch (err) {
      if (err instanceof ConfigError) {
        // -c becomes MODELGATE_CONFIG here: name what the operator typed, not a variable they never set.
        const typed = args.values.config && err.key === 'MODELGATE_CONFIG';
        io.stderr(`modelgate: cannot start: ${typed ? `--config: ${err.detail}` : err.message}\n`);
        return 2;
      }
      throw err;
    }
    const logger = pino({ level: config.logLevel, base: { service: 'modelgate' } });
    for (const note of config.overriddenByEnv ?? []) logger.warn(`config: ${note} (the environment wins)`);
    for (const warning of plainHttpWarnings(config)) logger.warn(`config: ${warning}`);
    let service;
    try {
      service = await startService(config, logger);
    } catch (err) {
      io.stderr(`modelgate: cannot start: ${(err as Error).message}\n`);
      return 2;
    }
    if (config.issuers.length === 0) io.stderr(devBanner(service.url, config.dataDir));

    process.on('SIGHUP', () => {
      service
        .reloadPolicy()
        .catch((err: unknown) => logger.error({ err }, 'policy reload failed; keeping the current policy'));
    });
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        logger.info({ signal }, 'shutting down');
        process.off('SIGTERM', stop).off('SIGINT', stop);
        process.once('SIGTERM', forceExit).once('SIGINT', forceExit);
        resolve();
      };
      const forceExit = (signal: string) => {
        logger.warn({ signal }, 'second signal: exiting now, in-flight requests are dropped');
        process.exit(1);
      };
      process.on('SIGTERM', stop).on('SIGINT', stop);
    });
    await service.close();
    return 0;
  },
};

// The banner's example is the README's quick start: a subject the default policy knows, and a
// request it allows (test/server/quickstart.test.ts runs the banner's lines as printed).
const TRY_SUBJECT = 'spiffe://corp/support/reply-bot';
const TRY_BODY =
  '{"invocation":{"model":"anthropic.claude-haiku","provider":"bedrock","operation":"chat","purpose":"support-reply"},' +
  '"payload":{"prompt":"Reply to jane.doe@example.com about her refund"}}';

function devBanner(url: string, dataDir: string): string {
  const rel = path.relative(process.cwd(), dataDir) || '.';
  // A folder other than the default is named: the reader's next shell may not have MODELGATE_DATA_DIR, and
  // `token` would then mint with another key, which this server refuses.
  const where = rel === '.modelgate' ? '' : ` --data-dir ${shellWord(rel)}`;
  return `
  ============================================================================
   modelgate is in DEVELOPMENT MODE: it trusts a local issuer whose key is in
   ${rel}/dev-issuer/. Configure \`issuers\` (MODELGATE_CONFIG) for real use.

   Try it, from this folder:
     TOKEN=$(npm run -s modelgate -- token --sub ${TRY_SUBJECT} --scope invoke:support${where})
     curl -s ${url}/v1/decide -H "Authorization: Bearer $TOKEN" \\
       -H 'Content-Type: application/json' \\
       -d '${TRY_BODY}'
  ============================================================================

`;
}

// A path as one shell word: as it is when it holds nothing the shell would read, else single-quoted.
function shellWord(text: string): string {
  return /^[\w./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}
