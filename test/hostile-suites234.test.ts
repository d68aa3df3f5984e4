// Hostile-input suite for suites 2, 3 and 4 (docs/PROTOCOL.md; docs/HOSTILE.md, "Suites 2, 3 and
// 4"): test/hostile.test.ts's every-bit-flip and every-truncation tables for suite 1, repeated for
//   - suite 2 (P-256, ECDSA, AES-128-CCM_8): the dual firmware build/handset-dual.wasm offering
//     2 then 1, against B preferring 2 then 1 with both of the handset's certificates enrolled;
//   - suite 3 (forward secret, HELLO_E / RESPONSE_E / a record), build/handset-fs.wasm, twice:
//     C_B sent (encrypted under K_2) and C_B by reference (ref_B in the hello, no C_B in message 2);
//   - suite 4 (key transport), build/handset-fs.wasm's classic hello offering 4 then 1, against B
//     preferring 4 then 1 (the first hostile-input test of B in suite 4).
// Each case flips one bit of (or cuts) message 1 (checked at B), message 2 (at the firmware A) or
// message 3 (at B) of a deterministic handshake on the committed trace vectors, and asserts the
// EXACT code that the spec's check order gives for that position: A's steps ("A's work before it
// answers", "Suite 3", "Suite 4") and B's ("B's work before it answers", "Message 3", "Records").
// Where B accepts a changed message 1, the case goes on to A, which must refuse B's answer with
// its predicted code. Every bit of every message is flipped (no sampling: the whole file runs in a
// few seconds), and every length from 0 to one byte short is tried. A wasm trap or any exception
// other than the firmware's HandshakeError fails the case.
//
// A flip inside C_B before its signature value: A parses C_B completely (step 2) before it
//   verifies the CA signature (step 3); a flip that breaks the DER or the profile is the parser's
//   DER/X.509 code (0x40-0x4d), one that leaves a well-formed certificate changes the signed TBS
//   and is ERR_CERT_SIGNATURE. The exact code of each flip comes from an independent
//   implementation of the same profile and check order, B's parser (host/pki/x509.ts): certCode.
// Suite 2's ECDSA r and s (PROTOCOL.md, A's step 2): positive minimal INTEGERs of at most 33
// bytes, checked when C_B is parsed, before its signature; a flip that makes r or s negative, or
// leaves a leading 00 no longer needed, is ERR_DER_INTEGER exactly (the firmware's
// assembly/der/x509.ts and B's host/pki/x509.ts agree); any other change of r or s is
// ERR_CERT_SIGNATURE exactly (step 3: another r or s, or one outside [1, n-1]).
// In suite 3, a flip that changes what K_2 is derived from (E_B in message 2; a hello B accepted
// with a change) leaves A decrypting CIPHERTEXT_2 with another key stream than B's: the test
// derives A's K_2 and plaintext from the spec (below, on node:crypto) and predicts the code from
// the cert_len A then reads, exactly (and, should it fit, the garbled certificate's certCode).
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Err, HandshakeError, MsgType, errName } from '../host/protocol/constants.js';
import { Handset } from '../host/handset.js';
import { AirshakeServer, type ServerOptions } from '../host/server/server.js';
import { SqliteCertStore } from '../host/store/sqlite.js';
import { x25519PrivateKey, x25519PublicKey } from '../host/pki/cert.js';
import { parseCertificate, X509Error } from '../host/pki/x509.js';
import { TRACE_INPUTS as S1, TRACE_TIME } from '../host/trace/suite1.js';
import { TRACE2_INPUTS } from '../host/trace/suite2.js';
import { TRACE3_INPUTS } from '../host/trace/suite3.js';
import { TRACE4_INPUTS } from '../host/trace/suite4.js';

type U8 = Uint8Array;
type Side = 'A' | 'B';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (f: string) => JSON.parse(readFileSync(path.join(root, f), 'utf8'));
const trace1 = read('test/vectors/trace-suite1.json');
const trace2 = read('test/vectors/trace-suite2.json');
const trace3 = read('test/vectors/trace-suite3.json');
const trace4 = read('test/vectors/trace-suite4.json');
const unhex = (s: string): U8 => new Uint8Array(Buffer.from(s, 'hex'));
const hex = (b: U8) => Buffer.from(b).toString('hex');
const sha256 = (...a: U8[]): U8 => { const h = crypto.createHash('sha256'); for (const x of a) h.update(x); return new Uint8Array(h.digest()); };
const hmac = (key: U8, ...a: U8[]): U8 => { const h = crypto.createHmac('sha256', key); for (const x of a) h.update(x); return new Uint8Array(h.digest()); };
const T = TRACE_TIME; // both clocks
const W = 300;
const OK = 0;
const MAX_CERT = 512, MAX_APP = 512;
const name = (c: number) => (c === OK ? 'OK' : errName(c));
const flipped = (m: U8, bit: number) => { const c = new Uint8Array(m); c[bit >> 3]! ^= 1 << (bit & 7); return c; };
/**
 * The code A gives for a changed C_B (the bytes A reads), from an independent implementation of the
 * same profile: B's parser (host/pki/x509.ts, the firmware's codes and check order), then, if it
 * parses, the CA's signature, which a changed TBS or signature cannot pass (ERR_CERT_SIGNATURE).
 */
function certCode(cert: U8): number {
  try { parseCertificate(cert); } catch (e) { if (e instanceof X509Error) return e.code; throw e; }
  return Err.CERT_SIGNATURE;
}
const u16 = (m: U8, at: number) => (m[at]! << 8) | m[at + 1]!;

// ---- table runner (as test/hostile.test.ts) ----
/** A case's run returns the code observed, or the code and the expectation it could only derive while running. */
interface Case { name: string; side: Side; expect: number; run: () => number | { got: number; expect: number } }
const tally = new Map<string, number>();
function runTable(category: string, cases: Case[]): void {
  const bad: string[] = [];
  for (const c of cases) {
    let got: number, expect = c.expect;
    try {
      const r = c.run();
      if (typeof r === 'number') got = r; else ({ got, expect } = r);
    } catch (e) { bad.push(`${c.side} ${c.name}: threw ${(e as Error).stack}`); continue; }
    if (got !== expect) bad.push(`${c.side} ${c.name}: expected ${name(expect)}, got ${name(got)}`);
    const k = `${category} @${c.side}`;
    tally.set(k, (tally.get(k) ?? 0) + 1);
  }
  assert.deepEqual(bad, [], `${category}: ${bad.length} of ${cases.length} cases wrong`);
}
/** The firmware's code for a call: OK, or its HandshakeError's code; anything else (a trap) is thrown on. */
function finishCode(call: () => unknown): number {
  try { call(); return OK; } catch (e) { if (e instanceof HandshakeError) return e.code; throw e; }
}

// ---- the spec's decode orders, as functions of the bytes ----

/** Sentinel of the hello models: B accepts the hello and answers with message 2. */
const ACCEPTED = -100;
/**
 * B's steps 1-5 for a classic HELLO (PROTOCOL.md, "Message 1" and "B's work before it answers"):
 * decode (type, version, n in 1..8, length 31 + n), B's suites among those offered, the window
 * W = 300 s, ID_A in the store, a certificate of the handset for a candidate suite.
 */
function helloAtB(m: U8, b: { suites: number[]; idA: U8; handsetKinds: number[] }): number {
  if (m.length < 3) return Err.DECODE; // shorter than its header: "anything shorter is ERR_DECODE"
  if (m[0] !== MsgType.HELLO) return Err.UNEXPECTED;
  if (m[1] !== 1) return Err.VERSION;
  const n = m[2]!;
  if (n < 1 || n > 8) return Err.DECODE;
  const len = 31 + n;
  if (m.length < len) return Err.DECODE;
  if (m.length > len) return Err.TRAILING;
  const offered = [...m.subarray(3, 3 + n)];
  const candidates = b.suites.filter((x) => offered.includes(x));
  if (candidates.length === 0) return Err.NO_COMMON_SUITE;
  const ts = Buffer.from(m.subarray(3 + n + 16, 3 + n + 20)).readUInt32BE(0);
  if (Math.abs(ts - T) > W) return Err.STALE;
  if (hex(m.subarray(len - 8)) !== hex(b.idA)) return Err.UNKNOWN_ID;
  // suite 4 rests on the handset's suite-1 certificate
  if (!candidates.some((x) => b.handsetKinds.includes(x === 4 ? 1 : x))) return Err.NO_COMMON_SUITE;
  return ACCEPTED;
}
/** X25519 on node:crypto; null for the all-zero result (a small-order key: ERR_X25519_ZERO). */
function dh(sk: U8, u: U8): U8 | null {
  try { return new Uint8Array(crypto.diffieHellman({ privateKey: x25519PrivateKey(sk), publicKey: x25519PublicKey(u) })); } catch { return null; }
}
/**
 * B's steps for HELLO_E (PROTOCOL.md, "Suite 3"): decode (type, version, n in 1..8, length 45 + n
 * or 49 + n: shorter ERR_DECODE, longer than 49 + n ERR_TRAILING, between ERR_DECODE), suite 3
 * among those offered, the 16-bit time (d = (time - now) mod 2^16 in [-2^15, 2^15), |d| <= W),
 * ID_A in the store, then the key schedule (an E_A of small order: ERR_X25519_ZERO).
 */
function helloEAtB(m: U8, idA: U8): number {
  if (m.length === 0) return Err.DECODE;
  if (m[0] !== MsgType.HELLO_E) return m.length < 3 ? Err.DECODE : Err.UNEXPECTED; // (no flip of 0x04 is 0x01)
  if (m.length < 3) return Err.DECODE;
  if (m[1] !== 1) return Err.VERSION;
  const n = m[2]!;
  if (n < 1 || n > 8) return Err.DECODE;
  const base = 45 + n;
  if (m.length < base) return Err.DECODE;
  if (m.length > base + 4) return Err.TRAILING;
  if (m.length !== base && m.length !== base + 4) return Err.DECODE;
  if (!m.subarray(3, 3 + n).includes(3)) return Err.NO_COMMON_SUITE;
  let d = (u16(m, 3 + n) - (T & 0xffff)) & 0xffff;
  if (d >= 0x8000) d -= 0x10000;
  if (Math.abs(d) > W) return Err.STALE;
  if (hex(m.subarray(5 + n, 13 + n)) !== hex(idA)) return Err.UNKNOWN_ID;
  if (!dh(TRACE3_INPUTS.ephemeralB, m.subarray(13 + n, 45 + n))) return Err.X25519_ZERO;
  return ACCEPTED;
}
/** A's checks of message 2's lengths (step 1): cert_len `l2` where the message was built for `l`. */
const certLenCode = (l2: number, l: number) => (l2 > MAX_CERT ? Err.X509_TOO_LARGE : l2 > l ? Err.DECODE : Err.TRAILING);
/**
 * Message 3's and a record's lengths (PROTOCOL.md, "Message 3", "Records"): a rec_len of `len`
 * after a header of `hdr` bytes in a message of `total` bytes; `then` when the lengths pass.
 */
function recLenCode(len: number, hdr: number, total: number, tag: number, then: number): number {
  if (len < tag) return Err.DECODE;
  if (hdr + len > total) return Err.DECODE;
  if (hdr + len < total) return Err.TRAILING;
  if (len - tag > MAX_APP) return Err.RECORD_OVERFLOW;
  return then;
}
/**
 * A's steps on a suite-3 message 2 (PROTOCOL.md, "Suite 3") whose type and suite are right, for the
 * hello A sent (m1A) and whether it named a C_B A holds: the length rules, ee (ERR_X25519_ZERO),
 * K_2 from TH2 = SHA-256(m1A || type || suite || E_B) and ee, decryption, cert_len (ERR_X509_TOO_LARGE,
 * ERR_DECODE, ERR_TRAILING). With a cert_len that fits, the garbled C_B's certCode.
 * By reference: MAC_B, which cannot match once anything it covers changed.
 */
function suite3AtA(m1A: U8, m2: U8, sentRef: boolean): number {
  const ctLen = m2.length - 34;
  if (ctLen < 8) return Err.DECODE;
  if (ctLen === 8 && !sentRef) return Err.DECODE;
  if (ctLen !== 8 && ctLen < 10) return Err.DECODE;
  const ee = dh(TRACE3_INPUTS.ephemeralA, m2.subarray(2, 34));
  if (!ee) return Err.X25519_ZERO;
  if (ctLen === 8) return Err.MAC_B;
  const prk2 = hmac(sha256(m1A, m2.subarray(0, 34)), ee);
  const k2 = hmac(prk2, new TextEncoder().encode('airshake3 k_2'), new Uint8Array([1]));
  const c = crypto.createCipheriv('chacha20', k2, Buffer.alloc(16)); // counter 0, nonce 0^12
  const head = c.update(m2.subarray(34, 36));
  const certLen = (head[0]! << 8) | head[1]!;
  if (certLen > MAX_CERT) return Err.X509_TOO_LARGE;
  if (certLen + 10 > ctLen) return Err.DECODE;
  if (certLen + 10 < ctLen) return Err.TRAILING;
  return certCode(new Uint8Array(c.update(m2.subarray(36, 36 + certLen)))); // the garbled C_B A parses
}

// ---- C_B's regions ----
interface El { tag: number; c: number; end: number }
function der(b: U8, p: number): El {
  let len = b[p + 1]!, c = p + 2;
  if (len & 0x80) { const k = len & 0x7f; len = 0; for (let i = 0; i < k; i++) len = len * 256 + b[c + i]!; c += k; }
  return { tag: b[p]!, c, end: c + len };
}
/** Where C_B's signature value lies: Ed25519's 64 bytes, or ECDSA's r and s INTEGER contents. */
function sigRegions(cb: U8): { sigStart: number; r?: El; s?: El } {
  const cert = der(cb, 0);
  const tbs = der(cb, cert.c);
  const alg = der(cb, tbs.end);
  const bits = der(cb, alg.end); // BIT STRING: 00 || value
  assert.equal(bits.end, cb.length);
  if (bits.end - bits.c === 65) return { sigStart: bits.c + 1 };
  const sv = der(cb, bits.c + 1);
  const r = der(cb, sv.c), s = der(cb, r.end);
  assert.equal(r.tag, 0x02); assert.equal(s.tag, 0x02); assert.equal(s.end, cb.length);
  return { sigStart: r.c, r, s };
}
/** An ECDSA-Sig-Value INTEGER's contents after a flip (PROTOCOL.md step 2: positive minimal INTEGERs; step 3: r, s in [1, n-1]). */
function ecdsaIntCode(v: U8): number {
  if (v[0]! & 0x80) return Err.DER_INTEGER; // negative: refused by the parser, before the signature
  if (v.length > 1 && v[0] === 0 && !(v[1]! & 0x80)) return Err.DER_INTEGER; // a leading 00 not needed
  return Err.CERT_SIGNATURE; // still a positive minimal INTEGER of <= 33 bytes: another r or s (or one >= n)
}

// ---- the four scenarios ----
interface BRun { receive(m: U8): void; out: U8[]; fails: number[]; close(): void }
interface Scenario {
  /** Table key: 'suite 2', 'suite 3 (C_B sent)', 'suite 3 (C_B by reference)', 'suite 4'. */
  key: string;
  /** The handset back in WAIT_M2, its (deterministic) message 1 returned. */
  arm(): U8;
  /** A's message 3 for message 2 (HandshakeError on a refusal). */
  finish(m2: U8): U8;
  /** A fresh server B (empty replay cache). */
  b(): BRun;
  m1: U8; m2: U8; m3: U8;
  /** B's code (or ACCEPTED) for a message 1, and the suite B then chooses. */
  helloAtB(m: U8): number;
  chosen(m: U8): number;
  /** A's code for B's answer to a message 1 B accepted with a change. */
  aAfterChangedHello(m2: U8): number;
  /**
   * Message 2's layout: cert_len (-1: none), C_B (its plaintext `cert`: suite 3 sends it
   * encrypted, where a flip of the ciphertext is the same flip of the plaintext), and the regions
   * that follow it or stand before cert_len with the code a flip there gives.
   */
  m2Layout: { certLenAt: number; certAt: number; certLen: number; cert: U8; after: { from: number; to: number; what: string; code: (m2: U8) => number }[] };
  /** Message 1's fields and their lengths (for the case names). */
  m1Regions: [string, number][];
  /** Message 3: FINISH (type, MAC_A, rec_len, record body) or a record (suite 3). */
  m3Kind: 'finish' | 'record';
  tag: number;
}

let stores: SqliteCertStore[] = [];
let scenarios: Scenario[] = [];

function server(store: SqliteCertStore, opts: Partial<ServerOptions>, random: () => (n: number) => U8): BRun {
  const out: U8[] = [], fails: number[] = [];
  const srv = new AirshakeServer({
    store, now: () => T * 1000, random: random(), onApplicationData: () => {}, ...opts,
    onEvent: (e) => { if (e.type === 'failed') fails.push(e.code); },
  });
  const s = srv.connect((m) => out.push(m));
  return { receive: (m) => { void s.receive(m); }, out, fails, close: () => srv.close() };
}

before(async () => {
  const t1 = trace1.certificates, t2 = trace2.certificates;
  const suite1Id = { certificate: unhex(t1.server), privateKey: S1.serverKey };
  // ---- suite 2: the dual firmware offering 2, 1; B preferring 2, 1 with both handset certificates ----
  const store2 = SqliteCertStore.open(':memory:');
  store2.enrolHandset([unhex(t2.handset), unhex(t1.handset)], T); // ID_A names the P-256 one
  const dual = await Handset.load({ build: 'dual', random: (b) => b.set(TRACE2_INPUTS.randomA.subarray(0, b.length)) });
  dual.provisionSuites({
    suites: TRACE2_INPUTS.offer,
    p256: { secretKey: TRACE2_INPUTS.handsetKey, caPublicKey: unhex(t2.caPublicKey) },
    x25519: { secretKey: S1.handsetKey, caPublicKey: unhex(t1.caPublicKey) },
    serverName: S1.serverName,
  });
  const b2opts: Partial<ServerOptions> = {
    identities: { 1: suite1Id, 2: { certificate: unhex(t2.server), privateKey: TRACE2_INPUTS.serverKey } },
    caKeys: { 1: unhex(t1.caPublicKey), 2: unhex(t2.caPublicKey) }, suites: [2, 1],
  };
  const m2s2 = unhex(trace2.messages.m2);
  const cl2 = u16(m2s2, 18);
  // ---- suites 3 and 4: the forward-secret firmware on the suite-1 trace PKI ----
  const store1 = SqliteCertStore.open(':memory:');
  store1.enrol(unhex(t1.handset), T);
  const fs3 = await Handset.load({ build: 'fs', random: (b) => b.set(TRACE3_INPUTS.ephemeralA.subarray(0, b.length)) });
  fs3.provision(S1.handsetKey, unhex(t1.caPublicKey), S1.serverName);
  const fs4 = await Handset.load({ build: 'fs', random: (b) => b.set(S1.randomA.subarray(0, b.length)) });
  fs4.provision(S1.handsetKey, unhex(t1.caPublicKey), S1.serverName);
  fs4.offer(TRACE4_INPUTS.offer);
  const b1opts: Partial<ServerOptions> = { caPublicKey: unhex(t1.caPublicKey), certificate: suite1Id.certificate, privateKey: suite1Id.privateKey };
  stores = [store1, store2];
  const idA1 = unhex(trace1.idA), idA2 = unhex(trace2.idA);
  const m2s4 = unhex(trace4.messages.m2);
  const cl4 = u16(m2s4, 18);
  const kt = 20 + cl4; // E_B, then C_pms
  const fs3Case = (byRef: boolean): Scenario => {
    const c = trace3[byRef ? 'byReference' : 'full'];
    const m1 = unhex(c.messages.m1), m2 = unhex(c.messages.m2);
    const cl = byRef ? 0 : unhex(t1.server).length; // cert_len travels encrypted: a flip there is a flip of the plaintext
    return {
      key: `suite 3 (C_B ${byRef ? 'by reference' : 'sent'})`,
      arm: () => {
        fs3.reset();
        if (byRef) fs3.cacheServer(unhex(t1.server), T); else fs3.forgetServer(); // a failed MAC_B by reference forgets it
        return fs3.startFs(T);
      },
      finish: (x) => fs3.finish(x, T, TRACE3_INPUTS.appData),
      b: () => server(store1, b1opts, () => (n) => TRACE3_INPUTS.ephemeralB.slice(0, n)),
      m1, m2, m3: unhex(c.messages.m3),
      helloAtB: (m) => helloEAtB(m, idA1),
      chosen: () => 3,
      aAfterChangedHello: (x) => suite3AtA(m1, x, byRef),
      m2Layout: byRef
        ? { certLenAt: -1, certAt: -1, certLen: 0, cert: new Uint8Array(0), after: [
          { from: 2, to: 34, what: 'E_B', code: (x) => suite3AtA(m1, x, true) },
          { from: 34, to: 42, what: 'MAC_B (encrypted)', code: () => Err.MAC_B },
        ] }
        : { certLenAt: 34, certAt: 36, certLen: cl, cert: unhex(t1.server), after: [
          { from: 36 + cl, to: m2.length, what: 'MAC_B (encrypted)', code: () => Err.MAC_B },
        ] },
      m1Regions: [['type', 1], ['version', 1], ['n', 1], ['suite', 1], ['time', 2], ['ID_A', 8], ['E_A', 32], ['ref_B', 4]],
      m3Kind: 'record', tag: 16,
    };
  };
  scenarios = [
    {
      key: 'suite 2',
      arm: () => { dual.reset(); return dual.start(T); },
      finish: (x) => dual.finish(x, T, TRACE2_INPUTS.appData),
      b: () => server(store2, b2opts, () => () => TRACE2_INPUTS.randomB),
      m1: unhex(trace2.messages.m1), m2: m2s2, m3: unhex(trace2.messages.m3),
      helloAtB: (m) => helloAtB(m, { suites: [2, 1], idA: idA2, handsetKinds: [1, 2] }),
      chosen: (m) => (m.subarray(3, 3 + m[2]!).includes(2) ? 2 : 1),
      // B chose suite 2 (or suite 1, when the offer's first byte was hit): a valid C_B, MAC_B over another transcript
      aAfterChangedHello: () => Err.MAC_B,
      m2Layout: { certLenAt: 18, certAt: 20, certLen: cl2, cert: unhex(t2.server), after: [{ from: 20 + cl2, to: m2s2.length, what: 'MAC_B', code: () => Err.MAC_B }] },
      m1Regions: CLASSIC_HELLO,
      m3Kind: 'finish', tag: 8,
    },
    fs3Case(false),
    fs3Case(true),
    {
      key: 'suite 4',
      arm: () => { fs4.reset(); return fs4.start(T); },
      finish: (x) => fs4.finish(x, T, TRACE4_INPUTS.appData),
      b: () => server(store1, { ...b1opts, suites: [4, 1] }, () => {
        const draws = [TRACE4_INPUTS.randomB, TRACE4_INPUTS.pms, TRACE4_INPUTS.ephemeralB];
        let i = 0;
        return (n) => { const d = draws[i++ % 3]!; assert.equal(d.length, n); return Uint8Array.from(d); };
      }),
      m1: unhex(trace4.messages.m1), m2: m2s4, m3: unhex(trace4.messages.m3),
      helloAtB: (m) => helloAtB(m, { suites: [4, 1], idA: idA1, handsetKinds: [1] }),
      chosen: (m) => (m.subarray(3, 3 + m[2]!).includes(4) ? 4 : 1),
      aAfterChangedHello: () => Err.MAC_B,
      m2Layout: { certLenAt: 18, certAt: 20, certLen: cl4, cert: unhex(t1.server), after: [
        // A opens C_pms (step after C_B and Z) before MAC_B: another E_B gives another Z_e and salt
        { from: kt, to: kt + 32, what: 'E_B', code: (x) => (dh(S1.handsetKey, x.subarray(kt, kt + 32)) ? Err.KEY_TRANSPORT : Err.X25519_ZERO) },
        { from: kt + 32, to: kt + 80, what: 'C_pms (ciphertext and tag)', code: () => Err.KEY_TRANSPORT },
        { from: kt + 80, to: m2s4.length, what: 'MAC_B', code: () => Err.MAC_B },
      ] },
      m1Regions: CLASSIC_HELLO,
      m3Kind: 'finish', tag: 16,
    },
  ];
});
after(() => {
  for (const s of stores) s.close();
  console.log(`hostile cases (suites 2-4): ${JSON.stringify(Object.fromEntries([...tally].sort()))}`);
});

/** The name of the field at `byte` ('' past the last). */
function regionOf(fields: [string, number][], byte: number): string {
  let p = 0;
  for (const [nm, n] of fields) { if (byte < p + n) return nm; p += n; }
  return '';
}
const CLASSIC_HELLO: [string, number][] = [['type', 1], ['version', 1], ['n', 1], ['suites', 2], ['random_A', 16], ['time', 4], ['ID_A', 8]];

/** Message 1 `m` at a fresh B; where B accepts it, B's answer goes to A (the case's side is then A). */
function m1Case(sc: Scenario, nm: string, m: U8): Case {
  const atB = sc.helloAtB(m);
  const genuine = hex(m) === hex(sc.m1);
  if (atB !== ACCEPTED) {
    return { name: nm, side: 'B', expect: atB, run: () => { const b = sc.b(); b.receive(m); b.close(); return b.fails[0] ?? OK; } };
  }
  return {
    name: genuine ? nm : `${nm} (B accepts)`, side: 'A', expect: OK, run: () => {
      const b = sc.b();
      b.receive(m);
      b.close();
      assert.deepEqual(b.fails, [], 'B accepts the hello');
      const m2 = b.out[0]!;
      assert.ok(m2[0] === MsgType.RESPONSE || m2[0] === MsgType.RESPONSE_E, 'B answered with message 2');
      assert.equal(m2[1], sc.chosen(m), 'B chose the first of its suites A offered (suite 1 when the first offered byte was hit)');
      assert.deepEqual(sc.arm(), sc.m1);
      return { got: finishCode(() => sc.finish(m2)), expect: genuine ? OK : sc.aAfterChangedHello(m2) };
    },
  };
}
/** Message 2 `x` at A, after A's genuine message 1. */
const m2Case = (sc: Scenario, nm: string, x: U8, expect: number): Case => ({
  name: nm, side: 'A', expect, run: () => { assert.deepEqual(sc.arm(), sc.m1); return finishCode(() => sc.finish(x)); },
});
/** Message 3 `x` at a fresh B, after the genuine message 1 (B's message 2 is then the genuine one). */
const m3Case = (sc: Scenario, nm: string, x: U8, expect: number): Case => ({
  name: nm, side: 'B', expect, run: () => {
    const b = sc.b();
    b.receive(sc.m1);
    assert.equal(hex(b.out[0]!), hex(sc.m2), 'B answers the genuine hello with the genuine message 2');
    b.receive(x);
    b.close();
    return b.fails[0] ?? OK;
  },
});

/** The code each bit flip of message 2 must give at A, from its position (A's check order), and the region's name. */
function m2Flip(sc: Scenario, bit: number): { code: number; region: string } {
  const byte = bit >> 3, m2 = sc.m2, L = sc.m2Layout, x = flipped(m2, bit);
  const at = (region: string, code: number) => ({ region, code });
  if (byte === 0) return at('type', x[0] === MsgType.ALERT ? Err.PEER_ALERT : Err.UNEXPECTED); // RESPONSE_E 0x05 ^ 0x10 = ALERT
  if (byte === 1) return at('suite', Err.SUITE_NOT_OFFERED); // no single flip turns the chosen suite into another offered one
  for (const a of L.after) if (byte >= a.from && byte < a.to) return at(a.what, a.code(x));
  if (L.certLenAt < 0 || byte < L.certLenAt) {
    if (m2[0] === MsgType.RESPONSE_E) return at('E_B', suite3AtA(sc.m1, x, false)); // A's K_2 is not B's
    return at('random_B', Err.MAC_B); // only MAC_B covers it
  }
  // the cert_len A reads: the flip applies to the plaintext's (suite 3 encrypts it with a stream cipher)
  if (byte < L.certAt) return at('cert_len', certLenCode(L.certLen ^ u16(x, L.certLenAt) ^ u16(m2, L.certLenAt), L.certLen));
  if (byte < L.certAt + L.certLen) {
    assert.equal(L.cert.length, L.certLen);
    const { sigStart, r, s } = sigRegions(L.cert);
    const off = byte - L.certAt;
    const fcb = flipped(L.cert, bit - L.certAt * 8); // C_B as A reads it
    if (off < sigStart) return at('C_B', certCode(fcb));
    if (!r || !s) return at('C_B signature value', Err.CERT_SIGNATURE); // Ed25519's 64 bytes
    if (off >= r.c && off < r.end) return at('C_B ECDSA r', ecdsaIntCode(fcb.subarray(r.c, r.end)));
    if (off >= s.c && off < s.end) return at('C_B ECDSA s', ecdsaIntCode(fcb.subarray(s.c, s.end)));
    return at('C_B', certCode(fcb)); // the INTEGER header of s
  }
  throw new Error(`message 2 byte ${byte} in no region`);
}
/** The code each bit flip of message 3 must give at B (PROTOCOL.md "Message 3"; suite 3: "Records"). */
function m3FlipCode(sc: Scenario, bit: number): number {
  const byte = bit >> 3, m3 = sc.m3, x = flipped(m3, bit);
  if (sc.m3Kind === 'record') {
    if (byte === 0) return x[0] === MsgType.ALERT ? Err.PEER_ALERT : Err.UNEXPECTED; // 0x17 ^ 0x02 = ALERT
    if (byte < 3) return recLenCode(u16(x, 1), 3, m3.length, sc.tag, Err.RECORD);
    return Err.RECORD; // A's Finished is the record's tag
  }
  if (byte === 0) return Err.UNEXPECTED;
  if (byte < 17) return recLenCode(u16(m3, 17), 19, m3.length, sc.tag, Err.MAC_A);
  if (byte < 19) return recLenCode(u16(x, 17), 19, m3.length, sc.tag, Err.RECORD);
  return Err.RECORD;
}

test('controls: the genuine handshakes of suites 2, 3 (C_B sent and by reference) and 4 complete, on the trace bytes', () => {
  for (const sc of scenarios) {
    const b = sc.b();
    assert.equal(hex(sc.arm()), hex(sc.m1), `${sc.key}: the firmware's message 1 is the trace's`);
    b.receive(sc.m1);
    assert.equal(hex(b.out[0]!), hex(sc.m2), `${sc.key}: B's message 2 is the trace's`);
    const m3 = sc.finish(b.out[0]!);
    assert.equal(hex(m3), hex(sc.m3), `${sc.key}: the firmware's message 3 is the trace's`);
    b.receive(m3);
    assert.deepEqual(b.fails, [], `${sc.key}: B accepts message 3`);
    b.close();
  }
  runTable('control', scenarios.flatMap((sc) => [
    m1Case(sc, `${sc.key} message 1 unmodified`, sc.m1),
    m2Case(sc, `${sc.key} message 2 unmodified`, sc.m2, OK),
    m3Case(sc, `${sc.key} message 3 unmodified`, sc.m3, OK),
  ]));
});

for (const key of ['suite 2', 'suite 3 (C_B sent)', 'suite 3 (C_B by reference)', 'suite 4']) {
  test(`${key}: every bit flip of message 1 (at B), message 2 (at A), message 3 (at B): the code the check order predicts`, () => {
    const sc = scenarios.find((s) => s.key === key)!;
    const cases: Case[] = [];
    for (let bit = 0; bit < sc.m1.length * 8; bit++) cases.push(m1Case(sc, `${key} message 1 bit ${bit} (${regionOf(sc.m1Regions, bit >> 3)})`, flipped(sc.m1, bit)));
    for (let bit = 0; bit < sc.m2.length * 8; bit++) {
      const { code, region } = m2Flip(sc, bit);
      cases.push(m2Case(sc, `${key} message 2 bit ${bit} (${region})`, flipped(sc.m2, bit), code));
    }
    for (let bit = 0; bit < sc.m3.length * 8; bit++) {
      const region = regionOf(sc.m3Kind === 'record' ? [['type', 1], ['rec_len', 2]] : [['type', 1], ['MAC_A', 16], ['rec_len', 2]], bit >> 3) || 'record';
      cases.push(m3Case(sc, `${key} message 3 bit ${bit} (${region})`, flipped(sc.m3, bit), m3FlipCode(sc, bit)));
    }
    runTable(`${key} bit flips`, cases);
  });

  test(`${key}: every truncation of messages 1-3`, () => {
    const sc = scenarios.find((s) => s.key === key)!;
    const cases: Case[] = [];
    // message 1: ERR_DECODE, but for a HELLO_E with ref_B cut to 46 bytes, a well-formed hello without it
    for (let len = 0; len < sc.m1.length; len++) cases.push(m1Case(sc, `${key} message 1 cut to ${len}`, sc.m1.subarray(0, len)));
    for (let len = 0; len < sc.m2.length; len++) cases.push(m2Case(sc, `${key} message 2 cut to ${len}`, sc.m2.subarray(0, len), Err.DECODE));
    for (let len = 0; len < sc.m3.length; len++) cases.push(m3Case(sc, `${key} message 3 cut to ${len}`, sc.m3.subarray(0, len), Err.DECODE));
    runTable(`${key} truncations`, cases);
  });
}
