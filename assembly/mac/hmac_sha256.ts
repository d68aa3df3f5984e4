// HMAC-SHA256 (RFC 2104, FIPS 198-1), streaming over a caller-owned context.
//
// Context layout (HMAC_SHA256_CTX_SIZE bytes): the inner SHA-256 context (key ^ ipad absorbed),
// then the outer one (key ^ opad absorbed). Copying a freshly keyed context is how HKDF reuses
// one key for many blocks without re-absorbing the pads.
// Constant-time in the key and the message: only lengths steer branches.
import { wipe } from "../ct/ct";
import { HMAC_INNER, HMAC_KBLOCK } from "../memmap";
import {
  SHA256_BLOCK, SHA256_CTX_SIZE, SHA256_OUT, sha256Final, sha256Init, sha256Update, sha256WipeScratch,
} from "../hash/sha256";

// @ts-ignore: decorator
@inline export const HMAC_SHA256_OUT: usize = SHA256_OUT;
/** Two SHA-256 contexts: inner and outer. */
// @ts-ignore: decorator
@inline export const HMAC_SHA256_CTX_SIZE: usize = 2 * SHA256_CTX_SIZE;

/** The padded key block, then the inner digest; wiped before every return. */
// (In the scratch arena, memmap.ts level 1.)
// @ts-ignore: decorator
@inline const KBLOCK: usize = HMAC_KBLOCK;
// @ts-ignore: decorator
@inline const INNER: usize = HMAC_INNER;

/** Keys ctx with the k bytes at key (a key longer than a block is hashed first, RFC 2104 §2). */
export function hmacSha256Init(ctx: usize, key: usize, k: usize): void {
  let outer = ctx + SHA256_CTX_SIZE;
  memory.fill(KBLOCK, 0, SHA256_BLOCK);
  if (k > SHA256_BLOCK) {
    sha256Init(ctx);
    sha256Update(ctx, key, k);
    sha256Final(ctx, KBLOCK);
  } else {
    memory.copy(KBLOCK, key, k);
  }
  for (let i: usize = 0; i < SHA256_BLOCK; i += 8) store<u64>(KBLOCK + i, load<u64>(KBLOCK + i) ^ 0x3636363636363636);
  sha256Init(ctx);
  sha256Update(ctx, KBLOCK, SHA256_BLOCK);
  // 0x36 ^ 0x5c = 0x6a turns the ipad block into the opad block.
  for (let i: usize = 0; i < SHA256_BLOCK; i += 8) store<u64>(KBLOCK + i, load<u64>(KBLOCK + i) ^ 0x6a6a6a6a6a6a6a6a);
  sha256Init(outer);
  sha256Update(outer, KBLOCK, SHA256_BLOCK);
  wipe(KBLOCK, SHA256_BLOCK);
  sha256WipeScratch(); // the schedule still holds key ^ opad
}

/** Absorbs n message bytes at p. */
export function hmacSha256Update(ctx: usize, p: usize, n: usize): void {
  sha256Update(ctx, p, n);
}

/** Writes the 32-byte tag to out and wipes ctx. */
export function hmacSha256Final(ctx: usize, out: usize): void {
  let outer = ctx + SHA256_CTX_SIZE;
  sha256Final(ctx, INNER);
  sha256Update(outer, INNER, SHA256_OUT);
  sha256Final(outer, out);
  wipe(INNER, SHA256_OUT);
  wipe(ctx, HMAC_SHA256_CTX_SIZE);
}

/** One-shot HMAC over a single buffer, using the caller's ctx as scratch. */
export function hmacSha256(ctx: usize, out: usize, key: usize, k: usize, p: usize, n: usize): void {
  hmacSha256Init(ctx, key, k);
  sha256Update(ctx, p, n);
  hmacSha256Final(ctx, out);
}
