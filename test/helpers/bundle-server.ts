/**
 * A static file server on 127.0.0.1:<ephemeral>, behaving as plain static servers (nginx, S3) do for
 * OPA's bundle service API: a strong ETag per file content, 304 on a matching If-None-Match, and
 * optionally a bearer token. With `longPoll`, it also does OPA's long polling: it answers with the
 * `application/vnd.openpolicyagent.bundles` content type and holds a request whose ETag is current
 * until the file changes or the `Prefer: wait=N` time passes.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/** One request the server answered. */
export interface SeenRequest {
  path: string;
  status: number;
  headers: IncomingMessage['headers'];
}

/** A running bundle server and what it has seen. */
export interface BundleServer {
  url: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

/** Starts serving the files of `dir`. */
export async function startBundleServer(
  dir: string,
  options: { token?: string; longPoll?: boolean } = {},
): Promise<BundleServer> {
  const requests: SeenRequest[] = [];
  const open = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    open.add(res);
    res.on('close', () => open.delete(res));
    answer(dir, options, req, res).then(
      (status) => requests.push({ path: req.url ?? '', status, headers: req.headers }),
      () => res.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        for (const res of open) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function answer(
  dir: string,
  options: { token?: string; longPoll?: boolean },
  req: IncomingMessage,
  res: ServerResponse,
): Promise<number> {
  const reply = (status: number, headers: Record<string, string> = {}, body?: Buffer) => {
    res.writeHead(status, headers).end(body);
    return status;
  };
  if (options.token && req.headers.authorization !== `Bearer ${options.token}`) return reply(401);
  const file = path.join(dir, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
  if (!file.startsWith(dir)) return reply(404);
  const contentType = options.longPoll ? 'application/vnd.openpolicyagent.bundles' : 'application/gzip';
  const wait = Number(/wait=(\d+)/.exec(String(req.headers.prefer ?? ''))?.[1] ?? 0);
  const deadline = Date.now() + (options.longPoll ? wait * 1000 : 0);
  for (;;) {
    const content = await fs.readFile(file).catch(() => undefined);
    if (!content) return reply(404);
    const etag = `"${createHash('sha256').update(content).digest('hex').slice(0, 16)}"`;
    if (req.headers['if-none-match'] !== etag) {
      return reply(200, { 'content-type': contentType, etag }, content);
    }
    if (Date.now() >= deadline || res.destroyed) return reply(304, { 'content-type': contentType, etag });
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
