// The twisted Edwards curve -x^2 + y^2 = 1 + d x^2 y^2 (edwards25519, RFC 8032 §5.1), with
// ref10's coordinate systems (Hisil-Wong-Carter-Dawson extended coordinates):
//   P2     (X : Y : Z)            x = X/Z, y = Y/Z                       3 field elements
//   P3     (X : Y : Z : T)        as P2, with T = XY/Z                     4
//   P1P1   ((X : Z), (Y : T))     x = X/Z, y = Y/T ("completed")          4
//   CACHED (Y+X, Y-X, Z, 2dT)     an addend for P3 + CACHED                4
//   PRECOMP(y+x, y-x, 2dxy)       an affine addend (Z = 1)                3
// A point is a pointer to consecutive field elements in that order. The formulas are complete
// (unified) for the prime-order subgroup and for every point on the curve.
// Everything here is constant-time; the only variable-time code is in the callers that choose
// which multiples to add (sig/ed25519.ts, public data only).
import {
  FE_SIZE, feAdd, feCopy, feFromBytes, feInvert, feIsNegative, feIsZero, feMul, feNeg, feOne, fePow22523,
  feSq, feSub, feToBytes, feZero,
} from "./field25519";
import { ED_D, ED_D2, ED_SQRTM1 } from "./edwards25519_base_gen";
import { GED_CHK, GED_ENC, GED_T0, GED_U, GED_V, GED_V3, GED_VXX } from "../memmap";
import * as fused from "./edwards25519_gen";
import * as compact from "./edwards25519_compact";

// Fused straight-line formulas for speed (the crypto core), calls into the field code for size
// (the handset firmware, built with shrinkLevel > 0). ASC_SHRINK_LEVEL is a compile-time
// constant: the branch not taken, and the functions only it calls, vanish from the module.
// @ts-ignore: decorator
@inline const SMALL: bool = ASC_SHRINK_LEVEL > 0;

export function geDblP2(r: usize, p: usize): void { if (SMALL) compact.geDblP2(r, p); else fused.geDblP2(r, p); }
export function geDblP3(r: usize, p: usize): void { if (SMALL) compact.geDblP3(r, p); else fused.geDblP3(r, p); }
export function geP1P1ToP2(r: usize, p: usize): void { if (SMALL) compact.geP1P1ToP2(r, p); else fused.geP1P1ToP2(r, p); }
function geP3AddCached(r: usize, t: usize, qa: usize, qb: usize, qz: usize, qt: usize, rz: usize, rt: usize): void {
  if (SMALL) compact.geP3AddCached(r, t, qa, qb, qz, qt, rz, rt); else fused.geP3AddCached(r, t, qa, qb, qz, qt, rz, rt);
}
function geP1P1AddCached(r: usize, t: usize, qa: usize, qb: usize, qz: usize, qt: usize, rz: usize, rt: usize): void {
  if (SMALL) compact.geP1P1AddCached(r, t, qa, qb, qz, qt, rz, rt); else fused.geP1P1AddCached(r, t, qa, qb, qz, qt, rz, rt);
}
function geP3AddPrecomp(r: usize, t: usize, qa: usize, qb: usize, qt: usize, rz: usize, rt: usize): void {
  if (SMALL) compact.geP3AddPrecomp(r, t, qa, qb, qt, rz, rt); else fused.geP3AddPrecomp(r, t, qa, qb, qt, rz, rt);
}
function geP1P1AddPrecomp(r: usize, t: usize, qa: usize, qb: usize, qt: usize, rz: usize, rt: usize): void {
  if (SMALL) compact.geP1P1AddPrecomp(r, t, qa, qb, qt, rz, rt); else fused.geP1P1AddPrecomp(r, t, qa, qb, qt, rz, rt);
}

// @ts-ignore: decorator
@inline export const GE_P2_SIZE: usize = 3 * FE_SIZE;
// @ts-ignore: decorator
@inline export const GE_P3_SIZE: usize = 4 * FE_SIZE;
// @ts-ignore: decorator
@inline export const GE_P1P1_SIZE: usize = 4 * FE_SIZE;
// @ts-ignore: decorator
@inline export const GE_CACHED_SIZE: usize = 4 * FE_SIZE;
// @ts-ignore: decorator
@inline export const GE_PRECOMP_SIZE: usize = 3 * FE_SIZE;

// @ts-ignore: decorator
@inline function X(p: usize): usize { return p; }
// @ts-ignore: decorator
@inline function Y(p: usize): usize { return p + FE_SIZE; }
// @ts-ignore: decorator
@inline function Z(p: usize): usize { return p + 2 * FE_SIZE; }
// @ts-ignore: decorator
@inline function T(p: usize): usize { return p + 3 * FE_SIZE; }

/** Scratch: one field element for encoding, five for decoding. */
// (In the scratch arena, memmap.ts level 1.)
// @ts-ignore: decorator
@inline const T0: usize = GED_T0;
// @ts-ignore: decorator
@inline const U: usize = GED_U;
// @ts-ignore: decorator
@inline const V: usize = GED_V;
// @ts-ignore: decorator
@inline const V3: usize = GED_V3;
// @ts-ignore: decorator
@inline const VXX: usize = GED_VXX;
// @ts-ignore: decorator
@inline const CHK: usize = GED_CHK;
// @ts-ignore: decorator
@inline const ENC: usize = GED_ENC;

/** r = the neutral element (0 : 1 : 1) in P2. */
export function geP2Zero(r: usize): void { feZero(X(r)); feOne(Y(r)); feOne(Z(r)); }

/** r (P3) = p (P1P1): 4 multiplications. */
export function geP1P1ToP3(r: usize, p: usize): void {
  feMul(X(r), X(p), T(p));
  feMul(Y(r), Y(p), Z(p));
  feMul(Z(r), Z(p), T(p));
  feMul(T(r), X(p), Y(p));
}

/** r (CACHED) = p (P3). */
export function geP3ToCached(r: usize, p: usize): void {
  feAdd(X(r), Y(p), X(p));
  feSub(Y(r), Y(p), X(p));
  feCopy(Z(r), Z(p));
  feMul(T(r), T(p), ED_D2);
}

/** s = the 32-byte encoding of p (P2): y with the sign of x in bit 255 (RFC 8032 §5.1.2). */
export function geToBytes(s: usize, p: usize): void {
  feInvert(T0, Z(p));
  feMul(V, X(p), T0);
  feMul(U, Y(p), T0);
  feToBytes(s, U);
  store<u8>(s + 31, load<u8>(s + 31) ^ <u8>(feIsNegative(V) << 7));
}

/**
 * Decodes 32 bytes into r (P3), RFC 8032 §5.1.3. Returns 1 on success, 0 when y is not
 * canonical (y >= p), when no x exists, or when x = 0 with the sign bit set.
 * Variable-time: for public keys and signatures only.
 */
export function geFromBytesVartime(r: usize, s: usize): i32 {
  feFromBytes(Y(r), s);
  // Canonical: re-encoding y must give back the 255 low bits.
  feToBytes(ENC, Y(r));
  store<u8>(ENC + 31, load<u8>(ENC + 31) | (load<u8>(s + 31) & 0x80));
  if (memory.compare(ENC, s, 32) != 0) return 0;
  feOne(Z(r));
  feSq(U, Y(r));
  feMul(V, U, ED_D);
  feSub(U, U, Z(r));            // u = y^2 - 1
  feAdd(V, V, Z(r));            // v = d y^2 + 1
  feSq(V3, V);
  feMul(V3, V3, V);             // v^3
  feSq(X(r), V3);
  feMul(X(r), X(r), V);
  feMul(X(r), X(r), U);         // u v^7
  fePow22523(X(r), X(r));       // (u v^7)^((p-5)/8)
  feMul(X(r), X(r), V3);
  feMul(X(r), X(r), U);         // x = u v^3 (u v^7)^((p-5)/8)
  feSq(VXX, X(r));
  feMul(VXX, VXX, V);           // v x^2
  feSub(CHK, VXX, U);
  if (!feIsZero(CHK)) {
    feAdd(CHK, VXX, U);
    if (!feIsZero(CHK)) return 0; // neither u nor -u: not a square, no point
    feMul(X(r), X(r), ED_SQRTM1);
  }
  let sign = <i32>(load<u8>(s + 31) >> 7);
  if (feIsZero(X(r)) && sign == 1) return 0;
  if (feIsNegative(X(r)) != sign) feNeg(X(r), X(r));
  feMul(T(r), X(r), Y(r));
  return 1;
}

/** r (P3) = -p (P3). */
export function geP3Neg(r: usize, p: usize): void {
  feNeg(X(r), X(p));
  feCopy(Y(r), Y(p));
  feCopy(Z(r), Z(p));
  feNeg(T(r), T(p));
}

/**
 * r (P1P1) = t + q or t - q (neg), t in P1P1 (or P3 when tIsP3), q CACHED. A subtraction adds
 * -q = (Y-X, Y+X, Z, -2dT): the generated formula takes the first two addend coordinates
 * swapped and writes its last two outputs swapped. neg and tIsP3 steer branches: callers pass
 * public digits only.
 */
export function geAddCachedVartime(r: usize, t: usize, tIsP3: bool, q: usize, neg: bool): void {
  let qa = neg ? Y(q) : X(q), qb = neg ? X(q) : Y(q);
  let rz = neg ? T(r) : Z(r), rt = neg ? Z(r) : T(r);
  if (tIsP3) geP3AddCached(r, t, qa, qb, Z(q), T(q), rz, rt);
  else geP1P1AddCached(r, t, qa, qb, Z(q), T(q), rz, rt);
}

/** As geAddCachedVartime with q PRECOMP (y+x, y-x, 2dxy): its third coordinate is at Z. */
export function geAddPrecompVartime(r: usize, t: usize, tIsP3: bool, q: usize, neg: bool): void {
  let qa = neg ? Y(q) : X(q), qb = neg ? X(q) : Y(q);
  let rz = neg ? T(r) : Z(r), rt = neg ? Z(r) : T(r);
  if (tIsP3) geP3AddPrecomp(r, t, qa, qb, Z(q), rz, rt);
  else geP1P1AddPrecomp(r, t, qa, qb, Z(q), rz, rt);
}
