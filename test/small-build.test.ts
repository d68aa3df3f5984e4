// The size-optimised code paths (ASC_SHRINK_LEVEL > 0: the compact X25519 ladder and Edwards
// formulas, the 4-entry Ed25519 windows, the 16-word SHA schedules) are what the handset
// firmware runs. build/crypto.small.wasm is the crypto core compiled that way; it must pass the
// same published vectors and agree with node:crypto.
import test from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPath, loadFirmware } from '../host/index.js';

const vectors = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'vectors');
const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const small = () => loadFirmware({ wasm: readFileSync(buildPath('crypto.small.wasm')) });

test('small build: Wycheproof X25519 (all 518) and Ed25519 (all 151)', async () => {
  const fw = await small();
  const x = JSON.parse(readFileSync(path.join(vectors, 'wycheproof/x25519_test.json'), 'utf8'));
  let n = 0;
  for (const g of x.testGroups) for (const t of g.tests) {
    n++;
    const want = t.shared as string;
    if (/^0+$/.test(want)) { assert.throws(() => fw.x25519(hex(t.private), hex(t.public))); continue; }
    assert.equal(Buffer.from(fw.x25519(hex(t.private), hex(t.public))).toString('hex'), want, `x25519 tcId ${t.tcId}`);
  }
  assert.equal(n, 518);
  const e = JSON.parse(readFileSync(path.join(vectors, 'wycheproof/ed25519_test.json'), 'utf8'));
  n = 0;
  for (const g of e.testGroups) for (const t of g.tests) {
    n++;
    const sig = hex(t.sig);
    if (sig.length !== 64) continue; // wrong lengths throw in the host glue (tested elsewhere)
    assert.equal(fw.ed25519Verify(hex(g.publicKey.pk), hex(t.msg), sig), t.result === 'valid', `ed25519 tcId ${t.tcId}`);
  }
  assert.equal(n, 151);
});

test('small build: 300 random X25519, Ed25519, SHA-256/512, HMAC and HKDF cases agree with node:crypto', async () => {
  const fw = await small();
  for (let i = 0; i < 300; i++) {
    const sk = crypto.randomBytes(32), u = crypto.randomBytes(32);
    const ref = crypto.diffieHellman({
      privateKey: crypto.createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), sk]), format: 'der', type: 'pkcs8' }),
      publicKey: crypto.createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b656e032100', 'hex'), u]), format: 'der', type: 'spki' }),
    });
    assert.equal(Buffer.from(fw.x25519(sk, u)).toString('hex'), ref.toString('hex'));
    const kp = crypto.generateKeyPairSync('ed25519');
    const pk = Buffer.from(kp.publicKey.export({ format: 'jwk' }).x!, 'base64url');
    const m = crypto.randomBytes(i);
    const sig = crypto.sign(null, m, kp.privateKey);
    assert.equal(fw.ed25519Verify(pk, m, sig), true);
    sig[i % 64]! ^= 1 << (i % 8);
    assert.equal(fw.ed25519Verify(pk, m, sig), false);
    const msg = crypto.randomBytes(i * 7);
    assert.equal(Buffer.from(fw.sha256(msg)).toString('hex'), crypto.createHash('sha256').update(msg).digest('hex'));
    assert.equal(Buffer.from(fw.sha512(msg)).toString('hex'), crypto.createHash('sha512').update(msg).digest('hex'));
    assert.equal(Buffer.from(fw.hmacSha256(sk, msg)).toString('hex'), crypto.createHmac('sha256', sk).update(msg).digest('hex'));
    const len = 1 + ((i * 37) % 300);
    assert.equal(Buffer.from(fw.hkdfSha256(sk, u, msg.subarray(0, i % 50), len)).toString('hex'),
      Buffer.from(crypto.hkdfSync('sha256', sk, u, msg.subarray(0, i % 50), len)).toString('hex'));
  }
});
