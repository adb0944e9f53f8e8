import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

/** A listening HTTP server that can shut down gracefully. */
export interface HttpServer {
  address: AddressInfo;
  /**
   * From now on every reply, those in flight included, closes its connection (`Connection: close`): keep-alive
   * clients reconnect, and find another replica, instead of reusing a connection this server is about to drop.
   */
  drain(): void;
  /** Drains, stops accepting, lets in-flight requests finish (up to `graceMs`), then drops what is left. */
  close(graceMs?: number): Promise<void>;
}

/** Starts the app on host:port (port 0 picks a free one); `onClientError` answers requests node cannot parse. */
export async function listen(
  app: RequestListener,
  port: number,
  host: string,
  onClientError?: (err: Error, socket: Duplex) => void,
): Promise<HttpServer> {
  const replies = new DrainableReplies();
  // Timeouts are enforced when node checks its connections: every 5 s rather than its default 30 s, so a slow
  // client is cut off near requestTimeout, not up to twice it.
  const server: Server = createServer({ connectionsCheckingInterval: 5_000 }, (req, res) => {
    replies.track(res);
    return app(req, res);
  });
  if (onClientError) server.on('clientError', onClientError);
  // Slow-loris bounds: a client gets this long to send its headers and its whole request.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    address: server.address() as AddressInfo,
    drain: () => replies.drain(),
    close: (graceMs = 10_000) =>
      new Promise<void>((resolve) => {
        replies.drain();
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

/**
 * The replies not yet finished, so that a drain can reach them too. Without it a connection whose request was
 * in flight at shutdown stays open for keep-alive after its reply, and node closes it when the keep-alive timer
 * fires, which races the client's next request on it: the client sees a reset instead of a reply.
 */
class DrainableReplies {
  private draining = false;
  private readonly open = new Set<ServerResponse>();

  track(res: ServerResponse): void {
    if (this.draining) {
      closeAfter(res);
      return;
    }
    this.open.add(res);
    res.once('close', () => this.open.delete(res));
  }

  drain(): void {
    if (this.draining) return;
    this.draining = true;
    for (const res of this.open) closeAfter(res);
    this.open.clear();
  }
}

// A reply whose headers are out can no longer say `Connection: close`; its connection closes when node's
// keep-alive timer fires, as before.
function closeAfter(res: ServerResponse): void {
  if (!res.headersSent) res.shouldKeepAlive = false;
}
