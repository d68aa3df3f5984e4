// ECDSA verification over P-256 with SHA-256 (FIPS 186-5 §6.4.2, SEC 1 §4.1.4), streaming over
// the message like sig/ed25519.ts, so a certificate's TBS can be hashed in place.
//
// A signature (r, s) on M under Q is accepted when
//   - Q is 04 || x || y with x, y < p on the curve (ERR_P256_POINT),
//   - the signature is strict DER, SEQUENCE { INTEGER r, INTEGER s } with minimal positive
//     INTEGERs, short-form lengths and nothing after it, or exactly 64 bytes r || s for the
//     P1363 entry point (ERR_ECDSA_ENCODING),
//   - 1 <= r, s <= n - 1 (ERR_ECDSA_RANGE),
//   - and R = [e/s] G + [r/s] Q is not the identity and x(R) mod n = r, with e = SHA-256(M)
//     (256 bits, so no truncation) (ERR_ECDSA_BAD_SIG).
// x(R) mod n = r is checked without an inversion: x(R) = X/Z^2 (Jacobian), and x(R) mod n = r
// exactly when X = r Z^2 or (r + n < p and X = (r + n) Z^2) mod p.
//
// VARIABLE-TIME (the *Vartime helpers): everything here is public (key, message, signature,
// hence u1 and u2); no secret reaches a branch or an address. The double scalar multiplication
// interleaves two wNAF expansions: odd multiples of Q computed per signature (Jacobian, Z^2 and
// Z^3 cached), and a constant table of odd multiples of G (affine, mixed additions). It uses
// Jacobian coordinates with the a = -3 doubling (4M + 4S, against 8M + 3S for ECDH's complete
// doubling), whose additions are incomplete: the identity is tracked by a flag, and the
// additions detect equal x-coordinates (double, or the identity for opposite points). 1/s is
// Kaliski's binary almost-inverse, not a Fermat chain.
import { ctEq, wipe } from "../ct/ct";
import { ERR_CRYPTO_STATE, ERR_ECDSA_BAD_SIG, ERR_ECDSA_ENCODING, ERR_ECDSA_RANGE, OK } from "../errors";
import { sha256Final, sha256Init, sha256Update } from "../hash/sha256";
import {
  ECDSA_QENTRY, ECDSA_WG, ECDSA_WQ, ES_ACC, ES_D1, ES_D2, ES_E, ES_HCTX, ES_QTAB, ES_QX, ES_QY, ES_R, ES_S, ES_SC, ES_TMP,
  ES_U1, P256_IT,
} from "../memmap";
import {
  P256_FE, P256_POINT, fpFromBytes, fpToBytes, p256CondSub, p256DecodePointVartime, p256LimbsFromBytes, p256LimbsToBytes,
  p256Lt,
} from "../ec/p256";
import {
  P256_GTAB_A, P256_N, P256_ONE, P256_P, P256_R2, fpCarry, fpIsZeroVartime,
  fpMul, fpNeg, fpSq, p256GtabB, p256JAddAffineVartime, p256JAddVartime, p256JDbl, scMul,
} from "../ec/p256_gen";

// @ts-ignore: decorator
@inline export const ECDSA_P256_RAW_SIGNATURE: usize = 64;
/** Longest strict-DER signature: 30 len, then 02 21 00 || 32 bytes twice. */
// @ts-ignore: decorator
@inline export const ECDSA_P256_MAX_DER: usize = 72;
// @ts-ignore: decorator
@inline const QTAB_ENTRIES: usize = <usize>1 << (ECDSA_WQ - 2);

let status: i32 = ERR_CRYPTO_STATE;

/** Scalar elements (ten 28-bit limbs): r, s, then w = 1/s, and e. */
// @ts-ignore: decorator
@inline const RL: usize = ES_SC;
// @ts-ignore: decorator
@inline const SL: usize = ES_SC + 40;
// @ts-ignore: decorator
@inline const WL: usize = ES_SC + 80;
// @ts-ignore: decorator
@inline const EL: usize = ES_SC + 120;

/**
 * Reads one strict-DER INTEGER at sig + off (len bytes in all) into 32 big-endian bytes at out.
 * Returns the offset after it, or -1 (not an INTEGER, a long or indefinite length, empty,
 * negative, non-minimal, longer than 32 value bytes, or running past the end).
 */
function derIntegerVartime(out: usize, sig: usize, off: i32, len: i32): i32 {
  if (off + 2 > len || load<u8>(sig + off) != 0x02) return -1;
  let l = <i32>load<u8>(sig + off + 1);
  off += 2;
  if (l == 0 || l >= 0x80 || off + l > len) return -1;
  let first = load<u8>(sig + off);
  if (first & 0x80) return -1; // negative
  if (first == 0 && l > 1) {
    if ((load<u8>(sig + off + 1) & 0x80) == 0) return -1; // non-minimal
    off++; l--;
  }
  if (l > 32) return -1;
  memory.fill(out, 0, 32);
  memory.copy(out + 32 - l, sig + off, l);
  return off + l;
}

/** 1 when the 32 big-endian bytes at v are in [1, n - 1]. */
function inScalarRangeVartime(v: usize): bool {
  p256LimbsFromBytes(ES_TMP, v);
  if (!p256Lt(ES_TMP, P256_N)) return false;
  for (let i: usize = 0; i < 32; i++) if (load<u8>(v + i) != 0) return true;
  return false;
}

function start(publicKey: usize, encodingOk: bool): void {
  status = OK;
  if (!encodingOk) status = ERR_ECDSA_ENCODING;
  else if (!inScalarRangeVartime(ES_R) || !inScalarRangeVartime(ES_S)) status = ERR_ECDSA_RANGE;
  else status = p256DecodePointVartime(ES_QX, ES_QY, publicKey, ES_ACC, ES_ACC + 40, ES_TMP);
  sha256Init(ES_HCTX);
}

/** Starts verifying a DER signature (sigLen bytes) under the 65-byte uncompressed publicKey. */
export function ecdsaP256VerifyInit(publicKey: usize, sig: usize, sigLen: usize): void {
  let ok = false;
  if (sigLen >= 8 && sigLen <= ECDSA_P256_MAX_DER && load<u8>(sig) == 0x30 && <usize>load<u8>(sig, 1) + 2 == sigLen) {
    let len = <i32>sigLen;
    let off = derIntegerVartime(ES_R, sig, 2, len);
    if (off > 0) off = derIntegerVartime(ES_S, sig, off, len);
    ok = off == len;
  }
  if (!ok) memory.fill(ES_R, 0, 64);
  start(publicKey, ok);
}

/** Starts verifying a 64-byte r || s (IEEE P1363) signature under the 65-byte uncompressed publicKey. */
export function ecdsaP256VerifyInitP1363(publicKey: usize, sig: usize): void {
  memory.copy(ES_R, sig, 64);
  start(publicKey, true);
}

/** Absorbs n message bytes at p. */
export function ecdsaP256VerifyUpdate(p: usize, n: usize): void {
  sha256Update(ES_HCTX, p, n);
}

// The verifier's scalar inversion works on five 64-bit words (little-endian; 2n < 2^257 needs
// the fifth). Its scratch at P256_IT: u, v, r, s (40 bytes each) and 32 bytes for conversions.
// @ts-ignore: decorator
@inline const WORDS: usize = 5;

/** a > b, five words. Variable-time. */
function gtWordsVartime(a: usize, b: usize): bool {
  for (let i: isize = 32; i >= 0; i -= 8) {
    let x = load<u64>(a + i), y = load<u64>(b + i);
    if (x != y) return x > y;
  }
  return false;
}

/** a = (a - b) >> 1, five words, a > b, both odd (the difference is even). */
function subHalfWords(a: usize, b: usize): void {
  let borrow: u64 = 0, prev: u64 = 0;
  for (let i: usize = 0; i < 8 * WORDS; i += 8) {
    let x = load<u64>(a + i), y = load<u64>(b + i);
    let d = x - y - borrow;
    borrow = <u64>(x < y) | (<u64>(x == y) & borrow);
    if (i > 0) store<u64>(a + i - 8, (prev >> 1) | (d << 63));
    prev = d;
  }
  store<u64>(a + 8 * (WORDS - 1), prev >> 1);
}

/** a = a - b, five words, a >= b. */
function subWords(a: usize, b: usize): void {
  let borrow: u64 = 0;
  for (let i: usize = 0; i < 8 * WORDS; i += 8) {
    let x = load<u64>(a + i), y = load<u64>(b + i);
    store<u64>(a + i, x - y - borrow);
    borrow = <u64>(x < y) | (<u64>(x == y) & borrow);
  }
}

/** a = a >> 1, five words. */
function halfWords(a: usize): void {
  for (let i: usize = 0; i < 8 * (WORDS - 1); i += 8) store<u64>(a + i, (load<u64>(a + i) >> 1) | (load<u64>(a + i + 8) << 63));
  store<u64>(a + 8 * (WORDS - 1), load<u64>(a + 8 * (WORDS - 1)) >> 1);
}

/** a = 2 a, five words (a < 2^319). */
function twiceWords(a: usize): void {
  for (let i: usize = 8 * (WORDS - 1); i > 0; i -= 8) store<u64>(a + i, (load<u64>(a + i) << 1) | (load<u64>(a + i - 8) >> 63));
  store<u64>(a, load<u64>(a) << 1);
}

/** a = a + b, five words (no overflow). */
function addWords(a: usize, b: usize): void {
  let c: u64 = 0;
  for (let i: usize = 0; i < 8 * WORDS; i += 8) {
    let x = load<u64>(a + i), y = load<u64>(b + i);
    let t = x + y, t2 = t + c;
    c = <u64>(t < x) | <u64>(t2 < t);
    store<u64>(a + i, t2);
  }
}

/** Five words (the fifth zero) from canonical plain limbs; words to plain limbs (value < 2^256). */
function limbsToWords(w: usize, a: usize, tmp: usize): void {
  p256LimbsToBytes(tmp, a);
  for (let j: usize = 0; j < 4; j++) store<u64>(w + 8 * j, bswap<u64>(load<u64>(tmp + 24 - 8 * j)));
  store<u64>(w, 0, 32);
}
function wordsToLimbs(a: usize, w: usize, tmp: usize): void {
  for (let j: usize = 0; j < 4; j++) store<u64>(tmp + 24 - 8 * j, bswap<u64>(load<u64>(w + 8 * j)));
  p256LimbsFromBytes(a, tmp);
}

/**
 * h = (1/a) R mod n (the Montgomery form, R = 2^280, output < 2n) for plain limbs a in
 * [1, n - 1]. Kaliski's almost Montgomery inverse (IEEE Trans. Computers 44(8), 1995, phase 1):
 * with u = n, v = a, r = 0, s = 1, each step halves u or v (after subtracting the smaller odd one
 * from the larger) and doubles r or s (after adding the other), k steps in all, 256 <= k <= 512;
 * it ends with n - r = a^-1 2^k mod n, r < 2n. Then h = (n - r) 2^(560 - k) / R, one scMul.
 * VARIABLE-TIME (s is public): shifts, additions and comparisons of 64-bit words, about a tenth
 * of the instructions of the Fermat chain it replaces (256 squarings and 43 multiplications mod n).
 */
function scInvertMontVartime(h: usize, a: usize): void {
  const u = P256_IT, v = P256_IT + 40, r = P256_IT + 80, s = P256_IT + 120, tmp = P256_IT + 160;
  limbsToWords(u, P256_N, tmp);
  limbsToWords(v, a, tmp);
  memory.fill(r, 0, 80);
  store<u64>(s, 1);
  let k: i32 = 0;
  while (true) {
    let v0 = load<u64>(v);
    if (v0 == 0 && load<u64>(v, 8) == 0 && load<u64>(v, 16) == 0 && load<u64>(v, 24) == 0 && load<u64>(v, 32) == 0) break;
    if ((load<u64>(u) & 1) == 0) { halfWords(u); twiceWords(s); }
    else if ((v0 & 1) == 0) { halfWords(v); twiceWords(r); }
    else if (gtWordsVartime(u, v)) { subHalfWords(u, v); addWords(r, s); twiceWords(s); }
    else { subHalfWords(v, u); addWords(s, r); twiceWords(r); }
    k++;
  }
  // r < 2n: r mod n, then h = n - r (r != 0: a is invertible), as plain limbs
  limbsToWords(s, P256_N, tmp);
  if (!gtWordsVartime(s, r)) subWords(r, s);
  subWords(s, r);
  wordsToLimbs(h, s, tmp);
  // c = 2^(560 - k) mod n, 48 <= 560 - k <= 304; then h = h c / R
  const c = P256_IT + 200;
  let j = 560 - k;
  memory.fill(c, 0, 40);
  let e = j < 255 ? j : 255;
  store<i32>(c + 4 * <usize>(e / 28), 1 << (e % 28));
  for (let i = e; i < j; i++) {
    for (let l: usize = 0; l < 40; l += 4) store<i32>(c + l, load<i32>(c + l) << 1);
    fpCarry(c, c);
    p256CondSub(c, P256_N);
  }
  scMul(h, h, c);
}

/** A 256-bit scalar has 257 wNAF positions (a digit can carry past bit 255); ECDSA_DIGITS rounds up. */
// @ts-ignore: decorator
@inline const WNAF_POSITIONS: usize = 257;

/** Writes the 257 width-w NAF digits of the canonical scalar limbs k (destroyed) to dg. */
function wnafVartime(dg: usize, k: usize, w: i32): void {
  const full = (1 << w), half = full >> 1;
  for (let i: usize = 0; i < WNAF_POSITIONS; i++) {
    let k0 = load<i32>(k);
    let d = 0;
    if (k0 & 1) {
      d = k0 & (full - 1);
      if (d >= half) d -= full;
      let v = k0 - d;
      store<i32>(k, v & 0xfffffff);
      let c = v >> 28;
      for (let j: usize = 1; c != 0 && j < 10; j++) {
        let u = load<i32>(k + 4 * j) + c;
        if (j < 9) { store<i32>(k + 4 * j, u & 0xfffffff); c = u >> 28; } else { store<i32>(k + 4 * j, u); c = 0; }
      }
    }
    store<i8>(dg + i, <i8>d);
    for (let j: usize = 0; j < 9; j++) {
      store<i32>(k + 4 * j, (load<i32>(k + 4 * j) >> 1) | ((load<i32>(k + 4 * j + 4) & 1) << 27));
    }
    store<i32>(k, load<i32>(k, 36) >> 1, 36);
  }
}

/** A Q table entry: X, Y, Z and the cached Z^2, Z^3 (reduced), for p256JAddVartime. */
// @ts-ignore: decorator
@inline const QENTRY: usize = ECDSA_QENTRY;

/** Caches Z^2 and Z^3 of the Jacobian point at q (after its X, Y, Z). */
function cacheZ(q: usize): void {
  fpSq(q + 3 * P256_FE, q + 2 * P256_FE);
  fpMul(q + 4 * P256_FE, q + 3 * P256_FE, q + 2 * P256_FE);
}

/**
 * ES_ACC = [u1] G + [u2] Q (Jacobian), from the digit strings ES_D1 (G) and ES_D2 (Q). Returns
 * true when the sum is the identity (ES_ACC is then meaningless). The Jacobian formulas are
 * incomplete, so the identity is tracked here (it starts the sum, and an addition of opposite
 * points yields it) and the additions themselves detect equal points and double.
 */
function doubleScalarMultVartime(): bool {
  // Q's odd multiples (2i + 1) Q, Jacobian with Z^2 and Z^3 cached (QENTRY bytes each); 2Q in
  // ES_TMP while building. Q has prime order n, so no (2i - 1) Q + 2Q here is exceptional (the
  // addition would still handle it).
  memory.copy(ES_QTAB, ES_QX, 2 * P256_FE);
  for (let k: usize = 2; k < 5; k++) memory.copy(ES_QTAB + k * P256_FE, P256_ONE, P256_FE);
  if (QTAB_ENTRIES > 1) {
    p256JDbl(ES_TMP, ES_QTAB);
    cacheZ(ES_TMP);
    for (let i: usize = 1; i < QTAB_ENTRIES; i++) {
      p256JAddVartime(ES_QTAB + i * QENTRY, ES_QTAB + (i - 1) * QENTRY, ES_TMP);
      cacheZ(ES_QTAB + i * QENTRY);
    }
  }
  let inf = true;
  for (let i = <i32>WNAF_POSITIONS - 1; i >= 0; i--) { // leading zero digits cost nothing (no doubling yet)
    if (!inf) p256JDbl(ES_ACC, ES_ACC);
    let d2 = <i32>load<i8>(ES_D2 + i), d1 = <i32>load<i8>(ES_D1 + i);
    if (d2 != 0) {
      let q = ES_QTAB + <usize>((d2 < 0 ? -d2 : d2) >> 1) * QENTRY;
      if (d2 < 0) {
        memory.copy(ES_TMP, q, QENTRY);
        fpNeg(ES_TMP + 40, ES_TMP + 40);
        q = ES_TMP;
      }
      if (inf) { memory.copy(ES_ACC, q, P256_POINT); inf = false; }
      else inf = p256JAddVartime(ES_ACC, ES_ACC, q) != 0;
    }
    if (d1 != 0) {
      let j = <usize>((d1 < 0 ? -d1 : d1) >> 1);
      let g: usize;
      if (ECDSA_WG <= 4) g = P256_GTAB_A + j * 2 * P256_FE;
      else g = j < 4 ? P256_GTAB_A + j * 2 * P256_FE : p256GtabB() + (j - 4) * 2 * P256_FE;
      if (d1 < 0) {
        memory.copy(ES_TMP, g, P256_FE);
        fpNeg(ES_TMP + 40, g + 40);
        g = ES_TMP;
      }
      if (inf) {
        memory.copy(ES_ACC, g, 2 * P256_FE);
        memory.copy(ES_ACC + 80, P256_ONE, P256_FE);
        inf = false;
      } else inf = p256JAddAffineVartime(ES_ACC, ES_ACC, g) != 0;
    }
  }
  return inf;
}

/**
 * Finishes: OK when the signature verifies, otherwise ERR_P256_POINT, ERR_ECDSA_ENCODING,
 * ERR_ECDSA_RANGE, ERR_ECDSA_BAD_SIG, or ERR_CRYPTO_STATE without a preceding init.
 */
export function ecdsaP256VerifyCheck(): i32 {
  let st = status;
  status = ERR_CRYPTO_STATE;
  if (st == ERR_CRYPTO_STATE) return st;
  sha256Final(ES_HCTX, ES_E);
  if (st != OK) return st;
  // e mod n (e < 2^256 < 2n), r, s as scalar limbs; w = 1/s (Montgomery); u1 = e w, u2 = r w.
  p256LimbsFromBytes(EL, ES_E);
  p256CondSub(EL, P256_N);
  p256LimbsFromBytes(RL, ES_R);
  p256LimbsFromBytes(SL, ES_S);
  scInvertMontVartime(WL, SL); p256CondSub(WL, P256_N); // (1/s) R: Montgomery
  scMul(EL, EL, WL); p256CondSub(EL, P256_N); // u1 (plain: the Montgomery factors cancel)
  scMul(SL, RL, WL); p256CondSub(SL, P256_N); // u2
  wnafVartime(ES_D1, EL, <i32>ECDSA_WG);
  wnafVartime(ES_D2, SL, <i32>ECDSA_WQ);
  if (doubleScalarMultVartime()) return ERR_ECDSA_BAD_SIG;
  // R = (X : Y : Z), Jacobian: x(R) = X / Z^2. Reject the identity (Z = 0: tracked above, checked
  // again); compare X with r Z^2 (and (r + n) Z^2 when r + n < p).
  const z = ES_TMP + 80, t = ES_TMP, u = ES_TMP + 40, bx = ES_U1, bt = ES_E;
  if (fpIsZeroVartime(ES_ACC + 80)) return ERR_ECDSA_BAD_SIG;
  fpSq(z, ES_ACC + 80);
  fpToBytes(bx, ES_ACC);
  fpFromBytes(t, ES_R);                       // r < n < p: canonical
  fpMul(u, t, z);
  fpToBytes(bt, u);
  if (ctEq(bt, bx, 32)) return OK;
  // r + n as plain limbs (RL still holds r), < p?
  for (let k: usize = 0; k < 40; k += 4) store<i32>(t + k, load<i32>(RL + k) + load<i32>(P256_N + k));
  fpCarry(t, t);
  if (!p256Lt(t, P256_P)) return ERR_ECDSA_BAD_SIG;
  fpMul(t, t, P256_R2);
  fpMul(u, t, z);
  fpToBytes(bt, u);
  return ctEq(bt, bx, 32) ? OK : ERR_ECDSA_BAD_SIG;
}

/** As ecdsaP256VerifyCheck, as a boolean: 1 valid, 0 invalid. */
export function ecdsaP256VerifyFinal(): i32 {
  let rc = ecdsaP256VerifyCheck();
  wipe(ES_SC, 4 * P256_FE);
  return rc == OK ? 1 : 0;
}
