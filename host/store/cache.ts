import { StoreUnavailableError, type CertStore, type Revocation } from './types.js';

export interface CertCacheOptions {
  /** Maximum number of entries (>= 1). */
  capacity: number;
  /** Lifetime of an entry in milliseconds (> 0). */
  ttlMs: number;
  /** Clock in milliseconds; default Date.now. */
  now?: () => number;
  /** Minimum time between revocation-seq checks in get(); default 0 = check on every get. */
  pollIntervalMs?: number;
}

export interface CertCacheStats {
  hits: number;
  misses: number;
  evictions: number;
  expirations: number;
  purgedByRevocation: number;
  syncErrors: number;
}

interface Entry<T> {
  value: T;
  expiresAt: number;
  /** Further certificate IDs whose revocation purges this entry (hex). */
  aliases: string[];
}

function hex(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');
}

/**
 * Bounded LRU of validated entries keyed by certificate ID, each with a TTL. Entries are purged as soon
 * as this process revokes them (store.onRevoke) and, for revocations made elsewhere, when sync() sees
 * the store's revocation sequence advance. An entry may also name further certificate IDs (aliases:
 * server B keys a handset's entry by the ID it was asked for and the suite, and lists the IDs of the
 * handset's certificates), and the revocation of any of them purges it too.
 */
export class CertCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  /** alias ID (hex) -> keys of the entries that name it */
  private readonly byAlias = new Map<string, Set<string>>();
  private readonly capacity: number;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly pollIntervalMs: number;
  private lastSeq: number;
  private lastSyncAt: number;
  private unsubscribe: (() => void) | null;
  private readonly counters: CertCacheStats = {
    hits: 0,
    misses: 0,
    evictions: 0,
    expirations: 0,
    purgedByRevocation: 0,
    syncErrors: 0,
  };

  constructor(
    private readonly store: CertStore,
    opts: CertCacheOptions,
  ) {
    if (!Number.isSafeInteger(opts.capacity) || opts.capacity < 1) {
      throw new RangeError(`capacity must be a positive integer, got ${opts.capacity}`);
    }
    if (!(opts.ttlMs > 0)) throw new RangeError(`ttlMs must be positive, got ${opts.ttlMs}`);
    const poll = opts.pollIntervalMs ?? 0;
    if (!(poll >= 0)) throw new RangeError(`pollIntervalMs must be >= 0, got ${poll}`);
    this.capacity = opts.capacity;
    this.ttlMs = opts.ttlMs;
    this.now = opts.now ?? Date.now;
    this.pollIntervalMs = poll;
    this.lastSyncAt = this.now();
    try {
      this.lastSeq = store.revocationSeq();
    } catch (e) {
      if (!(e instanceof StoreUnavailableError)) throw e;
      // Unknown baseline: the next successful sync replays every revocation, which is safe.
      this.lastSeq = 0;
      this.counters.syncErrors++;
    }
    this.unsubscribe = store.onRevoke((r: Revocation) => this.purge(hex(r.id)));
  }

  get size(): number {
    return this.entries.size;
  }

  get stats(): Readonly<CertCacheStats> {
    return { ...this.counters };
  }

  get(id: Uint8Array): T | undefined {
    if (this.now() - this.lastSyncAt >= this.pollIntervalMs) this.sync();
    const key = hex(id);
    const e = this.entries.get(key);
    if (!e) {
      this.counters.misses++;
      return undefined;
    }
    if (this.now() >= e.expiresAt) {
      this.remove(key);
      this.counters.expirations++;
      this.counters.misses++;
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, e); // most recent
    this.counters.hits++;
    return e.value;
  }

  /** Stores `value` under `id`; the revocation of `id` or of any of `aliases` purges it. */
  set(id: Uint8Array, value: T, aliases: Uint8Array[] = []): void {
    const key = hex(id);
    this.remove(key);
    const al = [...new Set(aliases.map(hex))].filter((a) => a !== key);
    this.entries.set(key, { value, expiresAt: this.now() + this.ttlMs, aliases: al });
    for (const a of al) {
      let keys = this.byAlias.get(a);
      if (!keys) this.byAlias.set(a, (keys = new Set()));
      keys.add(key);
    }
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.remove(oldest);
      this.counters.evictions++;
    }
  }

  delete(id: Uint8Array): boolean {
    return this.remove(hex(id));
  }

  private remove(key: string): boolean {
    const e = this.entries.get(key);
    if (!e) return false;
    this.entries.delete(key);
    for (const a of e.aliases) {
      const keys = this.byAlias.get(a);
      keys?.delete(key);
      if (keys && keys.size === 0) this.byAlias.delete(a);
    }
    return true;
  }

  /**
   * Purge entries revoked since the last sync. Returns false (and counts stats.syncErrors) when the store
   * is unavailable; the cache keeps serving in that case.
   */
  sync(): boolean {
    this.lastSyncAt = this.now();
    try {
      const seq = this.store.revocationSeq();
      if (seq > this.lastSeq) {
        let latest = this.lastSeq;
        for (const r of this.store.revocationsSince(this.lastSeq)) {
          this.purge(hex(r.id));
          if (r.seq > latest) latest = r.seq;
        }
        this.lastSeq = Math.max(latest, seq);
      }
      return true;
    } catch (e) {
      if (!(e instanceof StoreUnavailableError)) throw e;
      this.counters.syncErrors++;
      return false;
    }
  }

  /** Unsubscribe from the store and drop all entries. */
  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.entries.clear();
    this.byAlias.clear();
  }

  /** Drops the entry keyed by a revoked ID and every entry that names it as an alias. */
  private purge(key: string): void {
    if (this.remove(key)) this.counters.purgedByRevocation++;
    const keys = this.byAlias.get(key);
    if (keys) for (const k of [...keys]) if (this.remove(k)) this.counters.purgedByRevocation++;
  }
}
