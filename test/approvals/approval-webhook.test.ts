/**
 * The pending-approval webhook against a real receiver: it is signed, retried after a failure, carries a
 * console link, and never holds up the decision that triggered it.
 */
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import os from 'node:os';
import { mkdtempSync } from 'node:fs';
import { resolveApprovals } from '../../src/config/load-config';
import { startTestService, type TestService } from '../helpers/service';
import { codes, pipelineChange, tokens } from './approval-fixtures';

const SECRET = 'whsec-test-0123456789abcdef';

interface Delivery {
  headers: IncomingMessage['headers'];
  body: string;
  res: ServerResponse;
}

describe('the approval webhook', () => {
  let receiver: Server;
  let svc: TestService;
  const deliveries: Delivery[] = [];
  let onDelivery: (() => void) | undefined;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        deliveries.push({ headers: req.headers, body, res });
        onDelivery?.();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-webhook-'));
    writeFileSync(path.join(dir, 'webhook.secret'), `${SECRET}\n`);
    const approvals = resolveApprovals(
      {
        public_url: 'https://modelgate.corp',
        webhook: {
          url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
          secret_file: 'webhook.secret',
          max_attempts: 3,
          backoff_ms: 20,
          timeout_ms: 5000,
        },
      },
      (p) => path.resolve(dir, p),
    );
    svc = await startTestService({ approvals });
  });
  afterAll(async () => {
    for (const d of deliveries) if (!d.res.writableEnded) d.res.end();
    await svc.close();
    await new Promise((resolve) => receiver.close(resolve));
  });

  const nextDelivery = (count: number) =>
    new Promise<void>((resolve) => {
      if (deliveries.length >= count) resolve();
      else onDelivery = () => deliveries.length >= count && resolve();
    });

  it('answers the decision while the receiver still holds the first attempt, then retries a 503 until delivered', async () => {
    const t = tokens(svc);
    expect(deliveries).toHaveLength(0);
    const reply = await svc.post('/v1/decide', pipelineChange(), t.requester);
    expect(codes(reply.body)).toEqual(['approval_required']);
    const approvalId = (reply.body.approval as { id: string }).id;

    await nextDelivery(1);
    // The decision was answered while the receiver had not answered yet: delivery is off the decision path.
    expect(deliveries[0]!.res.writableEnded).toBe(false);
    deliveries[0]!.res.writeHead(503).end();
    await nextDelivery(2);
    deliveries[1]!.res.writeHead(204).end();

    for (const d of deliveries) {
      const header = String(d.headers['x-modelgate-signature']);
      const [, t, mac] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header)!;
      expect(mac).toBe(createHmac('sha256', SECRET).update(`${t}.${d.body}`).digest('hex'));
      expect(Math.abs(Number(t) - Date.now() / 1000)).toBeLessThan(60);
      expect(d.headers['x-modelgate-event']).toBe('approval.pending');
    }
    expect(deliveries[0]!.headers['x-modelgate-delivery']).toBe(
      deliveries[1]!.headers['x-modelgate-delivery'],
    );
    const payload = JSON.parse(deliveries[1]!.body) as Record<string, unknown>;
    expect(payload).toMatchObject({
      type: 'approval.pending',
      link: `https://modelgate.corp/console/#/approvals/${approvalId}`,
      approval: { id: approvalId, status: 'pending', approvers: 'platform-leads' },
    });
    expect(deliveries[1]!.body).not.toContain('deploy timeout');

    // Asking again while pending announces nothing new.
    await svc.post('/v1/decide', pipelineChange(), t.requester);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(deliveries).toHaveLength(2);
  });
});
