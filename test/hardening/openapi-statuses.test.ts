import { buildOpenApiDocument, needsToken } from '../../src/schemas/openapi';

// Issue #13, item 8: the document must list every status a route can return. Today's gaps were 401 on
// the audit and usage routes and 415 without a content type; the rules below hold for every route.

type Operation = {
  security?: Record<string, unknown>[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
};
const paths = buildOpenApiDocument().paths as Record<string, Record<string, Operation>>;
const operations = Object.entries(paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, op })),
);

test('the precondition: the document has authenticated routes and routes with a body', () => {
  expect(operations.filter((o) => needsToken(o.op)).length).toBeGreaterThanOrEqual(6);
  expect(operations.filter((o) => o.op.requestBody).length).toBeGreaterThanOrEqual(3);
});

test.each(operations.filter((o) => needsToken(o.op)).map((o) => [o.name, o.op] as const))(
  '%s lists 401 (token refused) and 503 (audit log or keys unavailable)',
  (_name, op) => {
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['401', '503']));
  },
);

test.each(operations.filter((o) => o.op.requestBody).map((o) => [o.name, o.op] as const))(
  '%s lists 400, 413 and 415 for its body',
  (_name, op) => {
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['400', '413', '415']));
  },
);

const takesDpop = (op: Operation) => (op.security ?? []).some((requirement) => 'dpop' in requirement);

test.each(operations.filter((o) => takesDpop(o.op)).map((o) => [o.name, o.op] as const))(
  '%s lists 429 (a DPoP key over its share), DPoP-Nonce on every reply and WWW-Authenticate on its 401',
  (_name, op) => {
    expect(Object.keys(op.responses)).toContain('429');
    for (const [status, reply] of Object.entries(op.responses)) {
      const headers = (reply as { headers?: Record<string, unknown> }).headers ?? {};
      expect({ status, nonce: headers['DPoP-Nonce'] }).toEqual({
        status,
        nonce: { $ref: '#/components/headers/DPoP-Nonce' },
      });
      if (status === '401') expect(headers['WWW-Authenticate']).toBeDefined();
    }
  },
);

// A route that takes DPoP can always be refused 503 for the replay cache, whatever else it can answer.
const dpopRoutes = operations.filter((o) => takesDpop(o.op));

// One authenticator serves every route that takes a token: where a bearer token is accepted, so is DPoP (the AuthZEN
// routes said bearer only, so their 429 and DPoP-Nonce went unlisted).
test.each(operations.filter((o) => needsToken(o.op)).map((o) => [o.name, o.op] as const))(
  '%s takes DPoP as well as bearer tokens',
  (_name, op) => {
    expect(takesDpop(op)).toBe(true);
  },
);

test('the precondition: the DPoP routes include /v1/decide and /metrics', () => {
  expect(dpopRoutes.map((o) => o.name)).toEqual(expect.arrayContaining(['POST /v1/decide', 'GET /metrics']));
});

test.each(dpopRoutes.map((o) => [o.name, o.op] as const))(
  "%s names the replay cache's 503s: full, and the shared one unavailable",
  (_name, op) => {
    const description = (op.responses['503'] as { description: string }).description;
    expect(description).toContain('`dpop_replay_cache_full`');
    expect(description).toContain('`dpop_replay_cache_unavailable`');
  },
);

// Generated clients name their methods after operationId, and OpenAPI links point at operations by it.
test('every operation has an operationId, unique in the document, and every link names one', () => {
  const ids = operations.map((o) => (o.op as { operationId?: string }).operationId);
  expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
  expect(new Set(ids).size).toBe(ids.length);
  const linked = operations.flatMap((o) =>
    Object.values(o.op.responses).flatMap((r) =>
      Object.values((r as { links?: Record<string, { operationId: string }> }).links ?? {}).map(
        (l) => l.operationId,
      ),
    ),
  );
  expect(linked.length).toBeGreaterThanOrEqual(6);
  for (const id of linked) expect(ids).toContain(id);
});

// An operation with no `security` would inherit a root one if the document ever gained it; each says its own.
test('every operation says whether it needs a token: a public one says security: []', () => {
  for (const o of operations)
    expect({ name: o.name, security: Array.isArray(o.op.security) }).toEqual({
      name: o.name,
      security: true,
    });
});
