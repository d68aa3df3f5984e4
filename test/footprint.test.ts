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
  // the static figure is all the memory the firmware uses: nothing past __heap_base is touched
  assert.equal(f.aboveStaticUntouched, true, 'handset.wasm wrote past __heap_base');
  assert.equal(f.dual.aboveStaticUntouched, true, 'handset-dual.wasm wrote past __heap_base');
  assert.equal(f.fs.aboveStaticUntouched, true, 'handset-fs.wasm wrote past __heap_base');
  // the per-step split of finish() (processing message 2, building message 3) adds up
  const step = (re: RegExp) => f.steps.find((s) => re.test(s.step))!.instructions;
  const finish = step(/^message 2 processed, message 3 built/), m2 = step(/processing message 2/), m3 = step(/building message 3/);
  assert.equal(m2 + m3, finish);
  assert.ok(m2 > 2_000_000 && m3 > 50_000, `split ${m2} + ${m3}: the signature check and the key agreement fall to message 2`);
});

// The dual-suite handset (issue 7): build/handset-dual.wasm offers suites 1 and 2. Its budget is
// 40 KiB of module; its static memory must fit the one page with room to spare (asserted at
// 7 KiB so that growth is noticed: 6,676 bytes when issue 7 landed); suite-1-only
// build/handset.wasm must not link any suite-2 code, and keeps the export list the native build
// and the fuzz harness use.
import { readFileSync, statSync } from 'node:fs';
import { buildPath } from '../host/firmware.js';
import { Handset } from '../host/handset.js';
import { memoryLimits } from '../host/bench/wasm-sections.js';

const DUAL_BUDGETS = { wasmBytes: 40 * 1024, staticBytes: 7 * 1024, memoryPages: 1 };
const HANDSET_EXPORTS = ['appCap', 'error', 'finish', 'heapBase', 'idA', 'inBuf', 'inCap', 'memory', 'open', 'outBuf', 'outCap',
  'peerAlert', 'provision', 'recvAppBuf', 'reset', 'seal', 'sealUpdate', 'sendAppBuf', 'start', 'state'];

test('handset-dual firmware: <= 40 KiB, static memory <= 7 KiB, exactly one 64 KiB page that cannot grow, only the RNG imported', async (t) => {
  const file = buildPath('handset-dual.wasm');
  const wasm = new Uint8Array(readFileSync(file));
  const mod = new WebAssembly.Module(wasm);
  const bytes = statSync(file).size;
  const h = await Handset.load({ build: 'dual' });
  const staticBytes = h.exports.heapBase() >>> 0;
  t.diagnostic(`handset-dual.wasm: ${bytes} bytes, static memory ${staticBytes} bytes`);
  assert.ok(bytes <= DUAL_BUDGETS.wasmBytes, `module ${bytes} bytes > ${DUAL_BUDGETS.wasmBytes}`);
  assert.ok(staticBytes <= DUAL_BUDGETS.staticBytes, `static memory ${staticBytes} bytes > ${DUAL_BUDGETS.staticBytes}`);
  assert.deepEqual(memoryLimits(wasm), { initial: DUAL_BUDGETS.memoryPages, maximum: 1 });
  assert.deepEqual(WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name} (${i.kind})`), ['env.airshake_random (function)']);
  assert.deepEqual(WebAssembly.Module.exports(mod).map((e) => e.name).sort(), [...HANDSET_EXPORTS, 'provisionSuites', 'suite'].sort());
});

test('handset.wasm (suite 1 only) keeps its export list and links no suite-2 code', async () => {
  const wasm = new Uint8Array(readFileSync(buildPath('handset.wasm')));
  assert.deepEqual(WebAssembly.Module.exports(new WebAssembly.Module(wasm)).map((e) => e.name).sort(), HANDSET_EXPORTS);
  // P-256's field constant p (ten 28-bit limbs) is not in the suite-1 build's static memory; in the dual build it is
  const p256P = Buffer.from(new Int32Array([268435455, 268435455, 268435455, 4095, 0, 0, 16777216, 0, 268435455, 15]).buffer);
  const staticMemory = async (build: 'suite1' | 'dual' | 'fs') => {
    const h = await Handset.load({ build });
    return Buffer.from(h.exports.memory.buffer, 0, h.exports.heapBase() >>> 0);
  };
  assert.equal((await staticMemory('suite1')).indexOf(p256P), -1, 'P-256 field constants are not in handset.wasm');
  // nor ECDH's 2n - 2^256 (ec/p256.ts, TWO_N_LOW), in the suite-1 and forward-secret builds
  const twoNLow = Buffer.from('fffffffe00000001ffffffffffffffff79cdf55b4e2f3d09e7739585f8c64aa2', 'hex');
  assert.equal((await staticMemory('suite1')).indexOf(twoNLow), -1, 'ECDH constants are not in handset.wasm');
  assert.equal((await staticMemory('fs')).indexOf(twoNLow), -1, 'ECDH constants are not in handset-fs.wasm');
  assert.notEqual((await staticMemory('dual')).indexOf(twoNLow), -1, 'but they are in handset-dual.wasm');
  assert.notEqual((await staticMemory('dual')).indexOf(p256P), -1, 'but they are in handset-dual.wasm (the check can fail)');
});

test('handset-fs firmware (suites 1, 3 and 4): one 64 KiB page that cannot grow, only the RNG imported, the suite-3 exports', async (t) => {
  const file = buildPath('handset-fs.wasm');
  const wasm = new Uint8Array(readFileSync(file));
  const mod = new WebAssembly.Module(wasm);
  const h = await Handset.load({ build: 'fs' });
  t.diagnostic(`handset-fs.wasm: ${statSync(file).size} bytes, static memory ${h.exports.heapBase() >>> 0} bytes`);
  assert.deepEqual(memoryLimits(wasm), { initial: 1, maximum: 1 });
  assert.deepEqual(WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name} (${i.kind})`), ['env.airshake_random (function)']);
  assert.deepEqual(WebAssembly.Module.exports(mod).map((e) => e.name).sort(), [...HANDSET_EXPORTS, 'cacheServer', 'forgetServer', 'offer', 'serverCached', 'startFs', 'suite'].sort());
});
