import test from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';

import {
  captureInstantiations,
  decodeSLEB,
  decodeULEB,
  encodeSLEB,
  encodeULEB,
  instrumentWasm,
  instrumentWasmWithStats,
  isInstrumented,
  readCount,
  readMark,
  readTrace,
  resetCount,
  resetTrace,
  TRACE_HASH_SEED,
  traceHashStep,
  traceOf,
} from '../host/bench/wasm-count.js';

// ---------------------------------------------------------------------------
// A tiny hand assembler (independent of the code under test)
// ---------------------------------------------------------------------------

function u(value: number | bigint): number[] {
  let v = BigInt(value);
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) b |= 0x80;
    out.push(b);
  } while (v !== 0n);
  return out;
}

function s(value: number | bigint): number[] {
  let v = BigInt(value);
  const out: number[] = [];
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const str = (text: string): number[] => {
  const b = [...new TextEncoder().encode(text)];
  return [...u(b.length), ...b];
};
const vec = (items: number[][]): number[] => [...u(items.length), ...items.flat()];
const section = (id: number, payload: number[]): number[] => [id, ...u(payload.length), ...payload];
const wasm = (...sections: number[][]): Uint8Array<ArrayBuffer> =>
  new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...sections.flat()]);

const I32 = 0x7f;
const I64 = 0x7e;
const FUNCREF = 0x70;
const EXTERNREF = 0x6f;
const VOID = 0x40;

const funcType = (params: number[], results: number[]): number[] => [
  0x60,
  ...vec(params.map((p) => [p])),
  ...vec(results.map((r) => [r])),
];
/** A function body: local declarations + instructions; the final `end` is appended here. */
const body = (locals: Array<[number, number]>, instrs: number[][]): number[] => {
  const b = [...vec(locals.map(([n, t]) => [...u(n), t])), ...instrs.flat(), 0x0b];
  return [...u(b.length), ...b];
};
const exportFunc = (name: string, idx: number): number[] => [...str(name), 0x00, ...u(idx)];
const exportGlobal = (name: string, idx: number): number[] => [...str(name), 0x03, ...u(idx)];
const custom = (name: string, data: number[]): number[] => section(0, [...str(name), ...data]);

const f32 = (x: number): number[] => {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setFloat32(0, x, true);
  return [...new Uint8Array(dv.buffer)];
};
const f64 = (x: number): number[] => {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x, true);
  return [...new Uint8Array(dv.buffer)];
};
const i32x4 = (a: number, b: number, c: number, d: number): number[] => {
  const dv = new DataView(new ArrayBuffer(16));
  [a, b, c, d].forEach((x, i) => dv.setInt32(i * 4, x, true));
  return [...new Uint8Array(dv.buffer)];
};

// Instructions.
const localGet = (i: number) => [0x20, ...u(i)];
const localSet = (i: number) => [0x21, ...u(i)];
const globalGet = (i: number) => [0x23, ...u(i)];
const globalSet = (i: number) => [0x24, ...u(i)];
const i32Const = (v: number) => [0x41, ...s(v)];
const i64Const = (v: bigint) => [0x42, ...s(v)];
const call = (f: number) => [0x10, ...u(f)];
const br = (l: number) => [0x0c, ...u(l)];
const brIf = (l: number) => [0x0d, ...u(l)];
const block = (bt: number[] = [VOID]) => [0x02, ...bt];
const loop = (bt: number[] = [VOID]) => [0x03, ...bt];
const iff = (bt: number[] = [VOID]) => [0x04, ...bt];
const ELSE = [0x05];
const END = [0x0b];
const NOP = [0x01];
const RETURN = [0x0f];
const UNREACHABLE = [0x00];
const DROP = [0x1a];
const I32_ADD = [0x6a];
const I32_SUB = [0x6b];
const I32_MUL = [0x6c];
const I32_GE_U = [0x4f];
const I64_ADD = [0x7c];
const simd = (op: number, ...imm: number[]) => [0xfd, ...u(op), ...imm];
const misc = (op: number, ...imm: number[]) => [0xfc, ...u(op), ...imm];

async function instantiate(bytes: Uint8Array<ArrayBuffer>, imports: WebAssembly.Imports = {}): Promise<WebAssembly.Instance> {
  return (await WebAssembly.instantiate(bytes, imports)).instance;
}

/** Instantiates the original and the instrumented module. */
async function both(bytes: Uint8Array<ArrayBuffer>, imports: WebAssembly.Imports = {}) {
  assert.ok(WebAssembly.validate(bytes), 'hand-built module must be valid');
  const instrumented = instrumentWasm(bytes);
  assert.ok(WebAssembly.validate(instrumented), 'instrumented module must validate');
  return { orig: await instantiate(bytes, imports), inst: await instantiate(instrumented, imports) };
}

type Fn = (...args: number[]) => unknown;
const fn = (instance: WebAssembly.Instance, name: string): Fn => instance.exports[name] as Fn;

/** Runs exports[name](...args) on both instances; asserts equal results; returns the count. */
function run(pair: { orig: WebAssembly.Instance; inst: WebAssembly.Instance }, name: string, ...args: number[]) {
  const expected = fn(pair.orig, name)(...args);
  resetCount(pair.inst);
  const result = fn(pair.inst, name)(...args);
  const count = readCount(pair.inst);
  assert.deepEqual(result, expected, `${name}(${args.join(',')}) result changed by instrumentation`);
  return { result, count };
}

// ---------------------------------------------------------------------------
// LEB128
// ---------------------------------------------------------------------------

test('LEB128 encode/decode is exact', () => {
  assert.deepEqual(encodeULEB(0), [0x00]);
  assert.deepEqual(encodeULEB(127), [0x7f]);
  assert.deepEqual(encodeULEB(128), [0x80, 0x01]);
  assert.deepEqual(encodeULEB(624485), [0xe5, 0x8e, 0x26]);
  assert.deepEqual(encodeULEB(0xffffffff), [0xff, 0xff, 0xff, 0xff, 0x0f]);
  assert.deepEqual(encodeSLEB(0), [0x00]);
  assert.deepEqual(encodeSLEB(63), [0x3f]);
  assert.deepEqual(encodeSLEB(64), [0xc0, 0x00]);
  assert.deepEqual(encodeSLEB(-1), [0x7f]);
  assert.deepEqual(encodeSLEB(-64), [0x40]);
  assert.deepEqual(encodeSLEB(-65), [0xbf, 0x7f]);
  assert.deepEqual(encodeSLEB(-123456), [0xc0, 0xbb, 0x78]);
  assert.deepEqual(encodeSLEB(-2147483648), [0x80, 0x80, 0x80, 0x80, 0x78]);

  const d = (b: number[]) => new Uint8Array(b);
  assert.deepEqual(decodeULEB(d([0xe5, 0x8e, 0x26])), { value: 624485n, length: 3 });
  assert.deepEqual(decodeULEB(d([0xff, 0xff, 0xff, 0xff, 0x0f])), { value: 0xffffffffn, length: 5 });
  assert.deepEqual(decodeULEB(d([0x80, 0x80, 0x00])), { value: 0n, length: 3 }); // non-canonical but valid
  assert.throws(() => decodeULEB(d([0xff, 0xff, 0xff, 0xff, 0x1f])), /overflows 32/);
  assert.throws(() => decodeULEB(d([0x80, 0x80, 0x80, 0x80, 0x80, 0x00])), /longer than 5/);
  assert.throws(() => decodeULEB(d([0x80])), /unexpected end/);
  assert.deepEqual(decodeSLEB(d([0x80, 0x80, 0x80, 0x80, 0x78])), { value: -2147483648n, length: 5 });
  assert.deepEqual(decodeSLEB(d([0xff, 0xff, 0xff, 0xff, 0x07])), { value: 2147483647n, length: 5 });
  assert.throws(() => decodeSLEB(d([0x80, 0x80, 0x80, 0x80, 0x70])), /overflows 32/);
  assert.throws(() => decodeSLEB(d([0xff, 0xff, 0xff, 0xff, 0x0f])), /overflows 32/);
  // s33 (block types): type index 2^32-1 fits, -2^32 fits, 2^32 does not.
  assert.deepEqual(decodeSLEB(d([0xff, 0xff, 0xff, 0xff, 0x0f]), 33), { value: 0xffffffffn, length: 5 });
  assert.deepEqual(decodeSLEB(d([0x80, 0x80, 0x80, 0x80, 0x70]), 33), { value: -(2n ** 32n), length: 5 });
  assert.throws(() => decodeSLEB(d([0x80, 0x80, 0x80, 0x80, 0x10]), 33), /overflows 33/);

  const extremes = [0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 0x123456789abcdefn, -0x123456789abcdefn];
  for (const v of extremes) {
    const enc = encodeSLEB(v);
    assert.deepEqual(decodeSLEB(d(enc), 64), { value: v, length: enc.length });
  }
  assert.equal(encodeSLEB(-(2n ** 63n)).length, 10);
  assert.throws(() => decodeSLEB(d([...encodeSLEB(2n ** 63n)]), 64), /overflows 64|longer than 10/);
  assert.deepEqual(decodeULEB(d(encodeULEB(2n ** 64n - 1n)), 64), { value: 2n ** 64n - 1n, length: 10 });
  assert.throws(() => decodeULEB(d(encodeULEB(2n ** 64n)), 64));
});

// ---------------------------------------------------------------------------
// Control flow: exact counts derived by hand
// ---------------------------------------------------------------------------

// Functions (all of type (i32) -> i32):
//   0 loop:    for (i = 0; i < n; i++); return i
//   1 ifelse:  (x ? 10 : 20 + 1) * 2
//   2 brtable: switch (x) { case 0: 100; case 1: 200 + 5; default: 300 * 7 }
//   3 sq:      x * x
//   4 sumsq:   while (n) { acc += sq(n); n-- } return acc
const controlModule = wasm(
  section(1, vec([funcType([I32], [I32])])),
  section(3, vec([[0], [0], [0], [0], [0]])),
  section(7, vec([exportFunc('loop', 0), exportFunc('ifelse', 1), exportFunc('brtable', 2), exportFunc('sq', 3), exportFunc('sumsq', 4)])),
  section(10, vec([
    body([[1, I32]], [
      block(), //                                  segment A: [block]                          = 1
      loop(), //                                   segment B: [loop]                           = 1
      localGet(1), localGet(0), I32_GE_U, brIf(1), // segment C: 4, runs n+1 times
      localGet(1), i32Const(1), I32_ADD, localSet(1), br(0), // segment D: 5, runs n times
      END, //                                      dead (after br): 1
      END, //                                      never reached (br_if jumps past it): 1
      localGet(1), //                              segment E: [local.get, end]              = 2
    ]),
    body([], [
      localGet(0), iff([I32]), //                  entry: 2
      i32Const(10), ELSE, //                       then-arm: 2
      i32Const(20), i32Const(1), I32_ADD, END, //  else-arm: 4
      i32Const(2), I32_MUL, //                     tail: [i32.const, i32.mul, end] = 3
    ]),
    body([], [
      block(), block(), block(), //                1 + 1 + 1
      localGet(0), [0x0e, ...vec([u(0), u(1)]), ...u(2)], // [local.get, br_table] = 2
      END, //                                      dead: 1
      i32Const(100), RETURN, //                    case 0: 2
      END, //                                      dead: 1
      i32Const(200), i32Const(5), I32_ADD, RETURN, // case 1: 4
      END, //                                      dead: 1
      i32Const(300), NOP, i32Const(7), I32_MUL, // default: [.., end] = 5
    ]),
    body([], [localGet(0), localGet(0), I32_MUL]), // 4 (incl. end)
    body([[1, I32]], [
      loop(), //                                   entry: 1
      localGet(0), iff(), //                       2, runs n+1 times
      localGet(1), localGet(0), call(3), //        3 (+4 in sq), runs n times
      I32_ADD, localSet(1), localGet(0), i32Const(1), I32_SUB, localSet(0), br(1), // 7, n times
      END, //                                      dead: 1
      END, //                                      loop end, reached once (if false skips if's end): 1
      localGet(1), //                              [local.get, end] = 2
    ]),
  ])),
);

test('loop: 9n + 8 instructions', async () => {
  const pair = await both(controlModule);
  for (const n of [0, 1, 2, 5, 100, 1000]) {
    const { result, count } = run(pair, 'loop', n);
    assert.equal(result, n);
    assert.equal(count, BigInt(9 * n + 8), `loop(${n})`);
  }
});

test('if/else: 7 (then) and 9 (else) instructions', async () => {
  const pair = await both(controlModule);
  assert.deepEqual(run(pair, 'ifelse', 1), { result: 20, count: 7n });
  assert.deepEqual(run(pair, 'ifelse', -5), { result: 20, count: 7n });
  assert.deepEqual(run(pair, 'ifelse', 0), { result: 42, count: 9n });
});

test('br_table: 7, 9, 10 instructions per case', async () => {
  const pair = await both(controlModule);
  assert.deepEqual(run(pair, 'brtable', 0), { result: 100, count: 7n });
  assert.deepEqual(run(pair, 'brtable', 1), { result: 205, count: 9n });
  assert.deepEqual(run(pair, 'brtable', 2), { result: 2100, count: 10n });
  assert.deepEqual(run(pair, 'brtable', -1), { result: 2100, count: 10n });
});

test('call: 6 + 16n instructions (callee counted too)', async () => {
  const pair = await both(controlModule);
  assert.deepEqual(run(pair, 'sq', 9), { result: 81, count: 4n });
  for (const n of [0, 1, 3, 10, 50]) {
    const { result, count } = run(pair, 'sumsq', n);
    assert.equal(result, (n * (n + 1) * (2 * n + 1)) / 6);
    assert.equal(count, BigInt(6 + 16 * n), `sumsq(${n})`);
  }
  // The counter accumulates until reset.
  resetCount(pair.inst);
  fn(pair.inst, 'sumsq')(3);
  fn(pair.inst, 'loop')(2);
  assert.equal(readCount(pair.inst), 54n + 26n);
});

test('traps and exceptions: segment is counted on entry, split after calls', async () => {
  let shouldThrow = false;
  const imports = {
    env: {
      boom: () => {
        if (shouldThrow) throw new Error('boom');
      },
    },
  };
  const bytes = wasm(
    section(1, vec([funcType([], [])])),
    section(2, vec([[...str('env'), ...str('boom'), 0x00, 0x00]])),
    section(3, vec([[0], [0]])),
    section(7, vec([exportFunc('f', 1), exportFunc('g', 2)])),
    section(10, vec([
      body([], [NOP, call(0), NOP, NOP]), // [nop, call] = 2 ; [nop, nop, end] = 3
      body([], [i32Const(1), DROP, UNREACHABLE]), // [i32.const, drop, unreachable] = 3 ; [end] dead
    ])),
  );
  const pair = await both(bytes, imports);
  assert.equal(run(pair, 'f').count, 5n);
  shouldThrow = true;
  resetCount(pair.inst);
  assert.throws(() => fn(pair.inst, 'f')(), /boom/);
  assert.equal(readCount(pair.inst), 2n);
  resetCount(pair.inst);
  assert.throws(() => fn(pair.inst, 'g')(), WebAssembly.RuntimeError);
  assert.equal(readCount(pair.inst), 3n);
});

// ---------------------------------------------------------------------------
// Module structure: globals, exports, sections
// ---------------------------------------------------------------------------

test('counter global index accounts for imported globals; existing globals/exports unchanged', async () => {
  const bytes = wasm(
    section(1, vec([funcType([], [I32]), funcType([], [])])),
    section(2, vec([
      [...str('env'), ...str('f'), 0x00, 0x01],
      [...str('env'), ...str('g'), 0x03, I32, 0x00],
      [...str('env'), ...str('h'), 0x03, I64, 0x01],
    ])),
    section(3, vec([[0], [1]])),
    section(6, vec([[I32, 0x01, ...i32Const(5), 0x0b]])),
    section(7, vec([exportFunc('get', 1), exportFunc('bump', 2), exportGlobal('g1', 2)])),
    section(10, vec([
      body([], [globalGet(0), globalGet(2), I32_ADD]), // 4
      body([], [globalGet(2), i32Const(1), I32_ADD, globalSet(2), call(0)]), // [..., call] = 5 ; [end] = 1
    ])),
  );
  const { bytes: out, stats } = instrumentWasmWithStats(bytes);
  assert.equal(stats.counterGlobalIndex, 3);
  assert.equal(stats.functions, 2);
  assert.equal(stats.instructions, 10);
  assert.equal(stats.segments, 3);
  const imports = {
    env: { f: () => {}, g: 100, h: new WebAssembly.Global({ value: 'i64', mutable: true }, 7n) },
  };
  const pair = await both(bytes, imports);
  assert.ok(WebAssembly.validate(out));
  assert.deepEqual(run(pair, 'get'), { result: 105, count: 4n });
  assert.deepEqual(run(pair, 'bump'), { result: undefined, count: 6n });
  assert.equal((pair.inst.exports.g1 as WebAssembly.Global).value, 6);
  assert.deepEqual(run(pair, 'get'), { result: 106, count: 4n });
  assert.equal(imports.env.h.value, 7n, 'imported i64 global untouched');
  assert.deepEqual(Object.keys(pair.inst.exports), ['get', 'bump', 'g1', '__icount']);
});

test('module without global/export sections, with start and custom sections', async () => {
  const bytes = wasm(
    custom('first', [1, 2, 3]),
    section(1, vec([funcType([], [])])),
    section(3, vec([[0]])),
    custom('middle', []),
    section(8, u(0)),
    section(10, vec([body([], [NOP, NOP, NOP])])),
    custom('name', [0x00, ...u(4), ...str('mod')]),
  );
  assert.ok(WebAssembly.validate(bytes));
  const out = instrumentWasm(bytes);
  assert.ok(WebAssembly.validate(out));
  const mod = new WebAssembly.Module(out);
  assert.deepEqual(WebAssembly.Module.exports(mod), [{ name: '__icount', kind: 'global' }]);
  assert.deepEqual(WebAssembly.Module.customSections(mod, 'first').map((b) => [...new Uint8Array(b)]), [[1, 2, 3]]);
  assert.equal(WebAssembly.Module.customSections(mod, 'middle').length, 1);
  assert.equal(WebAssembly.Module.customSections(mod, 'name').length, 1);
  const instance = new WebAssembly.Instance(mod, {});
  assert.equal(readCount(instance), 4n, 'start function ran once');
  resetCount(instance);
  assert.equal(readCount(instance), 0n);
  assert.ok(isInstrumented(instance));
  assert.throws(() => instrumentWasm(out), /already exports "__icount"/);
});

test('long segments, multi-byte body sizes, non-canonical LEBs preserved', async () => {
  for (const k of [0, 62, 63, 64, 127, 128, 8191, 8192, 20000]) {
    const bytes = wasm(
      section(1, vec([funcType([I32], [I32])])),
      section(3, vec([[0]])),
      section(7, vec([exportFunc('f', 0)])),
      section(10, vec([body([[1, I32]], [
        ...Array.from({ length: k }, () => NOP),
        [0x20, 0x80, 0x80, 0x00], // local.get 0, 3-byte LEB
        [0x41, 0xff, 0x7f], // i32.const -1, 2-byte LEB
        I32_ADD,
      ])])),
    );
    const pair = await both(bytes);
    assert.deepEqual(run(pair, 'f', 10), { result: 9, count: BigInt(k + 4) }, `k=${k}`);
  }
});

// ---------------------------------------------------------------------------
// Post-MVP encodings: SIMD, bulk memory, sat. truncation, sign extension,
// reference types, typed select, multi-value block types, tables.
// Every function is straight-line, so its count is its number of instructions.
// ---------------------------------------------------------------------------

const simdBody: number[][] = [
  i32Const(0), //                                     1
  simd(12, ...i32x4(1, 2, 3, 4)), //                  2 v128.const
  simd(11, 4, 16), //                                 3 v128.store align=16 offset=16: mem[16..32) = 1,2,3,4
  i32Const(4), //                                     4
  simd(12, ...i32x4(10, 20, 30, 40)), //              5
  simd(86, 2, 16, 0), //                              6 v128.load32_lane offset=16 lane 0 -> (2,20,30,40)
  i32Const(0), //                                     7
  simd(0, 4, 16), //                                  8 v128.load offset=16 -> (1,2,3,4)
  simd(174), //                                       9 i32x4.add (2-byte opcode) -> (3,22,33,44)
  simd(12, ...i32x4(0, 0, 0, 0)), //                  10
  simd(13, 4, 5, 6, 7, 16, 17, 18, 19, 0, 1, 2, 3, 8, 9, 10, 11), // 11 i8x16.shuffle -> (22,0,3,33)
  simd(27, 0), //                                     12 i32x4.extract_lane 0 -> 22
  i32Const(0), //                                     13
  simd(9, 2, 24), //                                  14 v128.load32_splat offset=24 -> splat 3
  simd(27, 3), //                                     15 -> 3
  I32_ADD, //                                         16 -> 25
  i32Const(0), //                                     17
  simd(93, 3, 16), //                                 18 v128.load64_zero offset=16 -> (1,2,0,0)
  simd(29, 0), //                                     19 i64x2.extract_lane 0 -> 0x2_0000_0001
  [0xa7], //                                          20 i32.wrap_i64 -> 1
  I32_ADD, //                                         21 -> 26
  i32Const(8), //                                     22
  i32Const(0), //                                     23
  simd(0, 4, 16), //                                  24 -> (1,2,3,4)
  simd(90, 2, 0, 2), //                               25 v128.store32_lane lane 2: mem[8] = 3
  i32Const(8), //                                     26
  [0x28, 2, 0], //                                    27 i32.load -> 3
  I32_ADD, //                                         28 -> 29
  i32Const(7), simd(15), i32Const(7), simd(15), //   29-32 i8x16.splat 7 (twice)
  simd(206), //                                       33 i64x2.add (2-byte opcode) -> all bytes 14
  simd(21, 5), //                                     34 i8x16.extract_lane_s 5 -> 14
  I32_ADD, //                                         35 -> 43
  // end                                              36
];

const bulkBody: number[][] = [
  i32Const(100), i32Const(0), i32Const(4), misc(8, 0, 0), //   1-4  memory.init 0: mem[100..104) = 1,2,3,4
  misc(9, 0), //                                                5    data.drop 0
  i32Const(200), i32Const(100), i32Const(4), misc(10, 0, 0), // 6-9  memory.copy
  i32Const(300), i32Const(7), i32Const(2), misc(11, 0), //      10-13 memory.fill
  i32Const(200), [0x28, 2, 0], //                               14-15 i32.load -> 0x04030201
  i32Const(301), [0x2d, 0, 0], //                               16-17 i32.load8_u -> 7
  I32_ADD, //                                                   18
  [0x3f, 0x00], I32_ADD, //                                     19-20 memory.size -> 1
  // end                                                        21
];

const numericBody: number[][] = [
  [0x43, ...f32(1e10)], misc(0), [0xac], //           1-3  i32.trunc_sat_f32_s -> 2147483647, i64.extend_i32_s
  [0x44, ...f64(-1)], misc(7), I64_ADD, //            4-6  i64.trunc_sat_f64_u -> 0
  i32Const(0x80), [0xc0], [0xac], I64_ADD, //         7-10 i32.extend8_s -> -128
  i64Const(0x8000n), [0xc3], I64_ADD, //              11-13 i64.extend16_s -> -32768
  i64Const(-(2n ** 63n)), [0xc4], I64_ADD, //         14-16 i64.extend32_s -> 0
  i32Const(1), i32Const(2), i32Const(0), [0x1c, ...vec([[I32]])], [0xad], I64_ADD, // 17-22 typed select -> 2
  [0xd0, EXTERNREF], [0xd0, EXTERNREF], i32Const(1), [0x1c, ...vec([[EXTERNREF]])], [0xd1], [0xad], I64_ADD, // 23-29
  i32Const(3), i32Const(4), //                        30-31
  block([...s(3)]), I32_MUL, i32Const(5), END, //     32-35 block (type 3: [i32 i32] -> [i32 i32]) -> 12, 5
  I32_SUB, [0xac], I64_ADD, //                        36-38 -> 7
  i32Const(-2147483648), [0xac], I64_ADD, //          39-41
  i64Const(2n ** 63n - 1n), I64_ADD, //               42-43
  // end                                              44
];

const tablesBody: number[][] = [
  [0xd0, FUNCREF], i32Const(3), misc(15, 0), //       1-3  table.grow 0 by 3 -> 2
  misc(16, 0), I32_ADD, //                            4-5  table.size -> 5; 7
  i32Const(0), i32Const(0), i32Const(1), misc(12, 0, 0), // 6-9 table.init elem 0 -> table[0] = sq
  misc(13, 0), //                                     10 elem.drop
  i32Const(1), i32Const(0), i32Const(1), misc(14, 0, 0), // 11-14 table.copy -> table[1] = sq
  i32Const(2), [0xd2, 0], i32Const(2), misc(17, 0), // 15-18 table.fill with ref.func sq
  i32Const(4), i32Const(3), [0x25, 0], [0x26, 0], //  19-22 table.set 4 (table.get 3)
  i32Const(4), [0x25, 0], [0xd1], I32_ADD, //         23-26 ref.is_null -> 0
  i32Const(6), i32Const(4), [0x11, 0, 0], //          27-29 call_indirect (type 0) -> 36 (+4 in sq)
  I32_ADD, //                                         30 -> 43
  // end                                              31
];

const featureModule = wasm(
  section(1, vec([funcType([I32], [I32]), funcType([], [I32]), funcType([], [I64]), funcType([I32, I32], [I32, I32])])),
  section(3, vec([[0], [1], [1], [2], [1]])),
  section(4, vec([[FUNCREF, 0x00, 2]])),
  section(5, vec([[0x00, 1]])),
  section(7, vec([exportFunc('simd', 1), exportFunc('bulk', 2), exportFunc('numeric', 3), exportFunc('tables', 4), [...str('mem'), 0x02, 0]])),
  section(9, vec([[0x01, 0x00, ...vec([u(0)])]])), // passive element segment: [sq]
  section(12, u(1)), // data count
  section(10, vec([
    body([], [localGet(0), localGet(0), I32_MUL]),
    body([], simdBody),
    body([], bulkBody),
    body([], numericBody),
    body([], tablesBody),
  ])),
  section(11, vec([[0x01, ...vec([[1], [2], [3], [4]])]])), // passive data segment
);

test('post-MVP encodings decode correctly and keep behaviour', async () => {
  const pair = await both(featureModule);
  assert.deepEqual(run(pair, 'simd'), { result: 43, count: 36n });
  assert.deepEqual(run(pair, 'bulk'), { result: 0x04030201 + 7 + 1, count: 21n });
  const expected = 2147483647n - 128n - 32768n + 2n + 1n + 7n - 2147483648n + (2n ** 63n - 1n);
  assert.deepEqual(run(pair, 'numeric'), { result: BigInt.asIntN(64, expected), count: 44n });
  assert.deepEqual(run(pair, 'tables'), { result: 43, count: 35n });
  // memory contents identical after running everything on both
  const m1 = new Uint8Array((pair.orig.exports.mem as WebAssembly.Memory).buffer);
  const m2 = new Uint8Array((pair.inst.exports.mem as WebAssembly.Memory).buffer);
  assert.deepEqual(m2.subarray(0, 512), m1.subarray(0, 512));
});

// ---------------------------------------------------------------------------
// Trace mode: control-flow and memory-address traces
// ---------------------------------------------------------------------------

/** Folds values into a trace hash the way the instrumented code does. */
const hashOf = (values: bigint[]): bigint => values.reduce(traceHashStep, TRACE_HASH_SEED);
/** A memory trace element: (kind << 40) + effective address. */
const access = (kind: number, addr: number): bigint => (BigInt(kind) << 40n) + BigInt(addr);

test('trace mode: behaviour and counts unchanged on the post-MVP module; accesses counted', async () => {
  const traced = instrumentWasm(featureModule, { trace: true });
  assert.ok(WebAssembly.validate(traced));
  const orig = await instantiate(featureModule);
  const inst = await instantiate(traced);
  // simd: v128.store, load32_lane, v128.load, load32_splat, load64_zero, v128.load, store32_lane, i32.load.
  // bulk: memory.init, memory.copy, memory.fill, i32.load, i32.load8_u.
  const expected: Record<string, [bigint, bigint]> = { simd: [36n, 8n], bulk: [21n, 5n], numeric: [44n, 0n], tables: [35n, 0n] };
  for (const [name, [count, accesses]] of Object.entries(expected)) {
    const want = fn(orig, name)();
    let got: unknown;
    const t = traceOf(inst, () => { got = fn(inst, name)(); });
    assert.deepEqual(got, want, name);
    assert.equal(t.instructions, count, `${name} count`);
    assert.equal(t.memoryAccesses, accesses, `${name} memory accesses`);
  }
  const m1 = new Uint8Array((orig.exports.mem as WebAssembly.Memory).buffer);
  const m2 = new Uint8Array((inst.exports.mem as WebAssembly.Memory).buffer);
  assert.deepEqual(m2.subarray(0, 512), m1.subarray(0, 512));
  // The bulk function's memory trace, recomputed: init (d, s, n), copy (d, s, n), fill (d, n),
  // loads (on a fresh instance: its data segment was dropped above).
  const fresh = await instantiate(traced);
  const bulk = traceOf(fresh, () => fn(fresh, 'bulk')());
  assert.equal(bulk.memory, hashOf([
    access(0xfc08, 100), 0n, 4n,
    access(0xfc0a, 200), 100n, 4n,
    access(0xfc0b, 300), 2n,
    access(0x28, 200),
    access(0x2d, 301),
  ]));
});

// One function f(p: i32, q: i64) with locals of every numeric type: stores and loads of every
// width at p and p + constant offsets, so the trace temporaries must not clobber params/locals.
const storesModule = wasm(
  section(1, vec([funcType([I32, I64], [I64])])),
  section(3, vec([[0]])),
  section(5, vec([[0x00, 1]])),
  section(7, vec([exportFunc('f', 0)])),
  section(10, vec([body([[1, I32], [1, 0x7d], [1, 0x7c]], [
    localGet(0), i32Const(0x11223344), [0x36, 2, 0], //           i32.store     p
    localGet(0), localGet(1), [0x37, 3, 8], //                    i64.store     p + 8
    localGet(0), [0x43, ...f32(1.5)], [0x38, 2, 16], //           f32.store     p + 16
    localGet(0), [0x44, ...f64(2.5)], [0x39, 3, 24], //           f64.store     p + 24
    localGet(0), i32Const(0xab), [0x3a, 0, 32], //                i32.store8    p + 32
    localGet(0), i32Const(0xcdef), [0x3b, 1, 34], //              i32.store16   p + 34
    localGet(0), i64Const(0x12n), [0x3c, 0, 36], //               i64.store8    p + 36
    localGet(0), i64Const(0x3456n), [0x3d, 1, 38], //             i64.store16   p + 38
    localGet(0), i64Const(0x789abcdefn), [0x3e, 2, 40], //        i64.store32   p + 40
    localGet(0), [0x2a, 2, 16], localSet(3), //                   f32.load      p + 16 -> local 3
    localGet(0), [0x2b, 3, 24], localSet(4), //                   f64.load      p + 24 -> local 4
    localGet(0), [0x28, 2, 0], localSet(2), //                    i32.load      p
    localGet(0), [0x29, 3, 8], //                                 i64.load      p + 8
    localGet(2), [0xad], I64_ADD, //                              + i32 (zero-extended)
    localGet(0), [0x33, 1, 34], I64_ADD, //                       i64.load16_u  p + 34
    localGet(0), [0x35, 2, 40], I64_ADD, //                       i64.load32_u  p + 40
    localGet(3), [0xbb], [0xb0], I64_ADD, //                      f64.promote_f32, i64.trunc_f64_s: 1
    localGet(4), [0xb0], I64_ADD, //                              i64.trunc_f64_s: 2
  ])])),
);

test('trace mode: memory trace is (kind, base + offset) in order, for every width; params and locals intact', async () => {
  assert.ok(WebAssembly.validate(storesModule));
  const traced = instrumentWasm(storesModule, { trace: true });
  assert.ok(WebAssembly.validate(traced));
  const orig = await instantiate(storesModule);
  const inst = await instantiate(traced);
  for (const p of [0, 1000, 65536 - 48]) {
    const want = (orig.exports.f as (p: number, q: bigint) => bigint)(p, 7n);
    let got!: bigint;
    const t = traceOf(inst, () => { got = (inst.exports.f as (p: number, q: bigint) => bigint)(p, 7n); });
    assert.equal(got, want);
    assert.equal(got, 7n + 0x11223344n + 0xcdefn + 0x89abcdefn + 1n + 2n);
    const ops: Array<[number, number]> = [
      [0x36, 0], [0x37, 8], [0x38, 16], [0x39, 24], [0x3a, 32], [0x3b, 34], [0x3c, 36], [0x3d, 38], [0x3e, 40],
      [0x2a, 16], [0x2b, 24], [0x28, 0], [0x29, 8], [0x33, 34], [0x35, 40],
    ];
    assert.equal(t.memory, hashOf(ops.map(([k, off]) => access(k, p + off))), `p=${p}`);
    assert.equal(t.memoryAccesses, BigInt(ops.length));
    // One function, one segment (id 0): the control-flow trace is one step.
    assert.equal(t.controlFlow, hashOf([0n]));
  }
  // Traps (out of bounds) behave as before.
  assert.throws(() => (inst.exports.f as (p: number, q: bigint) => bigint)(65536 - 8, 0n), WebAssembly.RuntimeError);
});

test('trace mode: control-flow trace tells apart paths that counts cannot; resetTrace', async () => {
  // ifelse of controlModule: then-arm 2, else-arm 4 instructions; add a function whose arms have
  // equal counts: x ? (1 + 2) : (3 + 4).
  const m = wasm(
    section(1, vec([funcType([I32], [I32])])),
    section(3, vec([[0]])),
    section(7, vec([exportFunc('f', 0)])),
    section(10, vec([body([], [
      localGet(0), iff([I32]), i32Const(1), i32Const(2), I32_ADD, ELSE, i32Const(3), i32Const(4), I32_ADD, END,
    ])])),
  );
  const inst = await instantiate(instrumentWasm(m, { trace: true }));
  const f = fn(inst, 'f');
  const a = traceOf(inst, () => f(1)), b = traceOf(inst, () => f(0)), c = traceOf(inst, () => f(7));
  assert.equal(a.instructions, b.instructions);
  assert.notEqual(a.controlFlow, b.controlFlow);
  assert.deepEqual(a, c);
  // Segments: 0 = entry [local.get, if], 1 = then [.., else], 2 = else [.., end], 3 = [end].
  assert.equal(a.controlFlow, hashOf([0n, 1n, 3n]));
  assert.equal(b.controlFlow, hashOf([0n, 2n, 3n]));
  f(1);
  resetTrace(inst);
  assert.deepEqual(readTrace(inst), { instructions: 0n, controlFlow: TRACE_HASH_SEED, memory: TRACE_HASH_SEED, memoryAccesses: 0n });
  // Without trace mode there are no trace globals; counting is unaffected.
  const plain = await instantiate(instrumentWasm(m));
  assert.throws(() => readTrace(plain), /trace globals/);
  resetCount(plain);
  fn(plain, 'f')(1);
  assert.equal(readCount(plain), a.instructions);
});

test('trace mode with markAddress: the counter at the first access to the address, at segment granularity', async () => {
  // g: [nop, end] = 2. f(p): [call g] = 1; g; [local.get, i32.const, i32.store p+4, call g] = 4; g;
  // [local.get, i32.const, i32.store p+8, end] = 4. 13 in all; the segment holding the store to
  // p+4 begins at 3, so the mark reads 3 + 4 = 7; the store to p+8's segment ends at 13.
  const m = wasm(
    section(1, vec([funcType([I32], []), funcType([], [])])),
    section(3, vec([[0], [1]])),
    section(5, vec([[0x00, 1]])),
    section(7, vec([exportFunc('f', 0)])),
    section(10, vec([
      body([], [call(1), localGet(0), i32Const(1), [0x36, 2, 4], call(1), localGet(0), i32Const(2), [0x36, 2, 8]]),
      body([], [NOP]),
    ])),
  );
  const p = 1000;
  const marked = async (address: number) => {
    const inst = await instantiate(instrumentWasm(m, { trace: true, markAddress: address }));
    resetTrace(inst);
    (inst.exports.f as (p: number) => void)(p);
    return inst;
  };
  const a = await marked(p + 4);
  assert.equal(readCount(a), 13n);
  assert.equal(readMark(a), 7n);
  assert.equal(readMark(await marked(p + 8)), 13n);
  assert.equal(readMark(await marked(p + 12)), null, 'an address never accessed leaves no mark');
  // only the first access marks; resetTrace clears the mark
  (a.exports.f as (p: number) => void)(p);
  assert.equal(readCount(a), 26n);
  assert.equal(readMark(a), 7n);
  resetTrace(a);
  assert.equal(readMark(a), null);
  (a.exports.f as (p: number) => void)(p);
  assert.equal(readMark(a), 7n);
  // counts are those of the plain instrumentation
  const plain = await instantiate(instrumentWasm(m));
  (plain.exports.f as (p: number) => void)(p);
  assert.equal(readCount(plain), 13n);
  assert.throws(() => instrumentWasm(m, { markAddress: 4 }), /trace mode/);
  assert.throws(() => readMark(plain), /mark/);
});

test('malformed input is rejected', () => {
  assert.throws(() => instrumentWasm(new Uint8Array([1, 2, 3, 4, 1, 0, 0, 0])), /bad magic/);
  const badOpcode = wasm(
    section(1, vec([funcType([], [])])),
    section(3, vec([[0]])),
    section(10, vec([body([], [[0x27]])])),
  );
  assert.throws(() => instrumentWasm(badOpcode), /unknown opcode 0x27/);
  const truncated = wasm(section(1, vec([funcType([], [])])), section(3, vec([[0]])), section(10, [1, 3, 0, 0x01, 0x01]));
  assert.throws(() => instrumentWasm(truncated), /does not end with a matching end/);
});

// ---------------------------------------------------------------------------
// captureInstantiations
// ---------------------------------------------------------------------------

test('captureInstantiations: bytes form instrumented, Module form recorded as-is, restore()', async () => {
  const original = WebAssembly.instantiate;
  const originalStreaming = WebAssembly.instantiateStreaming;
  const cap = captureInstantiations();
  try {
    assert.notEqual(WebAssembly.instantiate, original);
    const { instance } = await WebAssembly.instantiate(controlModule, {});
    assert.ok(isInstrumented(instance));
    (instance.exports.loop as Fn)(3);
    assert.equal(readCount(instance), 35n);
    // ArrayBuffer source
    const { instance: i2 } = await WebAssembly.instantiate(controlModule.buffer.slice(0), {});
    assert.ok(isInstrumented(i2));
    // Module form: cannot be instrumented, recorded uninstrumented.
    const i3 = await WebAssembly.instantiate(new WebAssembly.Module(controlModule), {});
    assert.ok(i3 instanceof WebAssembly.Instance);
    assert.equal(isInstrumented(i3), false);
    assert.throws(() => readCount(i3), /no "__icount"/);
    // instantiateStreaming (Response) is hooked too.
    const { instance: i4 } = await WebAssembly.instantiateStreaming(
      new Response(controlModule, { headers: { 'content-type': 'application/wasm' } }),
      {},
    );
    assert.ok(isInstrumented(i4));
    assert.deepEqual(cap.instances, [instance, i2, i3, i4]);
  } finally {
    cap.restore();
  }
  assert.equal(WebAssembly.instantiate, original);
  assert.equal(WebAssembly.instantiateStreaming, originalStreaming);
  const { instance } = await WebAssembly.instantiate(controlModule, {});
  assert.equal(isInstrumented(instance), false);
});

// ---------------------------------------------------------------------------
// libsodium-wrappers
// ---------------------------------------------------------------------------

const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

function nodeX25519(scalar: Uint8Array, point: Uint8Array): Uint8Array {
  const privateKey = crypto.createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), scalar]),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKey = crypto.createPublicKey({
    key: Buffer.concat([Buffer.from('302a300506032b656e032100', 'hex'), point]),
    format: 'der',
    type: 'spki',
  });
  return new Uint8Array(crypto.diffieHellman({ privateKey, publicKey }));
}

test('libsodium-wrappers instrumented: X25519 and friends', async () => {
  const cap = captureInstantiations();
  let sodiumModule: typeof import('libsodium-wrappers');
  try {
    sodiumModule = await import('libsodium-wrappers');
    await sodiumModule.default.ready;
  } finally {
    cap.restore();
  }
  const sodium = sodiumModule.default;
  const instrumented = cap.instances.filter(isInstrumented);
  assert.equal(instrumented.length, 1, 'libsodium instantiated exactly one instrumented module');
  const inst = instrumented[0]!;

  const measure = <T>(f: () => T): { value: T; count: bigint } => {
    resetCount(inst);
    const value = f();
    return { value, count: readCount(inst) };
  };

  // RFC 7748 section 6.1 (Alice's private key, Bob's public key).
  const scalar = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
  const point = hex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
  const x = measure(() => sodium.crypto_scalarmult(scalar, point));
  assert.deepEqual([...x.value], [...hex('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742')]);
  assert.deepEqual([...x.value], [...nodeX25519(scalar, point)]);

  // Constant-time ladder: same count for different random scalars.
  const r1 = new Uint8Array(crypto.randomBytes(32));
  const r2 = new Uint8Array(crypto.randomBytes(32));
  const x1 = measure(() => sodium.crypto_scalarmult(r1, point));
  const x2 = measure(() => sodium.crypto_scalarmult(r2, point));
  assert.deepEqual([...x1.value], [...nodeX25519(r1, point)]);
  assert.deepEqual([...x2.value], [...nodeX25519(r2, point)]);
  assert.equal(x1.count, x.count);
  assert.equal(x2.count, x.count);

  // The same operation through the raw module exports, without the wrapper's
  // malloc/free and size-query calls.
  const raw = (sodium as unknown as { libsodium?: Record<string, unknown> }).libsodium as
    | { _malloc(n: number): number; _free(p: number): void; HEAPU8: Uint8Array; _crypto_scalarmult(q: number, n: number, p: number): number }
    | undefined;
  let rawCount: bigint | undefined;
  if (raw && typeof raw._crypto_scalarmult === 'function') {
    const q = raw._malloc(32);
    const n = raw._malloc(32);
    const p = raw._malloc(32);
    raw.HEAPU8.set(scalar, n);
    raw.HEAPU8.set(point, p);
    const res = measure(() => raw._crypto_scalarmult(q, n, p));
    assert.equal(res.value, 0);
    assert.deepEqual([...raw.HEAPU8.subarray(q, q + 32)], [...x.value]);
    rawCount = res.count;
    raw._free(q);
    raw._free(n);
    raw._free(p);
  }

  // Ed25519 verify of a 64-byte message (fixed seed, so the count is reproducible).
  const seed = new Uint8Array(32).fill(7);
  const kp = sodium.crypto_sign_seed_keypair(seed);
  const msg64 = new Uint8Array(64).map((_, i) => i);
  const sig = sodium.crypto_sign_detached(msg64, kp.privateKey);
  const verify = measure(() => sodium.crypto_sign_verify_detached(sig, msg64, kp.publicKey));
  assert.equal(verify.value, true);
  const node = crypto.verify(null, msg64, crypto.createPublicKey({
    key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), kp.publicKey]),
    format: 'der',
    type: 'spki',
  }), sig);
  assert.equal(node, true);
  const tampered = Uint8Array.from(msg64);
  tampered[0] ^= 1;
  assert.equal(sodium.crypto_sign_verify_detached(sig, tampered, kp.publicKey), false);

  const msg1024 = new Uint8Array(1024).map((_, i) => (i * 31) & 0xff);
  const key = new Uint8Array(32).map((_, i) => i + 1);
  const lines: Array<[string, string]> = [];
  const fmt = (n: bigint) => n.toLocaleString('en-US');
  const wrapperFn = (name: string) => (sodium as unknown as Record<string, unknown>)[name] as
    | ((...args: unknown[]) => Uint8Array)
    | undefined;

  lines.push(['crypto_scalarmult (X25519)', fmt(x.count)]);
  if (rawCount !== undefined) lines.push(['  raw _crypto_scalarmult export only', fmt(rawCount)]);
  lines.push(['crypto_sign_verify_detached (Ed25519, 64 B)', fmt(verify.count)]);

  // The standard (non-sumo) libsodium.js build omits crypto_hash_sha256,
  // crypto_hash_sha512 and crypto_auth_hmacsha256; measure them when present.
  const sha256Fn = wrapperFn('crypto_hash_sha256');
  if (sha256Fn) {
    const sha256 = measure(() => sha256Fn(msg1024));
    assert.deepEqual([...sha256.value], [...crypto.createHash('sha256').update(msg1024).digest()]);
    assert.equal(measure(() => sha256Fn(msg1024)).count, sha256.count);
    lines.push(['crypto_hash_sha256 (1024 B)', fmt(sha256.count)]);
  } else {
    lines.push(['crypto_hash_sha256 (1024 B)', 'not present in this libsodium build']);
  }

  const pt256 = new Uint8Array(256).map((_, i) => 255 - i);
  const nonce = new Uint8Array(12).map((_, i) => 0xa0 + i);
  const aead = measure(() => sodium.crypto_aead_chacha20poly1305_ietf_encrypt(pt256, null, null, nonce, key));
  const c = crypto.createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  const nodeAead = Buffer.concat([c.update(pt256), c.final(), c.getAuthTag()]);
  assert.deepEqual([...aead.value], [...nodeAead]);
  lines.push(['crypto_aead_chacha20poly1305_ietf_encrypt (256 B)', fmt(aead.count)]);

  const hmacFn = wrapperFn('crypto_auth_hmacsha256');
  if (hmacFn) {
    const hmac = measure(() => hmacFn(msg64, key));
    assert.deepEqual([...hmac.value], [...crypto.createHmac('sha256', key).update(msg64).digest()]);
    lines.push(['crypto_auth_hmacsha256 (64 B)', fmt(hmac.count)]);
  } else {
    lines.push(['crypto_auth_hmacsha256 (64 B)', 'not present in this libsodium build']);
  }

  const sha512Fn = wrapperFn('crypto_hash_sha512');
  if (sha512Fn) {
    const sha512 = measure(() => sha512Fn(msg1024));
    assert.deepEqual([...sha512.value], [...crypto.createHash('sha512').update(msg1024).digest()]);
    lines.push(['crypto_hash_sha512 (1024 B)', fmt(sha512.count)]);
  } else {
    lines.push(['crypto_hash_sha512 (1024 B)', 'not present in this libsodium build']);
  }
  // crypto_hash is SHA-512 in libsodium and is present in every build.
  const hash = measure(() => sodium.crypto_hash(msg1024));
  assert.deepEqual([...hash.value], [...crypto.createHash('sha512').update(msg1024).digest()]);
  lines.push(['crypto_hash (= SHA-512, 1024 B)', fmt(hash.count)]);

  // HMAC-SHA-256 is still reachable through the raw export of HKDF-SHA-256
  // extract, which is by definition PRK = HMAC-SHA-256(key = salt, msg = ikm).
  const rawHkdf = (sodium as unknown as { libsodium?: Record<string, unknown> }).libsodium as
    | {
        _malloc(n: number): number;
        _free(p: number): void;
        HEAPU8: Uint8Array;
        _crypto_kdf_hkdf_sha256_extract?: (prk: number, salt: number, saltLen: number, ikm: number, ikmLen: number) => number;
      }
    | undefined;
  if (rawHkdf?._crypto_kdf_hkdf_sha256_extract) {
    const extract = rawHkdf._crypto_kdf_hkdf_sha256_extract;
    for (const msg of [msg64, msg1024]) {
      const prk: number = rawHkdf._malloc(32);
      const k: number = rawHkdf._malloc(key.length);
      const m: number = rawHkdf._malloc(msg.length);
      rawHkdf.HEAPU8.set(key, k);
      rawHkdf.HEAPU8.set(msg, m);
      const res: { value: number; count: bigint } = measure((): number => extract(prk, k, key.length, m, msg.length));
      assert.equal(res.value, 0);
      assert.deepEqual(
        [...rawHkdf.HEAPU8.subarray(prk, prk + 32)],
        [...crypto.createHmac('sha256', key).update(msg).digest()],
      );
      lines.push([`  HMAC-SHA-256 (${msg.length} B) via raw _crypto_kdf_hkdf_sha256_extract`, fmt(res.count)]);
      rawHkdf._free(prk);
      rawHkdf._free(k);
      rawHkdf._free(m);
    }
  }

  console.log('libsodium-wrappers 0.8.4 executed wasm instructions (wrapper calls include malloc/free):');
  for (const [what, n] of lines) console.log(`  ${what.padEnd(72)} ${n}`);

  // Sanity: plausible range, deterministic.
  assert.ok(x.count > 100_000n && x.count < 100_000_000n);
  assert.equal(measure(() => sodium.crypto_hash(msg1024)).count, hash.count);
});
