/**
 * `npm run bench:footprint`: what the handset firmware costs a device. The release module's
 * size by section, its static memory (data plus every buffer), proof that memory cannot grow,
 * its imports, and the executed WebAssembly instructions of one complete client handshake, per
 * step, counted by instrumenting the module (host/bench/wasm-count.ts, `end` not counted), next
 * to libsodium's counts for the primitives both have (both counted in the same run);
 * then the same figures for the dual-suite handset (build/handset-dual.wasm) running suite 2.
 * Flags: --json.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPath, loadFirmware } from '../firmware.js';
import { children, read, whole } from '../pki/der.js';
import { Handset } from '../handset.js';
import { computeTrace, TRACE_INPUTS, TRACE_TIME } from '../trace/suite1.js';
import { computeTrace2, TRACE2_INPUTS } from '../trace/suite2.js';
import { computeTrace3, TRACE3_INPUTS } from '../trace/suite3.js';
import { computeTrace4, TRACE4_INPUTS } from '../trace/suite4.js';
import { deterministicCounts } from './crypto.js';
import { instrumentWasm, readCount, readMark, resetCount, resetTrace } from './wasm-count.js';
import { dataSegmentBytes, memoryLimits, sectionSizes } from './wasm-sections.js';

/** Issue 5's budgets for the suite-1 client. */
export const BUDGETS = { wasmBytes: 24 * 1024, staticBytes: 6 * 1024, memoryPages: 1, handshakeInstructions: 4_000_000 };

export interface Footprint {
  module: string;
  wasmBytes: number;
  sections: { name: string; bytes: number }[];
  staticBytes: number;
  /** Where the static bytes go: the initialised constants, the two message buffers, the rest (scratch arena, session, identity, alignment). */
  staticBreakdown: { constants: number; messageBuffers: number; other: number };
  /** The memory past __heap_base, filled with a pattern before provisioning, is unchanged after the whole run. */
  aboveStaticUntouched: boolean;
  memoryPages: number;
  memoryMaximumPages: number | null;
  imports: string[];
  handshakeInstructions: number;
  steps: { step: string; instructions: number }[];
  /** Crypto core (speed build, fused formulas) vs libsodium. */
  primitives: { op: string; firmware: number; libsodium: number; ratio: number }[];
  /** The same primitives built the handset's way (build/crypto.small.wasm: compact code paths). */
  smallBuildPrimitives: { op: string; instructions: number; libsodium: number | null }[];
  budgets: typeof BUDGETS;
  /** The forward-secret handset (build/handset-fs.wasm, issue 9): suites 3 and 4 on their trace vectors. */
  fs: {
    module: string; wasmBytes: number; staticBytes: number; aboveStaticUntouched: boolean; memoryPages: number; memoryMaximumPages: number | null; imports: string[];
    steps: { step: string; instructions: number }[];
  };
  /** The dual-suite handset (build/handset-dual.wasm, issue 7): suite 2 on its trace vectors. */
  dual: {
    module: string; wasmBytes: number; staticBytes: number; aboveStaticUntouched: boolean; memoryPages: number; memoryMaximumPages: number | null; imports: string[];
    handshakeInstructions: number; steps: { step: string; instructions: number }[]; budgets: typeof DUAL_BUDGETS;
  };
}

/** Issue 7's budget for the module with both suites; static memory and pages as asserted in test/footprint.test.ts. */
export const DUAL_BUDGETS = { wasmBytes: 40 * 1024, staticBytes: 7 * 1024, memoryPages: 1 };

/** The forward-secret handset on the suite-3 traces (C_B sent; by reference) and the suite-4 trace, instrumented. */
async function measureFs(): Promise<Footprint['fs']> {
  const file = buildPath('handset-fs.wasm');
  const wasm = new Uint8Array(readFileSync(file));
  const limits = memoryLimits(wasm);
  const t1 = computeTrace(), t3 = computeTrace3(), t4 = computeTrace4();
  let rnd: Uint8Array = TRACE3_INPUTS.ephemeralA;
  const h = await Handset.load({ build: 'fs', wasm: instrumentWasm(wasm, { countEnd: false }), random: (b) => b.set(rnd.subarray(0, b.length)) });
  const count = (f: () => unknown) => { resetCount(h.instance); f(); return Number(readCount(h.instance)); };
  const unhex = (x: string) => Buffer.from(x, 'hex');
  const same = (a: Uint8Array, b: string, what: string) => { if (Buffer.from(a).toString('hex') !== b) throw new Error(`handset-fs.wasm does not reproduce ${what}`); };
  const untouched = guardAboveStatic(h);
  h.provision(TRACE_INPUTS.handsetKey, unhex(t1.certificates.caPublicKey), TRACE_INPUTS.serverName);
  let m: Uint8Array = new Uint8Array(0);
  const s3a = count(() => { m = h.startFs(TRACE_TIME); }); same(m, t3.full.messages.m1, 'the suite-3 message 1');
  const f3a = count(() => { m = h.finish(unhex(t3.full.messages.m2), TRACE_TIME, TRACE3_INPUTS.appData); }); same(m, t3.full.messages.m3, 'the suite-3 message 3');
  h.reset();
  const s3b = count(() => { m = h.startFs(TRACE_TIME); }); same(m, t3.byReference.messages.m1, 'the suite-3 message 1 with ref_B');
  const f3b = count(() => { m = h.finish(unhex(t3.byReference.messages.m2), TRACE_TIME, TRACE3_INPUTS.appData); }); same(m, t3.byReference.messages.m3, 'the suite-3 message 3 by reference');
  h.reset();
  rnd = TRACE_INPUTS.randomA;
  h.offer(TRACE4_INPUTS.offer);
  const s4 = count(() => { m = h.start(TRACE_TIME); }); same(m, t4.messages.m1, 'the suite-4 message 1');
  const f4 = count(() => { m = h.finish(unhex(t4.messages.m2), TRACE_TIME, TRACE4_INPUTS.appData); }); same(m, t4.messages.m3, 'the suite-4 message 3');
  const upd = count(() => h.sealUpdate(TRACE4_INPUTS.appData));
  const aboveStaticUntouched = untouched();
  return {
    module: 'build/handset-fs.wasm (release)',
    wasmBytes: statSync(file).size,
    staticBytes: h.exports.heapBase() >>> 0,
    aboveStaticUntouched,
    memoryPages: limits?.initial ?? 0,
    memoryMaximumPages: limits?.maximum ?? null,
    imports: WebAssembly.Module.imports(new WebAssembly.Module(wasm)).map((i) => `${i.module}.${i.name} (${i.kind})`),
    steps: [
      { step: 'suite 3, message 1 (startFs: e_A, E_A = X25519(e_A, 9))', instructions: s3a },
      { step: 'suite 3, message 2 with C_B -> message 3 (ee, decryption, X.509, Ed25519 verify, es, se, ss, MAC_B, keys, record)', instructions: f3a },
      { step: 'suite 3 with C_B: message 1 + finish', instructions: s3a + f3a },
      { step: 'suite 3 by reference: message 1 + finish (no certificate to verify)', instructions: s3b + f3b },
      { step: 'suite 4 (key transport): message 1 + finish (X.509, Ed25519 verify, Z, Z_e, pms opened, MACs, keys, record)', instructions: s4 + f4 },
      { step: 'a record of 12 bytes with the change-cipher message (sealUpdate: the record, then the next keys)', instructions: upd },
    ],
  };
}

/** The dual handset running suite 2 on the suite-2 trace vectors (A offers 2 then 1), instrumented. */
async function measureDual(): Promise<Footprint['dual']> {
  const file = buildPath('handset-dual.wasm');
  const wasm = new Uint8Array(readFileSync(file));
  const limits = memoryLimits(wasm);
  const t1 = computeTrace(), t2 = computeTrace2();
  const h = await Handset.load({ build: 'dual', wasm: instrumentWasm(wasm, { countEnd: false }), random: (b) => b.set(TRACE2_INPUTS.randomA.subarray(0, b.length)) });
  const count = (f: () => unknown) => { resetCount(h.instance); f(); return Number(readCount(h.instance)); };
  const untouched = guardAboveStatic(h);
  const provision = count(() => h.provisionSuites({
    suites: TRACE2_INPUTS.offer, serverName: TRACE2_INPUTS.serverName,
    p256: { secretKey: TRACE2_INPUTS.handsetKey, caPublicKey: Buffer.from(t2.certificates.caPublicKey, 'hex') },
    x25519: { secretKey: TRACE_INPUTS.handsetKey, caPublicKey: Buffer.from(t1.certificates.caPublicKey, 'hex') },
  }));
  let m1: Uint8Array = new Uint8Array(0), m3: Uint8Array = new Uint8Array(0);
  const c1 = count(() => { m1 = h.start(TRACE_TIME); });
  const c3 = count(() => { m3 = h.finish(Buffer.from(t2.messages.m2, 'hex'), TRACE_TIME, TRACE2_INPUTS.appData); });
  if (Buffer.from(m1).toString('hex') !== t2.messages.m1 || Buffer.from(m3).toString('hex') !== t2.messages.m3) throw new Error('handset-dual.wasm does not reproduce the suite-2 trace');
  const rec = count(() => h.seal(TRACE2_INPUTS.appData));
  const aboveStaticUntouched = untouched();
  const split = await splitFinish(wasm, 'dual', TRACE2_INPUTS.randomA, c3, (x) => x.provisionSuites({
    suites: TRACE2_INPUTS.offer, serverName: TRACE2_INPUTS.serverName,
    p256: { secretKey: TRACE2_INPUTS.handsetKey, caPublicKey: Buffer.from(t2.certificates.caPublicKey, 'hex') },
    x25519: { secretKey: TRACE_INPUTS.handsetKey, caPublicKey: Buffer.from(t1.certificates.caPublicKey, 'hex') },
  }), Buffer.from(t2.messages.m2, 'hex'), TRACE2_INPUTS.appData);
  return {
    module: 'build/handset-dual.wasm (release)',
    wasmBytes: statSync(file).size,
    staticBytes: h.exports.heapBase() >>> 0,
    aboveStaticUntouched,
    memoryPages: limits?.initial ?? 0,
    memoryMaximumPages: limits?.maximum ?? null,
    imports: WebAssembly.Module.imports(new WebAssembly.Module(wasm)).map((i) => `${i.module}.${i.name} (${i.kind})`),
    handshakeInstructions: c1 + c3,
    steps: [
      { step: 'provisioning (once per boot: both suites\' keys checked, pk_A = [sk_A] G on P-256, ID_A)', instructions: provision },
      { step: 'message 1 (start, two suites offered)', instructions: c1 },
      { step: 'message 2 processed, message 3 built (finish: X.509 parse, ECDSA P-256 verify, P-256 ECDH, HKDF, MACs, CCM_8 record)', instructions: c3 },
      { step: '  of which processing message 2 (framing, X.509 parse, ECDSA P-256 verify, P-256 ECDH, PRK, TH2, MAC_B checked)', instructions: split.message2 },
      { step: '  of which building message 3 (TH3, MAC_A, traffic keys, the first CCM_8 record sealed)', instructions: split.message3 },
      { step: 'a later application record of 12 bytes (seal, AES-128-CCM_8)', instructions: rec },
    ],
    budgets: DUAL_BUDGETS,
  };
}

/**
 * finish() split into its two steps, processing message 2 and building message 3, on a trace:
 * the module is instrumented in trace mode with a mark at MAC_B's address in IN (the last 16
 * bytes of message 2), which finish() first reads when it compares MAC_B, after the X.509 parse,
 * the signature check, the key agreement, PRK and TH2, and before TH3, MAC_A, the traffic keys
 * and the first record. The mark is taken at segment granularity (host/bench/wasm-count.ts,
 * markAddress): the comparison's first segment falls to message 2. The whole count must equal
 * `total`, finish()'s count without tracing.
 */
async function splitFinish(wasm: Uint8Array, build: 'dual' | undefined, random: Uint8Array, total: number,
  provision: (h: Handset) => unknown, m2: Uint8Array, app: Uint8Array): Promise<{ message2: number; message3: number }> {
  const plain = await Handset.load({ ...(build ? { build } : {}), wasm, random: () => {} });
  const macB = (plain.exports.inBuf() >>> 0) + m2.length - 16;
  const h = await Handset.load({ ...(build ? { build } : {}), wasm: instrumentWasm(wasm, { countEnd: false, trace: true, markAddress: macB }),
    random: (b) => b.set(random.subarray(0, b.length)) });
  provision(h);
  h.start(TRACE_TIME);
  resetTrace(h.instance);
  h.finish(m2, TRACE_TIME, app);
  const all = Number(readCount(h.instance)), mark = readMark(h.instance);
  if (mark === null || all !== total) throw new Error(`finish() split: mark ${mark}, ${all} instructions traced vs ${total} counted`);
  return { message2: Number(mark), message3: all - Number(mark) };
}

/**
 * Fills the memory above the handset's static area (from __heap_base to the end of the page) with
 * a pattern, and returns a check that it is still there: the static figure is honest only if the
 * firmware never touches memory past __heap_base (no heap, no stack in linear memory).
 */
function guardAboveStatic(h: Handset): () => boolean {
  const from = h.exports.heapBase() >>> 0;
  const mem = () => new Uint8Array(h.exports.memory.buffer, from);
  const pattern = Uint8Array.from({ length: mem().length }, (_, i) => (i * 151 + 89) & 0xff);
  mem().set(pattern);
  return () => Buffer.from(mem()).equals(Buffer.from(pattern));
}

function staticBreakdown(wasm: Uint8Array, h: Handset): Footprint['staticBreakdown'] {
  const constants = dataSegmentBytes(wasm);
  const messageBuffers = (h.exports.inCap() >>> 0) + (h.exports.outCap() >>> 0);
  return { constants, messageBuffers, other: (h.exports.heapBase() >>> 0) - constants - messageBuffers };
}

export async function measureFootprint(): Promise<Footprint> {
  const file = buildPath('handset.wasm');
  const wasm = new Uint8Array(readFileSync(file));
  const mod = new WebAssembly.Module(wasm);
  const limits = memoryLimits(wasm);
  // One complete client handshake on the trace vectors, instrumented.
  const trace = computeTrace();
  const h = await Handset.load({ wasm: instrumentWasm(wasm, { countEnd: false }), random: (b) => b.set(TRACE_INPUTS.randomA.subarray(0, b.length)) });
  const count = (f: () => unknown) => { resetCount(h.instance); f(); return Number(readCount(h.instance)); };
  const untouched = guardAboveStatic(h);
  const provision = count(() => h.provision(TRACE_INPUTS.handsetKey, Buffer.from(trace.certificates.caPublicKey, 'hex'), TRACE_INPUTS.serverName));
  const m1 = count(() => h.start(TRACE_TIME));
  const m3 = count(() => h.finish(Buffer.from(trace.messages.m2, 'hex'), TRACE_TIME, TRACE_INPUTS.appData));
  const rec = count(() => h.seal(TRACE_INPUTS.appData));
  const aboveStaticUntouched = untouched();
  const split = await splitFinish(wasm, undefined, TRACE_INPUTS.randomA, m3,
    (x) => x.provision(TRACE_INPUTS.handsetKey, Buffer.from(trace.certificates.caPublicKey, 'hex'), TRACE_INPUTS.serverName),
    Buffer.from(trace.messages.m2, 'hex'), TRACE_INPUTS.appData);
  // The crypto core's fused code paths against libsodium, both counted in this run.
  const core = await deterministicCounts();
  const primitives: Footprint['primitives'] = [];
  for (const [op, fw] of Object.entries(core.firmware)) {
    // ratios only for the primitives libsodium has (it has no P-256 and no AES-CCM)
    const ls = core.libsodium[op];
    if (ls === undefined) continue;
    primitives.push({ op, firmware: fw, libsodium: ls, ratio: fw / ls });
  }
  const small = await loadFirmware({ wasm: instrumentWasm(readFileSync(buildPath('crypto.small.wasm')), { countEnd: false }) });
  const sc = (f: () => unknown) => { f(); resetCount(small.instance); f(); return Number(readCount(small.instance)); };
  const tv = trace.certificates;
  const caPk = Buffer.from(tv.caPublicKey, 'hex');
  const srvDer = Buffer.from(tv.server, 'hex');
  // the CA's signature over C_B's TBS: what the handset verifies
  const cert = read(srvDer);
  const tbs = whole(children(cert)[0]!);
  const sig = srvDer.subarray(srvDer.length - 64);
  const lib = new Map(primitives.map((p) => [p.op, p.libsodium]));
  const smallBuildPrimitives = [
    { op: 'X25519', instructions: sc(() => small.x25519(TRACE_INPUTS.handsetKey, Buffer.from(trace.derived.serverPublicKey, 'hex'))), libsodium: lib.get('X25519') ?? null },
    { op: 'Ed25519 verify (C_B, ' + tbs.length + ' B)', instructions: sc(() => { if (!small.ed25519Verify(caPk, tbs, sig)) throw new Error('trace C_B signature does not verify'); }), libsodium: null },
    { op: 'SHA-256 1 KiB', instructions: sc(() => small.sha256(new Uint8Array(1024))), libsodium: lib.get('SHA-256 1 KiB') ?? null },
  ];
  return {
    module: 'build/handset.wasm (release)',
    wasmBytes: statSync(file).size,
    sections: sectionSizes(wasm),
    staticBytes: h.exports.heapBase() >>> 0,
    staticBreakdown: staticBreakdown(wasm, h),
    aboveStaticUntouched,
    memoryPages: limits?.initial ?? 0,
    memoryMaximumPages: limits?.maximum ?? null,
    imports: WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name} (${i.kind})`),
    handshakeInstructions: m1 + m3,
    steps: [
      { step: 'provisioning (once per boot: pk_A = X25519(sk_A, 9), ID_A)', instructions: provision },
      { step: 'message 1 (start)', instructions: m1 },
      { step: 'message 2 processed, message 3 built (finish: X.509 parse, Ed25519 verify, X25519, HKDF, MACs, first record)', instructions: m3 },
      { step: '  of which processing message 2 (framing, X.509 parse, Ed25519 verify, X25519, PRK, TH2, MAC_B checked)', instructions: split.message2 },
      { step: '  of which building message 3 (TH3, MAC_A, traffic keys, the first record sealed)', instructions: split.message3 },
      { step: 'a later application record of 12 bytes (seal)', instructions: rec },
    ],
    primitives,
    smallBuildPrimitives,
    budgets: BUDGETS,
    dual: await measureDual(),
    fs: await measureFs(),
  };
}

async function main(): Promise<void> {
  const f = await measureFootprint();
  if (process.argv.includes('--json')) { console.log(JSON.stringify(f, null, 2)); return; }
  const n = (x: number) => x.toLocaleString('en-US');
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
  console.log(`bench:footprint  ${f.module}\n`);
  console.log(`  module size          ${n(f.wasmBytes)} bytes   (budget ${n(f.budgets.wasmBytes)})  ${verdict(f.wasmBytes <= f.budgets.wasmBytes)}`);
  for (const s of f.sections) console.log(`    ${s.name.padEnd(28)} ${n(s.bytes).padStart(8)}`);
  console.log(`  static memory        ${n(f.staticBytes)} bytes   (budget ${n(f.budgets.staticBytes)})  ${verdict(f.staticBytes <= f.budgets.staticBytes)}`);
  const sb = f.staticBreakdown;
  console.log(`    constants (data segments)       ${n(sb.constants)}`);
  console.log(`    message buffers IN + OUT        ${n(sb.messageBuffers)}`);
  console.log(`    scratch arena (assembly/memmap.ts), session, identity, alignment  ${n(sb.other)}`);
  console.log(`    memory past the static area untouched by the whole run: ${f.aboveStaticUntouched}  ${verdict(f.aboveStaticUntouched)}`);
  console.log(`  memory               ${f.memoryPages} page(s) of 64 KiB, maximum ${f.memoryMaximumPages} (cannot grow: ${f.memoryMaximumPages === f.memoryPages})  ${verdict(f.memoryPages === 1 && f.memoryMaximumPages === 1)}`);
  console.log(`  imports              ${f.imports.join(', ')}`);
  console.log(`  client handshake     ${n(f.handshakeInstructions)} executed wasm instructions (budget ${n(f.budgets.handshakeInstructions)})  ${verdict(f.handshakeInstructions <= f.budgets.handshakeInstructions)}`);
  for (const s of f.steps) console.log(`    ${s.step.padEnd(100)} ${n(s.instructions).padStart(10)}`);
  console.log('\n  the handset\'s code paths (build/crypto.small.wasm), executed wasm instructions');
  for (const p of f.smallBuildPrimitives) console.log(`    ${p.op.padEnd(30)} ${n(p.instructions).padStart(10)} ${p.libsodium === null ? '' : `${n(p.libsodium).padStart(10)}   ${(p.instructions / p.libsodium).toFixed(2)} × libsodium`}`);
  const d = f.dual;
  console.log(`\nbench:footprint  ${d.module}: suites 1 and 2 (issue 7), suite 2 on its trace vectors\n`);
  console.log(`  module size          ${n(d.wasmBytes)} bytes   (budget ${n(d.budgets.wasmBytes)})  ${verdict(d.wasmBytes <= d.budgets.wasmBytes)}`);
  console.log(`  static memory        ${n(d.staticBytes)} bytes   (asserted at most ${n(d.budgets.staticBytes)})  ${verdict(d.staticBytes <= d.budgets.staticBytes)}; memory past it untouched: ${d.aboveStaticUntouched}`);
  console.log(`  memory               ${d.memoryPages} page(s) of 64 KiB, maximum ${d.memoryMaximumPages}`);
  console.log(`  imports              ${d.imports.join(', ')}`);
  console.log(`  client handshake     ${n(d.handshakeInstructions)} executed wasm instructions (suite 2; no budget set)`);
  for (const s of d.steps) console.log(`    ${s.step.padEnd(100)} ${n(s.instructions).padStart(10)}`);
  const x = f.fs;
  console.log(`\nbench:footprint  ${x.module}: suites 1, 3 and 4 (issue 9), on the suite-3 and suite-4 trace vectors\n`);
  console.log(`  module size          ${n(x.wasmBytes)} bytes   (no budget set)`);
  console.log(`  static memory        ${n(x.staticBytes)} bytes; memory past it untouched: ${x.aboveStaticUntouched}`);
  console.log(`  memory               ${x.memoryPages} page(s) of 64 KiB, maximum ${x.memoryMaximumPages}`);
  console.log(`  imports              ${x.imports.join(', ')}`);
  for (const s of x.steps) console.log(`    ${s.step.padEnd(110)} ${n(s.instructions).padStart(10)}`);
  if (f.primitives.length) {
    console.log('\n  the crypto core\'s fused code paths vs libsodium (executed wasm instructions, both counted in this run)');
    for (const p of f.primitives) console.log(`    ${p.op.padEnd(30)} ${n(p.firmware).padStart(10)} ${n(p.libsodium).padStart(10)}   ${p.ratio.toFixed(2)} ×`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((e) => { console.error(e); process.exit(1); });
}
