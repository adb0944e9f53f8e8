import path from 'node:path';
import { existsSync } from 'node:fs';
import express, { type Express, type Request, type Response } from 'express';
import type { OidcClient } from '../console/oidc-client';
import { ModelgateError, ReasonCode } from '../errors';
import type { RouteHelpers } from './app';

/** Where `scripts/build-console.sh` puts the console; the same path from src/server and dist/server. */
export const CONSOLE_DIR = path.resolve(__dirname, '..', '..', 'dist', 'console');

// Only this service's own files, no inline script or style, no framing, no form posts elsewhere.
// The console talks to the API with fetch (connect-src 'self') and keeps the token in sessionStorage.
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Mounts the reviewer console at /console: static files under a strict Content-Security-Policy, the
 * page's settings (config.json), and, when OIDC login is configured, the code exchange.
 */
export function consoleRoutes(
  app: Express,
  options: { dir?: string; oidc?: OidcClient; helpers?: RouteHelpers } = {},
): void {
  const dir = options.dir ?? CONSOLE_DIR;
  const oidc = options.oidc;
  app.get('/console/config.json', async (_req, res) => {
    res.setHeader('cache-control', 'no-store');
    try {
      res.json({ oidc: oidc ? await oidc.loginConfig() : null });
    } catch (err) {
      sendError(res, err);
    }
  });
  if (oidc && options.helpers) {
    app.post('/console/oidc/token', options.helpers.jsonBody, async (req, res) => {
      res.setHeader('cache-control', 'no-store');
      try {
        const body = readExchange(req);
        res.json({ access_token: await oidc.exchange(body) });
      } catch (err) {
        sendError(res, err);
      }
    });
  }
  app.use('/console', (_req, res, next) => {
    res.setHeader('content-security-policy', CSP);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('cross-origin-opener-policy', 'same-origin');
    res.setHeader('cache-control', 'no-store');
    if (existsSync(path.join(dir, 'index.html'))) {
      next();
      return;
    }
    res.status(503).json({
      allow: false,
      reasons: [{ code: ReasonCode.NotFound, message: 'the console is not built: run npm run build' }],
    });
  });
  app.use(
    '/console',
    express.static(dir, { index: 'index.html', redirect: true, dotfiles: 'deny', etag: false }),
  );
}

// The exchange body: the code, the PKCE verifier, and a redirect URI back to this console.
function readExchange(req: Request): { code: string; codeVerifier: string; redirectUri: string } {
  const parsed = req.res?.locals.body as { ok: boolean; value?: unknown; error?: ModelgateError } | undefined;
  if (!parsed?.ok) throw parsed?.error ?? new ModelgateError(ReasonCode.BadRequest, 400, 'send a JSON body');
  const body = (parsed.value ?? {}) as Record<string, unknown>;
  const { code, code_verifier: codeVerifier, redirect_uri: redirectUri } = body;
  const ok = (v: unknown, max: number): v is string =>
    typeof v === 'string' && v.length > 0 && v.length <= max;
  if (
    !ok(code, 4096) ||
    !ok(codeVerifier, 128) ||
    !ok(redirectUri, 2048) ||
    !/^[A-Za-z0-9._~-]{43,128}$/.test(codeVerifier)
  ) {
    throw new ModelgateError(
      ReasonCode.BodyInvalid,
      400,
      'send code, code_verifier (RFC 7636) and redirect_uri',
    );
  }
  if (new URL(redirectUri, 'http://x').pathname !== '/console/') {
    throw new ModelgateError(ReasonCode.BodyInvalid, 400, 'redirect_uri must be this console (/console/)');
  }
  return { code, codeVerifier, redirectUri };
}

function sendError(res: Response, err: unknown): void {
  const known =
    err instanceof ModelgateError ? err : new ModelgateError(ReasonCode.InternalError, 500, 'internal error');
  res.status(known.status).json({ allow: false, reasons: [{ code: known.code, message: known.message }] });
}
