// Suite 2 (P256-ECDSA-AES128CCM8-SHA256) at server B, against an independent test-only client on
// node:crypto that follows docs/PROTOCOL.md (createECDH('prime256v1'), aes-128-ccm with 8-byte
// tags, hkdfSync): the handshake and records both ways, suite choice by B's preference and the
// handset's certificates, the certificate verdicts, record tampering, the store's handset groups
// and B's cache, and 50 random handshakes in which client and server agree.
import test from 'node:test';
import assert from 'node:assert/strict';
import crypto, { type KeyObject } from 'node:crypto';
import { createDeployment, type Deployment } from '../host/sim/deployment.js';
import { AirshakeServer, type ServerEvent } from '../host/server/server.js';
import {
  createCaP256, issue, issueP256, p256PrivateKey, p256PublicKey, p256Spki, signCertificate, tbsCertificate, KeyUsage,
  ed25519PublicKey, x25519PrivateKey, positiveSerial,
} from '../host/pki/cert.js';
import { certId, idOfSpki, p256Id, x25519Id } from '../host/pki/id.js';
import { Err, MAX_APP } from '../host/protocol/constants.js';
import type { CertStore, StoredCert } from '../host/store/types.js';
import { CertCache } from '../host/store/cache.js';
import type { ValidatedCert } from '../host/server/validate.js';

const EPOCH = 1_796_083_200; // 2026-12-01T00:00:00Z
const NOW_MS = EPOCH * 1000;
const DAY = 86400;
type U8 = Uint8Array;
const cat = (...a: (U8 | number[])[]) => new Uint8Array(Buffer.concat(a.map((x) => Buffer.from(x))));
const sha256 = (...a: U8[]) => { const h = crypto.createHash('sha256'); for (const x of a) h.update(x); return new Uint8Array(h.digest()); };
const hex = (u: U8) => Buffer.from(u).toString('hex');

// ------------------------------------------------------------------ the test client (handset A)

const SIZES: Record<number, { key: number; iv: number; tag: number; cipher: string }> = {
  1: { key: 32, iv: 12, tag: 16, cipher: 'chacha20-poly1305' },
  2: { key: 16, iv: 13, tag: 8, cipher: 'aes-128-ccm' },
};
interface ClientKeys { 1?: { priv: U8; pub: U8 }; 2?: { priv: U8; pub: U8 } }
interface Derived { z: U8; macB: U8; macA: U8; kAB: U8; ivAB: U8; kBA: U8; ivBA: U8 }

/** HKDF-Expand(HKDF-Extract(salt, Z), label || th, n), with node's HKDF (not the server's). */
const hkdf = (z: U8, salt: U8, label: string, th: U8, n: number) =>
  new Uint8Array(crypto.hkdfSync('sha256', z, salt, cat(Buffer.from(label, 'ascii'), th), n));

function nonce(iv: U8, seq: bigint): Buffer {
  const n = Buffer.from(iv);
  const s = Buffer.alloc(8); s.writeBigUInt64BE(seq);
  for (let i = 0; i < 8; i++) n[n.length - 8 + i]! ^= s[i]!;
  return n;
}
function seal(suite: number, key: U8, iv: U8, seq: bigint, pt: U8): { recLen: number; body: U8 } {
  const z = SIZES[suite]!;
  const recLen = pt.length + z.tag;
  const c = crypto.createCipheriv(z.cipher as crypto.CipherCCMTypes, key, nonce(iv, seq), { authTagLength: z.tag });
  c.setAAD(Buffer.from([0x17, recLen >> 8, recLen & 255]), { plaintextLength: pt.length });
  return { recLen, body: cat(c.update(pt), c.final(), c.getAuthTag()) };
}
function open(suite: number, key: U8, iv: U8, seq: bigint, rec: U8): U8 | null {
  const z = SIZES[suite]!;
  const recLen = (rec[1]! << 8) | rec[2]!;
  if (rec[0] !== 0x17 || rec.length !== 3 + recLen || recLen < z.tag) return null;
  const d = crypto.createDecipheriv(z.cipher as crypto.CipherCCMTypes, key, nonce(iv, seq), { authTagLength: z.tag });
  d.setAuthTag(rec.subarray(rec.length - z.tag));
  d.setAAD(rec.subarray(0, 3), { plaintextLength: recLen - z.tag });
  try { return cat(d.update(rec.subarray(3, rec.length - z.tag)), d.final()); } catch { return null; }
}

class Client {
  m1!: U8;
  randomA = new Uint8Array(crypto.randomBytes(16));
  suite = 0;
  d?: Derived;
  seqAB = 0n; seqBA = 0n;
  constructor(readonly o: { offer: number[]; keys: ClientKeys; caKeys: { 1?: U8; 2?: U8 }; serverName: string; id?: U8; ts?: number }) {}

  /** ID_A: of A's key for the first suite of its offer (or as given). */
  get id(): U8 {
    if (this.o.id) return this.o.id;
    const first = this.o.offer[0]!;
    return first === 2 ? p256Id(this.o.keys[2]!.pub) : x25519Id(this.o.keys[1]!.pub);
  }
  hello(): U8 {
    const ts = this.o.ts ?? EPOCH;
    this.m1 = cat([0x01, 0x01, this.o.offer.length], this.o.offer, this.randomA, [ts >>> 24, (ts >>> 16) & 255, (ts >>> 8) & 255, ts & 255], this.id);
    return this.m1;
  }
  /** Checks message 2 as A does; returns message 3 carrying `app`, or throws with the reason. */
  finish(m2: U8, app: U8): U8 {
    if (m2[0] === 0x15) throw new Error(`alert 0x${m2[1]!.toString(16)}`);
    assert.equal(m2[0], 0x02);
    const suite = m2[1]!;
    assert.ok(this.o.offer.includes(suite), `suite ${suite} not offered`);
    const randomB = m2.subarray(2, 18);
    const certLen = (m2[18]! << 8) | m2[19]!;
    assert.ok(certLen <= 512);
    assert.equal(m2.length, 36 + certLen);
    const cb = m2.subarray(20, 20 + certLen);
    const x = new crypto.X509Certificate(cb);
    const caRaw = this.o.caKeys[suite as 1 | 2]!;
    const ca: KeyObject = suite === 2 ? p256PublicKey(caRaw) : ed25519PublicKey(caRaw);
    assert.ok(x.verify(ca), 'C_B signed by the suite CA');
    assert.equal(x.subject, `CN=${this.o.serverName}`);
    const now = EPOCH * 1000;
    assert.ok(Date.parse(x.validFrom) <= now && now <= Date.parse(x.validTo));
    let z: U8;
    if (suite === 2) {
      assert.equal(x.publicKey.asymmetricKeyType, 'ec');
      assert.equal(x.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
      const jwk = x.publicKey.export({ format: 'jwk' }) as { x: string; y: string };
      const pkB = cat([4], Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url'));
      assert.equal(pkB.length, 65);
      const ecdh = crypto.createECDH('prime256v1');
      ecdh.setPrivateKey(Buffer.from(this.o.keys[2]!.priv));
      z = new Uint8Array(ecdh.computeSecret(Buffer.from(pkB))); // the x-coordinate
    } else {
      assert.equal(x.publicKey.asymmetricKeyType, 'x25519');
      z = new Uint8Array(crypto.diffieHellman({ privateKey: x25519PrivateKey(this.o.keys[1]!.priv), publicKey: x.publicKey }));
    }
    assert.equal(z.length, 32);
    const salt = cat(this.randomA, randomB);
    const th2 = sha256(this.m1, m2.subarray(0, m2.length - 16));
    const macB = hkdf(z, salt, 'airshake1 mac_b', th2, 16);
    assert.equal(hex(m2.subarray(m2.length - 16)), hex(macB), 'MAC_B');
    const th3 = sha256(this.m1, m2);
    const sz = SIZES[suite]!;
    this.suite = suite;
    this.d = {
      z, macB, macA: hkdf(z, salt, 'airshake1 mac_a', th3, 16),
      kAB: hkdf(z, salt, 'airshake1 key_ab', th3, sz.key), ivAB: hkdf(z, salt, 'airshake1 iv_ab', th3, sz.iv),
      kBA: hkdf(z, salt, 'airshake1 key_ba', th3, sz.key), ivBA: hkdf(z, salt, 'airshake1 iv_ba', th3, sz.iv),
    };
    const r = seal(suite, this.d.kAB, this.d.ivAB, this.seqAB++, app);
    return cat([0x03], this.d.macA, [r.recLen >> 8, r.recLen & 255], r.body);
  }
  record(app: U8): U8 {
    const r = seal(this.suite, this.d!.kAB, this.d!.ivAB, this.seqAB++, app);
    return cat([0x17, r.recLen >> 8, r.recLen & 255], r.body);
  }
  openRecord(rec: U8): U8 | null { return open(this.suite, this.d!.kBA, this.d!.ivBA, this.seqBA++, rec); }
}

// ------------------------------------------------------------------ rig

interface Run { out: U8[]; events: ServerEvent[]; fails: number[]; app: U8[]; session: ReturnType<AirshakeServer['connect']> }
function rig(server: AirshakeServer, events: ServerEvent[], app: U8[]): Run {
  const out: U8[] = [];
  const session = server.connect((m) => out.push(m));
  return { out, events, app, session, get fails() { return events.filter((e) => e.type === 'failed' && e.session === session.id).map((e) => (e as { code: number }).code); } };
}
/** B's answer to application data: 'echo: ' and the data, cut to one record. */
const echoOf = (d: U8) => cat(Buffer.from('echo: '), d).subarray(0, MAX_APP);
function server(dep: Deployment, extra: Parameters<Deployment['makeServer']>[1] = {}) {
  const events: ServerEvent[] = [];
  const app: U8[] = [];
  const s = dep.makeServer(() => NOW_MS, { onEvent: (e) => events.push(e), onApplicationData: (d) => { app.push(d); return echoOf(d); }, ...extra });
  return { s, events, app, open: () => rig(s, events, app) };
}
const keysOf = (h: Deployment['handsets'][number]): ClientKeys => ({
  1: { priv: h.privateKey, pub: h.publicKey }, ...(h.p256 ? { 2: { priv: h.p256.privateKey, pub: h.p256.publicKey } } : {}),
});
const clientFor = (dep: Deployment, i: number, offer: number[], o: { id?: U8 } = {}) =>
  new Client({ offer, keys: keysOf(dep.handsets[i]!), caKeys: { 1: dep.ca.publicKey, 2: dep.caP256?.publicKey }, serverName: dep.serverName, ...o });

/** Runs a handshake; returns the client, the run and message 3 (or the failure). */
function handshake(srv: ReturnType<typeof server>, c: Client, app: U8 = new TextEncoder().encode('hello from A')) {
  const r = srv.open();
  r.session.receive(c.hello());
  if (r.fails.length) return { ok: false as const, code: r.fails[0]!, alert: r.out[0], r, c };
  const m2 = r.out[0]!;
  const m3 = c.finish(m2, app);
  r.session.receive(m3);
  if (r.fails.length) return { ok: false as const, code: r.fails[0]!, alert: r.out.at(-1), r, c, m2, m3 };
  return { ok: true as const, r, c, m2, m3 };
}

let dep: Deployment;
test.before(() => { dep = createDeployment({ now: EPOCH, handsets: 6, suites: [1, 2] }); });
test.after(() => dep.close());

// ------------------------------------------------------------------ tests

test('deployment with suites [1, 2]: P-256 CA, C_B under 512 bytes, each handset enrolled with both certificates', () => {
  assert.deepEqual(dep.suites, [1, 2]);
  assert.equal(dep.caP256!.publicKey.length, 65);
  const cb = dep.serverP256!.cert;
  assert.ok(cb.length < 512, `P-256 C_B is ${cb.length} bytes`);
  const h = dep.handsets[0]!;
  assert.equal(h.p256!.publicKey.length, 65);
  assert.equal(h.p256!.privateKey.length, 32);
  assert.equal(hex(h.p256!.id), hex(p256Id(h.p256!.publicKey)));
  assert.equal(new crypto.X509Certificate(h.p256!.cert).subject, new crypto.X509Certificate(h.cert).subject);
  // the store finds both by either ID, the named one first
  const a = dep.store.lookupHandset(h.id), b = dep.store.lookupHandset(h.p256!.id);
  assert.deepEqual(a.map((c) => hex(c.id)), [hex(h.id), hex(h.p256!.id)]);
  assert.deepEqual(b.map((c) => hex(c.id)), [hex(h.p256!.id), hex(h.id)]);
  assert.equal(a[0]!.handset, a[1]!.handset);
  assert.notEqual(dep.store.lookupHandset(dep.handsets[1]!.id)[0]!.handset, a[0]!.handset);
  assert.deepEqual(dep.store.lookupHandset(new Uint8Array(8)), []);
});

test('a full suite-2 handshake: B prefers [2, 1], A offers [1, 2] (ID_A of its suite-1 certificate); records both ways with 8-byte tags', () => {
  const srv = server(dep, { suites: [2, 1] });
  const c = clientFor(dep, 0, [1, 2]);
  const app = new TextEncoder().encode('reading 42');
  const h = handshake(srv, c, app);
  assert.equal(h.ok, true, JSON.stringify(srv.events));
  assert.equal(c.suite, 2);
  assert.equal(h.m2![1], 2);
  assert.deepEqual(srv.events.find((e) => e.type === 'established'), { type: 'established', session: h.r.session.id, idA: hex(c.id), suite: 2, cacheHit: false });
  // C_B is B's P-256 certificate
  assert.equal(hex(h.m2!.subarray(20, h.m2!.length - 16)), hex(dep.serverP256!.cert));
  // message 3: type, MAC_A, rec_len = |app| + 8, ciphertext, 8-byte tag
  assert.equal(h.m3!.length, 1 + 16 + 2 + app.length + 8);
  assert.equal((h.m3![17]! << 8) | h.m3![18]!, app.length + 8);
  assert.equal(hex(srv.app[0]!), hex(app));
  // B's echo: a record with an 8-byte tag
  const echo = h.r.out[1]!;
  assert.equal(echo.length, 3 + 'echo: '.length + app.length + 8);
  assert.equal(new TextDecoder().decode(c.openRecord(echo)!), 'echo: reading 42');
  // more records both ways, sequence numbers moving on
  for (let i = 0; i < 20; i++) {
    const m = new Uint8Array(crypto.randomBytes(i * 25));
    h.r.session.receive(c.record(m));
    assert.equal(hex(srv.app.at(-1)!), hex(m));
    const back: U8 = h.r.out.at(-1)!;
    assert.equal(back.length, 3 + 6 + m.length + 8);
    assert.equal(hex(c.openRecord(back)!), hex(cat(Buffer.from('echo: '), m)));
  }
  // the largest record: 512 + 8
  h.r.session.receive(c.record(new Uint8Array(MAX_APP)));
  assert.equal(srv.app.at(-1)!.length, MAX_APP);
  assert.deepEqual(h.r.fails, []);
});

test('ID_A naming the suite-2 certificate while offering [2, 1] works, whichever suite B prefers', () => {
  for (const [pref, want] of [[[2, 1], 2], [[1, 2], 1], [[2], 2], [[1], 1]] as const) {
    const srv = server(dep, { suites: [...pref] });
    const c = clientFor(dep, 1, [2, 1]);
    assert.equal(hex(c.id), hex(dep.handsets[1]!.p256!.id));
    const h = handshake(srv, c);
    assert.equal(h.ok, true, `B prefers ${pref}: ${JSON.stringify(srv.events)}`);
    assert.equal(c.suite, want);
    assert.equal(new TextDecoder().decode(c.openRecord(h.r.out[1]!)!), 'echo: hello from A');
  }
});

test("B's preference [1, 2] with A offering [1, 2] picks suite 1 (16-byte tags); the default preference is suite 1 first", () => {
  for (const extra of [{ suites: [1, 2] }, {}]) {
    const srv = server(dep, extra);
    assert.deepEqual(srv.s.opts.suites, [1, 2]);
    const c = clientFor(dep, 2, [1, 2]);
    const h = handshake(srv, c);
    assert.equal(h.ok, true, JSON.stringify(srv.events));
    assert.equal(c.suite, 1);
    assert.equal(h.m3!.length, 1 + 16 + 2 + 'hello from A'.length + 16);
    assert.equal(hex(h.m2!.subarray(20, h.m2!.length - 16)), hex(dep.server.cert));
  }
});

test('A offering only [2]: a handset enrolled with only a suite-1 certificate gets ERR_NO_COMMON_SUITE (alert generic), a suite-1-only B too (alert precise)', () => {
  const only1 = issue(dep.ca, { name: 'handset-only1', notBefore: EPOCH - DAY, notAfter: EPOCH + DAY });
  dep.store.enrol(only1.cert, EPOCH);
  const srv = server(dep, { suites: [2, 1] });
  const c = new Client({ offer: [2], keys: { 1: { priv: only1.privateKey, pub: only1.publicKey } }, caKeys: {}, serverName: dep.serverName, id: certId(only1.cert) });
  const h = handshake(srv, c);
  assert.equal(h.ok, false);
  assert.equal(h.code, Err.NO_COMMON_SUITE);
  // which IDs exist (and what they hold) is not for an eavesdropper: the alert is generic
  assert.deepEqual(h.alert, new Uint8Array([0x15, Err.HANDSHAKE_FAILED]));
  // the same handset offering [2, 1] gets suite 1
  const c2 = new Client({ offer: [2, 1], keys: { 1: { priv: only1.privateKey, pub: only1.publicKey } }, caKeys: { 1: dep.ca.publicKey }, serverName: dep.serverName, id: certId(only1.cert) });
  const h2 = handshake(srv, c2);
  assert.equal(h2.ok, true, JSON.stringify(srv.events));
  assert.equal(c2.suite, 1);
  // B without suite 2: no common suite before any lookup, with the precise alert
  const srv1 = server(dep, { suites: [1] });
  const h3 = handshake(srv1, clientFor(dep, 0, [2]));
  assert.equal(h3.code, Err.NO_COMMON_SUITE);
  assert.deepEqual(h3.alert, new Uint8Array([0x15, Err.NO_COMMON_SUITE]));
  assert.equal(srv1.s.stats.storeLookups, 0);
});

/** One handset of a P-256 certificate `der` (and its key), enrolled alone; returns B's verdict for a hello offering `offer`. */
function verdictFor(der: U8, priv: U8, pub: U8, o: { offer?: number[]; pref?: number[]; id?: U8; store?: CertStore } = {}) {
  const events: ServerEvent[] = [];
  const s = o.store
    ? new AirshakeServer({
      store: o.store, caPublicKey: dep.ca.publicKey, certificate: dep.server.cert, privateKey: dep.server.privateKey,
      identities: { 2: { certificate: dep.serverP256!.cert, privateKey: dep.serverP256!.privateKey } }, caKeys: { 2: dep.caP256!.publicKey },
      suites: o.pref ?? [2, 1], now: () => NOW_MS, onEvent: (e) => events.push(e), onApplicationData: (d) => d,
    })
    : dep.makeServer(() => NOW_MS, { suites: o.pref ?? [2, 1], onEvent: (e) => events.push(e), onApplicationData: (d) => d });
  if (!o.store) dep.store.enrol(der, EPOCH);
  const srv = { s, events, app: [] as U8[], open: () => rig(s, events, []) };
  const c = new Client({ offer: o.offer ?? [2], keys: { 2: { priv, pub } }, caKeys: { 2: dep.caP256!.publicKey }, serverName: dep.serverName, id: o.id ?? p256Id(pub) });
  return handshake(srv, c);
}

test('suite-2 C_A verdicts: signed by the Ed25519 CA or another P-256 CA → ERR_CERT_SIGNATURE; a P-384 key → ERR_CERT_KEY_TYPE; alerts generic', () => {
  const valid = { notBefore: EPOCH - DAY, notAfter: EPOCH + DAY };
  // a P-256 key certified by suite 1's Ed25519 CA
  const byEd = issueP256(dep.ca, { name: 'handset-ed', ...valid });
  let h = verdictFor(byEd.cert, byEd.privateKey, byEd.publicKey);
  assert.equal(h.code, Err.CERT_SIGNATURE);
  assert.deepEqual(h.alert, new Uint8Array([0x15, Err.HANDSHAKE_FAILED]));
  // by a rogue P-256 CA
  const rogue = createCaP256({ name: 'airshake CA P-256', now: EPOCH });
  const byRogue = issueP256(rogue, { name: 'handset-rogue', ...valid });
  h = verdictFor(byRogue.cert, byRogue.privateKey, byRogue.publicKey);
  assert.equal(h.code, Err.CERT_SIGNATURE);
  // a P-384 key under the right CA: not the suite's key type
  const p384 = crypto.generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
  const spki384 = new Uint8Array(p384.publicKey.export({ type: 'spki', format: 'der' }));
  const tbs = tbsCertificate({ serial: positiveSerial(), issuer: dep.caP256!.name, subject: 'handset-p384', ...valid, spki: spki384, keyUsage: [KeyUsage.keyAgreement], sigAlg: 'ecdsa-sha256' });
  const c384 = signCertificate(tbs, dep.caP256!.key);
  const any = issueP256(dep.caP256!, { name: 'x', ...valid }); // a key for the client; B fails first
  h = verdictFor(c384, any.privateKey, any.publicKey, { id: idOfSpki(spki384) });
  assert.equal(h.code, Err.CERT_KEY_TYPE);
  // an X25519 key certified by the P-256 CA, with B choosing suite 1 for it: Ed25519 signature expected
  const xByP = issue(dep.caP256!, { name: 'handset-xp', ...valid });
  dep.store.enrol(xByP.cert, EPOCH);
  const srv = server(dep, { suites: [2, 1] });
  const hx = handshake(srv, new Client({ offer: [2, 1], keys: { 1: { priv: xByP.privateKey, pub: xByP.publicKey } }, caKeys: { 1: dep.ca.publicKey }, serverName: dep.serverName, id: certId(xByP.cert) }));
  assert.equal(hx.code, Err.CERT_SIGNATURE);
  // keyUsage without keyAgreement, expired
  const noKa = issueP256(dep.caP256!, { name: 'handset-noka', ...valid, keyUsage: [KeyUsage.digitalSignature] });
  assert.equal(verdictFor(noKa.cert, noKa.privateKey, noKa.publicKey).code, Err.CERT_KEY_USAGE);
  const old = issueP256(dep.caP256!, { name: 'handset-old', notBefore: EPOCH - 3 * DAY, notAfter: EPOCH - DAY });
  assert.equal(verdictFor(old.cert, old.privateKey, old.publicKey).code, Err.CERT_EXPIRED);
});

test('a C_A point not on P-256 fails at B (ERR_P256_POINT to the operator, ERR_HANDSHAKE_FAILED to A); B refuses a P-256 CA key off the curve', () => {
  const good = issueP256(dep.caP256!, { name: 'handset-pt', notBefore: EPOCH - DAY, notAfter: EPOCH + DAY });
  const bad = new Uint8Array(good.publicKey); bad[64]! ^= 1;
  const tbs = tbsCertificate({ serial: positiveSerial(), issuer: dep.caP256!.name, subject: 'handset-pt', notBefore: EPOCH - DAY, notAfter: EPOCH + DAY, spki: p256Spki(bad), keyUsage: [KeyUsage.keyAgreement], sigAlg: 'ecdsa-sha256' });
  const der = signCertificate(tbs, dep.caP256!.key);
  const id = p256Id(bad);
  const store = { lookup: (i: U8): StoredCert | null => (hex(i) === hex(id) ? { id: i, der, subject: '', notBefore: 0, notAfter: 0, enrolledAt: 0, revokedAt: null, revocationReason: null } : null) } as unknown as CertStore;
  const h = verdictFor(der, good.privateKey, good.publicKey, { id, store });
  assert.equal(h.code, Err.P256_POINT);
  assert.deepEqual(h.alert, new Uint8Array([0x15, Err.HANDSHAKE_FAILED]));
  const opts = { store, identities: { 2: { certificate: dep.serverP256!.cert, privateKey: dep.serverP256!.privateKey } }, now: () => NOW_MS };
  assert.throws(() => new AirshakeServer({ ...opts, caKeys: { 2: bad } }), /not on the curve/);
  assert.throws(() => new AirshakeServer({ ...opts, caKeys: { 2: dep.caP256!.publicKey.subarray(0, 33) } }), /65/);
  assert.throws(() => new AirshakeServer({ ...opts, caKeys: { 1: dep.ca.publicKey } }), /suite 2 .*needs|no suite/);
  assert.doesNotThrow(() => new AirshakeServer({ ...opts, caKeys: { 2: dep.caP256!.publicKey } }));
});

test('ID_A and subject: the certificate ID_A names must hash to ID_A and share the chosen one\'s subject (ERR_CERT_ID_MISMATCH)', () => {
  const h0 = dep.handsets[0]!, h1 = dep.handsets[1]!;
  const row = (der: U8, id: U8): StoredCert => ({ id, der, subject: '', notBefore: 0, notAfter: 0, enrolledAt: 0, revokedAt: null, revocationReason: null });
  const groupStore = (sets: Map<string, U8[]>) => ({
    lookup: (i: U8) => { const s = sets.get(hex(i)); return s ? row(s[0]!, i) : null; },
    lookupHandset: (i: U8) => (sets.get(hex(i)) ?? []).map((d) => row(d, i)),
  }) as unknown as CertStore;
  // ID_A of handset 0's suite-1 key, but the "named" certificate is handset 1's suite-1 one
  let v = verdictFor(h0.p256!.cert, h0.p256!.privateKey, h0.p256!.publicKey, { offer: [1, 2], id: h0.id, store: groupStore(new Map([[hex(h0.id), [h1.cert, h0.p256!.cert]]])) });
  assert.equal(v.code, Err.CERT_ID_MISMATCH);
  // the named certificate is right but the suite-2 one has another subject
  v = verdictFor(h1.p256!.cert, h1.p256!.privateKey, h1.p256!.publicKey, { offer: [1, 2], id: h0.id, store: groupStore(new Map([[hex(h0.id), [h0.cert, h1.p256!.cert]]])) });
  assert.equal(v.code, Err.CERT_ID_MISMATCH);
  // both right: suite 2
  v = verdictFor(h0.p256!.cert, h0.p256!.privateKey, h0.p256!.publicKey, { offer: [1, 2], id: h0.id, store: groupStore(new Map([[hex(h0.id), [h0.cert, h0.p256!.cert]]])) });
  assert.equal(v.ok, true);
});

test('tampered AES-CCM records: message 3 (tag, ciphertext, rec_len) → ERR_RECORD or a length code; a later record → ERR_RECORD', () => {
  const srv = server(dep, { suites: [2, 1] });
  const flip = (m: U8, i: number) => { const x = new Uint8Array(m); x[i]! ^= 0x01; return x; };
  for (const where of ['tag', 'ciphertext']) {
    const c = clientFor(dep, 3, [2]);
    const r = srv.open();
    r.session.receive(c.hello());
    const m3 = c.finish(r.out[0]!, new TextEncoder().encode('secret'));
    r.session.receive(flip(m3, where === 'tag' ? m3.length - 1 : 19));
    assert.deepEqual(r.fails, [Err.RECORD], where);
    assert.deepEqual(r.out.at(-1), new Uint8Array([0x15, Err.RECORD]));
  }
  // a 16-byte tag where 8 are due: rec_len and length disagree with the 8-byte tag's record
  {
    const c = clientFor(dep, 3, [2]);
    const r = srv.open();
    r.session.receive(c.hello());
    const m3 = c.finish(r.out[0]!, new TextEncoder().encode('secret'));
    const recLen = ((m3[17]! << 8) | m3[18]!) + 8;
    r.session.receive(cat(m3.subarray(0, 17), [recLen >> 8, recLen & 255], m3.subarray(19), new Uint8Array(8)));
    assert.deepEqual(r.fails, [Err.RECORD]);
  }
  // shortest message 3: rec_len 8 (empty application data) is fine; rec_len 7 is ERR_DECODE
  {
    const c = clientFor(dep, 3, [2]);
    const r = srv.open();
    r.session.receive(c.hello());
    const m3 = c.finish(r.out[0]!, new Uint8Array(0));
    assert.equal(m3.length, 1 + 16 + 2 + 8);
    r.session.receive(m3);
    assert.deepEqual(r.fails, []);
    assert.equal(srv.app.at(-1)!.length, 0);
    r.session.receive(flip(c.record(new TextEncoder().encode('later')), 5));
    assert.deepEqual(r.fails, [Err.RECORD]);
  }
  {
    const c = clientFor(dep, 3, [2]);
    const r = srv.open();
    r.session.receive(c.hello());
    const m3 = c.finish(r.out[0]!, new Uint8Array(0));
    r.session.receive(cat(m3.subarray(0, 17), [0, 7], m3.subarray(19, 26)));
    assert.deepEqual(r.fails, [Err.DECODE]);
  }
  // rec_len beyond 512 + 8
  {
    const c = clientFor(dep, 3, [2]);
    const r = srv.open();
    r.session.receive(c.hello());
    const m3 = c.finish(r.out[0]!, new Uint8Array(MAX_APP + 1));
    r.session.receive(m3);
    assert.deepEqual(r.fails, [Err.RECORD_OVERFLOW]);
  }
});

test("B's cache holds the handset's entry per (ID_A, suite); revoking the suite-2 certificate purges it and B refuses with ERR_REVOKED", () => {
  const d = createDeployment({ now: EPOCH, handsets: 2, suites: [1, 2] });
  try {
    const srv = server(d, { suites: [2, 1] });
    const h = d.handsets[0]!;
    const run = (offer: number[]) => handshake(srv, new Client({ offer, keys: keysOf(h), caKeys: { 1: d.ca.publicKey, 2: d.caP256!.publicKey }, serverName: d.serverName }));
    assert.equal(run([1, 2]).ok, true);
    assert.equal(srv.s.stats.storeLookups, 1);
    assert.equal(run([1, 2]).ok, true);
    assert.equal(srv.s.stats.cacheHits, 1, 'second hello from the cache');
    assert.equal(srv.s.stats.storeLookups, 1);
    // the same ID offering only [1]: another entry (suite 1), from the store
    const r1 = run([1]);
    assert.equal(r1.ok, true);
    assert.equal(r1.c.suite, 1);
    assert.equal(srv.s.stats.storeLookups, 2);
    assert.equal(d.cache.size, 2);
    // revoke the P-256 certificate: the entry keyed by the suite-1 ID goes at once
    d.store.revoke(h.p256!.id, 'key lost', EPOCH);
    assert.equal(d.cache.size, 1);
    const r = run([1, 2]);
    assert.equal(r.code, Err.REVOKED);
    assert.deepEqual(r.alert, new Uint8Array([0x15, Err.HANDSHAKE_FAILED]));
    // suite 1 alone still works (per-certificate revocation), from the cache
    assert.equal(run([1]).ok, true);
    // a handset whose suite-2 certificate is not cached yet: B does not settle for the cached suite 1
    const h2 = d.handsets[1]!;
    const c1 = new Client({ offer: [1], keys: keysOf(h2), caKeys: { 1: d.ca.publicKey }, serverName: d.serverName });
    assert.equal(handshake(srv, c1).ok, true);
    const c2 = new Client({ offer: [1, 2], keys: keysOf(h2), caKeys: { 1: d.ca.publicKey, 2: d.caP256!.publicKey }, serverName: d.serverName });
    assert.equal(handshake(srv, c2).ok, true);
    assert.equal(c2.suite, 2);
  } finally { d.close(); }
});

test('a cache shared with a plain CertStore (lookup only) still serves suite 2 for the certificate ID_A names', () => {
  const h = dep.handsets[4]!;
  const plain = { lookup: (i: U8) => dep.store.lookup(i), revocationSeq: () => 0, revocationsSince: () => [], onRevoke: () => () => {} } as unknown as CertStore;
  const cache = new CertCache<ValidatedCert>(plain, { capacity: 10, ttlMs: 1e9, now: () => NOW_MS });
  const events: ServerEvent[] = [];
  const s = new AirshakeServer({
    store: plain, cache, identities: { 2: { certificate: dep.serverP256!.cert, privateKey: dep.serverP256!.privateKey } }, caKeys: { 2: dep.caP256!.publicKey },
    now: () => NOW_MS, onEvent: (e) => events.push(e), onApplicationData: (d) => d,
  });
  assert.deepEqual(s.opts.suites, [2]);
  const srv = { s, events, app: [] as U8[], open: () => rig(s, events, []) };
  for (let i = 0; i < 2; i++) assert.equal(handshake(srv, clientFor(dep, 4, [2])).ok, true);
  assert.equal(s.stats.cacheHits, 1);
  assert.equal(hex(clientFor(dep, 4, [2]).id), hex(h.p256!.id));
  cache.close();
});

test('random differential: 50 handshakes with random offers, preferences, handsets and data; client and server agree', () => {
  let seed = 0x5eed2;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const offers = [[1], [2], [1, 2], [2, 1]];
  const prefs = [[1], [2], [1, 2], [2, 1]];
  const servers = prefs.map((p) => server(dep, { suites: p }));
  let done = 0;
  for (let k = 0; k < 50; k++) {
    const pi = rnd(prefs.length), oi = rnd(offers.length), hi = rnd(dep.handsets.length);
    const pref = prefs[pi]!, offer = offers[oi]!;
    const srv = servers[pi]!;
    const c = clientFor(dep, hi, offer);
    const app = new Uint8Array(crypto.randomBytes(rnd(MAX_APP + 1)));
    const want = pref.find((x) => offer.includes(x));
    const h = handshake(srv, c, app);
    if (want === undefined) { assert.equal(h.code, Err.NO_COMMON_SUITE, `${k}`); continue; }
    assert.equal(h.ok, true, `${k}: offer ${offer}, pref ${pref}: ${JSON.stringify(srv.events.filter((e) => e.type === 'failed'))}`);
    assert.equal(c.suite, want);
    assert.equal(hex(srv.app.at(-1)!), hex(app));
    assert.equal(hex(c.openRecord(h.r.out[1]!)!), hex(echoOf(app)));
    const more = new Uint8Array(crypto.randomBytes(rnd(64)));
    h.r.session.receive(c.record(more));
    assert.equal(hex(c.openRecord(h.r.out.at(-1)!)!), hex(echoOf(more)));
    // Z agrees with the other side's computation from B's key
    const zB = want === 2
      ? crypto.diffieHellman({ privateKey: p256PrivateKey(dep.serverP256!.privateKey), publicKey: p256PublicKey(dep.handsets[hi]!.p256!.publicKey) })
      : crypto.diffieHellman({ privateKey: x25519PrivateKey(dep.server.privateKey), publicKey: new crypto.X509Certificate(dep.handsets[hi]!.cert).publicKey });
    assert.equal(hex(c.d!.z), zB.toString('hex'));
    done++;
  }
  assert.ok(done >= 30, `${done} completed`);
});
