/**
 * The host-facing API of the firmware's crypto core (issue 2).
 * Uint8Array in, Uint8Array out. A wrong length throws an Error that names the parameter;
 * a failed AEAD open returns null; an all-zero X25519 result throws.
 */
export interface Firmware {
  /** RFC 7748 X25519: 32-byte scalar, 32-byte u-coordinate. Throws on an all-zero shared secret. */
  x25519(scalar: Uint8Array, u: Uint8Array): Uint8Array;
  /** RFC 8032 §5.1.7 Ed25519 verification (variable-time: public data only). */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  sha256(m: Uint8Array): Uint8Array;
  sha512(m: Uint8Array): Uint8Array;
  hmacSha256(key: Uint8Array, m: Uint8Array): Uint8Array;
  /** RFC 5869 HKDF-SHA256; length at most 255 * 32. */
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  /** RFC 8439: returns ciphertext || 16-byte tag. 32-byte key, 12-byte nonce. */
  chacha20poly1305Seal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** RFC 8439: returns the plaintext, or null when the tag does not verify. */
  chacha20poly1305Open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | null;
  /**
   * AES-128-CCM (RFC 3610 / SP 800-38C), 16-byte key, 13-byte nonce (L = 2), tag length even in
   * 4..16 (8 = CCM_8). Returns ciphertext || tag. AAD up to 65,279 bytes, plaintext up to 65,535
   * (and both within the IO window).
   */
  aes128CcmSeal(key: Uint8Array, nonce13: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, tagLength: number): Uint8Array;
  /** AES-128-CCM: returns the plaintext, or null when the tag does not verify. */
  aes128CcmOpen(key: Uint8Array, nonce13: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array, tagLength: number): Uint8Array | null;
  /**
   * P-256 ECDH (SEC 1 §3.3.1): 32-byte big-endian scalar in [1, n-1], 65-byte uncompressed peer
   * point 04 || x || y; returns the 32-byte x-coordinate of the shared point. Throws on an invalid
   * point (not on the curve, coordinates >= p, compressed or other encodings) or scalar.
   */
  p256Ecdh(scalar: Uint8Array, publicPoint: Uint8Array): Uint8Array;
  /** ECDSA P-256 / SHA-256 verification of a strict-DER signature (variable-time: public data only). */
  ecdsaP256Verify(publicPoint: Uint8Array, message: Uint8Array, derSignature: Uint8Array): boolean;
  /** As ecdsaP256Verify with an IEEE P1363 signature r || s (64 bytes; any other length is invalid). */
  ecdsaP256VerifyP1363(publicPoint: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}
