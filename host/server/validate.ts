/**
 * Server B's checks of a handset certificate C_A (docs/PROTOCOL.md §B's work): the firmware's
 * strict DER/X.509 profile (host/pki/x509.ts, same codes), the CA's signature (OpenSSL, node:crypto
 * X509Certificate), the validity period, the key type for the suite, the key usage, and that the
 * key hashes to ID_A.
 */
import crypto, { type KeyObject } from 'node:crypto';
import { KeyUsage, x25519PublicKey } from '../pki/cert.js';
import { Err } from '../protocol/constants.js';
import { ID_LENGTH } from '../pki/id.js';
import { parseCertificate, X509Error, type ParsedCert } from '../pki/x509.js';

const SPKI_X25519_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

export interface ValidatedCert {
  der: Uint8Array;
  publicKey: KeyObject;   // X25519
  notBefore: number;      // Unix seconds
  notAfter: number;
  subject: string;
}

export type Validation = { ok: true; cert: ValidatedCert } | { ok: false; code: number; reason: string };

/** Validates C_A for `idA` at time `nowSec` against the CA key (Ed25519). */
export function validateHandsetCert(der: Uint8Array, idA: Uint8Array, ca: KeyObject, nowSec: number): Validation {
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
  if (!x.verify(ca)) return { ok: false, code: Err.CERT_SIGNATURE, reason: 'not signed by the trusted CA' };
  const { notBefore, notAfter } = parsed;
  if (nowSec < notBefore) return { ok: false, code: Err.CERT_NOT_YET_VALID, reason: `valid from ${x.validFrom}` };
  if (nowSec > notAfter) return { ok: false, code: Err.CERT_EXPIRED, reason: `expired ${x.validTo}` };
  if (!parsed.x25519Key) return { ok: false, code: Err.CERT_KEY_TYPE, reason: 'not an X25519 key (RFC 8410, no parameters)' };
  const ku = parsed.keyUsage ?? -1;
  if (ku < 0 || !(ku & (1 << KeyUsage.keyAgreement))) return { ok: false, code: Err.CERT_KEY_USAGE, reason: 'keyUsage lacks keyAgreement' };
  if (parsed.isCa) return { ok: false, code: Err.CERT_KEY_USAGE, reason: 'a CA certificate' };
  // ID_A = SHA-256(SPKI)[0..8]; for an X25519 key without parameters the SPKI is prefix || key
  const spki = Buffer.concat([SPKI_X25519_PREFIX, parsed.x25519Key]);
  const id = crypto.createHash('sha256').update(spki).digest().subarray(0, ID_LENGTH);
  if (!id.equals(Buffer.from(idA))) return { ok: false, code: Err.CERT_ID_MISMATCH, reason: 'key does not hash to ID_A' };
  return { ok: true, cert: { der, publicKey: x25519PublicKey(parsed.x25519Key), notBefore, notAfter, subject: x.subject } };
}
