/**
 * X.509 v3 certificates for airshake (RFC 5280 profile, DER). Suite 1: an Ed25519 CA, and
 * end-entity certificates with X25519 subject keys (fixed-parameter, certified key agreement)
 * that the CA signs with Ed25519 (RFC 8410). Suite 2: an ECDSA P-256 CA (ecdsa-with-SHA256, no
 * parameters, RFC 5758) and end-entity certificates with id-ecPublicKey / prime256v1 keys as
 * uncompressed points (RFC 5480). Names are a single short CN, validity uses UTCTime, and the
 * only extensions are keyUsage (and basicConstraints on the CA), which keeps a server
 * certificate near 230 bytes in suite 1 and near 310 in suite 2: it crosses the air in message 2.
 */
import crypto, { type KeyObject } from 'node:crypto';
import { bits, bool, ctx, octets, oid, seq, set, time, tlv, uint, utf8, TAG } from './der.js';

export const OID = {
  ed25519: '1.3.101.112',
  x25519: '1.3.101.110',
  idEcPublicKey: '1.2.840.10045.2.1',
  prime256v1: '1.2.840.10045.3.1.7',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
} as const;

/** keyUsage bit numbers (RFC 5280 §4.2.1.3). */
export const KeyUsage = { digitalSignature: 0, keyAgreement: 4, keyCertSign: 5, cRLSign: 6 } as const;

const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_X25519 = Buffer.from('302a300506032b656e032100', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');
/** DER SPKI of a P-256 key up to the uncompressed point (RFC 5480: id-ecPublicKey, namedCurve prime256v1). */
export const SPKI_P256_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');

/** Certificate signature algorithms of the profile: Ed25519 (suite 1) and ECDSA P-256 with SHA-256 (suite 2). */
export type SigAlg = 'ed25519' | 'ecdsa-sha256';

export interface CertSpec {
  serial: Uint8Array;
  issuer: string;
  subject: string;
  notBefore: number; // Unix seconds
  notAfter: number;
  spki: Uint8Array;  // DER SubjectPublicKeyInfo
  keyUsage: number[];
  ca?: boolean;
  /** The issuer's signature algorithm; default Ed25519. */
  sigAlg?: SigAlg;
}

/** RFC 5280 keyUsage BIT STRING: bit 0 is the MSB of the first byte; minimal unused-bits count. */
function keyUsageBits(usages: number[]): Uint8Array {
  const max = Math.max(...usages);
  const bytes = new Uint8Array((max >> 3) + 1);
  for (const u of usages) bytes[u >> 3]! |= 0x80 >> (u & 7);
  const last = bytes[bytes.length - 1]!;
  let unused = 0;
  while (unused < 7 && !(last & (1 << unused))) unused++;
  return tlv(TAG.BIT_STRING, new Uint8Array([unused]), bytes);
}

const name = (cn: string) => seq(set(seq(oid(OID.commonName), utf8(cn))));
const ed25519Alg = () => seq(oid(OID.ed25519));
/** AlgorithmIdentifier of a signature algorithm: no parameters for either (RFC 8410, RFC 5758 §3.2). */
export const sigAlgId = (a: SigAlg = 'ed25519'): Uint8Array => (a === 'ed25519' ? ed25519Alg() : seq(oid(OID.ecdsaWithSha256)));
/** The signature algorithm a CA key signs with: ECDSA-SHA256 for a P-256 key, else Ed25519. */
export function sigAlgOf(caKey: KeyObject): SigAlg {
  if (caKey.asymmetricKeyType === 'ec') {
    const crv = caKey.asymmetricKeyDetails?.namedCurve;
    if (crv !== 'prime256v1') throw new Error(`EC CA key on ${crv}: only P-256 is supported`);
    return 'ecdsa-sha256';
  }
  if (caKey.asymmetricKeyType !== 'ed25519') throw new Error(`CA key of type ${caKey.asymmetricKeyType}`);
  return 'ed25519';
}

/** The DER TBSCertificate. */
export function tbsCertificate(s: CertSpec): Uint8Array {
  const exts: Uint8Array[] = [];
  if (s.ca) exts.push(seq(oid(OID.basicConstraints), bool(true), octets(seq(bool(true)))));
  exts.push(seq(oid(OID.keyUsage), bool(true), octets(keyUsageBits(s.keyUsage))));
  return seq(
    tlv(ctx(0), uint(2)), // v3
    uint(s.serial),
    sigAlgId(s.sigAlg),
    name(s.issuer),
    seq(time(s.notBefore), time(s.notAfter)),
    name(s.subject),
    s.spki,
    tlv(ctx(3), seq(...exts)),
  );
}

/**
 * Signs a TBSCertificate with the CA's key (Ed25519, or P-256 ECDSA with SHA-256 and a DER
 * ECDSA-Sig-Value) and wraps it as a Certificate. The TBS must name the same algorithm.
 */
export function signCertificate(tbs: Uint8Array, caKey: KeyObject): Uint8Array {
  const alg = sigAlgOf(caKey);
  const sig = alg === 'ed25519' ? crypto.sign(null, tbs, caKey) : crypto.sign('sha256', tbs, { key: caKey, dsaEncoding: 'der' });
  return wrapCertificate(tbs, alg, new Uint8Array(sig));
}

/** Certificate ::= SEQUENCE { tbs, signatureAlgorithm, signatureValue } around a signature made elsewhere. */
export function wrapCertificate(tbs: Uint8Array, alg: SigAlg, signature: Uint8Array): Uint8Array {
  return seq(tbs, sigAlgId(alg), bits(signature));
}

export function x25519PrivateKey(raw: Uint8Array): KeyObject {
  const der = Buffer.concat([PKCS8_X25519, raw]);
  try { return crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }); } finally { der.fill(0); }
}
export function x25519PublicKey(raw: Uint8Array): KeyObject {
  return crypto.createPublicKey({ key: Buffer.concat([SPKI_X25519, raw]), format: 'der', type: 'spki' });
}
export function ed25519PrivateKey(seed: Uint8Array): KeyObject {
  return crypto.createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
}
/**
 * The canonical encodings of the eight points of small order on edwards25519 (the torsion
 * subgroup: the identity, one point of order 2, two of order 4, four of order 8), as libsodium's
 * ge25519_has_small_order lists them; test/ca-key.test.ts recomputes the group with @noble/curves.
 */
const ED25519_SMALL_ORDER = new Set([
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
]);

/**
 * An Ed25519 public key that can serve as a CA's. RFC 8032 §5.1.3: y < p, and no sign bit on
 * x = 0 (y = 1 or p - 1): OpenSSL reduces such encodings and accepts them; the firmware refuses
 * them, and so does the host. And not of small order: with the identity as key every
 * (R = [r]B, S = r) verifies, with the other seven one message in eight. The firmware refuses
 * those at provisioning (ERR_ED25519_POINT).
 */
export function ed25519PublicKey(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new Error(`Ed25519 public key of ${raw.length} bytes`);
  let y = 0n;
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(raw[i]! & (i === 31 ? 0x7f : 0xff));
  const p = (1n << 255n) - 19n;
  if (y >= p || ((raw[31]! & 0x80) && (y === 1n || y === p - 1n))) throw new Error('non-canonical Ed25519 public key');
  if (ED25519_SMALL_ORDER.has(Buffer.from(raw).toString('hex'))) throw new Error('Ed25519 public key of small order');
  return crypto.createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' });
}
/**
 * Raw key material: of an OKP key (X25519/Ed25519) the 32 bytes, private or public; of a P-256
 * key the 32-byte private scalar, or the 65-byte uncompressed public point 04 || x || y.
 */
export function rawKey(k: KeyObject): Uint8Array {
  if (k.asymmetricKeyType === 'ec') return k.type === 'private' ? p256RawPrivate(k) : p256RawPublic(k);
  const jwk = k.export({ format: 'jwk' }) as { d?: string; x: string };
  return new Uint8Array(Buffer.from(k.type === 'private' ? jwk.d! : jwk.x, 'base64url'));
}

// ---- P-256 (suite 2) ----

/** The P-256 field prime, the curve's b and the group order n (SEC 2 §2.4.2, FIPS 186-5). */
export const P256 = {
  p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
  b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
  n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
} as const;
const big = (b: Uint8Array): bigint => (b.length ? BigInt('0x' + Buffer.from(b).toString('hex')) : 0n);
const pad32 = (b64: string): Buffer => { const b = Buffer.from(b64, 'base64url'); return b.length >= 32 ? b : Buffer.concat([Buffer.alloc(32 - b.length), b]); };

/**
 * Why a 65-byte P-256 public key is unusable, or null if it is an uncompressed point on the curve
 * with coordinates < p (SEC 1 §3.2.2.1; the identity has no affine encoding).
 */
export function p256PointProblem(raw: Uint8Array): string | null {
  if (raw.length !== 65) return `P-256 public key of ${raw.length} bytes (65 expected)`;
  if (raw[0] !== 0x04) return `P-256 public key not uncompressed (prefix 0x${raw[0]!.toString(16)})`;
  const { p, b } = P256;
  const x = big(raw.subarray(1, 33)), y = big(raw.subarray(33, 65));
  if (x >= p || y >= p) return 'P-256 public key coordinate >= p';
  if ((y * y - (x * x * x - 3n * x + b)) % p !== 0n) return 'P-256 public key not on the curve';
  return null;
}
/** A P-256 public KeyObject from its 65-byte uncompressed point; throws for a point not on the curve. */
export function p256PublicKey(raw: Uint8Array): KeyObject {
  const why = p256PointProblem(raw);
  if (why) throw new Error(why);
  return crypto.createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: Buffer.from(raw.subarray(1, 33)).toString('base64url'), y: Buffer.from(raw.subarray(33, 65)).toString('base64url') },
    format: 'jwk',
  });
}
/** A P-256 private KeyObject from its 32-byte scalar (1 <= d < n). */
export function p256PrivateKey(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new Error(`P-256 private key of ${raw.length} bytes`);
  const d = big(raw);
  if (d === 0n || d >= P256.n) throw new Error('P-256 private key out of range');
  const ecdh = crypto.createECDH('prime256v1');
  ecdh.setPrivateKey(Buffer.from(raw));
  const pub = ecdh.getPublicKey(); // 04 || x || y
  return crypto.createPrivateKey({
    key: {
      kty: 'EC', crv: 'P-256', d: Buffer.from(raw).toString('base64url'),
      x: pub.subarray(1, 33).toString('base64url'), y: pub.subarray(33, 65).toString('base64url'),
    },
    format: 'jwk',
  });
}
/** The 65-byte uncompressed point of a P-256 key (public, or the public half of a private key). */
export function p256RawPublic(k: KeyObject): Uint8Array {
  const jwk = k.export({ format: 'jwk' }) as { crv?: string; x: string; y: string };
  if (jwk.crv !== 'P-256') throw new Error(`not a P-256 key (${jwk.crv})`);
  return new Uint8Array(Buffer.concat([Buffer.from([0x04]), pad32(jwk.x), pad32(jwk.y)]));
}
/** The 32-byte private scalar of a P-256 private key. */
export function p256RawPrivate(k: KeyObject): Uint8Array {
  const jwk = k.export({ format: 'jwk' }) as { crv?: string; d?: string };
  if (jwk.crv !== 'P-256' || !jwk.d) throw new Error('not a P-256 private key');
  return new Uint8Array(pad32(jwk.d));
}
/** A fresh P-256 private scalar. */
export function p256RandomPrivate(): Uint8Array {
  return p256RawPrivate(crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
}
/** DER SPKI of a P-256 point (65 bytes, uncompressed). */
export const p256Spki = (pub: Uint8Array): Uint8Array => new Uint8Array(Buffer.concat([SPKI_P256_PREFIX, pub]));
export const spkiDer = (k: KeyObject): Uint8Array => new Uint8Array(k.export({ type: 'spki', format: 'der' }));

/** A CA: its private KeyObject, its raw public key (Ed25519: 32 bytes; P-256: the 65-byte point) and certificate. */
export interface Ca { name: string; key: KeyObject; publicKey: Uint8Array; cert: Uint8Array }
/** An end entity: raw private key (32 bytes), raw public key (X25519: 32 bytes; P-256: 65) and certificate. */
export interface Issued { name: string; privateKey: Uint8Array; publicKey: Uint8Array; cert: Uint8Array }

const DAY = 86400;

/** A self-signed Ed25519 CA (suite 1). `seed` (32 bytes) makes it deterministic. */
export function createCa(opts: { name: string; now: number; days?: number; seed?: Uint8Array; serial?: Uint8Array }): Ca {
  const seed = opts.seed ?? new Uint8Array(crypto.randomBytes(32));
  const key = ed25519PrivateKey(seed);
  const pub = crypto.createPublicKey(key);
  const tbs = tbsCertificate({
    serial: opts.serial ?? positiveSerial(), issuer: opts.name, subject: opts.name,
    notBefore: opts.now - 60, notAfter: opts.now + (opts.days ?? 3650) * DAY,
    spki: spkiDer(pub), keyUsage: [KeyUsage.keyCertSign, KeyUsage.cRLSign], ca: true,
  });
  return { name: opts.name, key, publicKey: rawKey(pub), cert: signCertificate(tbs, key) };
}

/**
 * A self-signed ECDSA P-256 CA (suite 2): ecdsa-with-SHA256, basicConstraints cA (critical),
 * keyUsage keyCertSign | cRLSign (critical). `publicKey` is the 65-byte point a handset is
 * provisioned with. `privateKey` (32 bytes) fixes the key; ECDSA signatures stay randomized.
 */
export function createCaP256(opts: { name: string; now: number; days?: number; privateKey?: Uint8Array; serial?: Uint8Array }): Ca {
  const key = p256PrivateKey(opts.privateKey ?? p256RandomPrivate());
  const pub = crypto.createPublicKey(key);
  const tbs = tbsCertificate({
    serial: opts.serial ?? positiveSerial(), issuer: opts.name, subject: opts.name,
    notBefore: opts.now - 60, notAfter: opts.now + (opts.days ?? 3650) * DAY,
    spki: p256Spki(p256RawPublic(pub)), keyUsage: [KeyUsage.keyCertSign, KeyUsage.cRLSign], ca: true, sigAlg: 'ecdsa-sha256',
  });
  return { name: opts.name, key, publicKey: p256RawPublic(pub), cert: signCertificate(tbs, key) };
}

/**
 * An end-entity certificate (handset or server) with an X25519 key for static key agreement.
 * `privateKey` (32 bytes) makes it deterministic.
 */
export function issue(ca: Ca, opts: {
  name: string; notBefore: number; notAfter: number; privateKey?: Uint8Array; serial?: Uint8Array; keyUsage?: number[];
}): Issued {
  const priv = x25519PrivateKey(opts.privateKey ?? new Uint8Array(crypto.randomBytes(32)));
  const pub = crypto.createPublicKey(priv);
  const tbs = tbsCertificate({
    serial: opts.serial ?? positiveSerial(), issuer: ca.name, subject: opts.name,
    notBefore: opts.notBefore, notAfter: opts.notAfter, spki: spkiDer(pub),
    keyUsage: opts.keyUsage ?? [KeyUsage.keyAgreement], sigAlg: sigAlgOf(ca.key),
  });
  return { name: opts.name, privateKey: rawKey(priv), publicKey: rawKey(pub), cert: signCertificate(tbs, ca.key) };
}

/**
 * An end-entity certificate with a P-256 key for static key agreement (suite 2): id-ecPublicKey
 * on prime256v1, the uncompressed point, keyUsage keyAgreement (critical). The CA is normally a
 * P-256 one (createCaP256); any CA signs with its own algorithm. `privateKey` is the 32-byte
 * scalar; the result's `publicKey` is the 65-byte point.
 */
export function issueP256(ca: Ca, opts: {
  name: string; notBefore: number; notAfter: number; privateKey?: Uint8Array; serial?: Uint8Array; keyUsage?: number[];
}): Issued {
  const priv = p256PrivateKey(opts.privateKey ?? p256RandomPrivate());
  const pub = p256RawPublic(priv);
  const tbs = tbsCertificate({
    serial: opts.serial ?? positiveSerial(), issuer: ca.name, subject: opts.name,
    notBefore: opts.notBefore, notAfter: opts.notAfter, spki: p256Spki(pub),
    keyUsage: opts.keyUsage ?? [KeyUsage.keyAgreement], sigAlg: sigAlgOf(ca.key),
  });
  return { name: opts.name, privateKey: p256RawPrivate(priv), publicKey: pub, cert: signCertificate(tbs, ca.key) };
}

/** 8 random bytes, top bit clear and first byte non-zero: a positive, minimal DER INTEGER. */
export function positiveSerial(): Uint8Array {
  const s = new Uint8Array(crypto.randomBytes(8));
  s[0] = (s[0]! & 0x7f) | 0x01;
  return s;
}
