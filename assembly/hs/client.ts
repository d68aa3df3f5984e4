// The handset's side of the airshake handshake (docs/PROTOCOL.md): an explicit state machine in
// static memory. Every entry point checks the state; the first error is sticky (BearSSL's
// br_ssl_engine_fail): it moves the machine to FAILED, wipes the session's secrets and leaves an
// alert in OUT. Only reset() (a new attempt) or provision() leave FAILED. No entry point throws.
//
// Secrets: A's static private keys (one per offered suite) live in PROVISIONED storage (a
// handset's secure element would hold them). The DH secret, PRK and MAC keys exist only inside finish() and are wiped before it
// returns; the traffic keys live in SESSION until reset() or a failure wipes them.
//
// Suites: the suite-1 build (build/handset.wasm) offers suite 1 and links nothing else; the dual
// build (build/handset-dual.wasm, config.ts SUITE2) offers what provisionSuites() configured, in
// that order, and uses the chosen suite's key, CA key and sizes (hs/suite.ts).
import { ctEq, verify16, wipe } from "../ct/ct";
import {
  x509CnLen, x509CnPtr, x509HasKeyUsage, x509IsCa, x509Key, x509KeyType, x509KeyUsage, x509NotAfter, x509NotBefore, x509Parse,
  x509SigAlg, x509Signature, x509SignatureLen, x509TbsEnd, x509TbsStart, KU_KEY_AGREEMENT, X509_MAX_CERT,
} from "../der/x509";
import {
  ERR_CERT_KEY_TYPE, ERR_CERT_KEY_USAGE, ERR_CERT_NOT_YET_VALID, ERR_CERT_EXPIRED, ERR_CERT_SIGNATURE, ERR_DECODE, ERR_ED25519_POINT, ERR_P256_SCALAR,
  ERR_MAC_B, ERR_NOT_PROVISIONED, ERR_PEER_ALERT, ERR_RECORD, ERR_RECORD_OVERFLOW, ERR_STATE, ERR_SUITE_NOT_OFFERED,
  ERR_TRAILING, ERR_UNEXPECTED, ERR_WRONG_SERVER, ERR_X25519_ZERO, ERR_X509_TOO_LARGE, ERR_KEY_TRANSPORT, ERR_HANDSHAKE_FAILED, OK,
} from "../errors";
import { SHA256_CTX_SIZE, SHA256_OUT, sha256Final, sha256Init, sha256Update } from "../hash/sha256";
import { hkdfSha256Expand, hkdfSha256Extract } from "../kdf/hkdf_sha256";
import { x25519 } from "../ec/x25519";
import { p256PublicKey, p256ScalarCheck } from "../ec/p256";
import { ARENA, ARENA_BYTES, CL_AAD, CL_IKM, CL_INFO, CL_K2, CL_MAC, CL_NONCE, CL_PRK, CL_PSPKI, CL_TH, CL_TH_FORK, CL_Z } from "../memmap";
import {
  AEAD_KEY_MAX, AEAD_NONCE_MAX, AEAD_TAG_MAX, CA_KEY_MAX, DH_LEN, OFFERED_SUITE_COUNT, OFFERED_SUITES, SK_LEN, SUITES_LINKED,
  suiteAgree, suiteCaKeyLen, suiteCheckCaKey, suiteKeyLen, suiteKeyType, suiteLinked, suiteNonceLen, suiteOpen, suiteSeal,
  suiteTagLen, suiteVerifyCa, SUITE_P256_ECDSA_AES128CCM8_SHA256, SUITE_X25519_ED25519_CHACHAPOLY_SHA256,
  SUITE_X25519E_ED25519_CHACHAPOLY_SHA256, SUITE_X25519KT_ED25519_CHACHAPOLY_SHA256,
} from "./suite";
import { chacha20Poly1305Open } from "../aead/chacha20poly1305";
import { SUITE2, SUITE3 } from "./config";
import { chacha20Xor } from "../aead/chacha20";

// The platform's randomness source (a hardware RNG on a handset): the module's only import.
// @ts-ignore: decorator
@external("env", "airshake_random")
declare function platformRandom(p: usize, n: usize): void;

// ---- wire constants (docs/PROTOCOL.md) ----
export const VERSION: u8 = 0x01;
export const MT_HELLO: u8 = 0x01;
export const MT_RESPONSE: u8 = 0x02;
export const MT_FINISH: u8 = 0x03;
export const MT_ALERT: u8 = 0x15;
export const MT_RECORD: u8 = 0x17;
/** Suite 3 (forward-secret build): the ephemeral hello and response (PROTOCOL.md §Suite 3). */
export const MT_HELLO_E: u8 = 0x04;
export const MT_RESPONSE_E: u8 = 0x05;
/** An application record with a change-cipher message appended (PROTOCOL.md §Key update). */
export const MT_RECORD_UPDATE: u8 = 0x18;
/** The change-cipher message: the last plaintext byte of a 0x18 record; 0x01 = the next keys of the same suite. */
export const CC_NEXT_KEYS: u8 = 0x01;

/** 128-bit randoms: with both in the key schedule, session keys never repeat (2^-128 per pair). */
// @ts-ignore: decorator
@inline export const RANDOM_LEN: usize = 16;
/** ID_A: the first 8 bytes of SHA-256(SPKI of C_A); see PROTOCOL.md for the collision argument. */
// @ts-ignore: decorator
@inline export const ID_LEN: usize = 8;
/** Key-confirmation MACs are truncated to 128 bits. */
// @ts-ignore: decorator
@inline export const MAC_LEN: usize = 16;
/** Unix seconds, uint32 big-endian (good until 2106). */
// @ts-ignore: decorator
@inline const TS_LEN: usize = 4;
/** At most this many suites in a hello (one byte of count on the wire; the firmware offers fewer). */
// @ts-ignore: decorator
@inline export const MAX_SUITES: usize = 8;
/** Longest expected server name (the CN of C_B). */
// @ts-ignore: decorator
@inline export const MAX_NAME: usize = 64;
/** Largest application record payload: 512 bytes suit SMS-sized and radio frames. */
// @ts-ignore: decorator
@inline export const MAX_APP: usize = 512;
/** Message 2: type, suite, random_B, cert length (2), C_B, MAC_B. */
// @ts-ignore: decorator
@inline const M2_FIXED: usize = 1 + 1 + RANDOM_LEN + 2;
/** A record: type (1) and length (2), then ciphertext and tag. */
// @ts-ignore: decorator
@inline const REC_HDR: usize = 3;
/** Suite 3: the ephemeral key, the 2-byte time, the server-certificate reference, MAC_B's 8 bytes. */
// @ts-ignore: decorator
@inline const EPH_LEN: usize = 32;
// @ts-ignore: decorator
@inline const TS16_LEN: usize = 2;
// @ts-ignore: decorator
@inline const REF_LEN: usize = 4;
// @ts-ignore: decorator
@inline const MAC_E_LEN: usize = 8;
/** Suite 3's message 2 before its ciphertext: type, suite, E_B. */
// @ts-ignore: decorator
@inline const M2E_FIXED: usize = 1 + 1 + EPH_LEN;
/** Suite 3's message 2 at its largest: the fixed part, cert_len, C_B, MAC_B. */
// @ts-ignore: decorator
@inline const M2E_MAX: usize = M2E_FIXED + 2 + X509_MAX_CERT + MAC_E_LEN;
/** Suite 4's key transport in message 2, after C_B: E_B (32), then the sealed pre-master secret (32 + tag 16). */
// @ts-ignore: decorator
@inline const PMS_LEN: usize = 32;
// @ts-ignore: decorator
@inline const KT_LEN: usize = EPH_LEN + PMS_LEN + 16;
/** Message 2 at its largest: suite 4's in the forward-secret build (which also has suite 3's, smaller). */
// @ts-ignore: decorator
@inline const M2_MAX: usize = SUITE3 ? M2_FIXED + X509_MAX_CERT + KT_LEN + MAC_LEN : M2_FIXED + X509_MAX_CERT + MAC_LEN;
/** IN holds message 2 at its largest, or a record at its largest. */
// @ts-ignore: decorator
@inline export const IN_CAP: usize = SUITE3 && M2E_MAX > M2_MAX ? M2E_MAX : M2_MAX;
/** OUT holds message 3 at its largest (type, MAC_A, record), or an alert, or message 1. */
// @ts-ignore: decorator
@inline export const OUT_CAP: usize = 1 + MAC_LEN + 2 + MAX_APP + AEAD_TAG_MAX;
/**
 * Application data is sealed and opened IN PLACE (BearSSL's sendapp/recvapp buffers): the host
 * writes the plaintext for message 3 or a record at OUT + SEND_APP_OFF, where message 3's
 * ciphertext goes (type, MAC_A, length); seal() first moves it down to a record's position.
 * open() leaves the plaintext where the ciphertext was, at IN + REC_HDR.
 */
// @ts-ignore: decorator
@inline export const SEND_APP_OFF: usize = 1 + MAC_LEN + 2;
// @ts-ignore: decorator
@inline export const RECV_APP_OFF: usize = REC_HDR;

export const ST_UNPROVISIONED: i32 = 0;
export const ST_READY: i32 = 1;
export const ST_WAIT_M2: i32 = 2;
export const ST_ESTABLISHED: i32 = 3;
export const ST_FAILED: i32 = 4;

// ---- static memory (the scratch of finish() and provision() is in the arena: memmap.ts) ----
export const IN: usize = memory.data(<i32>IN_CAP);
export const OUT: usize = memory.data(<i32>OUT_CAP);

/**
 * Provisioned: sk_A, ID_A, the CA key, the expected server name (pk_A is needed only for ID_A).
 * One sk_A and one CA key per linked suite: suite 1's at SK_A and CA_PK, suite 2's (dual build)
 * at SK_A + SK_LEN and CA_PK + CA1_LEN (a 65-byte P-256 point).
 */
const SK_A: usize = memory.data(<i32>(SUITES_LINKED * SK_LEN));
export const ID_A: usize = memory.data(<i32>ID_LEN);
// @ts-ignore: decorator
@inline const CA1_LEN: usize = 32;
const CA_PK: usize = memory.data(<i32>(SUITE2 ? CA1_LEN + CA_KEY_MAX : CA1_LEN));
const NAME: usize = memory.data(<i32>MAX_NAME);
let nameLen: usize = 0;
/** Dual build: the offered suites, most preferred first (message 1 lists them), and how many. */
/** The longest provisioned offer: every suite a build links (the fs build's classic hello: 1 and 4). */
// @ts-ignore: decorator
@inline const MAX_OFFER: usize = SUITE3 ? 2 : SUITES_LINKED;
const OFFER: usize = SUITE2 || SUITE3 ? memory.data(<i32>MAX_OFFER) : 0;
let offerCount: usize = 0;

// @ts-ignore: decorator
@inline function offerPtr(): usize { return SUITE2 || SUITE3 ? OFFER : OFFERED_SUITES; }
// @ts-ignore: decorator
@inline function offerLen(): usize { return SUITE2 || SUITE3 ? offerCount : OFFERED_SUITE_COUNT; }
// @ts-ignore: decorator
@inline function skOf(s: u8): usize { return SUITE2 && s == SUITE_P256_ECDSA_AES128CCM8_SHA256 ? SK_A + SK_LEN : SK_A; }
// @ts-ignore: decorator
@inline function caOf(s: u8): usize { return SUITE2 && s == SUITE_P256_ECDSA_AES128CCM8_SHA256 ? CA_PK + CA1_LEN : CA_PK; }

/** SubjectPublicKeyInfo prefix of an X25519 key (RFC 8410): ID_A hashes prefix || pk_A. */
const SPKI_X25519_PREFIX: usize = memory.data<u8>([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00]);
/**
 * Dual build: the SPKI prefix of a P-256 key (RFC 5480: id-ecPublicKey, prime256v1, a BIT STRING
 * of 66 bytes): ID_A hashes prefix || 04 || x || y.
 */
const SPKI_P256_PREFIX: usize = SUITE2 ? memory.data<u8>([
  0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
  0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
]) : 0;
// @ts-ignore: decorator
@inline const SPKI_P256_PREFIX_LEN: usize = 26;
/** The SPKI of a P-256 key: prefix and the 65-byte point (assembled in OUT while provisioning). */
// @ts-ignore: decorator
@inline const SPKI_P256_LEN: usize = SPKI_P256_PREFIX_LEN + 65;

/** Session: randoms (random_A || random_B, the HKDF salt), transcript hash, traffic keys. */
// @ts-ignore: decorator
@inline const RANDOMS_LEN: usize = 2 * RANDOM_LEN;
const RANDOMS: usize = memory.data(<i32>RANDOMS_LEN);
const TH_CTX: usize = memory.data(<i32>SHA256_CTX_SIZE, 8);
const K_AB: usize = memory.data(<i32>AEAD_KEY_MAX);
const IV_AB: usize = memory.data(<i32>AEAD_NONCE_MAX);
const K_BA: usize = memory.data(<i32>AEAD_KEY_MAX);
const IV_BA: usize = memory.data(<i32>AEAD_NONCE_MAX);
let seqAB: u64 = 0;
let seqBA: u64 = 0;
let suite: u8 = 0;
/**
 * Key-update secrets, one per direction (PROTOCOL.md §Key update): each update replaces the
 * direction's secret by the next one and derives the direction's key and iv from it. 32 bytes:
 * an HKDF-SHA256 PRK.
 */
// @ts-ignore: decorator
@inline const UPD_LEN: usize = 32;
const U_AB: usize = memory.data(<i32>UPD_LEN);
const U_BA: usize = memory.data(<i32>UPD_LEN);
/**
 * Suite 3 (forward-secret build only): the session's ephemeral secret e_A, from start until
 * finish derives the keys; whether this session is a suite-3 one and whether its hello named
 * the cached C_B. PRK_2 waits in U_AB while C_B is verified (the verifier's scratch overlays the
 * client's; U_AB is only set once the traffic keys are derived).
 */
const E_SK: usize = SUITE3 ? memory.data(<i32>EPH_LEN) : 0;
let fsSession = false;
let sentRef = false;
/**
 * Suite 3: the server certificate A holds (cached from a verified message 2, or provisioned by
 * cacheServer): pk_B, its validity, and the reference its hello names, SHA-256(C_B)[0..4].
 */
const SRV_PK: usize = SUITE3 ? memory.data(32) : 0;
const SRV_REF: usize = SUITE3 ? memory.data(<i32>REF_LEN) : 0;
let srvCached = false;
let srvNotBefore: i64 = 0;
let srvNotAfter: i64 = 0;
/**
 * Scratch of finish(), provision() and the records (memmap.ts, level 3: above HKDF, beside
 * certificate verification): DH secret (also the base point in provision), PRK, TH2/TH3, MAC_B,
 * HKDF info (label || TH), nonce, AAD, SPKI of pk_A, the forked transcript hash.
 */
// @ts-ignore: decorator
@inline const Z: usize = CL_Z;
// @ts-ignore: decorator
@inline const PRK: usize = CL_PRK;
// @ts-ignore: decorator
@inline const TH: usize = CL_TH;
// @ts-ignore: decorator
@inline const MAC: usize = CL_MAC;
// @ts-ignore: decorator
@inline const INFO: usize = CL_INFO;
// @ts-ignore: decorator
@inline const NONCE: usize = CL_NONCE;
// @ts-ignore: decorator
@inline const AAD: usize = CL_AAD;
// @ts-ignore: decorator
@inline const PSPKI: usize = CL_PSPKI;
// @ts-ignore: decorator
@inline const TH_FORK: usize = CL_TH_FORK;

/** "airshake1 mac_b" */
const L_MAC_B: usize = memory.data<u8>([0x61, 0x69, 0x72, 0x73, 0x68, 0x61, 0x6b, 0x65, 0x31, 0x20, 0x6d, 0x61, 0x63, 0x5f, 0x62]);
// @ts-ignore: decorator
@inline const L_MAC_B_LEN: usize = 15;
/** "airshake1 mac_a" */
const L_MAC_A: usize = memory.data<u8>([0x61, 0x69, 0x72, 0x73, 0x68, 0x61, 0x6b, 0x65, 0x31, 0x20, 0x6d, 0x61, 0x63, 0x5f, 0x61]);
// @ts-ignore: decorator
@inline const L_MAC_A_LEN: usize = 15;
/** "airshake1 key_ab" */
const L_KEY_AB: usize = memory.data<u8>([0x61, 0x69, 0x72, 0x73, 0x68, 0x61, 0x6b, 0x65, 0x31, 0x20, 0x6b, 0x65, 0x79, 0x5f, 0x61, 0x62]);
// @ts-ignore: decorator
@inline const L_KEY_AB_LEN: usize = 16;
/** "airshake1 iv_ab" */
const L_IV_AB: usize = memory.data<u8>([0x61, 0x69, 0x72, 0x73, 0x68, 0x61, 0x6b, 0x65, 0x31, 0x20, 0x69, 0x76, 0x5f, 0x61, 0x62]);
// @ts-ignore: decorator
@inline const L_IV_AB_LEN: usize = 15;
/** "airshake1 key_ba" */
const L_KEY_BA: usize = memory.data<u8>([0x61, 0x69, 0x72, 0x73, 0x68, 0x61, 0x6b, 0x65, 0x31, 0x20, 0x6b, 0x65, 0x79, 0x5f, 0x62, 0x61]);
// @ts-ignore: decorator
@inline const L_KEY_BA_LEN: usize = 16;
/** "airshake1 iv_ba" */
const L_IV_BA: usize = memory.data<u8>([0x61, 0x69, 0x72, 0x73, 0x68, 0x61, 0x6b, 0x65, 0x31, 0x20, 0x69, 0x76, 0x5f, 0x62, 0x61]);
// @ts-ignore: decorator
@inline const L_IV_BA_LEN: usize = 15;
/** "airshake1 upd_ab" */
const L_UPD_AB: usize = memory.data<u8>([0x61, 0x69, 0x72, 0x73, 0x68, 0x61, 0x6b, 0x65, 0x31, 0x20, 0x75, 0x70, 0x64, 0x5f, 0x61, 0x62]);
/** "airshake1 upd_ba" */
const L_UPD_BA: usize = memory.data<u8>([0x61, 0x69, 0x72, 0x73, 0x68, 0x61, 0x6b, 0x65, 0x31, 0x20, 0x75, 0x70, 0x64, 0x5f, 0x62, 0x61]);
// @ts-ignore: decorator
@inline const L_UPD_DIR_LEN: usize = 16;
/** "airshake1 upd" (the next secret), "airshake1 key", "airshake1 iv" (its key and iv) */
const L_UPD: usize = memory.data<u8>([0x61, 0x69, 0x72, 0x73, 0x68, 0x61, 0x6b, 0x65, 0x31, 0x20, 0x75, 0x70, 0x64]);
// @ts-ignore: decorator
@inline const L_UPD_LEN: usize = 13;
const L_UKEY: usize = memory.data<u8>([0x61, 0x69, 0x72, 0x73, 0x68, 0x61, 0x6b, 0x65, 0x31, 0x20, 0x6b, 0x65, 0x79]);
// @ts-ignore: decorator
@inline const L_UKEY_LEN: usize = 13;
const L_UIV: usize = memory.data<u8>([0x61, 0x69, 0x72, 0x73, 0x68, 0x61, 0x6b, 0x65, 0x31, 0x20, 0x69, 0x76]);
// @ts-ignore: decorator
@inline const L_UIV_LEN: usize = 12;

let state: i32 = ST_UNPROVISIONED;
let err: i32 = OK;
let peerAlert: i32 = 0;

export function clientState(): i32 { return state; }
export function clientError(): i32 { return err; }
/** The code carried by the peer's alert, when the error is ERR_PEER_ALERT. */
export function clientPeerAlert(): i32 { return peerAlert; }
/** The suite of the current session (0 before message 2 is accepted). */
export function clientSuite(): i32 { return <i32>suite; }

function wipeSession(): void {
  wipe(RANDOMS, 2 * RANDOM_LEN);
  wipe(TH_CTX, SHA256_CTX_SIZE);
  wipe(K_AB, AEAD_KEY_MAX); wipe(IV_AB, AEAD_NONCE_MAX); wipe(K_BA, AEAD_KEY_MAX); wipe(IV_BA, AEAD_NONCE_MAX);
  wipe(U_AB, UPD_LEN); wipe(U_BA, UPD_LEN);
  if (SUITE3) { wipe(E_SK, EPH_LEN); fsSession = false; sentRef = false; }
  wipe(ARENA, ARENA_BYTES);
  // application plaintext the host left to send
  wipe(OUT + SEND_APP_OFF, OUT_CAP - SEND_APP_OFF);
  seqAB = 0; seqBA = 0; suite = 0;
}

/** Records the first error, wipes the session, leaves the alert (type, code) in OUT. Returns -code. */
function fail(code: i32): i32 {
  if (err == OK) err = code;
  state = ST_FAILED;
  wipeSession();
  wipe(IN + RECV_APP_OFF, IN_CAP - RECV_APP_OFF); // a plaintext open() may have left there
  // An alert for the peer, except in answer to the peer's own alert (OUT[0] = 0: nothing to send).
  store<u8>(OUT, err == ERR_PEER_ALERT ? 0 : MT_ALERT);
  store<u8>(OUT + 1, <u8>err);
  return -err;
}

/**
 * fail(code) whose alert names no cause (ERR_HANDSHAKE_FAILED); error() still returns code. For
 * the failures between decrypting suite 3's CIPHERTEXT_2 and checking MAC_B: that plaintext is not
 * yet authenticated, so a precise code would tell whoever flipped ciphertext bits which check
 * the flip broke (an oracle on the encrypted C_B). The time A takes still shows how far it got.
 */
function failQuiet(code: i32): i32 {
  let r = fail(code);
  if (load<u8>(OUT) == MT_ALERT) store<u8>(OUT + 1, <u8>ERR_HANDSHAKE_FAILED);
  return r;
}

/**
 * Stores A's static X25519 private key, the CA's Ed25519 public key and the expected server
 * name (its certificate's CN), and derives pk_A and ID_A. Any previous session is wiped.
 */
export function clientProvision(sk: usize, caPk: usize, name: usize, n: usize): i32 {
  // the dual build: the same as offering suite 1 alone
  if (SUITE2) return clientProvisionSuites(<u32>SUITE_X25519_ED25519_CHACHAPOLY_SHA256, sk, caPk, 0, 0, name, n);
  wipeSession();
  // The old identity goes first: a failed provisioning leaves no usable key behind.
  wipe(SK_A, 32); wipe(ID_A, ID_LEN); wipe(CA_PK, 32); wipe(NAME, MAX_NAME);
  if (SUITE3) clientForgetServer();
  nameLen = 0;
  err = OK;
  if (n == 0 || n > MAX_NAME) { state = ST_UNPROVISIONED; return fail(ERR_DECODE); }
  // A CA key of small order would accept forged certificates; a non-canonical one, none.
  if (suiteCheckCaKey(SUITE_X25519_ED25519_CHACHAPOLY_SHA256, caPk) != OK) { state = ST_UNPROVISIONED; return fail(ERR_ED25519_POINT); }
  memory.copy(SK_A, sk, 32);
  memory.copy(CA_PK, caPk, 32);
  memory.copy(NAME, name, n);
  nameLen = n;
  // pk_A = X25519(sk_A, 9), straight into the SPKI that ID_A hashes
  memory.fill(Z, 0, 32); store<u8>(Z, 9);
  memory.copy(PSPKI, SPKI_X25519_PREFIX, 12);
  x25519(PSPKI + 12, SK_A, Z);
  sha256Init(TH_CTX);
  sha256Update(TH_CTX, PSPKI, 44);
  sha256Final(TH_CTX, TH);
  memory.copy(ID_A, TH, ID_LEN);
  wipe(TH, SHA256_OUT); wipe(PSPKI, 44);
  if (SUITE3) { store<u8>(OFFER, SUITE_X25519_ED25519_CHACHAPOLY_SHA256); offerCount = 1; }
  state = ST_READY;
  return OK;
}

/**
 * Forward-secret build: the classic hello's offer among suites 1 and 4, most preferred first,
 * one id per byte from the low byte, ended by a 0 byte (0x0104: suite 4, then 1). Only in READY
 * (provision() offers suite 1 alone). OK, or -ERR_DECODE for an unknown, repeated or missing
 * suite (the offer is then unchanged), -ERR_STATE.
 */
export function clientOffer(order: u32): i32 {
  if (!SUITE3) return -ERR_STATE;
  if (state != ST_READY) return -ERR_STATE;
  let count: usize = 0, seen: u32 = 0, o = order;
  while (o != 0) {
    let s = <u8>(o & 0xff);
    o >>= 8;
    if ((s != SUITE_X25519_ED25519_CHACHAPOLY_SHA256 && s != SUITE_X25519KT_ED25519_CHACHAPOLY_SHA256) || (seen & (1 << s)) != 0) return -ERR_DECODE;
    seen |= 1 << s;
    count++;
  }
  if (count == 0) return -ERR_DECODE;
  for (let i: usize = 0; i < count; i++) store<u8>(OFFER + i, <u8>(order >> (<u32>i * 8)));
  offerCount = count;
  return OK;
}

/**
 * Dual build. Provisions the suites to offer, most preferred first: `order` holds their ids, one
 * per byte from the low byte, ended by a 0 byte (0x0201: suite 1, then 2; 0x01: suite 1 only).
 * Each offered suite needs its static private key and CA public key (skN, caN: suite 1 a 32-byte
 * X25519 key and a 32-byte Ed25519 key; suite 2 a 32-byte P-256 scalar and a 65-byte 04 || x || y
 * point); the pointers of a suite not offered are ignored (pass 0). ID_A is derived from the
 * public key of the first suite offered (PROTOCOL.md §ID_A). Everything is checked before
 * anything is stored: a malformed order (an unknown or repeated suite, none, bytes after the 0)
 * or name is ERR_DECODE; a CA key ERR_ED25519_POINT / ERR_P256_POINT; a P-256 private key outside
 * [1, n - 1] ERR_P256_SCALAR. A failure leaves no key behind (the previous identity is wiped first).
 */
export function clientProvisionSuites(order: u32, sk1: usize, ca1: usize, sk2: usize, ca2: usize, name: usize, n: usize): i32 {
  wipeSession();
  if (SUITE3) clientForgetServer();
  wipe(SK_A, SUITES_LINKED * SK_LEN); wipe(ID_A, ID_LEN); wipe(CA_PK, SUITE2 ? CA1_LEN + CA_KEY_MAX : CA1_LEN); wipe(NAME, MAX_NAME);
  nameLen = 0; offerCount = 0;
  err = OK;
  if (n == 0 || n > MAX_NAME) { state = ST_UNPROVISIONED; return fail(ERR_DECODE); }
  // the order: linked suites, each once, then zero bytes only (a 0 byte below a suite is suite 0: unknown)
  let count: usize = 0, seen: u32 = 0, o = order;
  while (o != 0) {
    let s = <u8>(o & 0xff);
    o >>= 8;
    if (!suiteLinked(s) || (seen & (1 << s)) != 0) { state = ST_UNPROVISIONED; return fail(ERR_DECODE); }
    seen |= 1 << s;
    count++;
  }
  if (count == 0) { state = ST_UNPROVISIONED; return fail(ERR_DECODE); }
  let rc = OK;
  if ((seen & (1 << SUITE_X25519_ED25519_CHACHAPOLY_SHA256)) != 0) {
    // A CA key of small order would accept forged certificates; a non-canonical one, none.
    rc = suiteCheckCaKey(SUITE_X25519_ED25519_CHACHAPOLY_SHA256, ca1);
    if (rc != OK) { state = ST_UNPROVISIONED; return fail(ERR_ED25519_POINT); }
  }
  if (SUITE2 && (seen & (1 << SUITE_P256_ECDSA_AES128CCM8_SHA256)) != 0) {
    rc = suiteCheckCaKey(SUITE_P256_ECDSA_AES128CCM8_SHA256, ca2);
    if (rc != OK) { state = ST_UNPROVISIONED; return fail(rc); }
    if (p256ScalarCheck(sk2) != OK) { state = ST_UNPROVISIONED; return fail(ERR_P256_SCALAR); }
  }
  for (let i: usize = 0; i < count; i++) {
    let s = <u8>(order >> (<u32>i * 8));
    store<u8>(OFFER + i, s);
    memory.copy(skOf(s), s == SUITE_X25519_ED25519_CHACHAPOLY_SHA256 ? sk1 : sk2, SK_LEN);
    memory.copy(caOf(s), s == SUITE_X25519_ED25519_CHACHAPOLY_SHA256 ? ca1 : ca2, suiteCaKeyLen(s));
  }
  offerCount = count;
  memory.copy(NAME, name, n);
  nameLen = n;
  // ID_A from the first suite's public key and SPKI
  let first = load<u8>(OFFER);
  sha256Init(TH_CTX);
  if (SUITE2 && first == SUITE_P256_ECDSA_AES128CCM8_SHA256) {
    // pk_A = [sk_A] G, straight into the SPKI, assembled in OUT (outside the arena: ECDH's
    // scratch reaches into the client's level)
    memory.copy(OUT, SPKI_P256_PREFIX, SPKI_P256_PREFIX_LEN);
    p256PublicKey(OUT + SPKI_P256_PREFIX_LEN, skOf(first));
    sha256Update(TH_CTX, OUT, SPKI_P256_LEN);
    wipe(OUT, SPKI_P256_LEN);
  } else {
    // pk_A = X25519(sk_A, 9), straight into the SPKI
    memory.fill(Z, 0, 32); store<u8>(Z, 9);
    memory.copy(PSPKI, SPKI_X25519_PREFIX, 12);
    x25519(PSPKI + 12, skOf(first), Z);
    sha256Update(TH_CTX, PSPKI, 44);
    wipe(PSPKI, 44); wipe(Z, 32);
  }
  sha256Final(TH_CTX, TH);
  memory.copy(ID_A, TH, ID_LEN);
  wipe(TH, SHA256_OUT);
  state = ST_READY;
  return OK;
}

/** Forgets the session (after a failure or a lost carrier) and returns to READY. */
export function clientReset(): i32 {
  wipeSession();
  wipe(IN + RECV_APP_OFF, IN_CAP - RECV_APP_OFF);
  err = OK; peerAlert = 0;
  state = nameLen != 0 ? ST_READY : ST_UNPROVISIONED;
  return OK;
}

/** Message 1 into OUT: type, version, suites, random_A, timestamp, ID_A. Returns its length. */
export function clientStart(now: u32): i32 {
  if (state == ST_UNPROVISIONED) return fail(ERR_NOT_PROVISIONED);
  if (state != ST_READY) return fail(ERR_STATE);
  platformRandom(RANDOMS, RANDOM_LEN);
  if (SUITE3) fsSession = false;
  let p = OUT;
  let nSuites = offerLen();
  store<u8>(p, MT_HELLO); store<u8>(p + 1, VERSION); store<u8>(p + 2, <u8>nSuites);
  p += 3;
  memory.copy(p, offerPtr(), nSuites); p += nSuites;
  memory.copy(p, RANDOMS, RANDOM_LEN); p += RANDOM_LEN;
  store<u32>(p, bswap<u32>(now)); p += TS_LEN;
  memory.copy(p, ID_A, ID_LEN); p += ID_LEN;
  let n = p - OUT;
  sha256Init(TH_CTX);
  sha256Update(TH_CTX, OUT, n);
  state = ST_WAIT_M2;
  return <i32>n;
}

/**
 * info = label || TH; out = HKDF-Expand(PRK, info, n). The labels are written "airshake1 ...";
 * suite 3's are the same with '3' as their ninth byte (`v`).
 */
function expand(out: usize, n: usize, label: usize, labelLen: usize, v: u8 = 0x31): void {
  memory.copy(INFO, label, labelLen);
  store<u8>(INFO + 8, v);
  memory.copy(INFO + labelLen, TH, SHA256_OUT);
  hkdfSha256Expand(out, n, PRK, 32, INFO, labelLen + SHA256_OUT);
}

/** nonce = iv XOR (0...0 || seq as 64-bit big-endian), seq in the last 8 bytes (PROTOCOL.md §Records). */
function makeNonce(iv: usize, seq: u64): void {
  let nl = suiteNonceLen(suite);
  memory.copy(NONCE, iv, nl);
  store<u64>(NONCE + nl - 8, load<u64>(NONCE + nl - 8) ^ bswap<u64>(seq));
}

/**
 * Seals the n plaintext bytes already at p + 2 in place into a record body (length ||
 * ciphertext || tag) at p, AAD = 0x17 || length.
 */
function sealRecordBody(p: usize, n: usize, type: u8 = MT_RECORD): usize {
  let len = n + suiteTagLen(suite);
  store<u8>(AAD, type); store<u8>(AAD + 1, <u8>(len >> 8)); store<u8>(AAD + 2, <u8>len);
  store<u8>(p, <u8>(len >> 8)); store<u8>(p + 1, <u8>len);
  makeNonce(IV_AB, seqAB);
  suiteSeal(suite, p + 2, p + 2 + n, K_AB, NONCE, AAD, REC_HDR, p + 2, n);
  seqAB++;
  return 2 + len;
}

/**
 * A's checks of C_B (PROTOCOL.md, A's steps 2 to 6) for `chosen`: the strict parse, the chosen
 * suite's CA signature, validity at `now`, the expected name, the key type and usage. OK, or the
 * code. The parser's results (x509Key, the validity) are then C_B's.
 */
function checkServerCert(cert: usize, certLen: usize, chosen: u8, now: u32): i32 {
  let rc = x509Parse(cert, certLen);
  if (rc != OK) return rc;
  // the CA key of the chosen suite; the certificate's signature algorithm must be the suite's
  if (suiteVerifyCa(chosen, caOf(chosen), x509SigAlg, x509Signature, x509SignatureLen, x509TbsStart, x509TbsEnd - x509TbsStart) != OK) return ERR_CERT_SIGNATURE;
  let t = <i64>now;
  if (t < x509NotBefore) return ERR_CERT_NOT_YET_VALID;
  if (t > x509NotAfter) return ERR_CERT_EXPIRED;
  if (x509CnLen != nameLen || !ctEq(x509CnPtr, NAME, nameLen)) return ERR_WRONG_SERVER;
  if (x509KeyType != suiteKeyType(chosen)) return ERR_CERT_KEY_TYPE;
  if (x509IsCa || !x509HasKeyUsage || (x509KeyUsage & KU_KEY_AGREEMENT) == 0) return ERR_CERT_KEY_USAGE;
  return OK;
}

/**
 * Processes message 2 (IN[0..inLen)) at handset time `now` and writes message 3 into OUT: A's
 * Finished MAC, then the appLen plaintext bytes the host left at OUT + SEND_APP_OFF, sealed in
 * place, as the first application record. Returns message 3's length, or -code with the alert
 * in OUT (and the plaintext wiped).
 */
export function clientFinish(inLen: usize, now: u32, appLen: usize): i32 {
  if (state != ST_WAIT_M2) return fail(ERR_STATE);
  if (SUITE3 && fsSession) return finishFs(inLen, now, appLen);
  if (appLen > MAX_APP) return fail(ERR_RECORD_OVERFLOW);
  if (inLen > IN_CAP) return fail(ERR_DECODE);
  if (inLen < 1) return fail(ERR_DECODE);
  let type = load<u8>(IN);
  if (type == MT_ALERT) { peerAlert = inLen >= 2 ? <i32>load<u8>(IN + 1) : 0; return fail(ERR_PEER_ALERT); }
  if (type != MT_RESPONSE) return fail(ERR_UNEXPECTED);
  if (inLen < M2_FIXED) return fail(ERR_DECODE);
  let chosen = load<u8>(IN + 1);
  let offered = false;
  let nOffered = offerLen(), offer = offerPtr();
  for (let i: usize = 0; i < nOffered; i++) if (load<u8>(offer + i) == chosen) offered = true;
  if (!offered) return fail(ERR_SUITE_NOT_OFFERED);
  let certLen = (<usize>load<u8>(IN + 18) << 8) | <usize>load<u8>(IN + 19);
  if (certLen > X509_MAX_CERT) return fail(ERR_X509_TOO_LARGE);
  let kt = SUITE3 && chosen == SUITE_X25519KT_ED25519_CHACHAPOLY_SHA256;
  let expected = M2_FIXED + certLen + (kt ? KT_LEN : 0) + MAC_LEN;
  if (inLen < expected) return fail(ERR_DECODE);
  if (inLen > expected) return fail(ERR_TRAILING);
  let rc = checkServerCert(IN + M2_FIXED, certLen, chosen, now);
  if (rc != OK) return fail(rc);
  suite = chosen;
  memory.copy(RANDOMS + RANDOM_LEN, IN + 2, RANDOM_LEN);
  // Z = DH(sk_A, pk_B); PRK = HKDF-Extract(random_A || random_B, Z)
  rc = suiteAgree(suite, Z, skOf(suite), x509Key);
  if (rc != OK) { wipe(Z, DH_LEN); return fail(rc); }
  if (kt) {
    // suite 4: pms from the key transport, then PRK = HKDF-Extract(random_A || random_B, pms || Z)
    rc = openPms(IN + M2_FIXED + certLen, CL_IKM);
    if (rc != OK) { wipe(Z, DH_LEN); wipe(CL_IKM, 64); return fail(rc); }
    memory.copy(CL_IKM + PMS_LEN, Z, DH_LEN);
    hkdfSha256Extract(PRK, RANDOMS, 2 * RANDOM_LEN, CL_IKM, PMS_LEN + DH_LEN);
    wipe(CL_IKM, 64);
  } else {
    hkdfSha256Extract(PRK, RANDOMS, 2 * RANDOM_LEN, Z, DH_LEN);
  }
  wipe(Z, DH_LEN);
  let v: u8 = kt ? V4 : 0x31;
  // TH2 = SHA-256(msg1 || msg2 without MAC_B); MAC_B = Expand(PRK, "airshake1 mac_b" || TH2, 16)
  let macB = IN + inLen - MAC_LEN;
  sha256Update(TH_CTX, IN, inLen - MAC_LEN);
  memory.copy(TH_FORK, TH_CTX, SHA256_CTX_SIZE);
  sha256Final(TH_FORK, TH);
  expand(MAC, MAC_LEN, L_MAC_B, L_MAC_B_LEN, v);
  if (!verify16(MAC, macB)) { wipe(PRK, 32); return fail(ERR_MAC_B); }
  // TH3 = SHA-256(msg1 || msg2); MAC_A and the traffic keys come from TH3
  sha256Update(TH_CTX, macB, MAC_LEN);
  sha256Final(TH_CTX, TH);
  store<u8>(OUT, MT_FINISH);
  expand(OUT + 1, MAC_LEN, L_MAC_A, L_MAC_A_LEN, v);
  let kl = suiteKeyLen(suite), nl = suiteNonceLen(suite);
  expand(K_AB, kl, L_KEY_AB, L_KEY_AB_LEN, v);
  expand(IV_AB, nl, L_IV_AB, L_IV_AB_LEN, v);
  expand(K_BA, kl, L_KEY_BA, L_KEY_BA_LEN, v);
  expand(IV_BA, nl, L_IV_BA, L_IV_BA_LEN, v);
  expand(U_AB, UPD_LEN, L_UPD_AB, L_UPD_DIR_LEN, v);
  expand(U_BA, UPD_LEN, L_UPD_BA, L_UPD_DIR_LEN, v);
  wipe(PRK, 32); wipe(INFO, 48); wipe(MAC, MAC_LEN);
  seqAB = 0; seqBA = 0;
  let n: usize = 1 + MAC_LEN + sealRecordBody(OUT + 1 + MAC_LEN, appLen);
  wipe(TH, SHA256_OUT); wipe(NONCE, AEAD_NONCE_MAX);
  state = ST_ESTABLISHED;
  return <i32>n;
}

/**
 * Seals the n plaintext bytes the host left at OUT + SEND_APP_OFF as an application record
 * (0x17 || length || ciphertext || tag) at OUT.
 */
export function clientSeal(n: usize): i32 {
  if (state != ST_ESTABLISHED) return fail(ERR_STATE);
  if (n > MAX_APP) return fail(ERR_RECORD_OVERFLOW);
  if (seqAB == u64.MAX_VALUE) return fail(ERR_RECORD_OVERFLOW);
  memory.copy(OUT + REC_HDR, OUT + SEND_APP_OFF, n);
  store<u8>(OUT, MT_RECORD);
  let len: usize = 1 + sealRecordBody(OUT + 1, n);
  wipe(NONCE, AEAD_NONCE_MAX);
  return <i32>len;
}

/**
 * u = Expand(u, "airshake1 upd", 32); k = Expand(u, "airshake1 key", key length);
 * iv = Expand(u, "airshake1 iv", nonce length); seq = 0 for the caller. The old secret, key and
 * iv are overwritten in place, and the scratch copy is wiped.
 */
function nextKeys(u: usize, k: usize, iv: usize): void {
  hkdfSha256Expand(PRK, UPD_LEN, u, UPD_LEN, L_UPD, L_UPD_LEN);
  memory.copy(u, PRK, UPD_LEN);
  wipe(PRK, UPD_LEN);
  hkdfSha256Expand(k, suiteKeyLen(suite), u, UPD_LEN, L_UKEY, L_UKEY_LEN);
  hkdfSha256Expand(iv, suiteNonceLen(suite), u, UPD_LEN, L_UIV, L_UIV_LEN);
}

/**
 * As clientSeal, with the change-cipher message appended (PROTOCOL.md §Key update): record type
 * 0x18, plaintext = the n application bytes || 0x01, at most MAX_APP in all (n <= MAX_APP - 1).
 * After it, A's direction uses the next keys, from sequence number 0.
 */
export function clientSealUpdate(n: usize): i32 {
  if (state != ST_ESTABLISHED) return fail(ERR_STATE);
  if (n > MAX_APP - 1) return fail(ERR_RECORD_OVERFLOW);
  if (seqAB == u64.MAX_VALUE) return fail(ERR_RECORD_OVERFLOW);
  memory.copy(OUT + REC_HDR, OUT + SEND_APP_OFF, n);
  store<u8>(OUT + REC_HDR + n, CC_NEXT_KEYS);
  store<u8>(OUT, MT_RECORD_UPDATE);
  let len: usize = 1 + sealRecordBody(OUT + 1, n + 1, MT_RECORD_UPDATE);
  wipe(NONCE, AEAD_NONCE_MAX);
  nextKeys(U_AB, K_AB, IV_AB);
  seqAB = 0;
  return <i32>len;
}

/**
 * Opens a record from B (IN[0..inLen)) in place: the plaintext is left at IN + RECV_APP_OFF.
 * Returns its length or -code. A 0x18 record (key update) must end with the change-cipher
 * message 0x01 (else ERR_DECODE); its length excludes that byte, and B's direction then uses
 * the next keys, from sequence number 0.
 */
export function clientOpen(inLen: usize): i32 {
  if (state != ST_ESTABLISHED) return fail(ERR_STATE);
  if (inLen > IN_CAP || inLen < 1) return fail(ERR_DECODE);
  let type = load<u8>(IN);
  if (type == MT_ALERT) { peerAlert = inLen >= 2 ? <i32>load<u8>(IN + 1) : 0; return fail(ERR_PEER_ALERT); }
  if (type != MT_RECORD && type != MT_RECORD_UPDATE) return fail(ERR_UNEXPECTED);
  let tagLen = suiteTagLen(suite);
  if (inLen < REC_HDR + tagLen) return fail(ERR_DECODE);
  let len = (<usize>load<u8>(IN + 1) << 8) | <usize>load<u8>(IN + 2);
  if (len < tagLen) return fail(ERR_DECODE);
  if (REC_HDR + len > inLen) return fail(ERR_DECODE);
  if (REC_HDR + len < inLen) return fail(ERR_TRAILING);
  let n = len - tagLen;
  if (n > MAX_APP) return fail(ERR_RECORD_OVERFLOW);
  if (seqBA == u64.MAX_VALUE) return fail(ERR_RECORD_OVERFLOW);
  makeNonce(IV_BA, seqBA);
  if (suiteOpen(suite, IN + REC_HDR, K_BA, NONCE, IN, REC_HDR, IN + REC_HDR, n, IN + REC_HDR + n) != OK) return fail(ERR_RECORD);
  wipe(NONCE, AEAD_NONCE_MAX);
  seqBA++;
  if (type == MT_RECORD_UPDATE) {
    // the authenticated plaintext ends with the change-cipher message: only "next keys" is defined
    if (n == 0 || load<u8>(IN + REC_HDR + n - 1) != CC_NEXT_KEYS) return fail(ERR_DECODE);
    n--;
    store<u8>(IN + REC_HDR + n, 0);
    nextKeys(U_BA, K_BA, IV_BA);
    seqBA = 0;
  }
  return <i32>n;
}

// ---- suite 3: forward secrecy, C_B encrypted or by reference (PROTOCOL.md §Suite 3) ----------

/** "airshake3 k_2" (its ninth byte is written by expand) */
const L_K2: usize = SUITE3 ? memory.data<u8>([0x61, 0x69, 0x72, 0x73, 0x68, 0x61, 0x6b, 0x65, 0x33, 0x20, 0x6b, 0x5f, 0x32]) : 0;
// @ts-ignore: decorator
@inline const L_K2_LEN: usize = 13;
/** ASCII '3': the ninth byte of suite 3's labels. */
// @ts-ignore: decorator
@inline const V3: u8 = 0x33;

/** Forgets the cached server certificate. */
export function clientForgetServer(): void {
  if (!SUITE3) return;
  wipe(SRV_PK, 32); wipe(SRV_REF, REF_LEN);
  srvCached = false; srvNotBefore = 0; srvNotAfter = 0;
}

/** 1 when a server certificate is cached (its reference goes into suite-3 hellos while valid). */
export function clientServerCached(): i32 { return SUITE3 && srvCached ? 1 : 0; }

/** Caches pk_B, the validity and the reference of the C_B at cert (checked), for suite 3. */
function cacheServer(cert: usize, certLen: usize): void {
  memory.copy(SRV_PK, x509Key, 32);
  srvNotBefore = x509NotBefore; srvNotAfter = x509NotAfter;
  sha256Init(TH_FORK); sha256Update(TH_FORK, cert, certLen); sha256Final(TH_FORK, Z);
  memory.copy(SRV_REF, Z, REF_LEN);
  wipe(Z, 32); wipe(TH_FORK, SHA256_CTX_SIZE);
  srvCached = true;
}

/**
 * Provisions the server certificate for suite 3 (the host writes it at IN): it is checked as in
 * a handshake at time `now` (strict parse, the CA's Ed25519 signature, validity, the expected
 * name, an X25519 key with keyAgreement) and cached, so that suite-3 hellos name it. Only in
 * READY. OK, or -code with the cache empty; the state does not change.
 */
export function clientCacheServer(certLen: usize, now: u32): i32 {
  if (!SUITE3) return -ERR_STATE;
  if (state != ST_READY) return -ERR_STATE;
  clientForgetServer();
  if (certLen > X509_MAX_CERT) return -ERR_X509_TOO_LARGE;
  let rc = checkServerCert(IN, certLen, SUITE_X25519E_ED25519_CHACHAPOLY_SHA256, now);
  if (rc == OK) cacheServer(IN, certLen);
  wipe(ARENA, ARENA_BYTES);
  return rc == OK ? OK : -rc;
}

/**
 * Suite 3's message 1 (HELLO_E) at handset time `now`: type, version, 1, suite 3, the time's low
 * 16 bits, ID_A, E_A = X25519(e_A, 9) for a fresh e_A, and ref_B when a cached C_B is valid at
 * `now`. Returns its length (46 or 50), or -code.
 */
export function clientStartFs(now: u32): i32 {
  if (!SUITE3) return fail(ERR_STATE);
  if (state == ST_UNPROVISIONED) return fail(ERR_NOT_PROVISIONED);
  if (state != ST_READY) return fail(ERR_STATE);
  platformRandom(E_SK, EPH_LEN);
  let p = OUT;
  store<u8>(p, MT_HELLO_E); store<u8>(p + 1, VERSION); store<u8>(p + 2, 1); store<u8>(p + 3, SUITE_X25519E_ED25519_CHACHAPOLY_SHA256);
  p += 4;
  store<u16>(p, bswap<u16>(<u16>now)); p += TS16_LEN;
  memory.copy(p, ID_A, ID_LEN); p += ID_LEN;
  // E_A = X25519(e_A, 9): never all-zero (a clamped scalar times the base point)
  memory.fill(Z, 0, 32); store<u8>(Z, 9);
  x25519(p, E_SK, Z);
  wipe(Z, 32);
  p += EPH_LEN;
  let t = <i64>now;
  sentRef = srvCached && t >= srvNotBefore && t <= srvNotAfter;
  if (sentRef) { memory.copy(p, SRV_REF, REF_LEN); p += REF_LEN; }
  let n = p - OUT;
  sha256Init(TH_CTX);
  sha256Update(TH_CTX, OUT, n);
  fsSession = true;
  state = ST_WAIT_M2;
  return <i32>n;
}

/** out = X25519(scalar, u); false when all-zero (a small-order point: ERR_X25519_ZERO). */
// @ts-ignore: decorator
@inline function dh(out: usize, scalar: usize, u: usize): bool { return x25519(out, scalar, u) == OK; }

/**
 * Suite 3's message 2 (RESPONSE_E) at IN[0..inLen): type, suite, E_B, then CIPHERTEXT_2 =
 * ([cert_len || C_B] || MAC_B) XOR ChaCha20(K_2). Writes message 3 (a record, seq 0, whose
 * authentication is A's Finished) into OUT and returns its length, or -code.
 */
function finishFs(inLen: usize, now: u32, appLen: usize): i32 {
  if (appLen > MAX_APP) return fail(ERR_RECORD_OVERFLOW);
  if (inLen > IN_CAP || inLen < 1) return fail(ERR_DECODE);
  let type = load<u8>(IN);
  if (type == MT_ALERT) { peerAlert = inLen >= 2 ? <i32>load<u8>(IN + 1) : 0; return fail(ERR_PEER_ALERT); }
  if (type != MT_RESPONSE_E) return fail(ERR_UNEXPECTED);
  if (inLen < M2E_FIXED + MAC_E_LEN) return fail(ERR_DECODE);
  if (load<u8>(IN + 1) != SUITE_X25519E_ED25519_CHACHAPOLY_SHA256) return fail(ERR_SUITE_NOT_OFFERED);
  let ct = IN + M2E_FIXED, ctLen = inLen - M2E_FIXED;
  let withCert = ctLen != MAC_E_LEN;
  // without C_B, the hello must have named the one A (still) holds
  if (!withCert && (!sentRef || !srvCached)) return fail(ERR_DECODE);
  if (withCert && ctLen < 2 + MAC_E_LEN) return fail(ERR_DECODE);
  let eB = IN + 2;
  // TH2 = SHA-256(message 1 || type || suite || E_B); PRK_2 = Extract(TH2, ee); K_2 = Expand(PRK_2, "airshake3 k_2", 32)
  sha256Update(TH_CTX, IN, M2E_FIXED);
  memory.copy(TH_FORK, TH_CTX, SHA256_CTX_SIZE);
  sha256Final(TH_FORK, TH);
  if (!dh(Z, E_SK, eB)) { wipe(Z, 32); return fail(ERR_X25519_ZERO); }
  hkdfSha256Extract(PRK, TH, SHA256_OUT, Z, 32);
  wipe(Z, 32);
  memory.copy(INFO, L_K2, L_K2_LEN);
  hkdfSha256Expand(CL_K2, 32, PRK, 32, INFO, L_K2_LEN);
  memory.fill(NONCE, 0, 12);
  chacha20Xor(ct, ct, ctLen, CL_K2, NONCE, 0);
  wipe(CL_K2, 32);
  // PRK_2 waits outside the arena while C_B is verified (U_AB is free until the keys exist)
  memory.copy(U_AB, PRK, 32);
  wipe(PRK, 32);
  let pkB: usize = SRV_PK;
  let certLen: usize = 0;
  if (withCert) {
    // from here to MAC_B, failures concern unauthenticated plaintext: their alerts name no cause
    certLen = (<usize>load<u8>(ct) << 8) | <usize>load<u8>(ct + 1);
    if (certLen > X509_MAX_CERT) return failQuiet(ERR_X509_TOO_LARGE);
    if (certLen + 2 + MAC_E_LEN > ctLen) return failQuiet(ERR_DECODE);
    if (certLen + 2 + MAC_E_LEN < ctLen) return failQuiet(ERR_TRAILING);
    let rc = checkServerCert(ct + 2, certLen, SUITE_X25519E_ED25519_CHACHAPOLY_SHA256, now);
    if (rc != OK) return failQuiet(rc);
    pkB = x509Key;
  } else {
    let t = <i64>now;
    if (t < srvNotBefore) return fail(ERR_CERT_NOT_YET_VALID);
    if (t > srvNotAfter) return fail(ERR_CERT_EXPIRED);
  }
  // TH2b = SHA-256(... || PLAINTEXT_2 without MAC_B)
  sha256Update(TH_CTX, ct, ctLen - MAC_E_LEN);
  memory.copy(TH_FORK, TH_CTX, SHA256_CTX_SIZE);
  sha256Final(TH_FORK, TH);
  // PRK_3 = Extract(PRK_2, es || se || ss)
  let ok = dh(CL_IKM, E_SK, pkB);
  ok = dh(CL_IKM + 32, SK_A, eB) && ok;
  ok = dh(CL_IKM + 64, SK_A, pkB) && ok;
  wipe(E_SK, EPH_LEN);
  if (!ok) { wipe(CL_IKM, 96); return withCert ? failQuiet(ERR_X25519_ZERO) : fail(ERR_X25519_ZERO); }
  hkdfSha256Extract(PRK, U_AB, 32, CL_IKM, 96);
  wipe(CL_IKM, 96); wipe(U_AB, 32);
  // MAC_B = Expand(PRK_3, "airshake3 mac_b" || TH2b, 8), compared in constant time
  expand(MAC, MAC_E_LEN, L_MAC_B, L_MAC_B_LEN, V3);
  let macB = IN + inLen - MAC_E_LEN;
  if (!ctEq(MAC, macB, MAC_E_LEN)) {
    wipe(PRK, 32); wipe(MAC, MAC_LEN);
    // By reference, a failed MAC_B may mean that B's new C_B shares the old one's 4-byte
    // reference (2^-32 per renewal): forget the held C_B, so that the next hello asks for it.
    if (!withCert) clientForgetServer();
    return withCert ? failQuiet(ERR_MAC_B) : fail(ERR_MAC_B);
  }
  // TH3 = SHA-256(... || PLAINTEXT_2); the keys
  sha256Update(TH_CTX, macB, MAC_E_LEN);
  sha256Final(TH_CTX, TH);
  suite = SUITE_X25519E_ED25519_CHACHAPOLY_SHA256;
  expand(K_AB, 32, L_KEY_AB, L_KEY_AB_LEN, V3);
  expand(IV_AB, 12, L_IV_AB, L_IV_AB_LEN, V3);
  expand(K_BA, 32, L_KEY_BA, L_KEY_BA_LEN, V3);
  expand(IV_BA, 12, L_IV_BA, L_IV_BA_LEN, V3);
  expand(U_AB, UPD_LEN, L_UPD_AB, L_UPD_DIR_LEN, V3);
  expand(U_BA, UPD_LEN, L_UPD_BA, L_UPD_DIR_LEN, V3);
  wipe(PRK, 32); wipe(INFO, 48); wipe(MAC, MAC_LEN); wipe(TH, SHA256_OUT);
  // a verified C_B replaces the cached one (only now: MAC_B proved B holds its key)
  if (withCert) {
    x509Parse(ct + 2, certLen); // the parse is pure and succeeded above: x509Key & co. again
    cacheServer(ct + 2, certLen);
  }
  fsSession = false;
  // message 3: the first record, A's Finished by its authentication
  seqAB = 0; seqBA = 0;
  memory.copy(OUT + REC_HDR, OUT + SEND_APP_OFF, appLen);
  store<u8>(OUT, MT_RECORD);
  let n: usize = 1 + sealRecordBody(OUT + 1, appLen);
  wipe(NONCE, AEAD_NONCE_MAX);
  state = ST_ESTABLISHED;
  return <i32>n;
}

// ---- suite 4: key transport (the seed's claim 6; PROTOCOL.md §Suite 4) -----------------------

/** "airshake4 ecies" (its ninth byte is written over) */
const L_ECIES: usize = SUITE3 ? memory.data<u8>([0x61, 0x69, 0x72, 0x73, 0x68, 0x61, 0x6b, 0x65, 0x34, 0x20, 0x65, 0x63, 0x69, 0x65, 0x73]) : 0;
// @ts-ignore: decorator
@inline const L_ECIES_LEN: usize = 15;
/** ASCII '4': the ninth byte of suite 4's labels. */
// @ts-ignore: decorator
@inline const V4: u8 = 0x34;

/**
 * The pre-master secret B sealed to pk_A at kt (E_B || ciphertext (32) || tag (16)), opened into
 * out (32 bytes): Z_e = X25519(sk_A, E_B), K_e || N_e = HKDF-Expand(HKDF-Extract(E_B, Z_e),
 * "airshake4 ecies", 44), ChaCha20-Poly1305 with no AAD. OK, ERR_X25519_ZERO for a small-order
 * E_B, ERR_KEY_TRANSPORT when the ciphertext does not authenticate.
 */
function openPms(kt: usize, out: usize): i32 {
  // out = CL_IKM[0..32); Z_e in CL_K2; K_e || N_e at CL_IKM[48..92) (the caller puts Z at [32..64) afterwards)
  let ke = CL_IKM + 48, ne = CL_IKM + 80;
  if (x25519(CL_K2, SK_A, kt) != OK) { wipe(CL_K2, 32); return ERR_X25519_ZERO; }
  hkdfSha256Extract(PRK, kt, EPH_LEN, CL_K2, 32);
  wipe(CL_K2, 32);
  memory.copy(INFO, L_ECIES, L_ECIES_LEN);
  hkdfSha256Expand(ke, 44, PRK, 32, INFO, L_ECIES_LEN);
  wipe(PRK, 32);
  let rc = chacha20Poly1305Open(out, ke, ne, 0, 0, kt + EPH_LEN, PMS_LEN, kt + EPH_LEN + PMS_LEN);
  wipe(ke, 44);
  return rc == OK ? OK : ERR_KEY_TRANSPORT;
}
