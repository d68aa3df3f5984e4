// ChaCha20-Poly1305 AEAD (RFC 8439 §2.8): seal and open.
//
// Open computes and checks the tag (constant-time compare) before it decrypts a single byte, and
// on failure fills the output with zeros, so no unauthenticated plaintext is ever released.
import { verify16, wipe } from "../ct/ct";
import { ERR_AEAD_TAG, OK } from "../errors";
import { AEAD_LENS, AEAD_MAC, AEAD_OTK, AEAD_TAG_BUF } from "../memmap";
import { CHACHA20_BLOCK, chacha20Block, chacha20Xor } from "./chacha20";
import { POLY1305_CTX_SIZE, POLY1305_TAG, poly1305Final, poly1305Init, poly1305Pad16, poly1305Update } from "./poly1305";

// @ts-ignore: decorator
@inline export const AEAD_KEY: usize = 32;
// @ts-ignore: decorator
@inline export const AEAD_NONCE: usize = 12;
// @ts-ignore: decorator
@inline export const AEAD_TAG: usize = POLY1305_TAG;
/**
 * Longest plaintext: the 32-bit block counter starts at 1, so (2^32 - 1) blocks of 64 bytes
 * (RFC 8439 §2.8). usize is 32-bit here, so the largest linear memory is far below that.
 */

/** The one-time Poly1305 key block, the MAC state, the computed tag and the length block. */
// (In the scratch arena, memmap.ts level 1.)
// @ts-ignore: decorator
@inline const OTK: usize = AEAD_OTK;
// @ts-ignore: decorator
@inline const MAC: usize = AEAD_MAC;
// @ts-ignore: decorator
@inline const TAG: usize = AEAD_TAG_BUF;
// @ts-ignore: decorator
@inline const LENS: usize = AEAD_LENS;

/** Poly1305 over aad | pad16 | ct | pad16 | le64(aadLen) | le64(ctLen), tag to TAG. */
function authenticate(key: usize, nonce: usize, aad: usize, aadLen: usize, ct: usize, ctLen: usize): void {
  chacha20Block(OTK, key, nonce, 0); // RFC 8439 §2.6: the first 32 bytes of block 0
  poly1305Init(MAC, OTK);
  wipe(OTK, CHACHA20_BLOCK);
  poly1305Update(MAC, aad, aadLen);
  poly1305Pad16(MAC);
  poly1305Update(MAC, ct, ctLen);
  poly1305Pad16(MAC);
  store<u64>(LENS, <u64>aadLen, 0);
  store<u64>(LENS, <u64>ctLen, 8);
  poly1305Update(MAC, LENS, 16);
  poly1305Final(MAC, TAG);
}

/**
 * Encrypts n bytes of pt into ct (ct may equal pt) and writes the 16-byte tag.
 * key: 32 bytes, nonce: 12 bytes.
 */
export function chacha20Poly1305Seal(ct: usize, tag: usize, key: usize, nonce: usize, aad: usize, aadLen: usize, pt: usize, n: usize): void {
  chacha20Xor(ct, pt, n, key, nonce, 1);
  authenticate(key, nonce, aad, aadLen, ct, n);
  memory.copy(tag, TAG, POLY1305_TAG);
  wipe(TAG, POLY1305_TAG);
}

/**
 * Checks the tag over (aad, ct) and only then decrypts n bytes into pt (pt may equal ct).
 * Returns OK, or ERR_AEAD_TAG with the n bytes at pt zeroed.
 */
export function chacha20Poly1305Open(pt: usize, key: usize, nonce: usize, aad: usize, aadLen: usize, ct: usize, n: usize, tag: usize): i32 {
  authenticate(key, nonce, aad, aadLen, ct, n);
  let ok = verify16(TAG, tag);
  wipe(TAG, POLY1305_TAG);
  if (!ok) { // the tag is public: branching on the verdict leaks nothing more than the verdict
    memory.fill(pt, 0, n);
    return ERR_AEAD_TAG;
  }
  chacha20Xor(pt, ct, n, key, nonce, 1);
  return OK;
}
