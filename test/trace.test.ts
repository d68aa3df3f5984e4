// Trace vectors (docs/PROTOCOL.md): the committed file equals what the host computes, the
// firmware reproduces messages 1 and 3 byte for byte, server B reproduces message 2, and the
// spec shows the same bytes.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { computeTrace, TRACE_INPUTS, TRACE_TIME } from '../host/trace/suite1.js';
import { Handset } from '../host/handset.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const committed = JSON.parse(readFileSync(path.join(root, 'test/vectors/trace-suite1.json'), 'utf8'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('the committed trace equals the host computation (server B made message 2)', () => {
  assert.deepEqual(computeTrace(), committed);
});

test('the firmware reproduces ID_A, message 1 and message 3 byte for byte', async () => {
  const h = await Handset.load({ random: (b) => b.set(TRACE_INPUTS.randomA.subarray(0, b.length)) });
  h.provision(TRACE_INPUTS.handsetKey, Buffer.from(committed.certificates.caPublicKey, 'hex'), TRACE_INPUTS.serverName);
  assert.equal(hex(h.idA), committed.idA);
  assert.equal(hex(h.start(TRACE_TIME)), committed.messages.m1);
  assert.equal(hex(h.finish(Buffer.from(committed.messages.m2, 'hex'), TRACE_TIME, TRACE_INPUTS.appData)), committed.messages.m3);
});

test('docs/PROTOCOL.md shows the trace bytes (the spec is kept true)', () => {
  const doc = readFileSync(path.join(root, 'docs/PROTOCOL.md'), 'utf8').replace(/\s+/g, '');
  for (const [name, value] of Object.entries({ ...committed.messages, ...committed.certificates, ...committed.derived })) {
    assert.ok(doc.includes(value as string), `docs/PROTOCOL.md lacks the trace's ${name}`);
  }
});
