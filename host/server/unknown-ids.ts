/**
 * Server B's negative cache: ID_A values the certificate store did not know, remembered for a
 * short TTL so that a hello repeating one (a replay of a made-up hello, a decommissioned handset
 * retrying) is refused with ERR_UNKNOWN_ID without another store lookup. Bounded: at most
 * `capacity` entries, the oldest dropped first. Entries sit in expiry order (one TTL, a clock
 * that only moves on), so expired ones are dropped from the front.
 *
 * The price of the TTL: an ID enrolled while B remembers it as unknown is served at the latest
 * `ttlMs` later.
 */
export class UnknownIdCache {
  private readonly entries = new Map<string, number>(); // ID hex -> expiry (ms)

  constructor(readonly capacity: number, readonly ttlMs: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) throw new RangeError(`unknown-ID cache capacity must be an integer >= 0, got ${capacity}`);
    if (!(ttlMs >= 0)) throw new RangeError(`unknown-ID cache TTL must be >= 0, got ${ttlMs}`);
  }

  get enabled(): boolean { return this.capacity > 0 && this.ttlMs > 0; }
  get size(): number { return this.entries.size; }

  /** True if `key` was recorded as unknown and its entry has not expired at `now`. */
  has(key: string, now: number): boolean {
    const exp = this.entries.get(key);
    if (exp === undefined) return false;
    if (exp > now) return true;
    this.entries.delete(key);
    return false;
  }

  add(key: string, now: number): void {
    if (!this.enabled) return;
    for (const [k, exp] of this.entries) { if (exp > now) break; this.entries.delete(k); }
    this.entries.delete(key);
    this.entries.set(key, now + this.ttlMs);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }

  delete(key: string): boolean { return this.entries.delete(key); }
  clear(): void { this.entries.clear(); }
}
