// Deterministic cost budgets of the crypto core (issue 2 targets). Executed WebAssembly
// instructions are the same on every machine for the same module and inputs, so they can be
// asserted; wall time is only ever reported by `npm run bench:crypto`.
import test from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { buildPath, loadFirmware } from '../host/index.js';
import { instrumentWasm, readCount, resetCount } from '../host/bench/wasm-count.js';

const BUDGETS = {
  x25519: 1_400_000,          // libsodium 0.8.4: 1,756,947
  ed25519Verify: 1_600_000,   // libsodium 0.8.4: 1,985,054
  sha256OneKiB: 108_000,
  aeadSeal256: 21_000,
};

test('release module: no imports, one fixed page', () => {
  const mod = new WebAssembly.Module(readFileSync(buildPath('crypto.wasm')));
  assert.deepEqual(WebAssembly.Module.imports(mod), [], 'the release crypto core imports nothing (no abort)');
  assert.ok(WebAssembly.Module.exports(mod).some((e) => e.name === 'memory' && e.kind === 'memory'));
});

test('executed-instruction budgets (end opcodes not counted)', async () => {
  const fw = await loadFirmware({ wasm: instrumentWasm(readFileSync(buildPath('crypto.wasm')), { countEnd: false }) });
  const count = (f: () => unknown): number => { resetCount(fw.instance); f(); return Number(readCount(fw.instance)); };
  const x = count(() => fw.x25519(crypto.randomBytes(32), crypto.randomBytes(32).fill(9, 0, 1)));
  assert.ok(x <= BUDGETS.x25519, `x25519: ${x} > ${BUDGETS.x25519}`);
  // Ed25519 verification is variable-time: take the worst of several random keys and messages.
  let worst = 0;
  for (let k = 0; k < 10; k++) {
    const kp = crypto.generateKeyPairSync('ed25519');
    const pk = Buffer.from(kp.publicKey.export({ format: 'jwk' }).x!, 'base64url');
    const m = crypto.randomBytes(64);
    const sig = crypto.sign(null, m, kp.privateKey);
    worst = Math.max(worst, count(() => assert.equal(fw.ed25519Verify(pk, m, sig), true)));
  }
  assert.ok(worst <= BUDGETS.ed25519Verify, `ed25519 verify: ${worst} > ${BUDGETS.ed25519Verify}`);
  const h = count(() => fw.sha256(crypto.randomBytes(1024)));
  assert.ok(h <= BUDGETS.sha256OneKiB, `sha256 1 KiB: ${h} > ${BUDGETS.sha256OneKiB}`);
  const a = count(() => fw.chacha20poly1305Seal(crypto.randomBytes(32), crypto.randomBytes(12), new Uint8Array(0), crypto.randomBytes(256)));
  assert.ok(a <= BUDGETS.aeadSeal256, `aead seal 256 B: ${a} > ${BUDGETS.aeadSeal256}`);
});
