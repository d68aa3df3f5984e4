// Suite 3 with C_B sent: A decrypts CIPHERTEXT_2 (a bare key stream) and parses and verifies C_B
// before MAC_B authenticates it. A failure there sends the generic alert 15 1c
// (ERR_HANDSHAKE_FAILED) while error() keeps the precise code, so that an attacker flipping
// ciphertext bits does not learn which check broke (docs/PROTOCOL.md, "Alerts"). Every bit of the
// trace's message 2 is flipped once: in the ciphertext, and in E_B (which changes the key stream),
// the alert must be the generic one; in the type and suite bytes, checked before any decryption,
// the alert names its code, as in every other suite.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Handset } from '../host/handset.js';
import { TRACE_INPUTS as S1, TRACE_TIME } from '../host/trace/suite1.js';
import { TRACE3_INPUTS } from '../host/trace/suite3.js';
import { Err, HandshakeError, MsgType } from '../host/protocol/constants.js';
import { readJson, unhex } from './support/files.js';

const read = readJson;
const t1 = read('test/vectors/trace-suite1.json'), t3 = read('test/vectors/trace-suite3.json');
/** RESPONSE_E's clear part: type, suite, E_B (docs/PROTOCOL.md, "Suite 3"). */
const M2E_FIXED = 1 + 1 + 32;

test('suite 3, C_B sent: every flip inside CIPHERTEXT_2 or E_B gets the generic alert and keeps its precise code locally; flips of the type and suite name their code', async () => {
  const h = await Handset.load({ build: 'fs', random: (b) => b.set(TRACE3_INPUTS.ephemeralA.subarray(0, b.length)) });
  const genuine = unhex(t3.full.messages.m2);
  const codesInside = new Map<number, number>();
  for (let bit = 0; bit < genuine.length * 8; bit++) {
    const m2 = new Uint8Array(genuine);
    m2[bit >> 3]! ^= 1 << (bit & 7);
    h.provision(S1.handsetKey, unhex(t1.certificates.caPublicKey), S1.serverName);
    h.startFs(TRACE_TIME);
    let err: unknown;
    try { h.finish(m2, TRACE_TIME, TRACE3_INPUTS.appData); } catch (e) { err = e; }
    assert.ok(err instanceof HandshakeError, `bit ${bit}: accepted, or not a HandshakeError`);
    assert.equal(h.error, err.code);
    // A flipped E_B changes ee and so the key stream: A fails inside the garbled plaintext too
    // (unless ee itself is refused: ERR_X25519_ZERO, before any decryption)
    const inside = (bit >> 3) >= M2E_FIXED || ((bit >> 3) >= 2 && err.code !== Err.X25519_ZERO);
    if (inside) {
      assert.deepEqual([...err.alert!], [MsgType.ALERT, Err.HANDSHAKE_FAILED], `bit ${bit} (code ${err.code})`);
      codesInside.set(err.code, (codesInside.get(err.code) ?? 0) + 1);
    } else if (err.code === Err.PEER_ALERT) {
      assert.equal(err.alert, undefined, 'no alert answers an alert'); // the type byte flipped into 0x15
    } else {
      assert.deepEqual([...err.alert!], [MsgType.ALERT, err.code], `bit ${bit}`);
    }
  }
  // the flips inside reach several different checks (so the generic alert hides something)
  assert.ok(codesInside.size >= 3, `codes inside: ${[...codesInside.keys()].join(', ')}`);
  assert.ok(codesInside.has(Err.MAC_B));
});
