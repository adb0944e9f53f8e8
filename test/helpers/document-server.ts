import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JwksFetch } from '../../src/identity';

/** What the server answers at one URL: a JSON document, raw text, or only a status. */
export interface DocumentReply {
  json?: unknown;
  text?: string;
  status?: number;
  headers?: Record<string, string>;
}

/** A real HTTP server on 127.0.0.1 serving JSON documents (discovery documents, key sets) at chosen URLs. */
export interface DocumentServer {
  /** `http://127.0.0.1:<port>`: URLs under it are served as they are. */
  origin: string;
  /** Answers `reply` at `url`: a URL under `origin`, or one of any host when asked through `fetch`. */
  serve(url: string, reply: DocumentReply): void;
  /** How many requests reached `url`. */
  hits(url: string): number;
  /**
   * The real fetch, except that a URL of another host goes to this server: what a resolver pointing every
   * name here would do, so that documents can name `https://login.microsoftonline.com/…` as providers do.
   */
  fetch: JwksFetch;
  close(): Promise<void>;
}

/** Starts a DocumentServer; unknown URLs answer 404. */
export async function startDocumentServer(): Promise<DocumentServer> {
  const replies = new Map<string, DocumentReply>();
  const hits = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    const key = request.url ?? '/';
    hits.set(key, (hits.get(key) ?? 0) + 1);
    const reply = replies.get(key);
    if (!reply) return void response.writeHead(404).end();
    const body = reply.text ?? (reply.json === undefined ? '' : JSON.stringify(reply.json));
    response
      .writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers })
      .end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Another host's URL is kept apart by its scheme and host: https://a.example/x is served at /https/a.example/x.
  const pathOf = (url: string) => {
    const parsed = new URL(url);
    if (parsed.origin === origin) return `${parsed.pathname}${parsed.search}`;
    return `/${parsed.protocol.replace(':', '')}/${parsed.host}${parsed.pathname}${parsed.search}`;
  };
  const realFetch = globalThis.fetch as unknown as JwksFetch;
  return {
    origin,
    serve: (url, reply) => {
      replies.set(pathOf(url), reply);
    },
    hits: (url) => hits.get(pathOf(url)) ?? 0,
    fetch: (url, init) => realFetch(`${origin}${pathOf(url)}`, init),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
