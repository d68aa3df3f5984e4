// Arithmetic in GF(p), p = 2^255 - 19, shared by X25519 and Ed25519.
//
// Representation (ref10's radix 2^25.5): an element is FE_SIZE bytes holding ten signed i32
// limbs h0..h9, value = sum h_i * 2^ceil(25.5 i); even limbs carry 26 bits, odd limbs 25 bits.
// "Reduced" (the output of every multiplication): even limbs in [0, 2^26), odd limbs in
// [0, 2^25), except h1, which takes the last carry and lies in about [-2^12, 2^25 + 2^17].
// Additions and subtractions do not carry; sums and differences of up to four reduced values
// are valid inputs to feMul/feSq, whose bound is |even| <= 2^28, |odd| <= 2^27.
// Every function here is constant-time unless its name ends in Vartime.
import { feMul, feSq, feSqN } from "./field25519_gen";
import { FE_T0, FE_T1, FE_T2, FE_T3, FE_TB } from "../memmap";
export { feAdd, feCarry, feCmov, feCswap, feMul, feMul121665, feNeg, feSq, feSqN, feSub } from "./field25519_gen";

/** Ten i32 limbs. */
// @ts-ignore: decorator
@inline export const FE_SIZE: usize = 40;

// @ts-ignore: decorator
@inline const M26: i64 = 0x3ffffff;
// @ts-ignore: decorator
@inline const M25: i64 = 0x1ffffff;

/** Scratch for the addition chains; wiped by them (they raise secrets in X25519). */
// (In the scratch arena, memmap.ts level 0; T0..T3 are contiguous, wipeChain relies on it.)
// @ts-ignore: decorator
@inline const T0: usize = FE_T0;
// @ts-ignore: decorator
@inline const T1: usize = FE_T1;
// @ts-ignore: decorator
@inline const T2: usize = FE_T2;
// @ts-ignore: decorator
@inline const T3: usize = FE_T3;
/** Scratch for feToBytes and the predicates built on it. */
// @ts-ignore: decorator
@inline const TB: usize = FE_TB;

export function feZero(h: usize): void { memory.fill(h, 0, FE_SIZE); }

export function feOne(h: usize): void { memory.fill(h, 0, FE_SIZE); store<i32>(h, 1); }

export function feCopy(h: usize, f: usize): void { memory.copy(h, f, FE_SIZE); }

/**
 * Loads 32 little-endian bytes, ignoring bit 255 (RFC 7748 §5 masks it; Ed25519 reads it as
 * the sign of x separately). The result may be >= p (non-canonical); it is still < 2^255.
 */
export function feFromBytes(h: usize, s: usize): void {
  // Limb i starts at bit ceil(25.5 i): bytes 0,3,6,9,12,16,19,22,25,28 with shifts 0,2,3,5,6,0,1,3,4,6.
  store<i32>(h, <i32>(load<u32>(s, 0) & 0x3ffffff), 0);
  store<i32>(h, <i32>((load<u32>(s, 3) >>> 2) & 0x1ffffff), 4);
  store<i32>(h, <i32>((load<u32>(s, 6) >>> 3) & 0x3ffffff), 8);
  store<i32>(h, <i32>((load<u32>(s, 9) >>> 5) & 0x1ffffff), 12);
  store<i32>(h, <i32>((load<u32>(s, 12) >>> 6) & 0x3ffffff), 16);
  store<i32>(h, <i32>(load<u32>(s, 16) & 0x1ffffff), 20);
  store<i32>(h, <i32>((load<u32>(s, 19) >>> 1) & 0x3ffffff), 24);
  store<i32>(h, <i32>((load<u32>(s, 22) >>> 3) & 0x1ffffff), 28);
  store<i32>(h, <i32>((load<u32>(s, 25) >>> 4) & 0x3ffffff), 32);
  store<i32>(h, <i32>((load<u32>(s, 28) >>> 6) & 0x1ffffff), 36);
}

/**
 * Writes the canonical 32-byte encoding (value mod p, little-endian). Accepts any limbs with
 * |limb| <= 2^27 (sums and differences of reduced elements). Constant-time.
 */
export function feToBytes(s: usize, f: usize): void {
  // Add 4p limb-wise, then carry. The value becomes non-negative (a negative carry out of the
  // top limb adds p back), and 0 <= v < 2^255 + 2^43 < 2p before the final conditional subtraction.
  let h0 = <i64>load<i32>(f, 0) + 4 * (M26 - 18), h1 = <i64>load<i32>(f, 4) + 4 * M25;
  let h2 = <i64>load<i32>(f, 8) + 4 * M26, h3 = <i64>load<i32>(f, 12) + 4 * M25;
  let h4 = <i64>load<i32>(f, 16) + 4 * M26, h5 = <i64>load<i32>(f, 20) + 4 * M25;
  let h6 = <i64>load<i32>(f, 24) + 4 * M26, h7 = <i64>load<i32>(f, 28) + 4 * M25;
  let h8 = <i64>load<i32>(f, 32) + 4 * M26, h9 = <i64>load<i32>(f, 36) + 4 * M25;
  h1 += h0 >> 26; h0 &= M26; h2 += h1 >> 25; h1 &= M25;
  h3 += h2 >> 26; h2 &= M26; h4 += h3 >> 25; h3 &= M25;
  h5 += h4 >> 26; h4 &= M26; h6 += h5 >> 25; h5 &= M25;
  h7 += h6 >> 26; h6 &= M26; h8 += h7 >> 25; h7 &= M25;
  h9 += h8 >> 26; h8 &= M26; h0 += (h9 >> 25) * 19; h9 &= M25;
  h1 += h0 >> 26; h0 &= M26;
  // q = floor((v + 19) / 2^255) is 1 exactly when v >= p; then v - p = v + 19 - 2^255.
  let q = (h0 + 19) >> 26;
  q = (h1 + q) >> 25; q = (h2 + q) >> 26; q = (h3 + q) >> 25; q = (h4 + q) >> 26;
  q = (h5 + q) >> 25; q = (h6 + q) >> 26; q = (h7 + q) >> 25; q = (h8 + q) >> 26;
  q = (h9 + q) >> 25;
  h0 += 19 * q;
  h1 += h0 >> 26; h0 &= M26; h2 += h1 >> 25; h1 &= M25;
  h3 += h2 >> 26; h2 &= M26; h4 += h3 >> 25; h3 &= M25;
  h5 += h4 >> 26; h4 &= M26; h6 += h5 >> 25; h5 &= M25;
  h7 += h6 >> 26; h6 &= M26; h8 += h7 >> 25; h7 &= M25;
  h9 += h8 >> 26; h8 &= M26; h9 &= M25; // the carry out of h9 is q * 2^255, dropped
  let w0 = <u64>h0 | (<u64>h1 << 26) | (<u64>h2 << 51);
  let w1 = (<u64>h2 >> 13) | (<u64>h3 << 13) | (<u64>h4 << 38);
  let w2 = <u64>h5 | (<u64>h6 << 25) | (<u64>h7 << 51);
  let w3 = (<u64>h7 >> 13) | (<u64>h8 << 12) | (<u64>h9 << 38);
  store<u64>(s, w0, 0); store<u64>(s, w1, 8); store<u64>(s, w2, 16); store<u64>(s, w3, 24);
}

/**
 * T1 = z^(2^250 - 1) and T0 = z^11: the common head of the inversion and square-root chains
 * (ref10's chain: 249 squarings and 11 multiplications up to here).
 */
function pow2250m1(z: usize): void {
  feSq(T0, z);              // z^2
  feSqN(T1, T0, 2);         // z^8
  feMul(T1, z, T1);         // z^9
  feMul(T0, T0, T1);        // z^11
  feSq(T2, T0);             // z^22
  feMul(T1, T1, T2);        // z^(2^5 - 1)
  feSqN(T2, T1, 5);  feMul(T1, T2, T1);   // 2^10 - 1
  feSqN(T2, T1, 10); feMul(T2, T2, T1);   // 2^20 - 1
  feSqN(T3, T2, 20); feMul(T2, T3, T2);   // 2^40 - 1
  feSqN(T2, T2, 10); feMul(T1, T2, T1);   // 2^50 - 1
  feSqN(T2, T1, 50); feMul(T2, T2, T1);   // 2^100 - 1
  feSqN(T3, T2, 100); feMul(T2, T3, T2);  // 2^200 - 1
  feSqN(T2, T2, 50); feMul(T1, T2, T1);   // 2^250 - 1
}

function wipeChain(): void { memory.fill(T0, 0, 4 * FE_SIZE); }

/** h = z^(p-2) = 1/z (0 maps to 0). Fermat inversion by a fixed chain: constant-time. */
export function feInvert(h: usize, z: usize): void {
  pow2250m1(z);
  feSqN(T1, T1, 5);         // 2^255 - 32
  feMul(h, T1, T0);         // 2^255 - 21 = p - 2
  wipeChain();
}

/** h = z^((p-5)/8) = z^(2^252 - 3), for square roots (RFC 8032 §5.1.3). Constant-time. */
export function fePow22523(h: usize, z: usize): void {
  pow2250m1(z);
  feSqN(T1, T1, 2);         // 2^252 - 4
  feMul(h, T1, z);          // 2^252 - 3
  wipeChain();
}

/** 1 when f = 0 mod p. Constant-time. */
export function feIsZero(f: usize): i32 {
  feToBytes(TB, f);
  let d = load<u64>(TB) | load<u64>(TB, 8) | load<u64>(TB, 16) | load<u64>(TB, 24);
  return <i32>(((d | (0 - d)) >> 63) ^ 1);
}

/** The low bit of the canonical encoding ("negative" in RFC 8032 §5.1.2). Constant-time. */
export function feIsNegative(f: usize): i32 {
  feToBytes(TB, f);
  return <i32>(load<u8>(TB) & 1);
}

/** 1 when f = g mod p. Constant-time. */
export function feEqual(f: usize, g: usize): i32 {
  feToBytes(TB, f);
  let a0 = load<u64>(TB), a1 = load<u64>(TB, 8), a2 = load<u64>(TB, 16), a3 = load<u64>(TB, 24);
  feToBytes(TB, g);
  let d = (a0 ^ load<u64>(TB)) | (a1 ^ load<u64>(TB, 8)) | (a2 ^ load<u64>(TB, 16)) | (a3 ^ load<u64>(TB, 24));
  return <i32>(((d | (0 - d)) >> 63) ^ 1);
}
