// Hostile-input suite (docs/PROTOCOL.md): each case names the input, the side that checks it
// (A = the firmware handset, B = server B) and the documented error code, by name. Run against
// both implementations wherever the input exists on both sides. Complements
// handshake-failures.test.ts (which checks that every flip/truncation fails with *some* code):
// here every flip and truncation of every message and of records in both directions must give
// the code the spec's decode order predicts.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto, { type KeyObject } from 'node:crypto';
import { Err, HandshakeError, MAX_APP, errName } from '../host/protocol/constants.js';
import { OID, createCa, ed25519PublicKey, rawKey, x25519PrivateKey, x25519PublicKey } from '../host/pki/cert.js';
import { bits, bool, ctx, octets, oid, seq, set, time, tlv, uint, utf8, TAG } from '../host/pki/der.js';
import { Handset } from '../host/handset.js';
import { AirshakeServer, type ServerSession } from '../host/server/server.js';
import { hkdfExtract, macA as deriveMacA, macB as deriveMacB, sealRecord, trafficKeys } from '../host/server/keyschedule.js';
import type { CertStore, StoredCert } from '../host/store/types.js';
import { EPOCH } from './support/sim.js';
import { parseCertificate, X509Error } from '../host/pki/x509.js';

type U8 = Uint8Array;
type Side = 'A' | 'B';
const hex = (s: string): U8 => new Uint8Array(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const cat = (...a: (U8 | number[])[]): U8 => new Uint8Array(Buffer.concat(a.map((x) => Buffer.from(x))));
const sha256 = (...a: (U8 | string)[]): U8 => { const h = crypto.createHash('sha256'); for (const x of a) h.update(x); return new Uint8Array(h.digest()); };
const OK = 0;
const DAY = 86400;
const NOW = EPOCH; // both clocks, Unix seconds
/** Pseudo-codes for expectations that are not a single protocol code. */
const REFUSED_AT_CONFIG = -10;
const name = (c: number) => (c === OK ? 'OK'
  : c === REFUSED_AT_CONFIG ? 'refused at configuration' : c < 0 ? `host-side check ${c}` : errName(c));

// ---- keys, CA, certificates ----
const SK_A = sha256('hostile handset');
const SK_B = sha256('hostile server');
const pub = (sk: U8) => rawKey(crypto.createPublicKey(x25519PrivateKey(sk)));
const PK_A = pub(SK_A), PK_B = pub(SK_B);
const CA_SEED = sha256('hostile CA');
const CA = createCa({ name: 'airshake CA', now: NOW, seed: CA_SEED, serial: new Uint8Array([1]) });
const SERVER = 'b.airshake', HANDSET = 'handset-0001';
const spkiX = (k: U8) => cat(hex('302a300506032b656e032100'), k);
const idOf = (k: U8) => sha256(spkiX(k)).subarray(0, 8);
const ID_A = idOf(PK_A);
/** X25519 on node:crypto; null when OpenSSL refuses (all-zero result). */
function dh(sk: U8, u: U8): U8 | null {
  try { return new Uint8Array(crypto.diffieHellman({ privateKey: x25519PrivateKey(sk), publicKey: x25519PublicKey(u) })); } catch { return null; }
}
const P = (1n << 255n) - 19n;
const L = (1n << 252n) + 27742317777372353535851937790883648493n;
const le = (n: bigint): U8 => { const b = new Uint8Array(32); for (let i = 0; i < 32; i++) { b[i] = Number(n & 255n); n >>= 8n; } return b; };
const fromLe = (b: U8): bigint => { let n = 0n; for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!); return n; };

const nameDer = (cn: string) => seq(set(seq(oid(OID.commonName), utf8(cn))));
const ED = () => seq(oid(OID.ed25519));
const KU = (bitString: string, critical = true) => seq(oid(OID.keyUsage), ...(critical ? [bool(true)] : []), octets(hex(bitString)));
const KU_OK = '03020308'; // keyAgreement, 3 unused bits
const exts = (...e: U8[]) => tlv(ctx(3), seq(...e));

interface Tbs { version?: U8 | null; serial?: U8; alg?: U8; issuer?: U8; validity?: U8; subject?: U8; spki?: U8; exts?: U8 | null; extra?: U8 }
/** TBSCertificate of the certificate checked at `side`: C_B (b.airshake, pk_B) at A, C_A (handset-0001, pk_A) at B. */
function tbs(side: Side, o: Tbs = {}): U8 {
  const parts = [
    o.version === undefined ? tlv(ctx(0), uint(2)) : o.version,
    o.serial ?? uint(0x2001), o.alg ?? ED(), o.issuer ?? nameDer('airshake CA'),
    o.validity ?? seq(time(NOW - DAY), time(NOW + DAY)),
    o.subject ?? nameDer(side === 'A' ? SERVER : HANDSET),
    o.spki ?? spkiX(side === 'A' ? PK_B : PK_A),
    o.exts === undefined ? exts(KU(KU_OK)) : o.exts,
    o.extra ?? null,
  ];
  return seq(...parts.filter((x): x is U8 => x !== null));
}
/** Certificate over `t`, signed by the test CA (so only what the case changes is wrong). */
function sign(t: U8, o: { sig?: (s: U8) => U8; outerAlg?: U8; key?: KeyObject; sigBits?: (s: U8) => U8 } = {}): U8 {
  let s: U8 = new Uint8Array(crypto.sign(null, t, o.key ?? CA.key));
  if (o.sig) s = o.sig(s);
  return seq(t, o.outerAlg ?? ED(), o.sigBits ? o.sigBits(s) : bits(s));
}
const cert = (side: Side, o: Tbs = {}) => sign(tbs(side, o));
/** Header length of the DER element at the start of `e`. */
const hdr = (e: U8) => (e[1]! < 0x80 ? 2 : 2 + (e[1]! & 0x7f));
const body = (e: U8) => e.subarray(hdr(e));
/** Re-encodes an element with a raw header (tag and length bytes given). */
const reheader = (e: U8, ...h: number[]) => cat(h, body(e));
const validity = (nb: number, na: number) => seq(time(nb), time(na));
const rawTime = (tag: number, s: string) => tlv(tag, new TextEncoder().encode(s));

// ---- server B on a map store ----
function mapStore(entries: [U8, U8][], any?: U8): CertStore {
  const m = new Map(entries.map(([id, der]) => [Buffer.from(id).toString('hex'), der]));
  return {
    lookup(id: U8): StoredCert | null {
      const der = m.get(Buffer.from(id).toString('hex')) ?? any;
      return der ? { id, der, subject: '', notBefore: 0, notAfter: 0, enrolledAt: 0, revokedAt: null, revocationReason: null } : null;
    },
  } as unknown as CertStore;
}
const CB_GOOD = cert('A');
const CA_GOOD = cert('B');
const RB = new Uint8Array(16).fill(0xb6);

interface BRun { server: AirshakeServer; session: ServerSession; fails: number[]; out: U8[]; established: boolean }
function serverB(store: CertStore, nowSec = NOW, extra: { caPublicKey?: U8 } = {}): { server: AirshakeServer; fails: number[]; open(): BRun } {
  const fails: number[] = [];
  let est = 0;
  const server = new AirshakeServer({
    store, caPublicKey: extra.caPublicKey ?? CA.publicKey, certificate: CB_GOOD, privateKey: SK_B, now: () => nowSec * 1000,
    random: (n) => RB.subarray(0, n), onApplicationData: (d) => d,
    onEvent: (e) => { if (e.type === 'failed') fails.push(e.code); if (e.type === 'established') est++; },
  });
  return {
    server, fails,
    open() {
      const out: U8[] = [];
      const r: BRun = { server, session: server.connect((m) => out.push(m)), fails, out, established: false };
      Object.defineProperty(r, 'established', { get: () => est > 0 });
      return r;
    },
  };
}
/** Message 1 as A would send it. */
function hello(o: { suites?: number[]; n?: number; version?: number; ts?: number; id?: U8; randomA?: U8 } = {}): U8 {
  const s = o.suites ?? [1];
  const ts = o.ts ?? NOW;
  return cat([0x01, o.version ?? 1, o.n ?? s.length], s, o.randomA ?? crypto.randomBytes(16), [ts >>> 24, (ts >>> 16) & 255, (ts >>> 8) & 255, ts & 255], o.id ?? ID_A);
}
/** Feeds one hello to a fresh session; OK when B answered with message 2, else B's code. */
function atB(store: CertStore, m1: U8, nowSec = NOW): { code: number; m2?: U8 } {
  const b = serverB(store, nowSec).open();
  b.session.receive(m1);
  const code = b.fails[0] ?? OK;
  if (code === OK) assert.equal(b.out[0]![0], 0x02, 'B answered with message 2');
  b.session.close();
  return { code, m2: code === OK ? b.out[0] : undefined };
}
/** C_A checked at B: the store holds `der` under every ID; the hello carries `id`. */
const certAtB = (der: U8, o: { now?: number; id?: U8 } = {}) => atB(mapStore([], der), hello({ id: o.id ?? ID_A, ts: o.now ?? NOW }), o.now ?? NOW).code;

// ---- a fake B for the firmware handset: any C_B, any Z, a correct MAC_B ----
let hs: Handset, hsFixed: Handset;
let provisioned = '';
function provision(caPk: U8 = CA.publicKey, server = SERVER): void {
  const k = Buffer.from(caPk).toString('hex') + server;
  if (k !== provisioned) { hs.provision(SK_A, caPk, server); provisioned = k; }
  hs.reset();
}
function fakeM2(m1: U8, certDer: U8, z: U8, o: { suite?: number; certLen?: number } = {}): U8 {
  const n = m1[2]!;
  const randomA = m1.subarray(3 + n, 3 + n + 16);
  const len = o.certLen ?? certDer.length;
  const head = cat([0x02, o.suite ?? 1], RB, [len >> 8, len & 255], certDer);
  const prk = hkdfExtract(cat(randomA, RB), z);
  return cat(head, deriveMacB(prk, sha256(m1, head)));
}
const ZERO32 = new Uint8Array(32);
/** The handset's code for message 2 built by `make` from its message 1 (OK: it answered with message 3). */
function atA(make: (m1: U8) => U8, o: { now?: number; caPk?: U8; server?: string } = {}): number {
  provision(o.caPk, o.server);
  const m1 = hs.start(o.now ?? NOW);
  try { hs.finish(make(m1), o.now ?? NOW, new Uint8Array([1, 2, 3])); return OK; } catch (e) {
    if (e instanceof HandshakeError) return e.code;
    throw e;
  }
}
/** C_B checked at A; Z is what B would compute for C_B's key (default: the real pk_B's). */
const certAtA = (der: U8, o: { now?: number; z?: U8; caPk?: U8 } = {}) =>
  atA((m1) => fakeM2(m1, der, o.z ?? dh(SK_B, PK_A)!), o);

// ---- table runner ----
interface Case { name: string; side: Side; expect: number; run: () => number }
const tally = new Map<string, number>();
function runTable(category: string, cases: Case[]): void {
  const bad: string[] = [];
  for (const c of cases) {
    let got: number;
    try { got = c.run(); } catch (e) { bad.push(`${c.side} ${c.name}: threw ${(e as Error).stack}`); continue; }
    if (got !== c.expect) bad.push(`${c.side} ${c.name}: expected ${name(c.expect)}, got ${name(got)}`);
    const k = `${category} @${c.side}`;
    tally.set(k, (tally.get(k) ?? 0) + 1);
  }
  assert.deepEqual(bad, [], `${category}: ${bad.length} of ${cases.length} cases wrong`);
}
/** The same certificate case at both sides: built for each side, with the code at each. */
function both(nm: string, make: (side: Side) => U8, a: number, b: number = a, o: { now?: number } = {}): Case[] {
  return [
    { name: nm, side: 'A', expect: a, run: () => certAtA(make('A'), o) },
    { name: nm, side: 'B', expect: b, run: () => certAtB(make('B'), o) },
  ];
}

before(async () => {
  hs = await Handset.load();
  hsFixed = await Handset.load({ random: (b) => b.fill(0xa5) });
});
after(() => { console.log(`hostile cases: ${JSON.stringify(Object.fromEntries([...tally].sort()))}`); });

test('controls: the good certificates and messages are accepted on both sides', () => {
  runTable('control', [
    ...both('the profile certificate', (s) => cert(s), OK),
    ...both('an unknown non-critical extension is skipped', (s) => cert(s, { exts: exts(KU(KU_OK), seq(oid('1.2.3.4'), octets(hex('0500')))) }), OK),
    ...both('serial of 20 bytes', (s) => cert(s, { serial: uint(new Uint8Array(20).fill(0x7f)) }), OK),
    ...both('basicConstraints cA absent (end entity)', (s) => cert(s, { exts: exts(KU(KU_OK), seq(oid(OID.basicConstraints), octets(seq()))) }), OK),
    { name: 'hello with 8 suites, suite 1 last', side: 'B', expect: OK, run: () => atB(mapStore([[ID_A, CA_GOOD]]), hello({ suites: [2, 3, 4, 5, 6, 7, 8, 1] })).code },
  ]);
});

// ============ flips and truncations of every message, precise codes ============

/** A full handshake between the firmware and B, stopped where the case needs it. */
function live() {
  const b = serverB(mapStore([[ID_A, CA_GOOD]])).open();
  provision();
  const m1 = hs.start(NOW);
  return { b, m1 };
}
const flipped = (m: U8, bit: number) => { const c = new Uint8Array(m); c[bit >> 3]! ^= 1 << (bit & 7); return c; };
/** Record decode order (PROTOCOL.md §Records) for a record whose length field became `len`, total `total` bytes. */
function recordLenCode(len: number, total: number): number {
  if (len < 16) return Err.DECODE; // shorter than its tag: malformed, whatever follows
  if (3 + len > total) return Err.DECODE;
  if (3 + len < total) return Err.TRAILING;
  if (len - 16 > MAX_APP) return Err.RECORD_OVERFLOW;
  return Err.RECORD;
}
function finishCode(hsCall: () => void): number {
  try { hsCall(); return OK; } catch (e) { if (e instanceof HandshakeError) return e.code; throw e; }
}

test('every bit flip of message 1 (at B), message 2 (at A), message 3 (at B): the code the decode order predicts', () => {
  const cases: Case[] = [];
  const ref = live();
  ref.b.session.receive(ref.m1);
  const m2ref = ref.b.out[0]!;
  const certLen = (m2ref[18]! << 8) | m2ref[19]!;
  // message 1 at B (and what A then says when B accepts the change)
  for (let bit = 0; bit < ref.m1.length * 8; bit++) {
    const byte = bit >> 3;
    let side: Side = 'B', code: number;
    if (byte === 0) code = Err.UNEXPECTED;
    else if (byte === 1) code = Err.VERSION;
    else if (byte === 2) code = Err.DECODE;
    else if (byte === 3) code = Err.NO_COMMON_SUITE;
    else if (byte < 20) { side = 'A'; code = Err.MAC_B; } // random_A: fresh to B, the transcript differs
    else if (byte < 24) { // time: outside the window at B, else the transcript differs at A
      const t2 = (NOW ^ ((1 << (bit & 7)) << ((23 - byte) * 8))) >>> 0;
      if (Math.abs(t2 - NOW) > 300) code = Err.STALE; else { side = 'A'; code = Err.MAC_B; }
    } else code = Err.UNKNOWN_ID;
    cases.push({
      name: `message 1 bit ${bit}`, side, expect: code, run: () => {
        const { b, m1 } = live();
        b.session.receive(flipped(m1, bit));
        if (side === 'B') return b.fails[0] ?? OK;
        assert.equal(b.fails.length, 0);
        const r = finishCode(() => hs.finish(b.out[0]!, NOW));
        b.session.close();
        return r;
      },
    });
  }
  // message 2 at A: a handset with fixed randomness answers the same message 1 every time
  hsFixed.provision(SK_A, CA.publicKey, SERVER);
  const m1Fixed = hsFixed.start(NOW);
  const bf = serverB(mapStore([[ID_A, CA_GOOD]])).open();
  bf.session.receive(m1Fixed);
  const m2Fixed = bf.out[0]!;
  bf.session.close();
  const sigStart = 20 + certLen - 64;
  for (let bit = 0; bit < m2ref.length * 8; bit++) {
    const byte = bit >> 3;
    let code: number;
    let inCert = false;
    if (byte === 0) code = Err.UNEXPECTED;
    else if (byte === 1) code = Err.SUITE_NOT_OFFERED;
    else if (byte < 18) code = Err.MAC_B;
    else if (byte < 20) {
      const l2 = certLen ^ ((0x80 >>> (7 - (bit & 7))) << ((19 - byte) * 8));
      code = l2 > 512 ? Err.X509_TOO_LARGE : l2 > certLen ? Err.DECODE : Err.TRAILING;
    } else if (byte < sigStart) {
      // the code of an independent implementation of the same profile: B's parser
      // (host/pki/x509.ts, the firmware's codes and check order); a C_B that still parses fails
      // the CA's signature, since its TBS or signature changed
      inCert = true;
      const cb = flipped(m2Fixed, bit).subarray(20, 20 + certLen);
      try { parseCertificate(cb); code = Err.CERT_SIGNATURE; } catch (e) { if (!(e instanceof X509Error)) throw e; code = e.code; }
    }
    else if (byte < 20 + certLen) code = Err.CERT_SIGNATURE;
    else code = Err.MAC_B;
    cases.push({
      name: `message 2 bit ${bit}${inCert ? ' (C_B)' : ''}`, side: 'A', expect: code, run: () => {
        hsFixed.reset();
        assert.deepEqual(hsFixed.start(NOW), m1Fixed);
        return finishCode(() => hsFixed.finish(flipped(m2Fixed, bit), NOW));
      },
    });
  }
  // message 3 at B
  const m3ref = hs.finish(m2ref, NOW, new TextEncoder().encode('ping'));
  ref.b.session.close();
  for (let bit = 0; bit < m3ref.length * 8; bit++) {
    const byte = bit >> 3;
    let code: number;
    if (byte === 0) code = Err.UNEXPECTED;
    else if (byte < 17) code = Err.MAC_A;
    else if (byte < 19) {
      const len = 20 ^ ((0x80 >>> (7 - (bit & 7))) << ((18 - byte) * 8));
      code = len < 16 ? Err.DECODE : 19 + len > m3ref.length ? Err.DECODE : 19 + len < m3ref.length ? Err.TRAILING : Err.RECORD;
    } else code = Err.RECORD;
    cases.push({
      name: `message 3 bit ${bit}`, side: 'B', expect: code, run: () => {
        const { b, m1 } = live();
        b.session.receive(m1);
        b.session.receive(flipped(hs.finish(b.out[0]!, NOW, new TextEncoder().encode('ping')), bit));
        return b.fails[0] ?? OK;
      },
    });
  }
  runTable('bit flips', cases);
});

/** An established session: the firmware handset and a B session. */
function established() {
  const { b, m1 } = live();
  b.session.receive(m1);
  b.session.receive(hs.finish(b.out[0]!, NOW, new TextEncoder().encode('ping')));
  assert.equal(b.established, true);
  assert.deepEqual([...hs.open(b.out[1]!)], [...new TextEncoder().encode('ping')], 'B echoes record 0');
  b.out.length = 0;
  return b;
}

test('every bit flip and truncation of a record, both directions', () => {
  const cases: Case[] = [];
  const data = new TextEncoder().encode('pong!');
  const total = 3 + data.length + 16;
  const recordCase = (nm: string, dir: 'BA' | 'AB', mutate: (r: U8) => U8, expect: number): Case => ({
    name: nm, side: dir === 'BA' ? 'A' : 'B', expect,
    run: () => {
      const b = established();
      if (dir === 'BA') {
        b.session.write(data);
        const r = finishCode(() => hs.open(mutate(b.out[0]!)));
        b.session.close();
        return r;
      }
      b.session.receive(mutate(hs.seal(data)));
      return b.fails[0] ?? OK;
    },
  });
  for (const dir of ['BA', 'AB'] as const) {
    for (let bit = 0; bit < total * 8; bit++) {
      const byte = bit >> 3;
      let code: number;
      if (byte === 0) code = (0x17 ^ (1 << (bit & 7))) === 0x15 ? Err.PEER_ALERT : Err.UNEXPECTED;
      else if (byte < 3) code = recordLenCode((total - 3) ^ ((1 << (bit & 7)) << ((2 - byte) * 8)), total);
      else code = Err.RECORD;
      cases.push(recordCase(`record ${dir === 'BA' ? 'B→A' : 'A→B'} bit ${bit}`, dir, (r) => flipped(r, bit), code));
    }
    for (let len = 0; len < total; len++) {
      cases.push(recordCase(`record ${dir === 'BA' ? 'B→A' : 'A→B'} cut to ${len}`, dir, (r) => r.subarray(0, len), Err.DECODE));
    }
    cases.push(recordCase(`record ${dir === 'BA' ? 'B→A' : 'A→B'} + 1 byte`, dir, (r) => cat(r, [0]), Err.TRAILING));
    cases.push(recordCase(`record ${dir === 'BA' ? 'B→A' : 'A→B'} unmodified (control)`, dir, (r) => r, OK));
  }
  runTable('records', cases);
});

test('every truncation of messages 1-3: ERR_DECODE', () => {
  const cases: Case[] = [];
  const ref = live();
  ref.b.session.receive(ref.m1);
  const m2ref = ref.b.out[0]!;
  const m3len = hs.finish(m2ref, NOW, new TextEncoder().encode('ping')).length;
  ref.b.session.close();
  for (let len = 0; len < ref.m1.length; len++) {
    cases.push({ name: `message 1 cut to ${len}`, side: 'B', expect: Err.DECODE, run: () => { const { b, m1 } = live(); b.session.receive(m1.subarray(0, len)); return b.fails[0] ?? OK; } });
  }
  for (let len = 0; len < m2ref.length; len++) {
    cases.push({
      name: `message 2 cut to ${len}`, side: 'A', expect: Err.DECODE, run: () => {
        const { b, m1 } = live(); b.session.receive(m1); const r = finishCode(() => hs.finish(b.out[0]!.subarray(0, len), NOW)); b.session.close(); return r;
      },
    });
  }
  for (let len = 0; len < m3len; len++) {
    cases.push({
      name: `message 3 cut to ${len}`, side: 'B', expect: Err.DECODE, run: () => {
        const { b, m1 } = live(); b.session.receive(m1); b.session.receive(hs.finish(b.out[0]!, NOW, new TextEncoder().encode('ping')).subarray(0, len)); return b.fails[0] ?? OK;
      },
    });
  }
  runTable('truncations', cases);
});

// ============ lengths, versions, suites ============

test('oversized and inconsistent lengths', () => {
  const storeA = mapStore([[ID_A, CA_GOOD]]);
  const m2With = (certLen: number) => (m1: U8) => fakeM2(m1, CB_GOOD, dh(SK_B, PK_A)!, { certLen });
  const afterMac = (recLen: number, bodyLen = recLen) => (m3: U8) => cat(m3.subarray(0, 17), [recLen >> 8, recLen & 255], crypto.randomBytes(bodyLen));
  const m3At = (mutate: (m3: U8) => U8) => () => {
    const { b, m1 } = live(); b.session.receive(m1); b.session.receive(mutate(hs.finish(b.out[0]!, NOW, new TextEncoder().encode('ping')))); return b.fails[0] ?? OK;
  };
  const recAtA = (rec: U8) => () => { const b = established(); const r = finishCode(() => hs.open(rec)); b.session.close(); return r; };
  const recAtB = (rec: U8) => () => { const b = established(); b.session.receive(rec); return b.fails[0] ?? OK; };
  const rec = (len: number, bodyLen = len) => cat([0x17, len >> 8, len & 255], crypto.randomBytes(bodyLen));
  const raw = (f: (x: Handset['exports']) => number) => () => { const b = established(); const rc = f(hs.exports); b.session.close(); return rc < 0 ? -rc : OK; };
  runTable('lengths', [
    { name: 'hello suite count 9 (9 suites present)', side: 'B', expect: Err.DECODE, run: () => atB(storeA, hello({ suites: [1, 2, 3, 4, 5, 6, 7, 8, 9] })).code },
    { name: 'hello suite count 255 (1 suite present)', side: 'B', expect: Err.DECODE, run: () => atB(storeA, hello({ suites: [1], n: 255 })).code },
    { name: 'hello suite count 0', side: 'B', expect: Err.DECODE, run: () => atB(storeA, hello({ suites: [1], n: 0 })).code },
    { name: 'hello suite count 2, one suite present', side: 'B', expect: Err.DECODE, run: () => atB(storeA, hello({ suites: [1], n: 2 })).code },
    { name: 'hello suite count 1, two suites present', side: 'B', expect: Err.TRAILING, run: () => atB(storeA, hello({ suites: [1, 2], n: 1 })).code },
    { name: 'cert_len 513 (> MAX_CERT)', side: 'A', expect: Err.X509_TOO_LARGE, run: () => atA(m2With(513)) },
    { name: 'cert_len 0xffff', side: 'A', expect: Err.X509_TOO_LARGE, run: () => atA(m2With(0xffff)) },
    { name: 'cert_len 512 (beyond the message)', side: 'A', expect: Err.DECODE, run: () => atA(m2With(512)) },
    { name: 'cert_len + 1', side: 'A', expect: Err.DECODE, run: () => atA(m2With(CB_GOOD.length + 1)) },
    { name: 'cert_len - 1', side: 'A', expect: Err.TRAILING, run: () => atA(m2With(CB_GOOD.length - 1)) },
    { name: 'cert_len 0', side: 'A', expect: Err.TRAILING, run: () => atA(m2With(0)) },
    { name: 'message 2 longer than the input buffer (548)', side: 'A', expect: Err.DECODE, run: () => { provision(); hs.start(NOW); const rc = hs.exports.finish(hs.exports.inCap() + 1, NOW, 0); return rc < 0 ? -rc : OK; } },
    { name: 'application data > 512 in message 3 (local)', side: 'A', expect: Err.RECORD_OVERFLOW, run: () => { provision(); hs.start(NOW); const rc = hs.exports.finish(100, NOW, MAX_APP + 1); return rc < 0 ? -rc : OK; } },
    { name: 'message 3 rec_len 0xffff', side: 'B', expect: Err.DECODE, run: m3At((m3) => { const c = new Uint8Array(m3); c[17] = 0xff; c[18] = 0xff; return c; }) },
    { name: 'message 3 rec_len 529 (> 512 + 16), body present', side: 'B', expect: Err.RECORD_OVERFLOW, run: m3At(afterMac(529)) },
    { name: 'message 3 rec_len 528, body present (forged)', side: 'B', expect: Err.RECORD, run: m3At(afterMac(528)) },
    { name: 'message 3 rec_len 15', side: 'B', expect: Err.DECODE, run: m3At(afterMac(15)) },
    { name: 'record B→A rec_len 529, body present', side: 'A', expect: Err.RECORD_OVERFLOW, run: recAtA(rec(529)) },
    { name: 'record B→A rec_len 528, body present (forged)', side: 'A', expect: Err.RECORD, run: recAtA(rec(528)) },
    { name: 'record B→A rec_len 0xffff', side: 'A', expect: Err.DECODE, run: recAtA(rec(0xffff, 100)) },
    { name: 'record B→A rec_len 15', side: 'A', expect: Err.DECODE, run: recAtA(rec(15)) },
    { name: 'record B→A rec_len 15 with 16 bytes after', side: 'A', expect: Err.DECODE, run: recAtA(rec(15, 16)) },
    { name: 'record B→A longer than the input buffer', side: 'A', expect: Err.DECODE, run: raw((x) => x.open(x.inCap() + 1)) },
    { name: 'record A→B rec_len 529, body present', side: 'B', expect: Err.RECORD_OVERFLOW, run: recAtB(rec(529)) },
    { name: 'record A→B rec_len 528, body present (forged)', side: 'B', expect: Err.RECORD, run: recAtB(rec(528)) },
    { name: 'record A→B rec_len 0xffff', side: 'B', expect: Err.DECODE, run: recAtB(rec(0xffff, 100)) },
    { name: 'record A→B rec_len 15', side: 'B', expect: Err.DECODE, run: recAtB(rec(15)) },
    { name: 'record A→B rec_len 15 with 16 bytes after', side: 'B', expect: Err.DECODE, run: recAtB(rec(15, 16)) },
    { name: 'record A→B payload > 512 (local seal)', side: 'A', expect: Err.RECORD_OVERFLOW, run: raw((x) => x.seal(MAX_APP + 1)) },
  ]);
});

test('wrong versions and unknown suites', () => {
  const storeA = mapStore([[ID_A, CA_GOOD]]);
  const z = () => dh(SK_B, PK_A)!;
  runTable('versions and suites', [
    ...[0x00, 0x02, 0x10, 0xff].map((v): Case => ({ name: `hello version 0x${v.toString(16)}`, side: 'B', expect: Err.VERSION, run: () => atB(storeA, hello({ version: v })).code })),
    { name: 'hello version 2 and suite count 0 (version first)', side: 'B', expect: Err.VERSION, run: () => atB(storeA, hello({ version: 2, n: 0 })).code },
    { name: 'hello version 2, 3 bytes long', side: 'B', expect: Err.VERSION, run: () => atB(storeA, new Uint8Array([1, 2, 1])).code },
    ...[[0x00], [0x02], [0x7f], [0xff], [2, 3, 4, 5, 6, 7, 8, 9], [0, 0]].map((s): Case => ({
      name: `hello offering only [${s}]`, side: 'B', expect: Err.NO_COMMON_SUITE, run: () => atB(storeA, hello({ suites: s })).code,
    })),
    { name: 'hello offering [0x7f, 0x01]: suite 1', side: 'B', expect: OK, run: () => { const r = atB(storeA, hello({ suites: [0x7f, 1] })); assert.equal(r.m2?.[1], 1); return r.code; } },
    ...[0x00, 0x02, 0x7f, 0x80, 0xff].map((s): Case => ({
      name: `message 2 choosing suite 0x${s.toString(16)} (not offered; MAC_B correct)`, side: 'A', expect: Err.SUITE_NOT_OFFERED,
      run: () => atA((m1) => fakeM2(m1, CB_GOOD, z(), { suite: s })),
    })),
  ]);
});

// ============ X25519: small-order and non-canonical keys ============

/** Small-order u and their non-canonical encodings (RFC 7748 §5 decodes u mod p, bit 255 masked). */
const SMALL_ORDER: [string, U8][] = [
  ['0', le(0n)], ['1', le(1n)],
  ['order 8 (e0eb7a7c…)', hex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800')],
  ['order 8 (5f9c95bc…)', hex('5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157')],
  ['p - 1', le(P - 1n)], ['p (= 0)', le(P)], ['p + 1 (= 1)', le(P + 1n)],
];
const topBit = (u: U8) => { const c = new Uint8Array(u); c[31]! |= 0x80; return c; };
const SMALL_ALL: [string, U8][] = [...SMALL_ORDER, ...SMALL_ORDER.map(([n, u]): [string, U8] => [`${n} with bit 255 set`, topBit(u)])];

/** A hand-driven A for B: sends the hello for `pk`, checks MAC_B against Z, completes with message 3. */
function hostA(certDer: U8, pk: U8, z: U8 | null): number {
  const id = idOf(pk);
  const b = serverB(mapStore([[id, certDer]])).open();
  const m1 = hello({ id });
  b.session.receive(m1);
  if (b.fails.length) return b.fails[0]!;
  const m2 = b.out[0]!;
  if (!z) return -2;
  const randomB = m2.subarray(2, 18);
  const prk = hkdfExtract(cat(m1.subarray(4, 20), randomB), z);
  if (!Buffer.from(deriveMacB(prk, sha256(m1, m2.subarray(0, m2.length - 16)))).equals(Buffer.from(m2.subarray(m2.length - 16)))) return -3;
  const th3 = sha256(m1, m2);
  const keys = trafficKeys(prk, th3);
  const { header, body: rb } = sealRecord(keys.kAB, keys.ivAB, 0n, new TextEncoder().encode('hi'));
  b.session.receive(cat([0x03], deriveMacA(prk, th3), header.subarray(1), rb));
  return b.established ? OK : (b.fails[0] ?? -4);
}

test('X25519: small-order keys give the all-zero secret (ERR_X25519_ZERO); non-canonical u is reduced mod p, bit 255 masked', () => {
  const cases: Case[] = [];
  for (const [nm, u] of SMALL_ALL) {
    cases.push({ name: `C_B key ${nm}`, side: 'A', expect: Err.X25519_ZERO, run: () => certAtA(cert('A', { spki: spkiX(u) }), { z: ZERO32 }) });
    cases.push({ name: `C_A key ${nm}`, side: 'B', expect: Err.X25519_ZERO, run: () => hostA(cert('B', { spki: spkiX(u) }), u, null) });
  }
  // non-canonical but not small order: the same Z as the canonical u
  const nonCanonical: [string, U8, U8][] = [
    ['p + 9 (= 9)', le(P + 9n), le(9n)],
    ['2^255 - 1 (= 18)', le((1n << 255n) - 1n), le(18n)],
    ['2^256 - 1 (= 18, bit 255 masked)', le((1n << 256n) - 1n), le(18n)],
  ];
  for (const [nm, u, canon] of nonCanonical) {
    cases.push({ name: `C_B key ${nm}: Z as for the canonical u, handshake completes`, side: 'A', expect: OK, run: () => certAtA(cert('A', { spki: spkiX(u) }), { z: dh(SK_A, canon)! }) });
    cases.push({ name: `C_A key ${nm}: Z as for the canonical u, handshake completes`, side: 'B', expect: OK, run: () => hostA(cert('B', { spki: spkiX(u) }), u, dh(SK_B, canon)) });
  }
  cases.push({ name: 'C_B key pk_B with bit 255 set: handshake completes', side: 'A', expect: OK, run: () => certAtA(cert('A', { spki: spkiX(topBit(PK_B)) })) });
  cases.push({ name: 'C_A key pk_A with bit 255 set: handshake completes', side: 'B', expect: OK, run: () => hostA(cert('B', { spki: spkiX(topBit(PK_A)) }), topBit(PK_A), dh(SK_B, PK_A)) });
  cases.push({
    name: 'C_A key pk_A with bit 255 set, enrolled, real handset (its ID_A is of the canonical key)', side: 'B', expect: Err.UNKNOWN_ID,
    run: () => { provision(); const m1 = hs.start(NOW); return atB(mapStore([[idOf(topBit(PK_A)), cert('B', { spki: spkiX(topBit(PK_A)) })]]), m1).code; },
  });
  runTable('x25519', cases);
});

// ============ Ed25519: non-canonical signatures and CA key ============

const caScalar = (() => {
  const h = crypto.createHash('sha512').update(CA_SEED).digest();
  h[0]! &= 248; h[31]! &= 127; h[31]! |= 64;
  return fromLe(h.subarray(0, 32)) % L;
})();
/** (R, S) with S = k·a for a chosen R: [S]B - [k]A is the identity, whose canonical encoding is not R. */
function forgedWithR(R: U8, msg: U8): U8 {
  const k = fromLe(crypto.createHash('sha512').update(R).update(CA.publicKey).update(msg).digest()) % L;
  return cat(R, le((k * caScalar) % L));
}

test('Ed25519: non-canonical signatures on certificates; non-canonical and small-order CA keys', async () => {
  const { ed25519 } = await import('@noble/curves/ed25519.js');
  const withS = (f: (s: bigint) => bigint) => (sig: U8) => cat(sig.subarray(0, 32), le(f(fromLe(sig.subarray(32)))));
  const withR = (R: U8) => (side: Side) => { const t = tbs(side); return seq(t, ED(), bits(forgedWithR(R, t))); };
  const identitySignBit = le(1n); identitySignBit[31]! |= 0x80;
  const cases: Case[] = [
    ...both('S + L', (s) => sign(tbs(s), { sig: withS((x) => x + L) }), Err.CERT_SIGNATURE),
    ...both('S = L', (s) => sign(tbs(s), { sig: withS(() => L) }), Err.CERT_SIGNATURE),
    ...both('S = 2^256 - 1', (s) => sign(tbs(s), { sig: withS(() => (1n << 256n) - 1n) }), Err.CERT_SIGNATURE),
    ...both('S + 8L (cofactor multiple)', (s) => sign(tbs(s), { sig: withS((x) => x + 8n * L) }), Err.CERT_SIGNATURE),
    ...both('R = y p+1 (identity, non-canonical), S = k·a', withR(le(P + 1n)), Err.CERT_SIGNATURE),
    ...both('R = identity with the sign bit, S = k·a', withR(identitySignBit), Err.CERT_SIGNATURE),
    ...both('R = y >= p (2^255 - 1)', (s) => sign(tbs(s), { sig: (g) => cat(le((1n << 255n) - 1n), g.subarray(32)) }), Err.CERT_SIGNATURE),
    ...both('R with the sign bit flipped', (s) => sign(tbs(s), { sig: (g) => { const c = new Uint8Array(g); c[31]! ^= 0x80; return c; } }), Err.CERT_SIGNATURE),
  ];
  // A CA "key" that encodes the identity (canonically or not), and a certificate that the
  // identity key would accept (R = [r]B, S = r): the firmware refuses the key at provisioning
  // (ERR_ED25519_POINT); B refuses it at configuration.
  const r = 987654321987654321n;
  const universal = (side: Side) => { const t = tbs(side); return seq(t, ED(), bits(cat(ed25519.Point.BASE.multiply(r).toBytes(), le(r)))); };
  for (const [nm, key, why] of [['y = p + 1 (non-canonical)', le(P + 1n), /non-canonical/], ['x = 0 with the sign bit (non-canonical)', identitySignBit, /non-canonical/],
    ['y = 2^255 - 1 (non-canonical)', le((1n << 255n) - 1n), /non-canonical/], ['the identity, canonical (small order)', le(1n), /small order/]] as [string, U8, RegExp][]) {
    cases.push({
      name: `CA key ${nm}, universal forgery`, side: 'A', expect: Err.ED25519_POINT,
      run: () => {
        try { provision(key); } catch (e) { provisioned = ''; if (e instanceof HandshakeError) return e.code; throw e; }
        return certAtA(universal('A'), { caPk: key });
      },
    });
    cases.push({
      name: `CA key ${nm}`, side: 'B', expect: REFUSED_AT_CONFIG,
      run: () => {
        assert.throws(() => ed25519PublicKey(key), why);
        try { serverB(mapStore([]), NOW, { caPublicKey: key }); } catch { return REFUSED_AT_CONFIG; }
        return hostA(universal('B'), PK_A, dh(SK_B, PK_A));
      },
    });
  }
  runTable('ed25519', cases);
});

// ============ malformed DER in C_B (at A) and C_A (at B) ============

test('malformed DER and X.509 profile violations in a CA-signed certificate', () => {
  const E = Err;
  const t = (s: Side) => tbs(s);
  const c: Case[] = [];
  const add = (nm: string, make: (s: Side) => U8, code: number, codeB = code) => c.push(...both(nm, make, code, codeB));
  // wrong tags
  add('Certificate tag SET', (s) => reheader(cert(s), 0x31, 0x81, body(cert(s)).length), E.DER_TAG);
  add('TBSCertificate tag SET', (s) => sign(reheader(t(s), 0x31, 0x81, body(t(s)).length)), E.DER_TAG);
  add('serial as OCTET STRING', (s) => cert(s, { serial: octets(hex('2001')) }), E.DER_TAG);
  add('signature algorithm as SET', (s) => cert(s, { alg: tlv(TAG.SET, oid(OID.ed25519)) }), E.DER_TAG);
  add('issuer as SET', (s) => cert(s, { issuer: tlv(TAG.SET, set(seq(oid(OID.commonName), utf8('airshake CA')))) }), E.DER_TAG);
  add('validity as SET', (s) => cert(s, { validity: tlv(TAG.SET, time(NOW - DAY), time(NOW + DAY)) }), E.DER_TAG);
  add('notBefore as OCTET STRING', (s) => cert(s, { validity: seq(octets(hex('00')), time(NOW + DAY)) }), E.DER_TAG);
  add('extensions as [2]', (s) => cert(s, { exts: tlv(ctx(2), seq(KU(KU_OK))) }), E.DER_TAG);
  add('issuerUniqueID [1] after the key', (s) => cert(s, { exts: tlv(0x81, hex('00')) }), E.DER_TAG);
  add('extension value as BIT STRING', (s) => cert(s, { exts: exts(seq(oid(OID.keyUsage), bool(true), tlv(TAG.BIT_STRING, hex('0308')))) }), E.DER_TAG);
  add('signature as OCTET STRING', (s) => sign(t(s), { sigBits: (g) => octets(cat([0], g)) }), E.DER_TAG);
  add('multi-byte tag inside the TBS', (s) => cert(s, { exts: cat([0x1f, 0x81, 0x00, 0x00]) }), E.DER_TAG);
  add('subject CN as BMPString', (s) => cert(s, { subject: seq(set(seq(oid(OID.commonName), tlv(0x1e, hex('0062'))))) }), E.X509_NAME);
  // lengths beyond the buffer
  add('Certificate length + 1', (s) => { const x = cert(s); return reheader(x, 0x30, 0x81, body(x).length + 1); }, E.DER_TRUNCATED);
  add('Certificate length 0xffff', (s) => reheader(cert(s), 0x30, 0x82, 0xff, 0xff), E.DER_TRUNCATED);
  add('Certificate cut by one byte', (s) => cert(s).subarray(0, cert(s).length - 1), E.DER_TRUNCATED);
  add('Certificate of only its header', (s) => cert(s).subarray(0, 3), E.DER_TRUNCATED);
  add('subject key length past the TBS', (s) => cert(s, { spki: cat([0x30, 0x7f]), exts: null }), E.DER_TRUNCATED);
  add('long length runs past the TBS', (s) => cert(s, { exts: cat([0x30, 0x82]) }), E.DER_TRUNCATED);
  add('TBS length + 1 (runs into the algorithm)', (s) => { const y = sign(t(s)); const out = new Uint8Array(y); const o = hdr(y); assert.equal(out[o + 1], 0x81); out[o + 2]! += 1; return out; }, E.DER_TRAILING);
  // indefinite lengths
  add('Certificate indefinite length', (s) => cat([0x30, 0x80], body(cert(s)), [0, 0]), E.DER_INDEFINITE);
  add('TBSCertificate indefinite length (signed)', (s) => sign(cat([0x30, 0x80], body(t(s)), [0, 0])), E.DER_INDEFINITE);
  add('subject name indefinite length', (s) => cert(s, { subject: cat([0x30, 0x80], body(nameDer(s === 'A' ? SERVER : HANDSET)), [0, 0]) }), E.DER_INDEFINITE);
  // non-minimal lengths
  add('Certificate length in 3 bytes (0x82 00 xx)', (s) => reheader(cert(s), 0x30, 0x82, 0x00, body(cert(s)).length), E.DER_LENGTH);
  add('TBS length in 3 bytes (signed)', (s) => sign(reheader(t(s), 0x30, 0x82, 0x00, body(t(s)).length)), E.DER_LENGTH);
  add('version length 0x81 03 (signed)', (s) => cert(s, { version: cat([0xa0, 0x81, 0x03], uint(2)) }), E.DER_LENGTH);
  add('subject length 0x81 < 0x80 (signed)', (s) => { const n = nameDer(s === 'A' ? SERVER : HANDSET); return cert(s, { subject: reheader(n, 0x30, 0x81, body(n).length) }); }, E.DER_LENGTH);
  add('length of 3 length bytes', (s) => reheader(cert(s), 0x30, 0x83, 0x00, 0x00, body(cert(s)).length), E.DER_LENGTH);
  add('length of 0x84 length bytes', (s) => cert(s, { exts: cat([0x30, 0x84, 0, 0, 0, 1, 0]) }), E.DER_LENGTH);
  // trailing data
  add('a byte after the certificate', (s) => cat(cert(s), [0]), E.DER_TRAILING);
  add('an element after the signature, inside the certificate', (s) => { const x = cert(s); return seq(body(x), tlv(TAG.NULL)); }, E.DER_TRAILING);
  add('an element after the extensions, inside the TBS', (s) => cert(s, { extra: tlv(TAG.NULL) }), E.DER_TRAILING);
  add('a third time in the validity', (s) => cert(s, { validity: seq(time(NOW - DAY), time(NOW + DAY), time(NOW)) }), E.DER_TRAILING);
  add('data after an attribute value', (s) => cert(s, { subject: seq(set(seq(oid(OID.commonName), utf8(s === 'A' ? SERVER : HANDSET), tlv(TAG.NULL)))) }), E.DER_TRAILING);
  add('data after the version INTEGER', (s) => cert(s, { version: tlv(ctx(0), uint(2), tlv(TAG.NULL)) }), E.X509_VERSION);
  add('data after the subject key', (s) => cert(s, { spki: seq(seq(oid(OID.x25519)), bits(s === 'A' ? PK_B : PK_A), tlv(TAG.NULL)) }), E.DER_TRAILING);
  add('data after an extension value', (s) => cert(s, { exts: exts(seq(oid(OID.keyUsage), bool(true), octets(hex(KU_OK)), tlv(TAG.NULL))) }), E.DER_TRAILING);
  add('data after keyUsage inside its OCTET STRING', (s) => cert(s, { exts: exts(KU(KU_OK + '0500')) }), E.DER_TRAILING);
  add('data after the extension list inside [3]', (s) => cert(s, { exts: tlv(ctx(3), seq(KU(KU_OK)), tlv(TAG.NULL)) }), E.DER_TRAILING);
  // versions
  add('v1 (no version field)', (s) => cert(s, { version: null }), E.X509_VERSION);
  add('version 0 (v1) explicit', (s) => cert(s, { version: tlv(ctx(0), uint(0)) }), E.X509_VERSION);
  add('version 1 (v2)', (s) => cert(s, { version: tlv(ctx(0), uint(1)) }), E.X509_VERSION);
  add('version 3 (v4)', (s) => cert(s, { version: tlv(ctx(0), uint(3)) }), E.X509_VERSION);
  add('version INTEGER 00 02 (non-minimal)', (s) => cert(s, { version: tlv(ctx(0), tlv(TAG.INTEGER, hex('0002'))) }), E.X509_VERSION);
  add('version as [1]', (s) => cert(s, { version: tlv(ctx(1), uint(2)) }), E.X509_VERSION);
  // serial
  add('serial 0', (s) => cert(s, { serial: tlv(TAG.INTEGER, hex('00')) }), E.DER_INTEGER);
  add('serial negative', (s) => cert(s, { serial: tlv(TAG.INTEGER, hex('80')) }), E.DER_INTEGER);
  add('serial non-minimal 00 01', (s) => cert(s, { serial: tlv(TAG.INTEGER, hex('0001')) }), E.DER_INTEGER);
  add('serial empty', (s) => cert(s, { serial: tlv(TAG.INTEGER, new Uint8Array(0)) }), E.DER_INTEGER);
  add('serial of 21 bytes', (s) => cert(s, { serial: tlv(TAG.INTEGER, new Uint8Array(21).fill(0x11)) }), E.DER_INTEGER);
  // algorithms
  add('TBS algorithm Ed25519 with NULL parameters', (s) => cert(s, { alg: seq(oid(OID.ed25519), tlv(TAG.NULL)) }), E.X509_ALGORITHM);
  add('TBS algorithm sha256WithRSAEncryption', (s) => cert(s, { alg: seq(oid('1.2.840.113549.1.1.11'), tlv(TAG.NULL)) }), E.X509_ALGORITHM);
  add('outer algorithm Ed448', (s) => sign(t(s), { outerAlg: seq(oid('1.3.101.113')) }), E.X509_ALGORITHM);
  add('outer algorithm OID non-minimal', (s) => sign(t(s), { outerAlg: seq(tlv(TAG.OID, hex('2b806570'))) }), E.X509_ALGORITHM);
  add('signature of 63 bytes', (s) => sign(t(s), { sig: (g) => g.subarray(0, 63) }), E.X509_ALGORITHM);
  add('signature BIT STRING with 1 unused bit', (s) => sign(t(s), { sigBits: (g) => tlv(TAG.BIT_STRING, cat([1], g)) }), E.X509_ALGORITHM);
  // names
  add('empty issuer', (s) => cert(s, { issuer: seq() }), E.X509_NAME);
  add('empty subject', (s) => cert(s, { subject: seq() }), E.X509_NAME);
  add('empty RDN in the issuer', (s) => cert(s, { issuer: seq(set()) }), E.X509_NAME);
  add('subject with two CNs', (s) => cert(s, { subject: seq(set(seq(oid(OID.commonName), utf8(s === 'A' ? SERVER : HANDSET))), set(seq(oid(OID.commonName), utf8('x')))) }), E.X509_NAME);
  add('subject without a CN', (s) => cert(s, { subject: seq(set(seq(oid('2.5.4.10'), utf8('airshake')))) }), E.X509_NAME);
  const cnRaw = (bytes: U8, tag = TAG.UTF8_STRING) => seq(set(seq(oid(OID.commonName), tlv(tag, bytes))));
  add('CN with invalid UTF-8 (0xff)', (s) => cert(s, { subject: cnRaw(cat(new TextEncoder().encode('b.airshak'), [0xff])) }), E.X509_NAME);
  add('CN with overlong UTF-8 (c0 ae)', (s) => cert(s, { subject: cnRaw(hex('62c0ae')) }), E.X509_NAME);
  add('CN with a UTF-8 surrogate (ed a0 80)', (s) => cert(s, { subject: cnRaw(hex('62eda080')) }), E.X509_NAME);
  add('CN with truncated UTF-8 (e2 82)', (s) => cert(s, { subject: cnRaw(hex('62e282')) }), E.X509_NAME);
  add('CN with UTF-8 above U+10FFFF (f4 90 80 80)', (s) => cert(s, { subject: cnRaw(hex('62f4908080')) }), E.X509_NAME);
  add('issuer O as PrintableString with "@"', (s) => cert(s, { issuer: seq(set(seq(oid('2.5.4.10'), tlv(TAG.PRINTABLE_STRING, new TextEncoder().encode('a@b'))))) }), E.X509_NAME);
  add('issuer O as IA5String with 0x80', (s) => cert(s, { issuer: seq(set(seq(oid('2.5.4.10'), tlv(TAG.IA5_STRING, hex('6180'))))) }), E.X509_NAME);
  add('issuer attribute OID with a non-minimal arc', (s) => cert(s, { issuer: seq(set(seq(tlv(TAG.OID, hex('5504800a')), utf8('airshake')))) }), E.X509_NAME);
  // times (format; the boundaries are in the next test)
  const v = (nb: U8) => seq(nb, time(NOW + DAY));
  add('UTCTime without Z', (s) => cert(s, { validity: v(rawTime(TAG.UTC_TIME, '2611300000000')) }), E.X509_TIME);
  add('UTCTime with +0000', (s) => cert(s, { validity: v(rawTime(TAG.UTC_TIME, '261130000000+0000')) }), E.X509_TIME);
  add('UTCTime without seconds', (s) => cert(s, { validity: v(rawTime(TAG.UTC_TIME, '2611300000Z')) }), E.X509_TIME);
  add('UTCTime month 13', (s) => cert(s, { validity: v(rawTime(TAG.UTC_TIME, '261330000000Z')) }), E.X509_TIME);
  add('UTCTime 29 February 2026', (s) => cert(s, { validity: v(rawTime(TAG.UTC_TIME, '260229000000Z')) }), E.X509_TIME);
  add('UTCTime 24:00:00', (s) => cert(s, { validity: v(rawTime(TAG.UTC_TIME, '261130240000Z')) }), E.X509_TIME);
  add('UTCTime second 60', (s) => cert(s, { validity: v(rawTime(TAG.UTC_TIME, '261130235960Z')) }), E.X509_TIME);
  add('GeneralizedTime with fractional seconds', (s) => cert(s, { validity: seq(time(NOW - DAY), rawTime(TAG.GENERALIZED_TIME, '20500101000000.5Z')) }), E.X509_TIME);
  add('GeneralizedTime for 2049 (UTCTime required)', (s) => cert(s, { validity: seq(time(NOW - DAY), rawTime(TAG.GENERALIZED_TIME, '20491231235959Z')) }), E.X509_TIME);
  add('GeneralizedTime for 2026 (UTCTime required)', (s) => cert(s, { validity: v(rawTime(TAG.GENERALIZED_TIME, '20261130000000Z')) }), E.X509_TIME);
  add('GeneralizedTime for 1950 (UTCTime required)', (s) => cert(s, { validity: v(rawTime(TAG.GENERALIZED_TIME, '19500101000000Z')) }), E.X509_TIME);
  // subject public key
  const keyOf = (s: Side) => (s === 'A' ? PK_B : PK_A);
  add('X25519 key of 31 bytes', (s) => cert(s, { spki: seq(seq(oid(OID.x25519)), bits(keyOf(s).subarray(0, 31))) }), E.X509_SPKI);
  add('X25519 key BIT STRING with 1 unused bit', (s) => cert(s, { spki: seq(seq(oid(OID.x25519)), tlv(TAG.BIT_STRING, cat([1], keyOf(s)))) }), E.X509_SPKI);
  add('key algorithm OID with a non-minimal arc', (s) => cert(s, { spki: seq(seq(tlv(TAG.OID, hex('2b65806e'))), bits(keyOf(s))) }), E.X509_SPKI);
  add('an Ed25519 subject key', (s) => cert(s, { spki: seq(seq(oid(OID.ed25519)), bits(CA.publicKey)) }), E.CERT_KEY_TYPE);
  add('X25519 with NULL parameters', (s) => cert(s, { spki: seq(seq(oid(OID.x25519), tlv(TAG.NULL)), bits(keyOf(s))) }), E.CERT_KEY_TYPE);
  // extensions
  add('duplicate keyUsage', (s) => cert(s, { exts: exts(KU(KU_OK), KU(KU_OK)) }), E.X509_DUPLICATE_EXTENSION);
  add('duplicate unknown non-critical extension', (s) => cert(s, { exts: exts(KU(KU_OK), seq(oid('1.2.3.4'), octets(hex('0500'))), seq(oid('1.2.3.4'), octets(hex('0500')))) }), E.X509_DUPLICATE_EXTENSION);
  add('unknown critical extension', (s) => cert(s, { exts: exts(KU(KU_OK), seq(oid('1.2.3.4'), bool(true), octets(hex('0500')))) }), E.X509_EXTENSION);
  add('unknown critical extension (nameConstraints)', (s) => cert(s, { exts: exts(KU(KU_OK), seq(oid('2.5.29.30'), bool(true), octets(seq()))) }), E.X509_EXTENSION);
  add('critical FALSE encoded (DER omits the default)', (s) => cert(s, { exts: exts(seq(oid(OID.keyUsage), bool(false), octets(hex(KU_OK)))) }), E.X509_EXTENSION);
  add('critical BOOLEAN 0x01 (not DER TRUE)', (s) => cert(s, { exts: exts(seq(oid(OID.keyUsage), tlv(TAG.BOOLEAN, hex('01')), octets(hex(KU_OK)))) }), E.X509_EXTENSION);
  add('empty extension list', (s) => cert(s, { exts: exts() }), E.X509_EXTENSION);
  add('9 extensions', (s) => cert(s, { exts: exts(KU(KU_OK), ...[1, 2, 3, 4, 5, 6, 7, 8].map((i) => seq(oid(`1.2.3.${i}`), octets(hex('0500'))))) }), E.X509_EXTENSION);
  add('extension OID with a non-minimal arc (non-critical)', (s) => cert(s, { exts: exts(KU(KU_OK), seq(tlv(TAG.OID, hex('551d800f')), octets(hex('0500')))) }), E.X509_EXTENSION);
  add('keyUsage with a trailing zero byte', (s) => cert(s, { exts: exts(KU('0303030800')) }), E.X509_EXTENSION);
  add('keyUsage with unused count 0 (not minimal)', (s) => cert(s, { exts: exts(KU('03020008')) }), E.X509_EXTENSION);
  add('keyUsage with a non-zero unused bit', (s) => cert(s, { exts: exts(KU('03020309')) }), E.X509_EXTENSION);
  add('keyUsage unused count 8', (s) => cert(s, { exts: exts(KU('03020808')) }), E.X509_EXTENSION);
  add('keyUsage empty BIT STRING', (s) => cert(s, { exts: exts(KU('030100')) }), E.X509_EXTENSION);
  add('keyUsage of 3 bytes', (s) => cert(s, { exts: exts(KU('0304000880ff')) }), E.X509_EXTENSION);
  add('keyUsage without keyAgreement', (s) => cert(s, { exts: exts(KU('03020780')) }), E.CERT_KEY_USAGE);
  add('no keyUsage', (s) => cert(s, { exts: null }), E.CERT_KEY_USAGE);
  add('keyUsage non-critical (accepted)', (s) => cert(s, { exts: exts(KU(KU_OK, false)) }), OK);
  add('basicConstraints cA TRUE', (s) => cert(s, { exts: exts(KU(KU_OK), seq(oid(OID.basicConstraints), bool(true), octets(seq(bool(true))))) }), E.CERT_KEY_USAGE);
  add('basicConstraints cA FALSE encoded', (s) => cert(s, { exts: exts(KU(KU_OK), seq(oid(OID.basicConstraints), octets(seq(bool(false))))) }), E.X509_EXTENSION);
  add('basicConstraints pathLen non-minimal 00 01', (s) => cert(s, { exts: exts(KU(KU_OK), seq(oid(OID.basicConstraints), octets(seq(tlv(TAG.INTEGER, hex('0001')))))) }), E.DER_INTEGER);
  add('basicConstraints pathLen negative', (s) => cert(s, { exts: exts(KU(KU_OK), seq(oid(OID.basicConstraints), octets(seq(tlv(TAG.INTEGER, hex('ff')))))) }), E.DER_INTEGER);
  add('basicConstraints pathLen empty', (s) => cert(s, { exts: exts(KU(KU_OK), seq(oid(OID.basicConstraints), octets(seq(tlv(TAG.INTEGER, new Uint8Array(0)))))) }), E.DER_INTEGER);
  add('basicConstraints data after pathLen', (s) => cert(s, { exts: exts(KU(KU_OK), seq(oid(OID.basicConstraints), octets(seq(uint(1), tlv(TAG.NULL))))) }), E.DER_TRAILING);
  // size
  const padded = (s: Side, size: number) => {
    for (let k = 0; k < 600; k++) {
      for (const o of ['1.2.3.4', '1.2.3.400']) { const x = cert(s, { exts: exts(KU(KU_OK), seq(oid(o), octets(new Uint8Array(k)))) }); if (x.length === size) return x; }
    }
    throw new Error(`no certificate of ${size} bytes`);
  };
  add('certificate of 512 bytes (MAX_CERT)', (s) => padded(s, 512), OK);
  // at A a 513-byte C_B cannot even fit message 2 (cert_len 513 is in the lengths test)
  c.push({ name: 'certificate of 513 bytes', side: 'B', expect: E.X509_TOO_LARGE, run: () => certAtB(padded('B', 513)) });
  runTable('DER/X.509', c);
});

// ============ validity periods and the hello's freshness window ============

test('certificate validity edges, UTCTime/GeneralizedTime boundaries, far future; freshness window at B', () => {
  const c: Case[] = [];
  const at = (nm: string, nb: U8 | number, na: U8 | number, now: number, code: number) => {
    const val = seq(typeof nb === 'number' ? time(nb) : nb, typeof na === 'number' ? time(na) : na);
    c.push(...both(`${nm} (now ${new Date(now * 1000).toISOString()})`, (s) => cert(s, { validity: val }), code, code, { now }));
  };
  at('notBefore == now', NOW, NOW + DAY, NOW, OK);
  at('notBefore == now + 1', NOW + 1, NOW + DAY, NOW, Err.CERT_NOT_YET_VALID);
  at('notBefore == now - 1', NOW - 1, NOW + DAY, NOW, OK);
  at('notAfter == now', NOW - DAY, NOW, NOW, OK);
  at('notAfter == now - 1', NOW - DAY, NOW - 1, NOW, Err.CERT_EXPIRED);
  at('notAfter == now + 1', NOW - DAY, NOW + 1, NOW, OK);
  at('notBefore == notAfter == now', NOW, NOW, NOW, OK);
  const y2049end = Date.UTC(2049, 11, 31, 23, 59, 59) / 1000, y2050 = Date.UTC(2050, 0, 1) / 1000, y1950 = Date.UTC(1950, 0, 1) / 1000;
  at('notAfter UTCTime 491231235959Z, now at it', NOW - DAY, rawTime(TAG.UTC_TIME, '491231235959Z'), y2049end, OK);
  at('notAfter UTCTime 491231235959Z, one second later', NOW - DAY, rawTime(TAG.UTC_TIME, '491231235959Z'), y2049end + 1, Err.CERT_EXPIRED);
  at('notAfter GeneralizedTime 20500101000000Z, now at it', NOW - DAY, rawTime(TAG.GENERALIZED_TIME, '20500101000000Z'), y2050, OK);
  at('notAfter GeneralizedTime 20500101000000Z, one second later', NOW - DAY, rawTime(TAG.GENERALIZED_TIME, '20500101000000Z'), y2050 + 1, Err.CERT_EXPIRED);
  at('notBefore GeneralizedTime 20500101000000Z, one second before', rawTime(TAG.GENERALIZED_TIME, '20500101000000Z'), rawTime(TAG.GENERALIZED_TIME, '20510101000000Z'), y2050 - 1, Err.CERT_NOT_YET_VALID);
  at('notAfter UTCTime 500101000000Z is 1950, not 2050', NOW - DAY, rawTime(TAG.UTC_TIME, '500101000000Z'), NOW, Err.CERT_EXPIRED);
  at('notBefore UTCTime 500101000000Z (1950)', rawTime(TAG.UTC_TIME, '500101000000Z'), NOW + DAY, NOW, OK);
  at('notBefore UTCTime 491231235959Z is 2049: not yet valid', rawTime(TAG.UTC_TIME, '491231235959Z'), rawTime(TAG.GENERALIZED_TIME, '20600101000000Z'), NOW, Err.CERT_NOT_YET_VALID);
  at('notBefore GeneralizedTime 19491231235959Z (before UTCTime)', rawTime(TAG.GENERALIZED_TIME, '19491231235959Z'), NOW + DAY, NOW, OK);
  at('validity 1950-01-01 to 1950-01-02 (UTCTime 50)', y1950, y1950 + DAY, NOW, Err.CERT_EXPIRED);
  at('notAfter GeneralizedTime 99991231235959Z (no expiry)', NOW - DAY, rawTime(TAG.GENERALIZED_TIME, '99991231235959Z'), NOW, OK);
  at('notAfter 9999, now 2106-02-07 (u32 max)', NOW - DAY, rawTime(TAG.GENERALIZED_TIME, '99991231235959Z'), 0xffffffff, OK);
  at('notAfter 2106-02-07T06:28:15Z == u32 max', NOW - DAY, 0xffffffff, 0xffffffff, OK);
  at('notAfter 2106-02-07T06:28:14Z, now u32 max', NOW - DAY, 0xffffffff - 1, 0xffffffff, Err.CERT_EXPIRED);
  at('notBefore 2106-02-07T06:28:16Z (past u32), now u32 max', 0xffffffff + 1, rawTime(TAG.GENERALIZED_TIME, '99991231235959Z'), 0xffffffff, Err.CERT_NOT_YET_VALID);
  // freshness of the hello's timestamp at B (W = 300 s)
  const storeA = mapStore([[ID_A, CA_GOOD]]);
  for (const [d, code] of [[-300, OK], [-301, Err.STALE], [300, OK], [301, Err.STALE], [0, OK]] as [number, number][]) {
    c.push({ name: `hello time = now ${d >= 0 ? '+' : '-'} ${Math.abs(d)} s`, side: 'B', expect: code, run: () => atB(storeA, hello({ ts: NOW + d })).code });
  }
  // B's clock has milliseconds, the hello whole seconds: the window is counted in whole seconds
  for (const [d, code] of [[-300, OK], [-301, Err.STALE], [300, OK], [301, Err.STALE]] as [number, number][]) {
    c.push({ name: `hello time = now ${d >= 0 ? '+' : '-'} ${Math.abs(d)} s, B's clock 999 ms into the second`, side: 'B', expect: code, run: () => atB(storeA, hello({ ts: NOW + d }), NOW + 0.999).code });
  }
  c.push({ name: 'hello time 0', side: 'B', expect: Err.STALE, run: () => atB(storeA, hello({ ts: 0 })).code });
  c.push({ name: 'hello time 0xffffffff', side: 'B', expect: Err.STALE, run: () => atB(storeA, hello({ ts: 0xffffffff })).code });
  runTable('time', c);
});
