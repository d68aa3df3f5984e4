// Deterministic budgets of the handset firmware (issue 5). The static-memory budget (6 KiB) is
// not met yet: `npm run bench:footprint` reports it and docs/BENCHMARKS.md says what would close
// it; it is not loosened here, and not asserted until it holds.
import test from 'node:test';
import assert from 'node:assert/strict';
import { measureFootprint, BUDGETS } from '../host/bench/footprint.js';

test('handset firmware: <= 24 KiB, exactly one 64 KiB page that cannot grow, only the RNG imported, handshake <= 4 M instructions', async () => {
  const f = await measureFootprint();
  assert.ok(f.wasmBytes <= BUDGETS.wasmBytes, `module ${f.wasmBytes} bytes > ${BUDGETS.wasmBytes}`);
  assert.equal(f.memoryPages, BUDGETS.memoryPages);
  assert.equal(f.memoryMaximumPages, 1, 'maximum = initial: the memory can never grow');
  assert.deepEqual(f.imports, ['env.airshake_random (function)']);
  assert.ok(f.handshakeInstructions <= BUDGETS.handshakeInstructions, `${f.handshakeInstructions} > ${BUDGETS.handshakeInstructions}`);
  assert.ok(f.handshakeInstructions > 2_000_000, 'the count covers the X25519 and Ed25519 work');
  assert.equal(f.sections.reduce((s, x) => s + x.bytes, 0), f.wasmBytes, 'sections add up to the file');
});
