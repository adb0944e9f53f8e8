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
