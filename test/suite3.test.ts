// Suite 3 (docs/PROTOCOL.md, "Suite 3: forward secrecy, C_B encrypted or by reference"): the
// trace vectors on both implementations, the forward-secret firmware (build/handset-fs.wasm)
// against server B over every link, the certificate by reference (at most 95 bytes before the
// first application byte), key-compromise impersonation refused where suite 1 allows it, the
// ephemeral secret gone after the handshake, and every departure with its code on both sides.
import test from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { computeTrace3, TRACE3_INPUTS, TRACE_TIME } from '../host/trace/suite3.js';
import { TRACE_INPUTS as S1, traceCertificates } from '../host/trace/suite1.js';
import { Handset } from '../host/handset.js';
import { VirtualClock } from '../host/link/clock.js';
import { getProfile, PROFILE_NAMES } from '../host/link/profiles.js';
import { createDeployment, type Deployment } from '../host/sim/deployment.js';
import { runHandshake } from '../host/sim/run.js';
import { loadHandset, provisionHandset, startFor, suiteSetup } from '../host/sim/suites.js';
import { SqliteCertStore } from '../host/store/sqlite.js';
import { AirshakeServer, type ServerEvent } from '../host/server/server.js';
import { buildResponseE, certRef, fullTime } from '../host/server/suite3.js';
import { issue, x25519PrivateKey, x25519PublicKey } from '../host/pki/cert.js';
import { Err, HandshakeError, MsgType, Suite } from '../host/protocol/constants.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (f: string) => JSON.parse(readFileSync(path.join(root, f), 'utf8'));
const committed = read('test/vectors/trace-suite3.json');
const trace1 = read('test/vectors/trace-suite1.json');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const code = (c: number) => (e: unknown) => (e as { code?: number }).code === c;
const T = TRACE_TIME;

/** The forward-secret firmware provisioned with the suite-1 trace identity, e_A fixed. */
async function traceHandset(o: { debug?: boolean } = {}): Promise<Handset> {
  const h = await Handset.load({ build: 'fs', debug: o.debug, random: (b) => b.set(TRACE3_INPUTS.ephemeralA.subarray(0, b.length)) });
  h.provision(S1.handsetKey, unhex(trace1.certificates.caPublicKey), S1.serverName);
  return h;
}

/** Server B on the trace PKI (e_B fixed unless `random` is given). */
function traceServer(o: { random?: (n: number) => Uint8Array; events?: ServerEvent[]; now?: number } = {}) {
  const { ca, handset, server } = traceCertificates();
  const store = SqliteCertStore.open(':memory:');
  store.enrol(handset.cert, T);
  const b = new AirshakeServer({
    store, caPublicKey: ca.publicKey, certificate: server.cert, privateKey: server.privateKey,
    now: () => (o.now ?? T) * 1000, random: o.random ?? ((n) => TRACE3_INPUTS.ephemeralB.slice(0, n)),
    onEvent: (e) => o.events?.push(e), onApplicationData: (d) => d,
  });
  return { b, store, ca, server, close: () => { b.close(); store.close(); } };
}

/** Feeds B the messages; returns B's session error. */
function atB(messages: Uint8Array[], o: Parameters<typeof traceServer>[0] = {}): number {
  const srv = traceServer(o);
  try {
    const s = srv.b.connect(() => {});
    for (const m of messages) s.receive(m);
    return s.error;
  } finally { srv.close(); }
}

test('suite 3: the committed trace equals the host computation (B made message 2; A\'s side recomputed all four DH terms)', () => {
  assert.deepEqual(computeTrace3(), committed);
  assert.equal(committed.byReference.sizes.bytesBeforeFirstAppByte, 95, 'the issue\'s bound: at most 95 bytes');
  assert.ok(committed.full.sizes.m2 > 250, 'the full case carries C_B');
});

for (const debug of [false, true]) {
  test(`suite 3: the forward-secret firmware (${debug ? 'debug' : 'release'}) reproduces messages 1 and 3, learns C_B, and names it next time`, async () => {
    const h = await traceHandset({ debug });
    assert.equal(h.serverCached, false);
    assert.equal(hex(h.startFs(T)), committed.full.messages.m1);
    assert.equal(hex(h.finish(unhex(committed.full.messages.m2), T, TRACE3_INPUTS.appData)), committed.full.messages.m3);
    assert.equal(h.suite, Suite.X25519E_ED25519_CHACHAPOLY_SHA256);
    assert.equal(h.serverCached, true, 'a C_B verified with MAC_B is kept');
    h.reset();
    assert.equal(hex(h.startFs(T)), committed.byReference.messages.m1, 'the hello names the cached C_B');
    assert.equal(hex(h.finish(unhex(committed.byReference.messages.m2), T, TRACE3_INPUTS.appData)), committed.byReference.messages.m3);
    // cacheServer gives the same reference as learning it
    const g = await traceHandset({ debug });
    g.cacheServer(unhex(trace1.certificates.server), T);
    assert.equal(hex(g.startFs(T)), committed.byReference.messages.m1);
  });
}

test('suite 3: e_A and the handshake secrets are not in the firmware\'s memory once message 3 is built', async () => {
  const h = await traceHandset();
  const mem = () => Buffer.from(h.exports.memory.buffer);
  h.startFs(T);
  assert.ok(mem().indexOf(Buffer.from(TRACE3_INPUTS.ephemeralA)) >= 0, 'e_A held while waiting for message 2 (the check can fail)');
  h.finish(unhex(committed.full.messages.m2), T, TRACE3_INPUTS.appData);
  assert.equal(mem().indexOf(Buffer.from(TRACE3_INPUTS.ephemeralA)), -1, 'e_A wiped');
  for (const k of ['ee', 'es', 'se', 'ss', 'prk2', 'k2', 'prk3']) assert.equal(mem().indexOf(Buffer.from(committed.full.derived[k], 'hex')), -1, `${k} wiped`);
  assert.ok(mem().indexOf(Buffer.from(committed.full.derived.kAB, 'hex')) >= 0, 'the traffic keys are there (the search works)');
});

test('suite 3 over every link profile: C_B sent once, then named by reference; records and key updates afterwards', async () => {
  const setup = suiteSetup('fs');
  const now = T;
  const dep: Deployment = createDeployment({ now, handsets: 2, suites: setup.deploy });
  try {
    const h = await loadHandset(setup);
    for (const link of PROFILE_NAMES) {
      provisionHandset(h, setup, dep, dep.handsets[0]!); // forgets the cached C_B
      const sizes: number[] = [];
      for (let round = 0; round < 2; round++) {
        h.reset();
        const clock = new VirtualClock();
        const server = dep.makeServer(() => now * 1000 + clock.now(), { onApplicationData: (d) => d });
        const r = runHandshake({ clock, epochSec: now, profile: getProfile(link), handset: h, server, appData: new TextEncoder().encode(`${link} ${round}`), start: startFor(setup, h) });
        assert.equal(r.ok, true, `${link} round ${round}: ${JSON.stringify(r.handsetError)} ${JSON.stringify(r.serverEvents)}`);
        assert.equal(r.suite, 3);
        assert.equal(r.echoed, true);
        assert.deepEqual(r.messages.slice(0, 3).map((m) => m.kind), ['hello', 'response', 'finish']);
        sizes.push(r.bytesBeforeFirstAppByte);
      }
      assert.ok(sizes[0]! > 300, `${link}: first handshake carries C_B (${sizes[0]} bytes)`);
      assert.equal(sizes[1], 95, `${link}: second handshake names C_B: at most 95 bytes`);
    }
    // records and key updates in suite 3
    const toA: Uint8Array[] = [];
    const got: string[] = [];
    const server = dep.makeServer(() => now * 1000, { onApplicationData: (d) => { got.push(hex(d)); } });
    const s = server.connect((m) => toA.push(m));
    h.reset();
    s.receive(h.startFs(now));
    s.receive(h.finish(toA.shift()!, now, new Uint8Array(0)));
    assert.equal(s.error, Err.OK);
    for (let i = 0; i < 40; i++) {
      const d = crypto.randomBytes(i * 12);
      s.receive(i % 5 === 4 ? h.sealUpdate(d) : h.seal(d));
      assert.equal(got.at(-1), hex(d));
      s.write(d, { update: i % 7 === 6 });
      assert.equal(hex(h.open(toA.shift()!)), hex(d));
    }
    assert.ok(s.updatesAB > 5 && s.updatesBA > 4);
  } finally { dep.close(); }
});

test('suite 3: message 3 (A\'s Finished) cannot carry the change-cipher message: B refuses type 0x18 there with ERR_UNEXPECTED', async () => {
  const setup = suiteSetup('fs');
  const dep: Deployment = createDeployment({ now: T, handsets: 1, suites: setup.deploy });
  try {
    const h = await loadHandset(setup);
    provisionHandset(h, setup, dep, dep.handsets[0]!);
    const server = dep.makeServer(() => T * 1000, { onApplicationData: (d) => d });
    for (const asUpdate of [true, false]) {
      const toA: Uint8Array[] = [];
      const s = server.connect((m) => toA.push(m));
      h.reset();
      s.receive(h.startFs(T));
      const m3 = new Uint8Array(h.finish(toA.shift()!, T, new Uint8Array([1, 2, 3])));
      assert.equal(m3[0], MsgType.RECORD);
      if (asUpdate) m3[0] = MsgType.RECORD_UPDATE;
      s.receive(m3);
      assert.equal(s.error, asUpdate ? Err.UNEXPECTED : Err.OK, asUpdate ? 'a 0x18 message 3' : 'the genuine message 3 (the control)');
    }
  } finally { dep.close(); }
});

test('key-compromise impersonation: with sk_A, an attacker impersonates B to A in suite 1 but not in suite 3', async () => {
  const { server } = traceCertificates();
  // Suite 1: Z = X25519(sk_A, pk_B) is all B's side needs, so sk_A makes a valid message 2.
  {
    const h = await Handset.load({ random: (b) => b.set(S1.randomA.subarray(0, b.length)) });
    h.provision(S1.handsetKey, unhex(trace1.certificates.caPublicKey), S1.serverName);
    h.start(T);
    // the attacker replays B's computation with Z from sk_A (trace message 2 was made with sk_B; it is the same message)
    const z = crypto.diffieHellman({ privateKey: x25519PrivateKey(S1.handsetKey), publicKey: x25519PublicKey(server.publicKey) });
    assert.equal(hex(z), trace1.derived.z, 'sk_A alone gives suite 1\'s Z');
    assert.doesNotThrow(() => h.finish(unhex(trace1.messages.m2), T, S1.appData));
  }
  // Suite 3: ee (own e_B), se (sk_A), ss (sk_A) are computable; es = X25519(e_A, pk_B) is not.
  const eB = crypto.randomBytes(32);
  const pub = (raw: Uint8Array) => Buffer.from(crypto.createPublicKey(x25519PrivateKey(raw)).export({ format: 'der', type: 'spki' }).subarray(-32));
  const EB = pub(eB);
  const dh = (sk: Uint8Array, pk: Uint8Array) => crypto.diffieHellman({ privateKey: x25519PrivateKey(sk), publicKey: x25519PublicKey(pk) });
  for (const attempt of ['guessed es', 'true es (needs sk_B: the control)'] as const) {
    const h = await traceHandset();
    const m1 = h.startFs(T);
    const EA = m1.subarray(14, 46);
    const es = attempt === 'guessed es' ? crypto.randomBytes(32) : dh(S1.serverKey, EA);
    const forged = buildResponseE({ hello: m1, EB, dh: { ee: dh(eB, EA), es, se: dh(S1.handsetKey, EB), ss: dh(S1.handsetKey, server.publicKey) }, certB: server.cert, refB: null });
    if (attempt === 'guessed es') assert.throws(() => h.finish(forged.message, T, S1.appData), code(Err.MAC_B));
    else assert.doesNotThrow(() => h.finish(forged.message, T, S1.appData));
  }
});

test('suite 3 at A: every bit flip and truncation of message 2 fails with a code; the named failures', async () => {
  const h = await traceHandset();
  const codes = new Set<number>();
  for (const c of ['full', 'byReference'] as const) {
    const m2 = unhex(committed[c].messages.m2);
    const arm = async () => {
      h.reset();
      if (c === 'byReference') h.cacheServer(unhex(trace1.certificates.server), T); else h.forgetServer();
      h.startFs(T);
    };
    for (let bit = 0; bit < m2.length * 8; bit += c === 'full' ? 7 : 1) {
      await arm();
      const x = new Uint8Array(m2); x[bit >> 3]! ^= 1 << (bit & 7);
      // the assertion stays outside the try: an AssertionError (code 'ERR_ASSERTION') must not count as a refusal
      let err: unknown;
      try { h.finish(x, T, TRACE3_INPUTS.appData); } catch (e) { err = e; }
      assert.ok(err !== undefined, `${c}: bit ${bit} flipped was accepted`);
      assert.ok(err instanceof HandshakeError && typeof err.code === 'number' && err.code > 0, `${c}: bit ${bit}: not a HandshakeError: ${String(err)}`);
      codes.add(err.code);
    }
    for (const n of [0, 1, 33, 34, 41, m2.length - 1]) {
      await arm();
      assert.throws(() => h.finish(m2.subarray(0, n), T, TRACE3_INPUTS.appData), (e: unknown) => typeof (e as { code?: number }).code === 'number', `${c}: truncated to ${n}`);
    }
  }
  assert.ok(codes.has(Err.MAC_B), 'MAC_B, E_B and most ciphertext flips end at MAC_B');
  const arm = async (cached: boolean) => { h.reset(); if (cached) h.cacheServer(unhex(trace1.certificates.server), T); else h.forgetServer(); return h.startFs(T); };
  // a message 2 without C_B when the hello named none
  await arm(false);
  assert.throws(() => h.finish(unhex(committed.byReference.messages.m2), T, TRACE3_INPUTS.appData), code(Err.DECODE));
  // the wrong suite, the classic RESPONSE type, an alert
  await arm(false);
  { const x = unhex(committed.full.messages.m2); x[1] = 1; assert.throws(() => h.finish(x, T, S1.appData), code(Err.SUITE_NOT_OFFERED)); }
  await arm(false);
  { const x = unhex(committed.full.messages.m2); x[0] = MsgType.RESPONSE; assert.throws(() => h.finish(x, T, S1.appData), code(Err.UNEXPECTED)); }
  await arm(false);
  assert.throws(() => h.finish(new Uint8Array([MsgType.ALERT, Err.BUSY]), T, S1.appData), code(Err.PEER_ALERT));
  // E_B of small order (0 and 1 as u-coordinates): ee is all zero
  for (const u of [0, 1]) {
    await arm(false);
    const x = unhex(committed.full.messages.m2); x.fill(0, 2, 34); x[2] = u;
    assert.throws(() => h.finish(x, T, S1.appData), code(Err.X25519_ZERO), `E_B = ${u}`);
  }
  // A's clock past C_B's notAfter: the cached C_B is not named; past it at finish: expired
  const naSec = Math.floor(Date.parse(new crypto.X509Certificate(unhex(trace1.certificates.server)).validTo) / 1000);
  h.reset(); h.cacheServer(unhex(trace1.certificates.server), T);
  assert.equal(h.startFs(naSec + 1).length, 46, 'no ref_B once the cached C_B has expired');
  h.reset(); h.cacheServer(unhex(trace1.certificates.server), T);
  h.startFs(T);
  assert.throws(() => h.finish(unhex(committed.byReference.messages.m2), naSec + 1, S1.appData), code(Err.CERT_EXPIRED));
});

test('suite 3: cacheServer refuses what a handshake would (another name, another CA, a damaged signature) and caches nothing', async () => {
  const h = await traceHandset();
  const { ca } = traceCertificates();
  const other = issue(ca, { name: 'c.airshake', notBefore: T - 60, notAfter: T + 86400 });
  assert.throws(() => h.cacheServer(other.cert, T), code(Err.WRONG_SERVER));
  assert.equal(h.serverCached, false);
  const bad = unhex(trace1.certificates.server); bad[bad.length - 5]! ^= 1;
  assert.throws(() => h.cacheServer(bad, T), code(Err.CERT_SIGNATURE));
  assert.throws(() => h.cacheServer(unhex(trace1.certificates.handset), T), code(Err.WRONG_SERVER));
  assert.equal(h.serverCached, false);
  h.startFs(T);
  assert.throws(() => h.cacheServer(unhex(trace1.certificates.server), T), code(Err.STATE), 'not mid-handshake');
});

test('suite 3 at B: decoding, freshness with the 16-bit time, replay, suites, message 3', () => {
  const m1 = unhex(committed.full.messages.m1), m3 = unhex(committed.full.messages.m3);
  assert.equal(atB([m1, m3]), Err.OK, 'the trace handshake (the checks below can pass)');
  // lengths: n = 1 gives 46 or 50 bytes
  for (const [n, want] of [[45, Err.DECODE], [47, Err.DECODE], [49, Err.DECODE], [51, Err.TRAILING]] as const) {
    const x = new Uint8Array(n); x.set(m1.subarray(0, Math.min(n, m1.length)));
    assert.equal(atB([x]), want, `${n} bytes`);
  }
  { const x = new Uint8Array(m1); x[1] = 2; assert.equal(atB([x]), Err.VERSION); }
  { const x = new Uint8Array(m1); x[3] = 1; assert.equal(atB([x]), Err.NO_COMMON_SUITE, 'HELLO_E offering only suite 1'); }
  // a classic hello offering only suite 3
  { const x = new Uint8Array([MsgType.HELLO, 1, 1, 3, ...new Uint8Array(16), 0, 0, 0, 0, ...unhex(committed.idA)]); x.set([(T >>> 24) & 0xff, (T >>> 16) & 0xff, (T >>> 8) & 0xff, T & 0xff], 20); assert.equal(atB([x]), Err.NO_COMMON_SUITE); }
  // the 16-bit time: within 300 s either way is fresh, also across a wrap of the low 16 bits
  assert.equal(fullTime(0xfff0, 0x1_0000 + 5), 0x1_0000 + 5 - 21);
  assert.equal(fullTime(0x0005, 0xfff0), 0x1_0005);
  for (const [skew, want] of [[300, Err.OK], [-300, Err.OK], [301, Err.STALE], [-301, Err.STALE], [40_000, Err.STALE]] as const) {
    assert.equal(atB([m1, m3], { now: T + skew }), want === Err.OK ? Err.OK : want, `B's clock ${skew} s off`);
  }
  // replay within the window
  {
    const srv = traceServer();
    try {
      const s1 = srv.b.connect(() => {}); s1.receive(m1); s1.receive(m3);
      assert.equal(s1.error, Err.OK);
      const s2 = srv.b.connect(() => {}); s2.receive(m1);
      assert.equal(s2.error, Err.REPLAY);
    } finally { srv.close(); }
  }
  // the same hello with bit 255 of E_A set (the same key to X25519): still a replay
  {
    const srv = traceServer();
    try {
      const s1 = srv.b.connect(() => {}); s1.receive(m1); s1.receive(m3);
      const x = new Uint8Array(m1); x[45]! |= 0x80;
      const s2 = srv.b.connect(() => {}); s2.receive(x);
      assert.equal(s2.error, Err.REPLAY, 'a non-canonical E_A is the same replay-cache entry');
    } finally { srv.close(); }
  }
  // E_A of small order: ee and es are all zero at B
  { const x = new Uint8Array(m1); x.fill(0, 14, 46); assert.equal(atB([x]), Err.X25519_ZERO); }
  // message 3: a flipped tag, the classic FINISH type, trailing bytes, a short record
  { const x = new Uint8Array(m3); x[x.length - 1]! ^= 1; assert.equal(atB([m1, x]), Err.RECORD); }
  { const x = new Uint8Array(m3); x[0] = MsgType.FINISH; assert.equal(atB([m1, x]), Err.UNEXPECTED); }
  assert.equal(atB([m1, new Uint8Array([...m3, 0])]), Err.TRAILING);
  assert.equal(atB([m1, m3.subarray(0, 18)]), Err.DECODE);
  // the reference: B's own C_B's; another reference makes B send C_B
  assert.equal(hex(certRef(unhex(trace1.certificates.server))), committed.refB);
  {
    const x = unhex(committed.byReference.messages.m1); x[x.length - 1]! ^= 1;
    const out: Uint8Array[] = [];
    const srv = traceServer();
    try { const s = srv.b.connect((m) => out.push(m)); s.receive(x); assert.ok(out[0]!.length > 250, 'an unknown reference: C_B is sent'); } finally { srv.close(); }
  }
});

test('docs/PROTOCOL.md shows the suite-3 trace bytes (the spec is kept true)', () => {
  const doc = readFileSync(path.join(root, 'docs/PROTOCOL.md'), 'utf8').replace(/\s+/g, '');
  for (const c of ['full', 'byReference'] as const) {
    for (const [name, value] of Object.entries({ ...committed[c].messages, ...committed[c].derived })) {
      assert.ok(doc.includes(value as string), `docs/PROTOCOL.md lacks the suite-3 trace's ${c}.${name}`);
    }
  }
});

import { instrumentWasm, traceOf, type Trace } from '../host/bench/wasm-count.js';
import { buildPath } from '../host/firmware.js';

test('constant time: suite 3\'s startFs, finish (C_B sent, and by reference), seal and open leave identical traces for distinct static and ephemeral keys', async (t) => {
  const setup = suiteSetup('fs');
  const dep = createDeployment({ now: T, handsets: 6, suites: setup.deploy });
  try {
    const h = await Handset.load({ build: 'fs', wasm: instrumentWasm(readFileSync(buildPath('handset-fs.wasm')), { trace: true }) });
    const runs: Record<string, Trace[]> = { startFs: [], finishFull: [], startFsRef: [], finishRef: [], seal: [], open: [] };
    for (const hs of dep.handsets) {
      provisionHandset(h, setup, dep, hs); // a new static key each time (and the cache forgotten)
      const toA: Uint8Array[] = [];
      const server = dep.makeServer(() => T * 1000, { onApplicationData: () => {} });
      for (const ref of [false, true]) {
        h.reset();
        const s = server.connect((m) => toA.push(m));
        let m1!: Uint8Array, m3!: Uint8Array;
        runs[ref ? 'startFsRef' : 'startFs']!.push(traceOf(h.instance, () => { m1 = h.startFs(T); }));
        s.receive(m1);
        const m2 = toA.shift()!;
        const app = crypto.randomBytes(20);
        runs[ref ? 'finishRef' : 'finishFull']!.push(traceOf(h.instance, () => { m3 = h.finish(m2, T, app); }));
        s.receive(m3);
        assert.equal(s.error, Err.OK);
        if (ref) {
          runs.seal!.push(traceOf(h.instance, () => { s.receive(h.seal(crypto.randomBytes(33))); }));
          s.write(crypto.randomBytes(33));
          const rec = toA.shift()!;
          runs.open!.push(traceOf(h.instance, () => { h.open(rec); }));
        }
      }
    }
    for (const [k, traces] of Object.entries(runs)) {
      assert.equal(traces.length, dep.handsets.length);
      for (let i = 1; i < traces.length; i++) {
        for (const f of ['instructions', 'controlFlow', 'memory', 'memoryAccesses'] as const) {
          assert.equal(traces[i]![f], traces[0]![f], `${k}: ${f} differs between handset ${i} and handset 0`);
        }
      }
    }
    t.diagnostic(`suite 3 finish(): ${runs.finishFull![0]!.instructions} instructions with C_B, ${runs.finishRef![0]!.instructions} by reference; startFs ${runs.startFs![0]!.instructions}`);
  } finally { dep.close(); }
});

test('suite 3: a message 2 without C_B that fails at MAC_B makes A forget the held C_B (a colliding reference costs one handshake, not a lock-out)', async () => {
  const h = await traceHandset();
  h.cacheServer(unhex(trace1.certificates.server), T);
  h.startFs(T);
  const x = unhex(committed.byReference.messages.m2); x[x.length - 1]! ^= 1;
  assert.throws(() => h.finish(x, T, TRACE3_INPUTS.appData), code(Err.MAC_B));
  assert.equal(h.serverCached, false);
  h.reset();
  assert.equal(h.startFs(T).length, 46, 'the next hello names no certificate');
  // a message 2 that carries a certificate and fails leaves what A holds alone (the certificate
  // that came was never taken in): the full trace's message 2 after a hello with ref_B
  const g = await traceHandset();
  g.cacheServer(unhex(trace1.certificates.server), T);
  g.startFs(T);
  // (K_2 follows TH2, which covers the hello: the ciphertext decrypts to garbage, refused before MAC_B)
  assert.throws(() => g.finish(unhex(committed.full.messages.m2), T, TRACE3_INPUTS.appData), (e: unknown) => typeof (e as { code?: number }).code === 'number');
  assert.equal(g.serverCached, true);
});
