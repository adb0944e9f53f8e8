import path from 'node:path';
import { existsSync } from 'node:fs';
import express, { type Express } from 'express';
import { ReasonCode } from '../errors';

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

/** Mounts the reviewer console at /console: static files only, under a strict Content-Security-Policy. */
export function consoleRoutes(app: Express, dir: string = CONSOLE_DIR): void {
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
