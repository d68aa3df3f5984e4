// Poly1305 (RFC 8439 §2.5), streaming, radix 2^26 (five 26-bit limbs, 64-bit products).
//
// Context layout (POLY1305_CTX_SIZE bytes):
//   [0, 20)   h0..h4, u32 limbs of the accumulator, each < 2^26 (+ a small carry in h1)
//   [20, 40)  r0..r4, clamped key limbs (< 2^26; r1..r4 have their top 2 bits cleared by clamping)
//   [40, 56)  s = the second key half, added at the end
//   [56, 72)  partial block buffer
//   [72, 76)  bytes in the partial block
// Bounds: h_i < 2^26 + 2^26 (limb + new input) and r_i * 5 < 2^29, so every column sum of five
// products stays below 5 * 2^27 * 2^29 < 2^59, well inside u64.
// Constant-time: no branch or address depends on the key or the message.
import { wipe } from "../ct/ct";

// @ts-ignore: decorator
@inline export const POLY1305_KEY: usize = 32;
// @ts-ignore: decorator
@inline export const POLY1305_TAG: usize = 16;
// @ts-ignore: decorator
@inline export const POLY1305_BLOCK: usize = 16;
/** 20 (h) + 20 (r) + 16 (s) + 16 (buffer) + 4 (fill), rounded up to 8. */
// @ts-ignore: decorator
@inline export const POLY1305_CTX_SIZE: usize = 80;

// @ts-ignore: decorator
@inline const OFF_R: usize = 20;
// @ts-ignore: decorator
@inline const OFF_S: usize = 40;
// @ts-ignore: decorator
@inline const OFF_BUF: usize = 56;
// @ts-ignore: decorator
@inline const OFF_FILL: usize = 72;
// @ts-ignore: decorator
@inline const M26: u64 = 0x3ffffff;

/** Keys the context with the one-time key (r || s), clamping r (RFC 8439 §2.5.1). */
export function poly1305Init(ctx: usize, key: usize): void {
  memory.fill(ctx, 0, POLY1305_CTX_SIZE);
  store<u32>(ctx, load<u32>(key, 0) & 0x3ffffff, OFF_R);
  store<u32>(ctx, (load<u32>(key, 3) >>> 2) & 0x3ffff03, OFF_R + 4);
  store<u32>(ctx, (load<u32>(key, 6) >>> 4) & 0x3ffc0ff, OFF_R + 8);
  store<u32>(ctx, (load<u32>(key, 9) >>> 6) & 0x3f03fff, OFF_R + 12);
  store<u32>(ctx, (load<u32>(key, 12) >>> 8) & 0x00fffff, OFF_R + 16);
  memory.copy(ctx + OFF_S, key + 16, 16);
}

/** Absorbs nb 16-byte blocks at p; hibit is 1 << 24 for full blocks (the 2^128 pad bit). */
function blocks(ctx: usize, p: usize, nb: usize, hibit: u64): void {
  let r0 = <u64>load<u32>(ctx, OFF_R), r1 = <u64>load<u32>(ctx, OFF_R + 4), r2 = <u64>load<u32>(ctx, OFF_R + 8);
  let r3 = <u64>load<u32>(ctx, OFF_R + 12), r4 = <u64>load<u32>(ctx, OFF_R + 16);
  let s1 = r1 * 5, s2 = r2 * 5, s3 = r3 * 5, s4 = r4 * 5;
  let h0 = <u64>load<u32>(ctx, 0), h1 = <u64>load<u32>(ctx, 4), h2 = <u64>load<u32>(ctx, 8);
  let h3 = <u64>load<u32>(ctx, 12), h4 = <u64>load<u32>(ctx, 16);
  let end = p + (nb << 4);
  while (p < end) {
    h0 += <u64>load<u32>(p, 0) & M26;
    h1 += <u64>(load<u32>(p, 3) >>> 2) & M26;
    h2 += <u64>(load<u32>(p, 6) >>> 4) & M26;
    h3 += <u64>(load<u32>(p, 9) >>> 6);
    h4 += <u64>(load<u32>(p, 12) >>> 8) | hibit;
    // h *= r mod 2^130 - 5: 2^130 = 5 mod p folds the high columns with the s_i = 5 r_i.
    let d0 = h0 * r0 + h1 * s4 + h2 * s3 + h3 * s2 + h4 * s1;
    let d1 = h0 * r1 + h1 * r0 + h2 * s4 + h3 * s3 + h4 * s2;
    let d2 = h0 * r2 + h1 * r1 + h2 * r0 + h3 * s4 + h4 * s3;
    let d3 = h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * s4;
    let d4 = h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0;
    d1 += d0 >> 26; h0 = d0 & M26;
    d2 += d1 >> 26; h1 = d1 & M26;
    d3 += d2 >> 26; h2 = d2 & M26;
    d4 += d3 >> 26; h3 = d3 & M26;
    h0 += (d4 >> 26) * 5; h4 = d4 & M26;
    h1 += h0 >> 26; h0 &= M26;
    p += 16;
  }
  // h3 above takes (load >>> 6) unmasked: its top 6 bits are zero by the shift, so it is < 2^26.
  store<u32>(ctx, <u32>h0, 0); store<u32>(ctx, <u32>h1, 4); store<u32>(ctx, <u32>h2, 8);
  store<u32>(ctx, <u32>h3, 12); store<u32>(ctx, <u32>h4, 16);
}

/** Absorbs n bytes at p. */
export function poly1305Update(ctx: usize, p: usize, n: usize): void {
  let fill = <usize>load<u32>(ctx, OFF_FILL);
  let buf = ctx + OFF_BUF;
  if (fill != 0) {
    let take = min(POLY1305_BLOCK - fill, n);
    memory.copy(buf + fill, p, take);
    fill += take; p += take; n -= take;
    if (fill < POLY1305_BLOCK) { store<u32>(ctx, <u32>fill, OFF_FILL); return; }
    blocks(ctx, buf, 1, 1 << 24);
    fill = 0;
  }
  let nb = n >> 4;
  if (nb != 0) blocks(ctx, p, nb, 1 << 24);
  p += nb << 4; n &= 15;
  memory.copy(buf, p, n);
  store<u32>(ctx, <u32>n, OFF_FILL);
}

/** Pads the message with zero bytes to a multiple of 16 (RFC 8439 §2.8 pad16), absorbing them. */
export function poly1305Pad16(ctx: usize): void {
  let fill = <usize>load<u32>(ctx, OFF_FILL);
  if (fill == 0) return;
  memory.fill(ctx + OFF_BUF + fill, 0, POLY1305_BLOCK - fill);
  blocks(ctx, ctx + OFF_BUF, 1, 1 << 24);
  store<u32>(ctx, 0, OFF_FILL);
}

/** Writes the 16-byte tag and wipes the context (RFC 8439 §2.5.1). */
export function poly1305Final(ctx: usize, tag: usize): void {
  let fill = <usize>load<u32>(ctx, OFF_FILL);
  if (fill != 0) {
    // A final partial block gets a 1 byte after the message and no 2^128 bit.
    let buf = ctx + OFF_BUF;
    store<u8>(buf + fill, 1);
    memory.fill(buf + fill + 1, 0, POLY1305_BLOCK - fill - 1);
    blocks(ctx, buf, 1, 0);
  }
  let h0 = load<u32>(ctx, 0), h1 = load<u32>(ctx, 4), h2 = load<u32>(ctx, 8), h3 = load<u32>(ctx, 12), h4 = load<u32>(ctx, 16);
  let m26: u32 = 0x3ffffff;
  // Full carry: h < 2^130 with every limb < 2^26.
  h2 += h1 >>> 26; h1 &= m26;
  h3 += h2 >>> 26; h2 &= m26;
  h4 += h3 >>> 26; h3 &= m26;
  h0 += (h4 >>> 26) * 5; h4 &= m26;
  h1 += h0 >>> 26; h0 &= m26;
  // g = h + 5 - 2^130; if it does not go negative, h >= p and the result is g.
  let g0 = h0 + 5; let c = g0 >>> 26; g0 &= m26;
  let g1 = h1 + c; c = g1 >>> 26; g1 &= m26;
  let g2 = h2 + c; c = g2 >>> 26; g2 &= m26;
  let g3 = h3 + c; c = g3 >>> 26; g3 &= m26;
  let g4 = h4 + c - (1 << 26);
  let mask = (g4 >>> 31) - 1; // all-ones when g4 >= 0 (h >= p)
  let nmask = ~mask;
  h0 = (h0 & nmask) | (g0 & mask);
  h1 = (h1 & nmask) | (g1 & mask);
  h2 = (h2 & nmask) | (g2 & mask);
  h3 = (h3 & nmask) | (g3 & mask);
  h4 = (h4 & nmask) | (g4 & mask);
  // h mod 2^128 as four 32-bit words, then + s mod 2^128.
  let w0 = <u64>(h0 | (h1 << 26));
  let w1 = <u64>((h1 >>> 6) | (h2 << 20));
  let w2 = <u64>((h2 >>> 12) | (h3 << 14));
  let w3 = <u64>((h3 >>> 18) | (h4 << 8));
  let f = w0 + <u64>load<u32>(ctx, OFF_S);      store<u32>(tag, <u32>f, 0);
  f = w1 + <u64>load<u32>(ctx, OFF_S + 4) + (f >> 32);  store<u32>(tag, <u32>f, 4);
  f = w2 + <u64>load<u32>(ctx, OFF_S + 8) + (f >> 32);  store<u32>(tag, <u32>f, 8);
  f = w3 + <u64>load<u32>(ctx, OFF_S + 12) + (f >> 32); store<u32>(tag, <u32>f, 12);
  wipe(ctx, POLY1305_CTX_SIZE);
}
