// The firmware's scratch memory: ONE static arena, overlaid by call depth.
//
// Every primitive needs working memory (a message schedule, field temporaries, point buffers),
// but never all at once: SHA-512 runs only inside certificate verification, the X25519 ladder
// only inside key agreement, HKDF only afterwards. A C toolchain for small parts does this with
// its linker (Keil C51 "data overlaying", IAR's static overlay): the locals of functions that can
// never be active together share addresses. Here the overlay is written down by hand, as a
// memory map, and checked by the tests (every primitive against its vectors in both builds, the
// handshake byte for byte against the trace).
//
// The rule: a function's scratch may share bytes with another function's scratch only when
// neither can be running (or holding live data) while the other runs. So the arena is stacked
// by call depth, and regions on one level are alternatives:
//
//   level 0  leaves: they call nothing that has scratch
//            SHA-256 schedule | SHA-512 schedule | ChaCha20 key stream | field inversion chain |
//            scalar reduction | compact Edwards formulas | AES-128 round keys and state
//   level 1  callers of leaves only
//            HMAC key block and inner digest | X25519 ladder state | point encode/decode |
//            AEAD one-time key, Poly1305 state, tag, length block | AES-CCM blocks
//   level 2  certificate verification (Ed25519: its streaming state, the points, the window
//            table, the signed digits)  OR  HKDF, and above HKDF (level 3) the client's own
//            scratch for finish() (the DH secret, PRK, transcript hashes, HKDF info, nonce)
//
// Certificate verification and the client's key schedule share level 2 because finish()
// verifies C_B completely before it computes anything from sk_A, and keeps nothing of its own
// in scratch across the verification. One consequence, stated in sig/ed25519.ts: between
// ed25519VerifyInit and ed25519VerifyCheck no HKDF or client code may run (the host API only
// offers one-shot verification, and the client calls the three back to back).
//
// Persistent state is NOT here: the message buffers, the provisioned identity and the session
// (transcript hash, traffic keys) live in hs/client.ts; the host-API contexts in crypto.ts.
//
// Sizes follow the build: the size-optimised build (the handset, ASC_SHRINK_LEVEL > 0) uses
// 16-word SHA schedules, a 2-entry Ed25519 window and the compact Edwards formulas; the speed
// build (the crypto core) full schedules, an 8-entry window and fused formulas with no scratch.
// Offsets are multiples of 8 (SHA-512 contexts and field limbs are read as i64/i32).

// @ts-ignore: decorator
@inline const SMALL: bool = ASC_SHRINK_LEVEL > 0;
// @ts-ignore: decorator
@inline const FE: usize = 40; // a field element: ten i32 limbs (ec/field25519.ts FE_SIZE)
// @ts-ignore: decorator
@inline const GE4: usize = 4 * FE; // a point in P3, P1P1 or CACHED form
// @ts-ignore: decorator
@inline const GE3: usize = 3 * FE; // a point in P2 or PRECOMP form

// ---- level 0: leaves --------------------------------------------------------------------------
/** SHA-256 message schedule: a 16-word rolling window when small, all 64 words otherwise. */
// @ts-ignore: decorator
@inline export const SHA256_W_BYTES: usize = SMALL ? 16 * 4 : 64 * 4;
/** SHA-512 message schedule: 16 or 80 words of 8 bytes. */
// @ts-ignore: decorator
@inline export const SHA512_W_BYTES: usize = SMALL ? 16 * 8 : 80 * 8;
/** ChaCha20: one key-stream block. */
// @ts-ignore: decorator
@inline const CHACHA_KS_BYTES: usize = 64;
/** Field inversion and square-root chains: four elements, and 32 bytes for canonical encodings. */
// @ts-ignore: decorator
@inline const FE_CHAIN_BYTES: usize = 4 * FE + 32;
/** Barrett reduction mod L: q1 * mu (18 words), q3 * L (9 words), r (9 words). */
// @ts-ignore: decorator
@inline const SC_BYTES: usize = (18 + 9 + 9) * 4;
/** Compact Edwards formulas (small build only): a P1P1 and a P3 point, five field elements. */
// @ts-ignore: decorator
@inline const GE_COMPACT_BYTES: usize = SMALL ? 2 * GE4 + 5 * FE : 0;
/**
 * AES-128 (aes/aes128.ts): 11 bitsliced round keys of 8 words (352) and the 8-word state (32).
 * CCM keeps the round keys here across its cipher calls; only the AES functions run meanwhile.
 */
// @ts-ignore: decorator
@inline const AES_BYTES: usize = 11 * 32 + 32;
/**
 * P-256 leaves (ec/p256_gen.ts, ec/p256.ts): the formulas' temporaries (the complete formulas use
 * t0..t4 and X3, Y3, Z3, eight elements; the verifier's Jacobian addition two more, ten), or the
 * inversion chains (the scalar one: the odd powers 1..15 and an accumulator, nine), and one
 * element for canonical encodings. An element is ten i32 limbs, like FE. 440 bytes: below the
 * level's other alternatives in both builds (SHA-512's schedule, the compact Edwards formulas).
 */
// @ts-ignore: decorator
@inline const P256_L0_BYTES: usize = 11 * FE;
// @ts-ignore: decorator
@inline const L0_A: usize = SHA256_W_BYTES > SHA512_W_BYTES ? SHA256_W_BYTES : SHA512_W_BYTES;
// @ts-ignore: decorator
@inline const L0_B: usize = CHACHA_KS_BYTES > FE_CHAIN_BYTES ? CHACHA_KS_BYTES : FE_CHAIN_BYTES;
// @ts-ignore: decorator
@inline const L0_C: usize = SC_BYTES > GE_COMPACT_BYTES ? SC_BYTES : GE_COMPACT_BYTES;
// @ts-ignore: decorator
@inline const L0_AB: usize = L0_A > L0_B ? L0_A : L0_B;
// @ts-ignore: decorator
@inline const L0_ABC: usize = L0_AB > L0_C ? L0_AB : L0_C;
// @ts-ignore: decorator
@inline const L0_ABCD: usize = L0_ABC > AES_BYTES ? L0_ABC : AES_BYTES;
// @ts-ignore: decorator
@inline const L0_BYTES: usize = L0_ABCD > P256_L0_BYTES ? L0_ABCD : P256_L0_BYTES;

// ---- level 1 ----------------------------------------------------------------------------------
/** HMAC: the padded key block (64) and the inner digest (32). */
// @ts-ignore: decorator
@inline const HMAC_BYTES: usize = 64 + 32;
/** X25519: x1, x2, z2, x3, z3, four temporaries, the clamped scalar. */
// @ts-ignore: decorator
@inline export const X25519_STATE_BYTES: usize = 9 * FE + 32;
/** Point decoding (five field elements) and encoding (32 bytes). */
// @ts-ignore: decorator
@inline const GE_CODEC_BYTES: usize = 6 * FE + 32;
/** AEAD: the one-time key block (64), the Poly1305 state (80), the tag (16), the length block (16). */
// @ts-ignore: decorator
@inline const AEAD_BYTES: usize = 64 + 80 + 16 + 16;
/** AES-CCM (aead/aes128ccm.ts): the MAC state, the key stream, E(A0), the data block, the counter template. */
// @ts-ignore: decorator
@inline const CCM_BYTES: usize = 5 * 16;
// @ts-ignore: decorator
@inline const L1_A: usize = HMAC_BYTES > X25519_STATE_BYTES ? HMAC_BYTES : X25519_STATE_BYTES;
// @ts-ignore: decorator
@inline const L1_B: usize = GE_CODEC_BYTES > AEAD_BYTES ? GE_CODEC_BYTES : AEAD_BYTES;
// @ts-ignore: decorator
@inline const L1_AB: usize = L1_A > L1_B ? L1_A : L1_B;
// @ts-ignore: decorator
@inline const L1_BYTES: usize = L1_AB > CCM_BYTES ? L1_AB : CCM_BYTES;

// ---- level 2: certificate verification, or HKDF and then the client ---------------------------
/** Ed25519 window: odd multiples 1, 3 (small) or 1..15 of -A, CACHED form. */
// @ts-ignore: decorator
@inline export const ED_WINDOW_ENTRIES: usize = SMALL ? 2 : 8;
/** Signed digits of the two 256-bit scalars: two per byte when they fit in a nibble (small). */
// @ts-ignore: decorator
@inline export const ED_DIGIT_BYTES: usize = SMALL ? 128 : 256;
/**
 * Ed25519: key (32), signature (64), SHA-512 context (208), digest (64), k mod L (32), the
 * encoding to compare with R (32), -A, the window table, 2A, three working points, the digits.
 */
// @ts-ignore: decorator
@inline const ED_BYTES: usize = 32 + 64 + 208 + 64 + 32 + 32 + GE4 + ED_WINDOW_ENTRIES * GE4 + GE4 + GE4 + GE4 + GE3 + 2 * ED_DIGIT_BYTES;
/** HKDF: the PRK-keyed HMAC context (speed build only: the small one re-keys), a working one, T(i), the counter. */
// @ts-ignore: decorator
@inline const HKDF_BYTES: usize = (SMALL ? 0 : 224) + 224 + 32 + 8;
/**
 * The client's finish() and provision(): Z (32), PRK (32), TH (32), a MAC (16), HKDF info (48),
 * the nonce (16), the record AAD (8), SPKI of pk_A (48), the forked transcript context (112);
 * suite 3's finish() also es || se || ss (96) and K_2 (32). (HKDF and the client together stay
 * well below the Ed25519 verifier beside them, so the suite-3 part costs no static memory.)
 */
// @ts-ignore: decorator
@inline const CLIENT_BYTES: usize = 32 + 32 + 32 + 16 + 48 + 16 + 8 + 48 + 112 + 96 + 32;
/** A P-256 point in projective coordinates (X, Y, Z): three elements. */
// @ts-ignore: decorator
@inline const P256_PT: usize = 3 * FE;
/**
 * P-256 ECDH's window: signed 4-bit digits in [-8, 8] (65 of them), a table of 0..8 P (nine
 * points) read whole for every digit, and a masked negation. Unsigned 3- and 4-bit windows
 * measured about 6 % more instructions (86 additions, or 64 with a 16-entry table to read).
 */
// @ts-ignore: decorator
@inline export const P256_ECDH_ENTRIES: usize = 9;
/** ECDH: the scalar (32), its 65 signed digits (72), the accumulator and the looked-up entry, the table. */
// @ts-ignore: decorator
@inline const P256_ECDH_BYTES: usize = 32 + 72 + 2 * P256_PT + P256_ECDH_ENTRIES * P256_PT;
/**
 * ECDSA verification's wNAF widths: for Q (odd multiples computed per signature, 2^(w-2) points)
 * 5 bits (8 points) or 3 bits (2 points) when small; for G (a constant table) 7 bits (32 affine
 * points, 2,560 bytes of data) or 4 bits (4 points, 320 bytes).
 */
// @ts-ignore: decorator
@inline export const ECDSA_WQ: usize = SMALL ? 3 : 5;
// @ts-ignore: decorator
@inline export const ECDSA_WG: usize = SMALL ? 4 : 7;
/** wNAF digits of a 256-bit scalar: 257 positions (a digit can carry past bit 255), one byte each. */
// @ts-ignore: decorator
@inline export const ECDSA_DIGITS: usize = 264;
/**
 * A verifier's Q table entry: a Jacobian point (X, Y, Z) with Z^2 and Z^3 cached, five elements
 * (the additions with it save a squaring and a multiplication).
 */
// @ts-ignore: decorator
@inline export const ECDSA_QENTRY: usize = 5 * FE;
/**
 * ECDSA verification: Q affine (80), r and s (64), the SHA-256 context (112), the digest (32),
 * the encoding of x(R) (32), r, s, w, e as elements (160), the two digit strings, the Jacobian
 * accumulator, a working entry (a negated table entry, or 2Q while the table is built), Q's
 * table. 1,728 bytes in the size build, 2,928 in the speed build: below Ed25519's level-2
 * scratch in both (1,768 and 2,984), so the arena does not grow.
 */
// @ts-ignore: decorator
@inline const ECDSA_BYTES: usize = 80 + 64 + 112 + 32 + 32 + 4 * FE + 2 * ECDSA_DIGITS + P256_PT + ECDSA_QENTRY + (<usize>1 << (ECDSA_WQ - 2)) * ECDSA_QENTRY;
// @ts-ignore: decorator
@inline const L2_A: usize = ED_BYTES > HKDF_BYTES + CLIENT_BYTES ? ED_BYTES : HKDF_BYTES + CLIENT_BYTES;
// @ts-ignore: decorator
@inline const L2_B: usize = P256_ECDH_BYTES > ECDSA_BYTES ? P256_ECDH_BYTES : ECDSA_BYTES;
// @ts-ignore: decorator
@inline const L2_BYTES: usize = L2_A > L2_B ? L2_A : L2_B;

// @ts-ignore: decorator
@inline export const ARENA_BYTES: usize = L0_BYTES + L1_BYTES + L2_BYTES;
/** The arena. Nothing in it survives a top-level call except Ed25519's state between init and check. */
export const ARENA: usize = memory.data(<i32>ARENA_BYTES, 16);

// @ts-ignore: decorator
@inline const L0: usize = ARENA;
// @ts-ignore: decorator
@inline const L1: usize = ARENA + L0_BYTES;
// @ts-ignore: decorator
@inline const L2: usize = ARENA + L0_BYTES + L1_BYTES;

// level 0 (alternatives)
// @ts-ignore: decorator
@inline export const SHA256_W: usize = L0;
// @ts-ignore: decorator
@inline export const SHA512_W: usize = L0;
// @ts-ignore: decorator
@inline export const CHACHA_KS: usize = L0;
// @ts-ignore: decorator
@inline export const FE_T0: usize = L0;
// @ts-ignore: decorator
@inline export const FE_T1: usize = L0 + FE;
// @ts-ignore: decorator
@inline export const FE_T2: usize = L0 + 2 * FE;
// @ts-ignore: decorator
@inline export const FE_T3: usize = L0 + 3 * FE;
// @ts-ignore: decorator
@inline export const FE_TB: usize = L0 + 4 * FE;
// @ts-ignore: decorator
@inline export const SC_Q2: usize = L0;
// @ts-ignore: decorator
@inline export const SC_R2: usize = L0 + 18 * 4;
// @ts-ignore: decorator
@inline export const SC_R: usize = L0 + 27 * 4;
// @ts-ignore: decorator
@inline export const GEC_P1: usize = L0;
// @ts-ignore: decorator
@inline export const GEC_P3: usize = L0 + GE4;
// @ts-ignore: decorator
@inline export const GEC_A: usize = L0 + 2 * GE4;
// @ts-ignore: decorator
@inline export const GEC_B: usize = L0 + 2 * GE4 + FE;
// @ts-ignore: decorator
@inline export const GEC_C: usize = L0 + 2 * GE4 + 2 * FE;
// @ts-ignore: decorator
@inline export const GEC_D: usize = L0 + 2 * GE4 + 3 * FE;
// @ts-ignore: decorator
@inline export const GEC_E: usize = L0 + 2 * GE4 + 4 * FE;
// @ts-ignore: decorator
@inline export const AES_RK: usize = L0;
// @ts-ignore: decorator
@inline export const AES_Q: usize = L0 + 11 * 32;

// @ts-ignore: decorator
@inline export const P256_FT: usize = L0;
// @ts-ignore: decorator
@inline export const P256_IT: usize = L0;
// @ts-ignore: decorator
@inline export const P256_CT: usize = L0 + 10 * FE;

// level 1 (alternatives)
// @ts-ignore: decorator
@inline export const HMAC_KBLOCK: usize = L1;
// @ts-ignore: decorator
@inline export const HMAC_INNER: usize = L1 + 64;
// @ts-ignore: decorator
@inline export const X25519_STATE: usize = L1;
// @ts-ignore: decorator
@inline export const GED_T0: usize = L1;
// @ts-ignore: decorator
@inline export const GED_U: usize = L1 + FE;
// @ts-ignore: decorator
@inline export const GED_V: usize = L1 + 2 * FE;
// @ts-ignore: decorator
@inline export const GED_V3: usize = L1 + 3 * FE;
// @ts-ignore: decorator
@inline export const GED_VXX: usize = L1 + 4 * FE;
// @ts-ignore: decorator
@inline export const GED_CHK: usize = L1 + 5 * FE;
// @ts-ignore: decorator
@inline export const GED_ENC: usize = L1 + 6 * FE;
// @ts-ignore: decorator
@inline export const AEAD_OTK: usize = L1;
// @ts-ignore: decorator
@inline export const AEAD_MAC: usize = L1 + 64;
// @ts-ignore: decorator
@inline export const AEAD_TAG_BUF: usize = L1 + 144;
// @ts-ignore: decorator
@inline export const AEAD_LENS: usize = L1 + 160;
// @ts-ignore: decorator
@inline export const CCM_X: usize = L1;
// @ts-ignore: decorator
@inline export const CCM_KS: usize = L1 + 16;
// @ts-ignore: decorator
@inline export const CCM_S0: usize = L1 + 32;
// @ts-ignore: decorator
@inline export const CCM_BLK: usize = L1 + 48;
// @ts-ignore: decorator
@inline export const CCM_CTR: usize = L1 + 64;

// level 2, alternative 1: certificate verification
// @ts-ignore: decorator
@inline export const ED_PK: usize = L2;
// @ts-ignore: decorator
@inline export const ED_SIG: usize = L2 + 32;
// @ts-ignore: decorator
@inline export const ED_HCTX: usize = L2 + 96;
// @ts-ignore: decorator
@inline export const ED_HOUT: usize = L2 + 304;
// @ts-ignore: decorator
@inline export const ED_KSC: usize = L2 + 368;
// @ts-ignore: decorator
@inline export const ED_RCHECK: usize = L2 + 400;
// @ts-ignore: decorator
@inline export const ED_NEG_A: usize = L2 + 432;
// @ts-ignore: decorator
@inline export const ED_AI: usize = ED_NEG_A + GE4;
// @ts-ignore: decorator
@inline export const ED_A2: usize = ED_AI + ED_WINDOW_ENTRIES * GE4;
// @ts-ignore: decorator
@inline export const ED_PT: usize = ED_A2 + GE4;
// @ts-ignore: decorator
@inline export const ED_PU: usize = ED_PT + GE4;
// @ts-ignore: decorator
@inline export const ED_PR: usize = ED_PU + GE4;
// @ts-ignore: decorator
@inline export const ED_ADIGITS: usize = ED_PR + GE3;
// @ts-ignore: decorator
@inline export const ED_BDIGITS: usize = ED_ADIGITS + ED_DIGIT_BYTES;

// level 2, alternative 3: P-256 ECDH (ec/p256.ts)
// @ts-ignore: decorator
@inline export const PE_K: usize = L2;
// @ts-ignore: decorator
@inline export const PE_DG: usize = L2 + 32;
// @ts-ignore: decorator
@inline export const PE_Q: usize = L2 + 104;
// @ts-ignore: decorator
@inline export const PE_T: usize = PE_Q + P256_PT;
// @ts-ignore: decorator
@inline export const PE_TAB: usize = PE_T + P256_PT;

// level 2, alternative 4: ECDSA P-256 verification (sig/ecdsa_p256.ts); the same contract as
// Ed25519's: between ecdsaP256VerifyInit and its final, no other level-2 code (Ed25519, ECDH,
// HKDF, the client) may run.
// @ts-ignore: decorator
@inline export const ES_QX: usize = L2;
// @ts-ignore: decorator
@inline export const ES_QY: usize = L2 + FE;
// @ts-ignore: decorator
@inline export const ES_R: usize = L2 + 80;
// @ts-ignore: decorator
@inline export const ES_S: usize = L2 + 112;
// @ts-ignore: decorator
@inline export const ES_HCTX: usize = L2 + 144;
// @ts-ignore: decorator
@inline export const ES_E: usize = L2 + 256;
// @ts-ignore: decorator
@inline export const ES_U1: usize = L2 + 288;
// @ts-ignore: decorator
@inline export const ES_SC: usize = L2 + 320;
// @ts-ignore: decorator
@inline export const ES_D1: usize = ES_SC + 4 * FE;
// @ts-ignore: decorator
@inline export const ES_D2: usize = ES_D1 + ECDSA_DIGITS;
// @ts-ignore: decorator
@inline export const ES_ACC: usize = ES_D2 + ECDSA_DIGITS;
// @ts-ignore: decorator
@inline export const ES_TMP: usize = ES_ACC + P256_PT;
// @ts-ignore: decorator
@inline export const ES_QTAB: usize = ES_TMP + ECDSA_QENTRY;

// level 2, alternative 2: HKDF, then the client above it
// @ts-ignore: decorator
@inline export const HKDF_WORK: usize = L2;
// @ts-ignore: decorator
@inline export const HKDF_T: usize = L2 + 224;
// @ts-ignore: decorator
@inline export const HKDF_COUNTER: usize = L2 + 256;
/** Speed build only (the small build re-keys per block). */
// @ts-ignore: decorator
@inline export const HKDF_KEYED: usize = L2 + 264;
// @ts-ignore: decorator
@inline const L3: usize = L2 + HKDF_BYTES;
// @ts-ignore: decorator
@inline export const CL_Z: usize = L3;
// @ts-ignore: decorator
@inline export const CL_PRK: usize = L3 + 32;
// @ts-ignore: decorator
@inline export const CL_TH: usize = L3 + 64;
// @ts-ignore: decorator
@inline export const CL_MAC: usize = L3 + 96;
// @ts-ignore: decorator
@inline export const CL_INFO: usize = L3 + 112;
// @ts-ignore: decorator
@inline export const CL_NONCE: usize = L3 + 160;
// @ts-ignore: decorator
@inline export const CL_AAD: usize = L3 + 176;
// @ts-ignore: decorator
@inline export const CL_PSPKI: usize = L3 + 184;
// @ts-ignore: decorator
@inline export const CL_TH_FORK: usize = L3 + 232;
// @ts-ignore: decorator
@inline export const CL_IKM: usize = L3 + 344;
// @ts-ignore: decorator
@inline export const CL_K2: usize = L3 + 440;
