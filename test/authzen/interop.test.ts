import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { TestService } from '../helpers/service';
import { readVectorFile, runVectors, type PostJson, type VectorFile } from './interop-runner';
import { startTodoService, TODO_VECTORS } from './todo-service';

// Our Todo vectors always run; AUTHZEN_VECTORS=a.json:b.json adds files of the AuthZEN interop suite
// (interop/authzen-todo-backend/test/decisions-authorization-api-1_0-*.json), which are not kept here.
const extra = (process.env.AUTHZEN_VECTORS ?? '').split(path.delimiter).filter((f) => f.length > 0);
const files: [string, VectorFile][] = [TODO_VECTORS, ...extra].map((f) => [
  path.basename(f),
  readVectorFile(f),
]);

let service: TestService;
let post: PostJson;

beforeAll(async () => {
  service = await startTodoService(mkdtempSync(path.join(os.tmpdir(), 'mg-authzen-')));
  const token = service.token({ sub: 'spiffe://corp/todo-backend' });
  post = async (route, body) => {
    const reply = await service.post(route, body, token);
    return { status: reply.status, body: reply.body };
  };
});

afterAll(async () => {
  await service?.close();
});

describe.each(files)('AuthZEN Todo vectors of %s', (_name, vectors) => {
  it('has deny cases as well as permit cases, so an always-allow PDP fails it', () => {
    const expected = (vectors.evaluation ?? []).map((v) => v.expected);
    expect(expected).toContain(true);
    expect(expected).toContain(false);
  });

  // One test per vector, so a report names the case that failed.
  const single = (vectors.evaluation ?? []).map((v, i) => ({ ...v, i }));
  it.each(single)('evaluation $i: $request.subject.id $request.action.name -> $expected', async (vector) => {
    const [result] = await runVectors({ evaluation: [vector] }, post);
    expect(result).toEqual({ endpoint: 'evaluation', index: 0, pass: true });
  });

  const batches = (vectors.evaluations ?? []).map((v, i) => ({ ...v, i }));
  if (batches.length > 0) {
    it.each(batches)('evaluations $i', async (vector) => {
      const [result] = await runVectors({ evaluations: [vector] }, post);
      expect(result).toEqual({ endpoint: 'evaluations', index: 0, pass: true });
    });
  }

  it('records one decision per evaluation that ran', async () => {
    const before = recordCount(service.db);
    const results = await runVectors(vectors, post);
    expect(results.every((r) => r.pass)).toBe(true);
    const ran =
      (vectors.evaluation ?? []).length +
      (vectors.evaluations ?? []).reduce((n, v) => n + v.expected.length, 0);
    expect(recordCount(service.db) - before).toBe(ran);
  });
});

function recordCount(db: string): number {
  const sqlite = new Database(db, { readonly: true });
  try {
    const row = sqlite
      .prepare("SELECT count(*) AS n FROM audit_records WHERE path LIKE '/access/v1/%'")
      .get() as { n: number };
    return row.n;
  } finally {
    sqlite.close();
  }
}
