// The PKI makes real X.509: OpenSSL reads and verifies it, and the `airshake pki` commands
// create a CA, issue, enrol, revoke and list against a SQLite store file.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import crypto from 'node:crypto';
import {
  createCa, createCaP256, issue, issueP256, p256PrivateKey, p256PublicKey, p256RawPrivate, p256RawPublic, p256Spki, rawKey,
  tbsCertificate, KeyUsage, positiveSerial, OID,
} from '../host/pki/cert.js';
import { bits, oid, seq, tlv, TAG } from '../host/pki/der.js';
import { certId, idOfSpki, p256Id } from '../host/pki/id.js';
import { readCa, readP256Key, readX25519Key, writeCa, writeIssued } from '../host/pki/files.js';
import { parseCertificate, X509Error } from '../host/pki/x509.js';
import { Err } from '../host/protocol/constants.js';
import { SqliteCertStore } from '../host/store/sqlite.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(root, 'dist/host/cli.js');
const run = (...args: string[]) => execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

test('openssl x509 reads the certificates and verifies the chain; keys are X25519 under an Ed25519 CA', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'airshake-pki-'));
  try {
    const now = Math.floor(Date.now() / 1000);
    const ca = createCa({ name: 'airshake CA', now });
    const b = issue(ca, { name: 'b.airshake', notBefore: now - 60, notAfter: now + 86400 });
    writeFileSync(path.join(dir, 'ca.der'), ca.cert);
    writeFileSync(path.join(dir, 'b.der'), b.cert);
    const text = execFileSync('openssl', ['x509', '-inform', 'der', '-in', path.join(dir, 'b.der'), '-noout', '-text'], { encoding: 'utf8' });
    assert.match(text, /Signature Algorithm: ED25519/);
    assert.match(text, /Public Key Algorithm: X25519/);
    assert.match(text, /Subject: CN ?= ?b\.airshake/);
    assert.match(text, /Key Usage: critical\s+Key Agreement/);
    for (const f of ['ca', 'b']) execFileSync('openssl', ['x509', '-inform', 'der', '-in', path.join(dir, `${f}.der`), '-out', path.join(dir, `${f}.pem`)]);
    const v = execFileSync('openssl', ['verify', '-CAfile', path.join(dir, 'ca.pem'), path.join(dir, 'b.pem')], { encoding: 'utf8' });
    assert.match(v, /: OK/);
    assert.ok(b.cert.length < 260, `server certificate is ${b.cert.length} bytes; it crosses the air`);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('airshake pki: ca, issue, enrol, list, revoke; enrolment refuses a colliding ID', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'airshake-cli-'));
  try {
    const store = path.join(dir, 'certs.db');
    assert.match(run('pki', 'ca', '--dir', dir, '--name', 'test CA'), /CA "test CA"/);
    const out = run('pki', 'issue', '--dir', dir, '--name', 'handset-0042');
    const id = /ID_A ([0-9a-f]{16})/.exec(out)![1]!;
    assert.match(run('pki', 'enrol', '--store', store, path.join(dir, 'handset-0042.der')), new RegExp(`as ${id}`));
    assert.match(run('pki', 'list', '--store', store), new RegExp(`${id}\\s+CN=handset-0042`));
    // the same key in a second certificate (new serial) has the same ID: refused
    const again = issue(readCa(dir), { name: 'handset-0042', notBefore: 0, notAfter: 2e9, privateKey: readX25519Key(path.join(dir, 'handset-0042.key.pem')) });
    writeFileSync(path.join(dir, 'again.der'), again.cert);
    assert.equal(Buffer.from(certId(again.cert)).toString('hex'), id);
    assert.throws(() => run('pki', 'enrol', '--store', store, path.join(dir, 'again.der')), /collid|already/i);
    // the CA's own certificate (an Ed25519 key, CA:TRUE) is not a handset certificate
    assert.throws(() => run('pki', 'enrol', '--store', store, path.join(dir, 'ca.der')), /not a handset certificate/);
    assert.match(run('pki', 'revoke', '--store', store, '--id', id, '--reason', 'stolen'), /revoked/);
    assert.match(run('pki', 'list', '--store', store), /REVOKED .*\(stolen\)/);
    assert.throws(() => run('pki', 'revoke', '--store', store, '--id', 'zz'), /16 hex digits/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('airshake pki --suite p256: a P-256 CA beside the Ed25519 one, a handset with a certificate per suite enrolled as one handset', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'airshake-cli-'));
  try {
    const store = path.join(dir, 'certs.db');
    assert.match(run('pki', 'ca', '--dir', dir), /Ed25519 public key [0-9a-f]{64}$/m);
    assert.match(run('pki', 'ca', '--dir', dir, '--suite', 'p256'), /ca-p256\.der.*P-256 \(ECDSA\) public key 04[0-9a-f]{128}$/m);
    assert.throws(() => run('pki', 'ca', '--dir', dir, '--suite', 'p256'), /already holds a CA/);
    const id1 = /ID_A ([0-9a-f]{16})/.exec(run('pki', 'issue', '--dir', dir, '--name', 'handset-0007'))![1]!;
    const id2 = /ID_A ([0-9a-f]{16})/.exec(run('pki', 'issue', '--dir', dir, '--name', 'handset-0007', '--suite', 'p256'))![1]!;
    assert.notEqual(id1, id2);
    // openssl: the suite-2 certificate chains to the P-256 CA and carries a prime256v1 key
    const text = execFileSync('openssl', ['x509', '-inform', 'der', '-in', path.join(dir, 'handset-0007.p256.der'), '-noout', '-text'], { encoding: 'utf8' });
    assert.match(text, /ecdsa-with-SHA256/);
    assert.match(text, /prime256v1/);
    const out = run('pki', 'enrol', '--store', store, path.join(dir, 'handset-0007.der'), path.join(dir, 'handset-0007.p256.der'));
    assert.match(out, new RegExp(`as ${id1} \\(one handset of 2 certificates\\)`));
    assert.match(out, new RegExp(`as ${id2} \\(one handset of 2 certificates\\)`));
    const s = SqliteCertStore.open(store);
    try {
      for (const id of [id1, id2]) {
        assert.deepEqual(s.lookupHandset(new Uint8Array(Buffer.from(id, 'hex'))).map((c) => Buffer.from(c.id).toString('hex')).sort(), [id1, id2].sort());
      }
    } finally { s.close(); }
    assert.throws(() => run('pki', 'enrol', '--store', store, path.join(dir, 'ca-p256.der')), /not a handset certificate/);
    assert.throws(() => run('pki', 'issue', '--dir', dir, '--name', 'x', '--suite', 'rsa'), /--suite must be x25519 or p256/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('certId is SHA-256 over the SPKI, first 8 bytes', () => {
  const now = Math.floor(Date.now() / 1000);
  const ca = createCa({ name: 'x', now });
  const a = issue(ca, { name: 'a', notBefore: now, notAfter: now + 10 });
  const spki = Buffer.concat([Buffer.from('302a300506032b656e032100', 'hex'), a.publicKey]);
  const want = execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: spki }).subarray(0, 8);
  assert.equal(Buffer.from(certId(a.cert)).toString('hex'), want.toString('hex'));
});

// ---- suite 2: P-256 ----

test('P-256: openssl reads and verifies the ECDSA CA and the id-ecPublicKey certificates; C_B fits message 2', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'airshake-pki-p256-'));
  try {
    const now = Math.floor(Date.now() / 1000);
    const ca = createCaP256({ name: 'airshake CA P-256', now });
    const b = issueP256(ca, { name: 'b.airshake', notBefore: now - 60, notAfter: now + 86400 });
    const a = issueP256(ca, { name: 'handset-0001', notBefore: now - 60, notAfter: now + 86400 });
    writeFileSync(path.join(dir, 'ca.der'), ca.cert);
    writeFileSync(path.join(dir, 'b.der'), b.cert);
    writeFileSync(path.join(dir, 'a.der'), a.cert);
    const text = execFileSync('openssl', ['x509', '-inform', 'der', '-in', path.join(dir, 'b.der'), '-noout', '-text'], { encoding: 'utf8' });
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
    assert.match(text, /Public Key Algorithm: id-ecPublicKey/);
    assert.match(text, /ASN1 OID: prime256v1/);
    assert.match(text, /Subject: CN ?= ?b\.airshake/);
    assert.match(text, /Key Usage: critical\s+Key Agreement/);
    const caText = execFileSync('openssl', ['x509', '-inform', 'der', '-in', path.join(dir, 'ca.der'), '-noout', '-text'], { encoding: 'utf8' });
    assert.match(caText, /Basic Constraints: critical\s+CA:TRUE/);
    assert.match(caText, /Key Usage: critical\s+Certificate Sign, CRL Sign/);
    for (const f of ['ca', 'b', 'a']) execFileSync('openssl', ['x509', '-inform', 'der', '-in', path.join(dir, `${f}.der`), '-out', path.join(dir, `${f}.pem`)]);
    const v = execFileSync('openssl', ['verify', '-CAfile', path.join(dir, 'ca.pem'), path.join(dir, 'b.pem'), path.join(dir, 'a.pem')], { encoding: 'utf8' });
    assert.equal(v.match(/: OK/g)?.length, 2);
    // message 2 carries at most 512 bytes of C_B; the P-256 profile's is about 316
    assert.ok(b.cert.length < 330, `P-256 server certificate is ${b.cert.length} bytes`);
    // node agrees on the key and the signature
    const x = new crypto.X509Certificate(b.cert);
    assert.ok(x.verify(p256PublicKey(ca.publicKey)));
    assert.equal(Buffer.from(p256RawPublic(x.publicKey)).toString('hex'), Buffer.from(b.publicKey).toString('hex'));
    assert.equal(Buffer.from(certId(b.cert)).toString('hex'), Buffer.from(p256Id(b.publicKey)).toString('hex'));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('P-256 raw keys: 32-byte scalar and 65-byte point round-trip through KeyObjects; bad points and scalars are refused', () => {
  const k = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const d = p256RawPrivate(k.privateKey), q = p256RawPublic(k.publicKey);
  assert.equal(d.length, 32);
  assert.equal(q.length, 65);
  assert.equal(q[0], 4);
  assert.deepEqual(p256RawPublic(p256PrivateKey(d)), q);
  assert.deepEqual(rawKey(p256PrivateKey(d)), d);
  assert.deepEqual(rawKey(p256PublicKey(q)), q);
  const ecdh = crypto.createECDH('prime256v1'); ecdh.setPrivateKey(Buffer.from(d));
  assert.deepEqual(new Uint8Array(ecdh.getPublicKey()), q);
  const off = new Uint8Array(q); off[64]! ^= 1;
  assert.throws(() => p256PublicKey(off), /not on the curve/);
  assert.throws(() => p256PublicKey(q.subarray(0, 64)), /65/);
  const compressed = new Uint8Array(q); compressed[0] = 2;
  assert.throws(() => p256PublicKey(compressed), /uncompressed/);
  const bigX = new Uint8Array(q); bigX.fill(0xff, 1, 33);
  assert.throws(() => p256PublicKey(bigX), />= p/);
  assert.throws(() => p256PrivateKey(new Uint8Array(32)), /range/);
  assert.throws(() => p256PrivateKey(new Uint8Array(32).fill(0xff)), /range/);
  // ID of a P-256 key: SHA-256 over the RFC 5480 SPKI
  const spki = new Uint8Array(k.publicKey.export({ type: 'spki', format: 'der' }));
  assert.deepEqual(p256Spki(q), spki);
  assert.deepEqual(p256Id(q), idOfSpki(spki));
});

test('the strict parser reads the P-256 profile and refuses its departures with the firmware codes', () => {
  const now = 1_796_083_200;
  const ca = createCaP256({ name: 'airshake CA P-256', now });
  const a = issueP256(ca, { name: 'handset-0001', notBefore: now - 60, notAfter: now + 86400 });
  const p = parseCertificate(a.cert);
  assert.equal(p.sigAlg, 'ecdsa-sha256');
  assert.deepEqual(p.p256Key, a.publicKey);
  assert.equal(p.x25519Key, null);
  assert.deepEqual(p.spki, p256Spki(a.publicKey));
  assert.equal(new TextDecoder().decode(p.cn), 'handset-0001');
  assert.equal(p.keyUsage, 1 << KeyUsage.keyAgreement);
  assert.ok(p.ecdsa && p.ecdsa.r.length >= 1 && p.ecdsa.r.length <= 33);
  const pc = parseCertificate(ca.cert);
  assert.equal(pc.isCa, true);
  assert.equal(pc.p256Key!.length, 65);
  // suite 1 still parses, with its algorithm named
  const ed = createCa({ name: 'airshake CA', now });
  assert.equal(parseCertificate(issue(ed, { name: 'x', notBefore: now, notAfter: now + 1 }).cert).sigAlg, 'ed25519');

  const code = (der: Uint8Array) => { try { parseCertificate(der); return 0; } catch (e) { assert.ok(e instanceof X509Error, String(e)); return e.code; } };
  const spec = { serial: positiveSerial(), issuer: ca.name, subject: 'handset-0001', notBefore: now - 60, notAfter: now + 86400, keyUsage: [KeyUsage.keyAgreement], sigAlg: 'ecdsa-sha256' as const };
  const tbs = tbsCertificate({ ...spec, spki: p256Spki(a.publicKey) });
  const sigDer = new Uint8Array(crypto.sign('sha256', tbs, { key: ca.key, dsaEncoding: 'der' }));
  const ecdsaAlg = seq(oid(OID.ecdsaWithSha256));
  const cert = (o: { tbs?: Uint8Array; alg?: Uint8Array; sig?: Uint8Array; sigBits?: Uint8Array } = {}) => seq(o.tbs ?? tbs, o.alg ?? ecdsaAlg, o.sigBits ?? bits(o.sig ?? sigDer));
  assert.equal(code(cert()), 0);
  // r and s of the signature as DER INTEGER contents
  const rs = (() => { const q = parseCertificate(cert()).ecdsa!; return { r: q.r, s: q.s }; })();
  const int = (b: Uint8Array) => tlv(TAG.INTEGER, b);
  // algorithms
  assert.equal(code(cert({ alg: seq(oid(OID.ecdsaWithSha256), tlv(TAG.NULL)) })), Err.X509_ALGORITHM, 'ecdsa-with-SHA256 with NULL parameters');
  assert.equal(code(cert({ alg: seq(oid(OID.ed25519)) })), Err.X509_ALGORITHM, 'outer Ed25519, inner ECDSA');
  assert.equal(code(cert({ alg: seq(oid('1.2.840.10045.4.3.3')) })), Err.X509_ALGORITHM, 'ecdsa-with-SHA384');
  assert.equal(code(cert({ tbs: tbsCertificate({ ...spec, sigAlg: 'ed25519', spki: p256Spki(a.publicKey) }) })), Err.X509_ALGORITHM, 'inner Ed25519, outer ECDSA');
  // the ECDSA-Sig-Value
  assert.equal(code(cert({ sigBits: tlv(TAG.BIT_STRING, new Uint8Array([1]), sigDer) })), Err.X509_ALGORITHM, 'unused bits');
  assert.equal(code(cert({ sig: new Uint8Array(Buffer.concat([sigDer, Buffer.from([0])])) })), Err.DER_TRAILING, 'byte after the SEQUENCE');
  assert.equal(code(cert({ sig: seq(int(rs.r), int(rs.s), int(new Uint8Array([1]))) })), Err.DER_TRAILING, 'three INTEGERs');
  assert.equal(code(cert({ sig: seq(int(rs.r)) })), Err.DER_TRUNCATED, 'one INTEGER');
  assert.equal(code(cert({ sig: seq(int(new Uint8Array([0, 0x01, 0x02])), int(rs.s)) })), Err.DER_INTEGER, 'r with a superfluous leading zero');
  assert.equal(code(cert({ sig: seq(int(new Uint8Array([0x80, 1])), int(rs.s)) })), Err.DER_INTEGER, 'negative r');
  assert.equal(code(cert({ sig: seq(int(new Uint8Array(0)), int(rs.s)) })), Err.DER_INTEGER, 'empty r');
  assert.equal(code(cert({ sig: seq(int(rs.r), int(new Uint8Array([0, 0, 1]))) })), Err.DER_INTEGER, 'non-minimal s');
  assert.equal(code(cert({ sig: seq(int(new Uint8Array([0, ...new Uint8Array(33).fill(0xff)])), int(rs.s)) })), Err.X509_ALGORITHM, 'r of 34 bytes');
  assert.equal(code(cert({ sig: tlv(TAG.SET, int(rs.r), int(rs.s)) })), Err.DER_TAG, 'SET instead of SEQUENCE');
  assert.equal(code(cert({ sig: seq(tlv(TAG.OCTET_STRING, rs.r), int(rs.s)) })), Err.DER_TAG, 'r as OCTET STRING');
  assert.equal(code(cert({ sig: new Uint8Array([0x30, 0x80, ...int(rs.r), ...int(rs.s), 0, 0]) })), Err.DER_INDEFINITE, 'indefinite length');
  // zero r and s parse (a DER INTEGER); the range [1, n-1] is the signature check's
  assert.equal(code(cert({ sig: seq(int(new Uint8Array([0])), int(new Uint8Array([0]))) })), 0);
  // the subject key
  const withSpki = (spki: Uint8Array) => cert({ tbs: tbsCertificate({ ...spec, spki }) });
  const ecAlg = seq(oid(OID.idEcPublicKey), oid(OID.prime256v1));
  assert.equal(code(withSpki(seq(ecAlg, bits(a.publicKey.subarray(0, 64))))), Err.X509_SPKI, 'point of 64 bytes');
  assert.equal(code(withSpki(seq(ecAlg, bits(new Uint8Array([2, ...a.publicKey.subarray(1, 33)]))))), Err.X509_SPKI, 'compressed point');
  assert.equal(code(withSpki(seq(ecAlg, bits(new Uint8Array([5, ...a.publicKey.subarray(1)]))))), Err.X509_SPKI, 'prefix 05');
  assert.equal(code(withSpki(seq(ecAlg, tlv(TAG.BIT_STRING, new Uint8Array([1]), a.publicKey)))), Err.X509_SPKI, 'unused bits');
  // another curve, or explicit parameters: parses, but is no P-256 key (ERR_CERT_KEY_TYPE at validation)
  const p384 = new Uint8Array(crypto.generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ type: 'spki', format: 'der' }));
  const q384 = parseCertificate(withSpki(p384));
  assert.equal(q384.p256Key, null);
  assert.equal(q384.x25519Key, null);
  assert.equal(parseCertificate(withSpki(seq(seq(oid(OID.idEcPublicKey)), bits(a.publicKey)))).p256Key, null);
  // an off-curve point parses (the key agreement refuses it)
  const off = new Uint8Array(a.publicKey); off[64]! ^= 1;
  assert.deepEqual(parseCertificate(withSpki(p256Spki(off))).p256Key, off);
});

test('PKI files for suite 2: ca-p256 and NAME.p256 beside suite 1, read back', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'airshake-files-p256-'));
  try {
    const now = Math.floor(Date.now() / 1000);
    const ca1 = writeCa(dir, 'airshake CA', now);
    const ca2 = writeCa(dir, 'airshake CA P-256', now, 3650, 2);
    assert.throws(() => writeCa(dir, 'again', now, 3650, 2), /already holds a CA/);
    assert.equal(readCa(dir).publicKey.length, 32);
    const back = readCa(dir, 2);
    assert.deepEqual(back.publicKey, ca2.publicKey);
    assert.equal(back.name, 'airshake CA P-256');
    const h1 = writeIssued(dir, ca1, 'handset-0007', { now });
    const h2 = writeIssued(dir, back, 'handset-0007', { now, suite: 2 });
    assert.notEqual(h1.certFile, h2.certFile);
    assert.equal(h2.publicKey.length, 65);
    assert.deepEqual(readP256Key(h2.keyFile), h2.privateKey);
    assert.deepEqual(readX25519Key(h1.keyFile), h1.privateKey);
    assert.deepEqual(h2.id, p256Id(h2.publicKey));
    execFileSync('openssl', ['pkey', '-in', h2.keyFile, '-noout']);
    const x = new crypto.X509Certificate(h2.cert);
    assert.ok(x.verify(p256PublicKey(ca2.publicKey)));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
