/**
 * Suite 3 on node:crypto (docs/PROTOCOL.md, "Suite 3: forward secrecy, C_B encrypted or by
 * reference"), written from the spec independently of the firmware: the HELLO_E decoder, the
 * 16-bit time, and B's message 2 with its key schedule (ee, es, se, ss; C_B encrypted under K_2
 * from ee alone, or left out when A's ref_B names it; an 8-byte MAC_B; the traffic keys).
 */
import crypto, { type KeyObject } from 'node:crypto';
import { Err, ID_LEN, MAX_SUITES, MsgType, VERSION } from '../protocol/constants.js';
import { hkdfExpand, hkdfExtract, secretDraw, type TrafficKeys } from './keyschedule.js';
import { x25519PrivateKey, x25519PublicKey } from '../pki/cert.js';

export const EPH_LEN = 32;
export const REF_LEN = 4;
export const MAC_E_LEN = 8;
/** Message 2's type, suite and E_B: the bytes before CIPHERTEXT_2. */
export const M2E_FIXED = 2 + EPH_LEN;

export interface HelloE { offered: number[]; time16: number; idA: Uint8Array; eA: Uint8Array; refB: Uint8Array | null }

/** Decodes HELLO_E (type already checked); an error code and reason on a malformed one. */
export function decodeHelloE(m: Uint8Array): HelloE | { code: number; reason: string } {
  if (m.length < 3) return { code: Err.DECODE, reason: 'hello shorter than its header' };
  if (m[1] !== VERSION) return { code: Err.VERSION, reason: `version ${m[1]}` };
  const n = m[2]!;
  if (n === 0 || n > MAX_SUITES) return { code: Err.DECODE, reason: `${n} suites` };
  const base = 3 + n + 2 + ID_LEN + EPH_LEN;
  if (m.length < base) return { code: Err.DECODE, reason: `ephemeral hello of ${m.length} bytes, ${base} or ${base + REF_LEN} expected` };
  if (m.length > base + REF_LEN) return { code: Err.TRAILING, reason: `${m.length - base - REF_LEN} bytes after the ephemeral hello` };
  if (m.length !== base && m.length !== base + REF_LEN) return { code: Err.DECODE, reason: `ephemeral hello of ${m.length} bytes, ${base} or ${base + REF_LEN} expected` };
  const p = 3 + n;
  return {
    offered: [...m.subarray(3, p)],
    time16: (m[p]! << 8) | m[p + 1]!,
    idA: m.subarray(p + 2, p + 2 + ID_LEN),
    eA: m.subarray(p + 2 + ID_LEN, base),
    refB: m.length === base + REF_LEN ? m.subarray(base) : null,
  };
}

/**
 * The canonical form of an X25519 public key (RFC 7748 §5: bit 255 masked, reduced mod p), so
 * that the replay cache holds one entry for the encodings OpenSSL treats as the same E_A.
 */
export function canonicalU(u: Uint8Array): Buffer {
  const P = (1n << 255n) - 19n;
  let x = 0n;
  for (let i = 31; i >= 0; i--) x = (x << 8n) | BigInt(u[i]! & (i === 31 ? 0x7f : 0xff));
  x %= P;
  const out = Buffer.alloc(32);
  for (let i = 0; i < 32; i++) { out[i] = Number(x & 0xffn); x >>= 8n; }
  return out;
}

/** The full time a 16-bit time stands for: the one nearest B's clock (d in [-2^15, 2^15)). */
export function fullTime(time16: number, nowSec: number): number {
  let d = (time16 - (nowSec & 0xffff)) & 0xffff;
  if (d >= 0x8000) d -= 0x10000;
  return nowSec + d;
}

/** SHA-256(C_B)[0..4]: the reference a HELLO_E names C_B by. */
export const certRef = (cert: Uint8Array): Buffer => crypto.createHash('sha256').update(cert).digest().subarray(0, REF_LEN);

const label = (l: string, th: Uint8Array) => Buffer.concat([Buffer.from(l, 'ascii'), th]);

/** ChaCha20 (RFC 8439 §2.4) key stream of `key`, nonce 0^12, block counter 0, XORed into data. */
export function chacha20Xor(key: Uint8Array, data: Uint8Array): Buffer {
  const c = crypto.createCipheriv('chacha20', key, Buffer.alloc(16)); // 4-byte little-endian counter 0 || 12-byte nonce 0
  return Buffer.concat([c.update(data), c.final()]);
}

function dh(priv: KeyObject, pub: KeyObject): Buffer {
  return crypto.diffieHellman({ privateKey: priv, publicKey: pub }); // OpenSSL refuses an all-zero result
}

export interface ResponseE { message: Buffer; keys: TrafficKeys; certSent: boolean }

/** The four DH results of suite 3's key schedule. */
export interface Secrets3 { ee: Uint8Array; es: Uint8Array; se: Uint8Array; ss: Uint8Array }

/**
 * Message 2 and the traffic keys from the hello as received, E_B, the four DH results and C_B
 * (left out when refB names it): the key schedule of PROTOCOL.md step by step. The derived
 * values are returned for the trace vectors; the caller wipes what it does not keep.
 */
export function buildResponseE(o: { hello: Uint8Array; EB: Uint8Array; dh: Secrets3; certB: Uint8Array; refB: Uint8Array | null }) {
  const { ee, es, se, ss } = o.dh;
  const head = Buffer.from([MsgType.RESPONSE_E, 0x03, ...o.EB]);
  const th = crypto.createHash('sha256').update(o.hello).update(head);
  const th2 = th.copy().digest();
  const prk2 = hkdfExtract(th2, ee);
  const k2 = hkdfExpand(prk2, Buffer.from('airshake3 k_2', 'ascii'), 32);
  const ikm3 = Buffer.concat([es, se, ss]);
  const prk3 = hkdfExtract(prk2, ikm3);
  ikm3.fill(0);
  const certSent = !(o.refB && certRef(o.certB).equals(Buffer.from(o.refB)));
  const c = o.certB;
  const certPart = certSent ? Buffer.concat([Buffer.from([c.length >> 8, c.length & 0xff]), c]) : Buffer.alloc(0);
  th.update(certPart);
  const th2b = th.copy().digest();
  const macB = hkdfExpand(prk3, label('airshake3 mac_b', th2b), MAC_E_LEN);
  th.update(macB);
  const th3 = th.digest();
  const ct2 = chacha20Xor(k2, Buffer.concat([certPart, macB]));
  const x = (l: string, n: number) => hkdfExpand(prk3, label(l, th3), n);
  const keys: TrafficKeys = {
    kAB: x('airshake3 key_ab', 32), ivAB: x('airshake3 iv_ab', 12), kBA: x('airshake3 key_ba', 32), ivBA: x('airshake3 iv_ba', 12),
    uAB: x('airshake3 upd_ab', 32), uBA: x('airshake3 upd_ba', 32),
  };
  return { message: Buffer.concat([head, ct2]), keys, certSent, derived: { th2, prk2, k2, prk3, th2b, macB, th3 } };
}

/**
 * B's message 2 for a HELLO_E `hello` (as received) from a handset with static key pkA: fresh
 * e_B (32 random bytes), ee, es, se, ss, K_2, MAC_B, and the traffic keys. Throws
 * { code: ERR_X25519_ZERO } when a small-order key makes a DH result all-zero. Every secret
 * here is wiped before it returns (the traffic keys excepted).
 */
export function responseE(o: { hello: Uint8Array; eA: Uint8Array; refB: Uint8Array | null; skB: KeyObject; certB: Uint8Array; pkA: KeyObject; random: (n: number) => Uint8Array }): ResponseE {
  const eBRaw = secretDraw(o.random, EPH_LEN);
  const eB = x25519PrivateKey(eBRaw);
  eBRaw.fill(0);
  const EB = Buffer.from(crypto.createPublicKey(eB).export({ format: 'der', type: 'spki' }).subarray(-EPH_LEN));
  const got: Buffer[] = [];
  const take = (b: Buffer) => { got.push(b); return b; };
  let d: Secrets3;
  try {
    const EA = x25519PublicKey(o.eA);
    d = { ee: take(dh(eB, EA)), es: take(dh(o.skB, EA)), se: take(dh(eB, o.pkA)), ss: take(dh(o.skB, o.pkA)) };
  } catch (e) {
    for (const b of got) b.fill(0); // the terms computed before the all-zero one
    throw Object.assign(new Error(`key agreement failed: ${(e as Error).message}`), { code: Err.X25519_ZERO });
  }
  const r = buildResponseE({ hello: o.hello, EB, dh: d, certB: o.certB, refB: o.refB });
  for (const b of [d.ee, d.es, d.se, d.ss, r.derived.prk2, r.derived.k2, r.derived.prk3]) b.fill(0);
  return { message: r.message, keys: r.keys, certSent: r.certSent };
}
