// HKDF-SHA256 (RFC 5869): Extract and Expand.
// Constant-time in the keying material; only lengths steer branches.
import { wipe } from "../ct/ct";
import { ERR_CRYPTO_LENGTH, OK } from "../errors";
import { HKDF_COUNTER, HKDF_KEYED, HKDF_T, HKDF_WORK } from "../memmap";
import { HMAC_SHA256_CTX_SIZE, HMAC_SHA256_OUT, hmacSha256Final, hmacSha256Init, hmacSha256Update } from "../mac/hmac_sha256";

/** RFC 5869 §2.3: L <= 255 * HashLen. */
// @ts-ignore: decorator
@inline export const HKDF_SHA256_MAX_OUT: usize = 255 * HMAC_SHA256_OUT;

/**
 * The PRK-keyed context (kept to restart each block; size-optimised builds re-key instead and
 * need no copy), a working context, and T(i).
 */
// @ts-ignore: decorator
@inline const SMALL: bool = ASC_SHRINK_LEVEL > 0;
// (In the scratch arena, memmap.ts level 2.)
// @ts-ignore: decorator
@inline const KEYED: usize = HKDF_KEYED;
// @ts-ignore: decorator
@inline const WORK: usize = HKDF_WORK;
// @ts-ignore: decorator
@inline const T: usize = HKDF_T;
// @ts-ignore: decorator
@inline const COUNTER: usize = HKDF_COUNTER;

/**
 * RFC 5869 §2.2: PRK = HMAC(salt, IKM), 32 bytes to prk. An empty salt is the same key as
 * HashLen zero bytes, since HMAC pads short keys with zeros.
 */
export function hkdfSha256Extract(prk: usize, salt: usize, saltLen: usize, ikm: usize, ikmLen: usize): void {
  hmacSha256Init(WORK, salt, saltLen);
  hmacSha256Update(WORK, ikm, ikmLen);
  hmacSha256Final(WORK, prk);
}

/**
 * RFC 5869 §2.3: OKM = T(1) | T(2) | ... truncated to outLen, T(i) = HMAC(PRK, T(i-1) | info | i).
 * Returns ERR_CRYPTO_LENGTH (writing nothing) when outLen > 255 * 32. out may not overlap info.
 */
export function hkdfSha256Expand(out: usize, outLen: usize, prk: usize, prkLen: usize, info: usize, infoLen: usize): i32 {
  if (outLen > HKDF_SHA256_MAX_OUT) return ERR_CRYPTO_LENGTH;
  if (outLen == 0) return OK;
  if (!SMALL) hmacSha256Init(KEYED, prk, prkLen);
  let done: usize = 0;
  let i: u32 = 1;
  while (done < outLen) {
    if (SMALL) hmacSha256Init(WORK, prk, prkLen);
    else memory.copy(WORK, KEYED, HMAC_SHA256_CTX_SIZE);
    if (i > 1) hmacSha256Update(WORK, T, HMAC_SHA256_OUT);
    hmacSha256Update(WORK, info, infoLen);
    store<u8>(COUNTER, <u8>i);
    hmacSha256Update(WORK, COUNTER, 1);
    hmacSha256Final(WORK, T);
    let take = min(outLen - done, HMAC_SHA256_OUT);
    memory.copy(out + done, T, take);
    done += take;
    i++;
  }
  if (!SMALL) wipe(KEYED, HMAC_SHA256_CTX_SIZE);
  wipe(T, HMAC_SHA256_OUT);
  return OK;
}
