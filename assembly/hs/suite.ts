// The seam between the handshake state machine and the cryptography (lakers' Crypto trait):
// client.ts asks for "the suite's key agreement", "the suite's certificate signature check",
// "the suite's AEAD", and this facade maps a suite number to primitives. A second suite or a
// hardware backend changes this file, not the state machine.
import { chacha20Poly1305Open, chacha20Poly1305Seal } from "../aead/chacha20poly1305";
import { x25519 } from "../ec/x25519";
import { KEY_X25519 } from "../der/x509";
import { ed25519PublicKeyCheck, ed25519VerifyCheck, ed25519VerifyInit, ed25519VerifyUpdate } from "../sig/ed25519";
import { OK } from "../errors";

/** Suite 1: static X25519, Ed25519-signed X.509, HKDF-SHA256, ChaCha20-Poly1305. */
export const SUITE_X25519_ED25519_CHACHAPOLY_SHA256: u8 = 0x01;

/** The suites this firmware offers, in order of preference, and how many. */
export const OFFERED_SUITES: usize = memory.data<u8>([SUITE_X25519_ED25519_CHACHAPOLY_SHA256]);
// @ts-ignore: decorator
@inline export const OFFERED_SUITE_COUNT: usize = 1;

/** Sizes every suite shares: AEAD key, nonce and tag; the DH secret and public keys. */
// @ts-ignore: decorator
@inline export const AEAD_KEY_LEN: usize = 32;
// @ts-ignore: decorator
@inline export const AEAD_NONCE_LEN: usize = 12;
// @ts-ignore: decorator
@inline export const AEAD_TAG_LEN: usize = 16;
// @ts-ignore: decorator
@inline export const DH_LEN: usize = 32;

/** The certificate key type the suite's key agreement needs (der/x509.ts KEY_*). */
export function suiteKeyType(suite: u8): i32 {
  return suite == SUITE_X25519_ED25519_CHACHAPOLY_SHA256 ? KEY_X25519 : -1;
}

/** out = the static-static shared secret; OK or the primitive's error (all-zero result). */
export function suiteAgree(suite: u8, out: usize, secretKey: usize, peerKey: usize): i32 {
  return x25519(out, secretKey, peerKey);
}

/** OK when caKey can serve as the CA's key: for Ed25519, canonical and not of small order. */
export function suiteCheckCaKey(suite: u8, caKey: usize): i32 {
  return ed25519PublicKeyCheck(caKey);
}

/** OK when sig is the CA's signature over [msg, msg + n) (Ed25519 for suite 1). */
export function suiteVerifyCa(suite: u8, caKey: usize, sig: usize, msg: usize, n: usize): i32 {
  ed25519VerifyInit(caKey, sig);
  ed25519VerifyUpdate(msg, n);
  return ed25519VerifyCheck();
}

export function suiteSeal(suite: u8, ct: usize, tag: usize, key: usize, nonce: usize, aad: usize, aadLen: usize, pt: usize, n: usize): void {
  chacha20Poly1305Seal(ct, tag, key, nonce, aad, aadLen, pt, n);
}

export function suiteOpen(suite: u8, pt: usize, key: usize, nonce: usize, aad: usize, aadLen: usize, ct: usize, n: usize, tag: usize): i32 {
  return chacha20Poly1305Open(pt, key, nonce, aad, aadLen, ct, n, tag);
}

export { OK };
