/**
 * Loads the firmware's crypto-core build (build/crypto.wasm) with @assemblyscript/loader and wraps
 * its IO-window calling convention as the `Firmware` API of host/api.ts.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import * as loader from '@assemblyscript/loader';
import type { Firmware } from './api.js';

/** Raw exports of assembly/crypto.ts (pointers are offsets into linear memory). */
export interface CryptoExports {
  memory: WebAssembly.Memory;
  io(): number;
  ioCap(): number;
  sha256Init(): void; sha256Update(p: number, n: number): void; sha256Final(out: number): void;
  sha512Init(): void; sha512Update(p: number, n: number): void; sha512Final(out: number): void;
  hmacInit(key: number, k: number): void; hmacUpdate(p: number, n: number): void; hmacFinal(out: number): void;
  hkdfExtract(prk: number, salt: number, saltLen: number, ikm: number, ikmLen: number): void;
  hkdfExpand(out: number, outLen: number, prk: number, info: number, infoLen: number): number;
  x25519(out: number, scalar: number, u: number): number;
  ed25519VerifyInit(publicKey: number, signature: number): void;
  ed25519VerifyUpdate(p: number, n: number): void;
  ed25519VerifyFinal(): number;
  aeadSeal(ct: number, key: number, nonce: number, aad: number, aadLen: number, pt: number, n: number): void;
  aeadOpen(pt: number, key: number, nonce: number, aad: number, aadLen: number, ct: number, n: number): number;
  heapProbe(): number;
  heapBase(): number;
  // AES-128-CCM (assembly/aead/aes128ccm.ts): nonceLen 7..13 (the API passes 13), tag at ct + n.
  aes128CcmSeal(ct: number, key: number, nonce: number, nonceLen: number, aad: number, aadLen: number, pt: number, n: number, tagLen: number): number;
  aes128CcmOpen(pt: number, key: number, nonce: number, nonceLen: number, aad: number, aadLen: number, ct: number, n: number, tagLen: number): number;
  aes128EncryptBlock(out: number, key: number, inp: number): void;
  // P-256 (assembly/ec/p256.ts, assembly/sig/ecdsa_p256.ts)
  p256Ecdh(out: number, scalar: number, point: number): number;
  ecdsaP256VerifyInit(publicKey: number, sig: number, sigLen: number): void;
  ecdsaP256VerifyInitP1363(publicKey: number, sig: number): void;
  ecdsaP256VerifyUpdate(p: number, n: number): void;
  ecdsaP256VerifyFinal(): number;
}

/** Error codes of assembly/errors.ts that the crypto API maps to exceptions. */
export const FW_OK = 0;
export const FW_ERR_CRYPTO_LENGTH = 0x60;
export const FW_ERR_X25519_ZERO = 0x61;
export const FW_ERR_AEAD_TAG = 0x65;
export const FW_ERR_P256_POINT = 0x70;
export const FW_ERR_P256_SCALAR = 0x71;

const HKDF_MAX = 255 * 32;
/** AES-CCM bounds of assembly/aead/aes128ccm.ts: AAD with a two-byte length, payload with L = 2. */
export const CCM_AAD_MAX = 0xfeff;
export const CCM_PAYLOAD_MAX = 0xffff;

export interface LoadOptions {
  /** Load build/crypto.debug.wasm (bounds assertions on, abort import) instead of the release build. */
  debug?: boolean;
  /** Use these module bytes instead of reading a file (e.g. an instrumented build). */
  wasm?: Uint8Array;
}

/** The Firmware API plus the raw module, for benchmarks and white-box tests. */
export interface LoadedFirmware extends Firmware {
  exports: CryptoExports;
  instance: WebAssembly.Instance;
}

/** Path of a build artefact, relative to the package root (works from host/ and from dist/host/). */
export function buildPath(file: string): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  if (path.basename(path.dirname(dir)) === 'dist') dir = path.dirname(dir);
  return path.join(path.dirname(dir), 'build', file);
}

function need(fn: string, name: string, v: Uint8Array, len: number): void {
  if (!(v instanceof Uint8Array)) throw new TypeError(`${fn}: ${name} must be a Uint8Array`);
  if (v.length !== len) throw new Error(`${fn}: ${name} must be ${len} bytes, got ${v.length}`);
}

function bytes(fn: string, name: string, v: Uint8Array): void {
  if (!(v instanceof Uint8Array)) throw new TypeError(`${fn}: ${name} must be a Uint8Array`);
}

/** Instantiates the crypto core and returns the Firmware API over it. */
export async function loadFirmware(options: LoadOptions = {}): Promise<LoadedFirmware> {
  const wasm = options.wasm ?? readFileSync(buildPath(options.debug ? 'crypto.debug.wasm' : 'crypto.wasm'));
  const { exports, instance } = await loader.instantiate<Record<string, unknown>>(wasm, {});
  const x = exports as unknown as CryptoExports;
  const io = x.io() >>> 0;
  const cap = x.ioCap() >>> 0;
  // The memory is fixed (initial = maximum), so one view stays valid for the module's life.
  const mem = new Uint8Array(x.memory.buffer);

  const put = (off: number, v: Uint8Array): number => { mem.set(v, io + off); return io + off; };
  const get = (off: number, n: number): Uint8Array => mem.slice(io + off, io + off + n);
  const fits = (fn: string, total: number, what: string): void => {
    if (total > cap) throw new RangeError(`${fn}: ${what} too long for the firmware's ${cap}-byte IO window`);
  };
  /** Zeroes the first n bytes of the IO window: inputs may be secrets (keys, transcripts). */
  const clear = (n: number): void => { mem.fill(0, io, io + n); };
  /** Feeds m through the IO window in window-sized chunks. */
  const stream = (m: Uint8Array, update: (p: number, n: number) => void): void => {
    for (let off = 0; off < m.length; off += cap) {
      const chunk = m.subarray(off, Math.min(off + cap, m.length));
      update(put(0, chunk), chunk.length);
    }
  };

  const api: Omit<LoadedFirmware, 'p256Ecdh' | 'ecdsaP256Verify' | 'ecdsaP256VerifyP1363'> = {
    exports: x,
    instance,
    sha256(m) {
      bytes('sha256', 'm', m);
      x.sha256Init(); stream(m, (p, n) => x.sha256Update(p, n)); x.sha256Final(io);
      const out = get(0, 32);
      clear(Math.max(32, Math.min(m.length, cap)));
      return out;
    },
    sha512(m) {
      bytes('sha512', 'm', m);
      x.sha512Init(); stream(m, (p, n) => x.sha512Update(p, n)); x.sha512Final(io);
      const out = get(0, 64);
      clear(Math.max(64, Math.min(m.length, cap)));
      return out;
    },
    hmacSha256(key, m) {
      bytes('hmacSha256', 'key', key); bytes('hmacSha256', 'm', m);
      fits('hmacSha256', key.length, 'key');
      x.hmacInit(put(0, key), key.length);
      stream(m, (p, n) => x.hmacUpdate(p, n));
      x.hmacFinal(io);
      const out = get(0, 32);
      clear(Math.max(32, key.length, Math.min(m.length, cap))); // the key is a secret
      return out;
    },
    hkdfSha256(ikm, salt, info, length) {
      bytes('hkdfSha256', 'ikm', ikm); bytes('hkdfSha256', 'salt', salt); bytes('hkdfSha256', 'info', info);
      if (!Number.isInteger(length) || length < 0) throw new Error(`hkdfSha256: length must be a non-negative integer, got ${length}`);
      if (length > HKDF_MAX) throw new Error(`hkdfSha256: length must be at most ${HKDF_MAX} (255 * 32), got ${length}`);
      fits('hkdfSha256', 32 + salt.length + ikm.length + info.length + length, 'ikm + salt + info + length');
      const pSalt = put(32, salt), pIkm = put(32 + salt.length, ikm);
      x.hkdfExtract(io, pSalt, salt.length, pIkm, ikm.length);
      const pInfo = put(32, info);
      const outOff = 32 + info.length;
      const rc = x.hkdfExpand(io + outOff, length, io, pInfo, info.length);
      const okm = get(outOff, length);
      // The IKM, PRK and OKM are secrets: wipe everything this call wrote, on every path.
      clear(Math.max(32 + salt.length + ikm.length, outOff + length));
      if (rc !== FW_OK) throw new Error(`hkdfSha256: firmware error 0x${rc.toString(16)} (length ${length})`);
      return okm;
    },
    x25519(scalar, u) {
      need('x25519', 'scalar', scalar, 32); need('x25519', 'u', u, 32);
      put(32, scalar); put(64, u);
      const rc = x.x25519(io, io + 32, io + 64);
      const out = get(0, 32);
      mem.fill(0, io, io + 96);
      if (rc === FW_ERR_X25519_ZERO) throw new Error('x25519: all-zero shared secret (small-order u)');
      if (rc !== FW_OK) throw new Error(`x25519: firmware error 0x${rc.toString(16)}`);
      return out;
    },
    ed25519Verify(publicKey, message, signature) {
      need('ed25519Verify', 'publicKey', publicKey, 32); need('ed25519Verify', 'signature', signature, 64);
      bytes('ed25519Verify', 'message', message);
      put(0, publicKey); put(32, signature);
      x.ed25519VerifyInit(io, io + 32);
      stream(message, (p, n) => x.ed25519VerifyUpdate(p, n));
      const ok = x.ed25519VerifyFinal() === 1;
      clear(Math.max(96, Math.min(message.length, cap)));
      return ok;
    },
    chacha20poly1305Seal(key, nonce, aad, plaintext) {
      need('chacha20poly1305Seal', 'key', key, 32); need('chacha20poly1305Seal', 'nonce', nonce, 12);
      bytes('chacha20poly1305Seal', 'aad', aad); bytes('chacha20poly1305Seal', 'plaintext', plaintext);
      fits('chacha20poly1305Seal', 44 + aad.length + plaintext.length + 16, 'aad + plaintext');
      put(0, key); put(32, nonce);
      const pAad = put(44, aad);
      const pPt = put(44 + aad.length, plaintext);
      x.aeadSeal(pPt, io, io + 32, pAad, aad.length, pPt, plaintext.length);
      const out = get(44 + aad.length, plaintext.length + 16);
      mem.fill(0, io, io + 44 + aad.length + plaintext.length + 16);
      return out;
    },
    chacha20poly1305Open(key, nonce, aad, ciphertextAndTag) {
      need('chacha20poly1305Open', 'key', key, 32); need('chacha20poly1305Open', 'nonce', nonce, 12);
      bytes('chacha20poly1305Open', 'aad', aad); bytes('chacha20poly1305Open', 'ciphertextAndTag', ciphertextAndTag);
      if (ciphertextAndTag.length < 16) throw new Error(`chacha20poly1305Open: ciphertextAndTag must be at least 16 bytes (the tag), got ${ciphertextAndTag.length}`);
      fits('chacha20poly1305Open', 44 + aad.length + ciphertextAndTag.length, 'aad + ciphertextAndTag');
      const n = ciphertextAndTag.length - 16;
      put(0, key); put(32, nonce);
      const pAad = put(44, aad);
      const pCt = put(44 + aad.length, ciphertextAndTag);
      const rc = x.aeadOpen(pCt, io, io + 32, pAad, aad.length, pCt, n);
      const pt = rc === FW_OK ? get(44 + aad.length, n) : null;
      mem.fill(0, io, io + 44 + aad.length + ciphertextAndTag.length);
      return pt;
    },
    // ---- AES-128-CCM: 13-byte nonce (L = 2), tag length even in 4..16 -------------------------
    aes128CcmSeal(key, nonce13, aad, plaintext, tagLength) {
      const fn = 'aes128CcmSeal';
      need(fn, 'key', key, 16); need(fn, 'nonce13', nonce13, 13);
      bytes(fn, 'aad', aad); bytes(fn, 'plaintext', plaintext);
      ccmTagLength(fn, tagLength);
      ccmLengths(fn, aad.length, plaintext.length);
      fits(fn, 32 + aad.length + plaintext.length + tagLength, 'aad + plaintext');
      put(0, key); put(16, nonce13);
      const pAad = put(32, aad);
      const pPt = put(32 + aad.length, plaintext);
      const rc = x.aes128CcmSeal(pPt, io, io + 16, 13, pAad, aad.length, pPt, plaintext.length, tagLength);
      const out = rc === FW_OK ? get(32 + aad.length, plaintext.length + tagLength) : null;
      mem.fill(0, io, io + 32 + aad.length + plaintext.length + tagLength);
      if (out === null) throw new Error(`${fn}: firmware error 0x${rc.toString(16)}`);
      return out;
    },
    aes128CcmOpen(key, nonce13, aad, ciphertextAndTag, tagLength) {
      const fn = 'aes128CcmOpen';
      need(fn, 'key', key, 16); need(fn, 'nonce13', nonce13, 13);
      bytes(fn, 'aad', aad); bytes(fn, 'ciphertextAndTag', ciphertextAndTag);
      ccmTagLength(fn, tagLength);
      if (ciphertextAndTag.length < tagLength) throw new Error(`${fn}: ciphertextAndTag must be at least ${tagLength} bytes (the tag), got ${ciphertextAndTag.length}`);
      const n = ciphertextAndTag.length - tagLength;
      ccmLengths(fn, aad.length, n);
      fits(fn, 32 + aad.length + ciphertextAndTag.length, 'aad + ciphertextAndTag');
      put(0, key); put(16, nonce13);
      const pAad = put(32, aad);
      const pCt = put(32 + aad.length, ciphertextAndTag);
      const rc = x.aes128CcmOpen(pCt, io, io + 16, 13, pAad, aad.length, pCt, n, tagLength);
      const pt = rc === FW_OK ? get(32 + aad.length, n) : null;
      mem.fill(0, io, io + 32 + aad.length + ciphertextAndTag.length);
      if (rc !== FW_OK && rc !== FW_ERR_AEAD_TAG) throw new Error(`${fn}: firmware error 0x${rc.toString(16)}`);
      return pt;
    },
  };
  // ---- P-256 (issue 7) -----------------------------------------------------------------------
  const ecdsa = (fn: string, publicPoint: Uint8Array, message: Uint8Array, init: () => void): boolean => {
    bytes(fn, 'message', message);
    init();
    stream(message, (p, n) => x.ecdsaP256VerifyUpdate(p, n));
    const ok = x.ecdsaP256VerifyFinal() === 1;
    clear(Math.min(Math.max(65 + 72, message.length), cap));
    return ok;
  };
  const full: LoadedFirmware = {
    ...api,
    p256Ecdh(scalar, publicPoint) {
      need('p256Ecdh', 'scalar', scalar, 32); need('p256Ecdh', 'publicPoint', publicPoint, 65);
      put(32, scalar); put(64, publicPoint);
      const rc = x.p256Ecdh(io, io + 32, io + 64);
      const out = get(0, 32);
      mem.fill(0, io, io + 129);
      if (rc === FW_ERR_P256_POINT) throw new Error('p256Ecdh: invalid public point (not 04 || x || y on the curve with x, y < p)');
      if (rc === FW_ERR_P256_SCALAR) throw new Error('p256Ecdh: scalar out of range (0 or >= n)');
      if (rc !== FW_OK) throw new Error(`p256Ecdh: firmware error 0x${rc.toString(16)}`);
      return out;
    },
    ecdsaP256Verify(publicPoint, message, derSignature) {
      need('ecdsaP256Verify', 'publicPoint', publicPoint, 65); bytes('ecdsaP256Verify', 'derSignature', derSignature);
      // Strict DER is at most 72 bytes; longer inputs are rejected by the firmware, so pass at most 73.
      const sig = derSignature.subarray(0, 73);
      return ecdsa('ecdsaP256Verify', publicPoint, message, () => {
        put(0, publicPoint); put(65, sig);
        x.ecdsaP256VerifyInit(io, io + 65, derSignature.length > 72 ? 73 : sig.length);
      });
    },
    ecdsaP256VerifyP1363(publicPoint, message, signature) {
      need('ecdsaP256VerifyP1363', 'publicPoint', publicPoint, 65); bytes('ecdsaP256VerifyP1363', 'signature', signature);
      if (signature.length !== 64) { bytes('ecdsaP256VerifyP1363', 'message', message); return false; }
      return ecdsa('ecdsaP256VerifyP1363', publicPoint, message, () => {
        put(0, publicPoint); put(65, signature);
        x.ecdsaP256VerifyInitP1363(io, io + 65);
      });
    },
  };
  return full;
}

/** CCM tag lengths: even, 4..16 bytes (SP 800-38C; 8 is CCM_8). */
function ccmTagLength(fn: string, t: number): void {
  if (!Number.isInteger(t) || t < 4 || t > 16 || t % 2 !== 0) throw new Error(`${fn}: tagLength must be an even number of bytes from 4 to 16, got ${t}`);
}

/** CCM with a 13-byte nonce: L = 2 length bytes, so at most 65,535 bytes of payload; AAD at most 65,279 bytes (the two-byte encoding). */
function ccmLengths(fn: string, aadLen: number, n: number): void {
  if (aadLen > CCM_AAD_MAX) throw new RangeError(`${fn}: aad must be at most ${CCM_AAD_MAX} bytes, got ${aadLen}`);
  if (n > CCM_PAYLOAD_MAX) throw new RangeError(`${fn}: the payload must be at most ${CCM_PAYLOAD_MAX} bytes with a 13-byte nonce, got ${n}`);
}
