// Suite 2 end to end: the dual firmware (build/handset-dual.wasm) against the real server B
// (host/server/server.ts on node:crypto, a SQLite store) over the emulated links, as the demo
// and the benchmark run it (host/sim/suites.ts); B's preference decides between the suites A
// offers; a downgrade of the offer in flight is caught.
import test from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../host/link/clock.js';
import { getProfile, PROFILE_NAMES } from '../host/link/profiles.js';
import { createDeployment, type Deployment } from '../host/sim/deployment.js';
import { runHandshake } from '../host/sim/run.js';
import { loadHandset, provisionHandset, suiteSetup } from '../host/sim/suites.js';
import { Err, MsgType } from '../host/protocol/constants.js';
import type { Handset } from '../host/handset.js';

const EPOCH = Math.floor(Date.UTC(2026, 11, 4) / 1000);
const setup = suiteSetup('p256');
let dep: Deployment;
let handset: Handset;

test.before(async () => {
  dep = createDeployment({ now: EPOCH, handsets: 4, suites: setup.deploy });
  handset = await loadHandset(setup);
});
test.after(() => dep.close());

function run(o: { index?: number; link?: string; server?: Parameters<Deployment['makeServer']>[1]; tamper?: Parameters<typeof runHandshake>[0]['tamper']; app?: string }) {
  provisionHandset(handset, setup, dep, dep.handsets[o.index ?? 0]!);
  const clock = new VirtualClock();
  const server = dep.makeServer(() => EPOCH * 1000 + clock.now(), { ...setup.server, onApplicationData: (d) => d, ...o.server });
  const appData = new TextEncoder().encode(o.app ?? 'reading 42');
  return runHandshake({ clock, epochSec: EPOCH, profile: getProfile(o.link ?? 'gsm'), handset, server, appData, tamper: o.tamper });
}

test('suite 2 over every link profile: three messages, B chooses suite 2, the echo comes back', () => {
  PROFILE_NAMES.forEach((link, i) => {
    const r = run({ index: i % 4, link, app: `reading ${i}: ${'y'.repeat(40 * i)}` });
    assert.equal(r.ok, true, `${link}: ${JSON.stringify(r.handsetError)} ${JSON.stringify(r.serverEvents)}`);
    assert.equal(r.suite, 2);
    assert.equal(handset.suite, 2);
    assert.equal(r.echoed, true);
    assert.deepEqual(r.messages.slice(0, 3).map((m) => m.kind), ['hello', 'response', 'finish']);
    assert.equal(r.messages[0]!.bytes, 33, 'message 1 offers two suites');
  });
});

test('B\'s preference decides: B preferring suite 1 gets suite 1 from the same offer; B with suite 1 only, too', () => {
  for (const suites of [[1, 2], [1]]) {
    const r = run({ server: { suites } });
    assert.equal(r.ok, true, JSON.stringify(r.serverEvents));
    assert.equal(r.suite, 1, `B preference ${suites}`);
    assert.equal(handset.suite, 1);
    assert.equal(r.echoed, true);
  }
});

test('the offer stripped to suite 1 in flight (a downgrade): B\'s answer is not accepted by A', () => {
  const r = run({
    tamper: (from, i, m) => {
      if (from !== 'A' || i !== 0) return m;
      assert.equal(m[0], MsgType.HELLO);
      // 01 vv 02 | 02 01 | ...  ->  01 vv 01 | 01 | ... (drop suite 2 from the list)
      return new Uint8Array([m[0]!, m[1]!, 1, 1, ...m.subarray(5)]);
    },
  });
  assert.equal(r.ok, false);
  // B saw a hello offering suite 1 alone and answered with suite 1; A's transcript holds its real
  // offer, so MAC_B does not verify
  assert.equal(r.handsetError?.code, Err.MAC_B, JSON.stringify(r.handsetError));
});
