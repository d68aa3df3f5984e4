import { StoreUnavailableError, isAsyncStore, type AnyCertStore, type AsyncCertStore, type CertStore, type Revocation } from './types.js';

export interface CertCacheOptions {
  /** Maximum number of entries (>= 1). */
  capacity: number;
  /** Lifetime of an entry in milliseconds (> 0). */
  ttlMs: number;
  /** Clock in milliseconds; default Date.now. */
  now?: () => number;
  /**
   * Minimum time between revocation-seq checks in get(); default 0 = check on every get. Only for
   * a synchronous store: an asynchronous one (a directory) is polled by startPolling() instead.
   */
  pollIntervalMs?: number;
  /** Called for every revocation the cache learns of (own revoke or sync), with the entries it purged. */
  onRevocation?: (r: Revocation, purged: number) => void;
}

export interface CertCacheStats {
  hits: number;
  misses: number;
  evictions: number;
  expirations: number;
  purgedByRevocation: number;
  syncErrors: number;
  /** Successful syncs (revocation polls). */
  syncs: number;
  /** set() calls refused because a certificate they rest on was revoked while the lookup ran. */
  staleSetsRefused: number;
}

/** How many recent purges set(..., since) can check against; older ones make it refuse conservatively. */
const RECENT_PURGES = 4096;

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
 *
 * Over an asynchronous store (LdapCertStore) the cache cannot ask the store inside get(): a
 * background poller (startPolling) calls revocationsSince(lastSeq) every P ms instead, so a
 * revocation made anywhere purges the entry within P + the directory's replication delay + one
 * search (docs/DIRECTORY.md measures it). A lookup that was running while a certificate it rests on
 * was revoked must not put its (stale) result in: callers take mark() before the lookup and pass it
 * to set(), which then refuses such a value.
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
  private readonly onRevocation?: (r: Revocation, purged: number) => void;
  /** Purge epoch: counts purges; recentPurges maps a purged ID (hex) to the epoch of its purge. */
  private epoch = 0;
  private readonly recentPurges = new Map<string, number>();
  /** set(..., since) with since below this cannot be checked (history dropped): refused. */
  private floorEpoch = 0;
  private syncing: Promise<boolean> | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  /** True when the store's operations return promises (a directory). */
  readonly async: boolean;
  private readonly counters: CertCacheStats = {
    hits: 0,
    misses: 0,
    evictions: 0,
    expirations: 0,
    purgedByRevocation: 0,
    syncErrors: 0,
    syncs: 0,
    staleSetsRefused: 0,
  };

  constructor(
    private readonly store: AnyCertStore,
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
    this.onRevocation = opts.onRevocation;
    this.lastSyncAt = this.now();
    this.lastSeq = 0;
    // An asynchronous store has no baseline yet: the first poll asks for every revocation since 0
    // (harmless on an empty cache).
    this.async = isAsyncStore(store);
    if (!this.async) {
      try {
        this.lastSeq = (store as CertStore).revocationSeq();
      } catch (e) {
        if (!(e instanceof StoreUnavailableError)) throw e;
        // Unknown baseline: the next successful sync replays every revocation, which is safe.
        this.counters.syncErrors++;
      }
    }
    this.unsubscribe = store.onRevoke((r: Revocation) => this.revoked(r));
  }

  /** A revocation learnt of: purge and report. */
  private revoked(r: Revocation): void {
    const n = this.purge(hex(r.id));
    try {
      this.onRevocation?.(r, n);
    } catch {
      /* a reporting callback must not break the cache */
    }
  }

  get size(): number {
    return this.entries.size;
  }

  get stats(): Readonly<CertCacheStats> {
    return { ...this.counters };
  }

  get(id: Uint8Array): T | undefined {
    if (!this.async && this.now() - this.lastSyncAt >= this.pollIntervalMs) this.sync();
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

  /** The current purge epoch, to pass to set() for a value whose lookup starts now. */
  mark(): number {
    return this.epoch;
  }

  /**
   * Stores `value` under `id`; the revocation of `id` or of any of `aliases` purges it. With
   * `since` (a mark() taken before the value was looked up), a value resting on an ID purged after
   * that mark is refused (returns false): it was read before its revocation arrived.
   */
  set(id: Uint8Array, value: T, aliases: Uint8Array[] = [], since?: number): boolean {
    const key = hex(id);
    const al = [...new Set(aliases.map(hex))].filter((a) => a !== key);
    if (since !== undefined && since < this.epoch) {
      const stale = since < this.floorEpoch || [key, ...al].some((k) => (this.recentPurges.get(k) ?? -1) > since);
      if (stale) {
        this.remove(key);
        this.counters.staleSetsRefused++;
        return false;
      }
    }
    this.remove(key);
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
    return true;
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
    if (this.async) throw new TypeError('CertCache.sync() needs a synchronous store; use syncAsync() or startPolling()');
    const store = this.store as CertStore;
    this.lastSyncAt = this.now();
    try {
      const seq = store.revocationSeq();
      if (seq > this.lastSeq) {
        let latest = this.lastSeq;
        for (const r of store.revocationsSince(this.lastSeq)) {
          this.revoked(r);
          if (r.seq > latest) latest = r.seq;
        }
        this.lastSeq = Math.max(latest, seq);
      }
      this.counters.syncs++;
      return true;
    } catch (e) {
      if (!(e instanceof StoreUnavailableError)) throw e;
      this.counters.syncErrors++;
      return false;
    }
  }

  /**
   * sync() for either kind of store. Over an asynchronous store: one revocationsSince(lastSeq)
   * (a single indexed search on the directory); concurrent calls share one request. Resolves false
   * (and counts stats.syncErrors) when the store is unavailable.
   */
  syncAsync(): Promise<boolean> {
    if (!this.async) return Promise.resolve(this.sync());
    if (this.syncing) return this.syncing;
    const store = this.store as AsyncCertStore;
    const run = (async () => {
      try {
        const since = this.lastSeq;
        const revs = await store.revocationsSince(since);
        let latest = since;
        for (const r of revs) {
          this.revoked(r);
          if (r.seq > latest) latest = r.seq;
        }
        this.lastSeq = Math.max(this.lastSeq, latest);
        this.lastSyncAt = this.now();
        this.counters.syncs++;
        return true;
      } catch (e) {
        if (!(e instanceof StoreUnavailableError)) throw e;
        this.counters.syncErrors++;
        return false;
      } finally {
        this.syncing = null;
      }
    })();
    this.syncing = run;
    return run;
  }

  /** Highest revocation seq this cache has applied. */
  get seq(): number {
    return this.lastSeq;
  }

  /**
   * Polls the store for revocations every `intervalMs` (real time; the timer does not keep the
   * process alive). One poll runs at a time; a failing poll is counted and retried at the next tick.
   */
  startPolling(intervalMs: number): void {
    if (!(intervalMs > 0)) throw new RangeError(`poll interval must be positive, got ${intervalMs}`);
    this.stopPolling();
    const tick = () => {
      this.syncAsync().catch((e) => process.emitWarning(`certificate cache poll failed: ${(e as Error)?.message ?? e}`));
    };
    this.pollTimer = setInterval(tick, intervalMs);
    this.pollTimer.unref();
    tick();
  }

  stopPolling(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
  }

  /** Unsubscribe from the store and drop all entries. */
  close(): void {
    this.stopPolling();
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.entries.clear();
    this.byAlias.clear();
  }

  /** Drops the entry keyed by a revoked ID and every entry that names it as an alias; returns how many. */
  private purge(key: string): number {
    let n = 0;
    this.epoch++;
    this.recentPurges.delete(key);
    this.recentPurges.set(key, this.epoch);
    while (this.recentPurges.size > RECENT_PURGES) {
      const [k, e] = this.recentPurges.entries().next().value as [string, number];
      this.recentPurges.delete(k);
      this.floorEpoch = Math.max(this.floorEpoch, e);
    }
    if (this.remove(key)) n++;
    const keys = this.byAlias.get(key);
    if (keys) for (const k of [...keys]) if (this.remove(k)) n++;
    this.counters.purgedByRevocation += n;
    return n;
  }
}
