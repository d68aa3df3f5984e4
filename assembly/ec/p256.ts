// P-256 (secp256r1, SEC 2 §2.4.2 / FIPS 186-5): field and scalar helpers, point validation, and
// constant-time ECDH (SEC 1 §3.3.1: the shared secret is the x-coordinate of [k] Q).
//
// Elements are ten i32 limbs of 28 bits in the Montgomery domain (R = 2^280); multiplication,
// squaring, the linear operations and the complete Renes-Costello-Batina formulas are generated
// (p256_gen.ts, scripts/gen/gen_p256.py), with every bound checked by the generator.
// Points are projective (X : Y : Z), x = X/Z, y = Y/Z; the identity is (0 : 1 : 0). (The
// generated file also holds the Jacobian formulas: the a = -3 doubling, straight-line, and the
// ECDSA verifier's variable-time additions, used only by sig/ecdsa_p256.ts on public data.)
//
// ECDH is constant-time in the scalar: a fixed signed 4-bit window (65 digits in [-8, 8], the
// recoding branch-free), every table entry read for every digit and selected by masks, the
// complete addition (no special case for the identity, equal or opposite points), a fixed
// inversion chain. The peer's point is public; its validation may branch. The four doublings of
// each window run in Jacobian coordinates (dbl-2001-b, 4M + 4S, against 8M + 3S + 2 m_b for the
// complete doubling), between two conversions (2M + 1S each): the doubling's only exception is
// the identity, which the accumulator never is, because the scalar is first replaced by
// k + 2n (the same point, [n] Q = O): its top digit is 1..4, and every partial sum the windows
// double stays in [1, n) (see scalarMult).
import { ctEq, ctIsZero, wipe } from "../ct/ct";
import { ERR_P256_POINT, ERR_P256_SCALAR, OK } from "../errors";
import { P256_CT, P256_ECDH_ENTRIES, P256_IT, PE_DG, PE_K, PE_Q, PE_T, PE_TAB } from "../memmap";
import {
  P256_B, P256_GX, P256_GY, P256_N, P256_ONE, P256_P, P256_R2, fpAdd, fpMul, fpSq, fpSub, p256Add, p256Dbl, p256JDbl,
} from "./p256_gen";

/** 2n - 2^256, 32 bytes big-endian: k + 2n = 2^256 + k + TWO_N_LOW. Lazy: builds without P-256 ECDH keep none of it. */
// @ts-ignore: decorator
@lazy const TWO_N_LOW: usize = memory.data<u8>([
  0xff, 0xff, 0xff, 0xfe, 0x00, 0x00, 0x00, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
  0x79, 0xcd, 0xf5, 0x5b, 0x4e, 0x2f, 0x3d, 0x09, 0xe7, 0x73, 0x95, 0x85, 0xf8, 0xc6, 0x4a, 0xa2,
]);

/** An element: ten i32 limbs. */
// @ts-ignore: decorator
@inline export const P256_FE: usize = 40;
/** A projective point: X, Y, Z. */
// @ts-ignore: decorator
@inline export const P256_POINT: usize = 120;
/** SEC 1 uncompressed encoding: 04 || x || y. */
// @ts-ignore: decorator
@inline export const P256_UNCOMPRESSED: usize = 65;
// @ts-ignore: decorator
@inline const M28: u64 = 0xfffffff;

/** 1 as plain limbs: multiplying by it leaves the Montgomery domain. */
// @ts-ignore: decorator
@lazy const PLAIN_ONE: usize = memory.data<i32>([1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

/** h = the 32 big-endian bytes at s as plain limbs (limbs 0..8 of 28 bits, limb 9 of 4). */
export function p256LimbsFromBytes(h: usize, s: usize): void {
  let acc: u64 = 0, nb: u32 = 0, k: usize = 0;
  for (let j: usize = 0; j < 32; j++) {
    acc |= <u64>load<u8>(s + 31 - j) << nb;
    nb += 8;
    if (nb >= 28) { store<i32>(h + 4 * k, <i32>(acc & M28)); acc >>= 28; nb -= 28; k++; } // depends on j only
  }
  store<i32>(h, <i32>acc, 36);
}

/** s = 32 big-endian bytes of the canonical limbs h (limbs 0..8 in [0, 2^28), limb 9 in [0, 16)). */
export function p256LimbsToBytes(s: usize, h: usize): void {
  let acc: u64 = 0, nb: u32 = 0, k: usize = 0;
  for (let j: usize = 0; j < 32; j++) {
    if (nb < 8) { acc |= <u64>load<u32>(h + 4 * k) << nb; nb += 28; k++; } // depends on j only
    store<u8>(s + 31 - j, <u8>acc);
    acc >>= 8; nb -= 8;
  }
}

/** 1 when the normalized limbs a are below those of m (both non-negative), else 0. Constant-time. */
export function p256Lt(a: usize, m: usize): u32 {
  let c: i64 = 0;
  for (let i: usize = 0; i < 40; i += 4) c = (<i64>load<i32>(a + i) - <i64>load<i32>(m + i) + c) >> 28;
  return <u32>c & 1;
}

/** h = h - m when h >= m (h in [0, 2m), normalized). Constant-time. */
export function p256CondSub(h: usize, m: usize): void {
  let mask = <i32>p256Lt(h, m) - 1; // all-ones when h >= m
  let c: i64 = 0;
  for (let i: usize = 0; i < 36; i += 4) {
    let v = <i64>load<i32>(h + i) - <i64>(load<i32>(m + i) & mask) + c;
    store<i32>(h + i, <i32>(v & <i64>M28));
    c = v >> 28;
  }
  store<i32>(h, <i32>(<i64>load<i32>(h, 36) - <i64>(load<i32>(m, 36) & mask) + c), 36);
}

/**
 * h = the field element of the 32 big-endian bytes at s, in the Montgomery domain. Returns 1
 * when the bytes are < p (canonical), else 0 (h is then still the value mod p). Constant-time.
 */
export function fpFromBytes(h: usize, s: usize): u32 {
  p256LimbsFromBytes(h, s);
  let ok = p256Lt(h, P256_P);
  fpMul(h, h, P256_R2);
  return ok;
}

/** s = the canonical 32 big-endian bytes of f (any reduced or lazy element). Constant-time. */
export function fpToBytes(s: usize, f: usize): void {
  fpMul(P256_CT, f, PLAIN_ONE); // leaves the domain: the value is in [0, p]
  p256CondSub(P256_CT, P256_P);
  p256LimbsToBytes(s, P256_CT);
  wipe(P256_CT, P256_FE);
}

function fpSqN(h: usize, f: usize, n: i32): void {
  fpSq(h, f);
  for (let i = 1; i < n; i++) fpSq(h, h);
}

/**
 * h = f^(p-2) = 1/f (0 for 0), by a fixed chain of 255 squarings and 12 multiplications
 * (github.com/mmcloughlin/addchain, as in Go's crypto/internal/nistec). Constant-time; the
 * temporaries are wiped.
 */
export function fpInvert(h: usize, f: usize): void {
  const z = P256_IT, t0 = P256_IT + 40, t1 = P256_IT + 80, t2 = P256_IT + 120, t3 = P256_IT + 160;
  memory.copy(z, f, P256_FE);
  fpSq(t0, z); fpMul(t0, t0, z);            // _11
  fpSq(t1, t0); fpMul(t1, t1, z);           // _111
  fpSqN(t2, t1, 3); fpMul(t2, t2, t1);      // _111111
  fpSqN(t3, t2, 6); fpMul(t3, t3, t2);      // x12
  fpSqN(t3, t3, 3); fpMul(t3, t3, t1);      // x15
  fpSq(t2, t3); fpMul(t2, t2, z);           // x16
  fpSqN(t0, t2, 16); fpMul(t0, t0, t2);     // x32
  fpSqN(t0, t0, 15);                        // i53
  fpMul(t3, t3, t0);                        // x47
  fpSqN(t0, t0, 17); fpMul(t0, t0, z);
  fpSqN(t0, t0, 143); fpMul(t0, t0, t3);
  fpSqN(t0, t0, 47); fpMul(t0, t0, t3);
  fpSqN(t0, t0, 2); fpMul(h, t0, z);
  wipe(P256_IT, 5 * P256_FE);
}

/**
 * Decodes a public point (65 bytes 04 || x || y) into affine x, y (Montgomery domain). Returns
 * OK, or ERR_P256_POINT when the first byte is not 4, x or y >= p, or y^2 != x^3 - 3x + b (the
 * identity has no such encoding). Public data: it may branch. Uses P256_FT scratch via t, u (two
 * elements the caller provides) and two 32-byte buffers at cmp.
 */
export function p256DecodePointVartime(x: usize, y: usize, enc: usize, t: usize, u: usize, cmp: usize): i32 {
  if (load<u8>(enc) != 4) return ERR_P256_POINT;
  let ok = fpFromBytes(x, enc + 1) & fpFromBytes(y, enc + 33);
  if (!ok) return ERR_P256_POINT;
  fpSq(t, x);                                    // x^2
  store<i32>(u, load<i32>(P256_ONE) * 3, 0);     // u = 3 (Montgomery), limb-wise 3 * ONE
  for (let i: usize = 4; i < 40; i += 4) store<i32>(u + i, load<i32>(P256_ONE + i) * 3);
  fpSub(t, t, u);                                // x^2 - 3
  fpMul(t, t, x);                                // x^3 - 3x
  fpAdd(t, t, P256_B);                           // + b
  fpSq(u, y);
  fpToBytes(cmp, t);
  fpToBytes(cmp + 32, u);
  return ctEq(cmp, cmp + 32, 32) ? OK : ERR_P256_POINT;
}

/** Nibble i (bits 4i..4i+3) of the 32-byte big-endian scalar at k; the address depends on i only. */
// @ts-ignore: decorator
@inline function nibble(k: usize, i: usize): i32 {
  return (<i32>load<u8>(k + 31 - (i >> 1)) >> (4 * <i32>(i & 1))) & 15;
}

/**
 * r = TAB[|d|] with Y negated when d < 0 (d in [-8, 8]), reading every entry and selecting by
 * masks. Constant-time in d.
 */
function lookup(r: usize, d: i32): void {
  let s = d >> 31;              // all-ones when d < 0
  let a = <u32>((d ^ s) - s);   // |d|
  memory.fill(r, 0, P256_POINT);
  for (let e: u32 = 0; e < <u32>P256_ECDH_ENTRIES; e++) {
    let x = e ^ a;
    let mask = <i32>((x - 1) & ~x) >> 31; // all-ones when e == |d|
    let q = PE_TAB + <usize>e * P256_POINT;
    for (let i: usize = 0; i < P256_POINT; i += 4) store<i32>(r + i, load<i32>(r + i) | (load<i32>(q + i) & mask));
  }
  // Y = s ? -Y : Y, limb by limb (a negated element is a valid lazy element).
  for (let i: usize = 40; i < 80; i += 4) {
    let y = load<i32>(r + i);
    store<i32>(r + i, (y ^ s) - s);
  }
}

/**
 * Copies the 32 big-endian bytes at scalar to PE_K; returns 1 when 1 <= k <= n - 1, else 0.
 * Constant-time (the verdict itself is public: it becomes the return code).
 */
function loadScalar(scalar: usize): u32 {
  memory.copy(PE_K, scalar, 32);
  p256LimbsFromBytes(PE_Q, PE_K);
  return p256Lt(PE_Q, P256_N) & (ctIsZero(PE_K, 32) ^ 1);
}

/** Wipes ECDH's level-2 scratch: the scalar, digits, accumulator, entry and table. */
// @ts-ignore: decorator
@inline function wipeScratch(): void {
  wipe(PE_K, 104 + (2 + P256_ECDH_ENTRIES) * P256_POINT);
}

/** The projective point at a (not the identity) in Jacobian form: X' = X Z, Y' = Y Z^2, Z' = Z. t: an element of scratch. */
function toJacobian(a: usize, t: usize): void {
  fpSq(t, a + 80);
  fpMul(a + 40, a + 40, t);
  fpMul(a, a, a + 80);
}

/** The Jacobian point at a in projective form: X = X' Z', Y = Y', Z = Z'^3 (x = X'/Z'^2, y = Y'/Z'^3). t: an element of scratch. */
function fromJacobian(a: usize, t: usize): void {
  fpMul(a, a, a + 80);
  fpSq(t, a + 80);
  fpMul(a + 80, a + 80, t);
}

/**
 * PE_Q = [k] P, k the scalar at PE_K (1 <= k < n, overwritten by k + 2n mod 2^256), P the affine
 * point the caller put in table entry 1 (X, Y in the Montgomery domain; Z is set here), of order
 * n. Constant-time in k.
 */
function scalarMult(): void {
  const n: usize = P256_ECDH_ENTRIES;
  memory.copy(PE_TAB + P256_POINT + 80, P256_ONE, P256_FE);
  // entry 0 is the identity (0 : 1 : 0)
  memory.fill(PE_TAB, 0, P256_POINT);
  memory.copy(PE_TAB + 40, P256_ONE, P256_FE);
  for (let e: usize = 2; e < n; e++) {
    let q = PE_TAB + e * P256_POINT;
    if ((e & 1) == 0) p256Dbl(q, PE_TAB + (e >> 1) * P256_POINT); // e is public
    else p256Add(q, q - P256_POINT, PE_TAB + P256_POINT);
  }
  // k' = k + 2n, which is k mod n, in [2n + 1, 3n - 1], a subset of (2^256, 3 * 2^256): PE_K gets
  // its low 256 bits and top its bits 256 and up, 1, 2 or 3. Byte-wise, straight-line.
  let top: i32 = 1; // 2n = 2^256 + TWO_N_LOW
  let cc: u32 = 0;
  for (let i: i32 = 31; i >= 0; i--) {
    let v = <u32>load<u8>(PE_K + <usize>i) + <u32>load<u8>(TWO_N_LOW + <usize>i) + cc;
    store<u8>(PE_K + <usize>i, <u8>v);
    cc = v >> 8;
  }
  top += <i32>cc;
  // Signed digits of k': nibble i plus the carry from below, minus 16 (carrying 1) when above 8;
  // the 65th digit is top plus the last carry, in [1, 4].
  let carry = 0;
  for (let i: usize = 0; i < 64; i++) {
    let v = nibble(PE_K, i) + carry;
    carry = (v + 7) >> 4;                 // 1 when v >= 9 (v <= 16)
    store<i8>(PE_DG + i, <i8>(v - (carry << 4)));
  }
  store<i8>(PE_DG + 64, <i8>(top + carry));
  // Most significant digit first. The accumulator holds [v] P, v the value of the digits so far:
  // v = the top digit, in [1, 4], then v = 16 v' + d with v' >= 1 and |d| <= 8, so v >= 8; and
  // v <= k' / 16^i + 1 < n while a window is left (i >= 1). A window doubles [2^j v] P, j < 4,
  // which is the identity only if the odd prime n divides 2^j v, so only if n | v: never, so the
  // Jacobian doubling's exception cannot occur. The additions are complete (they meet a digit's 0
  // entry, and the last one may add opposite or equal points).
  lookup(PE_Q, <i32>load<i8>(PE_DG + 64));
  for (let i = 63; i >= 0; i--) {
    toJacobian(PE_Q, PE_T);
    for (let j = 0; j < 4; j++) p256JDbl(PE_Q, PE_Q);
    fromJacobian(PE_Q, PE_T);
    lookup(PE_T, <i32>load<i8>(PE_DG + <usize>i));
    p256Add(PE_Q, PE_Q, PE_T);
  }
}

/**
 * out = x-coordinate (32 bytes, big-endian) of [scalar] Q, where scalar is 32 big-endian bytes
 * and point is the 65-byte uncompressed encoding of Q. Returns OK, ERR_P256_SCALAR (scalar 0 or
 * >= n: out is zeroed) or ERR_P256_POINT (out is zeroed). The scratch is wiped BEFORE out is
 * written (the result waits in level-0 scratch), so out may lie in the level-2/3 arena, e.g.
 * the handset's DH secret above HKDF's scratch (memmap.ts).
 */
export function p256Ecdh(out: usize, scalar: usize, point: usize): i32 {
  let inRange = loadScalar(scalar);
  // Q into table entry 1 (affine, Z = 1); entry 0 is the identity.
  let pt = p256DecodePointVartime(PE_TAB + P256_POINT, PE_TAB + P256_POINT + 40, point, PE_T, PE_T + 40, PE_T + 80);
  if (inRange == 0 || pt != OK) {
    wipeScratch();
    memory.fill(out, 0, 32);
    return inRange == 0 ? ERR_P256_SCALAR : ERR_P256_POINT;
  }
  scalarMult();
  // x = X / Z. With Q of prime order n and 0 < k < n, [k] Q is never the identity.
  fpInvert(PE_T, PE_Q + 80);
  fpMul(PE_T, PE_Q, PE_T);
  fpMul(P256_CT, PE_T, PLAIN_ONE); // leaves the domain: [0, p]
  p256CondSub(P256_CT, P256_P);
  wipeScratch();
  p256LimbsToBytes(out, P256_CT);
  wipe(P256_CT, P256_FE);
  return OK;
}

/**
 * out = the 65-byte uncompressed encoding 04 || x || y of the public key [scalar] G (SEC 1
 * §3.2.1), for a handset's own static key. Returns OK or ERR_P256_SCALAR (scalar 0 or >= n: out
 * is zeroed). Constant-time in the scalar (the same window as ECDH). out must not lie in the
 * arena's levels 2 and up (it is written before the scratch is wiped). The scratch is wiped.
 */
export function p256PublicKey(out: usize, scalar: usize): i32 {
  let inRange = loadScalar(scalar);
  if (inRange == 0) {
    wipeScratch();
    memory.fill(out, 0, P256_UNCOMPRESSED);
    return ERR_P256_SCALAR;
  }
  memory.copy(PE_TAB + P256_POINT, P256_GX, P256_FE);
  memory.copy(PE_TAB + P256_POINT + 40, P256_GY, P256_FE);
  scalarMult();
  // x = X / Z, y = Y / Z ([k] G is not the identity for 0 < k < n)
  fpInvert(PE_T, PE_Q + 80);
  fpMul(PE_Q, PE_Q, PE_T);
  fpMul(PE_Q + 40, PE_Q + 40, PE_T);
  store<u8>(out, 4);
  fpToBytes(out + 1, PE_Q);
  fpToBytes(out + 33, PE_Q + 40);
  wipeScratch();
  return OK;
}

/** OK when the 32 big-endian bytes at scalar are a valid private key, in [1, n - 1], else ERR_P256_SCALAR. Constant-time. */
export function p256ScalarCheck(scalar: usize): i32 {
  let inRange = loadScalar(scalar);
  wipeScratch();
  return inRange != 0 ? OK : ERR_P256_SCALAR;
}

/**
 * OK when the 65 bytes at enc are 04 || x || y with x, y < p on the curve (a key that can be
 * configured as a CA key or accepted from a peer), else ERR_P256_POINT. Public data; uses ECDH's
 * scratch and wipes it.
 */
export function p256PointCheck(enc: usize): i32 {
  let rc = p256DecodePointVartime(PE_TAB, PE_TAB + 40, enc, PE_T, PE_T + 40, PE_T + 80);
  wipeScratch();
  return rc;
}
