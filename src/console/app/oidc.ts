import { signIn } from './api';

/** The login settings /console/config.json announces, or null without OIDC. */
export interface OidcLogin {
  issuer: string;
  authorization_endpoint: string;
  client_id: string;
  scope: string;
}

const PENDING_KEY = 'modelgate.oidc';
// An OAuth error code (access_denied, login_required, ...): lower-case words joined by underscores.
const ERROR_CODE = /^[a-z]+(?:_[a-z]+)*$/;

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

function redirectUri(): string {
  return `${location.origin}/console/`;
}

/** Returns the OIDC settings of this console, or null. */
export async function loadOidc(): Promise<OidcLogin | null> {
  const res = await fetch('/console/config.json', { cache: 'no-store' });
  if (!res.ok) return null;
  return ((await res.json()) as { oidc: OidcLogin | null }).oidc;
}

/** Sends the browser to the identity provider: authorisation code with PKCE (S256) and a state. */
export async function startLogin(oidc: OidcLogin): Promise<void> {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64url(
    new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))),
  );
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state }));
  const url = new URL(oidc.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: oidc.client_id,
    redirect_uri: redirectUri(),
    scope: oidc.scope,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

/**
 * Completes a login when the page was opened by the identity provider's redirect (?code=&state=):
 * checks the state, has modelgate exchange the code with the verifier, and stores the token.
 * Returns an error message, or null when there was nothing to do or it worked.
 */
export async function finishLogin(): Promise<string | null> {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  const error = params.get('error');
  if (!code && !error) return null;
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null') as {
    verifier: string;
    state: string;
  } | null;
  sessionStorage.removeItem(PENDING_KEY);
  history.replaceState(null, '', `${location.pathname}#/approvals`);
  // The state first, for refusals too: anyone can link a reviewer to /console/?error=<any words>, and the console
  // must not show them as its own. Of the provider's refusal only its code is shown (RFC 6749 section 4.1.2.1).
  if (!pending || params.get('state') !== pending.state) return 'the login response does not match this tab';
  if (error)
    return `the identity provider refused: ${ERROR_CODE.test(error) ? error : 'it gave no known reason'}`;
  const res = await fetch('/console/oidc/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code, code_verifier: pending.verifier, redirect_uri: redirectUri() }),
  });
  const body = (await res.json().catch(() => ({}))) as {
    access_token?: string;
    reasons?: { message: string }[];
  };
  if (!res.ok || !body.access_token) return body.reasons?.[0]?.message ?? `login failed (HTTP ${res.status})`;
  signIn(body.access_token);
  return null;
}
