// X.509 v3 certificate parser for the airshake profile (RFC 5280, RFC 8410), bounded and strict.
//
// Accepted:  Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
//   tbsCertificate ::= SEQUENCE {
//     [0] EXPLICIT version INTEGER (v3 = 2, required)
//     serialNumber INTEGER (positive, minimal, 1..20 bytes)
//     signature AlgorithmIdentifier (Ed25519, no parameters: RFC 8410 §3; or ecdsa-with-SHA256,
//         no parameters: RFC 5758 §3.2), the same as the outer signatureAlgorithm
//     issuer Name, validity SEQUENCE { Time, Time }, subject Name
//     subjectPublicKeyInfo (any algorithm is parsed; X25519 keys and P-256 keys, id-ecPublicKey
//         with the named curve prime256v1 and an uncompressed point (RFC 5480), are recognised
//         and extracted)
//     [3] EXPLICIT extensions (optional; keyUsage and basicConstraints are read, unknown
//         non-critical ones skipped, unknown critical ones and duplicates rejected) }
// signatureValue: 64 bytes R || S for Ed25519; a DER ECDSA-Sig-Value SEQUENCE { r, s } of
// minimal positive INTEGERs of at most 33 bytes for ECDSA (RFC 5480 §2.2.3). These rules and
// their error codes are those of server B's parser (host/pki/x509.ts).
// Everything else (issuer/subject unique IDs, other signature algorithms, BER) is rejected with a
// DER or X.509 error code. The parser reads public data only and is variable-time.
// Results are module globals; the certificate bytes stay where they are (spans point into them).
import { derContent, derEnd, derEqualsVartime, derExpect, derRead, derTag } from "./der";
import {
  ERR_DER_INTEGER, ERR_DER_TAG, ERR_DER_TRAILING, ERR_X509_ALGORITHM, ERR_X509_DUPLICATE_EXTENSION,
  ERR_X509_EXTENSION, ERR_X509_NAME, ERR_X509_SPKI, ERR_X509_TIME, ERR_X509_TOO_LARGE, ERR_X509_VERSION, OK,
} from "../errors";

/** The largest certificate accepted: message 2 must fit the handset's input buffer. */
// @ts-ignore: decorator
@inline export const X509_MAX_CERT: usize = 512;
/** Extensions tracked for duplicate detection; more than this is refused. */
// @ts-ignore: decorator
@inline const MAX_EXTENSIONS: i32 = 8;

// @ts-ignore: decorator
@inline const T_INTEGER: u32 = 0x02;
// @ts-ignore: decorator
@inline const T_BIT_STRING: u32 = 0x03;
// @ts-ignore: decorator
@inline const T_OCTET_STRING: u32 = 0x04;
// @ts-ignore: decorator
@inline const T_OID: u32 = 0x06;
// @ts-ignore: decorator
@inline const T_BOOLEAN: u32 = 0x01;
// @ts-ignore: decorator
@inline const T_SEQUENCE: u32 = 0x30;
// @ts-ignore: decorator
@inline const T_SET: u32 = 0x31;
// @ts-ignore: decorator
@inline const T_UTC_TIME: u32 = 0x17;
// @ts-ignore: decorator
@inline const T_GENERALIZED_TIME: u32 = 0x18;

/** AlgorithmIdentifier contents: OID 1.3.101.112 (Ed25519) and 1.3.101.110 (X25519). */
const ALG_ED25519: usize = memory.data<u8>([0x06, 0x03, 0x2b, 0x65, 0x70]);
const ALG_X25519: usize = memory.data<u8>([0x06, 0x03, 0x2b, 0x65, 0x6e]);
/** AlgorithmIdentifier contents: ecdsa-with-SHA256 1.2.840.10045.4.3.2, no parameters (RFC 5758 §3.2). */
const ALG_ECDSA_SHA256: usize = memory.data<u8>([0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]);
// @ts-ignore: decorator
@inline const ALG_ECDSA_SHA256_LEN: usize = 10;
/** AlgorithmIdentifier contents: id-ecPublicKey 1.2.840.10045.2.1 with the namedCurve prime256v1 1.2.840.10045.3.1.7 (RFC 5480 §2.1.1). */
const ALG_EC_P256: usize = memory.data<u8>([
  0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
]);
// @ts-ignore: decorator
@inline const ALG_EC_P256_LEN: usize = 19;
/** A P-256 subject key: the BIT STRING's unused-bits byte (0), then 04 || x || y (SEC 1 §2.3.3, uncompressed). */
// @ts-ignore: decorator
@inline const P256_KEY_BITS: usize = 1 + 65;
/** ECDSA-Sig-Value INTEGERs: 32 value bytes, and a 00 before a high bit. */
// @ts-ignore: decorator
@inline const ECDSA_INT_MAX: usize = 33;
/** OID contents: id-at-commonName 2.5.4.3, id-ce-keyUsage 2.5.29.15, id-ce-basicConstraints 2.5.29.19. */
const OID_CN: usize = memory.data<u8>([0x55, 0x04, 0x03]);
const OID_KEY_USAGE: usize = memory.data<u8>([0x55, 0x1d, 0x0f]);
const OID_BASIC_CONSTRAINTS: usize = memory.data<u8>([0x55, 0x1d, 0x13]);
/** Start and end of each extension's OID content, for the duplicate check. */
const EXT_OIDS: usize = memory.data(MAX_EXTENSIONS * 8);

export const KEY_OTHER: i32 = 0;
export const KEY_X25519: i32 = 1;
/** A P-256 point: x509Key points at its 65-byte uncompressed encoding 04 || x || y (not checked to be on the curve). */
export const KEY_P256: i32 = 2;

/** The certificate's signature algorithm (x509SigAlg). */
export const SIG_ED25519: i32 = 1;
export const SIG_ECDSA_SHA256: i32 = 2;

/** Results of x509Parse. */
export let x509TbsStart: usize = 0;
export let x509TbsEnd: usize = 0;
export let x509SigAlg: i32 = 0;       // SIG_ED25519 or SIG_ECDSA_SHA256, the same inside and outside
export let x509Signature: usize = 0; // Ed25519: 64 bytes R || S; ECDSA: the DER ECDSA-Sig-Value
export let x509SignatureLen: usize = 0;
export let x509NotBefore: i64 = 0;   // Unix seconds
export let x509NotAfter: i64 = 0;
export let x509CnPtr: usize = 0;
export let x509CnLen: usize = 0;
export let x509KeyType: i32 = KEY_OTHER;
export let x509Key: usize = 0;        // 32 bytes when KEY_X25519, 65 when KEY_P256
export let x509HasKeyUsage: bool = false;
export let x509KeyUsage: u32 = 0;     // bit n set when keyUsage bit n (RFC 5280 numbering) is set
export let x509IsCa: bool = false;

/** keyUsage bit 4 (RFC 5280 §4.2.1.3). */
export const KU_KEY_AGREEMENT: u32 = 1 << 4;

// @ts-ignore: decorator
@inline function digit(p: usize): i32 { return <i32>load<u8>(p) - 0x30; }

/** 1 when the n bytes at p are all ASCII digits. */
function allDigits(p: usize, n: usize): bool {
  for (let i: usize = 0; i < n; i++) { let c = load<u8>(p + i); if (c < 0x30 || c > 0x39) return false; }
  return true;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil). */
function daysFromCivil(y: i64, m: i64, d: i64): i64 {
  if (m <= 2) y -= 1;
  let era = (y >= 0 ? y : y - 399) / 400;
  let yoe = y - era * 400;
  let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(y: i32, m: i32): i32 {
  if (m == 2) return (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28;
  return (m == 4 || m == 6 || m == 9 || m == 11) ? 30 : 31;
}

/** RFC 5280 §4.1.2.5: UTCTime YYMMDDHHMMSSZ or GeneralizedTime YYYYMMDDHHMMSSZ, to Unix seconds. */
let parsedTime: i64 = 0;
function parseTime(p: usize, limit: usize): i32 {
  let rc = derRead(p, limit);
  if (rc != OK) return rc;
  let c = derContent, n = derEnd - derContent;
  let year: i32;
  if (derTag == T_UTC_TIME) {
    if (n != 13 || !allDigits(c, 12)) return ERR_X509_TIME;
    let yy = digit(c) * 10 + digit(c + 1);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
    if (yy < 0) return ERR_X509_TIME;
    c += 2;
  } else if (derTag == T_GENERALIZED_TIME) {
    if (n != 15 || !allDigits(c, 14)) return ERR_X509_TIME;
    year = digit(c) * 1000 + digit(c + 1) * 100 + digit(c + 2) * 10 + digit(c + 3);
    if (year >= 1950 && year < 2050) return ERR_X509_TIME; // RFC 5280 §4.1.2.5: UTCTime for 1950-2049
    c += 4;
  } else return ERR_DER_TAG;
  let mo = digit(c) * 10 + digit(c + 1), d = digit(c + 2) * 10 + digit(c + 3);
  let h = digit(c + 4) * 10 + digit(c + 5), mi = digit(c + 6) * 10 + digit(c + 7), s = digit(c + 8) * 10 + digit(c + 9);
  if (load<u8>(c + 10) != 0x5a) return ERR_X509_TIME; // 'Z'
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(year, mo) || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59) return ERR_X509_TIME;
  parsedTime = daysFromCivil(year, mo, d) * 86400 + <i64>h * 3600 + <i64>mi * 60 + <i64>s;
  return OK;
}

/** The signature AlgorithmIdentifier at p: SIG_ED25519 or SIG_ECDSA_SHA256, exactly, else ERR_X509_ALGORITHM (or a DER error), negated. */
function readSigAlg(p: usize, limit: usize): i32 {
  let rc = derExpect(p, limit, T_SEQUENCE);
  if (rc != OK) return -rc;
  if (derEqualsVartime(derContent, derEnd, ALG_ED25519, 5)) return SIG_ED25519;
  if (derEqualsVartime(derContent, derEnd, ALG_ECDSA_SHA256, ALG_ECDSA_SHA256_LEN)) return SIG_ECDSA_SHA256;
  return -ERR_X509_ALGORITHM;
}

/** The content [c, end) of an ECDSA-Sig-Value INTEGER: positive, minimal, at most ECDSA_INT_MAX bytes. */
function checkEcdsaInteger(c: usize, end: usize): i32 {
  let n = end - c;
  if (n == 0 || (load<u8>(c) & 0x80) != 0) return ERR_DER_INTEGER;
  if (n > 1 && load<u8>(c) == 0 && (load<u8>(c + 1) & 0x80) == 0) return ERR_DER_INTEGER;
  return n > ECDSA_INT_MAX ? ERR_X509_ALGORITHM : OK;
}

/** 1 when the OID content [p, end) is non-empty and every arc is minimal (X.690 §8.19.2). */
function oidMinimal(p: usize, end: usize): bool {
  if (p >= end || (load<u8>(end - 1) & 0x80) != 0) return false;
  let start = true;
  for (let i = p; i < end; i++) {
    let b = load<u8>(i);
    if (start && b == 0x80) return false;
    start = (b & 0x80) == 0;
  }
  return true;
}

/** 1 when [p, p + n) is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, <= U+10FFFF). */
function utf8Valid(p: usize, n: usize): bool {
  let i: usize = 0;
  while (i < n) {
    let c = <u32>load<u8>(p + i);
    if (c < 0x80) { i++; continue; }
    let need: usize, cp: u32, min: u32;
    if ((c & 0xe0) == 0xc0) { need = 1; cp = c & 0x1f; min = 0x80; }
    else if ((c & 0xf0) == 0xe0) { need = 2; cp = c & 0x0f; min = 0x800; }
    else if ((c & 0xf8) == 0xf0) { need = 3; cp = c & 0x07; min = 0x10000; }
    else return false;
    if (n - i <= need) return false;
    for (let k: usize = 1; k <= need; k++) {
      let b = <u32>load<u8>(p + i + k);
      if ((b & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += need + 1;
  }
  return true;
}

/** 1 when the string content [p, p + n) fits its type: UTF8String, PrintableString or IA5String. */
function stringValid(tag: u32, p: usize, n: usize): bool {
  if (tag == 0x0c) return utf8Valid(p, n);
  for (let i: usize = 0; i < n; i++) {
    let c = <u32>load<u8>(p + i);
    if (tag == 0x16) { if (c > 0x7f) return false; continue; }
    // PrintableString: A-Z a-z 0-9 space ' ( ) + , - . / : = ?
    let ok = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x20 ||
      (c >= 0x27 && c <= 0x29) || (c >= 0x2b && c <= 0x2f) || c == 0x3a || c == 0x3d || c == 0x3f;
    if (!ok) return false;
  }
  return true;
}

/**
 * Name ::= SEQUENCE OF SET OF SEQUENCE { OID, string }. When `subject`, records the single CN
 * (UTF8String, PrintableString or IA5String) and refuses zero or several.
 */
function parseName(p: usize, limit: usize, subject: bool): i32 {
  let rc = derExpect(p, limit, T_SEQUENCE);
  if (rc != OK) return rc;
  let end = derEnd, q = derContent;
  if (q == end) return ERR_X509_NAME; // RFC 5280 §4.1.2.4: the issuer (and here the subject) is not empty
  let cns = 0;
  while (q < end) {
    rc = derExpect(q, end, T_SET); if (rc != OK) return rc;
    let setEnd = derEnd, r = derContent;
    if (r == setEnd) return ERR_X509_NAME; // an empty RDN
    q = setEnd;
    while (r < setEnd) {
      rc = derExpect(r, setEnd, T_SEQUENCE); if (rc != OK) return rc;
      let atvEnd = derEnd;
      r = atvEnd;
      rc = derExpect(derContent, atvEnd, T_OID); if (rc != OK) return rc;
      if (!oidMinimal(derContent, derEnd)) return ERR_X509_NAME;
      let isCn = derEqualsVartime(derContent, derEnd, OID_CN, 3);
      rc = derRead(derEnd, atvEnd); if (rc != OK) return rc;
      if (derEnd != atvEnd) return ERR_DER_TRAILING;
      let t = derTag;
      if (t != 0x0c && t != 0x13 && t != 0x16) return ERR_X509_NAME;
      if (!stringValid(t, derContent, derEnd - derContent)) return ERR_X509_NAME;
      if (subject && isCn) { cns++; x509CnPtr = derContent; x509CnLen = derEnd - derContent; }
    }
  }
  if (subject && cns != 1) return ERR_X509_NAME;
  return OK;
}

/** keyUsage (RFC 5280 §4.2.1.3): a BIT STRING of at most 2 bytes with a minimal unused count. */
function parseKeyUsage(p: usize, end: usize): i32 {
  let rc = derExpect(p, end, T_BIT_STRING); if (rc != OK) return rc;
  if (derEnd != end) return ERR_DER_TRAILING;
  let c = derContent, n = derEnd - derContent;
  if (n < 2 || n > 3) return ERR_X509_EXTENSION;
  let unused = <u32>load<u8>(c);
  if (unused > 7) return ERR_X509_EXTENSION;
  let flags: u32 = 0;
  for (let i: usize = 1; i < n; i++) {
    let b = <u32>load<u8>(c + i);
    for (let k: u32 = 0; k < 8; k++) if (b & (0x80 >> k)) flags |= 1 << (<u32>(i - 1) * 8 + k);
  }
  let last = <u32>load<u8>(c + n - 1);
  // DER named bit list (X.690 §11.2.2): no trailing zero bits, so the last byte's lowest set bit
  // is exactly the first used one (this also refuses a trailing zero byte and non-zero unused bits).
  if (((last >> unused) & 1) == 0 || (last & ((1 << unused) - 1)) != 0) return ERR_X509_EXTENSION;
  x509HasKeyUsage = true;
  x509KeyUsage = flags;
  return OK;
}

/** basicConstraints (RFC 5280 §4.2.1.9): SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLen INTEGER OPTIONAL }. */
function parseBasicConstraints(p: usize, end: usize): i32 {
  let rc = derExpect(p, end, T_SEQUENCE); if (rc != OK) return rc;
  if (derEnd != end) return ERR_DER_TRAILING;
  let q = derContent, seqEnd = derEnd;
  if (q < seqEnd) {
    rc = derRead(q, seqEnd); if (rc != OK) return rc;
    if (derTag == T_BOOLEAN) {
      if (derEnd - derContent != 1 || load<u8>(derContent) != 0xff) return ERR_X509_EXTENSION; // DER: TRUE only
      x509IsCa = true;
      q = derEnd;
    }
    if (q < seqEnd) {
      rc = derExpect(q, seqEnd, T_INTEGER); if (rc != OK) return rc;
      if (derEnd != seqEnd) return ERR_DER_TRAILING;
      // pathLenConstraint INTEGER (0..MAX): non-empty, minimal, non-negative
      let n = derEnd - derContent;
      if (n == 0 || (load<u8>(derContent) & 0x80) != 0) return ERR_DER_INTEGER;
      if (n > 1 && load<u8>(derContent) == 0 && (load<u8>(derContent + 1) & 0x80) == 0) return ERR_DER_INTEGER;
    }
  }
  return OK;
}

function parseExtensions(p: usize, limit: usize): i32 {
  let rc = derExpect(p, limit, 0xa3); if (rc != OK) return rc;
  if (derEnd != limit) return ERR_DER_TRAILING;
  rc = derExpect(derContent, derEnd, T_SEQUENCE); if (rc != OK) return rc;
  if (derEnd != limit) return ERR_DER_TRAILING; // [3] holds the one Extensions SEQUENCE
  let end = derEnd, q = derContent;
  if (q == end) return ERR_X509_EXTENSION; // SEQUENCE SIZE (1..MAX)
  let count = 0;
  while (q < end) {
    rc = derExpect(q, end, T_SEQUENCE); if (rc != OK) return rc;
    let extEnd = derEnd;
    q = extEnd;
    rc = derExpect(derContent, extEnd, T_OID); if (rc != OK) return rc;
    let oid = derContent, oidEnd = derEnd;
    if (!oidMinimal(oid, oidEnd)) return ERR_X509_EXTENSION;
    for (let i = 0; i < count; i++) {
      let a = load<usize>(EXT_OIDS + <usize>i * 8), b = load<usize>(EXT_OIDS + <usize>i * 8 + 4);
      if (derEqualsVartime(oid, oidEnd, a, b - a)) return ERR_X509_DUPLICATE_EXTENSION;
    }
    if (count == MAX_EXTENSIONS) return ERR_X509_EXTENSION;
    store<usize>(EXT_OIDS + <usize>count * 8, oid);
    store<usize>(EXT_OIDS + <usize>count * 8 + 4, oidEnd);
    count++;
    rc = derRead(oidEnd, extEnd); if (rc != OK) return rc;
    let critical = false;
    if (derTag == T_BOOLEAN) {
      // DER omits the DEFAULT FALSE: an explicit BOOLEAN must be TRUE.
      if (derEnd - derContent != 1 || load<u8>(derContent) != 0xff) return ERR_X509_EXTENSION;
      critical = true;
      rc = derRead(derEnd, extEnd); if (rc != OK) return rc;
    }
    if (derTag != T_OCTET_STRING) return ERR_DER_TAG;
    if (derEnd != extEnd) return ERR_DER_TRAILING;
    let v = derContent, vEnd = derEnd;
    if (derEqualsVartime(oid, oidEnd, OID_KEY_USAGE, 3)) rc = parseKeyUsage(v, vEnd);
    else if (derEqualsVartime(oid, oidEnd, OID_BASIC_CONSTRAINTS, 3)) rc = parseBasicConstraints(v, vEnd);
    else rc = critical ? ERR_X509_EXTENSION : OK;
    if (rc != OK) return rc;
  }
  return OK;
}

/**
 * Parses the DER certificate at [p, p + len). Returns OK (the x509* globals describe it) or a
 * DER/X.509 error. Does not verify the signature, the validity period or the names' meaning.
 */
export function x509Parse(p: usize, len: usize): i32 {
  x509HasKeyUsage = false; x509KeyUsage = 0; x509IsCa = false; x509KeyType = KEY_OTHER; x509CnLen = 0;
  x509SigAlg = 0; x509SignatureLen = 0;
  if (len > X509_MAX_CERT) return ERR_X509_TOO_LARGE;
  let limit = p + len;
  let rc = derExpect(p, limit, T_SEQUENCE); if (rc != OK) return rc;
  if (derEnd != limit) return ERR_DER_TRAILING;
  let certEnd = derEnd;
  // tbsCertificate: signed as a whole element, header included
  let tbsStart = derContent;
  rc = derExpect(tbsStart, certEnd, T_SEQUENCE); if (rc != OK) return rc;
  x509TbsStart = tbsStart;
  x509TbsEnd = derEnd;
  let tbsEnd = derEnd;
  let q = derContent;
  // version [0] EXPLICIT INTEGER 2
  rc = derExpect(q, tbsEnd, 0xa0); if (rc != OK) return rc == ERR_DER_TAG ? ERR_X509_VERSION : rc;
  let vEnd = derEnd;
  rc = derExpect(derContent, vEnd, T_INTEGER); if (rc != OK) return rc;
  if (derEnd != vEnd || derEnd - derContent != 1 || load<u8>(derContent) != 2) return ERR_X509_VERSION;
  q = vEnd;
  // serialNumber: positive, minimal, at most 20 octets (RFC 5280 §4.1.2.2)
  rc = derExpect(q, tbsEnd, T_INTEGER); if (rc != OK) return rc;
  let sn = derEnd - derContent;
  if (sn == 0 || sn > 20) return ERR_DER_INTEGER;
  let b0 = load<u8>(derContent);
  if (b0 & 0x80) return ERR_DER_INTEGER;     // negative
  if (sn == 1 && b0 == 0) return ERR_DER_INTEGER; // zero is not positive
  if (sn > 1 && b0 == 0 && (load<u8>(derContent + 1) & 0x80) == 0) return ERR_DER_INTEGER;
  q = derEnd;
  let alg = readSigAlg(q, tbsEnd); if (alg < 0) return -alg;
  q = derEnd;
  rc = parseName(q, tbsEnd, false); if (rc != OK) return rc;
  q = derEnd;
  // validity
  rc = derExpect(q, tbsEnd, T_SEQUENCE); if (rc != OK) return rc;
  let valEnd = derEnd;
  rc = parseTime(derContent, valEnd); if (rc != OK) return rc;
  x509NotBefore = parsedTime;
  rc = parseTime(derEnd, valEnd); if (rc != OK) return rc;
  x509NotAfter = parsedTime;
  if (derEnd != valEnd) return ERR_DER_TRAILING;
  q = valEnd;
  rc = parseName(q, tbsEnd, true); if (rc != OK) return rc;
  q = derEnd;
  // subjectPublicKeyInfo
  rc = derExpect(q, tbsEnd, T_SEQUENCE); if (rc != OK) return rc;
  let spkiEnd = derEnd;
  q = spkiEnd;
  rc = derExpect(derContent, spkiEnd, T_SEQUENCE); if (rc != OK) return rc;
  let algEnd = derEnd;
  let isX25519 = derEqualsVartime(derContent, algEnd, ALG_X25519, 5);
  let isP256 = derEqualsVartime(derContent, algEnd, ALG_EC_P256, ALG_EC_P256_LEN);
  rc = derExpect(derContent, algEnd, T_OID); if (rc != OK) return rc;
  if (!oidMinimal(derContent, derEnd)) return ERR_X509_SPKI;
  rc = derExpect(algEnd, spkiEnd, T_BIT_STRING); if (rc != OK) return rc;
  if (derEnd != spkiEnd) return ERR_DER_TRAILING;
  if (derEnd - derContent < 1 || load<u8>(derContent) != 0) return ERR_X509_SPKI;
  if (isX25519) {
    if (derEnd - derContent != 33) return ERR_X509_SPKI;
    x509KeyType = KEY_X25519;
    x509Key = derContent + 1;
  }
  if (isP256) {
    // only the uncompressed form: compressed points need a square root, and the profile has none
    if (derEnd - derContent != P256_KEY_BITS || load<u8>(derContent + 1) != 0x04) return ERR_X509_SPKI;
    x509KeyType = KEY_P256;
    x509Key = derContent + 1;
  }
  // optional extensions; nothing else may follow
  if (q < tbsEnd) {
    rc = parseExtensions(q, tbsEnd); if (rc != OK) return rc;
  }
  q = tbsEnd;
  // signatureAlgorithm must repeat the TBS's (RFC 5280 §4.1.1.2)
  let outer = readSigAlg(q, certEnd); if (outer < 0) return -outer;
  if (outer != alg) return ERR_X509_ALGORITHM;
  rc = derExpect(derEnd, certEnd, T_BIT_STRING); if (rc != OK) return rc;
  if (derEnd != certEnd) return ERR_DER_TRAILING;
  let sig = derContent;
  if (alg == SIG_ED25519) {
    if (certEnd - sig != 65 || load<u8>(sig) != 0) return ERR_X509_ALGORITHM;
  } else {
    // ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } in a BIT STRING without unused bits
    if (certEnd - sig < 1 || load<u8>(sig) != 0) return ERR_X509_ALGORITHM;
    rc = derExpect(sig + 1, certEnd, T_SEQUENCE); if (rc != OK) return rc;
    if (derEnd != certEnd) return ERR_DER_TRAILING;
    rc = derExpect(derContent, certEnd, T_INTEGER); if (rc != OK) return rc;
    let r = derContent, rEnd = derEnd;
    rc = derExpect(rEnd, certEnd, T_INTEGER); if (rc != OK) return rc;
    if (derEnd != certEnd) return ERR_DER_TRAILING;
    rc = checkEcdsaInteger(r, rEnd); if (rc != OK) return rc;
    rc = checkEcdsaInteger(derContent, derEnd); if (rc != OK) return rc;
  }
  x509SigAlg = alg;
  x509Signature = sig + 1; // past the BIT STRING's unused-bits byte
  x509SignatureLen = certEnd - x509Signature;
  return OK;
}
