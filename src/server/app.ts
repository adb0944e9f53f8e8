import type { RequestListener } from 'node:http';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { DiskState } from '../audit/disk-space';
import { ReasonCode, RequestError } from '../errors';
import type { CallerAuthenticator } from '../identity';
import type { DecisionCall, DecisionDeps, DecisionReply } from '../decision/decision-deps';
import { decide } from '../decision/decide';
import { dataApiFlags, decideData } from '../decision/decide-data';
import { toDefaultDecisionReply, toOpaReply } from '../decision/opa-replies';
import { buildOpenApiDocument } from '../schemas/openapi';
import { AllowedMethods } from './allowed-methods';
import { decisionListener } from './decision-listener';
import { decisionCall, send, sendInternalError } from './http-io';
import { jsonBody, parseJsonText, type ParsedBody } from './json-body';

/** What the health and readiness probes look at. */
export interface Readiness {
  policyLoaded(): boolean;
  storeOpen(): boolean;
  /** Free space on the database volume; below its threshold /ready still answers 200, with a warning. */
  disk?(): DiskState;
  /**
   * One warning per trusted issuer whose tokens cannot be verified now for want of keys. Never a failed check:
   * an identity provider's outage would otherwise take every replica out of the load balancer at once.
   */
  keyWarnings?(): string[];
  /** True from a stop signal on: /ready answers 503 so that traffic moves away before the listener closes. */
  stopping?(): boolean;
}

/** Everything the HTTP layer needs; routes only translate between HTTP and the decision pipeline. */
export interface AppDeps {
  decision: DecisionDeps;
  readiness: Readiness;
  bodyLimitBytes: number;
  /** The policy path OPA's default decision (`POST /`) evaluates. */
  defaultDecision: string;
  /** Extra routers (audit queries, usage) mounted after the core routes. */
  extraRoutes?: (app: Express, helpers: RouteHelpers) => void;
}

/** Shared helpers for route modules. */
export interface RouteHelpers {
  toCall(req: Request, res: Response, path: string): DecisionCall;
  send(res: Response, reply: DecisionReply): void;
  jsonBody: ReturnType<typeof jsonBody>;
}

/**
 * Returns the HTTP request listener: decide, the OPA-compatible Data API, probes and the OpenAPI
 * document. The two decision routes are served straight on node:http (see decision-listener.ts);
 * the express app below serves everything, including those routes in any other spelling.
 */
export function createApp(deps: AppDeps): RequestListener {
  return withDpopNonce(decisionListener(deps, expressApp(deps)), deps.decision.authenticator);
}

// RFC 9449 section 8.2: a server may hand out a new nonce on any reply. Every reply carries the current one, so a
// client keeps its nonce current without being refused first; a refusal for the nonce carries it too (section 9).
// Set before the routes run: writeHead keeps it beside their own headers, and express's res.json does too.
function withDpopNonce(listener: RequestListener, authenticator: CallerAuthenticator): RequestListener {
  if (authenticator.dpopNonce() === undefined) return listener;
  return (req, res) => {
    res.setHeader('DPoP-Nonce', authenticator.dpopNonce()!);
    listener(req, res);
  };
}

function expressApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const body = jsonBody(deps.bodyLimitBytes);
  const dataBody = jsonBody(deps.bodyLimitBytes, 'opa');
  const helpers: RouteHelpers = { toCall, send, jsonBody: body };
  const now = deps.decision.now;
  app.use((_req, res, next) => {
    res.locals.receivedAtMs = now();
    next();
  });

  app.post('/v1/decide', body, async (req, res) => {
    send(res, await decide(deps.decision, toCall(req, res, '/v1/decide')));
  });

  // OPA's Data API: POST /v1/data/<path> with {"input": ...} answers {"result": ..., "decision_id": ...}.
  // The root document too (/v1/data), which a WASM bundle cannot answer: decideData says so.
  app.post(DATA_ROUTE, dataBody, async (req, res) => {
    const policyPath = dataPath(req);
    const call = toCall(req, res, dataRoutePath(policyPath));
    send(res, await decideData(deps.decision, call, policyPath, dataApiFlags(req.originalUrl)));
  });
  // OPA's GET form: the input, if any, is JSON in the `input` query parameter.
  app.get(DATA_ROUTE, async (req, res) => {
    res.locals.body = inputFromQuery(req.query.input);
    const policyPath = dataPath(req);
    const call = toCall(req, res, dataRoutePath(policyPath));
    send(res, await decideData(deps.decision, call, policyPath, dataApiFlags(req.originalUrl)));
  });
  // OPA's default decision: the body is the input itself, the reply the bare result.
  app.post('/', dataBody, async (req, res) => {
    const parsed = res.locals.body as ParsedBody;
    res.locals.body = parsed.ok ? { ok: true, value: { input: parsed.value } } : parsed;
    const path = deps.defaultDecision;
    send(res, toDefaultDecisionReply(await decideData(deps.decision, toCall(req, res, '/'), path), path));
  });

  // OPA's health API, body included: `{}` while up; with ?bundles or ?plugins, a 500 until the policy is
  // loaded (and, for plugins, the store open), which OPA clients' wait-for-ready loops rely on.
  app.get('/health', (req, res) => {
    const problem = healthProblem(req.query, deps.readiness);
    if (problem) res.status(500).json({ error: problem });
    else res.json({});
  });
  app.get('/ready', (_req, res) => {
    const checks = { policy: deps.readiness.policyLoaded(), store: deps.readiness.storeOpen() };
    const stopping = deps.readiness.stopping?.() === true;
    const ready = checks.policy && checks.store && !stopping;
    const disk = deps.readiness.disk?.();
    const warnings = [
      ...(disk && !disk.ok ? [diskWarning(disk)] : []),
      ...(deps.readiness.keyWarnings?.() ?? []),
    ];
    res
      .status(ready ? 200 : 503)
      .json({ ready, checks, ...(stopping ? { stopping } : {}), ...(disk ? { disk } : {}), warnings });
  });
  const openapi = buildOpenApiDocument();
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });

  deps.extraRoutes?.(app, helpers);

  // A documented path asked with a method it does not take: 405 and the methods it does (OPTIONS: just those).
  // A documented method that reached here has no route on this service (a feature not configured): 404 below.
  const allowed = new AllowedMethods(openapi.paths as Record<string, object>);
  app.use((req, res, next) => {
    const methods = allowed.of(req.path);
    if (!methods || (req.method !== 'OPTIONS' && methods.includes(req.method))) {
      next();
      return;
    }
    res.setHeader('Allow', methods.join(', '));
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    const message = `${req.method} is not allowed on ${req.path}; it takes ${methods.join(', ')}`;
    send(res, refusal(req.path, 405, ReasonCode.MethodNotAllowed, message));
  });
  app.use((req, res) => {
    const message = `no route for ${req.method} ${req.path}`;
    send(res, refusal(req.path, 404, ReasonCode.NotFound, message));
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    // The router decodes a path's parameters (an approval or decision id) before any route runs, and marks a
    // malformed escape 400: the caller's mistake, answered as one, not logged and answered as our failure.
    if (err instanceof URIError && (err as { status?: unknown }).status === 400) {
      const message = 'the path is not valid percent-encoding';
      send(res, refusal(req.path, 400, ReasonCode.BadRequest, message));
      return;
    }
    sendInternalError(deps.decision, res, err);
  });
  return app;
}

const DATA_ROUTE = /^\/v1\/data(?:\/(.*))?$/;

// SDKs percent-encode the path parameter ("authz%2Fallow"); OPA reads it decoded. Empty segments are
// dropped ("/authz/allow" from a client becomes /v1/data//authz/allow): OPA redirects to the path without them.
// Express has decoded the path once already (a malformed escape is a 400 before any route runs); decoding again
// would read `%252F` as a slash, where OPA reads a percent sign.
function dataPath(req: Request): string {
  const decoded = (req.params as Record<string, string | undefined>)[0] ?? '';
  return decoded
    .split('/')
    .filter((segment) => segment !== '')
    .join('/');
}

function dataRoutePath(policyPath: string): string {
  return policyPath === '' ? '/v1/data' : `/v1/data/${policyPath}`;
}

function inputFromQuery(input: unknown): ParsedBody {
  // No input, but no warning either: OPA warns of a missing input on POST only.
  if (input === undefined) return { ok: true, value: { input: {} } };
  if (typeof input !== 'string') {
    // ?input=a&input=b (or input[x]=…) reaches here as an array or object, not as JSON text.
    const message = 'the input query parameter must be given once, as JSON text';
    return { ok: false, error: new RequestError(ReasonCode.BadRequest, 400, message) };
  }
  const parsed = parseJsonText(input, 'the input query parameter');
  return parsed.ok ? { ok: true, value: { input: parsed.value } } : parsed;
}

// OPA's APIs that clients call besides the Data API (policies, query, compile, config, batch): modelgate
// serves none of them, and says so in OPA's error body, which OPA clients parse.
const OPA_API = /^\/v1\/(?:data|policies|query|compile|config|batch)(?:\/|$)/;

function refusal(path: string, status: number, code: string, message: string): DecisionReply {
  const reply = { status, headers: {}, body: { allow: false, reasons: [{ code, message }] } };
  return OPA_API.test(path) ? toOpaReply(reply) : reply;
}

function healthProblem(query: Request['query'], readiness: Readiness): string | undefined {
  const asked = (name: string) => query[name] !== undefined;
  if ((asked('bundles') || asked('plugins')) && !readiness.policyLoaded())
    return 'the policy bundle is not loaded';
  if (asked('plugins') && !readiness.storeOpen()) return 'the audit store is not open';
  return undefined;
}

function diskWarning(disk: DiskState): string {
  const free = disk.free_bytes === null ? 'unknown' : `${Math.floor(disk.free_bytes / 1048576)} MiB`;
  return `low disk space for the audit log at ${disk.path}: ${free} free, warning below ${disk.warn_below_bytes / 1048576} MiB; when it is full every decision is denied`;
}

function toCall(req: Request, res: Response, path: string): DecisionCall {
  return decisionCall(req, {
    path,
    receivedAtMs: (res.locals.receivedAtMs as number | undefined) ?? Date.now(),
    body: (res.locals.body as ParsedBody | undefined) ?? { ok: true, value: undefined },
  });
}
