import type { Logger } from 'pino';

/** A log line a worker thread sends to the main thread's logger. */
export interface ForwardedLog {
  op: 'log';
  level: 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

/**
 * A logger for a worker thread whose lines go, through `post`, to the main thread's logger, so the service
 * keeps one log stream and one format. Debug lines are dropped.
 */
export function forwardingLogger(post: (line: ForwardedLog) => void): Logger {
  const forward =
    (level: ForwardedLog['level']) =>
    (fields: Record<string, unknown> | string, message?: string): void => {
      const [obj, msg] = typeof fields === 'string' ? [{}, fields] : [fields, message ?? ''];
      post({ op: 'log', level, fields: plainFields(obj), message: msg });
    };
  const noop = (): void => undefined;
  return {
    info: forward('info'),
    warn: forward('warn'),
    error: forward('error'),
    debug: noop,
  } as unknown as Logger;
}

/** Writes a line a worker thread forwarded (see forwardingLogger) to this thread's logger. */
export function relayLog(logger: Logger, line: ForwardedLog): void {
  logger[line.level](line.fields, line.message);
}

// Errors do not survive postMessage with their code; send what a log reader needs.
function plainFields(fields: Record<string, unknown>): Record<string, unknown> {
  const { err, ...rest } = fields;
  if (!(err instanceof Error)) return fields;
  return { ...rest, err: { type: err.name, message: err.message, code: (err as { code?: string }).code } };
}
