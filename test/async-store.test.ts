/**
 * Server B's asynchronous lookup path, with the order of events under the test's control: the
 * store is the real SQLite store of a throwaway deployment behind an AsyncCertStore whose answers
 * the test releases one by one (the data is read from SQLite when the request is made, as a
 * directory reads it when the search arrives). Real slapd runs are in test/ldap-server.test.ts;
 * this file covers the interleavings slapd cannot be made to produce on cue: a revocation between
 * a lookup's request and its answer (also for a request shared by two hellos), messages queued
 * behind a pending lookup, an alert or a closed connection while it is pending, the server closed.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { Handset } from '../host/handset.js';
import { createDeployment, type Deployment } from '../host/sim/deployment.js';
import { AirshakeServer, type ServerEvent } from '../host/server/server.js';
import type { ValidatedCert } from '../host/server/validate.js';
import { CertCache } from '../host/store/cache.js';
import type { AsyncCertStore, Revocation, StoredCert } from '../host/store/types.js';
import { Err, MsgType } from '../host/protocol/constants.js';

const NOW = Math.floor(Date.now() / 1000);

/** The deployment's SQLite store, answered asynchronously when the test calls release(). */
class HeldStore implements AsyncCertStore {
  readonly asynchronous = true as const;
  readonly held: Array<() => void> = [];
  requests = 0;
  constructor(private readonly dep: Deployment) {}
  private hold<T>(value: T): Promise<T> {
    this.requests++;
    return new Promise((resolve) => this.held.push(() => resolve(value)));
  }
  release(): void { const r = this.held.shift(); assert.ok(r, 'a held request'); r(); }
  lookup(id: Uint8Array): Promise<StoredCert | null> { return this.hold(this.dep.store.lookup(id)); }
  lookupHandset(id: Uint8Array): Promise<StoredCert[]> { return this.hold(this.dep.store.lookupHandset(id)); }
  revocationSeq(): Promise<number> { return Promise.resolve(this.dep.store.revocationSeq()); }
  revocationsSince(seq: number): Promise<Revocation[]> { return Promise.resolve(this.dep.store.revocationsSince(seq)); }
  onRevoke(l: (r: Revocation) => void): () => void { return this.dep.store.onRevoke(l); }
  close(): void {}
}

async function setup() {
  const dep = createDeployment({ now: NOW, handsets: 3 });
  const store = new HeldStore(dep);
  const cache = new CertCache<ValidatedCert>(store, { capacity: 10, ttlMs: 3_600_000 });
  const events: ServerEvent[] = [];
  const server = new AirshakeServer({
    store, cache, caPublicKey: dep.ca.publicKey, certificate: dep.server.cert, privateKey: dep.server.privateKey,
    onApplicationData: (d) => d, onEvent: (e) => events.push(e),
  });
  const handsets = await Promise.all(dep.handsets.map(async (h) => { const x = await Handset.load(); x.provision(h.privateKey, dep.ca.publicKey, dep.serverName); return x; }));
  const done = () => { server.close(); cache.close(); dep.close(); };
  return { dep, store, cache, server, events, handsets, done };
}

const nowSec = () => Math.floor(Date.now() / 1000);

test('a revocation between a lookup request and its answer: the answer is not cached, also for a request two hellos share', async () => {
  const { dep, store, cache, server, handsets, done } = await setup();
  try {
    const twin = await Handset.load();
    twin.provision(dep.handsets[0]!.privateKey, dep.ca.publicKey, dep.serverName);
    const out: Uint8Array[][] = [[], []];
    const s1 = server.connect((m) => out[0]!.push(m));
    const p1 = s1.receive(handsets[0]!.start(nowSec()));
    assert.ok(p1 instanceof Promise);
    assert.equal(store.requests, 1);
    dep.store.revoke(dep.handsets[0]!.id, 'while the lookup ran'); // B's cache hears of it (onRevoke)
    const s2 = server.connect((m) => out[1]!.push(m));
    const p2 = s2.receive(twin.start(nowSec())); // joins the request made before the revocation
    assert.ok(p2 instanceof Promise);
    assert.equal(store.requests, 1);
    assert.equal(server.stats.sharedLookups, 1);
    store.release();
    await Promise.all([p1, p2]);
    // the request was answered from before the revocation (that window is inherent to a remote
    // store), but neither hello may leave the stale result in the cache
    assert.equal(cache.size, 0);
    assert.equal(cache.stats.staleSetsRefused, 2);
    const s3 = server.connect(() => {});
    handsets[0]!.reset();
    const p3 = s3.receive(handsets[0]!.start(nowSec()));
    assert.ok(p3 instanceof Promise, 'the next hello asks the store again');
    store.release();
    await p3;
    assert.equal(s3.error, Err.REVOKED);
  } finally { done(); }
});

test('messages behind a pending lookup are processed in order after it; more than 4 end the session', async () => {
  const { store, server, handsets, done } = await setup();
  try {
    const out: Uint8Array[] = [];
    const s = server.connect((m) => out.push(m));
    const hs = handsets[1]!;
    const p = s.receive(hs.start(nowSec()));
    assert.ok(p instanceof Promise);
    assert.equal(server.pendingLookupCount, 1);
    for (let i = 0; i < 4; i++) assert.equal(s.receive(new Uint8Array([MsgType.RECORD, 0, 0])), p, 'queued');
    assert.equal(out.length, 0, 'nothing answered before the lookup');
    store.release();
    await p;
    assert.equal(out[0]![0], MsgType.RESPONSE, 'message 2 first');
    assert.deepEqual([...out[1]!], [MsgType.ALERT, Err.UNEXPECTED], 'then the first queued message, a record where message 3 belongs');
    assert.equal(out.length, 2, 'the session ended there');
    assert.equal(server.pendingLookupCount, 0);

    const out2: Uint8Array[] = [];
    const s2 = server.connect((m) => out2.push(m));
    const hs2 = handsets[2]!;
    const p2 = s2.receive(hs2.start(nowSec()));
    for (let i = 0; i < 4; i++) s2.receive(new Uint8Array([MsgType.RECORD]));
    assert.equal(s2.receive(new Uint8Array([MsgType.RECORD])), undefined);
    assert.deepEqual([...out2[0]!], [MsgType.ALERT, Err.UNEXPECTED]);
    assert.equal(server.pendingLookupCount, 0, 'the pending lookup is released');
    store.release();
    await p2;
    assert.equal(out2.length, 1, 'nothing sent after the session ended');
  } finally { done(); }
});

test('an alert, a closed connection or a closed server while the lookup is pending: released, the answer ignored, no replay entry', async () => {
  const { store, server, events, handsets, done } = await setup();
  try {
    const out: Uint8Array[] = [];
    const s1 = server.connect((m) => out.push(m));
    const p1 = s1.receive(handsets[0]!.start(nowSec()));
    assert.equal(s1.receive(new Uint8Array([MsgType.ALERT, Err.TIMEOUT])), undefined);
    assert.equal(s1.error, Err.PEER_ALERT);
    assert.equal(server.pendingLookupCount, 0);

    const s2 = server.connect((m) => out.push(m));
    const p2 = s2.receive(handsets[1]!.start(nowSec()));
    s2.close(); // the connection went away
    assert.equal(server.pendingLookupCount, 0);

    const s3 = server.connect((m) => out.push(m));
    const p3 = s3.receive(handsets[2]!.start(nowSec()));
    assert.equal(server.pendingLookupCount, 1);
    server.close();
    assert.equal(server.pendingLookupCount, 0);

    store.release(); store.release(); store.release();
    await Promise.all([p1, p2, p3]);
    assert.equal(out.length, 0, 'no message 2 to sessions that ended');
    assert.equal(server.replayCount, 0);
    assert.equal(events.filter((e) => e.type === 'established').length, 0);
  } finally { done(); }
});

test('the same hello twice while its lookup is pending: one answer, the copy gets ERR_REPLAY once the lookup is in', async () => {
  const { store, server, handsets, done } = await setup();
  try {
    const hello = handsets[0]!.start(nowSec());
    const out: Uint8Array[][] = [[], []];
    const a = server.connect((m) => out[0]!.push(m));
    const b = server.connect((m) => out[1]!.push(m));
    const pa = a.receive(hello);
    const pb = b.receive(new Uint8Array(hello)); // both pass step 3: nothing is recorded before the lookup
    assert.ok(pa instanceof Promise && pb instanceof Promise);
    assert.equal(server.replayCount, 0);
    store.release();
    await Promise.all([pa, pb]);
    assert.equal(out[0]![0]![0], MsgType.RESPONSE);
    assert.deepEqual(out[1]!.map((m) => [...m]), [[MsgType.ALERT, Err.HANDSHAKE_FAILED]], 'the generic alert, as for any replay');
    assert.equal(b.error, Err.REPLAY);
    assert.equal(server.replayCount, 1);
    assert.equal(server.stats.replaysRejected, 1);
  } finally { done(); }
});
