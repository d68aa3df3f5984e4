// The dual-suite handset firmware (build/handset-dual.wasm): handset.ts's exports, built with
// `--use AIRSHAKE_SUITE2=1` (hs/config.ts) so that it also links suite 2 (P-256 ECDH, ECDSA
// P-256 verification, AES-128-CCM_8), plus provisionSuites (the offer and a key pair and CA key
// per suite) and suite (the session's suite). provision() offers suite 1 alone, as in handset.wasm.
export * from "./handset";
export { clientProvisionSuites as provisionSuites, clientSuite as suite } from "./hs/client";
