import type { ReasonCode } from './reason-codes';

/** Base error: carries a stable reason code and the HTTP status the server maps it to. */
export class ModelgateError extends Error {
  readonly code: ReasonCode;
  readonly status: number;
  /** Extra, safe-to-show detail (e.g. validation errors as JSON pointers). Never secrets. */
  readonly details?: unknown;
  /** For a 429 or 503 that will pass: when to try again, sent as Retry-After (RFC 9110 section 10.2.3). */
  readonly retryAfterSeconds?: number;

  constructor(
    code: ReasonCode,
    status: number,
    message: string,
    options?: { cause?: unknown; details?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.details = options?.details;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

/** A token was refused: 401 with `WWW-Authenticate: Bearer error="invalid_token"`. */
export class AuthenticationError extends ModelgateError {
  constructor(code: ReasonCode, message: string, options?: { cause?: unknown }) {
    super(code, 401, message, options);
  }
}

/** The caller is known but may not do this: 403. */
export class ForbiddenError extends ModelgateError {
  /** For scope_missing: the scope the resource needs (WWW-Authenticate names it). */
  readonly scope?: string;
  constructor(code: ReasonCode, message: string, options?: { scope?: string }) {
    super(code, 403, message);
    this.scope = options?.scope;
  }
}

/** The request is wrong: 4xx with details that say what is wrong. */
export class RequestError extends ModelgateError {}

/** One caller sends more than its share, and only that caller is refused: 429. */
export class TooManyRequestsError extends ModelgateError {
  constructor(code: ReasonCode, message: string, options?: { retryAfterSeconds?: number }) {
    super(code, 429, message, options);
  }
}

/** A dependency cannot answer (policy, audit store): 503, and the decision is a deny. */
export class UnavailableError extends ModelgateError {
  constructor(code: ReasonCode, message: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(code, 503, message, options);
  }
}

/** Startup configuration is invalid: names the key and what is wrong. */
export class ConfigError extends Error {
  readonly key: string;
  /** What is wrong, without the key: lets a worker thread pass the error on as is. */
  readonly detail: string;
  constructor(key: string, message: string, options?: { cause?: unknown }) {
    super(`config: ${key}: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConfigError';
    this.key = key;
    this.detail = message;
  }
}

/** What was thrown, as text: an Error's message, or the value itself (opa-wasm throws strings, not Errors). */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
