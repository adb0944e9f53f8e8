import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Request, type RequestHandler, type Response } from 'express';
import { ModelgateError, ReasonCode, RequestError } from '../errors';
import { parseStrictJson, StrictJsonError } from '../schemas/strict-json';

/** The body of a request as the decision pipeline receives it. */
export type ParsedBody = { ok: true; value: unknown } | { ok: false; error: ModelgateError };

/** Reads a request's body; resolves with the ParsedBody, never rejects. */
export type BodyReader = (req: IncomingMessage, res: ServerResponse) => Promise<ParsedBody>;

/**
 * How a route reads its body. `json`: Content-Type must say JSON and the body must be there (modelgate's own
 * API). `opa`: as OPA's Data API reads it: any Content-Type but YAML is read as JSON (`curl -d` sends a form
 * type), and an empty body is no document at all (`undefined`).
 */
export type BodyRules = 'json' | 'opa';

/**
 * Returns a reader of the raw body (up to `limitBytes`, any content encoding body-parser inflates)
 * that parses it as JSON. Failures become a ParsedBody error so the route can still authenticate
 * the caller and record the rejection. body-parser needs nothing from express, so plain node
 * requests (the decision fast path) are read exactly like express ones.
 */
export function bodyReader(limitBytes: number, rules: BodyRules = 'json'): BodyReader {
  const raw = express.raw({ type: () => true, limit: limitBytes });
  return (req, res) =>
    new Promise((resolve) => {
      raw(req as Request, res as Response, (err?: unknown) => {
        resolve(
          err
            ? { ok: false, error: bodyReadError(err, limitBytes) }
            : parse(req.headers['content-type'], (req as { body?: unknown }).body, rules),
        );
      });
    });
}

/** Returns middleware that reads the body with {@link bodyReader} into `res.locals.body`. */
export function jsonBody(limitBytes: number, rules: BodyRules = 'json'): RequestHandler {
  const read = bodyReader(limitBytes, rules);
  return (req, res, next) => {
    void read(req, res).then((body) => {
      res.locals.body = body;
      next();
    });
  };
}

function parse(contentType: string | undefined, body: unknown, rules: BodyRules): ParsedBody {
  const typeProblem = rules === 'json' ? notJson(contentType) : notOpaJson(contentType);
  if (typeProblem) return fail(new RequestError(ReasonCode.UnsupportedMediaType, 415, typeProblem));
  const charset = charsetOf(contentType);
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    return fail(
      new RequestError(
        ReasonCode.UnsupportedMediaType,
        415,
        `JSON is UTF-8 (RFC 8259): the Content-Type's charset must be utf-8 or absent, got ${charset}`,
      ),
    );
  }
  const buffer = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
  if (buffer.length === 0) {
    if (rules === 'opa') return { ok: true, value: undefined };
    return fail(new RequestError(ReasonCode.BadRequest, 400, 'the body is empty; send a JSON object'));
  }
  // Decoded regardless, a stray byte would become U+FFFD, and screening would read other text than was sent.
  if (!isUtf8(buffer)) {
    const at = firstInvalidUtf8(buffer);
    return fail(
      new RequestError(
        ReasonCode.BadRequest,
        400,
        `the body is not valid UTF-8 (RFC 8259): byte ${at} is not part of a character`,
      ),
    );
  }
  return parseJsonText(buffer.toString('utf8'), 'the body');
}

function charsetOf(contentType: string | undefined): string | undefined {
  const match = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(contentType ?? '');
  return match ? match[1]!.toLowerCase() : undefined;
}

/**
 * Returns the offset of the first byte that does not begin a well-formed UTF-8 character (RFC 3629: no overlong
 * forms, no surrogates, nothing past U+10FFFF), or the length when there is none. One pass: anyone can send a
 * body that fails, so this must cost no more than reading it.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    const more = continuationBytes(lead);
    if (more === 0) {
      i++;
      continue;
    }
    // The second byte's range is narrower after E0 (overlong), ED (surrogates), F0 (overlong) and F4 (> U+10FFFF).
    const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    if (more < 0 || i + more >= bytes.length || bytes[i + 1]! < low || bytes[i + 1]! > high) return i;
    for (let k = 2; k <= more; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return i;
    i += more + 1;
  }
  return bytes.length;
}

// How many continuation bytes follow a lead byte; -1 for a byte that begins no character.
function continuationBytes(lead: number): number {
  if (lead < 0x80) return 0;
  if (lead >= 0xc2 && lead <= 0xdf) return 1;
  if (lead >= 0xe0 && lead <= 0xef) return 2;
  if (lead >= 0xf0 && lead <= 0xf4) return 3;
  return -1;
}

/** Returns JSON text parsed as a ParsedBody; `what` names the text in the error ("the body"). */
export function parseJsonText(text: string, what: string): ParsedBody {
  try {
    return { ok: true, value: parseStrictJson(text) };
  } catch (err) {
    if (err instanceof StrictJsonError) {
      return fail(
        new RequestError(ReasonCode.BadRequest, 400, `${what} is not strict JSON: ${err.message}`, {
          details: [{ pointer: err.pointer, message: err.message }],
        }),
      );
    }
    return fail(
      new RequestError(ReasonCode.BadRequest, 400, `${what} is not valid JSON: ${(err as Error).message}`),
    );
  }
}

function mediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]?.trim().toLowerCase();
}

// Returns what is wrong with the Content-Type of a body modelgate's own API reads, or undefined.
function notJson(contentType: string | undefined): string | undefined {
  const type = mediaType(contentType);
  const json =
    type === 'application/json' || (type !== undefined && /^application\/[a-z0-9.+-]+\+json$/.test(type));
  return json ? undefined : `Content-Type must be application/json, got ${contentType ?? 'none'}`;
}

// OPA reads a body whose type names YAML as YAML, and any other as JSON; modelgate reads JSON only.
function notOpaJson(contentType: string | undefined): string | undefined {
  const type = mediaType(contentType);
  return type?.includes('yaml')
    ? `YAML bodies are not read here (Content-Type ${type}): send the same document as JSON`
    : undefined;
}

function bodyReadError(err: unknown, limitBytes: number): ModelgateError {
  const type = (err as { type?: string }).type;
  if (type === 'entity.too.large') {
    return new RequestError(
      ReasonCode.BodyTooLarge,
      413,
      `the body is larger than the limit of ${limitBytes} bytes`,
    );
  }
  // The server's request timeout (or the client) ended the upload before the body was whole.
  if (type === 'request.aborted') {
    return new RequestError(ReasonCode.RequestTimeout, 408, 'the body was not received in full');
  }
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return new RequestError(ReasonCode.UnsupportedMediaType, 415, 'unsupported content encoding or charset');
  }
  return new RequestError(ReasonCode.BadRequest, 400, 'the body could not be read');
}

function fail(error: ModelgateError): ParsedBody {
  return { ok: false, error };
}
