/**
 * Server B on the OpenLDAP certificate directory (issue 8), against real slapd processes started by
 * the test (host/store/slapd.ts) and the firmware handset (host/handset.ts) as the client:
 *   - in process: B's asynchronous lookup on a cache miss, the synchronous path on a hit, shared
 *     requests, the negative cache, a directory outage (killed: ERR_STORE; hung: ERR_STORE after
 *     the lookup timeout), cache hits served throughout, recovery, the pending-lookup bound, and a
 *     revocation made elsewhere purging B's cache through the poller;
 *   - a revocation made while B's replica is down: served from the cache during the outage (the
 *     default), purged by the first poll after recovery; with maxSyncAgeMs refused (ERR_STORE);
 *   - two `airshake serve` OS processes reading different replicas (provider / consumer syncrepl):
 *     an enrolment and a revocation on the provider reach both, both caches are purged, an outage
 *     of one replica and its recovery.
 * Needs Debian's slapd and ldap-utils; fails (does not skip) without them. Times are printed as
 * diagnostics, never asserted.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Handset } from '../host/handset.js';
import { createDeployment, type DeployedHandset, type Deployment } from '../host/sim/deployment.js';
import { AirshakeServer, type ServerEvent, type ServerOptions } from '../host/server/server.js';
import type { ValidatedCert } from '../host/server/validate.js';
import { CertCache } from '../host/store/cache.js';
import { LdapCertStore } from '../host/store/ldap.js';
import { Slapd, slapdProblem } from '../host/store/slapd.js';
import { SqliteCertStore } from '../host/store/sqlite.js';
import { ServeProcess } from '../host/sim/serve-process.js';
import { tcpHandshake } from '../host/sim/tcp-client.js';
import { Err, MsgType } from '../host/protocol/constants.js';

const NOW = Math.floor(Date.now() / 1000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hex = (u: Uint8Array) => Buffer.from(u).toString('hex');
const APP = new TextEncoder().encode('reading via the directory');

const cleanups: Array<() => Promise<unknown> | unknown> = [];
after(async () => {
  for (const c of cleanups.reverse()) {
    try { await c(); } catch { /* best effort */ }
  }
});

async function handsetFor(dep: Deployment, h: DeployedHandset): Promise<Handset> {
  const hs = await Handset.load();
  hs.provision(h.privateKey, dep.ca.publicKey, dep.serverName);
  return hs;
}

interface InProcessResult { ok: boolean; waited: boolean; alert?: number; code?: number }

/** One handshake straight into an in-process B (no transport): whether receive() had to wait, the alert if any. */
async function handshake(server: AirshakeServer, hs: Handset, events: ServerEvent[]): Promise<InProcessResult> {
  hs.reset();
  const out: Uint8Array[] = [];
  const sess = server.connect((m) => out.push(m));
  const from = events.length;
  const r = sess.receive(hs.start(Math.floor(Date.now() / 1000)));
  const waited = r instanceof Promise;
  await r;
  const failed = () => events.slice(from).find((e) => e.type === 'failed') as Extract<ServerEvent, { type: 'failed' }> | undefined;
  const m2 = out.shift();
  assert.ok(m2, 'B answered the hello');
  if (m2[0] === MsgType.ALERT) return { ok: false, waited, alert: m2[1], code: failed()?.code };
  const r3 = sess.receive(hs.finish(m2, Math.floor(Date.now() / 1000), APP));
  assert.equal(r3, undefined, 'message 3 is handled synchronously');
  const rec = out.shift();
  assert.ok(rec && rec[0] === MsgType.RECORD, `B echoed (${failed()?.reason ?? ''})`);
  const echo = hs.open(rec);
  sess.close();
  return { ok: Buffer.from(echo).equals(Buffer.from(APP)), waited };
}

test('OpenLDAP (slapd) is installed', () => {
  assert.equal(slapdProblem(), null);
});

test('server B in process over LdapCertStore: async miss, sync hit, shared requests, negative cache, outage (killed, hung), recovery, bounds, revocation by poll', { timeout: 180_000 }, async () => {
  const slapd = await Slapd.start();
  cleanups.push(() => slapd.stop());
  const dep = createDeployment({ now: NOW, handsets: 9 });
  cleanups.push(() => dep.close());
  const admin = new LdapCertStore({ url: slapd.url, bindDn: slapd.rootDn, password: slapd.rootPw });
  cleanups.push(() => admin.close());
  const enrolled = dep.handsets.slice(0, 8);
  for (const h of enrolled) await admin.enrol(h.cert, NOW);
  const unenrolled = dep.handsets[8]!;

  // B reads anonymously, as on a replica; the store's own timeout is longer than B's lookup timeout
  const reader = new LdapCertStore({ url: slapd.url, timeoutMs: 10_000, connectTimeoutMs: 5000 });
  cleanups.push(() => reader.close());
  const cache = new CertCache<ValidatedCert>(reader, { capacity: 100, ttlMs: 3_600_000 });
  cleanups.push(() => cache.close());
  const events: ServerEvent[] = [];
  const opts: ServerOptions = {
    store: reader, cache, caPublicKey: dep.ca.publicKey, certificate: dep.server.cert, privateKey: dep.server.privateKey,
    onApplicationData: (d) => d, onEvent: (e) => events.push(e), lookupTimeoutMs: 2000,
  };
  const server = new AirshakeServer(opts);
  assert.equal(server.asyncStore, true);
  const hs = await Promise.all(enrolled.map((h) => handsetFor(dep, h)));

  // a cache miss waits for the directory; the same handset again is a synchronous cache hit
  let r = await handshake(server, hs[0]!, events);
  assert.deepEqual(r, { ok: true, waited: true });
  assert.equal(server.stats.asyncLookups, 1);
  r = await handshake(server, hs[0]!, events);
  assert.deepEqual(r, { ok: true, waited: false });
  assert.equal(server.stats.cacheHits, 1);
  assert.equal(server.stats.asyncLookups, 1);

  // two hellos for one ID at once share one directory request, and both complete
  const twin = await handsetFor(dep, enrolled[1]!);
  const [a, b] = await Promise.all([handshake(server, hs[1]!, events), handshake(server, twin, events)]);
  assert.deepEqual([a.ok, b.ok], [true, true]);
  assert.equal(server.stats.sharedLookups, 1);

  // an unknown ID: ERR_UNKNOWN_ID (generic alert), into the negative cache, then refused without a lookup
  const ghost = await handsetFor(dep, unenrolled);
  r = await handshake(server, ghost, events);
  assert.deepEqual([r.ok, r.waited, r.code, r.alert], [false, true, Err.UNKNOWN_ID, Err.HANDSHAKE_FAILED]);
  assert.equal(server.unknownIdCount, 1);
  r = await handshake(server, ghost, events);
  assert.deepEqual([r.waited, r.code], [false, Err.UNKNOWN_ID]);
  assert.equal(server.stats.unknownIdHits, 1);

  // directory down (process killed): a lookup fails with ERR_STORE, told to A as such; cache hits go on
  await slapd.kill();
  const replayBefore = server.replayCount;
  let t0 = performance.now();
  r = await handshake(server, hs[2]!, events);
  console.log(`# directory down: ERR_STORE after ${(performance.now() - t0).toFixed(1)} ms`);
  assert.deepEqual([r.ok, r.code, r.alert], [false, Err.STORE, Err.STORE]);
  assert.equal(server.unknownIdCount, 1, 'an outage is not an unknown ID');
  assert.deepEqual(await handshake(server, hs[0]!, events), { ok: true, waited: false });
  assert.equal(server.pendingLookupCount, 0);
  assert.equal(server.replayCount, replayBefore + 1, 'the failed handshake left no replay entry, the completed one did');

  // the directory returns: the same handset succeeds at once (nothing negative-cached, nothing corrupted)
  await slapd.startProcess();
  r = await handshake(server, hs[2]!, events);
  assert.deepEqual(r, { ok: true, waited: true });

  // directory hung (SIGSTOP): B answers ERR_STORE after its lookup timeout, not a hang
  await slapd.pause(); // every thread stopped: the next request cannot be answered
  try {
    t0 = performance.now();
    r = await handshake(server, hs[3]!, events);
    console.log(`# directory hung: ERR_STORE after ${(performance.now() - t0).toFixed(0)} ms (lookupTimeoutMs 2000)`);
    assert.deepEqual([r.ok, r.code, r.alert], [false, Err.STORE, Err.STORE]);
    assert.equal(server.stats.lookupTimeouts, 1);
    const failed = events.filter((e) => e.type === 'failed').at(-1) as Extract<ServerEvent, { type: 'failed' }>;
    assert.match(failed.reason, /did not answer the lookup within 2000 ms/);
    assert.deepEqual(await handshake(server, hs[0]!, events), { ok: true, waited: false }, 'cache hits while hung');

    // the pending-lookup bound: with 2 lookups waiting, a third hello is refused with ERR_BUSY at once
    const bounded = new AirshakeServer({ ...opts, maxPendingLookups: 2, lookupTimeoutMs: 30_000 });
    const outs: Uint8Array[][] = [[], [], []];
    const sessions = outs.map((o) => bounded.connect((m) => o.push(m)));
    const waits = [4, 5].map((i, k) => { hs[i]!.reset(); return sessions[k]!.receive(hs[i]!.start(Math.floor(Date.now() / 1000))); });
    assert.ok(waits.every((w) => w instanceof Promise));
    assert.equal(bounded.pendingLookupCount, 2);
    hs[6]!.reset();
    assert.equal(sessions[2]!.receive(hs[6]!.start(Math.floor(Date.now() / 1000))), undefined);
    assert.deepEqual([...outs[2]![0]!], [MsgType.ALERT, Err.BUSY]);
    // a message queued behind a pending lookup is handled in order once it settles
    assert.ok(sessions[0]!.receive(new Uint8Array([MsgType.FINISH, 1, 2])) instanceof Promise);

    slapd.signal('SIGCONT'); // the directory answers the waiting lookups: both get message 2
    await Promise.all(waits);
    assert.equal(bounded.pendingLookupCount, 0);
    assert.equal(outs[0]![0]![0], MsgType.RESPONSE);
    assert.deepEqual([...outs[0]![1]!], [MsgType.ALERT, Err.DECODE], 'the queued short message 3, after message 2');
    assert.equal(outs[1]![0]![0], MsgType.RESPONSE);
    bounded.close();
  } finally {
    slapd.signal('SIGCONT');
  }
  // (usually a cache hit: the directory's late answer to the timed-out lookup was validated and cached)
  assert.equal((await handshake(server, hs[3]!, events)).ok, true, 'recovered after the hang');

  // a revocation made elsewhere (the admin's store object) reaches B's cache by the poller
  cache.startPolling(50);
  const before = cache.stats.purgedByRevocation;
  await admin.revoke(enrolled[0]!.id, 'lost');
  t0 = performance.now();
  while (cache.stats.purgedByRevocation === before) {
    if (performance.now() - t0 > 20_000) assert.fail('the poller did not purge the revoked entry within 20 s');
    await sleep(5);
  }
  console.log(`# revocation on the directory -> B's cache purged (poll 50 ms, same slapd): ${(performance.now() - t0).toFixed(1)} ms`);
  r = await handshake(server, hs[0]!, events);
  assert.deepEqual([r.ok, r.waited, r.code, r.alert], [false, true, Err.REVOKED, Err.HANDSHAKE_FAILED]);
  server.close();
});

test('a revocation made while B\'s directory is down: cached handset served during the outage (default), purged within one poll after recovery; with maxSyncAgeMs refused with ERR_STORE during it', { timeout: 180_000 }, async () => {
  // B reads a consumer; the revocation goes to the provider while the consumer is stopped
  const { provider, consumer } = await Slapd.startPair();
  cleanups.push(() => consumer.stop(), () => provider.stop());
  const dep = createDeployment({ now: NOW, handsets: 2 });
  cleanups.push(() => dep.close());
  const admin = new LdapCertStore({ url: provider.url, bindDn: provider.rootDn, password: provider.rootPw });
  cleanups.push(() => admin.close());
  const [h0, h1] = dep.handsets as [DeployedHandset, DeployedHandset];
  for (const h of [h0, h1]) await admin.enrol(h.cert, NOW);
  const probe = new LdapCertStore({ url: consumer.url, timeoutMs: 2000 });
  cleanups.push(() => probe.close());
  const until = async (what: string, limitMs: number, f: () => Promise<boolean>) => {
    const t0 = performance.now();
    while (!(await f().catch(() => false))) {
      if (performance.now() - t0 > limitMs) assert.fail(`${what}: not within ${limitMs} ms`);
      await sleep(2);
    }
  };
  await until('h1 on the consumer', 20_000, async () => (await probe.lookup(h1.id)) !== null);

  const POLL = 50;
  const MAX_AGE = 400;
  const mk = (maxSyncAgeMs?: number) => {
    const reader = new LdapCertStore({ url: consumer.url, timeoutMs: 1000, connectTimeoutMs: 1000 });
    const cache = new CertCache<ValidatedCert>(reader, { capacity: 10, ttlMs: 3_600_000, maxSyncAgeMs });
    const events: ServerEvent[] = [];
    const server = new AirshakeServer({
      store: reader, cache, caPublicKey: dep.ca.publicKey, certificate: dep.server.cert, privateKey: dep.server.privateKey,
      onApplicationData: (d) => d, onEvent: (e) => events.push(e), lookupTimeoutMs: 2000,
    });
    cleanups.push(() => server.close(), () => cache.close(), () => reader.close());
    return { cache, events, server, reader };
  };
  const plain = mk(); // the default: cache hits are served however old the last poll
  const strict = mk(MAX_AGE);
  const hs = await Promise.all([h0, h1].map((h) => handsetFor(dep, h)));
  for (const b of [plain, strict]) {
    assert.equal(await b.cache.syncAsync(), true);
    b.cache.startPolling(POLL);
    for (const h of hs) assert.deepEqual(await handshake(b.server, h, b.events), { ok: true, waited: true }, 'looked up, now cached');
    assert.deepEqual(await handshake(b.server, hs[0]!, b.events), { ok: true, waited: false }, 'a cache hit');
  }

  // the consumer stops; h0 is revoked on the provider meanwhile
  await consumer.kill();
  await admin.revoke(h0.id, 'stolen during the outage');
  const errorsAt = plain.cache.stats.syncErrors;
  await sleep(MAX_AGE + 3 * POLL);
  assert.ok(plain.cache.stats.syncErrors > errorsAt, 'the poller is failing');
  // default: h0 (revoked, B cannot know) and h1 are still served from the cache
  assert.deepEqual(await handshake(plain.server, hs[0]!, plain.events), { ok: true, waited: false }, 'served during the outage (the documented condition of the bound)');
  assert.deepEqual(await handshake(plain.server, hs[1]!, plain.events), { ok: true, waited: false });
  // maxSyncAgeMs: the last successful poll is too old, hits are refused, the lookup fails: ERR_STORE
  for (const h of hs) {
    const r = await handshake(strict.server, h, strict.events);
    assert.deepEqual([r.ok, r.waited, r.code, r.alert], [false, true, Err.STORE, Err.STORE]);
  }
  assert.ok(strict.cache.stats.syncAgeRefusals >= 2);
  assert.equal(strict.cache.size, 2, 'the entries are kept, only not served');

  // the consumer returns and catches up (syncrepl refresh); B's next poll that starts after the
  // consumer has the revocation purges h0
  await consumer.startProcess();
  await until('the revocation on the consumer', 30_000, async () => (await probe.lookup(h0.id))?.revokedAt != null);
  const tVisible = Date.now();
  const t0 = performance.now();
  for (const b of [plain, strict]) {
    await until('a poll started after the consumer had the revocation', 30_000, async () => (b.cache.stats.lastSyncAt ?? 0) > tVisible)
      .catch(async (e) => {
        const direct = await b.reader.revocationsSince(0).then((r) => `${r.length} revocations`, (x: Error) => x.message);
        throw new Error(`${(e as Error).message}; ${b === plain ? 'default' : 'strict'} cache ${JSON.stringify(b.cache.stats)}; a direct search now: ${direct}`);
      });
    assert.equal(b.cache.stats.purgedByRevocation, 1, 'that poll purged h0');
  }
  const s = plain.cache.stats;
  console.log(`# outage revocation: purged ${(performance.now() - t0).toFixed(0)} ms after the recovered consumer showed it (poll ${POLL} ms; maxPollMs ${s.maxPollMs}, ${s.syncErrors} failed polls during the outage)`);
  for (const b of [plain, strict]) {
    let r = await handshake(b.server, hs[0]!, b.events);
    assert.deepEqual([r.ok, r.waited, r.code, r.alert], [false, true, Err.REVOKED, Err.HANDSHAKE_FAILED], 'refused after recovery');
    r = await handshake(b.server, hs[1]!, b.events);
    assert.deepEqual(r, { ok: true, waited: false }, 'the unrevoked handset: a cache hit again');
    assert.equal(b.cache.stats.gapsOpen, 0);
  }
});

test('CertCache refuses a result looked up before a revocation it missed (mark / set since)', () => {
  const dep = createDeployment({ now: NOW, handsets: 2 });
  try {
    const store = SqliteCertStore.open(path.join(dep.dir, 'race.db'));
    try {
      const [h0, h1] = dep.handsets as [DeployedHandset, DeployedHandset];
      store.enrol(h0.cert, NOW);
      store.enrol(h1.cert, NOW);
      const cache = new CertCache<string>(store, { capacity: 10, ttlMs: 60_000 });
      const mark = cache.mark();
      store.revoke(h0.id, 'while the lookup ran'); // purges at once (onRevoke), after the mark
      assert.equal(cache.set(h0.id, 'stale', [], mark), false);
      assert.equal(cache.get(h0.id), undefined);
      assert.equal(cache.set(h1.id, 'fine', [h1.id], mark), true, 'an unrelated ID is kept');
      assert.equal(cache.set(new Uint8Array(9), 'alias', [h0.id], mark), false, 'refused through an alias too');
      assert.equal(cache.set(h0.id, 'after', [], cache.mark()), true, 'a lookup started after the purge may cache');
      assert.equal(cache.stats.staleSetsRefused, 2);
      cache.close();
    } finally { store.close(); }
  } finally { dep.close(); }
});

test('two airshake serve processes on two replicas (syncrepl provider -> consumer): enrolment and revocation reach both, caches purged, replica outage and recovery', { timeout: 240_000 }, async () => {
  const { provider, consumer } = await Slapd.startPair();
  cleanups.push(() => consumer.stop(), () => provider.stop());
  const dep = createDeployment({ now: NOW, handsets: 4 });
  cleanups.push(() => dep.close());
  const admin = new LdapCertStore({ url: provider.url, bindDn: provider.rootDn, password: provider.rootPw });
  const replica = new LdapCertStore({ url: consumer.url, timeoutMs: 2000 });
  cleanups.push(() => admin.close(), () => replica.close());
  const [h0, h1, h2, h3] = dep.handsets as [DeployedHandset, DeployedHandset, DeployedHandset, DeployedHandset];
  for (const h of [h0, h1, h2]) await admin.enrol(h.cert, NOW);
  const seen = async (h: DeployedHandset, limitMs: number) => {
    const t0 = performance.now();
    while (!(await replica.lookup(h.id).catch(() => null))) {
      if (performance.now() - t0 > limitMs) assert.fail(`${hex(h.id)} did not reach the consumer within ${limitMs} ms`);
      await sleep(10);
    }
  };
  await seen(h2, 20_000);

  const pki = path.join(dep.dir, 'pki');
  const common = ['--pki', pki, '--revocation-poll-ms', '100', '--lookup-timeout-ms', '8000', '--store-timeout-ms', '5000', '--quiet'];
  const b1 = await ServeProcess.start(['--store', `${provider.url}/o=airshake`, ...common]);
  cleanups.push(() => b1.stop());
  const b2 = await ServeProcess.start(['--store', `${consumer.url}/o=airshake`, ...common]);
  cleanups.push(() => b2.stop());
  const hs = await Promise.all([h0, h1, h2, h3].map((h) => handsetFor(dep, h)));
  const run = (b: ServeProcess, i: number) => tcpHandshake({ port: b.port, handset: hs[i]!, appData: APP, timeoutMs: 30_000 });

  // both B's serve h0 and h1 (B2 from the replica: the enrolment reached it); both now cache them
  for (const b of [b1, b2]) for (const i of [0, 1]) {
    const r = await run(b, i);
    assert.equal(r.ok, true, `handset ${i} via B on port ${b.port}: ${r.error}`);
  }

  // a revocation on the provider: both B's purge their caches (the poller), then refuse h0
  await admin.revoke(h0.id, 'stolen');
  const tRevoked = Date.now();
  const purged = await Promise.all([b1, b2].map((b) => b.waitFor((e) => e.type === 'revocation' && e.id === hex(h0.id), 30_000, 'the revocation')));
  for (const e of purged) assert.ok((e.purged as number) >= 1, 'the cached entry was purged');
  console.log(`# revocation on the provider -> purged in B1 (reads the provider) ${purged[0]!.t - tRevoked} ms, B2 (reads the consumer) ${purged[1]!.t - tRevoked} ms (poll 100 ms)`);
  for (const b of [b1, b2]) {
    const r = await run(b, 0);
    assert.equal(r.ok, false);
    assert.equal(r.peerAlert, Err.HANDSHAKE_FAILED);
    await b.waitFor((e) => e.type === 'failed' && e.idA === hex(h0.id) && e.code === Err.REVOKED, 10_000, 'ERR_REVOKED for h0');
  }

  // the consumer goes down: B2 answers an uncached handset with ERR_STORE, keeps serving its cached one
  await consumer.kill();
  let r = await run(b2, 2);
  assert.deepEqual([r.ok, r.peerAlert], [false, Err.STORE], r.error);
  await b2.waitFor((e) => e.type === 'failed' && e.idA === hex(h2.id) && e.code === Err.STORE, 10_000, 'ERR_STORE for h2');
  r = await run(b2, 1);
  assert.equal(r.ok, true, `cached handset during the outage: ${r.error}`);
  // an enrolment on the provider while the consumer is down
  await admin.enrol(h3.cert, NOW);

  // the consumer returns and catches up: B2 serves h2 and the new h3, still refuses the revoked h0
  await consumer.startProcess();
  await seen(h3, 30_000);
  r = await run(b2, 2);
  assert.equal(r.ok, true, `after recovery: ${r.error}`);
  r = await run(b2, 3);
  assert.equal(r.ok, true, `enrolled during the outage: ${r.error}`);
  r = await run(b2, 0);
  assert.equal(r.ok, false, 'the revoked handset stays refused');

  const stats = await Promise.all([b1.stop(), b2.stop()]);
  for (const s of stats) assert.ok(s, 'B printed its stats');
  const s2 = stats[1]!.server as Record<string, number>;
  assert.ok(s2.storeErrors >= 1, 'B2 counted the outage');
  console.log(`# B1 stats ${JSON.stringify(stats[0]!.server)}; B2 stats ${JSON.stringify(s2)}`);
});

test('two airshake serve processes on two multi-provider nodes: an enrolment on either node and a revocation on the other reach both B', { timeout: 240_000 }, async () => {
  const nodes = await Slapd.startMultiProvider(2);
  cleanups.push(...nodes.map((n) => () => n.stop()));
  const dep = createDeployment({ now: NOW, handsets: 2 });
  cleanups.push(() => dep.close());
  const [w1, w2] = nodes.map((n) => new LdapCertStore({ url: n.url, bindDn: n.rootDn, password: n.rootPw })) as [LdapCertStore, LdapCertStore];
  cleanups.push(() => w1.close(), () => w2.close());
  const [h0, h1] = dep.handsets as [DeployedHandset, DeployedHandset];
  // node 2's first syncrepl attempt to node 1 may wait for its 1 s retry: enrol on each node, wait for both on both
  await w1.enrol(h0.cert, NOW);
  await w2.enrol(h1.cert, NOW);
  for (const w of [w1, w2]) for (const h of [h0, h1]) {
    const t0 = performance.now();
    while (!(await w.lookup(h.id).catch(() => null))) {
      if (performance.now() - t0 > 30_000) assert.fail(`${hex(h.id)} did not replicate within 30 s`);
      await sleep(10);
    }
  }
  const pki = path.join(dep.dir, 'pki');
  const common = ['--pki', pki, '--revocation-poll-ms', '100', '--lookup-timeout-ms', '8000', '--store-timeout-ms', '5000', '--quiet'];
  const bs = [];
  for (const n of nodes) { const b = await ServeProcess.start(['--store', `${n.url}/o=airshake`, ...common]); bs.push(b); cleanups.push(() => b.stop()); }
  const hs = await Promise.all([h0, h1].map((h) => handsetFor(dep, h)));
  for (const b of bs) for (const i of [0, 1]) {
    const r = await tcpHandshake({ port: b.port, handset: hs[i]!, appData: APP, timeoutMs: 30_000 });
    assert.equal(r.ok, true, `handset ${i} (enrolled on node ${i + 1}) via B on node ${bs.indexOf(b) + 1}: ${r.error}`);
  }
  await w2.revoke(h0.id, 'revoked on node 2'); // h0 was enrolled on node 1
  const tRevoked = Date.now();
  const seen = await Promise.all(bs.map((b) => b.waitFor((e) => e.type === 'revocation' && e.id === hex(h0.id), 30_000, 'the revocation')));
  console.log(`# multi-provider: revocation on node 2 -> purged in B on node 1 ${seen[0]!.t - tRevoked} ms, on node 2 ${seen[1]!.t - tRevoked} ms (poll 100 ms)`);
  for (const b of bs) {
    const r = await tcpHandshake({ port: b.port, handset: hs[0]!, appData: APP, timeoutMs: 30_000 });
    assert.equal(r.ok, false);
    await b.waitFor((e) => e.type === 'failed' && e.idA === hex(h0.id) && e.code === Err.REVOKED, 10_000, 'ERR_REVOKED');
  }
  await Promise.all(bs.map((b) => b.stop()));
});
