// Suite 4, key transport (docs/PROTOCOL.md, "Suite 4: key transport (claim 6)"): the trace
// vectors on both implementations, the forward-secret firmware's classic hello offering 4 and 1
// against server B over every link, B's preference, and the failures of the key transport.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { computeTrace4, TRACE4_INPUTS, TRACE_TIME } from '../host/trace/suite4.js';
import { TRACE_INPUTS as S1 } from '../host/trace/suite1.js';
import { Handset } from '../host/handset.js';
import { VirtualClock } from '../host/link/clock.js';
import { getProfile, PROFILE_NAMES } from '../host/link/profiles.js';
import { createDeployment } from '../host/sim/deployment.js';
import { runHandshake } from '../host/sim/run.js';
import { loadHandset, provisionHandset, startFor, suiteSetup } from '../host/sim/suites.js';
import { Err } from '../host/protocol/constants.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const committed = JSON.parse(readFileSync(path.join(root, 'test/vectors/trace-suite4.json'), 'utf8'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const code = (c: number) => (e: unknown) => (e as { code?: number }).code === c;
const T = TRACE_TIME;

async function traceHandset(debug = false): Promise<Handset> {
  const h = await Handset.load({ build: 'fs', debug, random: (b) => b.set(S1.randomA.subarray(0, b.length)) });
  h.provision(S1.handsetKey, unhex(committed.certificates.caPublicKey), S1.serverName);
  h.offer(TRACE4_INPUTS.offer);
  return h;
}

test('suite 4: the committed trace equals the host computation (B made message 2; A\'s side opened pms and recomputed the schedule)', () => {
  assert.deepEqual(computeTrace4(), committed);
  assert.equal(committed.sizes.m2, 116 + committed.certificates.server.length / 2);
});

for (const debug of [false, true]) {
  test(`suite 4: the forward-secret firmware (${debug ? 'debug' : 'release'}) reproduces messages 1 and 3`, async () => {
    const h = await traceHandset(debug);
    assert.equal(hex(h.idA), committed.idA);
    assert.equal(hex(h.start(T)), committed.messages.m1);
    assert.equal(hex(h.finish(unhex(committed.messages.m2), T, TRACE4_INPUTS.appData)), committed.messages.m3);
    assert.equal(h.suite, 4);
    // pms, Z_e and the ECIES key are gone from the firmware's memory
    const mem = Buffer.from(h.exports.memory.buffer);
    for (const k of [TRACE4_INPUTS.pms, unhex(committed.derived.ze), unhex(committed.derived.ke), unhex(committed.derived.z), unhex(committed.derived.prk)]) {
      assert.equal(mem.indexOf(Buffer.from(k)), -1, 'a key-transport secret left in memory');
    }
    assert.ok(mem.indexOf(Buffer.from(committed.derived.kAB, 'hex')) >= 0, 'the traffic key is there (the search works)');
  });
}

test('suite 4 over every link profile, and B\'s preference between 4 and 1', async () => {
  const setup = suiteSetup('kt');
  const dep = createDeployment({ now: T, handsets: 1, suites: setup.deploy });
  try {
    const h = await loadHandset(setup);
    for (const [i, link] of PROFILE_NAMES.entries()) {
      provisionHandset(h, setup, dep, dep.handsets[0]!);
      const clock = new VirtualClock();
      const prefer1 = i === PROFILE_NAMES.length - 1;
      const server = dep.makeServer(() => T * 1000 + clock.now(), { ...(prefer1 ? { suites: [1, 4] } : setup.server), onApplicationData: (d) => d });
      const r = runHandshake({ clock, epochSec: T, profile: getProfile(link), handset: h, server, appData: new TextEncoder().encode(link), start: startFor(setup, h) });
      assert.equal(r.ok, true, `${link}: ${JSON.stringify(r.handsetError)} ${JSON.stringify(r.serverEvents)}`);
      assert.equal(r.suite, prefer1 ? 1 : 4);
      assert.equal(r.echoed, true);
    }
    // B without suite 4 in its preference (the default) answers suite 1 to the same offer
    provisionHandset(h, setup, dep, dep.handsets[0]!);
    const clock = new VirtualClock();
    const r = runHandshake({ clock, epochSec: T, profile: getProfile('fast'), handset: h, server: dep.makeServer(() => T * 1000 + clock.now(), { onApplicationData: (d) => d }), appData: new Uint8Array(1) });
    assert.equal(r.suite, 1);
  } finally { dep.close(); }
});

test('suite 4 at A: the key transport and its framing fail with their codes', async () => {
  const m2 = unhex(committed.messages.m2);
  const certLen = (m2[18]! << 8) | m2[19]!;
  const kt = 20 + certLen; // E_B at kt, C_pms at kt + 32
  const tryWith = async (x: Uint8Array) => { const h = await traceHandset(); h.start(T); return () => h.finish(x, T, TRACE4_INPUTS.appData); };
  const flip = (at: number) => { const x = new Uint8Array(m2); x[at]! ^= 1; return x; };
  assert.throws(await tryWith(flip(kt + 32)), code(Err.KEY_TRANSPORT), 'C_pms ciphertext');
  assert.throws(await tryWith(flip(kt + 79)), code(Err.KEY_TRANSPORT), 'C_pms tag');
  assert.throws(await tryWith(flip(kt + 1)), code(Err.KEY_TRANSPORT), 'E_B');
  assert.throws(await tryWith(flip(m2.length - 1)), code(Err.MAC_B), 'MAC_B');
  { const x = new Uint8Array(m2); x.fill(0, kt, kt + 32); x[kt] = 1; assert.throws(await tryWith(x), code(Err.X25519_ZERO), 'E_B of small order'); }
  assert.throws(await tryWith(m2.subarray(0, m2.length - 1)), code(Err.DECODE), 'truncated');
  assert.throws(await tryWith(new Uint8Array([...m2, 0])), code(Err.TRAILING), 'trailing');
  // the suite-1 layout under suite 4's id (no key transport): too short for suite 4
  { const x = new Uint8Array([...m2.subarray(0, kt), ...m2.subarray(m2.length - 16)]); assert.throws(await tryWith(x), code(Err.DECODE)); }
  // every bit flip fails somewhere (sampled every 5th bit)
  for (let bit = 0; bit < m2.length * 8; bit += 5) {
    const x = new Uint8Array(m2); x[bit >> 3]! ^= 1 << (bit & 7);
    assert.throws(await tryWith(x), (e: unknown) => typeof (e as { code?: number }).code === 'number', `bit ${bit}`);
  }
});

test('offer(): suites 1 and 4 only, each once; provision() goes back to suite 1 alone', async () => {
  const h = await traceHandset();
  for (const bad of [[3], [2], [4, 4], [5, 1]]) assert.throws(() => h.offer(bad), code(Err.DECODE), `[${bad}]`);
  assert.equal(hex(h.start(T)), committed.messages.m1, 'a refused offer leaves the offer unchanged');
  assert.throws(() => h.offer([1]), code(Err.STATE), 'not mid-handshake');
  h.reset();
  h.provision(S1.handsetKey, unhex(committed.certificates.caPublicKey), S1.serverName);
  assert.equal(h.start(T)[2], 1, 'one suite offered after provisioning');
});

test('docs/PROTOCOL.md shows the suite-4 trace bytes (the spec is kept true)', () => {
  const doc = readFileSync(path.join(root, 'docs/PROTOCOL.md'), 'utf8').replace(/\s+/g, '');
  for (const [name, value] of Object.entries({ ...committed.messages, ...committed.derived })) assert.ok(doc.includes(value as string), `docs/PROTOCOL.md lacks the suite-4 trace's ${name}`);
});
