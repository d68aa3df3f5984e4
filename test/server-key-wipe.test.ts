// Key update at server B (host/server/server.ts, rekey): the old key buffers (u, k and iv of the
// direction that moves) are zeroed in place, not only replaced, in both directions and in every
// suite; the other direction is untouched, and close() wipes the current ones. The buffers are
// reached through the session's private `keys` field with a cast (no test hook in the server).
// The firmware's side of the same property is in test/key-update.test.ts.
import test from 'node:test';
import assert from 'node:assert/strict';
import { KEY_UPDATE_INPUTS } from '../host/trace/keyupdate.js';
import { TRACE_TIME, traceHandshake } from '../host/trace/suite1.js';
import { createDeployment } from '../host/sim/deployment.js';
import { loadHandset, provisionHandset, startFor, suiteSetup, type DemoSuite } from '../host/sim/suites.js';
import { Err } from '../host/protocol/constants.js';
import type { TrafficKeys } from '../host/server/keyschedule.js';
import type { ServerSession } from '../host/server/server.js';
import { hex, readJson, unhex } from './support/files.js';
import { establishedPair } from './support/pair.js';

const read = readJson;
const committed = read('test/vectors/trace-keyupdate.json');
const trace1 = read('test/vectors/trace-suite1.json');

/** The session's current traffic keys (the very buffers it uses). */
const keysOf = (s: ServerSession) => (s as unknown as { keys: TrafficKeys }).keys;
const zero = (b: Uint8Array) => b.length > 0 && b.every((x) => x === 0);
/** One direction's buffers, by reference. */
const dir = (k: TrafficKeys, d: 'AB' | 'BA') => (d === 'AB' ? { u: k.uAB, k: k.kAB, iv: k.ivAB } : { u: k.uBA, k: k.kBA, iv: k.ivBA });
type Dir = ReturnType<typeof dir>;
const hexes = (d: Dir) => ({ u: hex(d.u), k: hex(d.k), iv: hex(d.iv) });

function assertWiped(old: Dir, now: Dir, what: string): void {
  for (const n of ['u', 'k', 'iv'] as const) {
    assert.ok(zero(old[n]), `${what}: the old ${n} buffer is all zero (${hex(old[n])})`);
    assert.notEqual(now[n], old[n], `${what}: ${n} is a new buffer`);
    assert.ok(!zero(now[n]), `${what}: the new ${n} is not zero`);
  }
}

test('suite 1 trace: B zeroes u, k, iv of A\'s direction on A\'s update, and of its own on its update; the values were the trace\'s keys', () => {
  const t = traceHandshake();
  try {
    const s = t.session;
    const k = keysOf(s);
    const ab0 = dir(k, 'AB'), ba0 = dir(k, 'BA');
    // the buffers held are the keys in use (the wipe checks below can fail)
    assert.deepEqual(hexes(ab0), { u: committed.derived.uAB, k: trace1.derived.kAB, iv: trace1.derived.ivAB });
    assert.deepEqual(hexes(ba0), { u: committed.derived.uBA, k: trace1.derived.kBA, iv: trace1.derived.ivBA });

    // A → B: the committed update record a1
    s.receive(unhex(committed.records.a1));
    assert.equal(s.error, Err.OK);
    const ab1 = dir(keysOf(s), 'AB');
    assertWiped(ab0, ab1, 'A → B update');
    assert.deepEqual(hexes(ab1), { u: committed.derived.uAB1, k: committed.derived.kAB1, iv: committed.derived.ivAB1 });
    assert.deepEqual(hexes(ba0), { u: committed.derived.uBA, k: trace1.derived.kBA, iv: trace1.derived.ivBA }, 'B\'s direction untouched');

    // B → A: B's update record b1 (the committed bytes)
    t.out.length = 0;
    s.write(KEY_UPDATE_INPUTS.b1, { update: true });
    assert.equal(hex(t.out[0]!), committed.records.b1);
    const ba1 = dir(keysOf(s), 'BA');
    assertWiped(ba0, ba1, 'B → A update');
    assert.deepEqual(hexes(ba1), { u: committed.derived.uBA1, k: committed.derived.kBA1, iv: committed.derived.ivBA1 });
    assert.deepEqual(hexes(ab1), { u: committed.derived.uAB1, k: committed.derived.kAB1, iv: committed.derived.ivAB1 }, 'A\'s direction untouched');

    // close() wipes the current keys too
    s.close();
    for (const b of [...Object.values(ab1), ...Object.values(ba1)]) assert.ok(zero(b), 'wiped at close');
  } finally { t.close(); }
});

for (const name of ['x25519', 'p256', 'fs', 'kt'] as DemoSuite[]) {
  test(`${name}: between the firmware and B, three updates each way; every old u, k, iv at B is zeroed`, async () => {
    const { dep, h, s, toA, atB } = await establishedPair(name, TRACE_TIME);
    try {
      const old: Dir[] = [];
      for (let i = 0; i < 3; i++) {
        const data = new Uint8Array([i, 0xa5, 0x5a]);
        const ab = dir(keysOf(s), 'AB'), ba = dir(keysOf(s), 'BA');
        const baHex = hexes(ba);
        s.receive(h.sealUpdate(data));
        assert.equal(s.error, Err.OK);
        assert.equal(atB.at(-1), hex(data));
        assertWiped(ab, dir(keysOf(s), 'AB'), `${name} A → B update ${i + 1}`);
        assert.deepEqual(hexes(ba), baHex, 'B\'s direction untouched by A\'s update');
        s.write(data, { update: true });
        assert.equal(hex(h.open(toA.shift()!)), hex(data), 'A opens B\'s update record (the new keys are right)');
        assertWiped(ba, dir(keysOf(s), 'BA'), `${name} B → A update ${i + 1}`);
        old.push(ab, ba);
      }
      assert.deepEqual([s.updatesAB, s.updatesBA], [3, 3]);
      // records under the final keys still pass both ways
      s.receive(h.seal(new Uint8Array([1])));
      assert.equal(s.error, Err.OK);
      s.write(new Uint8Array([2]));
      assert.equal(hex(h.open(toA.shift()!)), '02');
      for (const d of old) for (const b of Object.values(d)) assert.ok(zero(b), 'still zero afterwards');
    } finally { dep.close(); }
  });
}

// B's secret random draws (suite 3's and 4's e_B, suite 4's pre-master secret) are copied and the
// bytes random() returned zeroed at once (ServerOptions.random: they belong to B); public draws
// (random_B) are left alone. The handshake still completes, so the copies were taken first.
for (const name of ['fs', 'kt', 'x25519'] as DemoSuite[]) {
  test(`${name}: B zeroes the secret bytes its random() returned, and only those`, async () => {
    const setup = suiteSetup(name);
    const now = 1_780_000_000;
    const dep = createDeployment({ now: now - 3600, handsets: 1, suites: setup.deploy });
    try {
      const h = await loadHandset(setup);
      provisionHandset(h, setup, dep, dep.handsets[0]!);
      const draws: Uint8Array[] = [];
      const random = (n: number) => { const b = new Uint8Array(n).map(() => 1 + Math.floor(Math.random() * 255)); draws.push(b); return b; };
      const toA: Uint8Array[] = [];
      const server = dep.makeServer(() => now * 1000, { ...setup.server, random, onApplicationData: () => undefined });
      const s = server.connect((m) => toA.push(m));
      s.receive(startFor(setup, h)(now));
      s.receive(h.finish(toA.shift()!, now, new Uint8Array([7])));
      assert.equal(s.error, Err.OK);
      const zeroed = draws.filter((d) => d.every((x) => x === 0)).length;
      const kept = draws.filter((d) => d.every((x) => x !== 0)).length;
      // suite 3: e_B (secret); suite 4: random_B (public), pms and e_B (secret); suite 1: random_B
      const expected = { fs: [1, 0], kt: [2, 1], x25519: [0, 1] }[name as 'fs' | 'kt' | 'x25519'];
      assert.deepEqual([zeroed, kept], expected, `${draws.length} draws`);
    } finally { dep.close(); }
  });
}
