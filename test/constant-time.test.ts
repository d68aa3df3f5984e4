// Constant-time evidence by instruction counting: for a fixed length, the number of executed
// WebAssembly instructions must not depend on the secret inputs.
import test from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { buildPath, loadFirmware } from '../host/index.js';
import { instrumentWasm, readCount, resetCount } from '../host/bench/wasm-count.js';

async function counted() {
  const fw = await loadFirmware({ wasm: instrumentWasm(readFileSync(buildPath('crypto.wasm'))) });
  const count = (f: () => void): bigint => { resetCount(fw.instance); f(); return readCount(fw.instance); };
  return { fw, count };
}

function distinct(values: bigint[]): bigint[] { return [...new Set(values)]; }

test('x25519 executes the same instruction count for 100 random secrets', async () => {
  const { fw, count } = await counted();
  const u = crypto.randomBytes(32);
  const counts: bigint[] = [];
  for (let i = 0; i < 100; i++) {
    const scalar = crypto.randomBytes(32);
    counts.push(count(() => { try { fw.x25519(scalar, u); } catch { /* small-order u: same path */ } }));
  }
  // and for random peers too: u is also secret-adjacent (the peer's key is public, but cheap to show)
  for (let i = 0; i < 20; i++) counts.push(count(() => fw.x25519(crypto.randomBytes(32), crypto.randomBytes(32).fill(9, 0, 1))));
  assert.deepEqual(distinct(counts), [counts[0]], `x25519 counts differ: ${distinct(counts).join(', ')}`);
  assert.ok(counts[0]! > 1_000_000n, 'the counter must see the whole ladder');
});

test('ChaCha20-Poly1305 seal and open at a fixed length: one count for 100 random keys, nonces, messages', async () => {
  const { fw, count } = await counted();
  const seal: bigint[] = [], open: bigint[] = [];
  for (let i = 0; i < 100; i++) {
    const key = crypto.randomBytes(32), nonce = crypto.randomBytes(12), aad = crypto.randomBytes(20), pt = crypto.randomBytes(256);
    let ct!: Uint8Array;
    seal.push(count(() => { ct = fw.chacha20poly1305Seal(key, nonce, aad, pt); }));
    open.push(count(() => { assert.ok(fw.chacha20poly1305Open(key, nonce, aad, ct)); }));
  }
  assert.deepEqual(distinct(seal), [seal[0]]);
  assert.deepEqual(distinct(open), [open[0]]);
});

test('HMAC-SHA256 at fixed key and message lengths: one count for 100 random keys and messages', async () => {
  const { fw, count } = await counted();
  const counts: bigint[] = [];
  for (let i = 0; i < 100; i++) {
    const key = crypto.randomBytes(32), m = crypto.randomBytes(64);
    counts.push(count(() => fw.hmacSha256(key, m)));
  }
  assert.deepEqual(distinct(counts), [counts[0]]);
});

test('HKDF-SHA256 at fixed lengths: one count for 100 random inputs', async () => {
  const { fw, count } = await counted();
  const counts: bigint[] = [];
  for (let i = 0; i < 100; i++) {
    const ikm = crypto.randomBytes(32), salt = crypto.randomBytes(64), info = crypto.randomBytes(40);
    counts.push(count(() => fw.hkdfSha256(ikm, salt, info, 96)));
  }
  assert.deepEqual(distinct(counts), [counts[0]]);
});

test('the instruction counter can tell different work apart (so equal counts mean something)', async () => {
  const { fw, count } = await counted();
  const key = crypto.randomBytes(32);
  // 64 and 65 message bytes take the same blocks (the count is block-exact), 64 and 120 do not.
  assert.notEqual(count(() => fw.hmacSha256(key, new Uint8Array(64))), count(() => fw.hmacSha256(key, new Uint8Array(120))));
});
