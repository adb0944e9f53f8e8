import { KeyFetchErrorCode } from '../errors';
import { KeyFetchError } from './key-fetch-error';

/** The subset of WHATWG fetch the JWKS and discovery clients use; `globalThis.fetch` fits, tests may pass their own. */
export type JwksFetch = (
  url: string,
  init: { signal: AbortSignal; headers: Record<string, string>; redirect: 'error' },
) => Promise<{
  ok: boolean;
  status: number;
  headers: { get(name: string): string | null };
  /** Read with a byte limit when present, so an endless reply is cut off rather than held in memory. */
  body?: ReadableStream<Uint8Array> | null;
  text(): Promise<string>;
}>;

/** One GET of a JSON document: what it is called in errors, what to accept, and its limits. */
export interface CappedJsonRequest {
  url: string;
  /** Names the document in error messages, e.g. `JWKS`. */
  what: string;
  accept: string;
  timeoutMs: number;
  maxBytes: number;
}

/**
 * Returns the parsed JSON of a GET and its Cache-Control; throws on a failed request, and a KeyFetchError on a
 * non-2xx, an oversized reply or bad JSON.
 */
export async function fetchCappedJson(
  fetch: JwksFetch,
  request: CappedJsonRequest,
): Promise<{ document: unknown; cacheControl: string | null }> {
  const { url, what, maxBytes } = request;
  const response = await fetch(url, {
    signal: AbortSignal.timeout(request.timeoutMs),
    headers: { accept: request.accept },
    // A redirect could silently move trust to another host or to plain http.
    redirect: 'error',
  });
  if (!response.ok) {
    throw new KeyFetchError(KeyFetchErrorCode.HttpStatus, `${what} URL answered HTTP ${response.status}`, {
      httpStatus: response.status,
    });
  }
  const text = await readCappedText(response, maxBytes, what);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new KeyFetchError(KeyFetchErrorCode.NotJson, `${what} is not JSON`, { cause: error });
  }
  return { document, cacheControl: response.headers.get('cache-control') };
}

/**
 * Returns a reply's body as text, or throws a KeyFetchError `<what> larger than <maxBytes> bytes`: a declared Content-Length over
 * the limit is refused unread, and a reply without one (chunked) is read only up to the limit, then dropped.
 */
export async function readCappedText(
  response: Pick<Awaited<ReturnType<JwksFetch>>, 'headers' | 'body' | 'text'>,
  maxBytes: number,
  what: string,
): Promise<string> {
  const tooLarge = () =>
    new KeyFetchError(KeyFetchErrorCode.TooLarge, `${what} larger than ${maxBytes} bytes`);
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw tooLarge();
  if (!response.body) {
    const text = await response.text();
    if (Buffer.byteLength(text) > maxBytes) throw tooLarge();
    return text;
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
