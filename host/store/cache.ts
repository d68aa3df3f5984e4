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
  /**
   * Refuse cache hits (count them as misses) once the last successful revocation poll started more
   * than this many ms ago (by `now`); default undefined = hits are served however old the last poll
   * is. With it, a directory outage longer than this makes every handshake need a lookup, which
   * then fails with the store's error (ERR_STORE) instead of being served from a cache that may
   * hold a revoked certificate; without it the cache keeps serving through an outage and a
   * revocation made meanwhile takes effect at the first successful poll after it.
   */
  maxSyncAgeMs?: number;
  /** How long a gap in the revocation sequence is waited for (ms, by `now`); default GAP_GRACE_MS. */
  gapGraceMs?: number;
  /**
   * An asynchronous store's poll that has not settled after this many ms (real time) is abandoned
   * as failed (stats.pollTimeouts, syncErrors; its late answer is ignored) so that the poller goes
   * on; default 30000. A store's own timeouts should end a poll long before (LdapCertStore: connect
   * + operation timeout): this only guards against a request that never settles, which would stop
   * revocations from reaching the cache without a sign.
   */
  pollTimeoutMs?: number;
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
  /** Polls (sync / syncAsync / the poller) that finished, successful (syncs) or not (syncErrors). */
  polls: number;
  /**
   * Duration of the last and of the longest successful poll, ms (performance.now): from the moment
   * the poll was due (the poller's tick, including a timer that fired late and the wait for a poll
   * still running; the call for sync()/syncAsync()) until its revocations were purged. null before
   * the first.
   */
  lastPollMs: number | null;
  maxPollMs: number | null;
  /** When the last successful poll started (the cache's clock, `now`, ms); null before the first. */
  lastSyncAt: number | null;
  /** Hits refused because the last successful poll was older than maxSyncAgeMs (counted as misses too). */
  syncAgeRefusals: number;
  /** Sequence numbers missing below the highest seen, still waited for (re-queried every poll). */
  gapsOpen: number;
  /** Sequence numbers given up after GAP_GRACE_MS without their revocation appearing. */
  gapsGivenUp: number;
  /** Polls abandoned after pollTimeoutMs (counted in syncErrors too). */
  pollTimeouts: number;
}

/**
 * How long the poller waits for a missing revocation sequence number before it gives it up: 60 s.
 *
 * A writer allocates a seq (LdapCertStore: compare-and-swap on the counter) and commits the
 * revocation in a later, separate write, so revocations become visible out of order: n + 1 can be
 * seen before n. The poller therefore never moves its lower bound past a missing n; it keeps asking
 * for everything above it. Some numbers never appear: a writer that crashed or lost the directory
 * between allocation and commit, or one that lost a race to revoke the same ID (its number is
 * skipped). Such a gap is given up once GAP_GRACE_MS have passed since the poller first saw a
 * higher number (that is, at least that long after n was allocated). 60 s is far above an
 * allocation-to-commit time (two directory round trips, milliseconds; B's store timeout is 2-5 s),
 * plus replication to B's replica (milliseconds on loopback, ~1 s syncrepl retry after a replica
 * restart), and it bounds the cost of an open gap: until then every poll re-reads the revocations
 * above it, at most a minute's worth. A revocation whose commit comes later than that is missed by
 * the poller (stats.gapsGivenUp counts the numbers given up): its cache entry lives until its TTL.
 */
export const GAP_GRACE_MS = 60_000;

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
 * as this process revokes them (store.onRevoke) and, for revocations made elsewhere, when a poll sees
 * revocations it has not applied yet. An entry may also name further certificate IDs (aliases:
 * server B keys a handset's entry by the ID it was asked for and the suite, and lists the IDs of the
 * handset's certificates), and the revocation of any of them purges it too.
 *
 * Over an asynchronous store (LdapCertStore) the cache cannot ask the store inside get(): a
 * background poller (startPolling) calls revocationsSince(floor) every P ms instead, so a
 * revocation made anywhere purges the entry within P + the directory's replication delay + one
 * poll (stats.maxPollMs; docs/DIRECTORY.md). A lookup that was running while a certificate it
 * rests on was revoked must not put its (stale) result in: callers take mark() before the lookup
 * and pass it to set(), which then refuses such a value.
 *
 * Sequence gaps. Revocation seqs are allocated before the revocation is committed, so a poll can
 * see n + 1 before n. The poll's lower bound (`floor`) therefore advances only over a contiguous
 * run of applied seqs; the seqs applied above a missing one are remembered (and not applied
 * again), every poll asks again from the gap, and a gap is given up after GAP_GRACE_MS. Applying
 * a revocation twice would be harmless (purging is idempotent) but it is not even reported twice:
 * a (seq, ID) pair above the floor is applied once, whether it came from a poll or from onRevoke.
 */
export class CertCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  /** alias ID (hex) -> keys of the entries that name it */
  private readonly byAlias = new Map<string, Set<string>>();
  private readonly capacity: number;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly pollIntervalMs: number;
  private readonly maxSyncAgeMs: number | undefined;
  private readonly gapGraceMs: number;
  private readonly pollTimeoutMs: number;
  /** Every seq <= floor was applied or given up; a poll asks for revocationsSince(floor). */
  private floor: number;
  /** Seqs above the floor already applied: seq -> the IDs (hex) applied with it, when first seen (`now`). */
  private readonly above = new Map<number, { ids: Set<string>; seenAt: number }>();
  /** Highest seq applied (or the baseline). */
  private maxSeen: number;
  /** When sync() last ran (for pollIntervalMs), and when the last successful poll started (maxSyncAgeMs). */
  private lastAttemptAt: number;
  private lastSyncOkAt: number;
  private unsubscribe: (() => void) | null;
  private readonly onRevocation?: (r: Revocation, purged: number) => void;
  /** Purge epoch: counts purges; recentPurges maps a purged ID (hex) to the epoch of its purge. */
  private epoch = 0;
  private readonly recentPurges = new Map<string, number>();
  /** set(..., since) with since below this cannot be checked (history dropped): refused. */
  private floorEpoch = 0;
  private syncing: Promise<boolean> | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private polling = false;
  /** Due time (performance.now) of a poller tick that found a poll running: it polls again after it. */
  private queuedDue: number | null = null;
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
    polls: 0,
    lastPollMs: null,
    maxPollMs: null,
    lastSyncAt: null,
    syncAgeRefusals: 0,
    gapsOpen: 0,
    gapsGivenUp: 0,
    pollTimeouts: 0,
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
    if (opts.maxSyncAgeMs !== undefined && !(opts.maxSyncAgeMs > 0)) throw new RangeError(`maxSyncAgeMs must be positive, got ${opts.maxSyncAgeMs}`);
    const grace = opts.gapGraceMs ?? GAP_GRACE_MS;
    if (!(grace >= 0)) throw new RangeError(`gapGraceMs must be >= 0, got ${grace}`);
    const pollTimeout = opts.pollTimeoutMs ?? 30_000;
    if (!(pollTimeout > 0)) throw new RangeError(`pollTimeoutMs must be positive, got ${pollTimeout}`);
    this.pollTimeoutMs = pollTimeout;
    this.capacity = opts.capacity;
    this.ttlMs = opts.ttlMs;
    this.now = opts.now ?? Date.now;
    this.pollIntervalMs = poll;
    this.maxSyncAgeMs = opts.maxSyncAgeMs;
    this.gapGraceMs = grace;
    this.onRevocation = opts.onRevocation;
    this.lastAttemptAt = this.now();
    // An empty cache knows every revocation that matters to it: its sync age starts now.
    this.lastSyncOkAt = this.lastAttemptAt;
    this.floor = 0;
    this.maxSeen = 0;
    // An asynchronous store has no baseline yet: the first poll asks for every revocation since 0
    // (harmless on an empty cache).
    this.async = isAsyncStore(store);
    if (!this.async) {
      try {
        // SQLite numbers a revocation in the transaction that commits it: no gap below its maximum.
        this.floor = this.maxSeen = (store as CertStore).revocationSeq();
      } catch (e) {
        if (!(e instanceof StoreUnavailableError)) throw e;
        // Unknown baseline: the next successful sync replays every revocation, which is safe.
        this.counters.syncErrors++;
      }
    }
    this.unsubscribe = store.onRevoke((r: Revocation) => this.learn(r));
  }

  /**
   * A revocation learnt of (poll or onRevoke): purge and report, unless this (seq, ID) was applied
   * already. Recorded above the floor, so that the floor can advance over it.
   */
  private learn(r: Revocation): void {
    const key = hex(r.id);
    if (Number.isSafeInteger(r.seq) && r.seq > this.floor) {
      let e = this.above.get(r.seq);
      if (e?.ids.has(key)) return; // applied already
      if (!e) this.above.set(r.seq, (e = { ids: new Set(), seenAt: this.now() }));
      e.ids.add(key);
      if (r.seq > this.maxSeen) this.maxSeen = r.seq;
    }
    // (a seq at or below the floor is not asked for by polls; from onRevoke it may be one given
    // up, or a repeat: purging again is harmless)
    const n = this.purge(key);
    try {
      this.onRevocation?.(r, n);
    } catch {
      /* a reporting callback must not break the cache */
    }
  }

  /**
   * Moves the floor over the applied seqs contiguous with it, and over a gap once GAP_GRACE_MS
   * have passed since it was first noticed (the first time a higher seq was seen).
   */
  private advance(): void {
    if (this.above.size > 0) {
      const now = this.now();
      const seqs = [...this.above.keys()].sort((a, b) => a - b);
      // noticed[i]: when the gap just below seqs[i] (if any) was first noticed = min seenAt over seqs[i..]
      const noticed = new Array<number>(seqs.length);
      let m = Infinity;
      for (let i = seqs.length - 1; i >= 0; i--) noticed[i] = m = Math.min(m, this.above.get(seqs[i]!)!.seenAt);
      for (let i = 0; i < seqs.length; i++) {
        const s = seqs[i]!;
        if (s !== this.floor + 1) {
          if (now - noticed[i]! < this.gapGraceMs) break;
          this.counters.gapsGivenUp += s - 1 - this.floor;
        }
        this.floor = s;
        this.above.delete(s);
      }
    }
    this.counters.gapsOpen = this.maxSeen - this.floor - this.above.size;
  }

  get size(): number {
    return this.entries.size;
  }

  get stats(): Readonly<CertCacheStats> {
    return { ...this.counters };
  }

  get(id: Uint8Array): T | undefined {
    if (!this.async && this.now() - this.lastAttemptAt >= this.pollIntervalMs) this.sync();
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
    if (this.maxSyncAgeMs !== undefined && this.now() - this.lastSyncOkAt > this.maxSyncAgeMs) {
      // kept: served again once a poll succeeds (that poll purges it if it was revoked meanwhile)
      this.counters.syncAgeRefusals++;
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

  /** A poll finished: counters and timing (`due`: performance.now when it was due). */
  private polled(ok: boolean, due: number, startedAt: number): void {
    this.counters.polls++;
    if (!ok) {
      this.counters.syncErrors++;
      return;
    }
    const ms = Math.max(0, Math.round((performance.now() - due) * 1000) / 1000);
    this.counters.syncs++;
    this.counters.lastPollMs = ms;
    this.counters.maxPollMs = Math.max(this.counters.maxPollMs ?? 0, ms);
    this.lastSyncOkAt = startedAt;
    this.counters.lastSyncAt = startedAt;
  }

  /**
   * Purge entries revoked since the last sync. Returns false (and counts stats.syncErrors) when the store
   * is unavailable; the cache keeps serving in that case.
   */
  sync(): boolean {
    return this.syncNow(performance.now());
  }

  private syncNow(due: number): boolean {
    if (this.async) throw new TypeError('CertCache.sync() needs a synchronous store; use syncAsync() or startPolling()');
    const store = this.store as CertStore;
    const startedAt = (this.lastAttemptAt = this.now());
    try {
      // the cheap check first; a gap still open is asked for again whatever the maximum says
      if (store.revocationSeq() > this.maxSeen || this.above.size > 0) {
        for (const r of store.revocationsSince(this.floor)) this.learn(r);
      }
      this.advance();
      this.polled(true, due, startedAt);
      return true;
    } catch (e) {
      if (!(e instanceof StoreUnavailableError)) throw e;
      this.polled(false, due, startedAt);
      return false;
    }
  }

  /**
   * sync() for either kind of store. Over an asynchronous store: one revocationsSince(floor)
   * (a single indexed search on the directory); concurrent calls share one request. Resolves false
   * (and counts stats.syncErrors) when the store is unavailable.
   */
  syncAsync(): Promise<boolean> {
    if (!this.async) return Promise.resolve(this.sync());
    return this.syncing ?? this.startSync(performance.now());
  }

  private startSync(due: number): Promise<boolean> {
    const token = { abandoned: false };
    let timer: NodeJS.Timeout | undefined;
    const watchdog = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => {
        token.abandoned = true;
        this.counters.pollTimeouts++;
        this.polled(false, due, 0);
        resolve(false);
      }, this.pollTimeoutMs);
      timer.unref();
    });
    const run = Promise.race([this.pollOnce(due, token), watchdog]).finally(() => {
      clearTimeout(timer);
      this.syncing = null;
      const q = this.queuedDue;
      this.queuedDue = null;
      // a tick came due while this poll ran: its poll starts now (and is timed from its due time)
      if (q !== null && this.polling) this.startSync(q).catch((e) => warnPoll(e));
    });
    this.syncing = run;
    return run;
  }

  private async pollOnce(due: number, token: { abandoned: boolean }): Promise<boolean> {
    const store = this.store as AsyncCertStore;
    const startedAt = (this.lastAttemptAt = this.now());
    try {
      const revs = await store.revocationsSince(this.floor);
      if (token.abandoned) return false; // counted when abandoned; the next poll asks again
      for (const r of revs) this.learn(r);
      this.advance();
      this.polled(true, due, startedAt);
      return true;
    } catch (e) {
      if (token.abandoned) return false;
      if (!(e instanceof StoreUnavailableError)) throw e;
      this.polled(false, due, startedAt);
      return false;
    }
  }

  /** Highest revocation seq this cache has applied. */
  get seq(): number {
    return this.maxSeen;
  }

  /** The poll's lower bound: every seq up to it was applied or given up; gaps above it are waited for. */
  get pollFloor(): number {
    return this.floor;
  }

  /**
   * Polls the store for revocations every `intervalMs` (real time; the timer does not keep the
   * process alive). One poll runs at a time: a tick that comes due while one is running starts
   * another as soon as it ends (several such ticks, one), so every due time is followed by a poll
   * that started after it, and stats.maxPollMs (timed from the due time) is the whole term. A
   * failing poll is counted and retried at the next tick.
   */
  startPolling(intervalMs: number): void {
    if (!(intervalMs > 0)) throw new RangeError(`poll interval must be positive, got ${intervalMs}`);
    this.stopPolling();
    this.polling = true;
    let due = performance.now();
    const arm = (ms: number) => {
      this.pollTimer = setTimeout(tick, Math.max(1, Math.ceil(ms)));
      this.pollTimer.unref();
    };
    const tick = () => {
      if (!this.polling) return;
      const t = performance.now();
      // a timer can fire up to a millisecond early (its start is the event loop's cached time):
      // a poll must not start before its due time, or a revocation visible at the due time could
      // wait a whole further period
      if (t < due) return arm(due - t);
      const thisDue = due;
      due += intervalMs;
      // more than a period late: this poll covers the missed due times (it is timed from the
      // earliest); the next one is a period after it, not a burst of catch-up polls
      if (due <= t) due = t + intervalMs;
      if (!this.async) {
        this.syncNow(thisDue);
      } else if (this.syncing) {
        if (this.queuedDue === null) this.queuedDue = thisDue;
      } else {
        this.startSync(thisDue).catch((e) => warnPoll(e));
      }
      arm(due - performance.now());
    };
    tick();
  }

  stopPolling(): void {
    this.polling = false;
    this.queuedDue = null;
    if (this.pollTimer) clearTimeout(this.pollTimer);
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

function warnPoll(e: unknown): void {
  process.emitWarning(`certificate cache poll failed: ${(e as Error)?.message ?? e}`);
}
