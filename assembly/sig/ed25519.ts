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
import { ED_BI_A, ED_BI_B, ED_BI_C } from "../ec/edwards25519_base_gen";
import { scIsCanonicalVartime, scReduce64Vartime } from "../ec/scalar25519";

// @ts-ignore: decorator
@inline export const ED25519_PUBLIC_KEY: usize = 32;
// @ts-ignore: decorator
@inline export const ED25519_SIGNATURE: usize = 64;
/**
 * Odd multiples 1..15 of a point (ref10's window: signed digits in [-15, 15], 8 table entries)
 * in the crypto core; 1 and 3 (digits in [-3, 3], 2 entries: a quarter of the tables' memory
 * for about 40 more additions) in size-optimised builds (the handset: its static memory budget
 * is 6 KiB).
 */
// @ts-ignore: decorator
@inline const WINDOW_ENTRIES: usize = ASC_SHRINK_LEVEL > 0 ? 2 : 8;
// @ts-ignore: decorator
@inline const MAX_DIGIT: i32 = 2 * <i32>WINDOW_ENTRIES - 1;
// @ts-ignore: decorator
@inline const SCALAR_BITS: usize = 256;

/** Verification state: key and signature, the hash, and the status from init. */
const PK: usize = memory.data(<i32>(ED25519_PUBLIC_KEY));
const SIG: usize = memory.data(<i32>(ED25519_SIGNATURE));
const HCTX: usize = memory.data(<i32>(SHA512_CTX_SIZE), 8);
const HOUT: usize = memory.data(<i32>(SHA512_OUT));
const KSC: usize = memory.data(32);
const RCHECK: usize = memory.data(32);
let status: i32 = ERR_CRYPTO_STATE;

/** Points: -A (P3), the table of odd multiples of -A, and the working points. */
const NEG_A: usize = memory.data(<i32>(GE_P3_SIZE));
const AI: usize = memory.data(<i32>(WINDOW_ENTRIES * GE_CACHED_SIZE));
const A2: usize = memory.data(<i32>(GE_P3_SIZE));
const PT: usize = memory.data(<i32>(GE_P1P1_SIZE));
const PU: usize = memory.data(<i32>(GE_P3_SIZE));
const PR: usize = memory.data(<i32>(GE_P2_SIZE));
/** Signed sliding-window digits of k and S, one i8 per bit position. */
const ASLIDE: usize = memory.data(<i32>(SCALAR_BITS));
const BSLIDE: usize = memory.data(<i32>(SCALAR_BITS));

/**
 * r[i] = signed digits of the 256-bit scalar a with every nonzero digit odd and
 * |digit| <= MAX_DIGIT (ref10 slide(), generalised to the window).
 */
function slideVartime(r: usize, a: usize): void {
  for (let i: usize = 0; i < SCALAR_BITS; i++) store<i8>(r + i, <i8>((load<u8>(a + (i >> 3)) >> <u8>(i & 7)) & 1));
  for (let i: usize = 0; i < SCALAR_BITS; i++) {
    let ri = <i32>load<i8>(r + i);
    if (ri == 0) continue;
    for (let b: usize = 1; b <= 6 && i + b < SCALAR_BITS; b++) {
      let rb = <i32>load<i8>(r + i + b);
      if (rb == 0) continue;
      let shifted = rb << <i32>b;
      if (ri + shifted <= MAX_DIGIT) {
        ri += shifted;
        store<i8>(r + i, <i8>ri);
        store<i8>(r + i + b, 0);
      } else if (ri - shifted >= -MAX_DIGIT) {
        ri -= shifted;
        store<i8>(r + i, <i8>ri);
        for (let k = i + b; k < SCALAR_BITS; k++) {
          if (load<i8>(r + k) == 0) { store<i8>(r + k, 1); break; }
          store<i8>(r + k, 0);
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
  while (i >= 0 && load<i8>(ASLIDE + i) == 0 && load<i8>(BSLIDE + i) == 0) i--;
  for (; i >= 0; i--) {
    let da = <i32>load<i8>(ASLIDE + i);
    let db = <i32>load<i8>(BSLIDE + i);
    if ((da | db) == 0) { geDblP2(PR, PR); continue; }
    geDblP3(PU, PR);
    let inP3 = true;
    if (da != 0) {
      geAddCachedVartime(PT, PU, true, AI + <usize>((da < 0 ? -da : da) >> 1) * GE_CACHED_SIZE, da < 0);
      inP3 = false;
    }
    if (db != 0) {
      let bi = <usize>((db < 0 ? -db : db) >> 1);
      let q = bi < 2 ? ED_BI_A + bi * GE_PRECOMP_SIZE : bi < 4 ? ED_BI_B + (bi - 2) * GE_PRECOMP_SIZE : ED_BI_C + (bi - 4) * GE_PRECOMP_SIZE;
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

/** As ed25519VerifyCheck, as a boolean: 1 valid, 0 invalid. */
export function ed25519VerifyFinal(): i32 {
  return ed25519VerifyCheck() == OK ? 1 : 0;
}
