// Numeric error codes, in documented ranges (see docs/PROTOCOL.md, "Error codes").
//   0x00        OK
//   0x01..0x3F  protocol (handshake) errors — added with the handshake
//   0x40..0x5F  DER / X.509 errors — added with the certificate parser
//   0x60..0x7F  crypto errors
//   0x80..0x9F  link errors (host side)

export const OK: i32 = 0;

/** An argument length is out of the primitive's range (e.g. HKDF output > 255*32). */
export const ERR_CRYPTO_LENGTH: i32 = 0x60;
/** X25519 produced the all-zero shared secret: the peer's point has small order. */
export const ERR_X25519_ZERO: i32 = 0x61;
/** Ed25519: S >= L (malleable signature). */
export const ERR_ED25519_S_RANGE: i32 = 0x62;
/** Ed25519: the public key or R does not decode to a curve point (or is non-canonical). */
export const ERR_ED25519_POINT: i32 = 0x63;
/** Ed25519: the verification equation does not hold. */
export const ERR_ED25519_BAD_SIG: i32 = 0x64;
/** AEAD: the tag does not verify; the output was wiped. */
export const ERR_AEAD_TAG: i32 = 0x65;
/** A streaming call came in the wrong order (e.g. final before init). */
export const ERR_CRYPTO_STATE: i32 = 0x66;
