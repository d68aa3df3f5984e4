// AES-128-CCM (RFC 3610, NIST SP 800-38C): CBC-MAC over B0 | encoded AAD | plaintext, CTR
// encryption of the payload with A1, A2, ... and of the MAC with A0.
//
// Parameters: nonce length 7..13 bytes (so L = 15 - nonce length = 8..2 length bytes; the host
// API fixes 13, L = 2), tag length M in {4, 6, ..., 16} (8 is CCM_8, the constrained-device
// choice), AAD up to CCM_AAD_MAX bytes, plaintext up to 2^(8L) - 1 bytes (65,535 with L = 2).
// Anything else returns ERR_CRYPTO_LENGTH without touching the output.
//
// One pass: every cipher call encrypts two blocks (aes/aes128.ts), the CBC-MAC block in one lane
// and a counter block in the other, so a message of m blocks with A blocks of encoded AAD costs
// 1 + A + m calls. Call t computes the key stream of counter block t - A + 1 (the next payload
// block) while it exists, and A0 (the tag mask) otherwise; the last call is always an A0 call.
// Every length, the nonce and the tag length are public; only the key and the data are secret,
// and neither decides a branch or an address.
//
// Open decrypts into the output as it goes (the MAC is over the plaintext), compares the tag in
// constant time, and on a mismatch fills the whole output with zeros before it returns
// ERR_AEAD_TAG: no unauthenticated plaintext leaves the call. In-place operation (output ==
// input) is supported: each block is copied to scratch before its output is written.
import { aes128Encrypt2, aes128KeySchedule, aes128Wipe } from "../aes/aes128";
import { ctEq, wipe } from "../ct/ct";
import { ERR_AEAD_TAG, ERR_CRYPTO_LENGTH, OK } from "../errors";
import { CCM_BLK, CCM_CTR, CCM_KS, CCM_S0, CCM_X } from "../memmap";

// @ts-ignore: decorator
@inline export const CCM_KEY: usize = 16;
/** The nonce length of the host API and the handset: 13 bytes, L = 2. */
// @ts-ignore: decorator
@inline export const CCM_NONCE: usize = 13;
/** SP 800-38C §A.2.1: the nonce is 15 - L bytes with 2 <= L <= 8. */
// @ts-ignore: decorator
@inline export const CCM_NONCE_MIN: usize = 7;
// @ts-ignore: decorator
@inline export const CCM_NONCE_MAX: usize = 13;
/** Tag lengths 4..16, even (SP 800-38C §A.1; the flags byte encodes (M - 2) / 2). */
// @ts-ignore: decorator
@inline export const CCM_TAG_MIN: usize = 4;
// @ts-ignore: decorator
@inline export const CCM_TAG_MAX: usize = 16;
/**
 * Longest AAD: 2^16 - 2^8 - 1 = 65,279 bytes, the largest length with the two-byte encoding of
 * SP 800-38C §A.2.2. Longer AAD (the 0xFFFE || 32-bit form) cannot occur: the crypto core's IO
 * window is 32 KiB and the handset's record AAD is 8 bytes, so that form would be dead code.
 */
// @ts-ignore: decorator
@inline export const CCM_AAD_MAX: usize = 0xFEFF;

/** Returns OK when the parameters are in range, else ERR_CRYPTO_LENGTH. */
function ccmCheck(nonceLen: usize, aadLen: usize, n: usize, tagLen: usize): i32 {
  if (nonceLen < CCM_NONCE_MIN || nonceLen > CCM_NONCE_MAX) return ERR_CRYPTO_LENGTH;
  if (tagLen < CCM_TAG_MIN || tagLen > CCM_TAG_MAX || (tagLen & 1) != 0) return ERR_CRYPTO_LENGTH;
  if (aadLen > CCM_AAD_MAX) return ERR_CRYPTO_LENGTH;
  let l: usize = 15 - nonceLen;
  if (l < 4 && (n >> (l << 3)) != 0) return ERR_CRYPTO_LENGTH; // usize is 32-bit: L >= 4 always fits
  return OK;
}

/** dst ^= src, 16 bytes. */
// @ts-ignore: decorator
@inline function xor16(dst: usize, src: usize): void {
  store<u64>(dst, load<u64>(dst) ^ load<u64>(src));
  store<u64>(dst, load<u64>(dst, 8) ^ load<u64>(src, 8), 8);
}

/** Writes the big-endian value v into the last l bytes of the block at p (at most 4 are nonzero). */
function putLength(p: usize, v: usize, l: usize): void {
  let k = l < 4 ? l : 4;
  for (let i: usize = 0; i < k; i++) store<u8>(p + 15 - i, <u8>(v >> (i << 3)));
}

/** The counter lane of call t: A_(t - nA + 1) while that is a payload block (1..m), else A0. */
// @ts-ignore: decorator
@inline function ctrIndex(t: usize, nA: usize, m: usize): usize {
  let c = t + 1;
  return c > nA && c - nA <= m ? c - nA : 0;
}

/**
 * One cipher call: the MAC block at CCM_X in lane a, counter block c (A_c) in lane b. A_c is
 * built from the template at CCM_CTR; c = 0 (the tag mask) goes to CCM_S0, the others to CCM_KS.
 */
function step(c: usize, l: usize): void {
  let dst = c == 0 ? CCM_S0 : CCM_KS;
  memory.copy(dst, CCM_CTR, 16);
  putLength(dst, c, l);
  aes128Encrypt2(CCM_X, dst);
}

/**
 * CBC-MAC and CTR over n bytes from inp to out (out may equal inp); `decrypt` says whether the
 * MAC'ed plaintext is the input (seal) or the output (open). Leaves the full 16-byte tag
 * T = CBC-MAC ^ E(A0) in CCM_BLK. The round keys must be scheduled.
 */
function ccmCore(out: usize, inp: usize, n: usize, nonce: usize, nonceLen: usize, aad: usize, aadLen: usize, tagLen: usize, decrypt: bool): void {
  let l: usize = 15 - nonceLen;
  // Counter template A_i: flags = L - 1, the nonce, a zero counter.
  memory.fill(CCM_CTR, 0, 16);
  store<u8>(CCM_CTR, <u8>(l - 1));
  memory.copy(CCM_CTR + 1, nonce, nonceLen);
  // B0: flags = Adata << 6 | (M - 2) / 2 << 3 | (L - 1), the nonce, the message length.
  memory.copy(CCM_X, CCM_CTR, 16);
  store<u8>(CCM_X, <u8>((aadLen > 0 ? 0x40 : 0) | (((tagLen - 2) >> 1) << 3) | (l - 1)));
  putLength(CCM_X, n, l);

  let nA: usize = aadLen > 0 ? (aadLen + 2 + 15) >> 4 : 0; // encoded AAD blocks
  let m: usize = (n + 15) >> 4;                              // payload blocks
  let t: usize = 0; // calls so far
  step(ctrIndex(t++, nA, m), l); // B0

  // AAD: len16(a) || aad, zero-padded to a multiple of 16.
  for (let j: usize = 0; j < nA; j++, t++) {
    memory.fill(CCM_BLK, 0, 16);
    if (j == 0) {
      store<u8>(CCM_BLK, <u8>(aadLen >> 8));
      store<u8>(CCM_BLK, <u8>aadLen, 1);
      memory.copy(CCM_BLK + 2, aad, aadLen < 14 ? aadLen : 14);
    } else {
      let off: usize = (j << 4) - 2;
      let r = aadLen - off;
      memory.copy(CCM_BLK, aad + off, r < 16 ? r : 16);
    }
    xor16(CCM_X, CCM_BLK);
    step(ctrIndex(t, nA, m), l);
  }

  // Payload: the key stream of block k (1-based) is in CCM_KS, computed by the previous call.
  for (let k: usize = 1; k <= m; k++, t++) {
    let off: usize = (k - 1) << 4;
    let rem = n - off;
    let r = rem < 16 ? rem : 16;
    memory.fill(CCM_BLK, 0, 16);
    memory.copy(CCM_BLK, inp + off, r);
    if (!decrypt) xor16(CCM_X, CCM_BLK);   // MAC the plaintext (zero-padded)
    xor16(CCM_BLK, CCM_KS);
    memory.copy(out + off, CCM_BLK, r);
    if (decrypt) {
      memory.fill(CCM_BLK + r, 0, 16 - r); // drop the key stream past the end
      xor16(CCM_X, CCM_BLK);               // MAC the plaintext (zero-padded)
    }
    step(ctrIndex(t, nA, m), l); // A_(k+1), or A0 after the last block
  }
  // T = MAC ^ E(A0): the last call always computed A0.
  memory.copy(CCM_BLK, CCM_X, 16);
  xor16(CCM_BLK, CCM_S0);
}

/** Wipes every CCM buffer and the AES state (the counter template too, though it is public). */
function ccmWipe(): void {
  aes128Wipe();
  wipe(CCM_X, 16); wipe(CCM_KS, 16); wipe(CCM_S0, 16); wipe(CCM_BLK, 16); wipe(CCM_CTR, 16);
}

/**
 * Encrypts n bytes of pt into ct (ct may equal pt) and writes the tagLen-byte tag to tag.
 * key: 16 bytes; nonce: nonceLen bytes. Returns OK or ERR_CRYPTO_LENGTH (nothing written).
 */
export function aesCcmSeal(ct: usize, tag: usize, key: usize, nonce: usize, nonceLen: usize, aad: usize, aadLen: usize, pt: usize, n: usize, tagLen: usize): i32 {
  let rc = ccmCheck(nonceLen, aadLen, n, tagLen);
  if (rc != OK) return rc;
  aes128KeySchedule(key);
  ccmCore(ct, pt, n, nonce, nonceLen, aad, aadLen, tagLen, false);
  memory.copy(tag, CCM_BLK, tagLen);
  ccmWipe();
  return OK;
}

/**
 * Decrypts n bytes of ct into pt (pt may equal ct) and checks the tagLen-byte tag at tag in
 * constant time. Returns OK; ERR_AEAD_TAG with the n bytes at pt zeroed; or ERR_CRYPTO_LENGTH
 * (nothing written).
 */
export function aesCcmOpen(pt: usize, key: usize, nonce: usize, nonceLen: usize, aad: usize, aadLen: usize, ct: usize, n: usize, tag: usize, tagLen: usize): i32 {
  let rc = ccmCheck(nonceLen, aadLen, n, tagLen);
  if (rc != OK) return rc;
  aes128KeySchedule(key);
  ccmCore(pt, ct, n, nonce, nonceLen, aad, aadLen, tagLen, true);
  let ok = ctEq(CCM_BLK, tag, tagLen);
  ccmWipe();
  if (!ok) { // the verdict is public: branching on it leaks nothing more
    memory.fill(pt, 0, n);
    return ERR_AEAD_TAG;
  }
  return OK;
}

/** FIPS-197 single-block encryption (a test hook for the known answers): out may equal inp. */
export function aes128EncryptBlock(out: usize, key: usize, inp: usize): void {
  aes128KeySchedule(key);
  memory.copy(CCM_BLK, inp, 16);
  memory.fill(CCM_KS, 0, 16);
  aes128Encrypt2(CCM_BLK, CCM_KS);
  memory.copy(out, CCM_BLK, 16);
  ccmWipe();
}
