// Numeric error codes, in documented ranges (see docs/PROTOCOL.md, "Error codes").
//   0x00        OK
//   0x01..0x3F  protocol (handshake) errors
//   0x40..0x5F  DER / X.509 errors
//   0x60..0x7F  crypto errors
//   0x80..0x9F  link errors (host side)

export const OK: i32 = 0;

// --- protocol (docs/PROTOCOL.md §Errors); values travel in alerts, so they never change ---
/** An entry point was called in a state that does not allow it. */
export const ERR_STATE: i32 = 0x01;
/** A message is malformed or truncated. */
export const ERR_DECODE: i32 = 0x02;
/** A message of the wrong type for the state (this includes a reflected message). */
export const ERR_UNEXPECTED: i32 = 0x03;
/** Unsupported protocol version. */
export const ERR_VERSION: i32 = 0x04;
/** No suite in common. */
export const ERR_NO_COMMON_SUITE: i32 = 0x05;
/** B chose a suite that A did not offer. */
export const ERR_SUITE_NOT_OFFERED: i32 = 0x06;
/** The hello's timestamp is outside B's freshness window. */
export const ERR_STALE: i32 = 0x07;
/** (ID_A, random_A) was seen before within the window. */
export const ERR_REPLAY: i32 = 0x08;
/** No certificate is enrolled under ID_A. */
export const ERR_UNKNOWN_ID: i32 = 0x09;
/** The certificate is revoked. */
export const ERR_REVOKED: i32 = 0x0a;
/** The certificate's notAfter is in the past. */
export const ERR_CERT_EXPIRED: i32 = 0x0b;
/** The certificate's notBefore is in the future. */
export const ERR_CERT_NOT_YET_VALID: i32 = 0x0c;
/** The certificate is not signed by the trusted CA. */
export const ERR_CERT_SIGNATURE: i32 = 0x0d;
/** The certificate's key usage does not allow key agreement (or it is a CA certificate). */
export const ERR_CERT_KEY_USAGE: i32 = 0x0e;
/** The certificate's key does not hash to ID_A. */
export const ERR_CERT_ID_MISMATCH: i32 = 0x0f;
/** The certificate's key type does not fit the suite. */
export const ERR_CERT_KEY_TYPE: i32 = 0x10;
/** C_B's subject is not the server A meant to reach. */
export const ERR_WRONG_SERVER: i32 = 0x11;
/** B's key-confirmation MAC (over the transcript) does not verify: tampering or downgrade. */
export const ERR_MAC_B: i32 = 0x12;
/** A's Finished MAC does not verify. */
export const ERR_MAC_A: i32 = 0x13;
/** A record does not authenticate. */
export const ERR_RECORD: i32 = 0x14;
/** Bytes after the end of a message. */
export const ERR_TRAILING: i32 = 0x15;
/** B is at its bound of half-open handshakes (or its replay cache is full). */
export const ERR_BUSY: i32 = 0x16;
/** A half-open handshake expired. */
export const ERR_TIMEOUT: i32 = 0x17;
/** B's certificate store is unavailable. */
export const ERR_STORE: i32 = 0x18;
/** A record is longer than allowed, or the sequence number would wrap. */
export const ERR_RECORD_OVERFLOW: i32 = 0x19;
/** The peer sent an alert. */
export const ERR_PEER_ALERT: i32 = 0x1a;
/** The handset has not been provisioned. */
export const ERR_NOT_PROVISIONED: i32 = 0x1b;
/** Generic handshake failure, what B tells A when the precise reason would help an attacker. */
export const ERR_HANDSHAKE_FAILED: i32 = 0x1c;
/** Suite 4: the pre-master secret sealed to A's key in message 2 does not authenticate. */
export const ERR_KEY_TRANSPORT: i32 = 0x1d;

// --- DER / X.509 ---
/** An element's length runs past its container or the buffer. */
export const ERR_DER_TRUNCATED: i32 = 0x40;
/** An element has an unexpected tag. */
export const ERR_DER_TAG: i32 = 0x41;
/** A length is not minimal DER (or has more than two length bytes). */
export const ERR_DER_LENGTH: i32 = 0x42;
/** Data follows the last element of a structure. */
export const ERR_DER_TRAILING: i32 = 0x43;
/** A malformed INTEGER (empty, non-minimal, negative serial, or too long). */
export const ERR_DER_INTEGER: i32 = 0x44;
/** Not an X.509 v3 certificate. */
export const ERR_X509_VERSION: i32 = 0x45;
/**
 * The signature algorithm is neither Ed25519 (suites 1, 3, 4) nor ecdsa-with-SHA256 (suite 2, P-256),
 * each without parameters; or the inner and outer algorithms differ; or the signature BIT STRING
 * does not fit the algorithm (unused bits, an Ed25519 signature not 64 bytes, an ECDSA r or s over
 * 33 bytes). A certificate signed with the other suite's algorithm is ERR_CERT_SIGNATURE.
 */
export const ERR_X509_ALGORITHM: i32 = 0x46;
/** A malformed validity time. */
export const ERR_X509_TIME: i32 = 0x47;
/** A malformed name, or a subject without exactly one common name. */
export const ERR_X509_NAME: i32 = 0x48;
/** A malformed subject public key. */
export const ERR_X509_SPKI: i32 = 0x49;
/** A malformed extension, or an unknown critical one. */
export const ERR_X509_EXTENSION: i32 = 0x4a;
/** The same extension appears twice. */
export const ERR_X509_DUPLICATE_EXTENSION: i32 = 0x4b;
/** The certificate is larger than the firmware accepts. */
export const ERR_X509_TOO_LARGE: i32 = 0x4c;
/** Indefinite-length encoding (BER, not DER). */
export const ERR_DER_INDEFINITE: i32 = 0x4d;

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
// P-256 (0x70..0x74; 0x67..0x6F are left to the other suites' primitives)
/** P-256: the peer's or signer's point is not 04 || x || y with x, y < p on the curve. */
export const ERR_P256_POINT: i32 = 0x70;
/** P-256 ECDH: the private scalar is 0 or >= n. */
export const ERR_P256_SCALAR: i32 = 0x71;
/** ECDSA: the signature is not strict DER (or not 64 bytes for P1363). */
export const ERR_ECDSA_ENCODING: i32 = 0x72;
/** ECDSA: r or s is 0 or >= n. */
export const ERR_ECDSA_RANGE: i32 = 0x73;
/** ECDSA: the verification equation does not hold. */
export const ERR_ECDSA_BAD_SIG: i32 = 0x74;
