// Constant-time helpers (BearSSL inner.h, Monocypher). One module, used by every primitive.
//
// Masks are u32 values that are either 0 or 0xFFFFFFFF. Every function here runs in time that
// depends only on its length arguments, never on the bytes it reads: no branch, no table index and
// no early exit depends on secret data.

/** All-ones if x != 0, else 0. Constant-time. */
// @ts-ignore: decorator
@inline export function maskNonZero(x: u32): u32 {
  // (x | -x) has its top bit set exactly when x != 0.
  return <u32>(<i32>(x | (0 - x)) >> 31);
}

/** All-ones if bit b (0 or 1) is 1, else 0. Constant-time. */
// @ts-ignore: decorator
@inline export function maskFromBit(b: u32): u32 {
  return 0 - (b & 1);
}

/**
 * Compares n bytes at a and b. Returns 1 when equal, 0 otherwise.
 * Constant-time: reads every byte whatever the data.
 */
export function ctEq(a: usize, b: usize, n: usize): i32 {
  let d: u32 = 0;
  for (let i: usize = 0; i < n; i++) d |= <u32>load<u8>(a + i) ^ <u32>load<u8>(b + i);
  return <i32>((maskNonZero(d) & 1) ^ 1);
}

/** 16-byte constant-time comparison (Poly1305 tags). Returns 1 when equal. */
export function verify16(a: usize, b: usize): i32 {
  let d = (load<u64>(a) ^ load<u64>(b)) | (load<u64>(a, 8) ^ load<u64>(b, 8));
  return <i32>((maskNonZero(<u32>(d | (d >> 32))) & 1) ^ 1);
}

/** 32-byte constant-time comparison (HMAC-SHA256 tags). Returns 1 when equal. */
export function verify32(a: usize, b: usize): i32 {
  let d = (load<u64>(a) ^ load<u64>(b)) | (load<u64>(a, 8) ^ load<u64>(b, 8)) |
          (load<u64>(a, 16) ^ load<u64>(b, 16)) | (load<u64>(a, 24) ^ load<u64>(b, 24));
  return <i32>((maskNonZero(<u32>(d | (d >> 32))) & 1) ^ 1);
}

/** Returns 1 when all n bytes at p are zero. Constant-time. */
export function ctIsZero(p: usize, n: usize): i32 {
  let d: u32 = 0;
  for (let i: usize = 0; i < n; i++) d |= <u32>load<u8>(p + i);
  return <i32>((maskNonZero(d) & 1) ^ 1);
}

/** Swaps n bytes between a and b when mask is all-ones; leaves them when mask is 0. */
export function ctSwap(mask: u32, a: usize, b: usize, n: usize): void {
  let m = <u8>mask;
  for (let i: usize = 0; i < n; i++) {
    let x = load<u8>(a + i), y = load<u8>(b + i);
    let t = (x ^ y) & m;
    store<u8>(a + i, x ^ t);
    store<u8>(b + i, y ^ t);
  }
}

/** dst = mask ? src : dst, n bytes. Constant-time. */
export function ctCopy(mask: u32, dst: usize, src: usize, n: usize): void {
  let m = <u8>mask;
  for (let i: usize = 0; i < n; i++) {
    let d = load<u8>(dst + i);
    store<u8>(dst + i, d ^ ((d ^ load<u8>(src + i)) & m));
  }
}

/**
 * Wipes n bytes. memory.fill is a single wasm instruction that no optimiser may drop, since
 * linear memory stays observable after the call (Monocypher WIPE_BUFFER).
 */
// @ts-ignore: decorator
@inline export function wipe(p: usize, n: usize): void {
  memory.fill(p, 0, n);
}
