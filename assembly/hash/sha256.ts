// SHA-256 (FIPS 180-4 §6.2), streaming: init, update, final over a caller-owned context.
//
// Context layout (SHA256_CTX_SIZE bytes, 8-aligned):
//   [0, 32)    H0..H7 as u32 (native little-endian words)
//   [32, 96)   partial block buffer
//   [96, 104)  total bytes absorbed (u64)
//   [104, 108) bytes in the partial block (u32)
// Constant-time: no branch or address depends on the data, only on lengths.
import { wipe } from "../ct/ct";
import { SHA256_W, SHA256_W_BYTES } from "../memmap";

// @ts-ignore: decorator
@inline export const SHA256_BLOCK: usize = 64;
// @ts-ignore: decorator
@inline export const SHA256_OUT: usize = 32;
/** 32 (state) + 64 (block buffer) + 8 (length) + 4 (fill), rounded up to 8. */
// @ts-ignore: decorator
@inline export const SHA256_CTX_SIZE: usize = 112;

// @ts-ignore: decorator
@inline const OFF_BUF: usize = 32;
// @ts-ignore: decorator
@inline const OFF_LEN: usize = 96;
// @ts-ignore: decorator
@inline const OFF_FILL: usize = 104;

// FIPS 180-4 §4.2.2: first 32 bits of the fractional parts of the cube roots of the first 64 primes.
const K: usize = memory.data<u32>([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/**
 * The message schedule as a 16-word window (W[t] lives at t mod 16), rewritten in place before
 * each group of 16 rounds; one shared scratch, wiped by final (it holds data-derived words).
 */
// Size-optimised builds (the handset) keep the 16-word window; the crypto core keeps all 64 words
// and precomputes them, which is faster.
// @ts-ignore: decorator
@inline const SMALL: bool = ASC_SHRINK_LEVEL > 0;
// @ts-ignore: decorator
@inline const W_BYTES: usize = SHA256_W_BYTES;
// @ts-ignore: decorator
@inline const W: usize = SHA256_W; // in the scratch arena (memmap.ts, level 0)

// @ts-ignore: decorator
@inline function bs1(e: u32): u32 { return rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25); }
// @ts-ignore: decorator
@inline function bs0(a: u32): u32 { return rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22); }
// @ts-ignore: decorator
@inline function ss0(x: u32): u32 { return rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3); }
// @ts-ignore: decorator
@inline function ss1(x: u32): u32 { return rotr(x, 17) ^ rotr(x, 19) ^ (x >>> 10); }
// @ts-ignore: decorator
@inline function ch(e: u32, f: u32, g: u32): u32 { return g ^ (e & (f ^ g)); }
// @ts-ignore: decorator
@inline function maj(a: u32, b: u32, c: u32): u32 { return (a & b) | (c & (a | b)); }

/** One compression of the 64-byte block at p into the state at h (FIPS 180-4 §6.2.2). */
function compress(h: usize, p: usize): void {
  for (let i: usize = 0; i < 64; i += 4) store<u32>(W + i, bswap<u32>(load<u32>(p + i)));
  if (!SMALL) {
    // W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16], with q pointing at W[t-16].
    for (let q = W; q < W + 192; q += 4) {
      store<u32>(q, ss1(load<u32>(q, 56)) + load<u32>(q, 36) + ss0(load<u32>(q, 4)) + load<u32>(q), 64);
    }
  }
  let a = load<u32>(h, 0), b = load<u32>(h, 4), c = load<u32>(h, 8), d = load<u32>(h, 12);
  let e = load<u32>(h, 16), f = load<u32>(h, 20), g = load<u32>(h, 24), hh = load<u32>(h, 28);
  let t: u32;
  // Eight rounds per iteration; the variables rotate by renaming, so no moves are needed.
  for (let i: usize = 0; i < 256; i += 32) {
    // Entering rounds 16, 32, 48: W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16] for the
    // next 16 t, in place. Going up j = 0..15, W[t-2] and W[t-7] are already the new words when
    // j >= 2 (j >= 7) and still the previous group's otherwise, exactly as needed; W[t-15] is the
    // previous group's word j + 1 (the new word 0 when j = 15) and W[t-16] the old word j.
    if (SMALL && i != 0 && (i & 63) == 0) {
      for (let j: usize = 0; j < 16; j++) {
        let q = W + (j << 2);
        store<u32>(q, ss1(load<u32>(W + (((j + 14) & 15) << 2))) + load<u32>(W + (((j + 9) & 15) << 2)) +
          ss0(load<u32>(W + (((j + 1) & 15) << 2))) + load<u32>(q));
      }
    }
    let k = K + i, w = W + (SMALL ? (i & 63) : i);
    t = hh + bs1(e) + ch(e, f, g) + load<u32>(k, 0) + load<u32>(w, 0);   d += t; hh = t + bs0(a) + maj(a, b, c);
    t = g + bs1(d) + ch(d, e, f) + load<u32>(k, 4) + load<u32>(w, 4);    c += t; g = t + bs0(hh) + maj(hh, a, b);
    t = f + bs1(c) + ch(c, d, e) + load<u32>(k, 8) + load<u32>(w, 8);    b += t; f = t + bs0(g) + maj(g, hh, a);
    t = e + bs1(b) + ch(b, c, d) + load<u32>(k, 12) + load<u32>(w, 12);  a += t; e = t + bs0(f) + maj(f, g, hh);
    t = d + bs1(a) + ch(a, b, c) + load<u32>(k, 16) + load<u32>(w, 16);  hh += t; d = t + bs0(e) + maj(e, f, g);
    t = c + bs1(hh) + ch(hh, a, b) + load<u32>(k, 20) + load<u32>(w, 20); g += t; c = t + bs0(d) + maj(d, e, f);
    t = b + bs1(g) + ch(g, hh, a) + load<u32>(k, 24) + load<u32>(w, 24);  f += t; b = t + bs0(c) + maj(c, d, e);
    t = a + bs1(f) + ch(f, g, hh) + load<u32>(k, 28) + load<u32>(w, 28);  e += t; a = t + bs0(b) + maj(b, c, d);
  }
  store<u32>(h, load<u32>(h, 0) + a, 0);   store<u32>(h, load<u32>(h, 4) + b, 4);
  store<u32>(h, load<u32>(h, 8) + c, 8);   store<u32>(h, load<u32>(h, 12) + d, 12);
  store<u32>(h, load<u32>(h, 16) + e, 16); store<u32>(h, load<u32>(h, 20) + f, 20);
  store<u32>(h, load<u32>(h, 24) + g, 24); store<u32>(h, load<u32>(h, 28) + hh, 28);
}

/** Starts a hash in ctx (FIPS 180-4 §5.3.3 initial value). */
export function sha256Init(ctx: usize): void {
  store<u32>(ctx, 0x6a09e667, 0);  store<u32>(ctx, 0xbb67ae85, 4);
  store<u32>(ctx, 0x3c6ef372, 8);  store<u32>(ctx, 0xa54ff53a, 12);
  store<u32>(ctx, 0x510e527f, 16); store<u32>(ctx, 0x9b05688c, 20);
  store<u32>(ctx, 0x1f83d9ab, 24); store<u32>(ctx, 0x5be0cd19, 28);
  store<u64>(ctx, 0, OFF_LEN);
  store<u32>(ctx, 0, OFF_FILL);
}

/** Absorbs n bytes at p. Any split of the message into calls gives the same digest. */
export function sha256Update(ctx: usize, p: usize, n: usize): void {
  store<u64>(ctx, load<u64>(ctx, OFF_LEN) + <u64>n, OFF_LEN);
  let fill = <usize>load<u32>(ctx, OFF_FILL);
  let buf = ctx + OFF_BUF;
  if (fill != 0) {
    let take = min(SHA256_BLOCK - fill, n);
    memory.copy(buf + fill, p, take);
    fill += take; p += take; n -= take;
    if (fill < SHA256_BLOCK) { store<u32>(ctx, <u32>fill, OFF_FILL); return; }
    compress(ctx, buf);
    fill = 0;
  }
  while (n >= SHA256_BLOCK) { compress(ctx, p); p += SHA256_BLOCK; n -= SHA256_BLOCK; }
  memory.copy(buf, p, n);
  store<u32>(ctx, <u32>n, OFF_FILL);
}

/**
 * Wipes the shared message schedule, which holds the last block compressed. Callers that
 * compress key material without a final (HMAC keying) call it.
 */
export function sha256WipeScratch(): void { wipe(W, W_BYTES); }

/** Writes the 32-byte digest to out and wipes the context and the schedule. */
export function sha256Final(ctx: usize, out: usize): void {
  let fill = <usize>load<u32>(ctx, OFF_FILL);
  let buf = ctx + OFF_BUF;
  let bits = load<u64>(ctx, OFF_LEN) << 3;
  store<u8>(buf + fill, 0x80);
  fill++;
  if (fill > 56) { memory.fill(buf + fill, 0, SHA256_BLOCK - fill); compress(ctx, buf); fill = 0; }
  memory.fill(buf + fill, 0, 56 - fill);
  store<u64>(buf, bswap<u64>(bits), 56);
  compress(ctx, buf);
  for (let i: usize = 0; i < 32; i += 4) store<u32>(out + i, bswap<u32>(load<u32>(ctx + i)));
  wipe(ctx, SHA256_CTX_SIZE);
  wipe(W, W_BYTES);
}
