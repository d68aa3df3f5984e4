// Every departure from the protocol fails with its own error code; nothing crashes, hangs or
// ends established. Certificates, bit flips and truncations of a recorded handshake, replays,
// downgrades, reflection, trailing bytes.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Err } from '../host/protocol/constants.js';
import { createCa, issue } from '../host/pki/cert.js';
import { certId } from '../host/pki/id.js';
import { Handset } from '../host/handset.js';
import { EPOCH, makeBench, serverFailures, type Bench } from './support/sim.js';
import type { SimResult } from '../host/sim/run.js';

const DAY = 86400;

/** Asserts the run failed: no session established, the given side reported `code`. */
function failedWith(r: SimResult, side: 'A' | 'B', code: number, what: string): void {
  assert.equal(r.ok, false, `${what}: must fail`);
  assert.equal(r.serverEvents.some((e) => e.type === 'established') && r.handsetError === null, false, `${what}: nothing established`);
  if (side === 'A') assert.equal(r.handsetError?.code, code, `${what}: handset error ${JSON.stringify(r.handsetError)}`);
  else assert.ok(serverFailures(r).includes(code), `${what}: server errors ${JSON.stringify(r.serverEvents)}`);
}

/** A handset whose certificate is `cert` (with private key) enrolled in the bench's store. */
function addHandset(bench: Bench, issued: { privateKey: Uint8Array; cert: Uint8Array }, enrol = true): number {
  if (enrol) bench.dep.store.enrol(issued.cert, EPOCH);
  bench.dep.handsets.push({ ...issued, name: 'extra', publicKey: new Uint8Array(32), id: certId(issued.cert) });
  return bench.dep.handsets.length - 1;
}

test('certificates: unknown ID, revoked, expired, not yet valid, wrong CA (both sides), wrong server name', async () => {
  const bench = await makeBench({ handsets: 2 });
  try {
    const { ca } = bench.dep;
    const other = createCa({ name: 'rogue CA', now: EPOCH });

    const unknown = addHandset(bench, issue(ca, { name: 'not-enrolled', notBefore: EPOCH - DAY, notAfter: EPOCH + DAY }), false);
    let r = bench.run({ index: unknown });
    failedWith(r, 'B', Err.UNKNOWN_ID, 'unknown ID_A');
    assert.equal(r.handsetError?.code, Err.PEER_ALERT);
    assert.equal(bench.handset.peerAlert, Err.HANDSHAKE_FAILED, 'B hides the precise certificate verdict');

    // revoked: first served (and cached), then revoked: the cache drops it at once
    assert.equal(bench.run({ index: 1 }).ok, true);
    bench.dep.store.revoke(bench.dep.handsets[1]!.id, 'key compromise', EPOCH);
    failedWith(bench.run({ index: 1 }), 'B', Err.REVOKED, 'revoked C_A');

    const expiredA = addHandset(bench, issue(ca, { name: 'expired', notBefore: EPOCH - 10 * DAY, notAfter: EPOCH - DAY }));
    failedWith(bench.run({ index: expiredA }), 'B', Err.CERT_EXPIRED, 'expired C_A');
    const futureA = addHandset(bench, issue(ca, { name: 'future', notBefore: EPOCH + DAY, notAfter: EPOCH + 10 * DAY }));
    failedWith(bench.run({ index: futureA }), 'B', Err.CERT_NOT_YET_VALID, 'not-yet-valid C_A');
    const rogueA = addHandset(bench, issue(other, { name: 'rogue', notBefore: EPOCH - DAY, notAfter: EPOCH + DAY }));
    failedWith(bench.run({ index: rogueA }), 'B', Err.CERT_SIGNATURE, 'C_A from the wrong CA');
    const noKa = addHandset(bench, issue(ca, { name: 'signer', notBefore: EPOCH - DAY, notAfter: EPOCH + DAY, keyUsage: [0] }));
    failedWith(bench.run({ index: noKa }), 'B', Err.CERT_KEY_USAGE, 'C_A without keyAgreement');

    // server side: C_B expired, not yet valid (by the handset's clock), from the wrong CA
    const swap = (cert: Uint8Array, key: Uint8Array) => ({ certificate: cert, privateKey: key });
    const serverCert = (c: typeof ca, nb: number, na: number) => issue(c, { name: bench.dep.serverName, notBefore: nb, notAfter: na });
    let s = serverCert(ca, EPOCH - 10 * DAY, EPOCH - DAY);
    failedWith(bench.run({ server: swap(s.cert, s.privateKey) }), 'A', Err.CERT_EXPIRED, 'expired C_B');
    s = serverCert(ca, EPOCH + DAY, EPOCH + 10 * DAY);
    failedWith(bench.run({ server: swap(s.cert, s.privateKey) }), 'A', Err.CERT_NOT_YET_VALID, 'not-yet-valid C_B');
    s = serverCert(other, EPOCH - DAY, EPOCH + DAY);
    failedWith(bench.run({ server: swap(s.cert, s.privateKey) }), 'A', Err.CERT_SIGNATURE, 'C_B from the wrong CA');
    // a valid C_B for another name, and a handset expecting another name
    s = issue(ca, { name: 'c.airshake', notBefore: EPOCH - DAY, notAfter: EPOCH + DAY });
    failedWith(bench.run({ server: swap(s.cert, s.privateKey) }), 'A', Err.WRONG_SERVER, 'C_B for another server');
    failedWith(bench.run({ serverName: 'c.airshake' }), 'A', Err.WRONG_SERVER, 'handset expects another server');
    // B presents a valid C_B but holds a different key: MAC_B fails
    const t = issue(ca, { name: bench.dep.serverName, notBefore: EPOCH - DAY, notAfter: EPOCH + DAY });
    failedWith(bench.run({ server: swap(bench.dep.server.cert, t.privateKey) }), 'A', Err.MAC_B, 'B without the key of C_B');
    // stale hello: the handset's clock is an hour off
    failedWith(bench.run({ clockOffsetSec: 3600 }), 'B', Err.STALE, 'stale timestamp');
  } finally { bench.close(); }
});

test('every single-bit flip of every message of a recorded handshake fails, with a code', async () => {
  const bench = await makeBench({ fixedRandom: true });
  try {
    const base = bench.run();
    assert.equal(base.ok, true);
    const sizes = base.messages.slice(0, 3).map((m) => m.bytes);
    const codes = new Map<string, number>();
    let runs = 0;
    for (let msg = 0; msg < 3; msg++) {
      const side = msg === 1 ? 'B' : 'A';
      const index = msg === 2 ? 1 : 0;
      for (let bit = 0; bit < sizes[msg]! * 8; bit++) {
        const r = bench.run({
          tamper: (from, i, m) => {
            if (from !== side || i !== index) return m;
            const c = new Uint8Array(m); c[bit >> 3]! ^= 1 << (bit & 7); return c;
          },
        });
        runs++;
        assert.equal(r.ok, false, `flip of bit ${bit} in message ${msg + 1} was accepted`);
        assert.equal(r.echoed, false);
        const code = msg === 1 ? r.handsetError?.code : serverFailures(r)[0] ?? r.handsetError?.code;
        assert.ok(code !== undefined && code > 0, `flip of bit ${bit} in message ${msg + 1}: no error code`);
        const key = `m${msg + 1}:0x${code.toString(16)}`;
        codes.set(key, (codes.get(key) ?? 0) + 1);
      }
    }
    assert.equal(runs, (sizes[0]! + sizes[1]! + sizes[2]!) * 8);
    console.log(`bit flips: ${runs} runs; codes ${JSON.stringify(Object.fromEntries(codes))}`);
  } finally { bench.close(); }
});

test('every truncation of every message fails with a decode error', async () => {
  const bench = await makeBench({ fixedRandom: true });
  try {
    const sizes = bench.run().messages.slice(0, 3).map((m) => m.bytes);
    for (let msg = 0; msg < 3; msg++) {
      const side = msg === 1 ? 'B' : 'A';
      const index = msg === 2 ? 1 : 0;
      for (let len = 0; len < sizes[msg]!; len++) {
        const r = bench.run({ tamper: (from, i, m) => (from === side && i === index ? m.subarray(0, len) : m) });
        assert.equal(r.ok, false, `message ${msg + 1} cut to ${len} bytes was accepted`);
        const code = msg === 1 ? r.handsetError?.code : serverFailures(r)[0];
        const allowed: number[] = [Err.DECODE, Err.UNEXPECTED, Err.X509_TOO_LARGE];
        assert.ok(code !== undefined && allowed.includes(code), `message ${msg + 1} cut to ${len}: code ${code}`);
      }
    }
  } finally { bench.close(); }
});

test('an extra trailing byte on any message: ERR_TRAILING', async () => {
  const bench = await makeBench({ fixedRandom: true });
  try {
    const cases: ['A' | 'B', number, 'A' | 'B'][] = [['A', 0, 'B'], ['B', 0, 'A'], ['A', 1, 'B']];
    for (const [from, index, detector] of cases) {
      const r = bench.run({ tamper: (f, i, m) => (f === from && i === index ? new Uint8Array([...m, 0]) : m) });
      failedWith(r, detector, Err.TRAILING, `trailing byte on ${from}'s message ${index + 1}`);
    }
  } finally { bench.close(); }
});

test('a replayed message 1 is refused (ERR_REPLAY), a replayed message 3 fails', async () => {
  const bench = await makeBench();
  try {
    const h = bench.handset;
    h.provision(bench.dep.handsets[0]!.privateKey, bench.dep.ca.publicKey, bench.dep.serverName);
    const failed: number[] = [];
    const server = bench.dep.makeServer(() => EPOCH * 1000, { onApplicationData: (d) => d, onEvent: (e) => { if (e.type === 'failed') failed.push(e.code); } });
    const out: Uint8Array[] = [];
    const s1 = server.connect((m) => out.push(m));
    const m1 = h.start(EPOCH);
    s1.receive(m1);
    const m3 = h.finish(out.shift()!, EPOCH, new TextEncoder().encode('x'));
    s1.receive(m3);
    assert.equal(s1.established, true);
    const replay: Uint8Array[] = [];
    server.connect((m) => replay.push(m)).receive(m1);
    assert.deepEqual(failed, [Err.REPLAY]);
    assert.deepEqual([...replay[0]!], [0x15, Err.HANDSHAKE_FAILED]);
    // message 3 replayed into a fresh session (after a fresh hello from another attempt) fails
    const h2 = await Handset.load();
    h2.provision(bench.dep.handsets[0]!.privateKey, bench.dep.ca.publicKey, bench.dep.serverName);
    const s3 = server.connect(() => {});
    s3.receive(h2.start(EPOCH));
    s3.receive(m3);
    assert.equal(failed.at(-1), Err.MAC_A);
  } finally { bench.close(); }
});

test('downgrade: the suite list changed in transit fails MAC_B at A; an unoffered suite fails at A', async () => {
  const bench = await makeBench({ fixedRandom: true });
  try {
    // an extra suite inserted ahead of A's (a reorder of what A offered)
    let r = bench.run({ tamper: (f, i, m) => {
      if (f !== 'A' || i !== 0) return m;
      return new Uint8Array([m[0]!, m[1]!, 2, 0x7f, ...m.subarray(3)]);
    } });
    failedWith(r, 'A', Err.MAC_B, 'suite list rewritten');
    // every suite removed
    r = bench.run({ tamper: (f, i, m) => (f === 'A' && i === 0 ? new Uint8Array([m[0]!, m[1]!, 0, ...m.subarray(4)]) : m) });
    failedWith(r, 'B', Err.DECODE, 'suite list emptied');
    // B's choice rewritten to a suite A never offered
    r = bench.run({ tamper: (f, i, m) => { if (f !== 'B' || i !== 0) return m; const c = new Uint8Array(m); c[1] = 0x02; return c; } });
    failedWith(r, 'A', Err.SUITE_NOT_OFFERED, 'unoffered suite chosen');
    // B picks by its own preference among what A offered
    const out: Uint8Array[] = [];
    const server = bench.dep.makeServer(() => EPOCH * 1000, { suites: [0x01] });
    const hello = bench.handset; hello.reset();
    hello.provision(bench.dep.handsets[0]!.privateKey, bench.dep.ca.publicKey, bench.dep.serverName);
    const m1 = hello.start(EPOCH);
    server.connect((m) => out.push(m)).receive(new Uint8Array([m1[0]!, m1[1]!, 2, 0x7e, 0x01, ...m1.subarray(4)]));
    assert.equal(out[0]![0], 0x02);
    assert.equal(out[0]![1], 0x01);
    const none: Uint8Array[] = [];
    server.connect((m) => none.push(m)).receive(new Uint8Array([m1[0]!, m1[1]!, 1, 0x7e, ...m1.subarray(4)]));
    assert.deepEqual([...none[0]!], [0x15, Err.NO_COMMON_SUITE]);
  } finally { bench.close(); }
});

test('message 2 reflected back to B fails with ERR_UNEXPECTED, as a hello and as message 3', async () => {
  const bench = await makeBench();
  try {
    const h = bench.handset;
    h.provision(bench.dep.handsets[0]!.privateKey, bench.dep.ca.publicKey, bench.dep.serverName);
    const failed: number[] = [];
    const server = bench.dep.makeServer(() => EPOCH * 1000, { onEvent: (e) => { if (e.type === 'failed') failed.push(e.code); } });
    const out: Uint8Array[] = [];
    const s = server.connect((m) => out.push(m));
    s.receive(h.start(EPOCH));
    const m2 = out.shift()!;
    server.connect(() => {}).receive(m2);   // to a new session, as a hello
    s.receive(m2);                          // to the waiting session, as message 3
    assert.deepEqual(failed, [Err.UNEXPECTED, Err.UNEXPECTED]);
    // and message 1 reflected to A as message 2
    assert.throws(() => h.finish(h.start(EPOCH), EPOCH), (e: { code: number }) => e.code === Err.STATE);
  } finally { bench.close(); }
});

test('the firmware checks its state on every entry point and keeps the first error', async () => {
  const h = await Handset.load();
  assert.throws(() => h.start(EPOCH), (e: { code: number }) => e.code === Err.NOT_PROVISIONED);
  const bench = await makeBench();
  try {
    h.reset();
    h.provision(bench.dep.handsets[0]!.privateKey, bench.dep.ca.publicKey, bench.dep.serverName);
    assert.throws(() => h.seal(new Uint8Array(1)), (e: { code: number }) => e.code === Err.STATE);
    assert.equal(h.state, 4);
    // sticky: later calls report the first error
    assert.throws(() => h.start(EPOCH), (e: { code: number }) => e.code === Err.STATE);
    assert.equal(h.error, Err.STATE);
    h.reset();
    assert.equal(h.state, 1);
    h.start(EPOCH);
    assert.throws(() => h.finish(new Uint8Array(2000), EPOCH), RangeError);
    assert.throws(() => h.finish(new Uint8Array([0x02]), EPOCH), (e: { code: number }) => e.code === Err.DECODE);
    void path;
  } finally { bench.close(); }
});

test('regression (property test): a stale half-open handshake ended late does not drop a newer handshake\'s replay entry for the same pair', async () => {
  // Found by test/properties-server.test.ts: handshake 1 records (ID_A, random_A) and never gets
  // message 3; 2W later the same pair passes again (its entry expired) and handshake 2 records it;
  // ending handshake 1 (here evicted as timed out to admit handshake 2) released the pair, deleting
  // handshake 2's entry, so handshake 2's hello was accepted again after it completed.
  const bench = await makeBench({ fixedRandom: true }); // the same random_A on every start
  try {
    const h = bench.handset;
    h.provision(bench.dep.handsets[0]!.privateKey, bench.dep.ca.publicKey, bench.dep.serverName);
    let nowMs = EPOCH * 1000;
    const failed: number[] = [];
    const server = bench.dep.makeServer(() => nowMs, { maxHalfOpen: 1, onApplicationData: (d) => d, onEvent: (e) => { if (e.type === 'failed') failed.push(e.code); } });
    server.connect(() => {}).receive(h.start(EPOCH)); // message 2 never answered
    nowMs += 600_001;
    h.reset();
    const t = Math.floor(nowMs / 1000);
    const hello = h.start(t);
    const out: Uint8Array[] = [];
    const s1 = server.connect((m) => out.push(m));
    s1.receive(hello);
    assert.deepEqual(failed, [Err.TIMEOUT], 'the stale handshake ends to admit the new one');
    s1.receive(h.finish(out[0]!, t, new TextEncoder().encode('x')));
    assert.equal(s1.established, true);
    assert.equal(server.replayCount, 1, 'the completed handshake keeps its pair');
    nowMs += 1000;
    const replay: Uint8Array[] = [];
    server.connect((m) => replay.push(m)).receive(hello);
    assert.deepEqual(failed, [Err.TIMEOUT, Err.REPLAY]);
    assert.deepEqual([...replay[0]!], [0x15, Err.HANDSHAKE_FAILED]);
  } finally { bench.close(); }
});
