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
