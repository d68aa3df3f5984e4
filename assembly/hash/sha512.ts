// SHA-512 (FIPS 180-4 §6.4), streaming: init, update, final over a caller-owned context.
//
// Context layout (SHA512_CTX_SIZE bytes, 8-aligned):
//   [0, 64)     H0..H7 as u64
//   [64, 192)   partial block buffer
//   [192, 200)  total bytes absorbed (u64; messages stay far below 2^61 bytes)
//   [200, 204)  bytes in the partial block (u32)
// Constant-time: no branch or address depends on the data, only on lengths.
import { wipe } from "../ct/ct";
import { SHA512_W, SHA512_W_BYTES } from "../memmap";

// @ts-ignore: decorator
@inline export const SHA512_BLOCK: usize = 128;
// @ts-ignore: decorator
@inline export const SHA512_OUT: usize = 64;
/** 64 (state) + 128 (block buffer) + 8 (length) + 4 (fill), rounded up to 8. */
// @ts-ignore: decorator
@inline export const SHA512_CTX_SIZE: usize = 208;

// @ts-ignore: decorator
@inline const OFF_BUF: usize = 64;
// @ts-ignore: decorator
@inline const OFF_LEN: usize = 192;
// @ts-ignore: decorator
@inline const OFF_FILL: usize = 200;

// FIPS 180-4 §4.2.3: first 64 bits of the fractional parts of the cube roots of the first 80 primes.
const K: usize = memory.data<u64>([
  0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc,
  0x3956c25bf348b538, 0x59f111f1b605d019, 0x923f82a4af194f9b, 0xab1c5ed5da6d8118,
  0xd807aa98a3030242, 0x12835b0145706fbe, 0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2,
  0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235, 0xc19bf174cf692694,
  0xe49b69c19ef14ad2, 0xefbe4786384f25e3, 0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65,
  0x2de92c6f592b0275, 0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5,
  0x983e5152ee66dfab, 0xa831c66d2db43210, 0xb00327c898fb213f, 0xbf597fc7beef0ee4,
  0xc6e00bf33da88fc2, 0xd5a79147930aa725, 0x06ca6351e003826f, 0x142929670a0e6e70,
  0x27b70a8546d22ffc, 0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed, 0x53380d139d95b3df,
  0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6, 0x92722c851482353b,
  0xa2bfe8a14cf10364, 0xa81a664bbc423001, 0xc24b8b70d0f89791, 0xc76c51a30654be30,
  0xd192e819d6ef5218, 0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8,
  0x19a4c116b8d2d0c8, 0x1e376c085141ab53, 0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8,
  0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb, 0x5b9cca4f7763e373, 0x682e6ff3d6b2b8a3,
  0x748f82ee5defb2fc, 0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
  0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915, 0xc67178f2e372532b,
  0xca273eceea26619c, 0xd186b8c721c0c207, 0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178,
  0x06f067aa72176fba, 0x0a637dc5a2c898a6, 0x113f9804bef90dae, 0x1b710b35131c471b,
  0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc, 0x431d67c49c100d4c,
  0x4cc5d4becb3e42b6, 0x597f299cfc657e2a, 0x5fcb6fab3ad6faec, 0x6c44198c4a475817,
]);

/** The message schedule as a 16-word window rewritten before each group of 16 rounds (see sha256.ts); wiped by final. */
// @ts-ignore: decorator
@inline const SMALL: bool = ASC_SHRINK_LEVEL > 0;
// @ts-ignore: decorator
@inline const W_BYTES: usize = SHA512_W_BYTES;
// @ts-ignore: decorator
@inline const W: usize = SHA512_W; // in the scratch arena (memmap.ts, level 0)

// @ts-ignore: decorator
@inline function bs1(e: u64): u64 { return rotr(e, 14) ^ rotr(e, 18) ^ rotr(e, 41); }
// @ts-ignore: decorator
@inline function bs0(a: u64): u64 { return rotr(a, 28) ^ rotr(a, 34) ^ rotr(a, 39); }
// @ts-ignore: decorator
@inline function ss0(x: u64): u64 { return rotr(x, 1) ^ rotr(x, 8) ^ (x >>> 7); }
// @ts-ignore: decorator
@inline function ss1(x: u64): u64 { return rotr(x, 19) ^ rotr(x, 61) ^ (x >>> 6); }
// @ts-ignore: decorator
@inline function ch(e: u64, f: u64, g: u64): u64 { return g ^ (e & (f ^ g)); }
// @ts-ignore: decorator
@inline function maj(a: u64, b: u64, c: u64): u64 { return (a & b) | (c & (a | b)); }

/** One compression of the 128-byte block at p into the state at h (FIPS 180-4 §6.4.2). */
function compress(h: usize, p: usize): void {
  for (let i: usize = 0; i < 128; i += 8) store<u64>(W + i, bswap<u64>(load<u64>(p + i)));
  if (!SMALL) {
    for (let q = W; q < W + 512; q += 8) {
      store<u64>(q, ss1(load<u64>(q, 112)) + load<u64>(q, 72) + ss0(load<u64>(q, 8)) + load<u64>(q), 128);
    }
  }
  let a = load<u64>(h, 0), b = load<u64>(h, 8), c = load<u64>(h, 16), d = load<u64>(h, 24);
  let e = load<u64>(h, 32), f = load<u64>(h, 40), g = load<u64>(h, 48), hh = load<u64>(h, 56);
  let t: u64;
  for (let i: usize = 0; i < 640; i += 64) {
    if (SMALL && i != 0 && (i & 127) == 0) { // rounds 16, 32, 48, 64: the next 16 schedule words, in place
      for (let j: usize = 0; j < 16; j++) {
        let q = W + (j << 3);
        store<u64>(q, ss1(load<u64>(W + (((j + 14) & 15) << 3))) + load<u64>(W + (((j + 9) & 15) << 3)) +
          ss0(load<u64>(W + (((j + 1) & 15) << 3))) + load<u64>(q));
      }
    }
    let k = K + i, w = W + (SMALL ? (i & 127) : i);
    t = hh + bs1(e) + ch(e, f, g) + load<u64>(k, 0) + load<u64>(w, 0);   d += t; hh = t + bs0(a) + maj(a, b, c);
    t = g + bs1(d) + ch(d, e, f) + load<u64>(k, 8) + load<u64>(w, 8);    c += t; g = t + bs0(hh) + maj(hh, a, b);
    t = f + bs1(c) + ch(c, d, e) + load<u64>(k, 16) + load<u64>(w, 16);  b += t; f = t + bs0(g) + maj(g, hh, a);
    t = e + bs1(b) + ch(b, c, d) + load<u64>(k, 24) + load<u64>(w, 24);  a += t; e = t + bs0(f) + maj(f, g, hh);
    t = d + bs1(a) + ch(a, b, c) + load<u64>(k, 32) + load<u64>(w, 32);  hh += t; d = t + bs0(e) + maj(e, f, g);
    t = c + bs1(hh) + ch(hh, a, b) + load<u64>(k, 40) + load<u64>(w, 40); g += t; c = t + bs0(d) + maj(d, e, f);
    t = b + bs1(g) + ch(g, hh, a) + load<u64>(k, 48) + load<u64>(w, 48);  f += t; b = t + bs0(c) + maj(c, d, e);
    t = a + bs1(f) + ch(f, g, hh) + load<u64>(k, 56) + load<u64>(w, 56);  e += t; a = t + bs0(b) + maj(b, c, d);
  }
  store<u64>(h, load<u64>(h, 0) + a, 0);   store<u64>(h, load<u64>(h, 8) + b, 8);
  store<u64>(h, load<u64>(h, 16) + c, 16); store<u64>(h, load<u64>(h, 24) + d, 24);
  store<u64>(h, load<u64>(h, 32) + e, 32); store<u64>(h, load<u64>(h, 40) + f, 40);
  store<u64>(h, load<u64>(h, 48) + g, 48); store<u64>(h, load<u64>(h, 56) + hh, 56);
}

/** Starts a hash in ctx (FIPS 180-4 §5.3.5 initial value). */
export function sha512Init(ctx: usize): void {
  store<u64>(ctx, 0x6a09e667f3bcc908, 0);  store<u64>(ctx, 0xbb67ae8584caa73b, 8);
  store<u64>(ctx, 0x3c6ef372fe94f82b, 16); store<u64>(ctx, 0xa54ff53a5f1d36f1, 24);
  store<u64>(ctx, 0x510e527fade682d1, 32); store<u64>(ctx, 0x9b05688c2b3e6c1f, 40);
  store<u64>(ctx, 0x1f83d9abfb41bd6b, 48); store<u64>(ctx, 0x5be0cd19137e2179, 56);
  store<u64>(ctx, 0, OFF_LEN);
  store<u32>(ctx, 0, OFF_FILL);
}

/** Absorbs n bytes at p. */
export function sha512Update(ctx: usize, p: usize, n: usize): void {
  store<u64>(ctx, load<u64>(ctx, OFF_LEN) + <u64>n, OFF_LEN);
  let fill = <usize>load<u32>(ctx, OFF_FILL);
  let buf = ctx + OFF_BUF;
  if (fill != 0) {
    let take = min(SHA512_BLOCK - fill, n);
    memory.copy(buf + fill, p, take);
    fill += take; p += take; n -= take;
    if (fill < SHA512_BLOCK) { store<u32>(ctx, <u32>fill, OFF_FILL); return; }
    compress(ctx, buf);
    fill = 0;
  }
  while (n >= SHA512_BLOCK) { compress(ctx, p); p += SHA512_BLOCK; n -= SHA512_BLOCK; }
  memory.copy(buf, p, n);
  store<u32>(ctx, <u32>n, OFF_FILL);
}

/** Writes the 64-byte digest to out and wipes the context and the schedule. */
export function sha512Final(ctx: usize, out: usize): void {
  let fill = <usize>load<u32>(ctx, OFF_FILL);
  let buf = ctx + OFF_BUF;
  let len = load<u64>(ctx, OFF_LEN);
  store<u8>(buf + fill, 0x80);
  fill++;
  if (fill > 112) { memory.fill(buf + fill, 0, SHA512_BLOCK - fill); compress(ctx, buf); fill = 0; }
  memory.fill(buf + fill, 0, 112 - fill);
  // 128-bit big-endian bit length: high word = len >> 61, low word = len << 3.
  store<u64>(buf, bswap<u64>(len >> 61), 112);
  store<u64>(buf, bswap<u64>(len << 3), 120);
  compress(ctx, buf);
  for (let i: usize = 0; i < 64; i += 8) store<u64>(out + i, bswap<u64>(load<u64>(ctx + i)));
  wipe(ctx, SHA512_CTX_SIZE);
  wipe(W, W_BYTES);
}
