import { parseArgs, type ParseArgsConfig } from 'node:util';
import { nearestName } from './nearest-name';

/** The terminal a command talks to; injected so commands are testable without a TTY. */
export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env: NodeJS.ProcessEnv;
  isTTY: boolean;
  /** True once stdout's reader has gone (`| head` has what it wanted): what is written from then on is lost. */
  readerGone?: () => boolean;
}

/** One `modelgate <name>` subcommand. `run` returns the exit code. */
export interface CliCommand {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[], io: CliIo): Promise<number>;
}

/**
 * Returns node's parseArgs error message without its advice on `--`: with positionals allowed it appends
 * "To specify a positional argument starting with a '-' …", which buries the option that was mistyped.
 */
export function argumentErrorText(err: unknown): string {
  return (err as Error).message.replace(/\. To specify a positional argument starting with a '-'.*$/s, '');
}

/**
 * Returns parseArgs' result. An unknown option near one of the command's is thrown with it named
 * ("Unknown option '--subjet'; did you mean --subject?"), and the same code, so it stays a usage error.
 */
export function parseCommandArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    const code = (err as { code?: string }).code;
    const typed = /^Unknown option '(--[^']+)'/.exec((err as Error).message)?.[1];
    const names = Object.keys(config.options ?? {}).map((name) => `--${name}`);
    const meant = typed && code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? nearestName(typed, names) : undefined;
    if (!meant) throw err;
    throw Object.assign(new TypeError(`Unknown option '${typed}'; did you mean ${meant}?`, { cause: err }), {
      code,
    });
  }
}
