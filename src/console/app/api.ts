// The console's only way to the service: same-origin fetch with the pasted token. The token lives in
// sessionStorage, so it is gone when the tab closes and is never sent anywhere but this service.

const TOKEN_KEY = 'modelgate.token';

/** A reply of the API: status and parsed JSON body. */
export interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
}

/** Returns the stored token, or null when signed out. */
export function currentToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** Stores the token for this tab. */
export function signIn(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token.trim());
}

/** Forgets the token. */
export function signOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** Returns the claims of a JWT for display only (the service verifies it; the console never trusts it). */
export function claimsOf(token: string): Record<string, unknown> | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))) as Record<
      string,
      unknown
    >;
  } catch {
    return null;
  }
}

/** Calls the API with the token; a JSON body is sent for POST. */
export async function api<T = Record<string, unknown>>(path: string, post?: unknown): Promise<Reply<T>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = currentToken();
  if (token) headers.authorization = `Bearer ${token}`;
  const init: RequestInit = { headers, credentials: 'omit', cache: 'no-store' };
  if (post !== undefined) {
    init.method = 'POST';
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(post);
  }
  const res = await fetch(path, init);
  const body = (await res.json().catch(() => ({}))) as T;
  return { status: res.status, body };
}

/** Returns the first reason message of an error reply, for people. */
export function problem(reply: Reply): string {
  const reasons = reply.body.reasons as { code: string; message?: string }[] | undefined;
  const first = reasons?.[0];
  return first
    ? `${first.message ?? first.code} (${first.code}, HTTP ${reply.status})`
    : `HTTP ${reply.status}`;
}
