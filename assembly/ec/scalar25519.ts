// Scalars modulo L = 2^252 + 27742317777372353535851937790883648493, the order of the
// edwards25519 prime-order subgroup (RFC 8032 §5.1).
// Variable-time: used by Ed25519 verification on public values (S, and the hash k) only.

import { SC_Q2, SC_R, SC_R2 } from "../memmap";

/** L as eight little-endian u32 words. */
const L: usize = memory.data<u32>([0x5cf5d3ed, 0x5812631a, 0xa2f79cd6, 0x14def9de, 0, 0, 0, 0x10000000]);
/** mu = floor(2^512 / L), 260 bits, nine words (HAC 14.42 Barrett constant for b = 2^32, k = 8). */
const MU: usize = memory.data<u32>([0x0a2c131b, 0xed9ce5a3, 0x086329a7, 0x2106215d, 0xffffffeb, 0xffffffff, 0xffffffff, 0xffffffff, 0xf]);

/** q2 = q1 * mu (18 words), r2 = q3 * L mod b^9 (9 words), r (9 words). */
// (In the scratch arena, memmap.ts level 0.)
// @ts-ignore: decorator
@inline const Q2: usize = SC_Q2;
// @ts-ignore: decorator
@inline const R2: usize = SC_R2;
// @ts-ignore: decorator
@inline const R: usize = SC_R;

/** 1 when the 32 little-endian bytes at s encode an integer < L (RFC 8032 §5.1.7 step 1). */
export function scIsCanonicalVartime(s: usize): i32 {
  for (let i = 7; i >= 0; i--) {
    let a = load<u32>(s + (<usize>i << 2)), b = load<u32>(L + (<usize>i << 2));
    if (a < b) return 1;
    if (a > b) return 0;
  }
  return 0; // s == L
}

/** r (n words) >= L (8 words)? */
function geqL(r: usize, n: i32): bool {
  for (let i = n - 1; i >= 8; i--) if (load<u32>(r + (<usize>i << 2)) != 0) return true;
  for (let i = 7; i >= 0; i--) {
    let a = load<u32>(r + (<usize>i << 2)), b = load<u32>(L + (<usize>i << 2));
    if (a != b) return a > b;
  }
  return true;
}

/** r -= L over n words (r >= L). */
function subL(r: usize, n: i32): void {
  let borrow: i64 = 0;
  for (let i = 0; i < n; i++) {
    let li: i64 = i < 8 ? <i64>load<u32>(L + (<usize>i << 2)) : 0;
    let t = <i64>load<u32>(r + (<usize>i << 2)) - li - borrow;
    store<u32>(r + (<usize>i << 2), <u32>t);
    borrow = (t >> 63) & 1;
  }
}

/**
 * out (32 bytes) = the 64 little-endian bytes at x, mod L. Barrett reduction (HAC 14.42) with
 * b = 2^32, k = 8: q3 underestimates x / L by at most 2, so at most two final subtractions.
 */
export function scReduce64Vartime(out: usize, x: usize): void {
  // q2 = q1 * mu with q1 = x >> 224 (words 7..15 of x). Schoolbook rows: each step
  // a*b + t + carry <= (2^32-1)^2 + 2 (2^32-1) = 2^64 - 1 fits u64.
  memory.fill(Q2, 0, 18 * 4);
  for (let i = 0; i < 9; i++) {
    let a = <u64>load<u32>(x + 28 + (<usize>i << 2));
    let carry: u64 = 0;
    for (let j = 0; j < 9; j++) {
      let q = Q2 + (<usize>(i + j) << 2);
      let t = a * <u64>load<u32>(MU + (<usize>j << 2)) + <u64>load<u32>(q) + carry;
      store<u32>(q, <u32>t);
      carry = t >> 32;
    }
    store<u32>(Q2 + (<usize>(i + 9) << 2), <u32>carry);
  }
  // r2 = (q3 * L) mod b^9 with q3 = q2 >> 288 (words 9..17 of q2).
  memory.fill(R2, 0, 9 * 4);
  for (let i = 0; i < 9; i++) {
    let a = <u64>load<u32>(Q2 + 36 + (<usize>i << 2));
    let carry: u64 = 0;
    for (let j = 0; j < 8 && i + j < 9; j++) {
      let q = R2 + (<usize>(i + j) << 2);
      let t = a * <u64>load<u32>(L + (<usize>j << 2)) + <u64>load<u32>(q) + carry;
      store<u32>(q, <u32>t);
      carry = t >> 32;
    }
    if (i + 8 < 9) store<u32>(R2 + (<usize>(i + 8) << 2), load<u32>(R2 + (<usize>(i + 8) << 2)) + <u32>carry);
  }
  // r = (x mod b^9) - r2 mod b^9; the true difference is in [0, 3L), so the wrap is exact.
  let borrow: i64 = 0;
  for (let i = 0; i < 9; i++) {
    let t = <i64>load<u32>(x + (<usize>i << 2)) - <i64>load<u32>(R2 + (<usize>i << 2)) - borrow;
    store<u32>(R + (<usize>i << 2), <u32>t);
    borrow = (t >> 63) & 1;
  }
  while (geqL(R, 9)) subL(R, 9);
  memory.copy(out, R, 32);
}
