import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** How the collector answers: 503 to everything, accept after a delay, or accept at once. */
export type CollectorMode = 'fail' | 'slow' | 'ok';

/** One POST the collector received. */
export interface Delivery {
  status: number;
  headers: IncomingHttpHeaders;
  events: Record<string, unknown>[];
}

/**
 * A real decision log service on 127.0.0.1:<ephemeral> that speaks OPA's API (gzip JSON arrays
 * POSTed to /logs), whose behaviour a test switches: it fails, it is slow, it comes back.
 */
export class DecisionLogCollector {
  mode: CollectorMode = 'ok';
  slowMs = 400;
  /** When set, a delivery that arrives once this many deliveries were accepted is answered 503. */
  acceptDeliveries: number | undefined;
  /** When set, a delivery of more events is answered 413, as a proxy's body size limit would. */
  maxEventsPerDelivery: number | undefined;
  readonly deliveries: Delivery[] = [];
  readonly accepted: Record<string, unknown>[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<DecisionLogCollector> {
    const ref: { collector?: DecisionLogCollector } = {};
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        void ref.collector!.receive(req.url ?? '', req.headers, Buffer.concat(chunks)).then((status) => {
          res.statusCode = status;
          res.end();
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    ref.collector = new DecisionLogCollector(server, `http://127.0.0.1:${port}`);
    return ref.collector;
  }

  /** Deliveries answered 200. */
  get acceptedDeliveries(): number {
    return this.deliveries.filter((d) => d.status === 200).length;
  }

  /** Deliveries answered with an error. */
  get failures(): number {
    return this.deliveries.filter((d) => d.status >= 300).length;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async receive(path: string, headers: IncomingHttpHeaders, body: Buffer): Promise<number> {
    const events =
      path === '/logs' && headers['content-encoding'] === 'gzip'
        ? (JSON.parse(gunzipSync(body).toString('utf8')) as Record<string, unknown>[])
        : [];
    const mode = this.mode;
    if (mode === 'slow') await new Promise((resolve) => setTimeout(resolve, this.slowMs));
    const full = this.acceptDeliveries !== undefined && this.acceptedDeliveries >= this.acceptDeliveries;
    const tooLarge = this.maxEventsPerDelivery !== undefined && events.length > this.maxEventsPerDelivery;
    const status = path !== '/logs' ? 404 : tooLarge ? 413 : mode === 'fail' || full ? 503 : 200;
    this.deliveries.push({ status, headers, events });
    if (status === 200) this.accepted.push(...events);
    return status;
  }
}
