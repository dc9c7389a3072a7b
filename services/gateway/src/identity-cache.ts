import { createHash } from "node:crypto";
import type { authV1 } from "@latchflow/proto";

export interface IdentityCacheOptions {
  /** how long an identity is reused after the auth service returned it; 0 turns the cache off */
  ttlMs: number;
  /** most identities held; the least recently used goes first */
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  identity: authV1.Identity;
  /** ms epoch: the TTL or the identity's own `validUntil`, whichever comes first */
  until: number;
}

/** A lookup's ticket: what {@link IdentityCache.store} needs to keep the identity it resolved (ADR 054). */
export interface Ticket {
  key: string;
  generation: number;
}

export const DEFAULT_MAX_ENTRIES = 10_000;

/** The key of a credential: its kind (as presented) and SHA-256; the credential itself is never kept. */
export function cacheKey(kind: string, token: string): string {
  return `${kind}:${createHash("sha256").update(token, "utf8").digest("base64")}`;
}

/**
 * The gateway's short-lived memory of identities the auth service returned (ADR 054), so most requests skip the
 * Authenticate call. Keyed by the credential's kind and SHA-256, never the credential itself; successes only
 * (a refused credential is asked again every time); an entry lives at most `ttlMs` and never past the
 * identity's `validUntil` (a session's end or idle limit, a token's expiry). Whatever revokes or narrows an
 * identity drops it: {@link drop} for a subject's entries (the auth events, on every gateway), {@link clear}
 * after an auth change made through this gateway. Both also void lookups still in flight: an Authenticate
 * answered before a revocation but returning after its event is not stored.
 */
export class IdentityCache {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  /** insertion order = recency (a hit moves its entry to the end) */
  readonly #entries = new Map<string, Entry>();
  #generation = 0;

  constructor(options: IdentityCacheOptions) {
    if (!Number.isInteger(options.ttlMs) || options.ttlMs < 0)
      throw new Error(`Invalid ttlMs ${options.ttlMs}`);
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The cached identity of a credential, or a ticket to store the one the auth service is about to return. */
  lookup(kind: string, token: string): { identity: authV1.Identity } | { ticket: Ticket | undefined } {
    if (this.#ttlMs === 0) return { ticket: undefined };
    const key = cacheKey(kind, token);
    const entry = this.#entries.get(key);
    if (entry) {
      this.#entries.delete(key);
      if (entry.until > this.#now()) {
        this.#entries.set(key, entry);
        return { identity: entry.identity };
      }
    }
    return { ticket: { key, generation: this.#generation } };
  }

  /** Keeps an identity the auth service returned, unless something was dropped since the lookup. */
  store(ticket: Ticket | undefined, identity: authV1.Identity): void {
    if (!ticket || ticket.generation !== this.#generation) return;
    const now = this.#now();
    const until = Math.min(now + this.#ttlMs, identity.validUntil?.getTime() ?? Number.POSITIVE_INFINITY);
    if (until <= now) return;
    this.#entries.delete(ticket.key);
    this.#entries.set(ticket.key, { identity, until });
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  /** Drops every identity of a subject (user or recipient id) or credential (token or session id). */
  drop(ids: readonly string[]): void {
    this.#generation++;
    if (ids.length === 0) return;
    const wanted = new Set(ids);
    for (const [key, { identity }] of this.#entries) {
      if (wanted.has(identity.subjectId) || wanted.has(identity.credentialId)) this.#entries.delete(key);
    }
  }

  /** Drops everything. */
  clear(): void {
    this.#generation++;
    this.#entries.clear();
  }
}
