import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

/** A listening HTTP server that can shut down gracefully. */
export interface HttpServer {
  address: AddressInfo;
  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), then drops what is left. */
  close(graceMs?: number): Promise<void>;
}

/** Starts the app on host:port (port 0 picks a free one); `onClientError` answers requests node cannot parse. */
export async function listen(
  app: RequestListener,
  port: number,
  host: string,
  onClientError?: (err: Error, socket: Duplex) => void,
): Promise<HttpServer> {
  // Timeouts are enforced when node checks its connections: every 5 s rather than its default 30 s, so a slow
  // client is cut off near requestTimeout, not up to twice it.
  const server: Server = createServer({ connectionsCheckingInterval: 5_000 }, app);
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
    close: (graceMs = 10_000) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
