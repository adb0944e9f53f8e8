import { isRefusal, type KeyFetchFailure } from './key-fetch-error';

/**
 * How one fetch of a key set or discovery document ended: `error` when no usable reply came (connection, timeout,
 * HTTP status, size, not JSON, no jwks_uri known yet), `refused` when a JSON document came but could not be used
 * (a key set without a usable signature key, a discovery document naming another issuer or no jwks_uri).
 */
export type KeyFetchOutcome = 'ok' | 'error' | 'refused';

/** Which document of an issuer was fetched. */
export type KeyDocument = 'jwks' | 'discovery';

const OUTCOMES: readonly KeyFetchOutcome[] = ['ok', 'error', 'refused'];

/** Told how each fetch of one issuer's document ended. */
export interface KeyFetchListener {
  succeeded(): void;
  failed(failure: KeyFetchFailure): void;
}

/** The fetch counts of one issuer's documents, and when its key set was last fetched and taken. */
export interface IssuerKeyFetches {
  /** The configured `issuer`: an Entra ID template stays the template, one entry for all its tenants. */
  issuer: string;
  /** Every outcome of every document the issuer uses, from zero. */
  counts: { document: KeyDocument; outcome: KeyFetchOutcome; count: number }[];
  /** Unix ms of the last key set taken, or null before the first. */
  lastSuccessMs: number | null;
}

/** When one document of an issuer was last fetched and used, and when and why it last failed. */
export interface DocumentFetches {
  document: KeyDocument;
  lastSuccessMs: number | null;
  lastFailure: (KeyFetchFailure & { atMs: number }) | null;
}

interface DocumentEntry {
  counts: Map<KeyFetchOutcome, number>;
  lastSuccessMs: number | null;
  lastFailure: DocumentFetches['lastFailure'];
}

/**
 * Counts the key-set and discovery fetches of the remote issuers, and keeps when each last succeeded and failed,
 * for metrics and GET /v1/status. Kept apart from both because the key sets are first fetched at start-up, before
 * the metrics registry exists; the issuers are the configured ones, so the counts stay bounded.
 */
export class KeyFetchStats {
  private readonly issuers = new Map<string, Map<KeyDocument, DocumentEntry>>();

  constructor(private readonly now: () => number) {}

  /** Returns the listener of one issuer's document, whose counts start at zero (so a first failure shows as one). */
  listener(issuer: string, document: KeyDocument): KeyFetchListener {
    const documents = this.issuers.get(issuer) ?? new Map<KeyDocument, DocumentEntry>();
    this.issuers.set(issuer, documents);
    const entry: DocumentEntry = documents.get(document) ?? {
      counts: new Map(OUTCOMES.map((o) => [o, 0])),
      lastSuccessMs: null,
      lastFailure: null,
    };
    documents.set(document, entry);
    const count = (outcome: KeyFetchOutcome) =>
      entry.counts.set(outcome, (entry.counts.get(outcome) ?? 0) + 1);
    return {
      succeeded: () => {
        count('ok');
        entry.lastSuccessMs = this.now();
      },
      failed: (failure) => {
        count(isRefusal(failure.code) ? 'refused' : 'error');
        entry.lastFailure = { ...failure, atMs: this.now() };
      },
    };
  }

  /** Returns the counts of every remote issuer. */
  status(): IssuerKeyFetches[] {
    return [...this.issuers].map(([issuer, documents]) => ({
      issuer,
      counts: [...documents].flatMap(([document, entry]) =>
        [...entry.counts].map(([outcome, count]) => ({ document, outcome, count })),
      ),
      lastSuccessMs: documents.get('jwks')?.lastSuccessMs ?? null,
    }));
  }

  /** Returns the last success and failure of each document of one issuer (none for an issuer never fetched). */
  documents(issuer: string): DocumentFetches[] {
    return [...(this.issuers.get(issuer) ?? [])].map(([document, entry]) => ({
      document,
      lastSuccessMs: entry.lastSuccessMs,
      lastFailure: entry.lastFailure,
    }));
  }
}
