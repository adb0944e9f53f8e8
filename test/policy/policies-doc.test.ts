import { readFileSync } from 'node:fs';
import path from 'node:path';
import { statusSchema, type StatusV1 } from '../../src/schemas/status.schema';
import { compileValidator } from '../../src/schemas/validators';
import { startTestService } from '../helpers/service';

const doc = readFileSync(path.join(__dirname, '..', '..', 'docs', 'policies.md'), 'utf8');
const validateStatus = compileValidator<StatusV1>(statusSchema);

describe('docs/policies.md', () => {
  it('shows a GET /v1/status reply that fits the status schema', () => {
    const block = /```json\n(\s*\{\n\s+"bundles"[\s\S]*?)```/.exec(doc)?.[1];
    expect(block).toBeDefined();
    const example = JSON.parse(block!) as Record<string, unknown>;
    delete example.decision_id;
    expect(validateStatus.problems(example)).toEqual([]);
  });

  it('shows the verify line in the format the command prints', () => {
    expect(doc).toMatch(
      /`OK dist\/modelgate\.tar\.gz: revision 3f2a9c1, signed by key\s+release-2026, 12 files`/,
    );
  });

  it('a live GET /v1/status fits the schema too', async () => {
    const service = await startTestService();
    try {
      const reply = await service.get('/v1/status', service.token({ scope: 'modelgate:operate' }));
      expect(reply.status).toBe(200);
      const body = { ...reply.body };
      delete body.decision_id;
      expect(validateStatus.problems(body)).toEqual([]);
      expect(body).toMatchObject({
        bundles: [{ name: 'modelgate', active: { key_id: null }, last_error: null }],
      });
    } finally {
      await service.close();
    }
  });
});
