// ChaCha20 (RFC 8439 §2.3, §2.4): the 96-bit-nonce, 32-bit-counter variant.
// Constant-time: add, rotate, xor only; no data-dependent branch or address.
import { wipe } from "../ct/ct";
import { CHACHA_KS } from "../memmap";

// @ts-ignore: decorator
@inline export const CHACHA20_KEY: usize = 32;
// @ts-ignore: decorator
@inline export const CHACHA20_NONCE: usize = 12;
// @ts-ignore: decorator
@inline export const CHACHA20_BLOCK: usize = 64;

/** One keystream block; wiped before return. */
// @ts-ignore: decorator
@inline const KS: usize = CHACHA_KS; // in the scratch arena (memmap.ts, level 0)

/** RFC 8439 §2.3: the block function for (key, nonce, counter), serialised little-endian to out. */
export function chacha20Block(out: usize, key: usize, nonce: usize, counter: u32): void {
  // "expand 32-byte k"
  let j0: u32 = 0x61707865, j1: u32 = 0x3320646e, j2: u32 = 0x79622d32, j3: u32 = 0x6b206574;
  let j4 = load<u32>(key, 0), j5 = load<u32>(key, 4), j6 = load<u32>(key, 8), j7 = load<u32>(key, 12);
  let j8 = load<u32>(key, 16), j9 = load<u32>(key, 20), j10 = load<u32>(key, 24), j11 = load<u32>(key, 28);
  let j12 = counter, j13 = load<u32>(nonce, 0), j14 = load<u32>(nonce, 4), j15 = load<u32>(nonce, 8);
  let x0 = j0, x1 = j1, x2 = j2, x3 = j3, x4 = j4, x5 = j5, x6 = j6, x7 = j7;
  let x8 = j8, x9 = j9, x10 = j10, x11 = j11, x12 = j12, x13 = j13, x14 = j14, x15 = j15;
  for (let i = 0; i < 10; i++) {
    // column round, then diagonal round (RFC 8439 §2.3.1)
    x0 += x4; x12 = rotl<u32>(x12 ^ x0, 16); x8 += x12; x4 = rotl<u32>(x4 ^ x8, 12);
    x0 += x4; x12 = rotl<u32>(x12 ^ x0, 8);  x8 += x12; x4 = rotl<u32>(x4 ^ x8, 7);
    x1 += x5; x13 = rotl<u32>(x13 ^ x1, 16); x9 += x13; x5 = rotl<u32>(x5 ^ x9, 12);
    x1 += x5; x13 = rotl<u32>(x13 ^ x1, 8);  x9 += x13; x5 = rotl<u32>(x5 ^ x9, 7);
    x2 += x6; x14 = rotl<u32>(x14 ^ x2, 16); x10 += x14; x6 = rotl<u32>(x6 ^ x10, 12);
    x2 += x6; x14 = rotl<u32>(x14 ^ x2, 8);  x10 += x14; x6 = rotl<u32>(x6 ^ x10, 7);
    x3 += x7; x15 = rotl<u32>(x15 ^ x3, 16); x11 += x15; x7 = rotl<u32>(x7 ^ x11, 12);
    x3 += x7; x15 = rotl<u32>(x15 ^ x3, 8);  x11 += x15; x7 = rotl<u32>(x7 ^ x11, 7);
    x0 += x5; x15 = rotl<u32>(x15 ^ x0, 16); x10 += x15; x5 = rotl<u32>(x5 ^ x10, 12);
    x0 += x5; x15 = rotl<u32>(x15 ^ x0, 8);  x10 += x15; x5 = rotl<u32>(x5 ^ x10, 7);
    x1 += x6; x12 = rotl<u32>(x12 ^ x1, 16); x11 += x12; x6 = rotl<u32>(x6 ^ x11, 12);
    x1 += x6; x12 = rotl<u32>(x12 ^ x1, 8);  x11 += x12; x6 = rotl<u32>(x6 ^ x11, 7);
    x2 += x7; x13 = rotl<u32>(x13 ^ x2, 16); x8 += x13; x7 = rotl<u32>(x7 ^ x8, 12);
    x2 += x7; x13 = rotl<u32>(x13 ^ x2, 8);  x8 += x13; x7 = rotl<u32>(x7 ^ x8, 7);
    x3 += x4; x14 = rotl<u32>(x14 ^ x3, 16); x9 += x14; x4 = rotl<u32>(x4 ^ x9, 12);
    x3 += x4; x14 = rotl<u32>(x14 ^ x3, 8);  x9 += x14; x4 = rotl<u32>(x4 ^ x9, 7);
  }
  store<u32>(out, x0 + j0, 0);    store<u32>(out, x1 + j1, 4);    store<u32>(out, x2 + j2, 8);    store<u32>(out, x3 + j3, 12);
  store<u32>(out, x4 + j4, 16);   store<u32>(out, x5 + j5, 20);   store<u32>(out, x6 + j6, 24);   store<u32>(out, x7 + j7, 28);
  store<u32>(out, x8 + j8, 32);   store<u32>(out, x9 + j9, 36);   store<u32>(out, x10 + j10, 40); store<u32>(out, x11 + j11, 44);
  store<u32>(out, x12 + j12, 48); store<u32>(out, x13 + j13, 52); store<u32>(out, x14 + j14, 56); store<u32>(out, x15 + j15, 60);
}

/**
 * RFC 8439 §2.4: dst = src XOR keystream(key, nonce, counter, counter+1, ...), n bytes.
 * dst may equal src (in place). The counter must not wrap within one call (the caller bounds n).
 */
export function chacha20Xor(dst: usize, src: usize, n: usize, key: usize, nonce: usize, counter: u32): void {
  while (n > 0) {
    chacha20Block(KS, key, nonce, counter);
    if (n >= CHACHA20_BLOCK) {
      for (let i: usize = 0; i < CHACHA20_BLOCK; i += 8) store<u64>(dst + i, load<u64>(src + i) ^ load<u64>(KS + i));
      dst += CHACHA20_BLOCK; src += CHACHA20_BLOCK; n -= CHACHA20_BLOCK;
    } else {
      for (let i: usize = 0; i < n; i++) store<u8>(dst + i, load<u8>(src + i) ^ load<u8>(KS + i));
      n = 0;
    }
    counter++;
  }
  wipe(KS, CHACHA20_BLOCK);
}
