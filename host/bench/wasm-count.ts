/**
 * wasm-count: a WebAssembly binary instrumenter that counts executed
 * WebAssembly instructions.
 *
 * `instrumentWasm(bytes)` parses a module, appends one mutable i64 global
 * (exported as `__icount`, initialised to 0) and, at the start of every
 * straight-line segment of every function body, inserts
 *
 *     global.get $c ; i64.const N ; i64.add ; global.set $c
 *
 * where N is the number of *original* instructions in that segment.
 *
 * Counting convention
 * -------------------
 * Every original opcode counts as 1 instruction (including block, loop, if,
 * else, end, nop, and the final `end` of a function body); the inserted
 * counter code itself is never counted. A segment starts at function entry and
 * right after every control instruction (block, loop, if, else, end, br,
 * br_if, br_table, return, unreachable, the exception-handling and
 * br_on_* instructions) and ALSO right after every call (call,
 * call_indirect, call_ref, return_call*); a segment ends at, and includes, the
 * next such instruction. The whole segment is added when the segment is
 * entered, so the count is exact for every execution that does not trap;
 * because segments are split after calls, an exception/trap raised inside a
 * callee over-counts nothing in the caller beyond the call instruction itself
 * (a trap in the middle of a segment, e.g. an out-of-bounds load, still counts
 * the rest of that segment). A consequence of the static per-segment counts:
 * an `end` (or `else`) is only counted when control falls through into it, not
 * when a branch jumps past it (e.g. `if` without `else` whose condition is
 * false skips the `end` of the `if`, and the then-arm of an if/else counts its
 * `else` but not the `end`).
 *
 * Instruction immediates are decoded (so that instruction boundaries are
 * found exactly) but the original bytes are copied verbatim, so the original
 * encoding (including non-canonical LEB128s) is preserved.
 *
 * Trace mode (`{ trace: true }`, for constant-time evidence)
 * ---------------------------------------------------------
 * Three more mutable i64 globals are appended and exported: `__cftrace`,
 * `__memtrace` (both initialised to TRACE_HASH_SEED) and `__memcount` (0).
 *  - Control-flow trace: on entering a segment, its module-wide id (segments
 *    numbered in code-section order from 0) is folded into `__cftrace`. Every
 *    branch target starts a segment, so the hash covers the exact path taken,
 *    not just its length.
 *  - Memory trace: before every load and store (all widths, incl. SIMD loads,
 *    stores and lane accesses) the operands are moved into temporaries (locals
 *    appended to each function), `(kind << 40) + base + offset` is folded into
 *    `__memtrace`, `__memcount` is incremented and the operands are put back.
 *    kind is the opcode (0x28..0x3e; 0xfcNN bulk, 0xfdNN SIMD) with the memory
 *    index in bits 16..23. memory.copy and memory.init fold `(kind << 40) + dest`, then
 *    the source and the length; memory.fill folds the destination and the
 *    length (its byte value is data, not an address). A bulk operation counts
 *    as one access. Atomics and 64-bit memories are rejected.
 * The fold is traceHashStep: h' = rotl(h XOR v, 23) * 0x100000001b3 mod 2^64.
 * The instruction count is the same as without tracing. readTrace/resetTrace/
 * traceOf read and reset all four values.
 */

// ---------------------------------------------------------------------------
// LEB128
// ---------------------------------------------------------------------------

export class WasmDecodeError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`${message} (at byte offset ${offset})`);
    this.name = 'WasmDecodeError';
  }
}

/** Simple forward-only byte reader over a Uint8Array. */
class Reader {
  pos: number;
  constructor(readonly buf: Uint8Array, start = 0, readonly end = buf.length) {
    this.pos = start;
  }

  get eof(): boolean {
    return this.pos >= this.end;
  }

  fail(message: string, at = this.pos): never {
    throw new WasmDecodeError(message, at);
  }

  u8(): number {
    if (this.pos >= this.end) this.fail('unexpected end of input');
    return this.buf[this.pos++]!;
  }

  bytes(n: number): Uint8Array {
    if (n < 0 || this.pos + n > this.end) this.fail(`cannot read ${n} bytes`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  skip(n: number): void {
    if (n < 0 || this.pos + n > this.end) this.fail(`cannot skip ${n} bytes`);
    this.pos += n;
  }

  /** Unsigned LEB128 of at most `bits` bits, returned as bigint. */
  uleb(bits: number): bigint {
    const start = this.pos;
    const maxBytes = Math.ceil(bits / 7);
    let result = 0n;
    let shift = 0n;
    for (let i = 0; ; i++) {
      if (i >= maxBytes) this.fail(`unsigned LEB128 longer than ${maxBytes} bytes`, start);
      const b = this.u8();
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) {
        if (i === maxBytes - 1) {
          // Unused high bits of the last byte must be zero.
          const used = bits - 7 * (maxBytes - 1);
          if (b >> used !== 0) this.fail(`unsigned LEB128 overflows ${bits} bits`, start);
        }
        return result;
      }
    }
  }

  /** Signed LEB128 of at most `bits` bits, returned as bigint. */
  sleb(bits: number): bigint {
    const start = this.pos;
    const maxBytes = Math.ceil(bits / 7);
    let result = 0n;
    let shift = 0n;
    for (let i = 0; ; i++) {
      if (i >= maxBytes) this.fail(`signed LEB128 longer than ${maxBytes} bytes`, start);
      const b = this.u8();
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) {
        if (i === maxBytes - 1) {
          // The unused high bits of the last byte must all equal the sign bit.
          const used = bits - 7 * (maxBytes - 1); // bits carried by the last byte, incl. sign
          const rest = (b & 0x7f) >> (used - 1); // sign bit and the unused bits above it
          if (rest !== 0 && rest !== 0x7f >> (used - 1)) {
            this.fail(`signed LEB128 overflows ${bits} bits`, start);
          }
        }
        if (b & 0x40) result -= 1n << shift;
        return result;
      }
    }
  }

  u32(): number {
    return Number(this.uleb(32));
  }
  u64(): bigint {
    return this.uleb(64);
  }
  s32(): number {
    return Number(this.sleb(32));
  }
  s33(): number {
    return Number(this.sleb(33));
  }
  s64(): bigint {
    return this.sleb(64);
  }
}

/** Encodes an unsigned LEB128 (canonical, shortest form). */
export function encodeULEB(value: number | bigint): number[] {
  let v = BigInt(value);
  if (v < 0n) throw new RangeError('encodeULEB: negative value');
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) b |= 0x80;
    out.push(b);
  } while (v !== 0n);
  return out;
}

/** Encodes a signed LEB128 (canonical, shortest form). */
export function encodeSLEB(value: number | bigint): number[] {
  let v = BigInt(value);
  const out: number[] = [];
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n; // arithmetic shift for bigint
    const signBit = (b & 0x40) !== 0;
    if ((v === 0n && !signBit) || (v === -1n && signBit)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

/**
 * Decoders exposed for tests/tools: each returns the value and the number of
 * bytes consumed. They throw WasmDecodeError on malformed/overlong input.
 */
export function decodeULEB(bytes: Uint8Array, bits: 32 | 64 = 32, offset = 0): { value: bigint; length: number } {
  const r = new Reader(bytes, offset);
  const value = r.uleb(bits);
  return { value, length: r.pos - offset };
}

export function decodeSLEB(bytes: Uint8Array, bits: 32 | 33 | 64 = 32, offset = 0): { value: bigint; length: number } {
  const r = new Reader(bytes, offset);
  const value = r.sleb(bits);
  return { value, length: r.pos - offset };
}

// ---------------------------------------------------------------------------
// Module-level structure
// ---------------------------------------------------------------------------

const SEC_CUSTOM = 0;
const SEC_TYPE = 1;
const SEC_IMPORT = 2;
const SEC_FUNCTION = 3;
const SEC_TABLE = 4;
const SEC_MEMORY = 5;
const SEC_GLOBAL = 6;
const SEC_EXPORT = 7;
const SEC_START = 8;
const SEC_ELEMENT = 9;
const SEC_CODE = 10;
const SEC_DATA = 11;
const SEC_DATACOUNT = 12;
const SEC_TAG = 13;

/** Position of each known (non-custom) section id in the required order. */
const SECTION_RANK: Record<number, number> = {
  [SEC_TYPE]: 1,
  [SEC_IMPORT]: 2,
  [SEC_FUNCTION]: 3,
  [SEC_TABLE]: 4,
  [SEC_MEMORY]: 5,
  [SEC_TAG]: 6,
  [SEC_GLOBAL]: 7,
  [SEC_EXPORT]: 8,
  [SEC_START]: 9,
  [SEC_ELEMENT]: 10,
  [SEC_DATACOUNT]: 11,
  [SEC_CODE]: 12,
  [SEC_DATA]: 13,
};

interface Section {
  id: number;
  /** Payload (without id and size). */
  payload: Uint8Array;
}

export const COUNTER_EXPORT_NAME = '__icount';

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

function parseSections(bytes: Uint8Array): Section[] {
  const r = new Reader(bytes);
  const magic = r.bytes(4);
  if (magic[0] !== 0x00 || magic[1] !== 0x61 || magic[2] !== 0x73 || magic[3] !== 0x6d) {
    r.fail('not a WebAssembly binary (bad magic)', 0);
  }
  const version = r.bytes(4);
  if (version[0] !== 1 || version[1] !== 0 || version[2] !== 0 || version[3] !== 0) {
    r.fail('unsupported WebAssembly binary version (only version 1 modules are supported)', 4);
  }
  const sections: Section[] = [];
  let lastRank = 0;
  while (!r.eof) {
    const idAt = r.pos;
    const id = r.u8();
    const size = r.u32();
    const payload = r.bytes(size);
    if (id !== SEC_CUSTOM) {
      const rank = SECTION_RANK[id];
      if (rank === undefined) r.fail(`unknown section id ${id}`, idAt);
      if (rank <= lastRank) r.fail(`section id ${id} out of order or duplicated`, idAt);
      lastRank = rank;
    }
    sections.push({ id, payload });
  }
  return sections;
}

function customSectionName(payload: Uint8Array): string | undefined {
  try {
    const r = new Reader(payload);
    const n = r.u32();
    return textDecoder.decode(r.bytes(n));
  } catch {
    return undefined;
  }
}

// --- types ----------------------------------------------------------------

/** Reads a heap type (s33: negative = abstract heap type code, >= 0 = type index). */
function readHeapType(r: Reader): void {
  r.s33();
}

/** Reads a value type, including `(ref null? ht)` forms (0x63/0x64 + heap type). */
function readValType(r: Reader): void {
  const at = r.pos;
  const b = r.u8();
  if (b === 0x63 || b === 0x64) {
    readHeapType(r);
    return;
  }
  // Numeric, vector and abbreviated reference types are single bytes in the
  // range 0x69..0x7f (s7 negative values); anything else is malformed.
  if (b < 0x69 || b > 0x7f) r.fail(`invalid value type 0x${b.toString(16)}`, at);
}

/** Reads a block type: 0x40, a value type, or a type index (s33 >= 0). */
function readBlockType(r: Reader): void {
  const first = r.buf[r.pos];
  if (first === 0x40) {
    r.pos++;
    return;
  }
  if (first === 0x63 || first === 0x64) {
    readValType(r);
    return;
  }
  const at = r.pos;
  const v = r.s33();
  if (v < 0) {
    // Single-byte value type: s33 value -1..-64 <=> byte 0x7f..0x40.
    const b = v + 0x80;
    if (b < 0x69 || b > 0x7f) r.fail(`invalid block type ${v}`, at);
  }
}

function readLimits(r: Reader): void {
  const flags = r.u8();
  if (flags & ~0x0f) r.fail(`unsupported limits flags 0x${flags.toString(16)}`, r.pos - 1);
  r.u64(); // min (u32, or u64 for memory64/table64)
  if (flags & 0x01) r.u64(); // max
  if (flags & 0x08) r.u32(); // custom page size (log2)
}

function readTableType(r: Reader): void {
  readValType(r); // reference type
  readLimits(r);
}

/** Counts imported globals in the import section. */
function countImportedGlobals(payload: Uint8Array): number {
  const r = new Reader(payload);
  const n = r.u32();
  let globals = 0;
  for (let i = 0; i < n; i++) {
    r.skip(r.u32()); // module name
    r.skip(r.u32()); // field name
    const kindAt = r.pos;
    const kind = r.u8();
    switch (kind) {
      case 0x00: // func
        r.u32();
        break;
      case 0x01: // table
        readTableType(r);
        break;
      case 0x02: // memory
        readLimits(r);
        break;
      case 0x03: // global
        readValType(r);
        r.u8(); // mutability
        globals++;
        break;
      case 0x04: // tag
        r.u8(); // attribute
        r.u32(); // type index
        break;
      default:
        r.fail(`unknown import kind 0x${kind.toString(16)}`, kindAt);
    }
  }
  if (!r.eof) r.fail('trailing bytes in import section');
  return globals;
}

function exportNames(payload: Uint8Array): string[] {
  const r = new Reader(payload);
  const n = r.u32();
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    names.push(textDecoder.decode(r.bytes(r.u32())));
    r.u8();
    r.u32();
  }
  return names;
}

// ---------------------------------------------------------------------------
// Code section: instruction decoding
// ---------------------------------------------------------------------------

/**
 * Opcodes after which a new counted segment starts (single-byte opcodes).
 * Calls are included by choice (see the header comment).
 */
const SEGMENT_END_OPCODES = new Set<number>([
  0x00, // unreachable
  0x02, // block
  0x03, // loop
  0x04, // if
  0x05, // else
  0x06, // try (legacy EH)
  0x07, // catch (legacy EH)
  0x08, // throw
  0x09, // rethrow
  0x0a, // throw_ref
  0x0b, // end
  0x0c, // br
  0x0d, // br_if
  0x0e, // br_table
  0x0f, // return
  0x10, // call
  0x11, // call_indirect
  0x12, // return_call
  0x13, // return_call_indirect
  0x14, // call_ref
  0x15, // return_call_ref
  0x18, // delegate (legacy EH)
  0x19, // catch_all (legacy EH)
  0x1f, // try_table
  0xd5, // br_on_null
  0xd6, // br_on_non_null
]);

/**
 * Filled by readInstruction when the caller asks for it (trace mode): the opcode, the prefixed
 * sub-opcode (or -1) and, for instructions with a memarg, its memory index and offset.
 */
interface InstrInfo {
  op: number;
  sub: number;
  memidx: number;
  offset: bigint;
}

function readMemarg(r: Reader, info?: InstrInfo): void {
  const align = r.u32();
  const memidx = align & 0x40 ? r.u32() : 0; // multi-memory: explicit memory index
  const offset = r.u64(); // offset (u32, or u64 for memory64)
  if (info) {
    info.memidx = memidx;
    info.offset = offset;
  }
}

/**
 * Decodes one instruction starting at r.pos (opcode and immediates) and
 * returns true if it ends a counted segment.
 */
function readInstruction(r: Reader, info?: InstrInfo): boolean {
  const at = r.pos;
  const op = r.u8();
  if (info) {
    info.op = op;
    info.sub = -1;
    info.memidx = 0;
    info.offset = 0n;
  }
  // Single-byte opcodes with no immediates.
  if (
    op === 0x00 || op === 0x01 || op === 0x05 || op === 0x0a || op === 0x0b || op === 0x0f ||
    op === 0x19 || op === 0x1a || op === 0x1b ||
    (op >= 0x45 && op <= 0xc4) ||
    op === 0xd1 || op === 0xd3 || op === 0xd4
  ) {
    return SEGMENT_END_OPCODES.has(op);
  }
  switch (op) {
    case 0x02: // block
    case 0x03: // loop
    case 0x04: // if
    case 0x06: // try
      readBlockType(r);
      return true;
    case 0x1f: { // try_table bt vec(catch)
      readBlockType(r);
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const kindAt = r.pos;
        const kind = r.u8();
        if (kind === 0x00 || kind === 0x01) {
          r.u32(); // tag
          r.u32(); // label
        } else if (kind === 0x02 || kind === 0x03) {
          r.u32(); // label
        } else {
          r.fail(`unknown try_table catch kind ${kind}`, kindAt);
        }
      }
      return true;
    }
    case 0x07: // catch tag
    case 0x08: // throw tag
    case 0x09: // rethrow label
    case 0x18: // delegate label
    case 0x0c: // br
    case 0x0d: // br_if
    case 0x10: // call
    case 0x12: // return_call
    case 0x14: // call_ref typeidx
    case 0x15: // return_call_ref typeidx
    case 0xd5: // br_on_null
    case 0xd6: // br_on_non_null
      r.u32();
      return true;
    case 0x0e: { // br_table vec(label) label
      const n = r.u32();
      for (let i = 0; i < n; i++) r.u32();
      r.u32();
      return true;
    }
    case 0x11: // call_indirect typeidx tableidx
    case 0x13: // return_call_indirect typeidx tableidx
      r.u32();
      r.u32();
      return true;
    case 0x1c: { // select t*
      const n = r.u32();
      for (let i = 0; i < n; i++) readValType(r);
      return false;
    }
    case 0x20: case 0x21: case 0x22: // local.get/set/tee
    case 0x23: case 0x24: // global.get/set
    case 0x25: case 0x26: // table.get/set
    case 0xd2: // ref.func
      r.u32();
      return false;
    case 0x3f: // memory.size memidx
    case 0x40: // memory.grow memidx
      r.u32();
      return false;
    case 0x41: // i32.const
      r.s32();
      return false;
    case 0x42: // i64.const
      r.s64();
      return false;
    case 0x43: // f32.const
      r.skip(4);
      return false;
    case 0x44: // f64.const
      r.skip(8);
      return false;
    case 0xd0: // ref.null heaptype
      readHeapType(r);
      return false;
    case 0xfb:
      return readGcInstruction(r, at);
    case 0xfc:
      readMiscInstruction(r, at, info);
      return false;
    case 0xfd:
      readSimdInstruction(r, at, info);
      return false;
    case 0xfe:
      readAtomicInstruction(r, at, info);
      return false;
    default:
      if (op >= 0x28 && op <= 0x3e) { // loads and stores
        readMemarg(r, info);
        return false;
      }
      r.fail(`unknown opcode 0x${op.toString(16)}`, at);
  }
}

/** 0xFC prefix: saturating truncation, bulk memory, table ops. */
function readMiscInstruction(r: Reader, at: number, info?: InstrInfo): void {
  const sub = r.u32();
  if (info) info.sub = sub;
  switch (sub) {
    case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7: // trunc_sat
      return;
    case 8: // memory.init dataidx memidx
      r.u32();
      if (info) info.memidx = r.u32();
      else r.u32();
      return;
    case 9: // data.drop dataidx
      r.u32();
      return;
    case 10: { // memory.copy memidx memidx
      const dst = r.u32();
      const src = r.u32();
      if (info) info.memidx = dst | (src << 8);
      return;
    }
    case 11: // memory.fill memidx
      if (info) info.memidx = r.u32();
      else r.u32();
      return;
    case 12: // table.init elemidx tableidx
      r.u32();
      r.u32();
      return;
    case 13: // elem.drop elemidx
      r.u32();
      return;
    case 14: // table.copy tableidx tableidx
      r.u32();
      r.u32();
      return;
    case 15: // table.grow tableidx
    case 16: // table.size tableidx
    case 17: // table.fill tableidx
      r.u32();
      return;
    default:
      r.fail(`unknown 0xFC-prefixed opcode ${sub}`, at);
  }
}

/** 0xFD prefix: SIMD (fixed-width and relaxed). */
function readSimdInstruction(r: Reader, at: number, info?: InstrInfo): void {
  const sub = r.u32();
  if (info) info.sub = sub;
  if (sub <= 11 || sub === 92 || sub === 93) {
    // v128.load*, v128.load*_splat, v128.store, v128.load32_zero/load64_zero
    readMemarg(r, info);
  } else if (sub === 12 || sub === 13) {
    // v128.const, i8x16.shuffle
    r.skip(16);
  } else if (sub >= 21 && sub <= 34) {
    // extract_lane / replace_lane
    r.u8();
  } else if (sub >= 84 && sub <= 91) {
    // v128.load*_lane / v128.store*_lane
    readMemarg(r, info);
    r.u8();
  } else if (sub <= 0xff || (sub >= 0x100 && sub <= 0x113)) {
    // Every other SIMD opcode (and relaxed SIMD 0x100..0x113) has no immediate.
  } else {
    r.fail(`unknown 0xFD-prefixed opcode ${sub}`, at);
  }
}

/** 0xFE prefix: threads/atomics. */
function readAtomicInstruction(r: Reader, at: number, info?: InstrInfo): void {
  const sub = r.u32();
  if (info) info.sub = sub;
  if (sub === 0x03) {
    r.u8(); // atomic.fence: reserved byte
  } else if (sub <= 0x02 || (sub >= 0x10 && sub <= 0x4e)) {
    readMemarg(r);
  } else {
    r.fail(`unknown 0xFE-prefixed opcode ${sub}`, at);
  }
}

/** 0xFB prefix: GC proposal. Returns true for the br_on_cast branches. */
function readGcInstruction(r: Reader, at: number): boolean {
  const sub = r.u32();
  switch (sub) {
    case 0: case 1: case 6: case 7: case 11: case 12: case 13: case 14: case 16:
      r.u32(); // typeidx
      return false;
    case 2: case 3: case 4: case 5: // struct.get*/set typeidx fieldidx
    case 8: // array.new_fixed typeidx n
    case 9: case 10: // array.new_data/new_elem typeidx idx
    case 17: // array.copy typeidx typeidx
    case 18: case 19: // array.init_data/init_elem typeidx idx
      r.u32();
      r.u32();
      return false;
    case 15: // array.len
    case 26: case 27: // any.convert_extern, extern.convert_any
    case 28: case 29: case 30: // ref.i31, i31.get_s, i31.get_u
      return false;
    case 20: case 21: case 22: case 23: // ref.test/ref.cast (null)
      readHeapType(r);
      return false;
    case 24: case 25: // br_on_cast(_fail) flags label ht1 ht2
      r.u8();
      r.u32();
      readHeapType(r);
      readHeapType(r);
      return true;
    default:
      r.fail(`unknown 0xFB-prefixed opcode ${sub}`, at);
  }
}

/** A growable byte buffer. */
class ByteSink {
  private buf = new Uint8Array(1024);
  length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + extra) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  push(...bytes: number[]): void {
    this.ensure(bytes.length);
    for (const b of bytes) this.buf[this.length++] = b;
  }

  append(bytes: Uint8Array | number[]): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }

  result(): Uint8Array<ArrayBuffer> {
    return this.buf.slice(0, this.length);
  }
}

/** Statistics about an instrumentation run (for tools/tests). */
export interface InstrumentStats {
  functions: number;
  instructions: number;
  segments: number;
  counterGlobalIndex: number;
  /** Trace mode: load/store/bulk-memory instructions instrumented (0 otherwise). */
  memoryAccessSites: number;
}

function counterCode(globalIndex: number, n: number): number[] {
  return [
    0x23, ...encodeULEB(globalIndex), // global.get $c
    0x42, ...encodeSLEB(n), // i64.const N
    0x7c, // i64.add
    0x24, ...encodeULEB(globalIndex), // global.set $c
  ];
}

// ---------------------------------------------------------------------------
// Trace mode
// ---------------------------------------------------------------------------

export const CONTROL_FLOW_EXPORT_NAME = '__cftrace';
export const MEMORY_TRACE_EXPORT_NAME = '__memtrace';
export const MEMORY_COUNT_EXPORT_NAME = '__memcount';
export const MARK_EXPORT_NAME = '__mark';

/** Initial value of both trace hashes (the FNV-1a 64-bit offset basis). */
export const TRACE_HASH_SEED = 0xcbf29ce484222325n;
/** Multiplier of the trace hash step (the FNV-1a 64-bit prime). */
const TRACE_HASH_PRIME = 0x100000001b3n;
/** Rotation of the trace hash step, so that high input bits reach the low hash bits. */
const TRACE_HASH_ROTATE = 23;

/**
 * The trace hash step, h' = rotl(h XOR v, 23) * P (mod 2^64). For a fixed v it is a bijection of
 * h, so two traces of the same length that differ in exactly one element always hash apart; in
 * general two different traces collide with probability about 2^-64 (not adversarially).
 * `traceHashStep` is the same function in JS, for tests and tools that recompute a trace.
 */
export function traceHashStep(h: bigint, v: bigint): bigint {
  const x = BigInt.asUintN(64, h ^ v);
  const rot = BigInt.asUintN(64, (x << BigInt(TRACE_HASH_ROTATE)) | (x >> BigInt(64 - TRACE_HASH_ROTATE)));
  return BigInt.asUintN(64, rot * TRACE_HASH_PRIME);
}

/** Code folding the i64 computed by `value` into the hash held in global g. */
function foldCode(g: number, value: number[]): number[] {
  return [
    ...value,
    0x23, ...encodeULEB(g), // global.get $h
    0x85, // i64.xor
    0x42, ...encodeSLEB(TRACE_HASH_ROTATE),
    0x89, // i64.rotl
    0x42, ...encodeSLEB(BigInt.asIntN(64, TRACE_HASH_PRIME)),
    0x7e, // i64.mul
    0x24, ...encodeULEB(g), // global.set $h
  ];
}

/** i64 value of a memory trace element: (kind << 40) + zero-extended local + offset. */
function addressValue(local: number, kind: number, offset: bigint): number[] {
  const k = (BigInt(kind) << 40n) + offset;
  return [0x20, ...encodeULEB(local), 0xad /* i64.extend_i32_u */, ...(k === 0n ? [] : [0x42, ...encodeSLEB(BigInt.asIntN(64, k)), 0x7c])];
}

interface TraceGlobals {
  controlFlow: number;
  memory: number;
  memoryCount: number;
  /** The instruction counter. */
  counter: number;
  /** The mark (see InstrumentOptions.markAddress), and the address it watches; absent without one. */
  mark?: { global: number; address: number };
}

/** Temporaries appended to each function's locals in trace mode, relative to the first one. */
const TMP_A = 0, TMP_B = 1, TMP_C = 2, TMP_I64 = 3, TMP_F32 = 4, TMP_F64 = 5, TMP_V128 = 6;
const TMP_DECLS = [[3, 0x7f], [1, 0x7e], [1, 0x7d], [1, 0x7c]] as const;

/**
 * Trace code to insert before one instruction, or null if it does not access memory. The code
 * takes the instruction's operands off the stack into temporaries, folds (kind, effective
 * address) — and for bulk operations the source address / length — into the memory trace,
 * counts the access and puts the operands back.
 */
function memoryTraceCode(info: InstrInfo, tmp: number, g: TraceGlobals, at: number): { code: number[]; v128: boolean } | null {
  const { op, sub } = info;
  let kind: number;
  // Operand shape: 'load' = [addr]; 'store' = [addr, value of type valueLocal]; 'bulk' = [d, s|v, n].
  let shape: 'load' | 'store' | 'bulk';
  let valueLocal = 0;
  let foldSecond = true;
  if (op >= 0x28 && op <= 0x35) {
    kind = op;
    shape = 'load';
  } else if (op >= 0x36 && op <= 0x3e) {
    kind = op;
    shape = 'store';
    valueLocal = op === 0x38 ? TMP_F32 : op === 0x39 ? TMP_F64 : op === 0x36 || op === 0x3a || op === 0x3b ? TMP_B : TMP_I64;
  } else if (op === 0xfc && (sub === 8 || sub === 10 || sub === 11)) {
    kind = 0xfc00 | sub;
    shape = 'bulk';
    foldSecond = sub !== 11; // memory.fill's second operand is the fill value, not an address
  } else if (op === 0xfd && (sub <= 10 || sub === 92 || sub === 93)) {
    kind = 0xfd00 | sub;
    shape = 'load';
  } else if (op === 0xfd && (sub === 11 || (sub >= 84 && sub <= 91))) {
    kind = 0xfd00 | sub;
    shape = 'store'; // v128.store, and the lane loads/stores: [addr, v128]
    valueLocal = TMP_V128;
  } else if (op === 0xfe && sub !== 3) {
    throw new WasmDecodeError('trace mode does not support atomic memory instructions', at);
  } else {
    return null;
  }
  kind |= (info.memidx & 0xff) << 16;
  const get = (i: number) => [0x20, ...encodeULEB(tmp + i)];
  const set = (i: number) => [0x21, ...encodeULEB(tmp + i)];
  const count = [0x23, ...encodeULEB(g.memoryCount), 0x42, 0x01, 0x7c, 0x24, ...encodeULEB(g.memoryCount)];
  const code: number[] = [];
  const mark = g.mark ? markCode(g.mark.global, g.counter, addressValue(tmp + TMP_A, 0, info.offset), g.mark.address) : [];
  if (shape === 'load') {
    code.push(...set(TMP_A), ...foldCode(g.memory, addressValue(tmp + TMP_A, kind, info.offset)), ...count, ...mark, ...get(TMP_A));
  } else if (shape === 'store') {
    code.push(...set(valueLocal), ...set(TMP_A), ...foldCode(g.memory, addressValue(tmp + TMP_A, kind, info.offset)), ...count,
      ...mark, ...get(TMP_A), ...get(valueLocal));
  } else {
    code.push(...set(TMP_C), ...set(TMP_B), ...set(TMP_A), ...foldCode(g.memory, addressValue(tmp + TMP_A, kind, 0n)));
    if (foldSecond) code.push(...foldCode(g.memory, addressValue(tmp + TMP_B, 0, 0n)));
    code.push(...foldCode(g.memory, addressValue(tmp + TMP_C, 0, 0n)), ...count, ...get(TMP_A), ...get(TMP_B), ...get(TMP_C));
  }
  return { code, v128: valueLocal === TMP_V128 };
}

/**
 * Code recording the counter into the mark global at the first access whose effective address
 * (the i64 computed by `address`) equals `target`: if (address == target && mark < 0) mark = counter.
 */
function markCode(markGlobal: number, counter: number, address: number[], target: number): number[] {
  return [
    ...address,
    0x42, ...encodeSLEB(BigInt(target)), // i64.const target
    0x51, // i64.eq
    0x23, ...encodeULEB(markGlobal), // global.get $mark
    0x42, 0x00, // i64.const 0
    0x53, // i64.lt_s
    0x71, // i32.and
    0x04, 0x40, // if (empty block type)
    0x23, ...encodeULEB(counter), // global.get $c
    0x24, ...encodeULEB(markGlobal), // global.set $mark
    0x0b, // end
  ];
}

/** Per-body trace parameters: the globals and the function's parameter count. */
interface BodyTrace {
  globals: TraceGlobals;
  params: number;
}

/** Instruments one function body (locals + expr); returns the new body bytes. */
function instrumentBody(body: Uint8Array, bodyOffset: number, globalIndex: number, stats: InstrumentStats, countEnd: boolean, trace?: BodyTrace): Uint8Array {
  const r = new Reader(body);
  try {
    // Local declarations: kept byte for byte (trace mode appends its temporaries).
    const nDecls = r.u32();
    const declsStart = r.pos;
    let nLocals = 0;
    for (let i = 0; i < nDecls; i++) {
      nLocals += r.u32();
      readValType(r);
    }
    const localsEnd = r.pos;

    const out = new ByteSink();
    const info: InstrInfo | undefined = trace ? { op: 0, sub: -1, memidx: 0, offset: 0n } : undefined;
    const tmp = trace ? trace.params + nLocals : 0;
    let seg = trace ? new ByteSink() : undefined;
    let usesV128 = false;

    let segStart = r.pos;
    let segCount = 0;
    let depth = 1; // implicit function block
    let lastWasEnd = false;
    while (!r.eof) {
      if (depth === 0) r.fail('instructions after the final end of the function body');
      const at = r.pos;
      const op = r.buf[r.pos]!;
      const endsSegment = readInstruction(r, info);
      if (op !== 0x0b || countEnd) {
        segCount++;
        stats.instructions++;
      }
      lastWasEnd = op === 0x0b;
      if (op === 0x02 || op === 0x03 || op === 0x04 || op === 0x06 || op === 0x1f) depth++;
      else if (op === 0x0b || op === 0x18) depth--; // end, delegate close a block
      if (seg) {
        const mt = memoryTraceCode(info!, tmp, trace!.globals, at);
        if (mt) {
          seg.append(mt.code);
          usesV128 ||= mt.v128;
          stats.memoryAccessSites++;
        }
        seg.append(body.subarray(at, r.pos));
      }
      if (endsSegment) {
        out.append(counterCode(globalIndex, segCount));
        if (seg) {
          // Control-flow trace: the module-wide id of the segment being entered.
          out.append(foldCode(trace!.globals.controlFlow, [0x42, ...encodeSLEB(stats.segments)]));
          out.append(seg.result());
          seg = new ByteSink();
        } else {
          out.append(body.subarray(segStart, r.pos));
        }
        stats.segments++;
        segStart = r.pos;
        segCount = 0;
      }
    }
    if (depth !== 0 || !lastWasEnd) r.fail('function body does not end with a matching end');
    // The last instruction is `end`, which always closes a segment.
    const head = new ByteSink();
    if (trace) {
      const decls: number[][] = TMP_DECLS.map(([n, t]) => [n, t]);
      if (usesV128) decls.push([1, 0x7b]);
      head.append(encodeULEB(nDecls + decls.length));
      head.append(body.subarray(declsStart, localsEnd));
      for (const [n, t] of decls) head.push(...encodeULEB(n!), t!);
    } else {
      head.append(body.subarray(0, localsEnd));
    }
    head.append(out.result());
    return head.result();
  } catch (e) {
    if (e instanceof WasmDecodeError) {
      throw new WasmDecodeError(`${e.message.replace(/ \(at byte offset \d+\)$/, '')} in function body`, bodyOffset + e.offset);
    }
    throw e;
  }
}

function instrumentCodeSection(payload: Uint8Array, payloadOffset: number, globalIndex: number, stats: InstrumentStats, countEnd: boolean, trace?: { globals: TraceGlobals; params: number[] }): Uint8Array {
  const r = new Reader(payload);
  const n = r.u32();
  if (trace && trace.params.length !== n) r.fail(`code section has ${n} bodies, function section ${trace.params.length} entries`, 0);
  const out = new ByteSink();
  out.append(encodeULEB(n));
  for (let i = 0; i < n; i++) {
    const size = r.u32();
    const start = r.pos;
    const body = r.bytes(size);
    const bodyTrace = trace ? { globals: trace.globals, params: trace.params[i]! } : undefined;
    const newBody = instrumentBody(body, payloadOffset + start, globalIndex, stats, countEnd, bodyTrace);
    out.append(encodeULEB(newBody.length));
    out.append(newBody);
    stats.functions++;
  }
  if (!r.eof) r.fail('trailing bytes in code section');
  return out.result();
}

/** Parameter count of every type index (null for struct/array types), incl. GC rec groups. */
function typeParamCounts(payload: Uint8Array): (number | null)[] {
  const r = new Reader(payload);
  const out: (number | null)[] = [];
  const readComp = (): void => {
    const at = r.pos;
    const form = r.u8();
    if (form === 0x60) {
      const np = r.u32();
      for (let i = 0; i < np; i++) readValType(r);
      const nr = r.u32();
      for (let i = 0; i < nr; i++) readValType(r);
      out.push(np);
    } else if (form === 0x5f) {
      const nf = r.u32();
      for (let i = 0; i < nf; i++) { readValType(r); r.u8(); }
      out.push(null);
    } else if (form === 0x5e) {
      readValType(r);
      r.u8();
      out.push(null);
    } else {
      r.fail(`unknown type form 0x${form.toString(16)}`, at);
    }
  };
  const readSub = (): void => {
    const b = r.buf[r.pos];
    if (b === 0x50 || b === 0x4f) {
      r.pos++;
      const k = r.u32();
      for (let i = 0; i < k; i++) r.u32();
    }
    readComp();
  };
  const n = r.u32();
  for (let i = 0; i < n; i++) {
    if (r.buf[r.pos] === 0x4e) {
      r.pos++;
      const m = r.u32();
      for (let j = 0; j < m; j++) readSub();
    } else {
      readSub();
    }
  }
  return out;
}

/** Parameter count of every defined function (function section order). */
function definedFunctionParams(sections: Section[]): number[] {
  const typeSec = sections.find((s) => s.id === SEC_TYPE);
  const funcSec = sections.find((s) => s.id === SEC_FUNCTION);
  if (!funcSec) return [];
  const types = typeSec ? typeParamCounts(typeSec.payload) : [];
  const r = new Reader(funcSec.payload);
  const n = r.u32();
  const params: number[] = [];
  for (let i = 0; i < n; i++) {
    const at = r.pos;
    const t = r.u32();
    const p = types[t];
    if (p === undefined || p === null) r.fail(`function ${i} has no function type (type index ${t})`, at);
    params.push(p as number);
  }
  return params;
}

/** True if a defined or imported memory is a 64-bit memory (limits flag 0x04). */
function hasMemory64(sections: Section[]): boolean {
  for (const s of sections) {
    if (s.id === SEC_MEMORY) {
      const r = new Reader(s.payload);
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        if (r.buf[r.pos]! & 0x04) return true;
        readLimits(r);
      }
    } else if (s.id === SEC_IMPORT) {
      const r = new Reader(s.payload);
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        r.skip(r.u32());
        r.skip(r.u32());
        const kind = r.u8();
        if (kind === 0x00) r.u32();
        else if (kind === 0x01) readTableType(r);
        else if (kind === 0x02) { if (r.buf[r.pos]! & 0x04) return true; readLimits(r); }
        else if (kind === 0x03) { readValType(r); r.u8(); }
        else if (kind === 0x04) { r.u8(); r.u32(); }
        else r.fail(`unknown import kind 0x${kind.toString(16)}`);
      }
    }
  }
  return false;
}

function encodeSection(id: number, payload: Uint8Array): Uint8Array {
  const out = new ByteSink();
  out.push(id);
  out.append(encodeULEB(payload.length));
  out.append(payload);
  return out.result();
}

/** Prepends a new vector count to the raw element bytes that follow the old count. */
function appendToVector(payload: Uint8Array, extra: number[][]): Uint8Array {
  const r = new Reader(payload);
  const n = r.u32();
  const out = new ByteSink();
  out.append(encodeULEB(n + extra.length));
  out.append(payload.subarray(r.pos));
  for (const e of extra) out.append(e);
  return out.result();
}

/** Custom sections whose content refers to code-section byte offsets and becomes stale. */
function isStaleCustomSection(name: string | undefined): boolean {
  return name !== undefined && name.startsWith('metadata.code.');
}

/**
 * Instruments a WebAssembly binary. Returns the new binary; see the module
 * header for the counting convention.
 */
export function instrumentWasm(bytes: Uint8Array, options: InstrumentOptions = {}): Uint8Array<ArrayBuffer> {
  return instrumentWasmWithStats(bytes, options).bytes;
}

export interface InstrumentOptions {
  /**
   * Count `end` opcodes (default true). With false, the figures match the convention behind the
   * issue's reference counts (libsodium X25519: 1,756,947), where `end` is not an instruction.
   */
  countEnd?: boolean;
  /**
   * Trace mode (default false): besides the instruction count, hash the sequence of executed
   * segments (control-flow trace) and the sequence of memory accesses with their effective
   * addresses (memory trace), and count the memory accesses; see the module header and
   * readTrace(). The instruction count is the same as without tracing.
   */
  trace?: boolean;
  /**
   * Trace mode only: an address to watch. The first load or store (not bulk operations) whose
   * effective address equals it records the instruction counter at that moment in the exported
   * global `__mark` (readMark; -1 until then, and again after resetTrace). The counter is
   * advanced at the start of each segment, so the mark includes the whole segment holding the
   * access: it splits a count at segment granularity (a few instructions).
   */
  markAddress?: number;
}

export function instrumentWasmWithStats(bytes: Uint8Array, options: InstrumentOptions = {}): { bytes: Uint8Array<ArrayBuffer>; stats: InstrumentStats } {
  const sections = parseSections(bytes);
  const tracing = options.trace ?? false;
  if (options.markAddress !== undefined && !tracing) throw new Error('markAddress needs trace mode');

  let importedGlobals = 0;
  let definedGlobals = 0;
  for (const s of sections) {
    if (s.id === SEC_IMPORT) importedGlobals = countImportedGlobals(s.payload);
    if (s.id === SEC_GLOBAL) definedGlobals = new Reader(s.payload).u32();
    if (s.id === SEC_EXPORT && exportNames(s.payload).includes(COUNTER_EXPORT_NAME)) {
      throw new Error(`module already exports "${COUNTER_EXPORT_NAME}" (already instrumented?)`);
    }
  }
  const globalIndex = importedGlobals + definedGlobals;
  const stats: InstrumentStats = { functions: 0, instructions: 0, segments: 0, counterGlobalIndex: globalIndex, memoryAccessSites: 0 };

  let trace: { globals: TraceGlobals; params: number[] } | undefined;
  if (tracing) {
    if (hasMemory64(sections)) throw new Error('trace mode does not support 64-bit memories');
    trace = {
      globals: {
        controlFlow: globalIndex + 1, memory: globalIndex + 2, memoryCount: globalIndex + 3, counter: globalIndex,
        ...(options.markAddress === undefined ? {} : { mark: { global: globalIndex + 4, address: options.markAddress } }),
      },
      params: definedFunctionParams(sections),
    };
  }

  // (mut i64) (i64.const init) end
  const i64Global = (init: bigint): number[] => [0x7e, 0x01, 0x42, ...encodeSLEB(BigInt.asIntN(64, init)), 0x0b];
  const exportEntry = (name: string, index: number): number[] => {
    const nameBytes = textEncoder.encode(name);
    return [...encodeULEB(nameBytes.length), ...nameBytes, 0x03, ...encodeULEB(index)];
  };
  const newGlobals = [i64Global(0n)];
  const newExports = [exportEntry(COUNTER_EXPORT_NAME, globalIndex)];
  if (trace) {
    newGlobals.push(i64Global(TRACE_HASH_SEED), i64Global(TRACE_HASH_SEED), i64Global(0n));
    newExports.push(
      exportEntry(CONTROL_FLOW_EXPORT_NAME, trace.globals.controlFlow),
      exportEntry(MEMORY_TRACE_EXPORT_NAME, trace.globals.memory),
      exportEntry(MEMORY_COUNT_EXPORT_NAME, trace.globals.memoryCount),
    );
    if (trace.globals.mark) {
      newGlobals.push(i64Global(-1n));
      newExports.push(exportEntry(MARK_EXPORT_NAME, trace.globals.mark.global));
    }
  }

  const out: Section[] = [];
  let wroteGlobal = false;
  let wroteExport = false;
  const emitMissingBefore = (rank: number): void => {
    if (!wroteGlobal && rank > SECTION_RANK[SEC_GLOBAL]!) {
      out.push({ id: SEC_GLOBAL, payload: appendToVector(new Uint8Array([0x00]), newGlobals) });
      wroteGlobal = true;
    }
    if (!wroteExport && rank > SECTION_RANK[SEC_EXPORT]!) {
      out.push({ id: SEC_EXPORT, payload: appendToVector(new Uint8Array([0x00]), newExports) });
      wroteExport = true;
    }
  };

  // Offset of each section payload in the input, for error messages.
  let offset = 8;
  for (const s of sections) {
    const payloadOffset = offset + 1 + encodeULEB(s.payload.length).length;
    offset = payloadOffset + s.payload.length;
    if (s.id === SEC_CUSTOM) {
      if (!isStaleCustomSection(customSectionName(s.payload))) out.push(s);
      continue;
    }
    emitMissingBefore(SECTION_RANK[s.id]!);
    switch (s.id) {
      case SEC_GLOBAL:
        out.push({ id: SEC_GLOBAL, payload: appendToVector(s.payload, newGlobals) });
        wroteGlobal = true;
        break;
      case SEC_EXPORT:
        out.push({ id: SEC_EXPORT, payload: appendToVector(s.payload, newExports) });
        wroteExport = true;
        break;
      case SEC_CODE:
        out.push({ id: SEC_CODE, payload: instrumentCodeSection(s.payload, payloadOffset, globalIndex, stats, options.countEnd ?? true, trace) });
        break;
      default:
        out.push(s);
    }
  }
  emitMissingBefore(Number.POSITIVE_INFINITY);

  const sink = new ByteSink();
  sink.append(bytes.subarray(0, 8));
  for (const s of out) sink.append(encodeSection(s.id, s.payload));
  return { bytes: sink.result(), stats };
}

// ---------------------------------------------------------------------------
// Runtime helpers
// ---------------------------------------------------------------------------

function counterGlobal(instance: WebAssembly.Instance): WebAssembly.Global {
  const g = (instance.exports as Record<string, unknown>)[COUNTER_EXPORT_NAME];
  if (!(g instanceof WebAssembly.Global)) {
    throw new Error(`instance has no "${COUNTER_EXPORT_NAME}" global export (not instrumented?)`);
  }
  return g;
}

/** Returns true if the instance was produced from an instrumented module. */
export function isInstrumented(instance: WebAssembly.Instance): boolean {
  return (instance.exports as Record<string, unknown>)[COUNTER_EXPORT_NAME] instanceof WebAssembly.Global;
}

/** Number of instructions executed by the instance since instantiation / the last reset. */
export function readCount(instance: WebAssembly.Instance): bigint {
  return BigInt(counterGlobal(instance).value as bigint);
}

/** Resets the instance's instruction counter to 0. */
export function resetCount(instance: WebAssembly.Instance): void {
  counterGlobal(instance).value = 0n;
}

/** What a trace-mode instance recorded since instantiation / the last resetTrace. */
export interface Trace {
  /** Executed instructions (the same figure as readCount). */
  instructions: bigint;
  /** Hash of the sequence of executed segments (basic blocks split after calls). */
  controlFlow: bigint;
  /** Hash of the sequence of memory accesses: (kind, effective address), bulk ops with source and length. */
  memory: bigint;
  /** Number of memory-accessing instructions executed (a bulk operation counts once). */
  memoryAccesses: bigint;
}

function traceGlobals(instance: WebAssembly.Instance): [WebAssembly.Global, WebAssembly.Global, WebAssembly.Global] {
  const x = instance.exports as Record<string, unknown>;
  const names = [CONTROL_FLOW_EXPORT_NAME, MEMORY_TRACE_EXPORT_NAME, MEMORY_COUNT_EXPORT_NAME];
  const gs = names.map((n) => x[n]);
  if (!gs.every((g) => g instanceof WebAssembly.Global)) {
    throw new Error('instance has no trace globals (not instrumented with { trace: true }?)');
  }
  return gs as [WebAssembly.Global, WebAssembly.Global, WebAssembly.Global];
}

/** Reads the instance's trace (instrumented with `{ trace: true }`). */
export function readTrace(instance: WebAssembly.Instance): Trace {
  const [cf, mem, n] = traceGlobals(instance);
  return {
    instructions: readCount(instance),
    controlFlow: BigInt.asUintN(64, cf.value as bigint),
    memory: BigInt.asUintN(64, mem.value as bigint),
    memoryAccesses: BigInt(n.value as bigint),
  };
}

/** Resets the instruction counter, both trace hashes and the memory-access count. */
export function resetTrace(instance: WebAssembly.Instance): void {
  const [cf, mem, n] = traceGlobals(instance);
  resetCount(instance);
  cf.value = BigInt.asIntN(64, TRACE_HASH_SEED);
  mem.value = BigInt.asIntN(64, TRACE_HASH_SEED);
  n.value = 0n;
  const mark = (instance.exports as Record<string, unknown>)[MARK_EXPORT_NAME];
  if (mark instanceof WebAssembly.Global) mark.value = -1n;
}

/**
 * The instruction count recorded at the first access to the watched address since the last
 * resetTrace (instrumented with `{ trace: true, markAddress }`), or null if there was none.
 */
export function readMark(instance: WebAssembly.Instance): bigint | null {
  const g = (instance.exports as Record<string, unknown>)[MARK_EXPORT_NAME];
  if (!(g instanceof WebAssembly.Global)) throw new Error('instance has no mark (not instrumented with { trace: true, markAddress }?)');
  const v = BigInt(g.value as bigint);
  return v < 0n ? null : v;
}

/** Resets the trace, runs f and returns what it recorded. */
export function traceOf(instance: WebAssembly.Instance, f: () => void): Trace {
  resetTrace(instance);
  f();
  return readTrace(instance);
}

export interface Capture {
  /** Instances created while the hook was installed, in creation order. */
  instances: WebAssembly.Instance[];
  /**
   * Puts the original WebAssembly.instantiate (and instantiateStreaming) back.
   * Nested captures must be restored in reverse order of installation.
   */
  restore(): void;
}

function toUint8Array(source: unknown): Uint8Array {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  // SharedArrayBuffer and other ArrayBuffer-like objects.
  return new Uint8Array(source as ArrayBufferLike);
}

/**
 * Monkeypatches WebAssembly.instantiate (and WebAssembly.instantiateStreaming
 * where present) so that modules instantiated from bytes are instrumented.
 * Instances created from an already-compiled WebAssembly.Module cannot be
 * instrumented; they are recorded as-is (readCount throws for them; use
 * isInstrumented to tell). `new WebAssembly.Module`, WebAssembly.compile and
 * WebAssembly.Instance are not hooked.
 */
export function captureInstantiations(options: InstrumentOptions = {}): Capture {
  const wa = WebAssembly as unknown as {
    instantiate: (source: unknown, imports?: unknown) => Promise<unknown>;
    instantiateStreaming?: (source: unknown, imports?: unknown) => Promise<unknown>;
  };
  const originalInstantiate = wa.instantiate;
  const originalStreaming = wa.instantiateStreaming;
  const instances: WebAssembly.Instance[] = [];
  let restored = false;

  const patchedInstantiate = function instantiate(source: unknown, imports?: unknown): Promise<unknown> {
    if (source instanceof WebAssembly.Module) {
      return originalInstantiate.call(WebAssembly, source, imports).then((instance) => {
        instances.push(instance as WebAssembly.Instance);
        return instance;
      });
    }
    let instrumented: Uint8Array;
    try {
      instrumented = instrumentWasm(toUint8Array(source), options);
    } catch (e) {
      return Promise.reject(e);
    }
    return originalInstantiate.call(WebAssembly, instrumented, imports).then((result) => {
      instances.push((result as WebAssembly.WebAssemblyInstantiatedSource).instance);
      return result;
    });
  };
  wa.instantiate = patchedInstantiate;

  if (originalStreaming) {
    const patchedStreaming = async function instantiateStreaming(source: unknown, imports?: unknown): Promise<unknown> {
      const response = (await source) as Response;
      const bytes = new Uint8Array(await response.arrayBuffer());
      return patchedInstantiate(bytes, imports);
    };
    wa.instantiateStreaming = patchedStreaming;
  }

  return {
    instances,
    restore(): void {
      if (restored) return;
      restored = true;
      wa.instantiate = originalInstantiate;
      if (originalStreaming) wa.instantiateStreaming = originalStreaming;
    },
  };
}
