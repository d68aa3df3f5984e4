// The airshake handshake end to end: the firmware client against the node:crypto server B over
// emulated links, many handshakes with fresh keys, concurrency, and the store's durability.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { VirtualClock } from '../host/link/clock.js';
import { EmulatedLink } from '../host/link/emulated.js';
import { getProfile, PROFILE_NAMES } from '../host/link/profiles.js';
import { Handset } from '../host/handset.js';
import { SqliteCertStore } from '../host/store/sqlite.js';
import { AirshakeServer } from '../host/server/server.js';
import { Err } from '../host/protocol/constants.js';
import { EPOCH, makeBench } from './support/sim.js';

test('interop: 40 handsets with fresh keys complete the handshake and the echo over every link profile', async () => {
  const bench = await makeBench({ handsets: 40 });
  try {
    for (let i = 0; i < 40; i++) {
      const link = PROFILE_NAMES[i % PROFILE_NAMES.length]!;
      const app = new TextEncoder().encode(`reading ${i}: ${'x'.repeat(i * 7)}`);
      const r = bench.run({ index: i, link, app });
      assert.equal(r.ok, true, `handset ${i} on ${link}: ${JSON.stringify(r.handsetError)} ${JSON.stringify(r.serverEvents)}`);
      assert.equal(r.echoed, true);
      assert.deepEqual(r.messages.slice(0, 3).map((m) => m.kind), ['hello', 'response', 'finish']);
      assert.equal(r.messages[2]!.appBytes, app.length);
    }
  } finally { bench.close(); }
});

test('figures on the gsm link: 3 messages of 32, 281 and 58 bytes, 332 bytes before the first application byte, 1,209.2 ms (docs/BENCHMARKS.md)', async () => {
  const bench = await makeBench();
  try {
    const r = bench.run({ link: 'gsm', app: new TextEncoder().encode('hello from handset-0001') });
    assert.equal(r.ok, true);
    assert.equal(r.messages.findIndex((m) => m.kind === 'finish') + 1, 3);
    // Deterministic on the virtual clock: bytes and link time, not CPU time. The certificates'
    // sizes are fixed (8-byte serials, fixed names and validity encodings), so the figures are
    // exact: message 3 is FINISH (1) + MAC_A (16) + length (2) + 23 bytes of data + tag (16).
    assert.deepEqual(r.messages.slice(0, 3).map((m) => m.bytes), [32, 281, 58]);
    assert.equal(r.bytesBeforeFirstAppByte, 32 + 281 + 1 + 16 + 2);
    // 3 one-way latencies of 300 ms plus 371 bytes at 9,600 bit/s
    assert.equal(r.timeToFirstAppDataMs, 3 * 300 + (371 * 8) / 9.6);
    assert.equal(Math.round(r.timeToFirstAppDataMs! * 10) / 10, 1209.2);
  } finally { bench.close(); }
});

test('records after the handshake, both directions, 50 each way with increasing sequence numbers', async () => {
  const bench = await makeBench();
  try {
    const h = bench.handset;
    const hs = bench.dep.handsets[0]!;
    h.provision(hs.privateKey, bench.dep.ca.publicKey, bench.dep.serverName);
    const received: string[] = [];
    const toA: Uint8Array[] = [];
    const server = bench.dep.makeServer(() => EPOCH * 1000, { onApplicationData: (d) => { received.push(new TextDecoder().decode(d)); return new TextEncoder().encode(`ack ${received.length}`); } });
    const s = server.connect((m) => toA.push(m));
    s.receive(h.start(EPOCH));
    s.receive(h.finish(toA.shift()!, EPOCH, new TextEncoder().encode('first')));
    assert.equal(new TextDecoder().decode(h.open(toA.shift()!)), 'ack 1');
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const rec = h.seal(new TextEncoder().encode(`same text`));
      seen.add(Buffer.from(rec).toString('hex'));
      s.receive(rec);
      assert.equal(new TextDecoder().decode(h.open(toA.shift()!)), `ack ${i + 2}`);
    }
    assert.equal(seen.size, 50, 'the same plaintext never gives the same record: the nonce advances');
    assert.equal(received.length, 51);
    // A record replayed to B fails: B's sequence number has moved on.
    const rec = h.seal(new TextEncoder().encode('once'));
    s.receive(rec);
    toA.shift();
    let code = 0;
    server.opts.onEvent = (e) => { if (e.type === 'failed') code = e.code; };
    s.receive(rec);
    assert.equal(code, Err.RECORD);
  } finally { bench.close(); }
});

test('concurrent handshakes: 20 handsets interleaved on one server over one virtual clock', async () => {
  const bench = await makeBench({ handsets: 20 });
  try {
    const clock = new VirtualClock();
    const established: number[] = [];
    const server = bench.dep.makeServer(() => EPOCH * 1000 + clock.now(), { onApplicationData: (d) => d, onEvent: (e) => { if (e.type === 'established') established.push(e.session); } });
    const handsets: Handset[] = [];
    const echoes: string[] = [];
    for (let i = 0; i < 20; i++) {
      const h = await Handset.load();
      h.provision(bench.dep.handsets[i]!.privateKey, bench.dep.ca.publicKey, bench.dep.serverName);
      handsets.push(h);
      const link = new EmulatedLink(clock, getProfile('gprs'));
      const a = link.endpoint('A'), b = link.endpoint('B');
      const s = server.connect((m) => b.send(m));
      b.onMessage((m) => s.receive(m));
      a.onMessage((m) => {
        if (h.state === 2) a.send(h.finish(m, EPOCH + Math.floor(clock.now() / 1000), new TextEncoder().encode(`h${i}`)));
        else echoes.push(new TextDecoder().decode(h.open(m)));
      });
      // staggered starts, so the handshakes overlap
      clock.schedule(i * 37, () => a.send(h.start(EPOCH)));
    }
    clock.run();
    assert.equal(established.length, 20);
    assert.deepEqual(echoes.sort(), Array.from({ length: 20 }, (_, i) => `h${i}`).sort());
    assert.equal(server.halfOpenCount, 0);
  } finally { bench.close(); }
});

test('half-open handshakes are bounded in number (ERR_BUSY) and in time (ERR_TIMEOUT)', async () => {
  const bench = await makeBench({ handsets: 4 });
  try {
    let now = EPOCH * 1000;
    const failed: number[] = [];
    // 'refuse': the third hello is answered with ERR_BUSY (the default, 'evict-oldest', is test/dos.test.ts's)
    const server = bench.dep.makeServer(() => now, { maxHalfOpen: 2, halfOpenTimeoutMs: 10_000, halfOpenPolicy: 'refuse', onEvent: (e) => { if (e.type === 'failed') failed.push(e.code); } });
    const sent: Uint8Array[][] = [];
    for (let i = 0; i < 3; i++) {
      const h = await Handset.load();
      h.provision(bench.dep.handsets[i]!.privateKey, bench.dep.ca.publicKey, bench.dep.serverName);
      const out: Uint8Array[] = [];
      sent.push(out);
      server.connect((m) => out.push(m)).receive(h.start(EPOCH));
    }
    assert.equal(sent[0]![0]![0], 0x02);
    assert.equal(sent[1]![0]![0], 0x02);
    assert.deepEqual([...sent[2]![0]!], [0x15, Err.BUSY]);
    assert.equal(server.halfOpenCount, 2);
    now += 10_001;
    assert.equal(server.sweep(), 2);
    assert.equal(server.halfOpenCount, 0);
    assert.deepEqual(failed, [Err.BUSY, Err.TIMEOUT, Err.TIMEOUT]);
  } finally { bench.close(); }
});

test('the SQLite store survives a restart with nothing lost', async () => {
  const bench = await makeBench({ handsets: 3 });
  try {
    const file = path.join(bench.dep.dir, 'certs.db');
    bench.dep.store.revoke(bench.dep.handsets[2]!.id, 'lost handset', EPOCH);
    const before = bench.dep.store.list().map((c) => [Buffer.from(c.id).toString('hex'), c.revokedAt, c.revocationReason]);
    bench.dep.cache.close();
    bench.dep.store.close();
    const reopened = SqliteCertStore.open(file);
    try {
      const after = reopened.list().map((c) => [Buffer.from(c.id).toString('hex'), c.revokedAt, c.revocationReason]);
      assert.deepEqual(after, before);
      assert.equal(reopened.revocationSeq(), 1);
      // A server on the reopened store serves the enrolled handset and refuses the revoked one.
      for (const [i, want] of [[0, true], [2, false]] as const) {
        const h = await Handset.load();
        h.provision(bench.dep.handsets[i]!.privateKey, bench.dep.ca.publicKey, bench.dep.serverName);
        const out: Uint8Array[] = [];
        let code = 0;
        const s = new AirshakeServer({ store: reopened, caPublicKey: bench.dep.ca.publicKey, certificate: bench.dep.server.cert, privateKey: bench.dep.server.privateKey, now: () => EPOCH * 1000, onEvent: (e) => { if (e.type === 'failed') code = e.code; } });
        s.connect((m) => out.push(m)).receive(h.start(EPOCH));
        assert.equal(out[0]![0] === 0x02, want, `handset ${i}`);
        if (!want) assert.equal(code, Err.REVOKED);
      }
    } finally { reopened.close(); }
  } finally { bench.close(); }
});
