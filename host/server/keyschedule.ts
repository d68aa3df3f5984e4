/**
 * The key schedule and records on node:crypto (docs/PROTOCOL.md §Key schedule, §Records), written
 * independently of the firmware: HKDF-SHA256 over the static-static secret (X25519 in suite 1,
 * the P-256 ECDH x-coordinate in suite 2), salted with both randoms, with every output bound to a
 * transcript hash. Suites differ only in lengths and the record AEAD: suite 1 ChaCha20-Poly1305
 * (32-byte keys, 12-byte ivs, 16-byte tags), suite 2 AES-128-CCM (16, 13, 8).
 */
import crypto from 'node:crypto';
import { LABELS, MAC_LEN, MsgType, suiteParams, type SuiteParams } from '../protocol/constants.js';

/** RFC 5869 HKDF-Extract. */
export function hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Buffer {
  return crypto.createHmac('sha256', salt).update(ikm).digest();
}

/** RFC 5869 HKDF-Expand. */
export function hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Buffer {
  // an exact-length result; the T(i) blocks and their concatenation are wiped (they hold key bytes)
  const out: Buffer[] = [];
  let t = Buffer.alloc(0);
  for (let i = 1; out.length * 32 < length; i++) {
    t = crypto.createHmac('sha256', prk).update(t).update(info).update(Buffer.from([i])).digest();
    out.push(t);
  }
  const all = Buffer.concat(out);
  const r = Buffer.alloc(length);
  all.copy(r, 0, 0, length);
  all.fill(0);
  for (const b of out) b.fill(0);
  return r;
}

/** label || TH; suite 4's labels read "airshake4" where the others' read "airshake1" (suite 3's: host/server/suite3.ts). */
const label = (l: string, th: Uint8Array, suite = 1) => Buffer.concat([Buffer.from(suite === 4 ? l.replace('airshake1', 'airshake4') : l, 'ascii'), th]);

/** The traffic keys and ivs per direction, and each direction's key-update secret (docs/PROTOCOL.md, "Key update"). */
export interface TrafficKeys { kAB: Buffer; ivAB: Buffer; kBA: Buffer; ivBA: Buffer; uAB: Buffer; uBA: Buffer }

/** MAC_B = HKDF-Expand(PRK, "airshake1 mac_b" || TH2, 16). */
export const macB = (prk: Uint8Array, th2: Uint8Array, suite = 1): Buffer => hkdfExpand(prk, label(LABELS.macB, th2, suite), MAC_LEN);
/** MAC_A = HKDF-Expand(PRK, "airshake1 mac_a" || TH3, 16). */
export const macA = (prk: Uint8Array, th3: Uint8Array, suite = 1): Buffer => hkdfExpand(prk, label(LABELS.macA, th3, suite), MAC_LEN);

/** k_AB, iv_AB, k_BA, iv_BA with the suite's lengths (suite 1: 32 and 12; suite 2: 16 and 13). */
export function trafficKeys(prk: Uint8Array, th3: Uint8Array, suite = 1): TrafficKeys {
  const { keyLen, ivLen } = suiteParams(suite);
  return {
    kAB: hkdfExpand(prk, label(LABELS.keyAB, th3, suite), keyLen),
    ivAB: hkdfExpand(prk, label(LABELS.ivAB, th3, suite), ivLen),
    kBA: hkdfExpand(prk, label(LABELS.keyBA, th3, suite), keyLen),
    ivBA: hkdfExpand(prk, label(LABELS.ivBA, th3, suite), ivLen),
    uAB: hkdfExpand(prk, label(LABELS.updAB, th3, suite), 32),
    uBA: hkdfExpand(prk, label(LABELS.updBA, th3, suite), 32),
  };
}

/**
 * One key update of a direction: u' = HKDF-Expand(u, "airshake1 upd", 32), then its key and iv
 * (HKDF-Expand(u', "airshake1 key" / "airshake1 iv") with the suite's lengths); the record
 * sequence number restarts at 0.
 */
export function nextKeys(u: Uint8Array, suite = 1): { u: Buffer; k: Buffer; iv: Buffer } {
  const { keyLen, ivLen } = suiteParams(suite);
  const next = hkdfExpand(u, Buffer.from(LABELS.upd, 'ascii'), 32);
  return { u: next, k: hkdfExpand(next, Buffer.from(LABELS.updKey, 'ascii'), keyLen), iv: hkdfExpand(next, Buffer.from(LABELS.updIv, 'ascii'), ivLen) };
}

/**
 * nonce = iv XOR (0…0 || seq): seq a 64-bit big-endian counter in the last 8 bytes (after 4 zero
 * bytes with suite 1's 12-byte iv, 5 with suite 2's 13-byte one).
 */
export function recordNonce(iv: Uint8Array, seq: bigint): Buffer {
  const n = Buffer.from(iv);
  const s = Buffer.alloc(8);
  s.writeBigUInt64BE(seq);
  const off = n.length - 8;
  for (let i = 0; i < 8; i++) n[off + i]! ^= s[i]!;
  return n;
}

function aead(p: SuiteParams, key: Uint8Array, iv: Uint8Array, decrypt: boolean, nonce: Buffer) {
  if (key.length !== p.keyLen || iv.length !== p.ivLen) throw new RangeError(`suite ${p.suite}: key of ${key.length} bytes, iv of ${iv.length} (${p.keyLen} and ${p.ivLen} expected)`);
  const opts = { authTagLength: p.tagLen } as crypto.CipherCCMOptions;
  return decrypt
    ? crypto.createDecipheriv(p.aead as crypto.CipherCCMTypes, key, nonce, opts)
    : crypto.createCipheriv(p.aead as crypto.CipherCCMTypes, key, nonce, opts);
}

/**
 * Seals one record body with the suite's AEAD (ChaCha20-Poly1305 / AES-128-CCM_8): returns the
 * header type || rec_len (the AAD; type 0x17, or 0x18 for a key-update record) and
 * ciphertext || tag, rec_len = |pt| + TAG_LEN.
 */
export function sealRecord(key: Uint8Array, iv: Uint8Array, seq: bigint, pt: Uint8Array, suite = 1, type: number = MsgType.RECORD): { header: Buffer; body: Buffer } {
  const p = suiteParams(suite);
  const len = pt.length + p.tagLen;
  const header = Buffer.from([type, len >> 8, len & 0xff]);
  const c = aead(p, key, iv, false, recordNonce(iv, seq)) as crypto.CipherCCM;
  c.setAAD(header, { plaintextLength: pt.length });
  return { header, body: Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]) };
}

/** Opens ciphertext || tag with the suite's AEAD; null when it does not authenticate. */
export function openRecord(key: Uint8Array, iv: Uint8Array, seq: bigint, header: Uint8Array, body: Uint8Array, suite = 1): Buffer | null {
  const p = suiteParams(suite);
  if (body.length < p.tagLen) return null;
  const d = aead(p, key, iv, true, recordNonce(iv, seq)) as crypto.DecipherCCM;
  d.setAuthTag(body.subarray(body.length - p.tagLen));
  d.setAAD(header, { plaintextLength: body.length - p.tagLen });
  try {
    return Buffer.concat([d.update(body.subarray(0, body.length - p.tagLen)), d.final()]);
  } catch {
    return null;
  }
}

/**
 * Suite 4's key transport (docs/PROTOCOL.md, "Suite 4"): the pre-master secret sealed to A's
 * X25519 key. Z_e = X25519(e_B, pk_A); K_e || N_e = HKDF-Expand(HKDF-Extract(E_B, Z_e),
 * "airshake4 ecies", 44); ChaCha20-Poly1305, no AAD. Returns E_B || ciphertext || tag (80 bytes).
 */
export function sealPms(pms: Uint8Array, eB: crypto.KeyObject, EB: Uint8Array, pkA: crypto.KeyObject): Buffer {
  const ze = crypto.diffieHellman({ privateKey: eB, publicKey: pkA });
  const prk = hkdfExtract(EB, ze);
  const okm = hkdfExpand(prk, Buffer.from('airshake4 ecies', 'ascii'), 44);
  ze.fill(0); prk.fill(0);
  const c = crypto.createCipheriv('chacha20-poly1305', okm.subarray(0, 32), okm.subarray(32, 44), { authTagLength: 16 });
  const out = Buffer.concat([Buffer.from(EB), c.update(pms), c.final(), c.getAuthTag()]);
  okm.fill(0);
  return out;
}

/**
 * A secret random draw: a copy of random(n) as a Buffer, the returned bytes zeroed at once (they
 * belong to B; see ServerOptions.random). The copy is the caller's to zero when done.
 */
export function secretDraw(random: (n: number) => Uint8Array, n: number): Buffer {
  const r = random(n);
  const b = Buffer.from(r);
  r.fill(0);
  return b;
}
