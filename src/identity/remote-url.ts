/** Whether plain http may be used for a URL on a loopback host (never for any other host). */
export interface RemoteUrlRules {
  plainHttpOnLoopback: boolean;
}

/**
 * Returns why keys or metadata may not be fetched from `url`, or undefined when they may: a valid URL, no
 * credentials, https (plain http only for loopback hosts, when the rules allow it).
 */
export function remoteUrlProblem(url: string, rules: RemoteUrlRules): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a valid URL';
  }
  if (parsed.username || parsed.password) return 'must not carry credentials';
  if (parsed.protocol === 'https:') return undefined;
  if (parsed.protocol === 'http:' && rules.plainHttpOnLoopback && isLoopbackHost(parsed.hostname)) {
    return undefined;
  }
  // Keys fetched over plain http could be replaced in transit, and then any token would verify.
  return rules.plainHttpOnLoopback
    ? 'must use https (plain http is allowed only for loopback hosts, for tests)'
    : 'must use https';
}

/** Returns whether `url` names a loopback host (localhost, 127.0.0.0/8, ::1); false for no URL at all. */
export function isLoopbackUrl(url: string): boolean {
  return URL.canParse(url) && isLoopbackHost(new URL(url).hostname);
}

function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}
