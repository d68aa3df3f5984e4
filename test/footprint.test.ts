// Deterministic budgets of the handset firmware (issue 5): module size, static memory (data and
// every buffer, from address 0 to __heap_base), one page that cannot grow, the imports, and the
// executed instructions of a handshake.
import test from 'node:test';
import assert from 'node:assert/strict';
import { measureFootprint, BUDGETS } from '../host/bench/footprint.js';

test('handset firmware: <= 24 KiB, <= 6 KiB static memory, exactly one 64 KiB page that cannot grow, only the RNG imported, handshake <= 4 M instructions', async () => {
  const f = await measureFootprint();
  assert.ok(f.wasmBytes <= BUDGETS.wasmBytes, `module ${f.wasmBytes} bytes > ${BUDGETS.wasmBytes}`);
  assert.ok(f.staticBytes <= BUDGETS.staticBytes, `static memory ${f.staticBytes} bytes > ${BUDGETS.staticBytes}`);
  assert.ok(f.staticBytes >= 2 * 548, 'the figure covers at least the message buffers');
  assert.equal(f.memoryPages, BUDGETS.memoryPages);
  assert.equal(f.memoryMaximumPages, 1, 'maximum = initial: the memory can never grow');
  assert.deepEqual(f.imports, ['env.airshake_random (function)']);
  assert.ok(f.handshakeInstructions <= BUDGETS.handshakeInstructions, `${f.handshakeInstructions} > ${BUDGETS.handshakeInstructions}`);
  assert.ok(f.handshakeInstructions > 2_000_000, 'the count covers the X25519 and Ed25519 work');
  assert.equal(f.sections.reduce((s, x) => s + x.bytes, 0), f.wasmBytes, 'sections add up to the file');
});
