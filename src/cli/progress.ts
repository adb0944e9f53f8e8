import type { CliIo } from './cli-command';

/** Reports records (or other units) done so far on one line of stderr, at most every half second. */
export interface ProgressReporter {
  update: (p: { records: number }) => void;
  /** Ends the line, when one was shown. */
  done: () => void;
}

/**
 * Returns a reporter that shows "N <unit> <verb>, R/s" on stderr when it is a terminal, and nothing
 * otherwise: a script reading stderr gets the outcome, not a line per half second, and stdout stays the result.
 */
export function progressReporter(io: CliIo, verb: string, unit = 'records'): ProgressReporter {
  const started = Date.now();
  let shownAt = started;
  let shown = false;
  return {
    update: ({ records }) => {
      const now = Date.now();
      if (!io.isTTY || now - shownAt < 500) return;
      shownAt = now;
      shown = true;
      const rate = Math.round(records / ((now - started) / 1000));
      io.stderr(`\r${records.toLocaleString('en-US')} ${unit} ${verb}, ${rate.toLocaleString('en-US')}/s   `);
    },
    done: () => {
      if (shown) io.stderr('\n');
      shown = false;
    },
  };
}
