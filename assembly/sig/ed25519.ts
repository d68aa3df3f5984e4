// Ed25519 signature verification (RFC 8032 §5.1.7), streaming over the message.
//
// Verification is COFACTORLESS: it accepts when encode([S]B - [k]A) equals the 32 bytes of R,
// the check RFC 8032 §5.1.7 allows ("sufficient, but not required"). It is the equation OpenSSL,
// and so node:crypto on server B, uses: for a canonically encoded key the two agree on every
// signature, including those with small-order components, where a cofactored verifier could
// differ. Comparing encodings also rejects every non-canonical R. S >= L is rejected
// (malleability). Stricter than OpenSSL, and as RFC 8032 §5.1.3 says, a public key that is
// non-canonical (y >= p, or x = 0 with the sign bit set) or not on the curve is rejected;
// OpenSSL reduces such keys and accepts. The only Ed25519 key in airshake is the CA's, which is
// canonical (test/differential.test.ts pins both behaviours).
//
// VARIABLE-TIME (hence the *Vartime helpers): everything here is public (key, message,
// signature), so the sliding-window double scalar multiplication may branch on the scalars.
import { ctEq, wipe } from "../ct/ct";
import { ERR_CRYPTO_STATE, ERR_ED25519_BAD_SIG, ERR_ED25519_POINT, ERR_ED25519_S_RANGE, OK } from "../errors";
import { SHA512_CTX_SIZE, SHA512_OUT, sha512Final, sha512Init, sha512Update } from "../hash/sha512";
import {
  GE_CACHED_SIZE, GE_P1P1_SIZE, GE_P2_SIZE, GE_P3_SIZE, GE_PRECOMP_SIZE, geAddCachedVartime, geAddPrecompVartime,
  geDblP2, geDblP3, geFromBytesVartime, geP1P1ToP2, geP1P1ToP3, geP2Zero, geP3Neg, geP3ToCached, geToBytes,
} from "../ec/edwards25519";
import { ED_BI_A, edBiB, edBiC } from "../ec/edwards25519_base_gen";
import { scIsCanonicalVartime, scReduce64Vartime } from "../ec/scalar25519";
import { feIsZero } from "../ec/field25519";
import {
  ED_A2, ED_ADIGITS, ED_AI, ED_BDIGITS, ED_HCTX, ED_HOUT, ED_KSC, ED_NEG_A, ED_PK, ED_PR, ED_PT, ED_PU, ED_RCHECK, ED_SIG,
  ED_WINDOW_ENTRIES,
} from "../memmap";

// @ts-ignore: decorator
@inline export const ED25519_PUBLIC_KEY: usize = 32;
// @ts-ignore: decorator
@inline export const ED25519_SIGNATURE: usize = 64;
/**
 * Odd multiples 1..15 of a point (ref10's window: signed digits in [-15, 15], 8 table entries)
 * in the crypto core; 1 and 3 (digits in [-3, 3], 2 entries: a quarter of the tables' memory
 * for about 40 more additions) in size-optimised builds (the handset: its static memory budget
 * is 6 KiB). There the digits also fit in a nibble, so two share a byte.
 */
// @ts-ignore: decorator
@inline const WINDOW_ENTRIES: usize = ED_WINDOW_ENTRIES;
// @ts-ignore: decorator
@inline const NIBBLES: bool = ED_WINDOW_ENTRIES <= 4;
// @ts-ignore: decorator
@inline const MAX_DIGIT: i32 = 2 * <i32>WINDOW_ENTRIES - 1;
// @ts-ignore: decorator
@inline const SCALAR_BITS: usize = 256;

// All state is in the scratch arena (memmap.ts, level 2), sized there for the build. The
// CONTRACT that follows: between ed25519VerifyInit and ed25519VerifyCheck, no HKDF or handshake
// client code may run, since they share level 2 (other primitives are fine).
/** Verification state: key and signature, the hash, and the status from init. */
// @ts-ignore: decorator
@inline const PK: usize = ED_PK;
// @ts-ignore: decorator
@inline const SIG: usize = ED_SIG;
// @ts-ignore: decorator
@inline const HCTX: usize = ED_HCTX;
// @ts-ignore: decorator
@inline const HOUT: usize = ED_HOUT;
// @ts-ignore: decorator
@inline const KSC: usize = ED_KSC;
// @ts-ignore: decorator
@inline const RCHECK: usize = ED_RCHECK;
let status: i32 = ERR_CRYPTO_STATE;

/** Points: -A (P3), the table of odd multiples of -A (CACHED), and the working points. */
// @ts-ignore: decorator
@inline const NEG_A: usize = ED_NEG_A;
// @ts-ignore: decorator
@inline const AI: usize = ED_AI;
// @ts-ignore: decorator
@inline const A2: usize = ED_A2;
// @ts-ignore: decorator
@inline const PT: usize = ED_PT;
// @ts-ignore: decorator
@inline const PU: usize = ED_PU;
// @ts-ignore: decorator
@inline const PR: usize = ED_PR;
/** Signed sliding-window digits of k and S, one per bit position (a byte, or a nibble). */
// @ts-ignore: decorator
@inline const ASLIDE: usize = ED_ADIGITS;
// @ts-ignore: decorator
@inline const BSLIDE: usize = ED_BDIGITS;

/** Digit i of the digit string at r. */
// @ts-ignore: decorator
@inline function digit(r: usize, i: usize): i32 {
  if (NIBBLES) return (<i32>load<u8>(r + (i >> 1)) << (28 - 4 * <i32>(i & 1))) >> 28; // sign-extend the nibble
  return <i32>load<i8>(r + i);
}

/** Sets digit i of the digit string at r to v (|v| <= MAX_DIGIT). */
// @ts-ignore: decorator
@inline function setDigit(r: usize, i: usize, v: i32): void {
  if (NIBBLES) {
    let p = r + (i >> 1), sh = 4 * <u32>(i & 1);
    store<u8>(p, <u8>((<u32>load<u8>(p) & ~(<u32>0xf << sh)) | ((<u32>v & 0xf) << sh)));
  } else store<i8>(r + i, <i8>v);
}

/**
 * r[i] = signed digits of the 256-bit scalar a with every nonzero digit odd and
 * |digit| <= MAX_DIGIT (ref10 slide(), generalised to the window).
 */
function slideVartime(r: usize, a: usize): void {
  if (NIBBLES) memory.fill(r, 0, SCALAR_BITS >> 1);
  for (let i: usize = 0; i < SCALAR_BITS; i++) setDigit(r, i, (load<u8>(a + (i >> 3)) >> <u8>(i & 7)) & 1);
  for (let i: usize = 0; i < SCALAR_BITS; i++) {
    let ri = digit(r, i);
    if (ri == 0) continue;
    for (let b: usize = 1; b <= 6 && i + b < SCALAR_BITS; b++) {
      let rb = digit(r, i + b);
      if (rb == 0) continue;
      let shifted = rb << <i32>b;
      if (ri + shifted <= MAX_DIGIT) {
        ri += shifted;
        setDigit(r, i, ri);
        setDigit(r, i + b, 0);
      } else if (ri - shifted >= -MAX_DIGIT) {
        ri -= shifted;
        setDigit(r, i, ri);
        for (let k = i + b; k < SCALAR_BITS; k++) {
          if (digit(r, k) == 0) { setDigit(r, k, 1); break; }
          setDigit(r, k, 0);
        }
      } else break;
    }
  }
}

/** PR = [a] NEG_A + [b] B (ref10 ge_double_scalarmult_vartime, with fused formulas). */
function doubleScalarMultVartime(a: usize, b: usize): void {
  slideVartime(ASLIDE, a);
  slideVartime(BSLIDE, b);
  // AI[i] = (2i + 1)(-A)
  geP3ToCached(AI, NEG_A);
  geDblP3(A2, NEG_A); // a P3 is a valid P2 (its first three coordinates)
  for (let i: usize = 1; i < WINDOW_ENTRIES; i++) {
    geAddCachedVartime(PT, A2, true, AI + (i - 1) * GE_CACHED_SIZE, false);
    geP1P1ToP3(PU, PT);
    geP3ToCached(AI + i * GE_CACHED_SIZE, PU);
  }
  geP2Zero(PR);
  let i = <i32>SCALAR_BITS - 1;
  while (i >= 0 && digit(ASLIDE, i) == 0 && digit(BSLIDE, i) == 0) i--;
  for (; i >= 0; i--) {
    let da = digit(ASLIDE, i);
    let db = digit(BSLIDE, i);
    if ((da | db) == 0) { geDblP2(PR, PR); continue; }
    geDblP3(PU, PR);
    let inP3 = true;
    if (da != 0) {
      geAddCachedVartime(PT, PU, true, AI + <usize>((da < 0 ? -da : da) >> 1) * GE_CACHED_SIZE, da < 0);
      inP3 = false;
    }
    if (db != 0) {
      let bi = <usize>((db < 0 ? -db : db) >> 1);
      // A window of 2 needs only ED_BI_A: the compile-time branch keeps the other tables (720
      // bytes) out of that build's data.
      let q: usize;
      if (WINDOW_ENTRIES <= 2) q = ED_BI_A + bi * GE_PRECOMP_SIZE;
      else q = bi < 2 ? ED_BI_A + bi * GE_PRECOMP_SIZE : bi < 4 ? edBiB() + (bi - 2) * GE_PRECOMP_SIZE : edBiC() + (bi - 4) * GE_PRECOMP_SIZE;
      geAddPrecompVartime(PT, inP3 ? PU : PT, inP3, q, db < 0);
    }
    geP1P1ToP2(PR, PT);
  }
}

/**
 * Starts verifying signature (64 bytes: R || S) under publicKey (32 bytes). Problems with S or
 * the key are recorded and reported by ed25519VerifyFinal; the message is still absorbed.
 */
export function ed25519VerifyInit(publicKey: usize, signature: usize): void {
  memory.copy(PK, publicKey, ED25519_PUBLIC_KEY);
  memory.copy(SIG, signature, ED25519_SIGNATURE);
  status = OK;
  if (!scIsCanonicalVartime(SIG + 32)) status = ERR_ED25519_S_RANGE;
  else if (!geFromBytesVartime(PU, PK)) status = ERR_ED25519_POINT;
  else geP3Neg(NEG_A, PU);
  // k = SHA-512(R || A || M)
  sha512Init(HCTX);
  sha512Update(HCTX, SIG, 32);
  sha512Update(HCTX, PK, 32);
}

/** Absorbs n message bytes at p. */
export function ed25519VerifyUpdate(p: usize, n: usize): void {
  sha512Update(HCTX, p, n);
}

/**
 * Finishes: OK when [S]B - [k]A encodes to R, otherwise ERR_ED25519_S_RANGE, ERR_ED25519_POINT,
 * ERR_ED25519_BAD_SIG, or ERR_CRYPTO_STATE without a preceding init.
 */
export function ed25519VerifyCheck(): i32 {
  let st = status;
  status = ERR_CRYPTO_STATE;
  if (st == ERR_CRYPTO_STATE) return st;
  sha512Final(HCTX, HOUT);
  if (st != OK) return st;
  scReduce64Vartime(KSC, HOUT);
  doubleScalarMultVartime(KSC, SIG + 32);
  geToBytes(RCHECK, PR);
  let ok = ctEq(RCHECK, SIG, 32);
  wipe(HOUT, SHA512_OUT);
  return ok ? OK : ERR_ED25519_BAD_SIG;
}

/**
 * OK when publicKey is a canonical encoding of a point on the curve that is not of small order,
 * else ERR_ED25519_POINT. For keys that are configured rather than received (the CA's): a key of
 * small order accepts forgeries (with the identity as key, every R = [r]B, S = r verifies), and
 * RFC 8032's verification does not exclude it. [8]A is the identity iff A has small order.
 */
export function ed25519PublicKeyCheck(publicKey: usize): i32 {
  if (!geFromBytesVartime(PU, publicKey)) return ERR_ED25519_POINT;
  geDblP2(PR, PU); // a P3 is a valid P2 (its first three coordinates)
  geDblP2(PR, PR);
  geDblP2(PR, PR);
  return feIsZero(PR) ? ERR_ED25519_POINT : OK; // X = 0 after 3 doublings: [8]A = (0 : Z : Z)
}

/** As ed25519VerifyCheck, as a boolean: 1 valid, 0 invalid. */
export function ed25519VerifyFinal(): i32 {
  return ed25519VerifyCheck() == OK ? 1 : 0;
}
