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
}
