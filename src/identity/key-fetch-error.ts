import { KeyFetchErrorCode } from '../errors';

/** Why one fetch of a key set or discovery document failed: a code, and the HTTP status when one came. */
export interface KeyFetchFailure {
  code: KeyFetchErrorCode;
  httpStatus?: number;
}

/** A failed fetch or a refused document of an issuer's keys; the message is for the log, the code for status. */
export class KeyFetchError extends Error {
  readonly code: KeyFetchErrorCode;
  readonly httpStatus?: number;

  constructor(code: KeyFetchErrorCode, message: string, options?: { httpStatus?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    if (options?.httpStatus !== undefined) this.httpStatus = options.httpStatus;
  }
}

/**
 * Returns the failure an error stands for. fetch() itself throws a TimeoutError (the abort signal) or a
 * TypeError whose cause is the connection, DNS, TLS or redirect error: apart from the timeout, those are one
 * code, and the log line of the failure says which.
 */
export function keyFetchFailureOf(error: unknown): KeyFetchFailure {
  if (error instanceof KeyFetchError) {
    return { code: error.code, ...(error.httpStatus !== undefined && { httpStatus: error.httpStatus }) };
  }
  if (isTimeout(error) || isTimeout((error as { cause?: unknown } | undefined)?.cause)) {
    return { code: KeyFetchErrorCode.Timeout };
  }
  return { code: KeyFetchErrorCode.Failed };
}

// By name, not instanceof: the abort signal's DOMException may come from another realm (a worker, a test VM).
function isTimeout(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'TimeoutError';
}

/** Returns whether a failure means a document arrived but could not be used (`refused` in the metrics). */
export function isRefusal(code: KeyFetchErrorCode): boolean {
  return REFUSALS.includes(code);
}

const REFUSALS: readonly KeyFetchErrorCode[] = [
  KeyFetchErrorCode.KeySetUnusable,
  KeyFetchErrorCode.DiscoveryIssuerMismatch,
  KeyFetchErrorCode.DiscoveryDocumentInvalid,
];
