/**
 * Suite-1 key schedule on node:crypto (docs/PROTOCOL.md §Key schedule), written independently of
 * the firmware: HKDF-SHA256 over the static-static X25519 secret, salted with both randoms, with
 * every output bound to a transcript hash.
 */
import crypto from 'node:crypto';
import { LABELS, MAC_LEN } from '../protocol/constants.js';

/** RFC 5869 HKDF-Extract. */
export function hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Buffer {
  return crypto.createHmac('sha256', salt).update(ikm).digest();
}

/** RFC 5869 HKDF-Expand. */
export function hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Buffer {
  const out: Buffer[] = [];
  let t = Buffer.alloc(0);
  for (let i = 1; out.length * 32 < length; i++) {
    t = crypto.createHmac('sha256', prk).update(t).update(info).update(Buffer.from([i])).digest();
    out.push(t);
  }
  return Buffer.concat(out).subarray(0, length);
}

const label = (l: string, th: Uint8Array) => Buffer.concat([Buffer.from(l, 'ascii'), th]);

export interface TrafficKeys { kAB: Buffer; ivAB: Buffer; kBA: Buffer; ivBA: Buffer }

/** MAC_B = HKDF-Expand(PRK, "airshake1 mac_b" || TH2, 16). */
export const macB = (prk: Uint8Array, th2: Uint8Array): Buffer => hkdfExpand(prk, label(LABELS.macB, th2), MAC_LEN);
/** MAC_A = HKDF-Expand(PRK, "airshake1 mac_a" || TH3, 16). */
export const macA = (prk: Uint8Array, th3: Uint8Array): Buffer => hkdfExpand(prk, label(LABELS.macA, th3), MAC_LEN);

export function trafficKeys(prk: Uint8Array, th3: Uint8Array): TrafficKeys {
  return {
    kAB: hkdfExpand(prk, label(LABELS.keyAB, th3), 32),
    ivAB: hkdfExpand(prk, label(LABELS.ivAB, th3), 12),
    kBA: hkdfExpand(prk, label(LABELS.keyBA, th3), 32),
    ivBA: hkdfExpand(prk, label(LABELS.ivBA, th3), 12),
  };
}

/** nonce = iv XOR (0^4 || seq, 64-bit big-endian). */
export function recordNonce(iv: Uint8Array, seq: bigint): Buffer {
  const n = Buffer.from(iv);
  const s = Buffer.alloc(8);
  s.writeBigUInt64BE(seq);
  for (let i = 0; i < 8; i++) n[4 + i]! ^= s[i]!;
  return n;
}

/** ChaCha20-Poly1305 seal of one record body: returns ciphertext || tag; aad = 0x17 || length. */
export function sealRecord(key: Uint8Array, iv: Uint8Array, seq: bigint, pt: Uint8Array): { header: Buffer; body: Buffer } {
  const len = pt.length + 16;
  const header = Buffer.from([0x17, len >> 8, len & 0xff]);
  const c = crypto.createCipheriv('chacha20-poly1305', key, recordNonce(iv, seq), { authTagLength: 16 });
  c.setAAD(header, { plaintextLength: pt.length });
  return { header, body: Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]) };
}

/** Opens ciphertext || tag; null when it does not authenticate. */
export function openRecord(key: Uint8Array, iv: Uint8Array, seq: bigint, header: Uint8Array, body: Uint8Array): Buffer | null {
  if (body.length < 16) return null;
  const d = crypto.createDecipheriv('chacha20-poly1305', key, recordNonce(iv, seq), { authTagLength: 16 });
  d.setAAD(header, { plaintextLength: body.length - 16 });
  d.setAuthTag(body.subarray(body.length - 16));
  try {
    return Buffer.concat([d.update(body.subarray(0, body.length - 16)), d.final()]);
  } catch {
    return null;
  }
}
