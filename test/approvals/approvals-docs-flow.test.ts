/**
 * The flow of docs/approvals.md in development mode: tokens minted by `modelgate token` (with --act and
 * --group, as the docs do), the documented body, approve, retry with approval_id.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runCli } from '../helpers/cli';
import { startTestService, type TestService } from '../helpers/service';
import { codes } from './approval-fixtures';

const DOC = readFileSync(path.join(__dirname, '..', '..', 'docs', 'approvals.md'), 'utf8');

describe('the approvals flow of docs/approvals.md', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ issuers: [] });
  });
  afterAll(async () => {
    await svc.close();
  });

  const mint = async (args: string[]) => {
    const out = await runCli(['token', ...args, '--data-dir', path.join(svc.dir, 'data')]);
    expect(out.code).toBe(0);
    return out.stdout.trim();
  };

  it('asks, approves and allows the retry with development tokens', async () => {
    // The documented commands, checked against the doc so the two cannot drift apart.
    expect(DOC).toContain('--scope invoke:assist \\\n  --act agent:coding-assistant)');
    expect(DOC).toContain("--scope 'modelgate:approve modelgate:audit' \\\n  --group platform-leads)");
    const body = JSON.parse(/BODY='([\s\S]*?)'/.exec(DOC)![1]!.replace(/\n\s*/g, '')) as Record<
      string,
      unknown
    >;

    const assistant = await mint([
      '--sub',
      'spiffe://corp/dev/coding-assistant',
      '--scope',
      'invoke:assist',
      '--act',
      'agent:coding-assistant',
    ]);
    const approver = await mint([
      '--sub',
      'user:alice@corp',
      '--scope',
      'modelgate:approve modelgate:audit',
      '--group',
      'platform-leads',
    ]);

    const asked = await svc.post('/v1/decide', body, assistant);
    expect(codes(asked.body)).toEqual(['approval_required']);
    const id = (asked.body.approval as { id: string }).id;

    const approved = await svc.post(
      `/v1/approvals/${id}/approve`,
      { comment: 'reviewed in PR 4711' },
      approver,
    );
    expect(approved.status).toBe(200);

    const retry = await svc.post('/v1/decide', { ...body, approval_id: id }, assistant);
    expect(retry.body).toMatchObject({ allow: true, max_tokens: 8192 });
  });
});
