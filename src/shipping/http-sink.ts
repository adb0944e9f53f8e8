import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { constants, gzipSync } from 'node:zlib';
import type { DecisionLogsConfig } from '../config/config';
import { ConfigError } from '../errors';
import { DeliveryError, type DecisionLogSink } from './sinks';

// The fastest level: decision events are repetitive JSON that compresses well even so, and level 6
// cost several times the CPU per batch on the machine that serves decisions.
const GZIP = { level: constants.Z_BEST_SPEED };

/**
 * OPA's decision log service API: each batch is one gzip-compressed JSON array POSTed to
 * url + resource (Content-Encoding: gzip); any 2xx acknowledges it. Authenticates with a bearer
 * token read from a file, or a client certificate.
 */
export class HttpDecisionLogSink implements DecisionLogSink {
  readonly name = 'service';
  private readonly target: URL;
  private readonly agent: http.Agent;

  constructor(private readonly service: NonNullable<DecisionLogsConfig['service']>) {
    this.target = new URL(service.resource.replace(/^\//, ''), service.url.replace(/\/?$/, '/'));
    // Read once here so that a missing file stops the start-up; then again for every delivery (bearerToken).
    if (service.bearerTokenFile) readSetting('bearer_token_file', service.bearerTokenFile);
    const tls = service.tls;
    this.agent =
      this.target.protocol === 'https:'
        ? new https.Agent({
            keepAlive: true,
            cert: tls?.certFile ? readSetting('tls.cert_file', tls.certFile) : undefined,
            key: tls?.keyFile ? readSetting('tls.key_file', tls.keyFile) : undefined,
            ca: tls?.caFile ? readSetting('tls.ca_file', tls.caFile) : undefined,
          })
        : new http.Agent({ keepAlive: true });
  }

  async deliver(events: string[]): Promise<void> {
    // The array is joined from the events' JSON texts: no second serialisation of the batch. Compressed
    // synchronously: this runs on the shipping thread, which nothing else waits on, so the work stays on
    // it (and in its CPU metric) instead of a hop to libuv's pool and back.
    const body = gzipSync(Buffer.from(`[${events.join(',')}]`, 'utf8'), GZIP);
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
      'content-length': body.length,
    };
    const token = this.bearerToken();
    if (token) headers.authorization = `Bearer ${token}`;
    const send = this.target.protocol === 'https:' ? https.request : http.request;
    await new Promise<void>((resolve, reject) => {
      const req = send(this.target, { method: 'POST', headers, agent: this.agent }, (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else {
            const retryAfterMs = retryAfter(res.headers['retry-after']);
            reject(
              new DeliveryError(`the decision log service answered ${status}`, status, { retryAfterMs }),
            );
          }
        });
        res.on('error', (err) => reject(new DeliveryError(err.message, undefined, { cause: err })));
      });
      // A deadline on the whole exchange, not the socket's idle timeout: a collector that answers a byte at a
      // time would otherwise hold the batch (and a graceful stop, which waits for it) for as long as it trickles.
      const deadline = setTimeout(
        () => req.destroy(new Error(`no answer within ${this.service.timeoutMs} ms`)),
        this.service.timeoutMs,
      );
      req.on('close', () => clearTimeout(deadline));
      req.on('error', (err) => reject(new DeliveryError(err.message, undefined, { cause: err })));
      req.end(body);
    });
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }

  // Re-read for every delivery, as bundle downloads do theirs: a rotated token is used without a restart. A file
  // that cannot be read fails this delivery, which is retried with the back-off.
  private bearerToken(): string | undefined {
    const file = this.service.bearerTokenFile;
    if (!file) return undefined;
    try {
      return readSetting('bearer_token_file', file).toString('utf8').trim();
    } catch (err) {
      throw new DeliveryError((err as Error).message, undefined, { cause: err });
    }
  }
}

// RFC 9110 section 10.2.3: delay-seconds or an HTTP date; undefined for anything else.
function retryAfter(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

// A file the config names: a missing or unreadable one stops the start-up with the key to fix.
function readSetting(key: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ConfigError(
      `decision_logs.service.${key}`,
      `cannot read ${file} (${(err as NodeJS.ErrnoException).code})`,
      {
        cause: err,
      },
    );
  }
}
