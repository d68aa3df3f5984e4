// The crypto-core build: exports every primitive of the firmware to the host, for tests and
// benchmarks (host/firmware.ts wraps it as loadFirmware()). The handset firmware proper links the
// same modules but exports only the handshake.
//
// Calling convention: the host copies inputs into the IO window (io(), IO_CAP bytes), passes
// offsets into it, and reads outputs from it. Functions return OK (0) or an error code from
// errors.ts; verifiers return 1 (valid) or 0. Nothing allocates: all state is static.
import { chacha20Poly1305Open, chacha20Poly1305Seal } from "./aead/chacha20poly1305";
import { aes128EncryptBlock as aes128EncryptBlockImpl, aesCcmOpen as aesCcmOpenImpl, aesCcmSeal as aesCcmSealImpl } from "./aead/aes128ccm";
import { x25519 as x25519Impl } from "./ec/x25519";
import { hkdfSha256Expand, hkdfSha256Extract } from "./kdf/hkdf_sha256";
import { HMAC_SHA256_CTX_SIZE, hmacSha256Final, hmacSha256Init, hmacSha256Update } from "./mac/hmac_sha256";
import { SHA256_CTX_SIZE, sha256Final as s256Final, sha256Init as s256Init, sha256Update as s256Update } from "./hash/sha256";
import { SHA512_CTX_SIZE, sha512Final as s512Final, sha512Init as s512Init, sha512Update as s512Update } from "./hash/sha512";
import { ed25519VerifyFinal as edFinal, ed25519VerifyInit as edInit, ed25519VerifyUpdate as edUpdate } from "./sig/ed25519";
import { p256Ecdh as p256EcdhImpl, p256PublicKey as p256PublicKeyImpl } from "./ec/p256";
import { ecdsaP256VerifyFinal as esFinal, ecdsaP256VerifyInit as esInit, ecdsaP256VerifyInitP1363 as esInitP1363, ecdsaP256VerifyUpdate as esUpdate } from "./sig/ecdsa_p256";

/**
 * The host <-> firmware window. 32 KiB: room for a 16 KiB AEAD message plus its output and
 * tag, or HKDF's longest output (255 * 32 = 8160 bytes) plus inputs, inside one 64 KiB page
 * that also holds every primitive's static state (about 4 KiB, see `npm run bench:footprint`).
 */
// @ts-ignore: decorator
@inline const IO_CAP: usize = 32768;
const IO: usize = memory.data(<i32>(IO_CAP), 16);

const SHA256_CTX: usize = memory.data(<i32>(SHA256_CTX_SIZE), 8);
const SHA512_CTX: usize = memory.data(<i32>(SHA512_CTX_SIZE), 8);
const HMAC_CTX: usize = memory.data(<i32>(HMAC_SHA256_CTX_SIZE), 8);

export function io(): usize { return IO; }
export function ioCap(): usize { return IO_CAP; }

export function sha256Init(): void { s256Init(SHA256_CTX); }
export function sha256Update(p: usize, n: usize): void { s256Update(SHA256_CTX, p, n); }
export function sha256Final(out: usize): void { s256Final(SHA256_CTX, out); }

export function sha512Init(): void { s512Init(SHA512_CTX); }
export function sha512Update(p: usize, n: usize): void { s512Update(SHA512_CTX, p, n); }
export function sha512Final(out: usize): void { s512Final(SHA512_CTX, out); }

export function hmacInit(key: usize, k: usize): void { hmacSha256Init(HMAC_CTX, key, k); }
export function hmacUpdate(p: usize, n: usize): void { hmacSha256Update(HMAC_CTX, p, n); }
export function hmacFinal(out: usize): void { hmacSha256Final(HMAC_CTX, out); }

export function hkdfExtract(prk: usize, salt: usize, saltLen: usize, ikm: usize, ikmLen: usize): void {
  hkdfSha256Extract(prk, salt, saltLen, ikm, ikmLen);
}
export function hkdfExpand(out: usize, outLen: usize, prk: usize, info: usize, infoLen: usize): i32 {
  return hkdfSha256Expand(out, outLen, prk, 32, info, infoLen);
}

export function x25519(out: usize, scalar: usize, u: usize): i32 { return x25519Impl(out, scalar, u); }

export function ed25519VerifyInit(publicKey: usize, signature: usize): void { edInit(publicKey, signature); }
export function ed25519VerifyUpdate(p: usize, n: usize): void { edUpdate(p, n); }
export function ed25519VerifyFinal(): i32 { return edFinal(); }

/** Ciphertext to ct (may equal pt), tag right after it at ct + n. */
export function aeadSeal(ct: usize, key: usize, nonce: usize, aad: usize, aadLen: usize, pt: usize, n: usize): void {
  chacha20Poly1305Seal(ct, ct + n, key, nonce, aad, aadLen, pt, n);
}
/** ct holds ciphertext || tag (n + 16 bytes); the plaintext goes to pt. Returns OK or ERR_AEAD_TAG. */
export function aeadOpen(pt: usize, key: usize, nonce: usize, aad: usize, aadLen: usize, ct: usize, n: usize): i32 {
  return chacha20Poly1305Open(pt, key, nonce, aad, aadLen, ct, n, ct + n);
}

// ---- AES-128-CCM (aead/aes128ccm.ts) ----------------------------------------------------------
/**
 * Seals n bytes at pt into ct (may equal pt) with the tagLen-byte tag right after, at ct + n.
 * The host API passes nonceLen = 13; 7..13 are accepted (tests). Returns OK or ERR_CRYPTO_LENGTH.
 */
export function aes128CcmSeal(ct: usize, key: usize, nonce: usize, nonceLen: usize, aad: usize, aadLen: usize, pt: usize, n: usize, tagLen: usize): i32 {
  return aesCcmSealImpl(ct, ct + n, key, nonce, nonceLen, aad, aadLen, pt, n, tagLen);
}
/** ct holds ciphertext || tag (n + tagLen bytes); the plaintext goes to pt (may equal ct). OK, ERR_AEAD_TAG or ERR_CRYPTO_LENGTH. */
export function aes128CcmOpen(pt: usize, key: usize, nonce: usize, nonceLen: usize, aad: usize, aadLen: usize, ct: usize, n: usize, tagLen: usize): i32 {
  return aesCcmOpenImpl(pt, key, nonce, nonceLen, aad, aadLen, ct, n, ct + n, tagLen);
}
/** FIPS-197 AES-128 encryption of one block (known-answer tests). */
export function aes128EncryptBlock(out: usize, key: usize, inp: usize): void { aes128EncryptBlockImpl(out, key, inp); }

// ---- P-256 (issue 7) -------------------------------------------------------------------------
/** out = x([scalar] Q): 32-byte big-endian scalar, 65-byte 04 || x || y point. OK, ERR_P256_SCALAR or ERR_P256_POINT. */
export function p256Ecdh(out: usize, scalar: usize, point: usize): i32 { return p256EcdhImpl(out, scalar, point); }
/** out = 04 || x || y of [scalar] G (65 bytes; out outside the arena, e.g. in the IO window). OK or ERR_P256_SCALAR. */
export function p256PublicKey(out: usize, scalar: usize): i32 { return p256PublicKeyImpl(out, scalar); }
/** ECDSA-SHA256 over a strict-DER signature of sigLen bytes; then update with the message and final (1 valid, 0 invalid). */
export function ecdsaP256VerifyInit(publicKey: usize, sig: usize, sigLen: usize): void { esInit(publicKey, sig, sigLen); }
/** As ecdsaP256VerifyInit with a 64-byte r || s signature. */
export function ecdsaP256VerifyInitP1363(publicKey: usize, sig: usize): void { esInitP1363(publicKey, sig); }
export function ecdsaP256VerifyUpdate(p: usize, n: usize): void { esUpdate(p, n); }
export function ecdsaP256VerifyFinal(): i32 { return esFinal(); }

/**
 * Test hook for the no-allocation proof: allocates 0 bytes with the stub runtime and returns the
 * pointer, so two calls around a workload show whether anything else moved the bump pointer.
 */
export function heapProbe(): usize { return __alloc(0); }

/** End of static memory (data segments and every memory.data buffer): the runtime's bump allocator starts here. */
export function heapBase(): usize { return __heap_base; }
