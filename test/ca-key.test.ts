// The CA key: a key of small order accepts forged certificates (with the identity, every
// R = [r]B, S = r verifies), so both sides refuse such keys when they are configured: the
// firmware at provisioning (ERR_ED25519_POINT, by computing [8]A), server B when it starts (a
// list of the eight canonical encodings). @noble/curves recomputes the torsion group here.
import test from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { Handset, HandsetState } from '../host/handset.js';
import { ed25519PublicKey, rawKey } from '../host/pki/cert.js';
import { Err, HandshakeError } from '../host/protocol/constants.js';
import { EPOCH } from './support/sim.js';

const P = ed25519.Point;

/** The eight points of small order: multiples of a point of order 8. */
function torsion(): string[] {
  const t8 = P.fromHex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05');
  const out: string[] = [];
  let q = P.ZERO;
  for (let i = 0; i < 8; i++) { out.push(q.toHex()); q = q.add(t8); }
  assert.ok(q.equals(P.ZERO), 'the generator has order 8');
  return out;
}

test('CA keys of small order are refused by the firmware (ERR_ED25519_POINT) and by server B', async () => {
  const small = torsion();
  assert.equal(new Set(small).size, 8);
  const h = await Handset.load();
  const sk = new Uint8Array(crypto.randomBytes(32));
  for (const hex of small) {
    assert.ok(P.fromHex(hex).isSmallOrder());
    const key = new Uint8Array(Buffer.from(hex, 'hex'));
    assert.throws(() => h.provision(sk, key, 'b.airshake'), (e: unknown) => e instanceof HandshakeError && e.code === 0x63, `firmware provisioning with ${hex}`);
    assert.notEqual(h.state, HandsetState.READY);
    assert.throws(() => h.start(EPOCH), (e: unknown) => e instanceof HandshakeError && (e.code === Err.NOT_PROVISIONED || e.code === 0x63));
    h.reset();
    assert.throws(() => ed25519PublicKey(key), /small order/, `server B with ${hex}`);
  }
});

test('ordinary CA keys, and keys with a small-order component, are accepted by both', async () => {
  const h = await Handset.load();
  const sk = new Uint8Array(crypto.randomBytes(32));
  const t8 = P.fromHex(torsion()[1]!);
  for (let i = 0; i < 20; i++) {
    const key = rawKey(crypto.createPublicKey(crypto.generateKeyPairSync('ed25519').privateKey));
    h.provision(sk, key, 'b.airshake');
    assert.equal(h.state, HandsetState.READY);
    assert.doesNotThrow(() => ed25519PublicKey(key));
    // A + T8: not of small order (order 8L), canonical; RFC 8032 allows it, and so do both sides.
    const mixed = P.fromHex(Buffer.from(key).toString('hex')).add(t8);
    assert.ok(!mixed.isSmallOrder() && !mixed.isTorsionFree());
    const mk = new Uint8Array(Buffer.from(mixed.toHex(), 'hex'));
    h.provision(sk, mk, 'b.airshake');
    assert.equal(h.state, HandsetState.READY);
    assert.doesNotThrow(() => ed25519PublicKey(mk));
  }
});
