// FramedTransport over a simulated slow, lossy serial line (virtual clock): CRC-16, COBS,
// fragmentation under an mtu, Go-Back-N ARQ, duplicate suppression, backoff and retry limit.
import test from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../host/link/clock.js';
import { clockTimers } from '../host/transport/timers.js';
import type { ByteStream } from '../host/transport/types.js';
import { crc16 } from '../host/serial/crc16.js';
import { cobsDecode, cobsEncode, cobsMaxEncodedLength } from '../host/serial/cobs.js';
import { mulberry32 } from '../host/util/prng.js';
import {
  FRAME_ACK,
  FRAME_DATA,
  FramedTransport,
  LinkError,
  encodeFrame,
  type FramedTransportOptions,
} from '../host/serial/framing.js';

// ---------------------------------------------------------------- helpers


function randomBytes(rand: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (...v: number[]) => Uint8Array.from(v);
const range = (from: number, to: number) => Uint8Array.from({ length: to - from + 1 }, (_, i) => from + i);
const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

interface DirectionOptions {
  /** Probability that any single bit is flipped. */
  ber?: number;
  /** Probability that any single byte is lost. */
  byteDrop?: number;
  /** Probability that a whole write() (one frame) is lost. */
  frameLoss?: number;
  /** Deterministic loss: drop the n-th write (0-based) of this direction. */
  dropWrite?: (n: number, chunk: Uint8Array) => boolean;
  /** Deliver each write in several random-sized chunks. */
  split?: boolean;
}

interface WriteRecord {
  at: number;
  bytes: Uint8Array;
  lost: boolean;
}

const BIT_RATE = 9600;
const LATENCY_MS = 300;
const wireMs = (n: number) => (n * 10 * 1000) / BIT_RATE; // 10 bits per byte (8N1)

/**
 * One direction of a serial line: writes are serialised FIFO at 9600 bit/s (10 bits/byte) and
 * delivered LATENCY_MS after their last byte went out, possibly corrupted or lost.
 */
class Direction {
  busyUntil = 0;
  readonly writes: WriteRecord[] = [];
  private readonly handlers: Array<(c: Uint8Array) => void> = [];
  private gap: number; // bits until the next bit error

  constructor(
    private readonly clock: VirtualClock,
    private readonly rand: () => number,
    private readonly opts: DirectionOptions,
  ) {
    this.gap = this.nextGap();
  }

  private nextGap(): number {
    const p = this.opts.ber ?? 0;
    if (p <= 0) return Infinity;
    return Math.floor(Math.log(1 - this.rand()) / Math.log(1 - p));
  }

  readonly tx: ByteStream = {
    write: (chunk) => this.write(chunk),
    onData: () => {
      throw new Error('tx side only');
    },
  };
  readonly rx = (h: (c: Uint8Array) => void) => this.handlers.push(h);

  private write(chunk: Uint8Array): void {
    const n = this.writes.length;
    const start = Math.max(this.clock.now(), this.busyUntil);
    this.busyUntil = start + wireMs(chunk.length);
    const lost =
      (this.opts.dropWrite?.(n, chunk) ?? false) || this.rand() < (this.opts.frameLoss ?? 0);
    this.writes.push({ at: this.clock.now(), bytes: Uint8Array.from(chunk), lost });
    if (lost) return; // the line time is still used
    const data = Uint8Array.from(chunk);
    // bit errors
    const total = data.length * 8;
    let pos = 0;
    for (;;) {
      if (this.gap >= total - pos) {
        this.gap -= total - pos;
        break;
      }
      pos += this.gap;
      data[pos >> 3] ^= 1 << (pos & 7);
      pos++;
      this.gap = this.nextGap();
    }
    // byte drops
    let out = data;
    const pd = this.opts.byteDrop ?? 0;
    if (pd > 0) out = data.filter(() => this.rand() >= pd);
    // chunking
    const pieces: Uint8Array[] = [];
    if (this.opts.split && out.length > 1) {
      let off = 0;
      while (off < out.length) {
        const len = 1 + Math.floor(this.rand() * Math.min(40, out.length - off));
        pieces.push(out.subarray(off, off + len));
        off += len;
      }
    } else pieces.push(out);
    this.clock.schedule(this.busyUntil + LATENCY_MS, () => {
      for (const p of pieces) for (const h of this.handlers) h(p);
    });
  }
}

/** Two ByteStreams, a and b, joined by a pair of Directions. */
class LossyPipe {
  readonly ab: Direction;
  readonly ba: Direction;
  readonly a: ByteStream;
  readonly b: ByteStream;
  constructor(clock: VirtualClock, seed: number, ab: DirectionOptions = {}, ba: DirectionOptions = {}) {
    const rand = mulberry32(seed);
    this.ab = new Direction(clock, rand, ab);
    this.ba = new Direction(clock, rand, ba);
    this.a = { write: (c) => this.ab.tx.write(c), onData: (h) => this.ba.rx(h) };
    this.b = { write: (c) => this.ba.tx.write(c), onData: (h) => this.ab.rx(h) };
  }
}

interface Setup {
  clock: VirtualClock;
  pipe: LossyPipe;
  A: FramedTransport;
  B: FramedTransport;
  got: { A: Uint8Array[]; B: Uint8Array[] };
  errors: { A: Error[]; B: Error[] };
  errorAt: { A: number[]; B: number[] };
}

function setup(
  opts: { seed?: number; ab?: DirectionOptions; ba?: DirectionOptions; transport?: Partial<FramedTransportOptions> } = {},
): Setup {
  const clock = new VirtualClock();
  const pipe = new LossyPipe(clock, opts.seed ?? 1, opts.ab, opts.ba);
  const timers = clockTimers(clock);
  const A = new FramedTransport(pipe.a, { timers, ...opts.transport });
  const B = new FramedTransport(pipe.b, { timers, ...opts.transport });
  const got = { A: [] as Uint8Array[], B: [] as Uint8Array[] };
  const errors = { A: [] as Error[], B: [] as Error[] };
  const errorAt = { A: [] as number[], B: [] as number[] };
  A.onMessage((m) => got.A.push(m));
  B.onMessage((m) => got.B.push(m));
  A.onError((e) => (errors.A.push(e), errorAt.A.push(clock.now())));
  B.onError((e) => (errors.B.push(e), errorAt.B.push(clock.now())));
  return { clock, pipe, A, B, got, errors, errorAt };
}

/** Decodes a recorded write into its frame (type, seq, flags, payload), asserting its shape. */
function parseWrite(w: Uint8Array) {
  assert.equal(w[0], 0, 'frame starts with a delimiter');
  assert.equal(w[w.length - 1], 0, 'frame ends with a delimiter');
  const inner = w.subarray(1, w.length - 1);
  assert.ok(!inner.includes(0), 'no zero inside an encoded frame');
  const raw = cobsDecode(inner);
  assert.ok(raw !== null && raw.length >= 5);
  const n = raw.length;
  assert.equal(crc16(raw, 0, n - 2), (raw[n - 2] << 8) | raw[n - 1], 'CRC');
  return { type: raw[0], seq: raw[1], flags: raw[2], payload: raw.subarray(3, n - 2) };
}

function assertSameMessages(actual: Uint8Array[], expected: Uint8Array[], label: string) {
  assert.equal(actual.length, expected.length, `${label}: message count`);
  for (let i = 0; i < expected.length; i++) {
    assert.equal(hex(actual[i]), hex(expected[i]), `${label}: message ${i} differs`);
  }
}

// ---------------------------------------------------------------- CRC

test('crc16: CCITT-FALSE check value of "123456789" is 0x29B1', () => {
  const data = new TextEncoder().encode('123456789');
  assert.equal(crc16(data), 0x29b1);
  assert.equal(crc16(new Uint8Array(0)), 0xffff);
  assert.equal(crc16(data, 4, 9, crc16(data, 0, 4)), 0x29b1, 'incremental');
  assert.equal(crc16(bytes(0x00)), 0xe1f0);
});

// ---------------------------------------------------------------- COBS

test('cobs: reference vectors (Cheshire & Baker)', () => {
  const cases: Array<[Uint8Array, Uint8Array]> = [
    [bytes(), bytes(0x01)],
    [bytes(0x00), bytes(0x01, 0x01)],
    [bytes(0x00, 0x00), bytes(0x01, 0x01, 0x01)],
    [bytes(0x00, 0x11, 0x00), bytes(0x01, 0x02, 0x11, 0x01)],
    [bytes(0x11, 0x22, 0x00, 0x33), bytes(0x03, 0x11, 0x22, 0x02, 0x33)],
    [bytes(0x11, 0x22, 0x33, 0x44), bytes(0x05, 0x11, 0x22, 0x33, 0x44)],
    [bytes(0x11, 0x00, 0x00, 0x00), bytes(0x02, 0x11, 0x01, 0x01, 0x01)],
    [range(0x01, 0xfe), concat(bytes(0xff), range(0x01, 0xfe))],
    [concat(bytes(0x00), range(0x01, 0xfe)), concat(bytes(0x01, 0xff), range(0x01, 0xfe))],
    [range(0x01, 0xff), concat(bytes(0xff), range(0x01, 0xfe), bytes(0x02, 0xff))],
    [concat(range(0x02, 0xff), bytes(0x00)), concat(bytes(0xff), range(0x02, 0xff), bytes(0x01, 0x01))],
    [concat(range(0x03, 0xff), bytes(0x00, 0x01)), concat(bytes(0xfe), range(0x03, 0xff), bytes(0x02, 0x01))],
  ];
  for (const [plain, enc] of cases) {
    assert.equal(hex(cobsEncode(plain)), hex(enc), `encode ${hex(plain).slice(0, 16)}…`);
    assert.equal(hex(cobsDecode(enc)!), hex(plain), `decode ${hex(enc).slice(0, 16)}…`);
  }
});

test('cobs: random round trips incl. zero runs and 254/255-byte non-zero blocks', () => {
  const rand = mulberry32(42);
  const gen = (): Uint8Array => {
    const parts: number[] = [];
    const target = Math.floor(rand() * 1200);
    while (parts.length < target) {
      const kind = Math.floor(rand() * 4);
      if (kind === 0) for (let i = Math.floor(rand() * 20); i >= 0; i--) parts.push(0);
      else if (kind === 1) {
        const len = [253, 254, 255, 256, 508, 509][Math.floor(rand() * 6)];
        for (let i = 0; i < len; i++) parts.push(1 + Math.floor(rand() * 255));
      } else for (let i = Math.floor(rand() * 30); i >= 0; i--) parts.push(Math.floor(rand() * 256));
    }
    return Uint8Array.from(parts);
  };
  const edge = [254, 255, 508, 509, 762].flatMap((n) => [
    new Uint8Array(n).fill(7),
    concat(new Uint8Array(n).fill(7), bytes(0)),
    concat(bytes(0), new Uint8Array(n).fill(7)),
  ]);
  const inputs = [...edge, new Uint8Array(1000), ...Array.from({ length: 300 }, gen)];
  for (const plain of inputs) {
    const enc = cobsEncode(plain);
    assert.ok(!enc.includes(0), 'encoded output contains no zero');
    assert.ok(enc.length <= cobsMaxEncodedLength(plain.length), 'overhead bound');
    assert.ok(enc.length >= plain.length + 1);
    assert.equal(hex(cobsDecode(enc)!), hex(plain));
  }
});

test('cobs: malformed input is rejected with null', () => {
  assert.equal(cobsDecode(bytes()), null, 'empty');
  assert.equal(cobsDecode(bytes(0x00)), null, 'zero code');
  assert.equal(cobsDecode(bytes(0x03, 0x11, 0x00)), null, 'zero inside a block');
  assert.equal(cobsDecode(bytes(0x02, 0x11, 0x00, 0x01)), null, 'zero where a code is expected');
  assert.equal(cobsDecode(bytes(0x05, 0x11, 0x22)), null, 'code points past the end');
  assert.equal(cobsDecode(bytes(0x02, 0x11, 0x03, 0x22)), null, 'second code past the end');
  assert.equal(cobsDecode(bytes(0xff)), null, '0xFF block with no data');
  assert.equal(cobsDecode(concat(bytes(0xff), range(1, 253))), null, '0xFF block one byte short');
  // Random garbage: decode either fails or yields something that re-encodes to the same bytes.
  const rand = mulberry32(7);
  for (let i = 0; i < 2000; i++) {
    const g = randomBytes(rand, 1 + Math.floor(rand() * 40));
    const d = cobsDecode(g);
    if (d !== null) {
      assert.ok(!g.includes(0));
      assert.equal(cobsDecode(cobsEncode(d)) !== null, true);
    }
  }
});

// ---------------------------------------------------------------- framing

test('a 281-byte message with mtu 140 goes in >= 3 frames of <= 140 wire bytes and arrives intact', () => {
  const s = setup({ transport: { mtu: 140 } });
  const msg = randomBytes(mulberry32(281), 281);
  s.A.send(msg);
  s.clock.run();
  assertSameMessages(s.got.B, [msg], 'B');
  const data = s.pipe.ab.writes.map((w) => ({ w, f: parseWrite(w.bytes) })).filter((x) => x.f.type === FRAME_DATA);
  assert.ok(data.length >= 3, `expected >= 3 DATA frames, got ${data.length}`);
  for (const w of [...s.pipe.ab.writes, ...s.pipe.ba.writes]) {
    assert.ok(w.bytes.length <= 140, `frame of ${w.bytes.length} bytes exceeds mtu`);
  }
  assert.deepEqual(data.map((x) => x.f.seq), data.map((_, i) => i), 'sequence numbers 0, 1, 2, ...');
  assert.deepEqual(data.map((x) => x.f.flags & 1), data.map((_, i) => (i === data.length - 1 ? 1 : 0)));
  assert.equal(hex(concat(...data.map((x) => x.f.payload))), hex(msg), 'payloads concatenate to the message');
  // ACKs: cumulative next-expected seq
  const acks = s.pipe.ba.writes.map((w) => parseWrite(w.bytes));
  assert.ok(acks.every((f) => f.type === FRAME_ACK && f.payload.length === 0));
  assert.deepEqual(acks.map((f) => f.seq), data.map((_, i) => i + 1));
  const st = s.A.stats();
  assert.equal(st.retransmissions, 0);
  assert.equal(st.messagesSent, 1);
  assert.equal(s.B.stats().messagesDelivered, 1);
  assert.ok(s.clock.idle(), 'no timers left');
});

test('mtu edge: every payload size up to 3 frames fits the mtu for several mtus, incl. all-zero data', () => {
  for (const mtu of [9, 16, 64, 140, 256, 300, 600]) {
    const s = setup({ transport: { mtu, window: 8 } });
    const sent: Uint8Array[] = [];
    const rand = mulberry32(mtu);
    for (let n = 0; n <= 3 * mtu; n += 1 + Math.floor(rand() * 7)) {
      const m = n % 2 ? new Uint8Array(n) : randomBytes(rand, n).map((b) => b | 1);
      sent.push(m);
      s.A.send(m);
    }
    s.clock.run();
    assertSameMessages(s.got.B, sent, `mtu ${mtu}`);
    for (const w of s.pipe.ab.writes) assert.ok(w.bytes.length <= mtu, `mtu ${mtu}: ${w.bytes.length}`);
  }
  assert.throws(() => setup({ transport: { mtu: 8 } }), RangeError);
  assert.throws(() => setup({ transport: { window: 128 } }), RangeError);
});

test('clean link: 50 random messages of 0..2000 bytes each way, simultaneously, in order', () => {
  const s = setup({ seed: 5, ab: { split: true }, ba: { split: true } });
  const rand = mulberry32(2024);
  const sentA: Uint8Array[] = [];
  const sentB: Uint8Array[] = [];
  for (let i = 0; i < 50; i++) {
    const a = randomBytes(rand, Math.floor(rand() * 2001));
    const b = randomBytes(rand, Math.floor(rand() * 2001));
    sentA.push(a);
    sentB.push(b);
    s.A.send(a);
    s.B.send(b);
  }
  s.clock.run();
  assertSameMessages(s.got.B, sentA, 'A→B');
  assertSameMessages(s.got.A, sentB, 'B→A');
  assert.deepEqual(s.errors, { A: [], B: [] });
  for (const t of [s.A, s.B]) {
    const st = t.stats();
    assert.equal(st.messagesSent, 50);
    assert.equal(st.messagesDelivered, 50);
    assert.equal(st.crcErrors + st.badFrames, 0);
  }
  const a = s.A.stats();
  const b = s.B.stats();
  assert.equal(a.bytesSent, b.bytesReceived);
  assert.equal(b.bytesSent, a.bytesReceived);
  assert.equal(a.framesSent, b.framesReceived);
  assert.equal(b.framesSent, a.framesReceived);
  // Messages of up to 64 KiB are accepted; beyond that send() throws.
  const big = randomBytes(rand, 64 * 1024);
  s.A.send(big);
  s.clock.run();
  assert.equal(hex(s.got.B.at(-1)!), hex(big));
  assert.throws(() => s.A.send(new Uint8Array(64 * 1024 + 1)), RangeError);
});

test('noisy line (BER 1e-4, 5% frames lost, dropped bytes): delivered data is always an exact prefix', () => {
  let completed = 0;
  let detected = 0;
  let retransmitted = 0;
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const noise: DirectionOptions = { ber: 1e-4, frameLoss: 0.05, byteDrop: 2e-4, split: true };
    const mtu = seed % 2 ? 140 : 256;
    const s = setup({ seed, ab: noise, ba: noise, transport: { mtu } });
    const rand = mulberry32(seed * 7919);
    const sentA: Uint8Array[] = [];
    const sentB: Uint8Array[] = [];
    for (let i = 0; i < 25; i++) {
      sentA.push(randomBytes(rand, Math.floor(rand() * 1200)));
      sentB.push(randomBytes(rand, Math.floor(rand() * 1200)));
      s.A.send(sentA[i]);
      s.B.send(sentB[i]);
    }
    s.clock.run();
    for (const [got, sent, err, label] of [
      [s.got.B, sentA, s.errors.A, 'A→B'],
      [s.got.A, sentB, s.errors.B, 'B→A'],
    ] as const) {
      assert.ok(got.length <= sent.length, `${label} seed ${seed}: more delivered than sent`);
      assertSameMessages(got, sent.slice(0, got.length), `${label} seed ${seed}`);
      if (got.length < sent.length) {
        assert.ok(err.length > 0, `${label} seed ${seed}: lost messages without a LinkError`);
        assert.equal((err[0] as LinkError).code, 'RETRY_LIMIT');
      } else completed++;
    }
    for (const t of [s.A, s.B]) {
      const st = t.stats();
      detected += st.crcErrors + st.badFrames;
      retransmitted += st.retransmissions;
    }
  }
  assert.ok(detected > 50, `noise must actually corrupt frames (detected ${detected})`);
  assert.ok(retransmitted > 50, `loss must force retransmissions (${retransmitted})`);
  assert.ok(completed >= 10, `most runs should complete (completed ${completed}/12)`);
});

test('retry limit: a line that drops everything fails with RETRY_LIMIT after the backoff schedule', () => {
  for (const [transport, expectedAt] of [
    [{}, 1500 + 3000 + 6000 + 12000 + 24000 + 48000 + 60000], // defaults: 1500 ms ×2, cap 60 s, 6 retries
    [{ rtoMs: 1000, backoff: 2, maxRtoMs: 5000, maxRetries: 4 }, 1000 + 2000 + 4000 + 5000 + 5000],
    [{ rtoMs: 700, backoff: 1.5, maxRetries: 2 }, 700 + 1050 + 1575],
  ] as const) {
    const s = setup({ ab: { frameLoss: 1 }, transport });
    s.A.send(new Uint8Array(600)); // 3 frames with mtu 256
    s.clock.run();
    assert.equal(s.errors.A.length, 1, 'onError fired once');
    const err = s.errors.A[0];
    assert.ok(err instanceof LinkError);
    assert.equal(err.code, 'RETRY_LIMIT');
    assert.match(err.message, /retry limit/);
    assert.ok(Math.abs(s.errorAt.A[0] - expectedAt) < 1e-6, `error at ${s.errorAt.A[0]}, expected ${expectedAt}`);
    const retries = transport.maxRetries ?? 6;
    assert.equal(s.A.stats().retransmissions, 3 * retries);
    assert.equal(s.pipe.ab.writes.length, 3 * (retries + 1));
    assert.ok(s.clock.idle(), 'timers stopped');
    assert.equal(s.got.B.length, 0);
    // dead: further sends report the same error and write nothing
    s.A.send(bytes(1, 2, 3));
    assert.equal(s.errors.A.length, 2);
    assert.equal(s.errors.A[1], err);
    assert.equal(s.pipe.ab.writes.length, 3 * (retries + 1));
    assert.ok(s.clock.idle());
  }
});

test('duplicates: lost ACKs force retransmission; each message is delivered exactly once', () => {
  // Drop the first 6 ACKs and every 3rd ACK after that.
  const s = setup({ ba: { dropWrite: (n) => n < 6 || n % 3 === 0 }, transport: { mtu: 64 } });
  const rand = mulberry32(99);
  const sent = Array.from({ length: 12 }, () => randomBytes(rand, Math.floor(rand() * 300)));
  for (const m of sent) s.A.send(m);
  s.clock.run();
  assertSameMessages(s.got.B, sent, 'A→B');
  const a = s.A.stats();
  const b = s.B.stats();
  assert.ok(a.retransmissions > 0, 'DATA was retransmitted');
  assert.ok(b.duplicates > 0, 'receiver saw duplicates');
  assert.equal(b.messagesDelivered, sent.length, 'delivered exactly once each');
  assert.equal(a.messagesSent, sent.length);
  assert.deepEqual(s.errors, { A: [], B: [] });
});

test('backoff: retransmissions at rto, rto*2, ... capped; reset to rto after an ACK makes progress', () => {
  const rto = 1000;
  // Drop the first 5 DATA transmissions (of a 1-frame message), then the next message's first 2.
  let dataSeen = 0;
  const s = setup({
    ab: {
      dropWrite: (n, chunk) => {
        const f = parseWrite(chunk);
        if (f.type !== FRAME_DATA) return false;
        dataSeen++;
        return dataSeen <= 5 || (f.seq === 1 && dataSeen <= 8);
      },
    },
    transport: { rtoMs: rto, backoff: 2, maxRtoMs: 5000, maxRetries: 8 },
  });
  s.A.send(bytes(1));
  s.clock.run();
  const t1 = s.pipe.ab.writes.map((w) => w.at);
  // sent at 0, then after 1000, 2000, 4000, 5000 (capped), 5000
  assert.deepEqual(t1, [0, 1000, 3000, 7000, 12000, 17000]);
  assertSameMessages(s.got.B, [bytes(1)], 'first');
  const start = s.clock.now();
  s.A.send(bytes(2));
  s.clock.run();
  const t2 = s.pipe.ab.writes.slice(6).map((w) => w.at - start);
  assert.deepEqual(t2, [0, 1000, 3000], 'backoff restarted from the initial rto');
  assertSameMessages(s.got.B, [bytes(1), bytes(2)], 'both');
  assert.equal(s.A.stats().retransmissions, 5 + 2);
  assert.deepEqual(s.errors, { A: [], B: [] });
});

test('garbage, truncated and corrupted frames are dropped and counted; close() stops timers', () => {
  const clock = new VirtualClock();
  const timers = clockTimers(clock);
  let handler: (c: Uint8Array) => void = () => {};
  const written: Uint8Array[] = [];
  const stream: ByteStream = { write: (c) => written.push(c), onData: (h) => (handler = h) };
  const t = new FramedTransport(stream, { timers });
  const got: Uint8Array[] = [];
  t.onMessage((m) => got.push(m));
  const good = (seq: number, p: Uint8Array) => {
    const raw = concat(bytes(FRAME_DATA, seq, 1), p);
    const c = crc16(raw);
    return concat(bytes(0), cobsEncode(concat(raw, bytes(c >> 8, c & 0xff))), bytes(0));
  };
  const f0 = good(0, bytes(9, 8, 7));
  const corrupted = Uint8Array.from(f0);
  corrupted[f0.indexOf(9)] ^= 0x10; // a payload byte: COBS still valid, CRC not
  handler(concat(bytes(0, 0, 0), bytes(5, 1, 2), bytes(0))); // code past the end
  handler(concat(bytes(0, 0x03, 0x01, 0x02, 0))); // decodes to 2 bytes: too short
  handler(corrupted); // CRC mismatch
  handler(good(1, bytes(1))); // out of order: discarded, re-ACKed
  for (const b of f0) handler(bytes(b)); // byte by byte
  handler(f0); // duplicate
  assert.equal(got.length, 1);
  assert.equal(hex(got[0]), '090807');
  const st = t.stats();
  assert.equal(st.badFrames, 2);
  assert.equal(st.crcErrors, 1);
  assert.equal(st.duplicates, 1);
  assert.equal(st.outOfOrder, 1);
  assert.equal(st.framesReceived, 3);
  assert.deepEqual(written.map((w) => parseWrite(w).seq), [0, 1, 1], 'ACKs carry next expected seq');
  t.send(bytes(1, 2));
  assert.ok(!clock.idle(), 'retransmission timer armed');
  t.close();
  assert.ok(clock.idle(), 'close() cancels the timer');
});

test('a stream that delivers synchronously (writes reach the peer inside write()) still delivers intact messages', async () => {
  const { realTimers } = await import('../host/transport/types.js');
  const mk = () => { const handlers: ((c: Uint8Array) => void)[] = []; return { handlers, write: (_: Uint8Array) => {}, onData: (f: (c: Uint8Array) => void) => { handlers.push(f); } }; };
  const a = mk(), b = mk();
  a.write = (bytes) => b.handlers.forEach((f) => f(bytes));
  b.write = (bytes) => a.handlers.forEach((f) => f(bytes));
  const ta = new FramedTransport(a, { timers: realTimers, mtu: 32 });
  const tb = new FramedTransport(b, { timers: realTimers, mtu: 32 });
  const got: Uint8Array[] = [];
  tb.onMessage((m) => got.push(m));
  const msgs = [100, 1, 0, 333].map((n, k) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + k) & 0xff));
  for (const m of msgs) ta.send(m);
  ta.close(); tb.close();
  assert.deepEqual(got.map((m) => Buffer.from(m).toString('hex')), msgs.map((m) => Buffer.from(m).toString('hex')));
});

test('regression (property test): a closing delimiter 0x00 hit by one bit error (-> 0x01) does not let the frame through with a byte appended', () => {
  // Found by test/properties-framing.test.ts: 00 | 02 01 02 01 03 c1 45 | 01, then the
  // retransmission's opening 0x00, decoded as the frame plus a 0x00, whose CRC still checked
  // out (no final XOR), and [0x00, 0xc1] was delivered for the one-byte message [0x00].
  const frame = encodeFrame(FRAME_DATA, 0, 1, Uint8Array.of(0x00));
  assert.equal(hex(frame), '000201020103c14500');
  const damaged = Uint8Array.from(frame);
  damaged[damaged.length - 1] = 0x01;
  const got: string[] = [];
  let handler: (c: Uint8Array) => void = () => {};
  const t = new FramedTransport({ write: () => {}, onData: (h) => { handler = h; } }, { timers: clockTimers(new VirtualClock()) });
  t.onMessage((m) => got.push(hex(m)));
  handler(concat(damaged, frame));
  assert.deepEqual(got, ['00']);
  assert.equal(t.stats().crcErrors, 1);
  // and the sender never ends a frame in 0x00: here the CRC's low byte would be 0x00
  let found = 0;
  for (let b = 0; b < 65536 && found < 3; b++) {
    const payload = [b >> 8, b & 0xff];
    const raw = Uint8Array.from([FRAME_DATA, 0, 1, ...payload]);
    if ((crc16(raw) & 0xff) !== 0) continue;
    found++;
    const wire = encodeFrame(FRAME_DATA, 0, 1, Uint8Array.from(payload));
    const dec = cobsDecode(wire.subarray(1, wire.length - 1))!;
    assert.notEqual(dec[dec.length - 1], 0);
    const rx: string[] = [];
    let h2: (c: Uint8Array) => void = () => {};
    const r = new FramedTransport({ write: () => {}, onData: (h) => { h2 = h; } }, { timers: clockTimers(new VirtualClock()) });
    r.onMessage((m) => rx.push(hex(m)));
    h2(wire);
    assert.deepEqual(rx, [hex(Uint8Array.from(payload))]);
  }
  assert.equal(found, 3);
});
