// Suite-2 trace vectors (docs/PROTOCOL.md, "Trace vectors, suite 2"): the committed file equals
// what the host computes (server B itself makes message 2, the key schedule is recomputed on
// node:crypto), the dual firmware reproduces ID_A, message 1 and message 3 byte for byte in its
// release and debug builds, and the spec shows the same bytes.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { computeTrace2, TRACE2_INPUTS, TRACE_TIME } from '../host/trace/suite2.js';
import { TRACE_INPUTS as S1 } from '../host/trace/suite1.js';
import { Handset } from '../host/handset.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (f: string) => JSON.parse(readFileSync(path.join(root, f), 'utf8'));
const committed = read('test/vectors/trace-suite2.json');
const trace1 = read('test/vectors/trace-suite1.json');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => Buffer.from(s, 'hex');

test('suite 2: the committed trace equals the host computation (server B made message 2)', () => {
  assert.deepEqual(computeTrace2(), committed);
  assert.equal(committed.sizes.m1, 33, 'message 1 offers two suites (suite 1 alone: 32 bytes)');
  assert.equal(committed.messages.m2.slice(2, 4), '02', 'B chose suite 2');
});

for (const debug of [false, true]) {
  test(`suite 2: the dual firmware (${debug ? 'debug' : 'release'} build) reproduces ID_A, message 1 and message 3 byte for byte`, async () => {
    const h = await Handset.load({ build: 'dual', debug, random: (b) => b.set(TRACE2_INPUTS.randomA.subarray(0, b.length)) });
    // A offers suite 2, then suite 1: suite 1's key and CA are those of the suite-1 trace (they
    // do not enter these messages: ID_A comes from the first suite's key, B chooses suite 2).
    h.provisionSuites({
      suites: TRACE2_INPUTS.offer,
      p256: { secretKey: TRACE2_INPUTS.handsetKey, caPublicKey: unhex(committed.certificates.caPublicKey) },
      x25519: { secretKey: S1.handsetKey, caPublicKey: unhex(trace1.certificates.caPublicKey) },
      serverName: TRACE2_INPUTS.serverName,
    });
    assert.equal(hex(h.idA), committed.idA);
    assert.equal(hex(h.start(TRACE_TIME)), committed.messages.m1);
    assert.equal(hex(h.finish(unhex(committed.messages.m2), TRACE_TIME, TRACE2_INPUTS.appData)), committed.messages.m3);
    assert.equal(h.suite, 2);
    // one bit of MAC_B flipped: the same firmware refuses it (the comparison above can fail)
    h.reset();
    h.start(TRACE_TIME);
    const bad = unhex(committed.messages.m2); bad[bad.length - 1]! ^= 1;
    assert.throws(() => h.finish(bad, TRACE_TIME, TRACE2_INPUTS.appData), /MAC_B/);
  });
}

test('docs/PROTOCOL.md shows the suite-2 trace bytes (the spec is kept true)', () => {
  const doc = readFileSync(path.join(root, 'docs/PROTOCOL.md'), 'utf8').replace(/\s+/g, '');
  for (const [name, value] of Object.entries({ ...committed.messages, ...committed.certificates, ...committed.derived })) {
    assert.ok(doc.includes(value as string), `docs/PROTOCOL.md lacks the suite-2 trace's ${name}`);
  }
});
