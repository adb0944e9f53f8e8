/**
 * How one fetch of a key set or discovery document ended: `error` when no usable reply came (connection, timeout,
 * HTTP status, size, not JSON, no jwks_uri known yet), `refused` when a JSON document came but could not be used
 * (a key set without a usable signature key, a discovery document naming another issuer or no jwks_uri).
 */
export type KeyFetchOutcome = 'ok' | 'error' | 'refused';

/** Which document of an issuer was fetched. */
export type KeyDocument = 'jwks' | 'discovery';

const OUTCOMES: readonly KeyFetchOutcome[] = ['ok', 'error', 'refused'];

/** Reports the outcome of one fetch of one issuer's document. */
export type KeyFetchListener = (outcome: KeyFetchOutcome) => void;

/** The fetch counts of one issuer's documents, and when its key set was last fetched and taken. */
export interface IssuerKeyFetches {
  /** The configured `issuer`: an Entra ID template stays the template, one entry for all its tenants. */
  issuer: string;
  /** Every outcome of every document the issuer uses, from zero. */
  counts: { document: KeyDocument; outcome: KeyFetchOutcome; count: number }[];
  /** Unix ms of the last key set taken, or null before the first. */
  lastSuccessMs: number | null;
}

interface IssuerEntry {
  counts: Map<KeyDocument, Map<KeyFetchOutcome, number>>;
  lastSuccessMs: number | null;
}

/**
 * Counts the key-set and discovery fetches of the remote issuers, for metrics. Kept apart from the metrics
 * themselves because the key sets are first fetched at start-up, before the metrics registry exists; the
 * issuers are the configured ones, so the counts stay bounded.
 */
export class KeyFetchStats {
  private readonly issuers = new Map<string, IssuerEntry>();

  constructor(private readonly now: () => number) {}

  /** Returns the listener of one issuer's document, whose counts start at zero (so a first failure shows as one). */
  listener(issuer: string, document: KeyDocument): KeyFetchListener {
    const entry = this.issuers.get(issuer) ?? { counts: new Map(), lastSuccessMs: null };
    this.issuers.set(issuer, entry);
    const counts = entry.counts.get(document) ?? new Map(OUTCOMES.map((o) => [o, 0]));
    entry.counts.set(document, counts);
    return (outcome) => {
      counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
      if (document === 'jwks' && outcome === 'ok') entry.lastSuccessMs = this.now();
    };
  }

  /** Returns the counts of every remote issuer. */
  status(): IssuerKeyFetches[] {
    return [...this.issuers].map(([issuer, entry]) => ({
      issuer,
      counts: [...entry.counts].flatMap(([document, byOutcome]) =>
        [...byOutcome].map(([outcome, count]) => ({ document, outcome, count })),
      ),
      lastSuccessMs: entry.lastSuccessMs,
    }));
  }
}
