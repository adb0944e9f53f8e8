import { ConfigError } from '../errors';

// RFC 3986 section 2.3: these need no percent-encoding, so %41 and A are the same URI (section 6.2.2.2).
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * Returns an http(s) URI as compared for DPoP's `htu` (RFC 9449 section 4.3): without query and fragment, after
 * RFC 3986 syntax-based normalisation (case of scheme and host, percent-encoding, dot segments, section 6.2.2)
 * and scheme-based normalisation (default port, empty path, section 6.2.3). Undefined for anything else, and for
 * a URI with a user name or password, which no request URI has.
 */
export function normaliseHttpUri(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  // WHATWG URL already lower-cases scheme and host, drops the default port and resolves dot segments.
  const path = url.pathname.replace(/%[0-9A-Fa-f]{2}/g, (escape) => {
    const char = String.fromCharCode(parseInt(escape.slice(1), 16));
    return UNRESERVED.test(char) ? char : escape.toUpperCase();
  });
  return `${url.protocol}//${url.host}${path}`;
}

/**
 * Returns the URLs callers reach this service at, normalised and without a trailing slash, so that one followed by
 * a request's path is the URI the caller used. Throws ConfigError naming the entry of `key` that is no such URL.
 */
export function publicUrlBases(urls: readonly string[], key: string): string[] {
  return urls.map((raw, i) => {
    const problem = publicUrlProblem(raw);
    if (problem) throw new ConfigError(`${key}[${i}]`, problem);
    return normaliseHttpUri(raw)!.replace(/\/+$/, '');
  });
}

function publicUrlProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute http or https URL, e.g. https://modelgate.corp';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http or https URL';
  if (url.username !== '' || url.password !== '') return 'must not hold a user name or password';
  if (url.search !== '' || url.hash !== '' || raw.includes('?') || raw.includes('#')) {
    return 'must not hold a query or a fragment: a request URI is compared without them';
  }
  return undefined;
}

/**
 * Returns the path of a request-target as it was sent (RFC 9112 section 3.2): origin-form up to its query, or the
 * path of an absolute-form target. Never parsed against a base, so `//host/x` stays a path and names no host.
 */
export function targetPath(target: string): string {
  if (target.startsWith('/')) return target.split(/[?#]/, 1)[0]!;
  try {
    return new URL(target).pathname;
  } catch {
    return target;
  }
}
