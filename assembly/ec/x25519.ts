// X25519 (RFC 7748 §5): the Montgomery ladder on Curve25519, u-coordinate only.
// Constant-time in the scalar: a fixed 255-step ladder whose state never leaves locals
// (x25519_ladder_gen.ts), masked conditional swaps, and a fixed inversion chain. The scalar's
// bits only ever form swap masks.
import { ctIsZero, wipe } from "../ct/ct";
import { ERR_X25519_ZERO, OK } from "../errors";
import { X25519_STATE, X25519_STATE_BYTES } from "../memmap";
import {
  FE_SIZE, feAdd, feCswap, feFromBytes, feInvert, feMul, feMul121665, feOne, feSq, feSub, feToBytes, feZero,
} from "./field25519";
import { x25519Ladder } from "./x25519_ladder_gen";

// @ts-ignore: decorator
@inline export const X25519_BYTES: usize = 32;

/**
 * x1 (the decoded u), x2, z2, then (compact ladder only) x3, z3 and four temporaries, and the
 * clamped scalar.
 */
// @ts-ignore: decorator
@inline const STATE_SIZE: usize = X25519_STATE_BYTES;
// @ts-ignore: decorator
@inline const STATE: usize = X25519_STATE; // in the scratch arena (memmap.ts, level 1)
// @ts-ignore: decorator
@inline const X1: usize = STATE;
// @ts-ignore: decorator
@inline const X2: usize = STATE + FE_SIZE;
// @ts-ignore: decorator
@inline const Z2: usize = STATE + 2 * FE_SIZE;
// @ts-ignore: decorator
@inline const X3: usize = STATE + 3 * FE_SIZE;
// @ts-ignore: decorator
@inline const Z3: usize = STATE + 4 * FE_SIZE;
// @ts-ignore: decorator
@inline const TA: usize = STATE + 5 * FE_SIZE;
// @ts-ignore: decorator
@inline const TB: usize = STATE + 6 * FE_SIZE;
// @ts-ignore: decorator
@inline const TC: usize = STATE + 7 * FE_SIZE;
// @ts-ignore: decorator
@inline const TD: usize = STATE + 8 * FE_SIZE;
// @ts-ignore: decorator
@inline const K: usize = STATE + 9 * FE_SIZE;

/**
 * The same RFC 7748 §5 ladder with its state in memory and one call per field operation: about
 * a fifth of the code of the fused x25519Ladder for about 40 % more executed instructions. Used
 * when the build optimises for size (the handset firmware). Constant-time likewise.
 */
function x25519LadderCompact(): void {
  feOne(X2); feZero(Z2);
  memory.copy(X3, X1, FE_SIZE);
  feOne(Z3);
  let swap: u32 = 0;
  for (let t = 254; t >= 0; t--) {
    let kt = (<u32>load<u8>(K + (t >> 3)) >>> (t & 7)) & 1; // the address depends on t only
    swap ^= kt;
    feCswap(X2, X3, swap);
    feCswap(Z2, Z3, swap);
    swap = kt;
    feAdd(TA, X2, Z2);      // A = x2 + z2
    feSub(TB, X2, Z2);      // B = x2 - z2
    feAdd(TC, X3, Z3);      // C = x3 + z3
    feSub(TD, X3, Z3);      // D = x3 - z3
    feMul(TD, TD, TA);      // DA
    feMul(TC, TC, TB);      // CB
    feSq(TA, TA);           // AA
    feSq(TB, TB);           // BB
    feAdd(X3, TD, TC);
    feSq(X3, X3);           // x3 = (DA + CB)^2
    feSub(Z3, TD, TC);
    feSq(Z3, Z3);
    feMul(Z3, Z3, X1);      // z3 = x1 (DA - CB)^2
    feMul(X2, TA, TB);      // x2 = AA BB
    feSub(TB, TA, TB);      // E = AA - BB
    feMul121665(TC, TB);    // a24 E
    feAdd(TC, TC, TA);      // AA + a24 E
    feMul(Z2, TB, TC);      // z2 = E (AA + a24 E)
  }
  feCswap(X2, X3, swap);
  feCswap(Z2, Z3, swap);
}

/**
 * out = X25519(scalar, u), 32 bytes each. Returns OK, or ERR_X25519_ZERO when the result is all
 * zero (u of small order, RFC 7748 §6.1); out is written either way. All state is wiped.
 */
export function x25519(out: usize, scalar: usize, u: usize): i32 {
  // RFC 7748 §5 decodeScalar25519: clear bits 0-2 and 255, set bit 254.
  memory.copy(K, scalar, 32);
  store<u8>(K, load<u8>(K) & 248);
  store<u8>(K + 31, (load<u8>(K + 31) & 127) | 64);
  feFromBytes(X1, u); // decodeUCoordinate: masks bit 255
  if (ASC_SHRINK_LEVEL > 0) x25519LadderCompact(); // size-optimised builds (the handset)
  else x25519Ladder(X2, Z2, K, X1);
  feInvert(Z2, Z2);
  feMul(X2, X2, Z2);
  feToBytes(out, X2);
  wipe(STATE, STATE_SIZE);
  return ctIsZero(out, X25519_BYTES) ? ERR_X25519_ZERO : OK;
}
