// The edwards25519 formulas of edwards25519_gen.ts, written with calls to the field functions
// instead of fused straight-line code: about a tenth of the code size for about a quarter more
// executed instructions. edwards25519.ts picks this variant in builds optimised for size
// (ASC_SHRINK_LEVEL > 0: the handset firmware, whose flash budget is 24 KiB) and the fused one
// otherwise (the crypto core). Same contracts: ref10 formulas, outputs may alias inputs.
import { FE_SIZE, feAdd, feMul, feSq, feSub } from "./field25519";
import { GEC_A, GEC_B, GEC_C, GEC_D, GEC_E, GEC_P1, GEC_P3 } from "../memmap";

// @ts-ignore: decorator
@inline function X(p: usize): usize { return p; }
// @ts-ignore: decorator
@inline function Y(p: usize): usize { return p + FE_SIZE; }
// @ts-ignore: decorator
@inline function Z(p: usize): usize { return p + 2 * FE_SIZE; }
// @ts-ignore: decorator
@inline function T(p: usize): usize { return p + 3 * FE_SIZE; }

/** A P1P1 and a P3 temporary, and five field temporaries for the addition. */
// (In the scratch arena, memmap.ts level 0: the formulas call only feMul/feSq/feAdd/feSub, which
// use no scratch.)
// @ts-ignore: decorator
@inline const P1: usize = GEC_P1;
// @ts-ignore: decorator
@inline const P3: usize = GEC_P3;
// @ts-ignore: decorator
@inline const A: usize = GEC_A;
// @ts-ignore: decorator
@inline const B: usize = GEC_B;
// @ts-ignore: decorator
@inline const C: usize = GEC_C;
// @ts-ignore: decorator
@inline const D: usize = GEC_D;
// @ts-ignore: decorator
@inline const E: usize = GEC_E;

/** P1 (P1P1) = 2 p, p in P2: ref10 ge_p2_dbl, 4 squarings. */
function dblToP1(p: usize): void {
  feSq(X(P1), X(p));
  feSq(Z(P1), Y(p));
  feSq(T(P1), Z(p));
  feAdd(T(P1), T(P1), T(P1));
  feAdd(Y(P1), X(p), Y(p));
  feSq(E, Y(P1));
  feAdd(Y(P1), Z(P1), X(P1));
  feSub(Z(P1), Z(P1), X(P1));
  feSub(X(P1), E, Y(P1));
  feSub(T(P1), T(P1), Z(P1));
}

/** r (P2) = p (P1P1): 3 multiplications. */
export function geP1P1ToP2(r: usize, p: usize): void {
  feMul(A, X(p), T(p));
  feMul(B, Y(p), Z(p));
  feMul(Z(r), Z(p), T(p));
  memory.copy(X(r), A, FE_SIZE);
  memory.copy(Y(r), B, FE_SIZE);
}

/** r (P3) = p (P1P1): 4 multiplications. */
function p1p1ToP3(r: usize, p: usize): void {
  feMul(A, X(p), T(p));
  feMul(B, Y(p), Z(p));
  feMul(C, Z(p), T(p));
  feMul(T(r), X(p), Y(p));
  memory.copy(X(r), A, FE_SIZE);
  memory.copy(Y(r), B, FE_SIZE);
  memory.copy(Z(r), C, FE_SIZE);
}

export function geDblP2(r: usize, p: usize): void { dblToP1(p); geP1P1ToP2(r, P1); }
export function geDblP3(r: usize, p: usize): void { dblToP1(p); p1p1ToP3(r, P1); }

/** r (P1P1) = t (P3) + q: ref10 ge_add when qz != 0 (CACHED), ge_madd when qz == 0 (PRECOMP). */
function addP3(r: usize, t: usize, qa: usize, qb: usize, qz: usize, qt: usize, rz: usize, rt: usize): void {
  feAdd(A, Y(t), X(t));
  feSub(B, Y(t), X(t));
  feMul(A, A, qa);            // (Y+X) qa
  feMul(B, B, qb);            // (Y-X) qb
  feMul(C, qt, T(t));         // 2dT T'
  if (qz != 0) feMul(D, Z(t), qz); else memory.copy(D, Z(t), FE_SIZE);
  feAdd(D, D, D);             // 2 Z Z'
  feSub(X(r), A, B);
  feAdd(Y(r), A, B);
  feAdd(E, D, C);
  feSub(rt, D, C);
  memory.copy(rz, E, FE_SIZE);
}

export function geP3AddCached(r: usize, t: usize, qa: usize, qb: usize, qz: usize, qt: usize, rz: usize, rt: usize): void {
  addP3(r, t, qa, qb, qz, qt, rz, rt);
}
export function geP3AddPrecomp(r: usize, t: usize, qa: usize, qb: usize, qt: usize, rz: usize, rt: usize): void {
  addP3(r, t, qa, qb, 0, qt, rz, rt);
}
export function geP1P1AddCached(r: usize, t: usize, qa: usize, qb: usize, qz: usize, qt: usize, rz: usize, rt: usize): void {
  p1p1ToP3(P3, t);
  addP3(r, P3, qa, qb, qz, qt, rz, rt);
}
export function geP1P1AddPrecomp(r: usize, t: usize, qa: usize, qb: usize, qt: usize, rz: usize, rt: usize): void {
  p1p1ToP3(P3, t);
  addP3(r, P3, qa, qb, 0, qt, rz, rt);
}
