import { hash } from 'node:crypto';
import type { TextSpan } from './detector';

/** Default number of texts a ScreeningCache remembers, per thread that screens: about 100 bytes each, 13 MB. */
export const DEFAULT_SCREENING_CACHE_ENTRIES = 131072;

const NOTHING: readonly TextSpan[] = Object.freeze([]);

/**
 * What screening found in texts it screened before, by a hash of the text: a chat or agent loop sends its
 * whole history with every call (the system prompt, every earlier turn, every tool result), so most of a
 * payload's text was screened on the caller's previous call. Only the SHA-256 of a text is kept, never the
 * text, and the spans found in it (offsets and classes). The key includes a scope, the caller's issuer and
 * subject: a caller can only ever speed up its own later calls, so how long a call takes says nothing about
 * what other callers sent. Texts not used lately leave first; the size is bounded by `capacity`.
 */
export class ScreeningCache {
  // Two generations instead of a list in use order: a text that is read is copied to the young one, and when the
  // young one is half the capacity the old one is dropped whole. Each text a caller keeps sending stays; one
  // not sent for half the capacity's worth of new texts goes. (A Map kept in use order by delete and set was
  // tried: deleting from its front leaves holes its iterator walks, 30 µs a payload.)
  private young = new Map<string, readonly TextSpan[]>();
  private old = new Map<string, readonly TextSpan[]>();
  hits = 0;
  misses = 0;

  constructor(readonly capacity = DEFAULT_SCREENING_CACHE_ENTRIES) {}

  /** Entries held (a text read from the old generation counts twice until it is dropped): at most `capacity`. */
  get size(): number {
    return this.young.size + this.old.size;
  }

  /** Returns the spans stored under `key` (never to be changed: copy before use), or undefined. */
  get(key: string): readonly TextSpan[] | undefined {
    let spans = this.young.get(key);
    if (spans === undefined) {
      spans = this.old.get(key);
      if (spans !== undefined) this.set(key, spans);
    }
    if (spans === undefined) this.misses++;
    else this.hits++;
    return spans;
  }

  set(key: string, spans: readonly TextSpan[]): void {
    if (this.capacity === 0) return;
    this.young.set(key, spans.length === 0 ? NOTHING : spans);
    if (this.young.size >= Math.max(1, this.capacity / 2)) {
      this.old = this.young;
      this.young = new Map();
    }
  }
}

/** A cache and the scope its keys are made in, for one payload's screening. */
export interface CacheScope {
  cache: ScreeningCache;
  /** Whose texts: the caller's issuer and subject. */
  scope: string;
  /** The keys of the texts this screening hashed with the default options, by text (see keyOfText). */
  keys: Map<string, string | undefined>;
}

/**
 * Returns the cache and scope to screen with, or undefined when there is nothing to remember: no cache, a cache
 * of capacity 0 (turned off: its texts are then not even hashed), or no caller to scope the texts to.
 */
export function cacheScope(
  cache: ScreeningCache | undefined,
  scope: string | undefined,
): CacheScope | undefined {
  return cache === undefined || cache.capacity === 0 || scope === undefined
    ? undefined
    : { cache, scope, keys: new Map() };
}

/**
 * Returns textKey(scope, '', text), hashing each text once per screening: the key of a value screened alone is
 * also the part of the key of every join of it with its neighbours (split-across-leaves.ts).
 */
export function keyOfText(cached: CacheScope, text: string): string | undefined {
  let key = cached.keys.get(text);
  if (key === undefined && !cached.keys.has(text)) {
    key = textKey(cached.scope, '', text);
    cached.keys.set(text, key);
  }
  return key;
}

/**
 * Returns the key of `text` screened with options `tag` in `scope`, or undefined when the text is not
 * well-formed UTF-16 (a lone surrogate would hash like U+FFFD, so two different texts could share a key).
 * Lengths go first, so that no two (scope, tag, text) triples make the same string.
 */
export function textKey(scope: string, tag: string, text: string): string | undefined {
  if (!text.isWellFormed()) return undefined;
  return hash('sha256', `${scope.length}:${tag.length}:${scope}${tag}${text}`, 'base64');
}

/** Returns the scope of a caller's texts. */
export function callerScope(issuer: string, subject: string): string {
  return `${issuer.length}:${issuer}${subject}`;
}
