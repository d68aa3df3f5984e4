/**
 * airshake wire constants and error codes (docs/PROTOCOL.md). The numeric values are shared with
 * the firmware (assembly/errors.ts, assembly/hs/client.ts); test/protocol-constants.test.ts
 * checks that the two lists agree.
 */
export const VERSION = 0x01;

/** RECORD_UPDATE: an application record with the change-cipher message appended (docs/PROTOCOL.md, "Key update"). */
/** HELLO_E and RESPONSE_E: suite 3's messages 1 and 2 (docs/PROTOCOL.md, "Suite 3"); its message 3 is a RECORD. */
export const MsgType = { HELLO: 0x01, RESPONSE: 0x02, FINISH: 0x03, HELLO_E: 0x04, RESPONSE_E: 0x05, ALERT: 0x15, RECORD: 0x17, RECORD_UPDATE: 0x18 } as const;
/** The change-cipher message, the last plaintext byte of a RECORD_UPDATE: the next keys of the same suite. */
export const CC_NEXT_KEYS = 0x01;

export const Suite = {
  /** Suite 1: static X25519, Ed25519-signed X.509, HKDF-SHA256, ChaCha20-Poly1305. */
  X25519_ED25519_CHACHAPOLY_SHA256: 0x01,
  /** Suite 2: static ECDH on P-256, ECDSA-P256-SHA256-signed X.509, HKDF-SHA256, AES-128-CCM with 8-byte tags. */
  P256_ECDSA_AES128CCM8_SHA256: 0x02,
  /** Suite 3: ephemeral and static X25519 (forward secrecy), Ed25519-signed X.509, HKDF-SHA256, ChaCha20-Poly1305; C_B encrypted or by reference. */
  X25519E_ED25519_CHACHAPOLY_SHA256: 0x03,
  /** Suite 4: suite 1 plus key transport (claim 6): B seals a fresh pre-master secret to A's certified X25519 key in message 2. */
  X25519KT_ED25519_CHACHAPOLY_SHA256: 0x04,
} as const;
export const SUITE_NAMES: Record<number, string> = {
  0x01: 'X25519-Ed25519-ChaCha20Poly1305-SHA256',
  0x02: 'P256-ECDSA-AES128CCM8-SHA256',
  0x03: 'X25519E-Ed25519-ChaCha20Poly1305-SHA256',
  0x04: 'X25519KT-Ed25519-ChaCha20Poly1305-SHA256',
};

/** Per-suite sizes (docs/PROTOCOL.md, "Suites"). */
export interface SuiteParams {
  suite: number;
  /** AEAD key, iv (= nonce) and record tag lengths. */
  keyLen: number; ivLen: number; tagLen: number;
  /** node:crypto cipher name of the record AEAD. */
  aead: 'chacha20-poly1305' | 'aes-128-ccm';
  /** Static public key in C_A/C_B, and the CA public key provisioned at A. */
  publicKeyLen: number; caKeyLen: number;
}
export const SUITE_PARAMS: Readonly<Record<number, SuiteParams>> = {
  0x01: { suite: 0x01, keyLen: 32, ivLen: 12, tagLen: 16, aead: 'chacha20-poly1305', publicKeyLen: 32, caKeyLen: 32 },
  0x02: { suite: 0x02, keyLen: 16, ivLen: 13, tagLen: 8, aead: 'aes-128-ccm', publicKeyLen: 65, caKeyLen: 65 },
  0x03: { suite: 0x03, keyLen: 32, ivLen: 12, tagLen: 16, aead: 'chacha20-poly1305', publicKeyLen: 32, caKeyLen: 32 },
  0x04: { suite: 0x04, keyLen: 32, ivLen: 12, tagLen: 16, aead: 'chacha20-poly1305', publicKeyLen: 32, caKeyLen: 32 },
};
/** The sizes of a known suite; throws for an unknown one. */
export function suiteParams(suite: number): SuiteParams {
  const p = SUITE_PARAMS[suite];
  if (!p) throw new RangeError(`unknown suite ${suite}`);
  return p;
}
/** The record tag length of a suite (TAG_LEN in docs/PROTOCOL.md): 16 in suite 1, 8 in suite 2. */
export const tagLen = (suite: number): number => suiteParams(suite).tagLen;

export const RANDOM_LEN = 16;
export const ID_LEN = 8;
export const MAC_LEN = 16;
export const TS_LEN = 4;
/** Suite 1's record tag length (see tagLen(suite) for the others). */
export const TAG_LEN = 16;
export const MAX_SUITES = 8;
export const MAX_CERT = 512;
export const MAX_APP = 512;
export const REC_HDR = 3;

export const LABELS = {
  macB: 'airshake1 mac_b', macA: 'airshake1 mac_a',
  keyAB: 'airshake1 key_ab', ivAB: 'airshake1 iv_ab', keyBA: 'airshake1 key_ba', ivBA: 'airshake1 iv_ba',
  /** Key update: the per-direction secrets from the handshake, then the next secret, its key and iv. */
  updAB: 'airshake1 upd_ab', updBA: 'airshake1 upd_ba', upd: 'airshake1 upd', updKey: 'airshake1 key', updIv: 'airshake1 iv',
} as const;

export const Err = {
  OK: 0x00,
  STATE: 0x01, DECODE: 0x02, UNEXPECTED: 0x03, VERSION: 0x04, NO_COMMON_SUITE: 0x05, SUITE_NOT_OFFERED: 0x06,
  STALE: 0x07, REPLAY: 0x08, UNKNOWN_ID: 0x09, REVOKED: 0x0a, CERT_EXPIRED: 0x0b, CERT_NOT_YET_VALID: 0x0c,
  CERT_SIGNATURE: 0x0d, CERT_KEY_USAGE: 0x0e, CERT_ID_MISMATCH: 0x0f, CERT_KEY_TYPE: 0x10, WRONG_SERVER: 0x11,
  MAC_B: 0x12, MAC_A: 0x13, RECORD: 0x14, TRAILING: 0x15, BUSY: 0x16, TIMEOUT: 0x17, STORE: 0x18,
  RECORD_OVERFLOW: 0x19, PEER_ALERT: 0x1a, NOT_PROVISIONED: 0x1b, HANDSHAKE_FAILED: 0x1c, KEY_TRANSPORT: 0x1d,
  DER_TRUNCATED: 0x40, DER_TAG: 0x41, DER_LENGTH: 0x42, DER_TRAILING: 0x43, DER_INTEGER: 0x44,
  X509_VERSION: 0x45, X509_ALGORITHM: 0x46, X509_TIME: 0x47, X509_NAME: 0x48, X509_SPKI: 0x49,
  X509_EXTENSION: 0x4a, X509_DUPLICATE_EXTENSION: 0x4b, X509_TOO_LARGE: 0x4c, DER_INDEFINITE: 0x4d,
  CRYPTO_LENGTH: 0x60, X25519_ZERO: 0x61, ED25519_S_RANGE: 0x62, ED25519_POINT: 0x63, ED25519_BAD_SIG: 0x64,
  AEAD_TAG: 0x65, CRYPTO_STATE: 0x66,
  P256_POINT: 0x70, P256_SCALAR: 0x71, ECDSA_ENCODING: 0x72, ECDSA_RANGE: 0x73, ECDSA_BAD_SIG: 0x74,
} as const;
export type ErrCode = (typeof Err)[keyof typeof Err];

const NAMES = new Map<number, string>(Object.entries(Err).map(([k, v]) => [v, `ERR_${k}`]));
/** 'ERR_REVOKED (0x0a)' for a code. */
export function errName(code: number): string {
  return `${NAMES.get(code) ?? 'ERR_UNKNOWN'} (0x${code.toString(16).padStart(2, '0')})`;
}

/**
 * Codes B may tell A in an alert. Certificate, identity and replay verdicts go out as
 * HANDSHAKE_FAILED: the precise reason would tell an eavesdropper which IDs exist or are revoked.
 */
export const ALERT_SAFE: ReadonlySet<number> = new Set([
  Err.DECODE, Err.UNEXPECTED, Err.VERSION, Err.NO_COMMON_SUITE, Err.STALE, Err.TRAILING, Err.BUSY,
  Err.TIMEOUT, Err.STORE, Err.MAC_A, Err.RECORD, Err.RECORD_OVERFLOW,
]);

/** A handshake or record failure with its protocol error code. */
export class HandshakeError extends Error {
  constructor(readonly code: number, message?: string, readonly alert?: Uint8Array) {
    super(message ?? errName(code));
    this.name = 'HandshakeError';
  }
}
