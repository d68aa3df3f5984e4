// X25519 (RFC 7748 §5): the Montgomery ladder on Curve25519, u-coordinate only.
// Constant-time in the scalar: a fixed 255-step ladder whose state never leaves locals
// (x25519_ladder_gen.ts), masked conditional swaps, and a fixed inversion chain. The scalar's
// bits only ever form swap masks.
import { ctIsZero, wipe } from "../ct/ct";
import { ERR_X25519_ZERO, OK } from "../errors";
import { FE_SIZE, feFromBytes, feInvert, feMul, feToBytes } from "./field25519";
import { x25519Ladder } from "./x25519_ladder_gen";

// @ts-ignore: decorator
@inline export const X25519_BYTES: usize = 32;

/** x1 (the decoded u), the ladder's output x2 and z2, and the clamped scalar. */
// @ts-ignore: decorator
@inline const STATE_SIZE: usize = 3 * FE_SIZE + 32;
const STATE: usize = memory.data(<i32>STATE_SIZE);
// @ts-ignore: decorator
@inline const X1: usize = STATE;
// @ts-ignore: decorator
@inline const X2: usize = STATE + FE_SIZE;
// @ts-ignore: decorator
@inline const Z2: usize = STATE + 2 * FE_SIZE;
// @ts-ignore: decorator
@inline const K: usize = STATE + 3 * FE_SIZE;

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
  x25519Ladder(X2, Z2, K, X1);
  feInvert(Z2, Z2);
  feMul(X2, X2, Z2);
  feToBytes(out, X2);
  wipe(STATE, STATE_SIZE);
  return ctIsZero(out, X25519_BYTES) ? ERR_X25519_ZERO : OK;
}
