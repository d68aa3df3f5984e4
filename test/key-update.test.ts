// Key update (docs/PROTOCOL.md, "Key update"): the change-cipher message appended to an
// application record (record type 0x18), in both directions, on both implementations: the trace
// vectors, many records with repeated updates between the firmware and server B in every suite,
// old keys gone from the firmware's memory, and tampering with the type, the message or the order.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { computeKeyUpdateTrace, KEY_UPDATE_INPUTS } from '../host/trace/keyupdate.js';
import { TRACE_INPUTS, TRACE_TIME, traceHandshake } from '../host/trace/suite1.js';
import { Handset } from '../host/handset.js';
import { createDeployment } from '../host/sim/deployment.js';
import { loadHandset, provisionHandset, startFor, suiteSetup, type DemoSuite } from '../host/sim/suites.js';
import { sealRecord } from '../host/server/keyschedule.js';
import { CC_NEXT_KEYS, Err, MsgType, Suite } from '../host/protocol/constants.js';
import { mulberry32 } from '../host/util/prng.js';

const read = readJson;
const committed = read('test/vectors/trace-keyupdate.json');
const trace1 = read('test/vectors/trace-suite1.json');
const code = (c: number) => (e: unknown) => (e as { code?: number }).code === c;

/** The firmware after the suite-1 trace handshake (record 0 A → B sent in message 3). */
async function traceHandset(): Promise<Handset> {
  const h = await Handset.load({ random: (b) => b.set(TRACE_INPUTS.randomA.subarray(0, b.length)) });
  h.provision(TRACE_INPUTS.handsetKey, unhex(trace1.certificates.caPublicKey), TRACE_INPUTS.serverName);
  h.start(TRACE_TIME);
  assert.equal(hex(h.finish(unhex(trace1.messages.m2), TRACE_TIME, TRACE_INPUTS.appData)), trace1.messages.m3);
  return h;
}

test('key-update trace: the committed file equals the host computation (server B accepts A\'s records and makes B\'s)', () => {
  assert.deepEqual(computeKeyUpdateTrace(), committed);
});

test('key-update trace: the firmware reproduces A\'s records and opens B\'s, before and after each direction\'s update', async () => {
  const h = await traceHandset();
  assert.equal(hex(h.sealUpdate(KEY_UPDATE_INPUTS.a1)), committed.records.a1);
  assert.equal(hex(h.seal(KEY_UPDATE_INPUTS.a2)), committed.records.a2);
  assert.equal(hex(h.open(unhex(committed.records.b1))), hex(KEY_UPDATE_INPUTS.b1), 'the change-cipher byte is not application data');
  assert.equal(hex(h.open(unhex(committed.records.b2))), hex(KEY_UPDATE_INPUTS.b2));
});

test('the old keys leave the firmware\'s memory at an update; the new ones are there', async () => {
  const h = await traceHandset();
  const mem = () => Buffer.from(h.exports.memory.buffer);
  const has = (k: string) => mem().indexOf(Buffer.from(k, 'hex')) >= 0;
  for (const k of [trace1.derived.kAB, trace1.derived.kBA, committed.derived.uAB, committed.derived.uBA]) assert.ok(has(k), 'present before (the check can fail)');
  h.sealUpdate(KEY_UPDATE_INPUTS.a1);
  assert.ok(!has(trace1.derived.kAB) && !has(committed.derived.uAB), 'k_AB and u_AB wiped');
  assert.ok(has(committed.derived.kAB1) && has(committed.derived.uAB1));
  assert.ok(has(trace1.derived.kBA), 'B\'s direction untouched');
  h.open(unhex(committed.records.b1));
  assert.ok(!has(trace1.derived.kBA) && !has(committed.derived.uBA), 'k_BA and u_BA wiped');
  assert.ok(has(committed.derived.kBA1) && has(committed.derived.uBA1));
  h.reset();
  for (const k of [committed.derived.kAB1, committed.derived.uAB1, committed.derived.kBA1, committed.derived.uBA1]) assert.ok(!has(k), 'reset wipes the updated keys');
});

test('tampering: the type flipped either way, a replayed record, an unknown change-cipher message, a record under the old keys', async () => {
  const flip = (r: string, type: number) => { const b = unhex(r); b[0] = type; return b; };
  // at A
  for (const [what, rec] of [
    ['0x18 turned 0x17', flip(committed.records.b1, MsgType.RECORD)],
    ['0x17 turned 0x18', flip(committed.records.b2, MsgType.RECORD_UPDATE)],
  ] as const) {
    const h = await traceHandset();
    if (what === '0x17 turned 0x18') h.open(unhex(committed.records.b1));
    assert.throws(() => h.open(rec), code(Err.RECORD), what);
  }
  {
    const h = await traceHandset();
    h.open(unhex(committed.records.b1));
    assert.throws(() => h.open(unhex(committed.records.b1)), code(Err.RECORD), 'the update record replayed after the update');
  }
  {
    // B's record 0 under the OLD keys, after B's update: refused
    const h = await traceHandset();
    h.open(unhex(committed.records.b1));
    const old = sealRecord(unhex(trace1.derived.kBA), unhex(trace1.derived.ivBA), 0n, KEY_UPDATE_INPUTS.b2);
    assert.throws(() => h.open(Buffer.concat([old.header, old.body])), code(Err.RECORD));
  }
  for (const body of [new Uint8Array([0x41, 0x02]), new Uint8Array([0x41, 0x00]), new Uint8Array(0)]) {
    // a 0x18 record that authenticates but does not end with 0x01 (or is empty): ERR_DECODE, and the alert goes out
    const h = await traceHandset();
    const r = sealRecord(unhex(trace1.derived.kBA), unhex(trace1.derived.ivBA), 0n, body, 1, MsgType.RECORD_UPDATE);
    assert.throws(() => h.open(Buffer.concat([r.header, r.body])), code(Err.DECODE), `plaintext ${hex(body)}`);
    assert.equal(h.error, Err.DECODE);
  }
  // at B: the same departures
  const atB = (records: Uint8Array[]) => {
    const t = traceHandshake();
    for (const r of records) t.session.receive(r);
    const e = t.session.error;
    t.close();
    return e;
  };
  assert.equal(atB([flip(committed.records.a1, MsgType.RECORD)]), Err.RECORD);
  assert.equal(atB([unhex(committed.records.a1), flip(committed.records.a2, MsgType.RECORD_UPDATE)]), Err.RECORD);
  assert.equal(atB([unhex(committed.records.a1), unhex(committed.records.a1)]), Err.RECORD);
  const bad = sealRecord(unhex(trace1.derived.kAB), unhex(trace1.derived.ivAB), 1n, new Uint8Array([0x41, 0x02]), 1, MsgType.RECORD_UPDATE);
  assert.equal(atB([Buffer.concat([bad.header, bad.body])]), Err.DECODE);
  assert.equal(atB([unhex(committed.records.a1), unhex(committed.records.a2)]), Err.OK, 'the genuine pair is accepted (the checks above can pass)');
});


// every suite: 1 (x25519), 2 (p256), 3 (fs: message 3 is A's Finished record, so the first update
// rides on a later record) and 4 (kt); the handset reports the suite the handshake chose
const STRESS_SUITES: [DemoSuite, number, number][] = [['x25519', Suite.X25519_ED25519_CHACHAPOLY_SHA256, 7], ['p256', Suite.P256_ECDSA_AES128CCM8_SHA256, 8], ['fs', Suite.X25519E_ED25519_CHACHAPOLY_SHA256, 9], ['kt', Suite.X25519KT_ED25519_CHACHAPOLY_SHA256, 10]];
for (const [suite, chosen, seed] of STRESS_SUITES) {
  test(`${suite}: 600 records with updates at random points in both directions, repeated updates back to back, between the firmware and server B`, async () => {
    const { dep, h, s, toA, atB } = await establishedPair(suite, TRACE_TIME);
    try {
      assert.equal(h.suite, chosen, 'the suite under test was negotiated');
      const rnd = mulberry32(seed);
      let sentA = 0, updA = 0, updB = 0;
      for (let i = 0; i < 600; i++) {
        // runs of back-to-back updates every 100 records; otherwise an update with probability 1/8
        const burst = i % 100 >= 95;
        const update = burst || rnd() < 1 / 8;
        const len = Math.floor(rnd() * (update ? 512 : 513));
        const data = new Uint8Array(len).map(() => Math.floor(rnd() * 256));
        if (rnd() < 0.5) {
          s.receive(update ? h.sealUpdate(data) : h.seal(data));
          assert.equal(s.error, Err.OK, `record ${i} A → B`);
          assert.equal(atB.at(-1), hex(data));
          sentA++; if (update) updA++;
        } else {
          s.write(data, { update });
          assert.equal(hex(h.open(toA.shift()!)), hex(data), `record ${i} B → A`);
          if (update) updB++;
        }
      }
      assert.equal(atB.length, sentA + 1);
      assert.equal(s.updatesAB, updA);
      assert.equal(s.updatesBA, updB);
      assert.ok(updA > 20 && updB > 20, `${updA} and ${updB} updates`);
      // the largest data an update record carries is one byte less than a plain record's
      assert.throws(() => h.sealUpdate(new Uint8Array(512)), RangeError);
      assert.throws(() => s.write(new Uint8Array(512), { update: true }), RangeError);
    } finally { dep.close(); }
  });
}

test('CC_NEXT_KEYS is the value PROTOCOL.md gives', () => {
  assert.equal(CC_NEXT_KEYS, 0x01);
  const doc = readFileSync(path.join(repoRoot, 'docs/PROTOCOL.md'), 'utf8').replace(/\s+/g, '');
  for (const [name, v] of Object.entries({ ...committed.records, ...committed.derived })) assert.ok(doc.includes(v as string), `docs/PROTOCOL.md lacks the key-update trace's ${name}`);
});

import { VirtualClock } from '../host/link/clock.js';
import { getProfile } from '../host/link/profiles.js';
import { runHandshake } from '../host/sim/run.js';
import { hex, readJson, repoRoot, unhex } from './support/files.js';
import { establishedPair } from './support/pair.js';

test('every suite (1, 2, 3, 4): a handshake over the link, then 20 records each way with a key update each (what npm run demo -- --key-update N runs)', async () => {
  for (const name of ['x25519', 'p256', 'fs', 'kt'] as DemoSuite[]) {
    const setup = suiteSetup(name);
    const dep = createDeployment({ now: TRACE_TIME, handsets: 1, suites: setup.deploy });
    try {
      const h = await loadHandset(setup);
      provisionHandset(h, setup, dep, dep.handsets[0]!);
      const clock = new VirtualClock();
      const server = dep.makeServer(() => TRACE_TIME * 1000 + clock.now(), { ...setup.server, onApplicationData: (d) => d });
      const r = runHandshake({ clock, epochSec: TRACE_TIME, profile: getProfile('gprs'), handset: h, server, appData: new Uint8Array(5), start: startFor(setup, h), keyUpdates: 20 });
      assert.equal(r.ok, true, name);
      assert.deepEqual({ ...r.keyUpdates, recordBytes: 0, plainRecordBytes: 0 }, { records: 20, updatesAB: 20, updatesBA: 20, allDelivered: true, recordBytes: 0, plainRecordBytes: 0 }, name);
      assert.equal(r.keyUpdates!.recordBytes - r.keyUpdates!.plainRecordBytes, 1, 'the change-cipher message costs one byte');
      assert.equal(r.messages.length, 4, 'the in-process records are not on the link trace');
    } finally { dep.close(); }
  }
});
