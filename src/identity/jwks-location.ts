/** Where the key set of one issuer is fetched from: a configured jwks_url, or one found by discovery. */
export interface JwksLocation {
  /** The configuration key that names it, for messages: `issuers[2].jwks_url`. */
  readonly key: string;
  /** Returns the URL to fetch the key set from now; throws when none is known. */
  url(): Promise<string>;
  /** Returns the host (and port) the key set is fetched from, or null while none is known: for GET /v1/status. */
  host(): string | null;
  /** Says a fetch from the last URL failed, so that the next url() may look for another. */
  failed(): void;
}

/** Returns the location of a configured jwks_url: always that URL. */
export function fixedJwksLocation(url: string, key: string): JwksLocation {
  const host = hostOf(url);
  return { key, url: () => Promise.resolve(url), host: () => host, failed: () => undefined };
}

/** Returns the host and port of a URL: never its path, query or credentials, which may carry a secret. */
export function hostOf(url: string): string | null {
  return URL.canParse(url) ? new URL(url).host : null;
}
