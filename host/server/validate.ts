/**
 * Server B's checks of a handset certificate C_A (docs/PROTOCOL.md §B's work): the CA's
 * signature, the validity period, the key usage, the key type for the suite, and that the key
 * hashes to ID_A. Parsing is OpenSSL's (node:crypto X509Certificate); keyUsage and
 * basicConstraints are read with the strict DER reader of host/pki/der.ts.
 */
import crypto, { type KeyObject } from 'node:crypto';
import { children, content, oidText, read, type Element } from '../pki/der.js';
import { OID, KeyUsage } from '../pki/cert.js';
import { Err } from '../protocol/constants.js';
import { ID_LENGTH } from '../pki/id.js';

export interface ValidatedCert {
  der: Uint8Array;
  publicKey: KeyObject;   // X25519
  notBefore: number;      // Unix seconds
  notAfter: number;
  subject: string;
}

export type Validation = { ok: true; cert: ValidatedCert } | { ok: false; code: number; reason: string };

function extensions(der: Uint8Array): Map<string, { value: Element; critical: boolean }> {
  const cert = read(der);
  const tbs = children(cert)[0]!;
  const out = new Map<string, { value: Element; critical: boolean }>();
  for (const e of children(tbs)) {
    if (e.tag !== 0xa3) continue;
    for (const ext of children(children(e)[0]!)) {
      const parts = children(ext);
      const id = oidText(parts[0]!);
      if (out.has(id)) throw new Error(`duplicate extension ${id}`);
      const critical = parts.length === 3 && parts[1]!.tag === 0x01 && content(parts[1]!)[0] === 0xff;
      out.set(id, { value: parts[parts.length - 1]!, critical });
    }
  }
  return out;
}

/** keyUsage flags; throws on a malformed BIT STRING (RFC 5280 §4.2.1.3, DER: unused bits zero). */
function keyUsageBits(ext: Element): number {
  const bs = read(content(ext));
  const b = content(bs);
  if (bs.tag !== 0x03 || b.length < 2 || b.length > 3 || b[0]! > 7) throw new Error('malformed keyUsage');
  if (b[0]! > 0 && (b[b.length - 1]! & ((1 << b[0]!) - 1)) !== 0) throw new Error('keyUsage: unused bits not zero');
  let flags = 0;
  for (let i = 1; i < b.length; i++) for (let k = 0; k < 8; k++) if (b[i]! & (0x80 >> k)) flags |= 1 << ((i - 1) * 8 + k);
  return flags;
}

/** Validates C_A for `idA` at time `nowSec` against the CA key (Ed25519). */
export function validateHandsetCert(der: Uint8Array, idA: Uint8Array, ca: KeyObject, nowSec: number): Validation {
  let x: crypto.X509Certificate;
  try {
    x = new crypto.X509Certificate(der);
  } catch (e) {
    return { ok: false, code: Err.DECODE, reason: `unparsable certificate: ${(e as Error).message}` };
  }
  if (!x.verify(ca)) return { ok: false, code: Err.CERT_SIGNATURE, reason: 'not signed by the trusted CA' };
  const notBefore = Math.floor(Date.parse(x.validFrom) / 1000);
  const notAfter = Math.floor(Date.parse(x.validTo) / 1000);
  if (!Number.isFinite(notBefore) || !Number.isFinite(notAfter)) return { ok: false, code: Err.X509_TIME, reason: 'unreadable validity dates' };
  if (nowSec < notBefore) return { ok: false, code: Err.CERT_NOT_YET_VALID, reason: `valid from ${x.validFrom}` };
  if (nowSec > notAfter) return { ok: false, code: Err.CERT_EXPIRED, reason: `expired ${x.validTo}` };
  const pub = x.publicKey;
  if (pub.asymmetricKeyType !== 'x25519') return { ok: false, code: Err.CERT_KEY_TYPE, reason: `key type ${pub.asymmetricKeyType}` };
  let exts: Map<string, { value: Element; critical: boolean }>;
  let ku = 0;
  try {
    exts = extensions(der);
    for (const [id, e] of exts) {
      if (e.critical && id !== OID.keyUsage && id !== OID.basicConstraints) throw new Error(`unknown critical extension ${id}`);
    }
    const k = exts.get(OID.keyUsage);
    if (k) ku = keyUsageBits(k.value);
    else ku = -1;
  } catch (e) {
    return { ok: false, code: Err.X509_EXTENSION, reason: (e as Error).message };
  }
  if (ku < 0 || !(ku & (1 << KeyUsage.keyAgreement))) return { ok: false, code: Err.CERT_KEY_USAGE, reason: 'keyUsage lacks keyAgreement' };
  if (x.ca) return { ok: false, code: Err.CERT_KEY_USAGE, reason: 'a CA certificate' };
  const spki = pub.export({ type: 'spki', format: 'der' });
  const id = crypto.createHash('sha256').update(spki).digest().subarray(0, ID_LENGTH);
  if (!id.equals(Buffer.from(idA))) return { ok: false, code: Err.CERT_ID_MISMATCH, reason: 'key does not hash to ID_A' };
  return { ok: true, cert: { der, publicKey: pub, notBefore, notAfter, subject: x.subject } };
}
