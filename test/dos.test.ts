// Denial of service on B (issue 6), deterministic and in-process on a virtual clock: each flood
// leaves B's bounded structures within their configured bounds, and legitimate handshakes
// interleaved with the flood all succeed. No timing assertions (the figures are
// `npm run bench:dos`'s).
import test from 'node:test';
import assert from 'node:assert/strict';
import { Err } from '../host/protocol/constants.js';
import type { AirshakeServer, ServerOptions, ServerSession } from '../host/server/server.js';
import { EPOCH, makeBench, type Bench } from './support/sim.js';
import { mulberry32 } from '../host/util/prng.js';
import { issue } from '../host/pki/cert.js';
import { certId } from '../host/pki/id.js';

const APP = new TextEncoder().encode('ping');

function hello(random: Uint8Array, id: Uint8Array, ts: number): Uint8Array {
  const m = new Uint8Array(32);
  m.set([0x01, 0x01, 1, 0x01]);
  m.set(random, 4);
  new DataView(m.buffer).setUint32(20, ts);
  m.set(id, 24);
  return m;
}

function bytes(rnd: () => number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => (rnd() * 256) | 0);
}

interface World {
  bench: Bench;
  server: AirshakeServer;
  clock: { now: number };
  codes: Map<number, number>;
  /** Starts a legitimate handshake of handset i: message 1 delivered; returns how to finish it. */
  begin(i: number): { session: ServerSession; finish(): boolean; m1: Uint8Array; m3?: Uint8Array };
  /** One attacker message to a new session. */
  inject(m: Uint8Array): ServerSession;
  checkBounds(): void;
}

async function world(handsets: number, opts: Partial<ServerOptions>): Promise<World> {
  const bench = await makeBench({ handsets });
  const clock = { now: EPOCH * 1000 };
  const codes = new Map<number, number>();
  const server = bench.dep.makeServer(() => clock.now, {
    onApplicationData: (d) => d,
    onEvent: (e) => { if (e.type === 'failed') codes.set(e.code, (codes.get(e.code) ?? 0) + 1); },
    ...opts,
  });
  const h = bench.handset;
  const w: World = {
    bench, server, clock, codes,
    begin(i) {
      const ident = bench.dep.handsets[i]!;
      h.reset();
      h.provision(ident.privateKey, bench.dep.ca.publicKey, bench.dep.serverName);
      const out: Uint8Array[] = [];
      const session = server.connect((m) => out.push(m));
      const m1 = h.start(Math.floor(clock.now / 1000));
      session.receive(m1);
      const r = {
        session, m1, m3: undefined as Uint8Array | undefined,
        finish(): boolean {
          const m2 = out.shift();
          if (!m2 || m2[0] !== 0x02) return false;
          // The handset's state is the one handshake in flight (begin/finish pairs do not overlap).
          r.m3 = h.finish(m2, Math.floor(clock.now / 1000), APP);
          session.receive(r.m3);
          return session.established && out.length === 1 && Buffer.from(out[0]!).length > 0;
        },
      };
      return r;
    },
    inject(m) { const s = server.connect(() => {}); s.receive(m); return s; },
    checkBounds() {
      assert.ok(server.halfOpenCount <= server.opts.maxHalfOpen, `half-open ${server.halfOpenCount} > ${server.opts.maxHalfOpen}`);
      assert.ok(server.replayCount <= server.opts.replayCapacity, `replay ${server.replayCount} > ${server.opts.replayCapacity}`);
      assert.ok(server.unknownIdCount <= server.opts.unknownIdCapacity, `unknown IDs ${server.unknownIdCount} > ${server.opts.unknownIdCapacity}`);
      assert.ok(bench.dep.cache.size <= bench.dep.handsets.length, `certificate cache ${bench.dep.cache.size}`);
    },
  };
  return w;
}

test('(a) random ID_A hellos: no replay-cache entries, the negative cache stays bounded, every legitimate handshake succeeds', async () => {
  // A replay cache of 64 entries: before issue 6, 64 made-up hellos were enough to refuse everyone with ERR_BUSY.
  const w = await world(4, { replayCapacity: 64, unknownIdCapacity: 100, maxHalfOpen: 8 });
  try {
    const rnd = mulberry32(1);
    let legit = 0, flood = 0;
    for (let round = 0; round < 50; round++) {
      const hs = w.begin(round % 4);
      for (let j = 0; j < 100; j++, flood++) {
        const s = w.inject(hello(bytes(rnd, 16), bytes(rnd, 8), Math.floor(w.clock.now / 1000)));
        assert.equal(s.error, Err.UNKNOWN_ID);
        w.checkBounds();
      }
      assert.equal(hs.finish(), true, `legitimate handshake ${round}`);
      legit++;
      w.clock.now += 1000;
      w.checkBounds();
    }
    assert.equal(legit, 50);
    assert.equal(w.codes.get(Err.UNKNOWN_ID), flood);
    assert.equal(w.codes.get(Err.BUSY), undefined);
    assert.equal(w.server.stats.storeLookups, flood + 4, 'every random ID costs one store lookup; the 4 legitimate C_As one each, then cache hits');
    assert.equal(w.server.replayCount, 50, 'only the completed handshakes keep their pairs');
    assert.equal(w.server.unknownIdCount, 100);
    assert.equal(w.server.halfOpenCount, 0);
  } finally { w.bench.close(); }
});

test('(a) repeated made-up IDs hit the negative cache (one store lookup per ID per TTL); an ID enrolled later is served after the TTL', async () => {
  const w = await world(2, { unknownIdCapacity: 8, unknownIdTtlMs: 30_000 });
  try {
    const rnd = mulberry32(2);
    const ids = Array.from({ length: 4 }, () => bytes(rnd, 8));
    for (let j = 0; j < 400; j++) assert.equal(w.inject(hello(bytes(rnd, 16), ids[j % 4]!, EPOCH)).error, Err.UNKNOWN_ID);
    assert.equal(w.server.stats.storeLookups, 4);
    assert.equal(w.server.stats.unknownIdHits, 396);
    // 20 distinct IDs through a cache of 8: it stays at 8
    for (let j = 0; j < 20; j++) w.inject(hello(bytes(rnd, 16), bytes(rnd, 8), EPOCH));
    assert.equal(w.server.unknownIdCount, 8);
    // A handset not yet enrolled is refused, enrolled, refused from the negative cache, served after the TTL.
    const extra = issue(w.bench.dep.ca, { name: 'late', notBefore: EPOCH - 86400, notAfter: EPOCH + 86400 });
    w.bench.dep.handsets.push({ ...w.bench.dep.handsets[1]!, ...extra, id: certId(extra.cert) });
    const idx = w.bench.dep.handsets.length - 1;
    assert.equal(w.begin(idx).session.error, Err.UNKNOWN_ID);
    w.bench.dep.store.enrol(extra.cert, EPOCH);
    assert.equal(w.begin(idx).session.error, Err.UNKNOWN_ID, 'within the TTL: from the negative cache');
    w.clock.now += 30_000;
    assert.equal(w.begin(idx).finish(), true, 'after the TTL: served');
  } finally { w.bench.close(); }
});

test('(b) hellos with enrolled IDs and no message 3: half-open and replay entries stay bounded, the oldest is evicted (ERR_BUSY), legitimate handshakes succeed', async () => {
  const max = 32;
  // 60 completed + 32 half-open pairs fit in 100; the 1,800 flood hellos would not, had the evicted kept theirs.
  const w = await world(8, { maxHalfOpen: max, replayCapacity: 100, halfOpenTimeoutMs: 30_000 });
  try {
    const rnd = mulberry32(3);
    const ids = w.bench.dep.handsets.map((h) => h.id);
    let flood = 0;
    for (let round = 0; round < 60; round++) {
      const hs = w.begin(round % 8);
      // fewer flood hellos than the bound while the legitimate message 3 is in flight: it is not evicted
      for (let j = 0; j < max - 2; j++, flood++) {
        const s = w.inject(hello(bytes(rnd, 16), ids[(round + j) % 8]!, Math.floor(w.clock.now / 1000)));
        assert.equal(s.error, Err.OK, 'a forged hello with an enrolled ID gets message 2');
        w.checkBounds();
      }
      assert.equal(hs.finish(), true, `legitimate handshake ${round}`);
      w.clock.now += 500;
      w.checkBounds();
    }
    // the last round's 30 flood hellos, and one from the round before (the legitimate one completed)
    const left = max - 1;
    assert.equal(w.server.halfOpenCount, left);
    assert.equal(w.server.replayCount, left + 60, 'the half-open handshakes\' pairs and the completed ones\'; evicted ones gave theirs back');
    assert.equal(w.codes.get(Err.BUSY), flood - left, 'every flood handshake but those left evicted with ERR_BUSY');
    assert.equal(w.server.stats.evicted, flood - left);
    assert.equal(w.server.stats.established, 60);
    // past the deadline they all time out
    w.clock.now += 30_001;
    assert.equal(w.server.sweep(), left);
    assert.equal(w.server.halfOpenCount, 0);
    assert.equal(w.server.replayCount, 60, 'timed-out handshakes give their pairs back');
  } finally { w.bench.close(); }
});

test('(b) a flood beyond maxHalfOpen per round trip evicts the legitimate handshake: ERR_BUSY, and a retry succeeds', async () => {
  const w = await world(2, { maxHalfOpen: 4 });
  try {
    const rnd = mulberry32(4);
    const hs = w.begin(0);
    for (let j = 0; j < 4; j++) w.inject(hello(bytes(rnd, 16), w.bench.dep.handsets[1]!.id, EPOCH));
    assert.equal(hs.session.error, Err.BUSY);
    assert.equal(hs.finish(), false);
    assert.equal(w.server.halfOpenCount, 4);
    // its replay entry was given back: the same hello is accepted again (it still cannot complete
    // without sk_A); a completed hello stays refused
    assert.equal(w.inject(hs.m1).error, Err.OK);
    const ok = w.begin(0);
    assert.equal(ok.finish(), true);
    assert.equal(w.inject(ok.m1).error, Err.REPLAY);
    assert.ok(w.server.halfOpenCount <= 4);
  } finally { w.bench.close(); }
});

test('(c) replayed messages 1 and 3: refused with ERR_REPLAY / ERR_UNEXPECTED / ERR_MAC_A, no state kept, legitimate handshakes succeed', async () => {
  const w = await world(4, { maxHalfOpen: 8, replayCapacity: 200 });
  try {
    const rnd = mulberry32(5);
    const m1s: Uint8Array[] = [], m3s: Uint8Array[] = [];
    let replayed1 = 0, replayed3 = 0, forged = 0;
    for (let round = 0; round < 40; round++) {
      const hs = w.begin(round % 4);
      // the legitimate hello replayed while its handshake is half-open
      assert.equal(w.inject(hs.m1).error, Err.REPLAY); replayed1++;
      for (const m of m1s) { assert.equal(w.inject(m).error, Err.REPLAY); replayed1++; }
      for (const m of m3s) {
        assert.equal(w.inject(m).error, Err.UNEXPECTED); replayed3++;
        const s = w.inject(hello(bytes(rnd, 16), w.bench.dep.handsets[round % 4]!.id, EPOCH)); forged++;
        s.receive(m); replayed3++;
        assert.equal(s.error, Err.MAC_A);
      }
      w.checkBounds();
      assert.equal(hs.finish(), true, `legitimate handshake ${round}`);
      m1s.push(hs.m1); m3s.push(hs.m3!);
      if (m1s.length > 10) { m1s.shift(); m3s.shift(); }
    }
    assert.equal(w.codes.get(Err.REPLAY), replayed1);
    assert.equal(w.codes.get(Err.MAC_A), forged);
    assert.equal(w.server.stats.established, 40);
    assert.equal(w.server.halfOpenCount, 0);
    assert.equal(w.server.replayCount, 40, 'only the completed handshakes keep their pairs');
    assert.ok(replayed3 > 0);
  } finally { w.bench.close(); }
});

// The floods over the directory (npm run bench:dos -- --store ldap): B reads a real slapd through
// LdapCertStore, so every random ID_A is an asynchronous directory search (a pending lookup).
// A short run of the bench itself: every legitimate handshake succeeds, every attacker hello is
// refused as unknown, the negative cache stays at its bound, nothing waits for message 3.
test('(a) random ID_A hellos against B over OpenLDAP (bench:dos --store ldap): directory searches, legitimate handshakes all succeed', { timeout: 120_000 }, async () => {
  const { runDosBench } = await import('../host/bench/dos.js');
  const r = await runDosBench({ store: 'ldap', seconds: 1.5, clients: 4, scenarios: [{ name: 'random ID_A over LDAP', flood: 'random-id', rate: 2000 }] });
  const x = r.results[0]!;
  assert.equal(r.store, 'ldap');
  assert.equal(x.store, 'ldap');
  assert.ok(x.attackerMessages > 500, `${x.attackerMessages} attacker hellos`);
  // each new random ID_A is a directory search; the attacker's pre-generated IDs repeat once the
  // run overshoots its nominal length, and a repeat is answered by the negative cache
  assert.ok(x.storeLookups > 500, `${x.storeLookups} directory searches`);
  assert.equal(x.storeLookups + x.unknownIdHits, x.attackerMessages);
  assert.equal(x.attackerRejections['ERR_UNKNOWN_ID (0x09)'], x.attackerMessages);
  assert.ok(x.attempted > 0);
  assert.equal(x.succeeded, x.attempted, JSON.stringify(x.legitFailures));
  assert.ok(x.peak.unknownIds <= x.bounds.unknownIdCapacity);
  assert.equal(x.end.halfOpen, 0);
});
