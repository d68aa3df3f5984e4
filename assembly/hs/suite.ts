// The seam between the handshake state machine and the cryptography (lakers' Crypto trait):
// client.ts asks for "the suite's key agreement", "the suite's certificate signature check",
// "the suite's AEAD", and this facade maps a suite number to primitives. A second suite or a
// hardware backend changes this file, not the state machine.
//
// Suite 2 exists only in the dual build (config.ts: SUITE2). In the suite-1 build every
// `SUITE2 && ...` below is a constant false, the suite-2 branches are not compiled, and the
// per-suite sizes are the suite-1 constants.
import { chacha20Poly1305Open, chacha20Poly1305Seal } from "../aead/chacha20poly1305";
import { aesCcmOpen, aesCcmSeal } from "../aead/aes128ccm";
import { x25519 } from "../ec/x25519";
import { p256Ecdh, p256PointCheck } from "../ec/p256";
import { KEY_OTHER, KEY_P256, KEY_X25519, SIG_ECDSA_SHA256, SIG_ED25519 } from "../der/x509";
import { ed25519PublicKeyCheck, ed25519VerifyCheck, ed25519VerifyInit, ed25519VerifyUpdate } from "../sig/ed25519";
import { ecdsaP256VerifyCheck, ecdsaP256VerifyInit, ecdsaP256VerifyUpdate } from "../sig/ecdsa_p256";
import { ERR_CERT_SIGNATURE, OK } from "../errors";
import { SUITE2, SUITE3 } from "./config";

/** Suite 1: static X25519, Ed25519-signed X.509, HKDF-SHA256, ChaCha20-Poly1305. */
export const SUITE_X25519_ED25519_CHACHAPOLY_SHA256: u8 = 0x01;
/** Suite 2 (dual build): static P-256 ECDH, ECDSA-P256-SHA256-signed X.509, HKDF-SHA256, AES-128-CCM_8. */
export const SUITE_P256_ECDSA_AES128CCM8_SHA256: u8 = 0x02;

/**
 * Suite 3 (forward-secret build): ephemeral and static X25519 (ee, es, se, ss), Ed25519-signed
 * X.509 (the same CA and static key as suite 1), HKDF-SHA256, ChaCha20-Poly1305.
 */
export const SUITE_X25519E_ED25519_CHACHAPOLY_SHA256: u8 = 0x03;
/**
 * Suite 4 (forward-secret build): suite 1 plus key transport (the seed's claim 6): B encrypts a
 * fresh pre-master secret to A's certified X25519 key (ECIES) in message 2, and it joins the
 * static-static secret in the key schedule.
 */
export const SUITE_X25519KT_ED25519_CHACHAPOLY_SHA256: u8 = 0x04;

/** The suite-1 build's offer, fixed: suite 1 only. (The dual build's offer is provisioned.) */
export const OFFERED_SUITES: usize = memory.data<u8>([SUITE_X25519_ED25519_CHACHAPOLY_SHA256]);
// @ts-ignore: decorator
@inline export const OFFERED_SUITE_COUNT: usize = 1;
/** How many suites this build links (and can offer at most): suite ids 1..SUITES_LINKED. */
// @ts-ignore: decorator
@inline export const SUITES_LINKED: usize = SUITE2 ? 2 : 1;

/**
 * Sizes of the buffers that serve every linked suite: the largest AEAD key (suite 1: 32), nonce
 * (suite 2: 13) and tag (suite 1: 16); the DH secret (32 in both), a static private key (32 in
 * both), a CA key (suite 2: a 65-byte point).
 */
// @ts-ignore: decorator
@inline export const AEAD_KEY_MAX: usize = 32;
// @ts-ignore: decorator
@inline export const AEAD_NONCE_MAX: usize = SUITE2 ? 13 : 12;
// @ts-ignore: decorator
@inline export const AEAD_TAG_MAX: usize = 16;
// @ts-ignore: decorator
@inline export const DH_LEN: usize = 32;
// @ts-ignore: decorator
@inline export const SK_LEN: usize = 32;
// @ts-ignore: decorator
@inline export const CA_KEY_MAX: usize = SUITE2 ? 65 : 32;

/** Per-suite sizes (PROTOCOL.md §Suites): AEAD key 32 / 16, nonce 12 / 13, record tag 16 / 8, CA key 32 / 65. */
// @ts-ignore: decorator
@inline export function suiteKeyLen(suite: u8): usize { return SUITE2 && suite == SUITE_P256_ECDSA_AES128CCM8_SHA256 ? 16 : 32; }
// @ts-ignore: decorator
@inline export function suiteNonceLen(suite: u8): usize { return SUITE2 && suite == SUITE_P256_ECDSA_AES128CCM8_SHA256 ? 13 : 12; }
// @ts-ignore: decorator
@inline export function suiteTagLen(suite: u8): usize { return SUITE2 && suite == SUITE_P256_ECDSA_AES128CCM8_SHA256 ? 8 : 16; }
// @ts-ignore: decorator
@inline export function suiteCaKeyLen(suite: u8): usize { return SUITE2 && suite == SUITE_P256_ECDSA_AES128CCM8_SHA256 ? 65 : 32; }

/** 1 when this build implements the suite. */
export function suiteLinked(suite: u8): bool {
  return suite == SUITE_X25519_ED25519_CHACHAPOLY_SHA256 || (SUITE2 && suite == SUITE_P256_ECDSA_AES128CCM8_SHA256)
    || (SUITE3 && (suite == SUITE_X25519E_ED25519_CHACHAPOLY_SHA256 || suite == SUITE_X25519KT_ED25519_CHACHAPOLY_SHA256));
}

/** The certificate key type the suite's key agreement needs (der/x509.ts KEY_*). */
export function suiteKeyType(suite: u8): i32 {
  if (SUITE2 && suite == SUITE_P256_ECDSA_AES128CCM8_SHA256) return KEY_P256;
  if (SUITE3 && (suite == SUITE_X25519E_ED25519_CHACHAPOLY_SHA256 || suite == SUITE_X25519KT_ED25519_CHACHAPOLY_SHA256)) return KEY_X25519;
  return suite == SUITE_X25519_ED25519_CHACHAPOLY_SHA256 ? KEY_X25519 : -1;
}

/** out = the static-static shared secret (32 bytes); OK or the primitive's error (X25519: all-zero; P-256: a point off the curve). */
export function suiteAgree(suite: u8, out: usize, secretKey: usize, peerKey: usize): i32 {
  if (SUITE2 && suite == SUITE_P256_ECDSA_AES128CCM8_SHA256) return p256Ecdh(out, secretKey, peerKey);
  return x25519(out, secretKey, peerKey);
}

/**
 * OK when caKey can serve as the suite's CA key, else the suite's point error: for Ed25519,
 * canonical and not of small order (ERR_ED25519_POINT); for P-256, 04 || x || y on the curve
 * with x, y < p (ERR_P256_POINT).
 */
export function suiteCheckCaKey(suite: u8, caKey: usize): i32 {
  if (SUITE2 && suite == SUITE_P256_ECDSA_AES128CCM8_SHA256) return p256PointCheck(caKey);
  return ed25519PublicKeyCheck(caKey);
}

/**
 * OK when sig (sigLen bytes, algorithm sigAlg: der/x509.ts SIG_*) is the CA's signature over
 * [msg, msg + n) with the suite's algorithm: Ed25519 for suite 1, ECDSA P-256 SHA-256 over a DER
 * ECDSA-Sig-Value for suite 2; else a non-OK code (the client reports ERR_CERT_SIGNATURE),
 * also for a certificate signed with another suite's algorithm.
 */
export function suiteVerifyCa(suite: u8, caKey: usize, sigAlg: i32, sig: usize, sigLen: usize, msg: usize, n: usize): i32 {
  if (SUITE2 && suite == SUITE_P256_ECDSA_AES128CCM8_SHA256) {
    if (sigAlg != SIG_ECDSA_SHA256) return ERR_CERT_SIGNATURE;
    ecdsaP256VerifyInit(caKey, sig, sigLen);
    ecdsaP256VerifyUpdate(msg, n);
    return ecdsaP256VerifyCheck();
  }
  if (sigAlg != SIG_ED25519) return ERR_CERT_SIGNATURE;
  ed25519VerifyInit(caKey, sig);
  ed25519VerifyUpdate(msg, n);
  return ed25519VerifyCheck();
}

/** Seals n bytes (ct may equal pt) with the suite's AEAD; the tag (suiteTagLen bytes) goes to tag. */
export function suiteSeal(suite: u8, ct: usize, tag: usize, key: usize, nonce: usize, aad: usize, aadLen: usize, pt: usize, n: usize): void {
  if (SUITE2 && suite == SUITE_P256_ECDSA_AES128CCM8_SHA256) {
    // CCM_8, 13-byte nonce: the lengths are in range for every record, so OK is certain
    aesCcmSeal(ct, tag, key, nonce, 13, aad, aadLen, pt, n, 8);
    return;
  }
  chacha20Poly1305Seal(ct, tag, key, nonce, aad, aadLen, pt, n);
}

/** Opens n bytes (pt may equal ct) with the suite's AEAD; OK, or an error with pt wiped. */
export function suiteOpen(suite: u8, pt: usize, key: usize, nonce: usize, aad: usize, aadLen: usize, ct: usize, n: usize, tag: usize): i32 {
  if (SUITE2 && suite == SUITE_P256_ECDSA_AES128CCM8_SHA256) return aesCcmOpen(pt, key, nonce, 13, aad, aadLen, ct, n, tag, 8);
  return chacha20Poly1305Open(pt, key, nonce, aad, aadLen, ct, n, tag);
}

export { OK, KEY_OTHER };
