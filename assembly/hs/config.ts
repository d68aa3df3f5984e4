// Build configuration of the handset firmware: which suites it links.
//
// scripts/build-fw.mjs builds the handset twice from the same sources:
//   build/handset.wasm       suite 1 only (X25519, Ed25519, ChaCha20-Poly1305): no flag
//   build/handset-dual.wasm  suites 1 and 2 (also P-256 ECDH, ECDSA P-256, AES-128-CCM):
//                            asc ... --use AIRSHAKE_SUITE2=1
// asc's `--use NAME=value` introduces a program-wide integer constant. Every use of SUITE2 is a
// compile-time condition: AssemblyScript compiles only the taken branch of an `if` or `?:` on a
// constant, so the suite-1 build never compiles (and never links) P-256, ECDSA or AES code, nor
// allocates their buffers (a buffer that exists only in the dual build is declared as
// `SUITE2 ? memory.data(...) : 0`: a top-level memory.data is allocated even when unused).
// Without the flag (any other compilation of assembly/handset.ts) the build is suite 1 only.

// @ts-ignore: decorator, and AIRSHAKE_SUITE2 exists only when asc defines it
@inline export const SUITE2: bool = isDefined(AIRSHAKE_SUITE2) ? AIRSHAKE_SUITE2 != 0 : false;

// The forward-secret build (build/handset-fs.wasm): suite 1 and suite 3 (ephemeral X25519 mixed
// with the static keys, C_B encrypted or sent by reference), `--use AIRSHAKE_SUITE3=1`.
// @ts-ignore: decorator, and AIRSHAKE_SUITE3 exists only when asc defines it
@inline export const SUITE3: bool = isDefined(AIRSHAKE_SUITE3) ? AIRSHAKE_SUITE3 != 0 : false;
