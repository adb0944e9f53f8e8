import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Express } from 'express';
import { ForbiddenError, ModelgateError, ReasonCode } from '../errors';
import {
  authenticationChallenge,
  schemeOf,
  type CallerAuthenticator,
  type PresentedCredentials,
} from '../identity';
import { credentialsOf, send } from './http-io';

/** Who may read /metrics on the service's own port. */
export type MetricsAccess = 'loopback' | 'scope' | 'open';

/** What the /metrics route serves and to whom. */
export interface MetricsRouteDeps {
  exposition(): Promise<{ contentType: string; text: string }>;
  access: MetricsAccess;
  /** For access "scope": the scope a bearer token must carry. */
  scope: string;
  authenticator: CallerAuthenticator;
}

/** Mounts GET /metrics on the service's port, guarded as `access` says. */
export function metricsRoutes(app: Express, deps: MetricsRouteDeps): void {
  app.get('/metrics', (req, res) => {
    serveMetrics(req, res, deps).catch((err: unknown) => res.destroy(err as Error));
  });
}

/** Returns the listener of a metrics-only port: GET /metrics, no authentication, 404 for anything else. */
export function metricsListener(deps: Pick<MetricsRouteDeps, 'exposition'>): RequestListener {
  return (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      send(res, {
        status: 404,
        headers: {},
        body: { reasons: [{ code: ReasonCode.NotFound, message: `no route for ${req.method} ${path}` }] },
      });
      return;
    }
    writeExposition(res, deps).catch((err: unknown) => res.destroy(err as Error));
  };
}

async function serveMetrics(
  req: IncomingMessage,
  res: ServerResponse,
  deps: MetricsRouteDeps,
): Promise<void> {
  const credentials = credentialsOf(req);
  const refused = await refusal(req, credentials, deps);
  if (refused) {
    const headers: Record<string, string> = {};
    const challenge = authenticationChallenge(refused, {
      scheme: schemeOf(credentials.authorization),
      dpopAlgorithms: deps.authenticator.dpopAlgorithms,
      scope: deps.scope,
    });
    if (challenge) headers['www-authenticate'] = challenge;
    send(res, {
      status: refused.status,
      headers,
      body: { reasons: [{ code: refused.code, message: refused.message }] },
    });
    return;
  }
  await writeExposition(res, deps);
}

// Returns the error that refuses this scrape, or undefined when it may read the metrics.
async function refusal(
  req: IncomingMessage,
  credentials: PresentedCredentials,
  deps: MetricsRouteDeps,
): Promise<ModelgateError | undefined> {
  if (deps.access === 'open') return undefined;
  if (deps.access === 'loopback') {
    return isLoopback(req.socket.remoteAddress) && !relayed(req)
      ? undefined
      : new ForbiddenError(
          ReasonCode.ScopeMissing,
          '/metrics answers loopback callers only, not through a proxy (see metrics.access)',
        );
  }
  try {
    const identity = await deps.authenticator.authenticate(credentials);
    if (identity.subject.scopes.includes(deps.scope)) return undefined;
    return new ForbiddenError(ReasonCode.ScopeMissing, `/metrics needs the scope ${deps.scope}`);
  } catch (err) {
    if (err instanceof ModelgateError) return err;
    throw err;
  }
}

async function writeExposition(
  res: ServerResponse,
  deps: Pick<MetricsRouteDeps, 'exposition'>,
): Promise<void> {
  const { contentType, text } = await deps.exposition();
  res.statusCode = 200;
  res.setHeader('content-type', contentType);
  res.setHeader('cache-control', 'no-store');
  res.end(text);
}

// A reverse proxy or TLS sidecar on the same host connects from loopback for every caller it relays; the headers
// it adds say that the loopback peer is not the caller. Prometheus scraping directly sends none of them.
const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip'];

function relayed(req: IncomingMessage): boolean {
  return PROXY_HEADERS.some((name) => req.headers[name] !== undefined);
}

/** Returns whether an address is on the loopback interface (127.0.0.0/8, ::1, or 127.x mapped into IPv6). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || /^(::ffff:)?127\./.test(address);
}
