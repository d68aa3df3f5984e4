/**
 * CertCache's revocation poller against stores whose revocation visibility the test controls:
 * revocations that become visible out of sequence order (n + 1 committed before n, as two
 * concurrent LdapCertStore.revoke() calls can do: the seq is allocated before the commit), the
 * grace period after which a gap is given up (injected clock), a revocation seen twice (onRevoke
 * and a poll; a poll repeating the ones above a gap), the same for a synchronous store, the
 * maximum sync age (hits refused while the last successful poll is too old), the poll timing
 * stats, and a poll that never settles (abandoned after pollTimeoutMs). The same ordering against real slapd is in test/ldap-store.test.ts; the outage with a
 * real directory and server B in test/ldap-server.test.ts.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { CertCache, GAP_GRACE_MS } from '../host/store/cache.js';
import { StoreUnavailableError, type AsyncCertStore, type CertStore, type Revocation, type StoredCert } from '../host/store/types.js';

const id = (n: number) => new Uint8Array(8).fill(n);
const hex = (u: Uint8Array) => Buffer.from(u).toString('hex');
const rev = (seq: number, n: number): Revocation => ({ seq, id: id(n), at: 1000 + seq, reason: `r${seq}` });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The revocations a directory shows: the test commits them in any order; the cache polls. */
class VisibleRevocations {
  readonly committed: Revocation[] = [];
  readonly asked: number[] = [];
  readonly listeners = new Set<(r: Revocation) => void>();
  down = false;
  /** Makes a revocation visible; `notify` also tells onRevoke listeners (a revocation made through this store object). */
  commit(r: Revocation, notify = false): void {
    this.committed.push(r);
    if (notify) for (const l of this.listeners) l(r);
  }
  since(seq: number): Revocation[] {
    this.asked.push(seq);
    if (this.down) throw new StoreUnavailableError('directory down (test)');
    return this.committed.filter((r) => r.seq > seq).sort((a, b) => a.seq - b.seq).map((r) => ({ ...r, id: new Uint8Array(r.id) }));
  }
  max(): number {
    if (this.down) throw new StoreUnavailableError('directory down (test)');
    return Math.max(0, ...this.committed.map((r) => r.seq));
  }
  onRevoke(l: (r: Revocation) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

class FakeAsyncStore implements AsyncCertStore {
  readonly asynchronous = true as const;
  delayMs = 0;
  /** The next revocationsSince never settles (a request lost by the client library). */
  hangNext = false;
  inFlight = 0;
  maxInFlight = 0;
  constructor(readonly v: VisibleRevocations) {}
  lookup(): Promise<StoredCert | null> { return Promise.resolve(null); }
  revocationSeq(): Promise<number> { return Promise.resolve().then(() => this.v.max()); }
  async revocationsSince(seq: number): Promise<Revocation[]> {
    if (this.hangNext) { this.hangNext = false; return new Promise(() => {}); }
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.delayMs) await sleep(this.delayMs);
      else await Promise.resolve();
      return this.v.since(seq);
    } finally { this.inFlight--; }
  }
  onRevoke(l: (r: Revocation) => void): () => void { return this.v.onRevoke(l); }
  close(): void {}
}

/** A synchronous store with the same controllable visibility (only what CertCache calls). */
function fakeSyncStore(v: VisibleRevocations): CertStore {
  const no = () => { throw new Error('not used by the cache'); };
  return {
    enrol: no, lookup: () => null, revoke: no, list: () => [],
    revocationSeq: () => v.max(),
    revocationsSince: (seq: number) => v.since(seq),
    onRevoke: (l) => v.onRevoke(l),
    close: () => {},
  };
}

function setup(o: { sync?: boolean; maxSyncAgeMs?: number; gapGraceMs?: number } = {}) {
  const v = new VisibleRevocations();
  const store = o.sync ? fakeSyncStore(v) : new FakeAsyncStore(v);
  let clock = 5_000_000;
  const reported: string[] = [];
  const cache = new CertCache<string>(store, {
    capacity: 100, ttlMs: 3_600_000, now: () => clock, pollIntervalMs: 3_600_000, maxSyncAgeMs: o.maxSyncAgeMs, gapGraceMs: o.gapGraceMs,
    onRevocation: (r, purged) => reported.push(`${r.seq}:${hex(r.id).slice(0, 2)}:${purged}`),
  });
  const poll = () => cache.syncAsync();
  return { v, store, cache, reported, poll, tick: (ms: number) => (clock += ms) };
}

for (const kind of ['asynchronous', 'synchronous'] as const) {
  test(`${kind} store: revocation n + 1 committed before n; the poller waits at the gap and purges both`, async () => {
    const { v, cache, reported, poll } = setup({ sync: kind === 'synchronous' });
    for (const n of [1, 2, 3]) cache.set(id(n), `handset ${n}`);
    // revocations 1 and 2 were allocated in that order; 2 commits first
    v.commit(rev(2, 2));
    assert.equal(await poll(), true);
    assert.equal(cache.get(id(2)), undefined, 'n + 1 purged');
    assert.equal(cache.get(id(1)), 'handset 1', 'n not committed yet');
    assert.equal(cache.pollFloor, 0, 'the lower bound stays below the gap');
    assert.equal(cache.seq, 2);
    assert.equal(cache.stats.gapsOpen, 1);
    // a poll in between: 2 comes back again, neither purged nor reported twice
    assert.equal(await poll(), true);
    assert.deepEqual(reported, ['2:02:1']);
    // n commits: the next poll still asks from the gap, finds it, and the floor moves over both
    v.commit(rev(1, 1));
    assert.equal(await poll(), true);
    assert.equal(v.asked.at(-1), 0, 'asked again from below the gap');
    assert.equal(cache.get(id(1)), undefined, 'n purged');
    assert.equal(cache.get(id(3)), 'handset 3');
    assert.deepEqual(reported, ['2:02:1', '1:01:1']);
    assert.equal(cache.pollFloor, 2);
    assert.equal(cache.stats.gapsOpen, 0);
    assert.equal(cache.stats.gapsGivenUp, 0);
    assert.equal(cache.stats.purgedByRevocation, 2);
    await poll();
    if (kind === 'asynchronous') assert.equal(v.asked.at(-1), 2, 'contiguous now: asks from 2');
  });
}

test('a gap is given up only GAP_GRACE_MS after it was noticed (injected clock), and counted', async () => {
  assert.equal(GAP_GRACE_MS, 60_000);
  const { v, cache, reported, poll, tick } = setup();
  cache.set(id(4), 'handset 4');
  v.commit(rev(1, 1));
  v.commit(rev(3, 3)); // 2 allocated, never committed (a writer that crashed) ... so far
  await poll();
  assert.equal(cache.pollFloor, 1);
  tick(GAP_GRACE_MS - 1);
  v.commit(rev(5, 5)); // noticed later; the gap at 4 is its own (grace from now)
  await poll();
  assert.equal(cache.pollFloor, 1, 'still waiting for 2 just before the grace ends');
  assert.equal(v.asked.at(-1), 1);
  assert.equal(cache.stats.gapsOpen, 2);
  tick(1);
  await poll();
  assert.equal(cache.pollFloor, 3, '2 given up after GAP_GRACE_MS; 4 is still within its grace');
  assert.equal(cache.stats.gapsGivenUp, 1);
  assert.equal(cache.stats.gapsOpen, 1);
  // 4 commits late but within its grace: purged
  v.commit(rev(4, 4));
  await poll();
  assert.equal(cache.get(id(4)), undefined);
  assert.equal(cache.pollFloor, 5);
  assert.equal(cache.stats.gapsOpen, 0);
  // a commit of 2 after its grace is no longer asked for (the documented limit: the entry lives until its TTL)
  cache.set(id(2), 'handset 2');
  v.commit(rev(2, 2));
  await poll();
  assert.equal(v.asked.at(-1), 5);
  assert.equal(cache.get(id(2)), 'handset 2');
  assert.deepEqual(reported.map((r) => r.split(':')[0]), ['1', '3', '5', '4']);
});

test('a large jump in the sequence is given up in one step, not number by number', async () => {
  const { v, cache, poll, tick } = setup({ gapGraceMs: 1000 });
  v.commit(rev(1_000_000_000, 9));
  await poll();
  assert.equal(cache.stats.gapsOpen, 999_999_999);
  tick(1000);
  await poll();
  assert.equal(cache.pollFloor, 1_000_000_000);
  assert.equal(cache.stats.gapsGivenUp, 999_999_999);
  assert.equal(cache.stats.gapsOpen, 0);
});

test('a revocation seen twice (onRevoke, then the poll) is applied once; one seq on two IDs (two multi-provider nodes) applies both', async () => {
  const { v, cache, reported, poll } = setup();
  for (const n of [1, 2, 3]) cache.set(id(n), `handset ${n}`);
  cache.set(id(7), 'handset 7 (aliases 1)', [id(1)]);
  v.commit(rev(1, 1), true); // made through this store object: purged at once
  assert.equal(cache.get(id(1)), undefined);
  assert.equal(cache.get(id(7)), undefined, 'through the alias');
  const mark = cache.mark();
  await poll(); // the poll sees seq 1 again
  assert.equal(cache.mark(), mark, 'no second purge');
  assert.deepEqual(reported, ['1:01:2']);
  // the same seq on two entries
  v.commit(rev(2, 2));
  v.commit(rev(2, 3));
  await poll();
  assert.equal(cache.get(id(2)), undefined);
  assert.equal(cache.get(id(3)), undefined);
  assert.deepEqual(reported, ['1:01:2', '2:02:1', '2:03:1']);
  assert.equal(cache.pollFloor, 2);
  assert.equal(cache.stats.purgedByRevocation, 4);
});

test('maxSyncAgeMs: hits refused once the last successful poll is too old, served again after one succeeds', async () => {
  const { v, cache, poll, tick } = setup({ maxSyncAgeMs: 1000 });
  cache.set(id(1), 'handset 1');
  assert.equal(await poll(), true);
  const t0 = cache.stats.lastSyncAt!;
  assert.equal(typeof t0, 'number');
  v.down = true;
  tick(600);
  assert.equal(await poll(), false);
  tick(400);
  assert.equal(cache.get(id(1)), 'handset 1', 'exactly maxSyncAgeMs old: still served');
  tick(1);
  assert.equal(cache.get(id(1)), undefined, 'older: refused (a miss)');
  assert.equal(cache.stats.syncAgeRefusals, 1);
  assert.equal(cache.stats.lastSyncAt, t0, 'a failed poll does not count');
  v.down = false;
  assert.equal(await poll(), true);
  assert.equal(cache.get(id(1)), 'handset 1', 'the entry was kept');
  assert.deepEqual([cache.stats.syncs, cache.stats.syncErrors, cache.stats.polls], [2, 1, 3]);
  // default: no maximum, served however old the last poll
  const d = setup();
  d.cache.set(id(1), 'x');
  d.tick(365 * 86_400_000);
  assert.equal(d.cache.get(id(1)), undefined, 'TTL (1 h) still applies');
  d.cache.set(id(1), 'x');
  assert.equal(d.cache.get(id(1)), 'x');
});

test('poll timing stats; the poller runs one poll at a time and a tick that comes due meanwhile polls right after', async () => {
  const v = new VisibleRevocations();
  const store = new FakeAsyncStore(v);
  const cache = new CertCache<string>(store, { capacity: 10, ttlMs: 60_000 });
  try {
    assert.deepEqual([cache.stats.polls, cache.stats.lastPollMs, cache.stats.maxPollMs, cache.stats.lastSyncAt], [0, null, null, null]);
    store.delayMs = 60;
    const t0 = Date.now();
    cache.startPolling(20); // each poll takes 3 periods
    await sleep(400);
    cache.stopPolling();
    await sleep(100);
    const s = cache.stats;
    assert.equal(store.maxInFlight, 1, 'never two polls at once');
    assert.ok(s.polls >= 2 && s.polls <= 8, `polls back to back: ${s.polls}`);
    assert.ok(s.maxPollMs! >= 60, `maxPollMs ${s.maxPollMs}`);
    // a queued tick is timed from its due time: it waited for the running poll, then ran its own
    assert.ok(s.maxPollMs! >= 60 + 20 || s.polls === 1, `queued ticks timed from their due time: ${s.maxPollMs}`);
    assert.ok(s.lastPollMs! >= 60);
    assert.ok(s.lastSyncAt! >= t0);
    const n = s.polls;
    await sleep(150);
    assert.equal(cache.stats.polls, n, 'stopped');
  } finally { cache.close(); }
});

test('a poll that never settles is abandoned after pollTimeoutMs; the poller goes on, its late answer is not needed', async () => {
  const v = new VisibleRevocations();
  const store = new FakeAsyncStore(v);
  const cache = new CertCache<string>(store, { capacity: 10, ttlMs: 60_000, pollTimeoutMs: 100 });
  try {
    cache.set(id(1), 'handset 1');
    store.hangNext = true;
    cache.startPolling(20);
    await sleep(60);
    assert.deepEqual([cache.stats.polls, cache.stats.pollTimeouts], [0, 0], 'the first poll hangs; ticks wait behind it');
    v.commit(rev(1, 1));
    const t0 = Date.now();
    while (cache.get(id(1)) !== undefined) {
      if (Date.now() - t0 > 5000) assert.fail(`not purged: ${JSON.stringify(cache.stats)}`);
      await sleep(5);
    }
    const s = cache.stats;
    assert.equal(s.pollTimeouts, 1);
    assert.ok(s.syncErrors >= 1 && s.syncs >= 1);
  } finally { cache.close(); }
});
