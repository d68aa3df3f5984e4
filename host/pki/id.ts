import { X509Certificate, createHash } from 'node:crypto';

/** Length in bytes of a certificate ID (ID_A). */
export const ID_LENGTH = 8;

/** DER SubjectPublicKeyInfo of an X.509 certificate given as DER. */
export function spkiOf(der: Uint8Array): Uint8Array {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch (e) {
    throw new Error(`certificate DER is not parsable: ${(e as Error).message}`, { cause: e });
  }
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  return new Uint8Array(spki.buffer, spki.byteOffset, spki.byteLength).slice();
}

/** ID_A: first ID_LENGTH bytes of SHA-256 over the DER SPKI of the certificate. */
export function certId(der: Uint8Array): Uint8Array {
  const h = createHash('sha256').update(spkiOf(der)).digest();
  return new Uint8Array(h.subarray(0, ID_LENGTH));
}

/** ID of a DER SubjectPublicKeyInfo: SHA-256(spki)[0..8]. */
export function idOfSpki(spki: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(spki).digest().subarray(0, ID_LENGTH));
}

/** DER SPKI prefixes of the profile's key-agreement keys: the raw key follows. */
export const SPKI_PREFIX = {
  /** X25519 (RFC 8410, no parameters), 32-byte key. */
  x25519: Buffer.from('302a300506032b656e032100', 'hex'),
  /** id-ecPublicKey, namedCurve prime256v1 (RFC 5480), 65-byte uncompressed point. */
  p256: Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex'),
} as const;

/** ID_A of an X25519 public key (suite 1), as the handset computes it from its own key. */
export function x25519Id(publicKey: Uint8Array): Uint8Array {
  if (publicKey.length !== 32) throw new Error(`X25519 public key of ${publicKey.length} bytes`);
  return idOfSpki(Buffer.concat([SPKI_PREFIX.x25519, publicKey]));
}

/** ID_A of a P-256 public key given as its 65-byte uncompressed point (suite 2). */
export function p256Id(publicKey: Uint8Array): Uint8Array {
  if (publicKey.length !== 65 || publicKey[0] !== 0x04) throw new Error('P-256 public key must be 65 bytes, 04 || x || y');
  return idOfSpki(Buffer.concat([SPKI_PREFIX.p256, publicKey]));
}
