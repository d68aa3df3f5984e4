/**
 * Server B's checks of a handset certificate C_A (docs/PROTOCOL.md §B's work): the firmware's
 * strict DER/X.509 profile (host/pki/x509.ts, same codes), the signature of the suite's CA
 * (Ed25519 for suite 1, ECDSA P-256 with SHA-256 for suite 2; OpenSSL, node:crypto
 * X509Certificate), the validity period, the key type for the suite, the key usage, that the key
 * hashes to ID_A (for the certificate ID_A names), and for suite 2 that the point is on the curve.
 */
import crypto, { type KeyObject } from 'node:crypto';
import { KeyUsage, P256, p256PointProblem, p256PublicKey, x25519PublicKey } from '../pki/cert.js';
import { Err } from '../protocol/constants.js';
import { idOfSpki } from '../pki/id.js';
import { parseCertificate, X509Error, type ParsedCert } from '../pki/x509.js';

export interface ValidatedCert {
  der: Uint8Array;
  publicKey: KeyObject;   // X25519 (suite 1) or P-256 (suite 2)
  notBefore: number;      // Unix seconds
  notAfter: number;
  subject: string;
  /** The suite the certificate was validated for (1 when absent). */
  suite?: number;
  /** The suites the handset had certificates for when B looked it up (B's cache uses it to pick a suite). */
  handsetSuites?: number[];
}

export type Validation = { ok: true; cert: ValidatedCert } | { ok: false; code: number; reason: string };

/** The signature algorithm of each suite's CA. */
const SUITE_SIG_ALG: Record<number, ParsedCert['sigAlg']> = { 1: 'ed25519', 2: 'ecdsa-sha256' };

/**
 * Which suite a certificate's key is for, read leniently (node's parser): 1 for X25519, 2 for
 * an EC key (its curve and encoding are checked when it is validated), null for anything else
 * or an unparsable certificate. B uses it to pick the suite among a handset's certificates; the
 * strict checks come after, in validateHandsetCert.
 */
export function certSuite(der: Uint8Array): number | null {
  try {
    const t = new crypto.X509Certificate(der).publicKey.asymmetricKeyType;
    return t === 'x25519' ? 1 : t === 'ec' ? 2 : null;
  } catch {
    return null;
  }
}

/** ECDSA r and s in [1, n-1] (FIPS 186-5); OpenSSL checks this too, B does not rely on it. */
function ecdsaRangeOk(sig: NonNullable<ParsedCert['ecdsa']>): boolean {
  const v = (b: Uint8Array) => (b.length ? BigInt('0x' + Buffer.from(b).toString('hex')) : 0n);
  const r = v(sig.r), s = v(sig.s);
  return r >= 1n && r < P256.n && s >= 1n && s < P256.n;
}

/**
 * Validates C_A at time `nowSec` for `suite` against that suite's CA key (Ed25519 for suite 1,
 * P-256 for suite 2). `idA` is checked (SHA-256(SPKI)[0..8] = ID_A) when given: B passes it for
 * the certificate ID_A names, and null for another certificate of the same handset.
 */
export function validateHandsetCert(der: Uint8Array, idA: Uint8Array | null, ca: KeyObject, nowSec: number, suite = 1): Validation {
  // The firmware's strict profile first, with its codes: OpenSSL (signature) accepts BER and more.
  let parsed: ParsedCert;
  try {
    parsed = parseCertificate(der);
  } catch (e) {
    if (e instanceof X509Error) return { ok: false, code: e.code, reason: `certificate: ${e.message}` };
    throw e;
  }
  let x: crypto.X509Certificate;
  try {
    x = new crypto.X509Certificate(der);
  } catch (e) {
    return { ok: false, code: Err.DECODE, reason: `unparsable certificate: ${(e as Error).message}` };
  }
  const want = SUITE_SIG_ALG[suite];
  if (!want) return { ok: false, code: Err.NO_COMMON_SUITE, reason: `suite ${suite} is not supported` };
  if (parsed.sigAlg !== want) return { ok: false, code: Err.CERT_SIGNATURE, reason: `signed with ${parsed.sigAlg}, suite ${suite} needs ${want}` };
  if (want === 'ecdsa-sha256' && !ecdsaRangeOk(parsed.ecdsa!)) return { ok: false, code: Err.CERT_SIGNATURE, reason: 'ECDSA r or s outside [1, n-1]' };
  let signed = false;
  try { signed = x.verify(ca); } catch { signed = false; }
  if (!signed) return { ok: false, code: Err.CERT_SIGNATURE, reason: 'not signed by the trusted CA' };
  const { notBefore, notAfter } = parsed;
  if (nowSec < notBefore) return { ok: false, code: Err.CERT_NOT_YET_VALID, reason: `valid from ${x.validFrom}` };
  if (nowSec > notAfter) return { ok: false, code: Err.CERT_EXPIRED, reason: `expired ${x.validTo}` };
  const key = suite === 1 ? parsed.x25519Key : parsed.p256Key;
  if (!key) return { ok: false, code: Err.CERT_KEY_TYPE, reason: suite === 1 ? 'not an X25519 key (RFC 8410, no parameters)' : 'not a P-256 key (id-ecPublicKey, prime256v1)' };
  const ku = parsed.keyUsage ?? -1;
  if (ku < 0 || !(ku & (1 << KeyUsage.keyAgreement))) return { ok: false, code: Err.CERT_KEY_USAGE, reason: 'keyUsage lacks keyAgreement' };
  if (parsed.isCa) return { ok: false, code: Err.CERT_KEY_USAGE, reason: 'a CA certificate' };
  // ID_A = SHA-256(SPKI)[0..8], over the SPKI as the certificate encodes it (the profile admits one encoding per key)
  if (idA && !Buffer.from(idOfSpki(parsed.spki)).equals(Buffer.from(idA))) return { ok: false, code: Err.CERT_ID_MISMATCH, reason: 'key does not hash to ID_A' };
  let publicKey: KeyObject;
  if (suite === 1) publicKey = x25519PublicKey(key);
  else {
    // Reported as such to the operator; the alert says HANDSHAKE_FAILED (docs/PROTOCOL.md §Key schedule).
    const why = p256PointProblem(key);
    if (why) return { ok: false, code: Err.P256_POINT, reason: why };
    publicKey = p256PublicKey(key);
  }
  return { ok: true, cert: { der, publicKey, notBefore, notAfter, subject: x.subject, suite } };
}

/** SHA-256(SPKI)[0..8] of a certificate as the strict parser reads it, or null if it does not parse. */
export function strictCertId(der: Uint8Array): Uint8Array | null {
  try { return idOfSpki(parseCertificate(der).spki); } catch { return null; }
}
