// The handset's side of the airshake handshake (docs/PROTOCOL.md): an explicit state machine in
// static memory. Every entry point checks the state; the first error is sticky (BearSSL's
// br_ssl_engine_fail): it moves the machine to FAILED, wipes the session's secrets and leaves an
// alert in OUT. Only reset() (a new attempt) or provision() leave FAILED. No entry point throws.
//
// Secrets: A's static private key lives in PROVISIONED storage (a handset's secure element would
// hold it). The DH secret, PRK and MAC keys exist only inside finish() and are wiped before it
// returns; the traffic keys live in SESSION until reset() or a failure wipes them.
import { ctEq, verify16, wipe } from "../ct/ct";
import { x509CnLen, x509CnPtr, x509HasKeyUsage, x509IsCa, x509Key, x509KeyType, x509KeyUsage, x509NotAfter, x509NotBefore, x509Parse, x509Signature, x509TbsEnd, x509TbsStart, KU_KEY_AGREEMENT, X509_MAX_CERT } from "../der/x509";
import {
  ERR_CERT_KEY_TYPE, ERR_CERT_KEY_USAGE, ERR_CERT_NOT_YET_VALID, ERR_CERT_EXPIRED, ERR_CERT_SIGNATURE, ERR_DECODE, ERR_ED25519_POINT,
  ERR_MAC_B, ERR_NOT_PROVISIONED, ERR_PEER_ALERT, ERR_RECORD, ERR_RECORD_OVERFLOW, ERR_STATE, ERR_SUITE_NOT_OFFERED,
  ERR_TRAILING, ERR_UNEXPECTED, ERR_WRONG_SERVER, ERR_X509_TOO_LARGE, OK,
} from "../errors";
import { SHA256_CTX_SIZE, SHA256_OUT, sha256Final, sha256Init, sha256Update } from "../hash/sha256";
import { hkdfSha256Expand, hkdfSha256Extract } from "../kdf/hkdf_sha256";
import { x25519 } from "../ec/x25519";
import { ARENA, ARENA_BYTES, CL_AAD, CL_INFO, CL_MAC, CL_NONCE, CL_PRK, CL_PSPKI, CL_TH, CL_TH_FORK, CL_Z } from "../memmap";
import {
  AEAD_KEY_LEN, AEAD_NONCE_LEN, AEAD_TAG_LEN, DH_LEN, OFFERED_SUITE_COUNT, OFFERED_SUITES, suiteAgree, suiteKeyType,
  suiteCheckCaKey, suiteOpen, suiteSeal, suiteVerifyCa, SUITE_X25519_ED25519_CHACHAPOLY_SHA256,
} from "./suite";

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
/** IN holds message 2 at its largest, or a record at its largest. */
// @ts-ignore: decorator
@inline export const IN_CAP: usize = M2_FIXED + X509_MAX_CERT + MAC_LEN;
/** OUT holds message 3 at its largest (type, MAC_A, record), or an alert, or message 1. */
// @ts-ignore: decorator
@inline export const OUT_CAP: usize = 1 + MAC_LEN + 2 + MAX_APP + AEAD_TAG_LEN;
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

/** Provisioned: sk_A, ID_A, the CA key, the expected server name (pk_A is needed only for ID_A). */
const SK_A: usize = memory.data(32);
export const ID_A: usize = memory.data(<i32>ID_LEN);
const CA_PK: usize = memory.data(32);
const NAME: usize = memory.data(<i32>MAX_NAME);
let nameLen: usize = 0;

/** SubjectPublicKeyInfo prefix of an X25519 key (RFC 8410): ID_A hashes prefix || pk_A. */
const SPKI_X25519_PREFIX: usize = memory.data<u8>([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00]);

/** Session: randoms (random_A || random_B, the HKDF salt), transcript hash, traffic keys. */
// @ts-ignore: decorator
@inline const RANDOMS_LEN: usize = 2 * RANDOM_LEN;
const RANDOMS: usize = memory.data(<i32>RANDOMS_LEN);
const TH_CTX: usize = memory.data(<i32>SHA256_CTX_SIZE, 8);
const K_AB: usize = memory.data(<i32>AEAD_KEY_LEN);
const IV_AB: usize = memory.data(<i32>AEAD_NONCE_LEN);
const K_BA: usize = memory.data(<i32>AEAD_KEY_LEN);
const IV_BA: usize = memory.data(<i32>AEAD_NONCE_LEN);
let seqAB: u64 = 0;
let seqBA: u64 = 0;
let suite: u8 = 0;
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

let state: i32 = ST_UNPROVISIONED;
let err: i32 = OK;
let peerAlert: i32 = 0;

export function clientState(): i32 { return state; }
export function clientError(): i32 { return err; }
/** The code carried by the peer's alert, when the error is ERR_PEER_ALERT. */
export function clientPeerAlert(): i32 { return peerAlert; }

function wipeSession(): void {
  wipe(RANDOMS, 2 * RANDOM_LEN);
  wipe(TH_CTX, SHA256_CTX_SIZE);
  wipe(K_AB, AEAD_KEY_LEN); wipe(IV_AB, AEAD_NONCE_LEN); wipe(K_BA, AEAD_KEY_LEN); wipe(IV_BA, AEAD_NONCE_LEN);
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
 * Stores A's static X25519 private key, the CA's Ed25519 public key and the expected server
 * name (its certificate's CN), and derives pk_A and ID_A. Any previous session is wiped.
 */
export function clientProvision(sk: usize, caPk: usize, name: usize, n: usize): i32 {
  wipeSession();
  // The old identity goes first: a failed provisioning leaves no usable key behind.
  wipe(SK_A, 32); wipe(ID_A, ID_LEN); wipe(CA_PK, 32); wipe(NAME, MAX_NAME);
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
  let p = OUT;
  store<u8>(p, MT_HELLO); store<u8>(p + 1, VERSION); store<u8>(p + 2, <u8>OFFERED_SUITE_COUNT);
  p += 3;
  memory.copy(p, OFFERED_SUITES, OFFERED_SUITE_COUNT); p += OFFERED_SUITE_COUNT;
  memory.copy(p, RANDOMS, RANDOM_LEN); p += RANDOM_LEN;
  store<u32>(p, bswap<u32>(now)); p += TS_LEN;
  memory.copy(p, ID_A, ID_LEN); p += ID_LEN;
  let n = p - OUT;
  sha256Init(TH_CTX);
  sha256Update(TH_CTX, OUT, n);
  state = ST_WAIT_M2;
  return <i32>n;
}

/** info = label || TH; out = HKDF-Expand(PRK, info, n). */
function expand(out: usize, n: usize, label: usize, labelLen: usize): void {
  memory.copy(INFO, label, labelLen);
  memory.copy(INFO + labelLen, TH, SHA256_OUT);
  hkdfSha256Expand(out, n, PRK, 32, INFO, labelLen + SHA256_OUT);
}

/** nonce = iv XOR (0^4 || seq as 64-bit big-endian) (PROTOCOL.md §Records). */
function makeNonce(iv: usize, seq: u64): void {
  memory.copy(NONCE, iv, AEAD_NONCE_LEN);
  store<u64>(NONCE + 4, load<u64>(NONCE + 4) ^ bswap<u64>(seq));
}

/**
 * Seals the n plaintext bytes already at p + 2 in place into a record body (length ||
 * ciphertext || tag) at p, AAD = 0x17 || length.
 */
function sealRecordBody(p: usize, n: usize): usize {
  let len = n + AEAD_TAG_LEN;
  store<u8>(AAD, MT_RECORD); store<u8>(AAD + 1, <u8>(len >> 8)); store<u8>(AAD + 2, <u8>len);
  store<u8>(p, <u8>(len >> 8)); store<u8>(p + 1, <u8>len);
  makeNonce(IV_AB, seqAB);
  suiteSeal(suite, p + 2, p + 2 + n, K_AB, NONCE, AAD, REC_HDR, p + 2, n);
  seqAB++;
  return 2 + len;
}

/**
 * Processes message 2 (IN[0..inLen)) at handset time `now` and writes message 3 into OUT: A's
 * Finished MAC, then the appLen plaintext bytes the host left at OUT + SEND_APP_OFF, sealed in
 * place, as the first application record. Returns message 3's length, or -code with the alert
 * in OUT (and the plaintext wiped).
 */
export function clientFinish(inLen: usize, now: u32, appLen: usize): i32 {
  if (state != ST_WAIT_M2) return fail(ERR_STATE);
  if (appLen > MAX_APP) return fail(ERR_RECORD_OVERFLOW);
  if (inLen > IN_CAP) return fail(ERR_DECODE);
  if (inLen < 1) return fail(ERR_DECODE);
  let type = load<u8>(IN);
  if (type == MT_ALERT) { peerAlert = inLen >= 2 ? <i32>load<u8>(IN + 1) : 0; return fail(ERR_PEER_ALERT); }
  if (type != MT_RESPONSE) return fail(ERR_UNEXPECTED);
  if (inLen < M2_FIXED) return fail(ERR_DECODE);
  let chosen = load<u8>(IN + 1);
  let offered = false;
  for (let i: usize = 0; i < OFFERED_SUITE_COUNT; i++) if (load<u8>(OFFERED_SUITES + i) == chosen) offered = true;
  if (!offered) return fail(ERR_SUITE_NOT_OFFERED);
  let certLen = (<usize>load<u8>(IN + 18) << 8) | <usize>load<u8>(IN + 19);
  if (certLen > X509_MAX_CERT) return fail(ERR_X509_TOO_LARGE);
  let expected = M2_FIXED + certLen + MAC_LEN;
  if (inLen < expected) return fail(ERR_DECODE);
  if (inLen > expected) return fail(ERR_TRAILING);
  let cert = IN + M2_FIXED;
  let rc = x509Parse(cert, certLen);
  if (rc != OK) return fail(rc);
  if (suiteVerifyCa(chosen, CA_PK, x509Signature, x509TbsStart, x509TbsEnd - x509TbsStart) != OK) return fail(ERR_CERT_SIGNATURE);
  let t = <i64>now;
  if (t < x509NotBefore) return fail(ERR_CERT_NOT_YET_VALID);
  if (t > x509NotAfter) return fail(ERR_CERT_EXPIRED);
  if (x509CnLen != nameLen || !ctEq(x509CnPtr, NAME, nameLen)) return fail(ERR_WRONG_SERVER);
  if (x509KeyType != suiteKeyType(chosen)) return fail(ERR_CERT_KEY_TYPE);
  if (x509IsCa || !x509HasKeyUsage || (x509KeyUsage & KU_KEY_AGREEMENT) == 0) return fail(ERR_CERT_KEY_USAGE);
  suite = chosen;
  memory.copy(RANDOMS + RANDOM_LEN, IN + 2, RANDOM_LEN);
  // Z = DH(sk_A, pk_B); PRK = HKDF-Extract(random_A || random_B, Z)
  rc = suiteAgree(suite, Z, SK_A, x509Key);
  if (rc != OK) { wipe(Z, DH_LEN); return fail(rc); }
  hkdfSha256Extract(PRK, RANDOMS, 2 * RANDOM_LEN, Z, DH_LEN);
  wipe(Z, DH_LEN);
  // TH2 = SHA-256(msg1 || msg2 without MAC_B); MAC_B = Expand(PRK, "airshake1 mac_b" || TH2, 16)
  let macB = IN + inLen - MAC_LEN;
  sha256Update(TH_CTX, IN, inLen - MAC_LEN);
  memory.copy(TH_FORK, TH_CTX, SHA256_CTX_SIZE);
  sha256Final(TH_FORK, TH);
  expand(MAC, MAC_LEN, L_MAC_B, L_MAC_B_LEN);
  if (!verify16(MAC, macB)) { wipe(PRK, 32); return fail(ERR_MAC_B); }
  // TH3 = SHA-256(msg1 || msg2); MAC_A and the traffic keys come from TH3
  sha256Update(TH_CTX, macB, MAC_LEN);
  sha256Final(TH_CTX, TH);
  store<u8>(OUT, MT_FINISH);
  expand(OUT + 1, MAC_LEN, L_MAC_A, L_MAC_A_LEN);
  expand(K_AB, AEAD_KEY_LEN, L_KEY_AB, L_KEY_AB_LEN);
  expand(IV_AB, AEAD_NONCE_LEN, L_IV_AB, L_IV_AB_LEN);
  expand(K_BA, AEAD_KEY_LEN, L_KEY_BA, L_KEY_BA_LEN);
  expand(IV_BA, AEAD_NONCE_LEN, L_IV_BA, L_IV_BA_LEN);
  wipe(PRK, 32); wipe(INFO, 48); wipe(MAC, MAC_LEN);
  seqAB = 0; seqBA = 0;
  let n: usize = 1 + MAC_LEN + sealRecordBody(OUT + 1 + MAC_LEN, appLen);
  wipe(TH, SHA256_OUT); wipe(NONCE, AEAD_NONCE_LEN);
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
  wipe(NONCE, AEAD_NONCE_LEN);
  return <i32>len;
}

/**
 * Opens a record from B (IN[0..inLen)) in place: the plaintext is left at IN + RECV_APP_OFF.
 * Returns its length or -code.
 */
export function clientOpen(inLen: usize): i32 {
  if (state != ST_ESTABLISHED) return fail(ERR_STATE);
  if (inLen > IN_CAP || inLen < 1) return fail(ERR_DECODE);
  let type = load<u8>(IN);
  if (type == MT_ALERT) { peerAlert = inLen >= 2 ? <i32>load<u8>(IN + 1) : 0; return fail(ERR_PEER_ALERT); }
  if (type != MT_RECORD) return fail(ERR_UNEXPECTED);
  if (inLen < REC_HDR + AEAD_TAG_LEN) return fail(ERR_DECODE);
  let len = (<usize>load<u8>(IN + 1) << 8) | <usize>load<u8>(IN + 2);
  if (len < AEAD_TAG_LEN) return fail(ERR_DECODE);
  if (REC_HDR + len > inLen) return fail(ERR_DECODE);
  if (REC_HDR + len < inLen) return fail(ERR_TRAILING);
  let n = len - AEAD_TAG_LEN;
  if (n > MAX_APP) return fail(ERR_RECORD_OVERFLOW);
  if (seqBA == u64.MAX_VALUE) return fail(ERR_RECORD_OVERFLOW);
  makeNonce(IV_BA, seqBA);
  if (suiteOpen(suite, IN + REC_HDR, K_BA, NONCE, IN, REC_HDR, IN + REC_HDR, n, IN + REC_HDR + n) != OK) return fail(ERR_RECORD);
  wipe(NONCE, AEAD_NONCE_LEN);
  seqBA++;
  return <i32>n;
}
