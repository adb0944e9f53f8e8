import { readFileSync } from 'node:fs';

/**
 * Runs AuthZEN decision vectors in the JSON shape of the AuthZEN interop suite's Todo application
 * (`{"evaluation": [{request, expected: boolean}], "evaluations": [{request, expected: [{decision}]}]}`)
 * against a PDP. Unlike the suite's own runner, which counts a missing decision as `false`, any reply
 * other than a 200 with a boolean decision is a failure, so a broken PDP cannot pass deny cases.
 */

export interface VectorFile {
  evaluation?: { request: unknown; expected: boolean }[];
  evaluations?: { request: unknown; expected: { decision: boolean }[] }[];
}

/** The outcome of one vector. */
export interface VectorResult {
  endpoint: 'evaluation' | 'evaluations';
  index: number;
  pass: boolean;
  /** Why it failed: the status, or what came back instead of what was expected. */
  problem?: string;
}

/** Sends one request to a PDP endpoint; returns the status and the parsed body. */
export type PostJson = (route: string, body: unknown) => Promise<{ status: number; body: unknown }>;

/** Returns the vector file at a path, checked for the expected shape. */
export function readVectorFile(file: string): VectorFile {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as VectorFile;
  if (!Array.isArray(parsed.evaluation) && !Array.isArray(parsed.evaluations)) {
    throw new Error(`${file} has neither an "evaluation" nor an "evaluations" array`);
  }
  return parsed;
}

/** Returns the result of every vector of a file, run one after another in file order. */
export async function runVectors(vectors: VectorFile, post: PostJson): Promise<VectorResult[]> {
  const results: VectorResult[] = [];
  for (const [index, vector] of (vectors.evaluation ?? []).entries()) {
    const reply = await post('/access/v1/evaluation', vector.request);
    const decision = (reply.body as { decision?: unknown } | null)?.decision;
    results.push(
      check(
        'evaluation',
        index,
        reply.status,
        typeof decision === 'boolean' ? decision : undefined,
        vector.expected,
      ),
    );
  }
  for (const [index, vector] of (vectors.evaluations ?? []).entries()) {
    const reply = await post('/access/v1/evaluations', vector.request);
    const items = (reply.body as { evaluations?: unknown } | null)?.evaluations;
    const decisions = Array.isArray(items)
      ? items.map((item) => ({ decision: (item as { decision?: unknown }).decision }))
      : undefined;
    results.push(check('evaluations', index, reply.status, decisions, vector.expected));
  }
  return results;
}

function check(
  endpoint: VectorResult['endpoint'],
  index: number,
  status: number,
  actual: unknown,
  expected: unknown,
): VectorResult {
  if (status !== 200) return { endpoint, index, pass: false, problem: `HTTP ${status}` };
  if (actual === undefined) return { endpoint, index, pass: false, problem: 'no decision in the reply' };
  const pass = JSON.stringify(actual) === JSON.stringify(expected);
  return pass
    ? { endpoint, index, pass }
    : {
        endpoint,
        index,
        pass,
        problem: `got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`,
      };
}
