// Static memory only: every primitive, thousands of times, in a module whose memory cannot grow,
// and the bump allocator's pointer (AssemblyScript's minimal runtime) never moves.
import test from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { loadFirmware } from '../host/index.js';

const PAGE = 65536;

test('the crypto core declares one fixed 64 KiB page and cannot grow', async () => {
  const fw = await loadFirmware();
  const memory = fw.exports.memory;
  assert.equal(memory.buffer.byteLength, PAGE);
  assert.throws(() => memory.grow(1), RangeError, 'memory.grow must fail: maximum = initial = 1 page');
  assert.equal(memory.buffer.byteLength, PAGE);
});

test('no primitive allocates: the bump allocator pointer stays put over thousands of calls', async () => {
  const fw = await loadFirmware();
  const x = fw.exports;
  // Each probe allocates one empty block; two probes give the allocator's stride for it.
  const p0 = x.heapProbe() >>> 0;
  const p1 = x.heapProbe() >>> 0;
  const stride = p1 - p0;
  assert.ok(stride > 0, 'the probe itself must move the pointer, or the check proves nothing');

  const key = crypto.randomBytes(32), nonce = crypto.randomBytes(12);
  const kp = crypto.generateKeyPairSync('ed25519');
  const pk = Buffer.from(kp.publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const N = 2000;
  for (let i = 0; i < N; i++) {
    const m = crypto.randomBytes(i % 300);
    fw.sha256(m); fw.sha512(m); fw.hmacSha256(key.subarray(0, i % 33), m);
    fw.hkdfSha256(m, key, nonce, 1 + (i % 100));
    const ct = fw.chacha20poly1305Seal(key, nonce, nonce, m);
    assert.ok(fw.chacha20poly1305Open(key, nonce, nonce, ct));
    if (ct.length > 0) { ct[0] ^= 1; assert.equal(fw.chacha20poly1305Open(key, nonce, nonce, ct), null); }
    if (i % 4 === 0) {
      fw.x25519(crypto.randomBytes(32), crypto.randomBytes(32).fill(9, 0, 1));
      const sig = crypto.sign(null, m, kp.privateKey);
      assert.equal(fw.ed25519Verify(pk, m, sig), true);
      sig[7] ^= 4;
      assert.equal(fw.ed25519Verify(pk, m, sig), false);
    }
  }
  const p2 = x.heapProbe() >>> 0;
  assert.equal(p2 - p1, stride, `allocator pointer moved by ${p2 - p1 - stride} bytes during ${N} rounds`);
  assert.equal(x.memory.buffer.byteLength, PAGE);
});
