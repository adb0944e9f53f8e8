import { resolve } from 'node:path';
import { loadConfig } from '../../config/load-config';
import { ConfigError } from '../../errors';
import {
  DEV_ISSUER,
  DEV_TOKEN_MAX_TTL_SECONDS,
  ensureDevIssuer,
  mintDevToken,
} from '../../identity/dev-issuer';
import { parseCommandArgs, type CliCommand, type CliIo } from '../cli-command';

/** What the token command uses of the terminal (tests need not fake a TTY). */
type TokenIo = Pick<CliIo, 'stdout' | 'stderr' | 'env'>;

const USAGE = `Usage: modelgate token --sub <id> [--scope <scope>]... [--act <agent>] [--group <name>]...
                       [--ttl <duration>] [--data-dir <dir>]

Mints a development token, signed by the development issuer "${DEV_ISSUER}" that a modelgate
started without issuers trusts. Prints only the token, so that this works:

  TOKEN=$(modelgate token --sub spiffe://corp/ci/build-bot --scope invoke:codegen)
  curl -H "Authorization: Bearer $TOKEN" ...

Options:
  --sub <id>          the subject (required), e.g. spiffe://corp/ci/build-bot or user:alice
  --scope <scope>     a scope to grant; repeat it, or give several separated by spaces
  --act <agent>       the agent acting for the subject (RFC 8693 act claim: {"sub": "<agent>"})
  --group <name>      a group for the groups claim (approver groups); repeat it for several
  --ttl <duration>    lifetime: 3600, 90s, 30m, 1h or 7d at most (default 1h)
  --data-dir <dir>    where the development key pair lives
                      (default: where \`serve\` keeps it: $MODELGATE_DATA_DIR, else the
                      data_dir of $MODELGATE_CONFIG, else .modelgate in the current folder)
  -h, --help          show this help

The key pair is generated on first use into <data-dir>/dev-issuer/ (private key mode 0600).
Production modelgates trust only the issuers in their configuration, never this one.

Exit status: 0 printed a token, 1 the key pair could not be used, 2 usage error.
`;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `modelgate token`: prints a development token for the development issuer. */
export const tokenCommand: CliCommand & { run(argv: string[], io: TokenIo): Promise<number> } = {
  name: 'token',
  summary: 'mint a development token (trusted only in development mode)',
  usage: USAGE,
  /** Returns the exit code: 0 printed a token, 2 the arguments are wrong, 1 the key pair could not be used. */
  async run(argv: string[], io: TokenIo): Promise<number> {
    let values: ReturnType<typeof parse>['values'];
    try {
      values = parse(argv).values;
    } catch (error) {
      return usageError(io, (error as Error).message);
    }
    if (values.help) {
      io.stdout(USAGE);
      return 0;
    }
    const sub = values.sub?.trim();
    if (!sub) return usageError(io, '--sub <id> is required');
    const ttlSeconds = parseTtl(values.ttl ?? '1h');
    if (ttlSeconds === undefined) {
      return usageError(
        io,
        `--ttl must be seconds or a number with s, m, h or d, at most ${DEV_TOKEN_MAX_TTL_SECONDS / 86_400}d`,
      );
    }
    const scopes = (values.scope ?? [])
      .flatMap((scope) => scope.split(/\s+/))
      .filter((scope) => scope !== '');
    try {
      const dataDir = resolve(values['data-dir'] ?? serviceDataDir(io.env));
      const issuer = ensureDevIssuer(dataDir);
      if (issuer.created)
        io.stderr(`generated a development key pair in ${resolve(dataDir, 'dev-issuer')}\n`);
      const now = Date.now();
      const claims = values.group?.length ? { groups: values.group } : undefined;
      const token = mintDevToken(dataDir, { sub, scopes, act: values.act, ttlSeconds, now, claims });
      io.stdout(`${token}\n`);
      const expires = new Date(now + ttlSeconds * 1000).toISOString();
      io.stderr(
        `development token for ${sub}, expires ${expires}; trusted only by a modelgate in development mode\n`,
      );
      return 0;
    } catch (error) {
      const message =
        error instanceof ConfigError ? error.message : `cannot mint a token: ${(error as Error).message}`;
      io.stderr(`modelgate token: ${message}\n`);
      return 1;
    }
  },
};

// The folder `serve` keeps its development key in, run with this environment: with a config file, its
// data_dir (relative to that file), so that a token minted beside a config kept elsewhere is trusted.
function serviceDataDir(env: NodeJS.ProcessEnv): string {
  if (env.MODELGATE_CONFIG) return loadConfig(env).dataDir;
  return env.MODELGATE_DATA_DIR ?? '.modelgate';
}

function parse(argv: string[]) {
  return parseCommandArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      sub: { type: 'string' },
      scope: { type: 'string', multiple: true },
      act: { type: 'string' },
      group: { type: 'string', multiple: true },
      ttl: { type: 'string' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** Returns a duration in whole seconds from `3600`, `90s`, `30m`, `1h`, `7d`, or undefined when invalid or too long. */
export function parseTtl(text: string): number | undefined {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!match) return undefined;
  const seconds = Number(match[1]) * (UNIT_SECONDS[match[2] || 's'] ?? 1);
  return seconds >= 1 && seconds <= DEV_TOKEN_MAX_TTL_SECONDS ? seconds : undefined;
}

function usageError(io: TokenIo, message: string): number {
  io.stderr(`modelgate token: ${message}\nRun "modelgate token --help" for usage.\n`);
  return 2;
}
