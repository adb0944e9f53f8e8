import { Counter, Gauge, type Registry } from 'prom-client';
import type { IssuerKeyFetches } from '../identity';

/**
 * Registers the key-set metrics of the issuers whose keys are fetched: fetches by document and outcome, and when
 * the key set was last taken. Read at scrape time. The `issuer` label is the configured issuer (an Entra ID
 * template once, not per tenant), so the series are bounded by the configuration.
 */
export function registerIssuerKeyMetrics(registry: Registry, read: () => IssuerKeyFetches[]): void {
  const registers = [registry];
  const seen = new Map<string, number>();
  new Counter({
    name: 'modelgate_issuer_key_fetches_total',
    help: 'Fetches of an issuer\'s key set (document "jwks") or discovery document, by outcome (ok, error, refused).',
    labelNames: ['issuer', 'document', 'outcome'],
    registers,
    collect() {
      for (const { issuer, counts } of read()) {
        for (const { document, outcome, count } of counts) {
          // prom-client counters only go up: add what was counted since the last scrape (zero makes the series).
          const key = `${issuer}\u0000${document}\u0000${outcome}`;
          const before = seen.get(key) ?? 0;
          this.inc({ issuer, document, outcome }, Math.max(0, count - before));
          seen.set(key, Math.max(count, before));
        }
      }
    },
  });
  new Gauge({
    name: 'modelgate_issuer_key_last_success_timestamp_seconds',
    help: "When the issuer's key set was last fetched and taken (Unix time); absent before the first.",
    labelNames: ['issuer'],
    registers,
    collect() {
      this.reset();
      for (const { issuer, lastSuccessMs } of read()) {
        if (lastSuccessMs !== null) this.set({ issuer }, lastSuccessMs / 1000);
      }
    },
  });
}
