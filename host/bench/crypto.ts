/**
 * `npm run bench:crypto`: the firmware's primitives side by side with libsodium (WebAssembly),
 * noble (pure JS), tweetnacl (pure JS) and node:crypto (native OpenSSL), in one process.
 *
 * Wall time: medians over interleaved rounds (every round runs each library once, in rotating
 * order, on a batch sized to ~10 ms), reported with the ratio to libsodium. Deterministic cost:
 * executed WebAssembly instructions per operation, for the firmware and for libsodium's own
 * module, both counted by host/bench/wasm-count.ts (basic-block counters, `end` not counted:
 * the convention behind the reference counts). libsodium is counted in a child process
 * so that the timed copy runs uninstrumented.
 *
 * P-256 (issue 7) is timed in both crypto-core builds: build/crypto.wasm (the speed build) and
 * build/crypto.small.wasm (the size build, whose code paths the dual-suite handset links), each
 * with its ratio to node:crypto and its speedup over noble.
 *
 * Flags: --json (print the JSON report), --rounds N (default 21), --out FILE (default
 * docs/bench/crypto.json), --quick (fewer rounds, for a smoke run).
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPath, loadFirmware, type LoadedFirmware } from '../firmware.js';
import { captureInstantiations, instrumentWasm, readCount, resetCount } from './wasm-count.js';

type Op = 'X25519' | 'Ed25519 verify' | 'SHA-256 1 KiB' | 'SHA-512 1 KiB' | 'HMAC-SHA256 64 B' | 'ChaCha20-Poly1305 seal 256 B' | 'AES-128-CCM seal 256 B (tag 8)' | 'P-256 ECDH' | 'ECDSA P-256 verify';
const OPS: Op[] = ['X25519', 'Ed25519 verify', 'SHA-256 1 KiB', 'SHA-512 1 KiB', 'HMAC-SHA256 64 B', 'ChaCha20-Poly1305 seal 256 B', 'AES-128-CCM seal 256 B (tag 8)', 'P-256 ECDH', 'ECDSA P-256 verify'];
/** Operations libsodium does not offer (no AES-CCM): their rows have no libsodium ratio. */
const CCM: Op = 'AES-128-CCM seal 256 B (tag 8)';
type Impl = Partial<Record<Op, () => unknown>>;

/** Targets from issue 2 (executed WebAssembly instructions; wall time for X25519). */
const TARGETS: { op: Op; maxInstructions: number; libsodiumReference?: number }[] = [
  { op: 'X25519', maxInstructions: 1_400_000, libsodiumReference: 1_756_947 },
  { op: 'Ed25519 verify', maxInstructions: 1_600_000, libsodiumReference: 1_985_054 },
  { op: 'SHA-256 1 KiB', maxInstructions: 108_000 },
  { op: 'ChaCha20-Poly1305 seal 256 B', maxInstructions: 21_000 },
];

/** Fixed inputs (deterministic from a seed) shared by every library. */
function inputs() {
  const rnd = (n: number, tag: string) => new Uint8Array(crypto.createHash('shake256', { outputLength: n }).update(`airshake-bench-${tag}`).digest());
  const scalar = rnd(32, 'scalar');
  const u = rnd(32, 'u'); u[31]! &= 127;
  const seed = rnd(32, 'ed-seed');
  const edPriv = crypto.createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
  const edPub = crypto.createPublicKey(edPriv);
  const pk = new Uint8Array(Buffer.from(edPub.export({ format: 'jwk' }).x!, 'base64url'));
  const msg64 = rnd(64, 'msg64');
  const sig = new Uint8Array(crypto.sign(null, msg64, edPriv));
  return {
    scalar, u, pk, sig, msg64, edPub,
    kib: rnd(1024, 'kib'), key32: rnd(32, 'key32'), nonce: rnd(12, 'nonce'), pt256: rnd(256, 'pt256'),
    key16: rnd(16, 'key16'), nonce13: rnd(13, 'nonce13'),
    xPriv: crypto.createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), scalar]), format: 'der', type: 'pkcs8' }),
    xPub: crypto.createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b656e032100', 'hex'), u]), format: 'der', type: 'spki' }),
  };
}
type Inputs = ReturnType<typeof inputs>;

/**
 * P-256 inputs (issue 7), deterministic from the seed: our scalar, the peer's uncompressed point,
 * and a key with a DER signature on a 64-byte message (the signature itself is randomised by
 * node:crypto's nonce; its verification cost is not).
 */
function p256Inputs() {
  const rnd = (tag: string) => crypto.createHash('sha256').update(`airshake-bench-p256-${tag}`).digest();
  const me = crypto.createECDH('prime256v1'); me.setPrivateKey(rnd('scalar'));
  const peer = crypto.createECDH('prime256v1'); peer.setPrivateKey(rnd('peer'));
  const signer = crypto.createECDH('prime256v1'); signer.setPrivateKey(rnd('signer'));
  const pub = signer.getPublicKey();
  const jwk = (e: crypto.ECDH, pubKey: Buffer) => ({
    kty: 'EC', crv: 'P-256', x: pubKey.subarray(1, 33).toString('base64url'), y: pubKey.subarray(33).toString('base64url'), d: e.getPrivateKey().toString('base64url'),
  });
  const sk = crypto.createPrivateKey({ key: jwk(signer, pub), format: 'jwk' });
  const pk = crypto.createPublicKey(sk);
  const msg = crypto.createHash('shake256', { outputLength: 64 }).update('airshake-bench-p256-msg').digest();
  return {
    scalar: new Uint8Array(me.getPrivateKey()), peerPoint: new Uint8Array(peer.getPublicKey()), me,
    meKey: crypto.createPrivateKey({ key: jwk(me, me.getPublicKey()), format: 'jwk' }),
    peerKey: crypto.createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: peer.getPublicKey().subarray(1, 33).toString('base64url'), y: peer.getPublicKey().subarray(33).toString('base64url') }, format: 'jwk' }),
    signerPoint: new Uint8Array(pub), pk, msg: new Uint8Array(msg), sig: new Uint8Array(crypto.sign('sha256', msg, sk)),
  };
}

// libsodium-wrappers-sumo: the standard libsodium-wrappers build omits SHA-256 and HMAC-SHA256.
interface Sodium {
  ready: Promise<void>;
  crypto_scalarmult(n: Uint8Array, p: Uint8Array): Uint8Array;
  crypto_sign_verify_detached(sig: Uint8Array, m: Uint8Array, pk: Uint8Array): boolean;
  crypto_hash_sha256(m: Uint8Array): Uint8Array;
  crypto_hash_sha512(m: Uint8Array): Uint8Array;
  crypto_auth_hmacsha256(m: Uint8Array, k: Uint8Array): Uint8Array;
  crypto_aead_chacha20poly1305_ietf_encrypt(m: Uint8Array, ad: Uint8Array | null, ns: null, npub: Uint8Array, k: Uint8Array): Uint8Array;
}

function sodiumImpl(s: Sodium, i: Inputs): Impl {
  return {
    'X25519': () => s.crypto_scalarmult(i.scalar, i.u),
    'Ed25519 verify': () => { if (!s.crypto_sign_verify_detached(i.sig, i.msg64, i.pk)) throw new Error('libsodium verify failed'); },
    'SHA-256 1 KiB': () => s.crypto_hash_sha256(i.kib),
    'SHA-512 1 KiB': () => s.crypto_hash_sha512(i.kib),
    'HMAC-SHA256 64 B': () => s.crypto_auth_hmacsha256(i.msg64, i.key32),
    'ChaCha20-Poly1305 seal 256 B': () => s.crypto_aead_chacha20poly1305_ietf_encrypt(i.pt256, null, null, i.nonce, i.key32),
  };
}

async function loadSodium(): Promise<Sodium> {
  const mod = (await import('libsodium-wrappers-sumo')) as unknown as { default: Sodium };
  await mod.default.ready;
  return mod.default;
}

/** Child-process mode: libsodium's instruction counts, with its module instrumented. */
async function sodiumCounts(): Promise<void> {
  const cap = captureInstantiations({ countEnd: false });
  const s = await loadSodium();
  cap.restore();
  const inst = cap.instances.at(-1)!;
  const impl = sodiumImpl(s, inputs());
  const out: Record<string, number> = {};
  for (const op of OPS) {
    if (!impl[op]) continue;
    impl[op]!(); // warm: lazy initialisation inside libsodium is not the operation's cost
    resetCount(inst); impl[op]!(); out[op] = Number(readCount(inst));
  }
  process.stdout.write(JSON.stringify(out));
}

/**
 * AES-128-CCM seal (13-byte nonce, 8-byte tag, no AAD) composed from @noble/ciphers' AES modes,
 * which include no CCM: the CBC-MAC is the last block of AES-CBC (zero IV) over B0 || payload
 * padded, the payload is AES-CTR from A1, and the tag mask is AES-ECB of A0.
 */
function nobleCcmSeal(aes: typeof import('@noble/ciphers/aes.js'), key: Uint8Array, nonce13: Uint8Array, pt: Uint8Array): Uint8Array {
  const n = pt.length;
  const mac = new Uint8Array(16 + Math.ceil(n / 16) * 16);
  mac[0] = (((8 - 2) / 2) << 3) | 1; mac.set(nonce13, 1); mac[14] = n >> 8; mac[15] = n & 255;
  mac.set(pt, 16);
  const cbc = aes.cbc(key, new Uint8Array(16), { disablePadding: true }).encrypt(mac);
  const a = new Uint8Array(16); a[0] = 1; a.set(nonce13, 1);
  const s0 = aes.ecb(key, { disablePadding: true }).encrypt(a);
  a[15] = 1;
  const out = new Uint8Array(n + 8);
  out.set(aes.ctr(key, a).encrypt(pt));
  for (let k = 0; k < 8; k++) out[n + k] = cbc[cbc.length - 16 + k]! ^ s0[k]!;
  return out;
}

/**
 * Executed-instruction counts (`end` not counted) of the crypto core's speed build
 * (build/crypto.wasm) and of libsodium for the same inputs, each operation run once to warm up and
 * once counted. libsodium is counted in a child process (this file with --sodium-counts), since
 * instrumenting it means capturing its instantiation. Also returns the counted firmware instance.
 */
export async function deterministicCounts(): Promise<{ firmware: Record<string, number>; libsodium: Record<string, number>; counted: LoadedFirmware }> {
  const i = inputs();
  const ci = await loadFirmware({ wasm: instrumentWasm(readFileSync(buildPath('crypto.wasm')), { countEnd: false }) });
  const countOf = (f: () => unknown) => { f(); resetCount(ci.instance); f(); return Number(readCount(ci.instance)); };
  const firmware: Record<string, number> = {
    'X25519': countOf(() => ci.x25519(i.scalar, i.u)),
    'Ed25519 verify': countOf(() => ci.ed25519Verify(i.pk, i.msg64, i.sig)),
    'SHA-256 1 KiB': countOf(() => ci.sha256(i.kib)),
    'SHA-512 1 KiB': countOf(() => ci.sha512(i.kib)),
    'HMAC-SHA256 64 B': countOf(() => ci.hmacSha256(i.key32, i.msg64)),
    'ChaCha20-Poly1305 seal 256 B': countOf(() => ci.chacha20poly1305Seal(i.key32, i.nonce, new Uint8Array(0), i.pt256)),
    [CCM]: countOf(() => ci.aes128CcmSeal(i.key16, i.nonce13, new Uint8Array(0), i.pt256, 8)),
  };
  const self = path.join(path.dirname(fileURLToPath(import.meta.url)), 'crypto.js');
  const libsodium = JSON.parse(execFileSync(process.execPath, [self, '--sodium-counts'], { encoding: 'utf8' })) as Record<string, number>;
  return { firmware, libsodium, counted: ci };
}

function median(a: number[]): number { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]!; }

function timeBatch(f: () => unknown, n: number): number {
  const t = process.hrtime.bigint();
  for (let k = 0; k < n; k++) f();
  return Number(process.hrtime.bigint() - t) / 1e3 / n; // µs per call
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--sodium-counts')) return sodiumCounts();
  const json = argv.includes('--json');
  const quick = argv.includes('--quick');
  const roundsArg = argv.indexOf('--rounds');
  const rounds = roundsArg >= 0 ? Number(argv[roundsArg + 1]) : quick ? 5 : 21;
  const outArg = argv.indexOf('--out');
  const here = path.dirname(fileURLToPath(import.meta.url));
  const root = path.resolve(here, path.basename(path.dirname(path.dirname(here))) === 'dist' ? '../../..' : '../..');
  const outFile = outArg >= 0 ? argv[outArg + 1]! : path.join(root, 'docs/bench/crypto.json');
  const log = (s: string) => { if (!json) console.log(s); };

  const i = inputs();
  const fw = await loadFirmware();
  // The size build, uninstrumented, for P-256's wall time (the handset's code paths).
  const fwSmall = await loadFirmware({ wasm: readFileSync(buildPath('crypto.small.wasm')) });
  const sodium = await loadSodium();
  const { x25519, ed25519 } = await import('@noble/curves/ed25519.js');
  const { sha256, sha512 } = await import('@noble/hashes/sha2.js');
  const { hmac } = await import('@noble/hashes/hmac.js');
  const { chacha20poly1305 } = await import('@noble/ciphers/chacha.js');
  const nobleAes = await import('@noble/ciphers/aes.js');
  const nacl = (await import('tweetnacl')).default;

  const FW = 'airshake firmware (wasm)', FW_SMALL = 'airshake firmware, size build (wasm)';
  const libs: Record<string, Impl> = {
    [FW]: {
      'X25519': () => fw.x25519(i.scalar, i.u),
      'Ed25519 verify': () => { if (!fw.ed25519Verify(i.pk, i.msg64, i.sig)) throw new Error('firmware verify failed'); },
      'SHA-256 1 KiB': () => fw.sha256(i.kib),
      'SHA-512 1 KiB': () => fw.sha512(i.kib),
      'HMAC-SHA256 64 B': () => fw.hmacSha256(i.key32, i.msg64),
      'ChaCha20-Poly1305 seal 256 B': () => fw.chacha20poly1305Seal(i.key32, i.nonce, new Uint8Array(0), i.pt256),
      [CCM]: () => fw.aes128CcmSeal(i.key16, i.nonce13, new Uint8Array(0), i.pt256, 8),
    },
    // P-256 only (below): the size build's other primitives are not part of any target here.
    [FW_SMALL]: {},
    'libsodium 0.8.4 (wasm)': sodiumImpl(sodium, i),
    'noble 2.4 (js)': {
      'X25519': () => x25519.scalarMult(i.scalar, i.u),
      'Ed25519 verify': () => { if (!ed25519.verify(i.sig, i.msg64, i.pk)) throw new Error('noble verify failed'); },
      'SHA-256 1 KiB': () => sha256(i.kib),
      'SHA-512 1 KiB': () => sha512(i.kib),
      'HMAC-SHA256 64 B': () => hmac(sha256, i.key32, i.msg64),
      'ChaCha20-Poly1305 seal 256 B': () => chacha20poly1305(i.key32, i.nonce).encrypt(i.pt256),
      // @noble/ciphers 2.4 has no CCM: composed here from its AES-CBC (the CBC-MAC), AES-CTR and AES-ECB.
      [CCM]: () => nobleCcmSeal(nobleAes, i.key16, i.nonce13, i.pt256),
    },
    'tweetnacl 1.0.3 (js)': {
      'X25519': () => nacl.scalarMult(i.scalar, i.u),
      'Ed25519 verify': () => { if (!nacl.sign.detached.verify(i.msg64, i.sig, i.pk)) throw new Error('tweetnacl verify failed'); },
      'SHA-512 1 KiB': () => nacl.hash(i.kib),
    },
    'node:crypto (native OpenSSL)': {
      'X25519': () => crypto.diffieHellman({ privateKey: i.xPriv, publicKey: i.xPub }),
      'Ed25519 verify': () => { if (!crypto.verify(null, i.msg64, i.edPub, i.sig)) throw new Error('node verify failed'); },
      'SHA-256 1 KiB': () => crypto.createHash('sha256').update(i.kib).digest(),
      'SHA-512 1 KiB': () => crypto.createHash('sha512').update(i.kib).digest(),
      'HMAC-SHA256 64 B': () => crypto.createHmac('sha256', i.key32).update(i.msg64).digest(),
      'ChaCha20-Poly1305 seal 256 B': () => {
        const c = crypto.createCipheriv('chacha20-poly1305', i.key32, i.nonce, { authTagLength: 16 });
        return [c.update(i.pt256), c.final(), c.getAuthTag()];
      },
      [CCM]: () => {
        const c = crypto.createCipheriv('aes-128-ccm', i.key16, i.nonce13, { authTagLength: 8 });
        c.setAAD(new Uint8Array(0), { plaintextLength: 256 });
        return Buffer.concat([c.update(i.pt256), c.final(), c.getAuthTag()]);
      },
    },
  };

  const same = (a: unknown, b: unknown) => Buffer.from(a as Uint8Array).equals(Buffer.from(b as Uint8Array));
  // P-256 (issue 7): firmware, noble and node:crypto; libsodium has no P-256.
  const pi = p256Inputs();
  const { p256 } = await import('@noble/curves/nist.js');
  Object.assign(libs[FW]!, {
    'P-256 ECDH': () => fw.p256Ecdh(pi.scalar, pi.peerPoint),
    'ECDSA P-256 verify': () => { if (!fw.ecdsaP256Verify(pi.signerPoint, pi.msg, pi.sig)) throw new Error('firmware P-256 verify failed'); },
  });
  Object.assign(libs[FW_SMALL]!, {
    'P-256 ECDH': () => fwSmall.p256Ecdh(pi.scalar, pi.peerPoint),
    'ECDSA P-256 verify': () => { if (!fwSmall.ecdsaP256Verify(pi.signerPoint, pi.msg, pi.sig)) throw new Error('firmware (size build) P-256 verify failed'); },
  });
  Object.assign(libs['noble 2.4 (js)']!, {
    'P-256 ECDH': () => p256.getSharedSecret(pi.scalar, pi.peerPoint).subarray(1, 33),
    'ECDSA P-256 verify': () => { if (!p256.verify(pi.sig, pi.msg, pi.signerPoint, { format: 'der', lowS: false })) throw new Error('noble P-256 verify failed'); },
  });
  Object.assign(libs['node:crypto (native OpenSSL)']!, {
    'P-256 ECDH': () => crypto.diffieHellman({ privateKey: pi.meKey, publicKey: pi.peerKey }),
    'ECDSA P-256 verify': () => { if (!crypto.verify('sha256', pi.msg, pi.pk, pi.sig)) throw new Error('node P-256 verify failed'); },
  });
  for (const lib of [FW_SMALL, 'noble 2.4 (js)', 'node:crypto (native OpenSSL)']) {
    if (!same(libs[FW]!['P-256 ECDH']!(), libs[lib]!['P-256 ECDH']!())) throw new Error(`P-256 ECDH: firmware and ${lib} disagree`);
    libs[lib]!['ECDSA P-256 verify']!();
  }
  libs[FW]!['ECDSA P-256 verify']!();

  // Same answers first: a benchmark of wrong code is worthless.
  const fwl = libs[FW]!, sol = libs['libsodium 0.8.4 (wasm)']!;
  for (const op of ['X25519', 'SHA-256 1 KiB', 'SHA-512 1 KiB', 'HMAC-SHA256 64 B', 'ChaCha20-Poly1305 seal 256 B'] as Op[]) {
    if (!same(fwl[op]!(), sol[op]!())) throw new Error(`${op}: firmware and libsodium disagree`);
  }
  for (const lib of ['noble 2.4 (js)', 'node:crypto (native OpenSSL)']) {
    if (!same(fwl[CCM]!(), libs[lib]![CCM]!())) throw new Error(`${CCM}: firmware and ${lib} disagree`);
  }

  log(`bench:crypto  node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'}, ${rounds} interleaved rounds`);
  const rows: { op: Op; lib: string; usMedian: number; ratioToLibsodium: number | null; wasmInstructions: number | null }[] = [];
  const names = Object.keys(libs);
  for (const op of OPS) {
    const impls = names.filter((n) => libs[n]![op]).map((n) => ({ n, f: libs[n]![op]! }));
    // Batch size: about 10 ms per batch, from a short calibration of each implementation.
    const batch = new Map<string, number>();
    for (const { n, f } of impls) {
      for (let k = 0; k < 20; k++) f();
      const est = timeBatch(f, 20);
      batch.set(n, Math.max(1, Math.round(10_000 / Math.max(est, 0.01))));
    }
    const samples = new Map<string, number[]>(impls.map(({ n }) => [n, []]));
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < impls.length; k++) {
        const { n, f } = impls[(k + r) % impls.length]!;
        samples.get(n)!.push(timeBatch(f, batch.get(n)!));
      }
    }
    const sodiumSamples = samples.get('libsodium 0.8.4 (wasm)');
    const sodiumUs = sodiumSamples ? median(sodiumSamples) : null;
    for (const { n } of impls) {
      const us = median(samples.get(n)!);
      rows.push({ op, lib: n, usMedian: us, ratioToLibsodium: sodiumUs === null ? null : us / sodiumUs, wasmInstructions: null });
    }
  }

  // Deterministic costs.
  const { firmware: fwCounts, libsodium: sodiumCount, counted: ci } = await deterministicCounts();
  const countOf = (f: () => unknown) => { f(); resetCount(ci.instance); f(); return Number(readCount(ci.instance)); };
  // The size build's AES-CCM (the handset's code paths), counted the same way.
  const smallCounted = await loadFirmware({ wasm: instrumentWasm(readFileSync(buildPath('crypto.small.wasm')), { countEnd: false }) });
  resetCount(smallCounted.instance);
  smallCounted.aes128CcmSeal(i.key16, i.nonce13, new Uint8Array(0), i.pt256, 8);
  const smallCcmCount = Number(readCount(smallCounted.instance));
  for (const row of rows) {
    if (row.lib === FW) row.wasmInstructions = fwCounts[row.op] ?? null;
    if (row.lib.startsWith('libsodium')) row.wasmInstructions = sodiumCount[row.op] ?? null;
  }

  // P-256 (issue 7): instruction counts in both builds, and the wall-time targets.
  fwCounts['P-256 ECDH'] = countOf(() => ci.p256Ecdh(pi.scalar, pi.peerPoint));
  fwCounts['ECDSA P-256 verify'] = countOf(() => ci.ecdsaP256Verify(pi.signerPoint, pi.msg, pi.sig));
  const smallCountOf = (f: () => unknown) => { f(); resetCount(smallCounted.instance); f(); return Number(readCount(smallCounted.instance)); };
  const p256Small = {
    'P-256 ECDH': smallCountOf(() => smallCounted.p256Ecdh(pi.scalar, pi.peerPoint)),
    'ECDSA P-256 verify': smallCountOf(() => smallCounted.ecdsaP256Verify(pi.signerPoint, pi.msg, pi.sig)),
  };
  for (const row of rows) {
    if (!(row.op in p256Small)) continue;
    if (row.lib === FW) row.wasmInstructions = fwCounts[row.op] ?? null;
    if (row.lib === FW_SMALL) row.wasmInstructions = p256Small[row.op as keyof typeof p256Small];
  }
  const usOf = (op: Op, lib: string) => rows.find((r) => r.op === op && r.lib === lib)!.usMedian;
  const p256Targets = (['P-256 ECDH', 'ECDSA P-256 verify'] as Op[]).map((op) => {
    const fwUs = usOf(op, FW), smallUs = usOf(op, FW_SMALL), nativeUs = usOf(op, 'node:crypto (native OpenSSL)'), nobleUs = usOf(op, 'noble 2.4 (js)');
    return { op, firmwareUs: fwUs, nativeUs, nobleUs, ratioToNative: fwUs / nativeUs, speedupOverNoble: nobleUs / fwUs,
      met: fwUs <= 3 * nativeUs && nobleUs / fwUs >= 12, smallBuildInstructions: p256Small[op as keyof typeof p256Small],
      // The size build (build/crypto.small.wasm), the dual-suite handset's code paths, in the same run.
      smallBuildUs: smallUs, smallBuildRatioToNative: smallUs / nativeUs, smallBuildSpeedupOverNoble: nobleUs / smallUs,
      smallBuildMet: smallUs <= 3 * nativeUs && nobleUs / smallUs >= 12 };
  });

  const wasmBytes = statSync(buildPath('crypto.wasm')).size;
  const heapBase = fw.exports.heapBase() >>> 0;
  const ioCap = fw.exports.ioCap() >>> 0;
  const targets = TARGETS.map((t) => ({
    ...t,
    measured: fwCounts[t.op]!,
    libsodiumMeasured: sodiumCount[t.op]!,
    met: fwCounts[t.op]! <= t.maxInstructions,
  }));
  const x25519Ratio = rows.find((r) => r.op === 'X25519' && r.lib === FW)!.ratioToLibsodium!;

  const report = {
    command: 'npm run bench:crypto',
    date: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    rounds,
    rows,
    deterministic: {
      module: 'build/crypto.wasm (release, crypto-core build exporting every primitive)',
      wasmBytes,
      memoryPages: fw.exports.memory.buffer.byteLength / 65536,
      staticBytes: heapBase,
      staticBytesExcludingIoWindow: heapBase - ioCap,
      ioWindowBytes: ioCap,
      instructionConvention: 'executed wasm instructions, basic-block counters, `end` not counted',
      firmwareInstructions: fwCounts,
      firmwareSmallBuildInstructions: { [CCM]: smallCcmCount },
      libsodiumInstructions: sodiumCount,
    },
    targets: [...targets, { op: 'X25519 wall time', maxRatioToLibsodium: 1.0, measured: x25519Ratio, met: x25519Ratio <= 1.0 }],
    p256Targets: {
      rule: 'firmware (crypto.wasm) <= 3 x node:crypto and >= 12 x faster than noble (issue 7); smallBuild*: the same for the size build (crypto.small.wasm, the dual handset\'s code paths)',
      rows: p256Targets,
    },
  };
  mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileSync(outFile, JSON.stringify(report, null, 2) + '\n');
  if (json) { console.log(JSON.stringify(report, null, 2)); return; }

  const pad = (s: string, n: number) => s.padEnd(n);
  const lpad = (s: string, n: number) => s.padStart(n);
  log('');
  log(`${pad('operation', 32)}${pad('library', 38)}${lpad('µs/op', 10)}${lpad('× libsodium', 13)}${lpad('wasm instr', 13)}`);
  for (const r of rows) {
    log(`${pad(r.op, 32)}${pad(r.lib, 38)}${lpad(r.usMedian.toFixed(2), 10)}${lpad(r.ratioToLibsodium === null ? '' : r.ratioToLibsodium.toFixed(2), 13)}${lpad(r.wasmInstructions === null ? '' : r.wasmInstructions.toLocaleString('en-US'), 13)}`);
  }
  log('');
  log(`release module: ${wasmBytes} bytes, ${report.deterministic.memoryPages} page(s) of 64 KiB, static memory ${heapBase} bytes (${heapBase - ioCap} without the ${ioCap}-byte host IO window)`);
  log(`${CCM} in the size build (build/crypto.small.wasm): ${smallCcmCount.toLocaleString('en-US')} instructions`);
  log('targets (issue 2):');
  for (const t of targets) {
    log(`  ${pad(t.op, 30)} ${t.measured.toLocaleString('en-US')} instructions (target <= ${t.maxInstructions.toLocaleString('en-US')}; libsodium here ${t.libsodiumMeasured.toLocaleString('en-US')})  ${t.met ? 'met' : 'MISSED'}`);
  }
  log(`  ${pad('X25519 wall time', 30)} ${x25519Ratio.toFixed(2)} × libsodium (target <= 1.00)  ${x25519Ratio <= 1 ? 'met' : 'MISSED'}`);
  log('targets (issue 7, wall time): firmware <= 3 × node:crypto and >= 12 × faster than noble');
  for (const t of p256Targets) {
    log(`  ${pad(t.op, 30)} speed build ${t.firmwareUs.toFixed(1)} µs = ${t.ratioToNative.toFixed(2)} × native, ${t.speedupOverNoble.toFixed(1)} × faster than noble  ${t.met ? 'met' : 'MISSED'}`);
    log(`  ${pad('', 30)} size build  ${t.smallBuildUs.toFixed(1)} µs = ${t.smallBuildRatioToNative.toFixed(2)} × native, ${t.smallBuildSpeedupOverNoble.toFixed(1)} × faster than noble  ${t.smallBuildMet ? 'met' : 'MISSED'}; ${t.smallBuildInstructions.toLocaleString('en-US')} instructions`);
  }
  log(`\nJSON written to ${path.relative(process.cwd(), outFile)}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((e) => { console.error(e); process.exit(1); });
}
