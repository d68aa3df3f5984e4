// AES-128 encryption (FIPS-197), bitsliced: no table is indexed by a secret, no branch or address
// depends on the key or the data.
//
// The design is the 32-bit "constant-time AES" of BearSSL's aes_ct, written anew from its public
// description: two 16-byte blocks are held as eight 32-bit words, word b holding bit b of every
// one of the 32 state bytes (16 per block). The S-box is then a Boolean circuit applied to the
// eight words at once (Boyar and Peralta's depth-16 circuit, "A depth-16 circuit for the AES
// S-box", 2011: 128 gates, 34 of them AND), and ShiftRows and MixColumns are masks, shifts and
// rotations of whole words.
//
// Bit layout after `ortho` (a transpose of 8x8 bit matrices): in every word, bit 8r + 2c + k is
// state byte (row r, column c) of block k (k = 0 for the block at `a`, 1 for `b`). So a row is
// one byte of the word, ShiftRows rotates bit pairs inside bytes, and MixColumns' "the next row"
// is a rotation of the word by 8.
//
// Two blocks per call is the natural width here: CCM's CBC-MAC is sequential, one block per
// cipher call, and the second lane carries the CTR key stream for free (aead/aes128ccm.ts). A
// 64-bit, four-block slicing (BearSSL aes_ct64) would cost the same instructions per call on
// wasm and leave two of its lanes idle in CCM.
//
// Memory: the 11 round keys, bitsliced (both lanes carry the same key), and the 8-word state, in
// the scratch arena (memmap.ts, level 0). They hold key material: aes128Wipe() clears them, and
// every caller calls it before returning.
import { AES_Q, AES_RK } from "../memmap";

// @ts-ignore: decorator
@inline const SMALL: bool = ASC_SHRINK_LEVEL > 0;
// @ts-ignore: decorator
@inline export const AES_BLOCK: usize = 16;
// @ts-ignore: decorator
@inline export const AES128_KEY: usize = 16;
/** AES-128: 10 rounds, 11 round keys. */
// @ts-ignore: decorator
@inline const ROUNDS: usize = 10;
/** One bitsliced round key: 8 words (4 key words, each in both lanes, transposed). */
// @ts-ignore: decorator
@inline const RK_BYTES: usize = 32;

// ---- the bit transpose ------------------------------------------------------------------------

/**
 * Swaps bit groups between two words: the bits of x selected by ~mask (shifted down by s) trade
 * places with the bits of y selected by mask (shifted up by s).
 */
// @ts-ignore: decorator
@inline function swapLo(x: u32, y: u32, mask: u32, s: u32): u32 { return (x & mask) | ((y & mask) << s); }
// @ts-ignore: decorator
@inline function swapHi(x: u32, y: u32, mask: u32, s: u32): u32 { return ((x >> s) & mask) | (y & ~mask); }

/**
 * Transposes the eight words at p as 8x8 bit matrices: bit (8i + j) of word k and bit (8i + k) of
 * word j trade places. Three layers of swaps (distance 1, 2, 4 in both the word index and the
 * bit index). The transpose is its own inverse: it converts blocks to bit planes and back.
 */
function ortho(p: usize): void {
  let q0 = load<u32>(p, 0), q1 = load<u32>(p, 4), q2 = load<u32>(p, 8), q3 = load<u32>(p, 12);
  let q4 = load<u32>(p, 16), q5 = load<u32>(p, 20), q6 = load<u32>(p, 24), q7 = load<u32>(p, 28);
  let x: u32;
  const M1: u32 = 0x55555555, M2: u32 = 0x33333333, M4: u32 = 0x0F0F0F0F;
  x = q0; q0 = swapLo(x, q1, M1, 1); q1 = swapHi(x, q1, M1, 1);
  x = q2; q2 = swapLo(x, q3, M1, 1); q3 = swapHi(x, q3, M1, 1);
  x = q4; q4 = swapLo(x, q5, M1, 1); q5 = swapHi(x, q5, M1, 1);
  x = q6; q6 = swapLo(x, q7, M1, 1); q7 = swapHi(x, q7, M1, 1);
  x = q0; q0 = swapLo(x, q2, M2, 2); q2 = swapHi(x, q2, M2, 2);
  x = q1; q1 = swapLo(x, q3, M2, 2); q3 = swapHi(x, q3, M2, 2);
  x = q4; q4 = swapLo(x, q6, M2, 2); q6 = swapHi(x, q6, M2, 2);
  x = q5; q5 = swapLo(x, q7, M2, 2); q7 = swapHi(x, q7, M2, 2);
  x = q0; q0 = swapLo(x, q4, M4, 4); q4 = swapHi(x, q4, M4, 4);
  x = q1; q1 = swapLo(x, q5, M4, 4); q5 = swapHi(x, q5, M4, 4);
  x = q2; q2 = swapLo(x, q6, M4, 4); q6 = swapHi(x, q6, M4, 4);
  x = q3; q3 = swapLo(x, q7, M4, 4); q7 = swapHi(x, q7, M4, 4);
  store<u32>(p, q0, 0); store<u32>(p, q1, 4); store<u32>(p, q2, 8); store<u32>(p, q3, 12);
  store<u32>(p, q4, 16); store<u32>(p, q5, 20); store<u32>(p, q6, 24); store<u32>(p, q7, 28);
}

// ---- SubBytes ---------------------------------------------------------------------------------

/**
 * The AES S-box on all 32 bytes at once, as Boyar and Peralta's circuit: a linear input layer
 * (t1..t27), a nonlinear middle (m1..m63, 34 ANDs: the inversion in GF(2^8) via GF(2^4)), and a
 * linear output layer (l0..l29). Their u0 is the most significant bit, i.e. word 7; output s0
 * goes back to word 7. XNOR gates are written as ~(a ^ b). No data-dependent branch or address.
 */
// @ts-ignore: decorator
@inline function sboxBody(p: usize): void {
  let u0 = load<u32>(p, 28), u1 = load<u32>(p, 24), u2 = load<u32>(p, 20), u3 = load<u32>(p, 16);
  let u4 = load<u32>(p, 12), u5 = load<u32>(p, 8), u6 = load<u32>(p, 4), u7 = load<u32>(p, 0);

  let t1 = u0 ^ u3, t2 = u0 ^ u5, t3 = u0 ^ u6, t4 = u3 ^ u5, t5 = u4 ^ u6;
  let t6 = t1 ^ t5, t7 = u1 ^ u2, t8 = u7 ^ t6, t9 = u7 ^ t7, t10 = t6 ^ t7;
  let t11 = u1 ^ u5, t12 = u2 ^ u5, t13 = t3 ^ t4, t14 = t6 ^ t11, t15 = t5 ^ t11;
  let t16 = t5 ^ t12, t17 = t9 ^ t16, t18 = u3 ^ u7, t19 = t7 ^ t18, t20 = t1 ^ t19;
  let t21 = u6 ^ u7, t22 = t7 ^ t21, t23 = t2 ^ t22, t24 = t2 ^ t10, t25 = t20 ^ t17;
  let t26 = t3 ^ t16, t27 = t1 ^ t12;

  let m1 = t13 & t6, m2 = t23 & t8, m3 = t14 ^ m1, m4 = t19 & u7, m5 = m4 ^ m1;
  let m6 = t3 & t16, m7 = t22 & t9, m8 = t26 ^ m6, m9 = t20 & t17, m10 = m9 ^ m6;
  let m11 = t1 & t15, m12 = t4 & t27, m13 = m12 ^ m11, m14 = t2 & t10, m15 = m14 ^ m11;
  let m16 = m3 ^ m2, m17 = m5 ^ t24, m18 = m8 ^ m7, m19 = m10 ^ m15, m20 = m16 ^ m13;
  let m21 = m17 ^ m15, m22 = m18 ^ m13, m23 = m19 ^ t25, m24 = m22 ^ m23, m25 = m22 & m20;
  let m26 = m21 ^ m25, m27 = m20 ^ m21, m28 = m23 ^ m25, m29 = m28 & m27, m30 = m26 & m24;
  let m31 = m20 & m23, m32 = m27 & m31, m33 = m27 ^ m25, m34 = m21 & m22, m35 = m24 & m34;
  let m36 = m24 ^ m25, m37 = m21 ^ m29, m38 = m32 ^ m33, m39 = m23 ^ m30, m40 = m35 ^ m36;
  let m41 = m38 ^ m40, m42 = m37 ^ m39, m43 = m37 ^ m38, m44 = m39 ^ m40, m45 = m42 ^ m41;
  let m46 = m44 & t6, m47 = m40 & t8, m48 = m39 & u7, m49 = m43 & t16, m50 = m38 & t9;
  let m51 = m37 & t17, m52 = m42 & t15, m53 = m45 & t27, m54 = m41 & t10, m55 = m44 & t13;
  let m56 = m40 & t23, m57 = m39 & t19, m58 = m43 & t3, m59 = m38 & t22, m60 = m37 & t20;
  let m61 = m42 & t1, m62 = m45 & t4, m63 = m41 & t2;

  let l0 = m61 ^ m62, l1 = m50 ^ m56, l2 = m46 ^ m48, l3 = m47 ^ m55, l4 = m54 ^ m58;
  let l5 = m49 ^ m61, l6 = m62 ^ l5, l7 = m46 ^ l3, l8 = m51 ^ m59, l9 = m52 ^ m53;
  let l10 = m53 ^ l4, l11 = m60 ^ l2, l12 = m48 ^ m51, l13 = m50 ^ l0, l14 = m52 ^ m61;
  let l15 = m55 ^ l1, l16 = m56 ^ l0, l17 = m57 ^ l1, l18 = m58 ^ l8, l19 = m63 ^ l4;
  let l20 = l0 ^ l1, l21 = l1 ^ l7, l22 = l3 ^ l12, l23 = l18 ^ l2, l24 = l15 ^ l9;
  let l25 = l6 ^ l10, l26 = l7 ^ l9, l27 = l8 ^ l10, l28 = l11 ^ l14, l29 = l11 ^ l17;

  store<u32>(p, l6 ^ l24, 28);
  store<u32>(p, ~(l16 ^ l26), 24);
  store<u32>(p, ~(l19 ^ l28), 20);
  store<u32>(p, l6 ^ l21, 16);
  store<u32>(p, l20 ^ l22, 12);
  store<u32>(p, l25 ^ l29, 8);
  store<u32>(p, ~(l13 ^ l27), 4);
  store<u32>(p, ~(l6 ^ l23), 0);
}

/** The out-of-line S-box: the key schedule's, and the size build's cipher's. */
function sboxCall(p: usize): void { sboxBody(p); }

/** The speed build inlines the S-box into the round loop; the size build keeps one copy. */
// @ts-ignore: decorator
@inline function sbox(p: usize): void {
  if (SMALL) sboxCall(p); else sboxBody(p);
}

// ---- ShiftRows, MixColumns, AddRoundKey -------------------------------------------------------

/** ShiftRows on one bit plane: row r (byte r of the word) rotates its four 2-bit columns by r. */
// @ts-ignore: decorator
@inline function shiftRows(x: u32): u32 {
  return (x & 0x000000FF)
    | ((x & 0x0000FC00) >> 2) | ((x & 0x00000300) << 6)
    | ((x & 0x00F00000) >> 4) | ((x & 0x000F0000) << 4)
    | ((x & 0xC0000000) >> 6) | ((x & 0x3F000000) << 2);
}

/**
 * ShiftRows, MixColumns and AddRoundKey over the state at p with the round key at rk.
 * MixColumns: s'[r] = 2(s[r] ^ s[r+1]) ^ s[r+1] ^ s[r+2] ^ s[r+3]. With r1 = rotr(q, 8) (row r+1)
 * and t = q ^ r1, that is xtime(t) ^ r1 ^ rotr(t, 16); xtime moves plane b to b + 1 and folds
 * plane 7 into planes 0, 1, 3 and 4 (x^8 = x^4 + x^3 + x + 1).
 */
// @ts-ignore: decorator
@inline function roundBody(p: usize, rk: usize): void {
  let q0 = shiftRows(load<u32>(p, 0)), q1 = shiftRows(load<u32>(p, 4));
  let q2 = shiftRows(load<u32>(p, 8)), q3 = shiftRows(load<u32>(p, 12));
  let q4 = shiftRows(load<u32>(p, 16)), q5 = shiftRows(load<u32>(p, 20));
  let q6 = shiftRows(load<u32>(p, 24)), q7 = shiftRows(load<u32>(p, 28));
  let r0 = rotr<u32>(q0, 8), r1 = rotr<u32>(q1, 8), r2 = rotr<u32>(q2, 8), r3 = rotr<u32>(q3, 8);
  let r4 = rotr<u32>(q4, 8), r5 = rotr<u32>(q5, 8), r6 = rotr<u32>(q6, 8), r7 = rotr<u32>(q7, 8);
  let t0 = q0 ^ r0, t1 = q1 ^ r1, t2 = q2 ^ r2, t3 = q3 ^ r3;
  let t4 = q4 ^ r4, t5 = q5 ^ r5, t6 = q6 ^ r6, t7 = q7 ^ r7;
  store<u32>(p, t7 ^ r0 ^ rotr<u32>(t0, 16) ^ load<u32>(rk, 0), 0);
  store<u32>(p, t0 ^ t7 ^ r1 ^ rotr<u32>(t1, 16) ^ load<u32>(rk, 4), 4);
  store<u32>(p, t1 ^ r2 ^ rotr<u32>(t2, 16) ^ load<u32>(rk, 8), 8);
  store<u32>(p, t2 ^ t7 ^ r3 ^ rotr<u32>(t3, 16) ^ load<u32>(rk, 12), 12);
  store<u32>(p, t3 ^ t7 ^ r4 ^ rotr<u32>(t4, 16) ^ load<u32>(rk, 16), 16);
  store<u32>(p, t4 ^ r5 ^ rotr<u32>(t5, 16) ^ load<u32>(rk, 20), 20);
  store<u32>(p, t5 ^ r6 ^ rotr<u32>(t6, 16) ^ load<u32>(rk, 24), 24);
  store<u32>(p, t6 ^ r7 ^ rotr<u32>(t7, 16) ^ load<u32>(rk, 28), 28);
}

function roundCall(p: usize, rk: usize): void { roundBody(p, rk); }

// @ts-ignore: decorator
@inline function round(p: usize, rk: usize): void {
  if (SMALL) roundCall(p, rk); else roundBody(p, rk);
}

/** The last round: ShiftRows and AddRoundKey, no MixColumns. */
function lastRound(p: usize, rk: usize): void {
  for (let i: usize = 0; i < 32; i += 4) store<u32>(p + i, shiftRows(load<u32>(p + i)) ^ load<u32>(rk + i));
}

// ---- key schedule -----------------------------------------------------------------------------

/** SubWord: the S-box on the four bytes of w, through the bitsliced circuit (the other 28 byte positions are 0 and ignored). */
function subWord(w: u32): u32 {
  memory.fill(AES_Q, 0, 32);
  store<u32>(AES_Q, w);
  ortho(AES_Q);
  sboxCall(AES_Q);
  ortho(AES_Q);
  return load<u32>(AES_Q);
}

/**
 * FIPS-197 §5.2 key expansion of the 16-byte key at `key`, each round key then bitsliced into
 * AES_RK. Words are little-endian, so RotWord is a rotation right by 8 and Rcon goes into the low
 * byte. The Rcon sequence and the loop depend on the round index only.
 */
export function aes128KeySchedule(key: usize): void {
  let w0 = load<u32>(key, 0), w1 = load<u32>(key, 4), w2 = load<u32>(key, 8), w3 = load<u32>(key, 12);
  let rcon: u32 = 1;
  for (let r: usize = 0; r <= ROUNDS; r++) {
    if (r > 0) {
      w0 ^= subWord(rotr<u32>(w3, 8)) ^ rcon;
      w1 ^= w0; w2 ^= w1; w3 ^= w2;
      rcon = ((rcon << 1) ^ (0x1B & (0 - (rcon >> 7)))) & 0xFF; // public
    }
    let rk = AES_RK + r * RK_BYTES;
    store<u32>(rk, w0, 0); store<u32>(rk, w0, 4);
    store<u32>(rk, w1, 8); store<u32>(rk, w1, 12);
    store<u32>(rk, w2, 16); store<u32>(rk, w2, 20);
    store<u32>(rk, w3, 24); store<u32>(rk, w3, 28);
    ortho(rk);
  }
}

// ---- the cipher -------------------------------------------------------------------------------

/**
 * Encrypts the 16-byte blocks at a and b in place (a != b, both 16 bytes) under the round keys
 * of the last aes128KeySchedule. One call costs the same whatever the data: two blocks for the
 * price of one.
 */
export function aes128Encrypt2(a: usize, b: usize): void {
  // Interleave: word 2c is column c of block a, word 2c + 1 column c of block b.
  store<u32>(AES_Q, load<u32>(a, 0), 0); store<u32>(AES_Q, load<u32>(b, 0), 4);
  store<u32>(AES_Q, load<u32>(a, 4), 8); store<u32>(AES_Q, load<u32>(b, 4), 12);
  store<u32>(AES_Q, load<u32>(a, 8), 16); store<u32>(AES_Q, load<u32>(b, 8), 20);
  store<u32>(AES_Q, load<u32>(a, 12), 24); store<u32>(AES_Q, load<u32>(b, 12), 28);
  ortho(AES_Q);
  for (let i: usize = 0; i < 32; i += 4) store<u32>(AES_Q + i, load<u32>(AES_Q + i) ^ load<u32>(AES_RK + i));
  for (let r: usize = 1; r < ROUNDS; r++) {
    sbox(AES_Q);
    round(AES_Q, AES_RK + r * RK_BYTES);
  }
  sbox(AES_Q);
  lastRound(AES_Q, AES_RK + ROUNDS * RK_BYTES);
  ortho(AES_Q);
  store<u32>(a, load<u32>(AES_Q, 0), 0); store<u32>(b, load<u32>(AES_Q, 4), 0);
  store<u32>(a, load<u32>(AES_Q, 8), 4); store<u32>(b, load<u32>(AES_Q, 12), 4);
  store<u32>(a, load<u32>(AES_Q, 16), 8); store<u32>(b, load<u32>(AES_Q, 20), 8);
  store<u32>(a, load<u32>(AES_Q, 24), 12); store<u32>(b, load<u32>(AES_Q, 28), 12);
}

/** Clears the round keys and the state (key material). */
export function aes128Wipe(): void {
  memory.fill(AES_RK, 0, (ROUNDS + 1) * RK_BYTES);
  memory.fill(AES_Q, 0, 32);
}
