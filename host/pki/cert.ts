/**
 * X.509 v3 certificates for airshake (RFC 5280 profile, DER): an Ed25519 CA, and end-entity
 * certificates with X25519 subject keys (fixed-parameter, certified key agreement) that the CA
 * signs with Ed25519 (RFC 8410). Names are a single short CN, validity uses UTCTime, and the
 * only extensions are keyUsage (and basicConstraints on the CA), which keeps a server
 * certificate near 230 bytes: it crosses the air in message 2.
 */
import crypto, { type KeyObject } from 'node:crypto';
import { bits, bool, ctx, octets, oid, seq, set, time, tlv, uint, utf8, TAG } from './der.js';

export const OID = {
  ed25519: '1.3.101.112',
  x25519: '1.3.101.110',
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

export interface CertSpec {
  serial: Uint8Array;
  issuer: string;
  subject: string;
  notBefore: number; // Unix seconds
  notAfter: number;
  spki: Uint8Array;  // DER SubjectPublicKeyInfo
  keyUsage: number[];
  ca?: boolean;
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

/** The DER TBSCertificate. */
export function tbsCertificate(s: CertSpec): Uint8Array {
  const exts: Uint8Array[] = [];
  if (s.ca) exts.push(seq(oid(OID.basicConstraints), bool(true), octets(seq(bool(true)))));
  exts.push(seq(oid(OID.keyUsage), bool(true), octets(keyUsageBits(s.keyUsage))));
  return seq(
    tlv(ctx(0), uint(2)), // v3
    uint(s.serial),
    ed25519Alg(),
    name(s.issuer),
    seq(time(s.notBefore), time(s.notAfter)),
    name(s.subject),
    s.spki,
    tlv(ctx(3), seq(...exts)),
  );
}

/** Signs a TBSCertificate with the CA's Ed25519 key and wraps it as a Certificate. */
export function signCertificate(tbs: Uint8Array, caKey: KeyObject): Uint8Array {
  const sig = crypto.sign(null, tbs, caKey);
  return seq(tbs, ed25519Alg(), bits(new Uint8Array(sig)));
}

export function x25519PrivateKey(raw: Uint8Array): KeyObject {
  return crypto.createPrivateKey({ key: Buffer.concat([PKCS8_X25519, raw]), format: 'der', type: 'pkcs8' });
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
/** Raw 32-byte key material of an OKP key (X25519/Ed25519), private or public. */
export function rawKey(k: KeyObject): Uint8Array {
  const jwk = k.export({ format: 'jwk' }) as { d?: string; x: string };
  return new Uint8Array(Buffer.from(k.type === 'private' ? jwk.d! : jwk.x, 'base64url'));
}
export const spkiDer = (k: KeyObject): Uint8Array => new Uint8Array(k.export({ type: 'spki', format: 'der' }));

export interface Ca { name: string; key: KeyObject; publicKey: Uint8Array; cert: Uint8Array }
export interface Issued { name: string; privateKey: Uint8Array; publicKey: Uint8Array; cert: Uint8Array }

const DAY = 86400;

/** A self-signed Ed25519 CA. `seed` (32 bytes) makes it deterministic. */
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
    keyUsage: opts.keyUsage ?? [KeyUsage.keyAgreement],
  });
  return { name: opts.name, privateKey: rawKey(priv), publicKey: rawKey(pub), cert: signCertificate(tbs, ca.key) };
}

/** 8 random bytes, top bit clear and first byte non-zero: a positive, minimal DER INTEGER. */
export function positiveSerial(): Uint8Array {
  const s = new Uint8Array(crypto.randomBytes(8));
  s[0] = (s[0]! & 0x7f) | 0x01;
  return s;
}
