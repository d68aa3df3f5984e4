// Property-based tests (fast-check) of the serial framing: COBS, CRC-16 and FramedTransport's
// decoder. The receiver is compared with a small reference decoder written here from the wire
// format in host/serial/framing.ts (0x00 | COBS(type seq flags payload crc16be) | 0x00), so a
// property can fail on a wrong delivery, not only on a crash. Seeds and run counts:
// test/support/fc.ts (AIRSHAKE_FC_SEED, AIRSHAKE_FC_RUNS).
import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { VirtualClock } from '../host/link/clock.js';
import { clockTimers } from '../host/transport/timers.js';
import type { ByteStream } from '../host/transport/types.js';
import { crc16 } from '../host/serial/crc16.js';
import { cobsDecode, cobsEncode, cobsMaxEncodedLength } from '../host/serial/cobs.js';
import {
  FLAG_LAST, FRAME_ACK, FRAME_DATA, FramedTransport, MIN_MTU, encodeFrame, maxPayloadForMtu, type FramedTransportStats,
} from '../host/serial/framing.js';
import { mulberry32 } from '../host/util/prng.js';
import { chunking, concatBytes, fcParams, hex, split, type Chunking } from './support/fc.js';

// ---------------------------------------------------------------- reference implementations

/** CRC-16/CCITT-FALSE, bit by bit (the implementation under test is table-driven). */
function refCrc(b: Uint8Array): number {
  let c = 0xffff;
  for (const x of b) {
    c ^= x << 8;
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
  }
  return c;
}

/** COBS decoding as Cheshire & Baker define it; null for any malformed block sequence. */
function refCobsDecode(s: Uint8Array): Uint8Array | null {
  if (s.length === 0) return null;
  const out: number[] = [];
  let i = 0;
  while (i < s.length) {
    const code = s[i]!;
    if (code === 0 || i + code > s.length) return null;
    for (let k = 1; k < code; k++) { if (s[i + k] === 0) return null; out.push(s[i + k]!); }
    i += code;
    if (code < 0xff && i < s.length) out.push(0);
  }
  return Uint8Array.from(out);
}

/** A frame's raw bytes (before COBS): type seq flags payload crc16be. */
function rawFrame(type: number, seq: number, flags: number, payload: Uint8Array, crcXor = 0): Uint8Array {
  const body = concatBytes(Uint8Array.of(type, seq & 0xff, flags & 0xff), payload);
  const crc = refCrc(body) ^ crcXor;
  return concatBytes(body, Uint8Array.of(crc >> 8, crc & 0xff));
}

interface RefResult { delivered: string[]; acks: number[]; crcErrors: number; badFrames: number; framesReceived: number }

/**
 * What a fresh receiver must do with `stream`: segments end at 0x00 (bytes after the last 0x00
 * are still pending), decode, CRC, then DATA in sequence is reassembled up to a LAST fragment;
 * every DATA frame is answered by an ACK of the next expected seq. (No message here approaches
 * the 64 KiB reassembly bound.) A frame ending in 0x00 is refused: see encodeFrame.
 */
function refReceive(stream: Uint8Array): RefResult {
  const r: RefResult = { delivered: [], acks: [], crcErrors: 0, badFrames: 0, framesReceived: 0 };
  let expected = 0;
  let parts: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < stream.length; i++) {
    if (stream[i] !== 0) continue;
    const seg = stream.subarray(start, i);
    start = i + 1;
    if (seg.length === 0) continue;
    const raw = refCobsDecode(seg);
    if (!raw || raw.length < 5) { r.badFrames++; continue; }
    const n = raw.length;
    // no sender ends a frame in 0x00 (its CRC's low byte): that is a closing delimiter hit by a bit error
    if (raw[n - 1] === 0 || refCrc(raw.subarray(0, n - 2)) !== ((raw[n - 2]! << 8) | raw[n - 1]!)) { r.crcErrors++; continue; }
    if (raw[0] === FRAME_ACK && n === 5) { r.framesReceived++; continue; } // nothing in flight: ignored
    if (raw[0] !== FRAME_DATA) { r.badFrames++; continue; }
    r.framesReceived++;
    if (raw[1] !== expected) { r.acks.push(expected); continue; }
    expected = (expected + 1) & 0xff;
    r.acks.push(expected);
    parts.push(raw.subarray(3, n - 2));
    if (raw[2]! & FLAG_LAST) { r.delivered.push(hex(concatBytes(...parts))); parts = []; }
  }
  return r;
}

// ---------------------------------------------------------------- harness

/** A receiver-only FramedTransport: bytes fed by the test, its writes (ACKs) captured. */
function receiver(mtu = 256) {
  let handler: (c: Uint8Array) => void = () => {};
  const written: Uint8Array[] = [];
  const stream: ByteStream = { write: (b) => { written.push(Uint8Array.from(b)); }, onData: (h) => { handler = h; } };
  const t = new FramedTransport(stream, { timers: clockTimers(new VirtualClock()), mtu });
  const delivered: string[] = [];
  t.onMessage((m) => delivered.push(hex(m)));
  return { t, written, delivered, feed: (c: Uint8Array) => handler(c) };
}

/** Runs `stream`, split as `c`, into a fresh receiver. */
function receive(stream: Uint8Array, c: Chunking) {
  const r = receiver();
  for (const chunk of split(stream, c)) r.feed(chunk);
  return r;
}

/** The ACK seqs in a receiver's writes (each write must be exactly one well-formed ACK frame). */
function ackSeqs(written: Uint8Array[]): number[] {
  return written.map((w) => {
    assert.equal(w[0], 0); assert.equal(w[w.length - 1], 0);
    const raw = refCobsDecode(w.subarray(1, w.length - 1));
    assert.ok(raw && raw.length === 5 && raw[0] === FRAME_ACK && refCrc(raw.subarray(0, 3)) === ((raw[3]! << 8) | raw[4]!), `not an ACK frame: ${hex(w)}`);
    return raw[1]!;
  });
}

const bytesArb = (maxLength: number) => fc.oneof(
  fc.uint8Array({ maxLength, size: 'max' }),
  // zero-heavy and zero-free data: COBS block boundaries (254/255-byte runs)
  fc.uint8Array({ maxLength, min: 0, max: 1, size: 'max' }),
  fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 255 })), { maxLength, size: 'max' }).map((a) => Uint8Array.from(a)),
  fc.tuple(fc.integer({ min: 250, max: 520 }), fc.integer({ min: 1, max: 255 }), fc.uint8Array({ maxLength: 8 }))
    .map(([n, v, tail]) => concatBytes(new Uint8Array(n).fill(v), tail)),
);

// ---------------------------------------------------------------- COBS and CRC

test('property: COBS round trip, no 0x00 in the encoding, length within the bound; CRC equals the bitwise reference', () => {
  fc.assert(fc.property(bytesArb(1200), (data) => {
    const enc = cobsEncode(data);
    assert.equal(enc.includes(0), false, 'encoding contains 0x00');
    assert.ok(enc.length <= cobsMaxEncodedLength(data.length), `${enc.length} > bound ${cobsMaxEncodedLength(data.length)}`);
    assert.equal(hex(cobsDecode(enc)!), hex(data));
    assert.equal(hex(refCobsDecode(enc)!), hex(data), 'the reference decoder reads the encoding differently');
    assert.equal(crc16(data), refCrc(data));
  }), fcParams(0x0c0b5, 400));
});

test('property: cobsDecode agrees with the reference decoder on arbitrary (mostly malformed) input', () => {
  fc.assert(fc.property(bytesArb(600), (s) => {
    const got = cobsDecode(s), want = refCobsDecode(s);
    assert.equal(got === null ? null : hex(got), want === null ? null : hex(want));
  }), fcParams(0xdec0de, 400));
});

test('property: encodeFrame: a well-formed frame that never ends in 0x00, with type, seq, payload and the LAST bit as given', () => {
  fc.assert(fc.property(fc.constantFrom(FRAME_DATA, FRAME_ACK), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), bytesArb(300), (type, seq, flags, payload) => {
    const wire = encodeFrame(type, seq, flags, payload);
    assert.equal(wire[0], 0); assert.equal(wire.indexOf(0, 1), wire.length - 1);
    const raw = refCobsDecode(wire.subarray(1, wire.length - 1))!;
    const n = raw.length;
    assert.equal(refCrc(raw), 0, 'CRC residue'); // the CRC over type..payload, big-endian, leaves residue 0
    assert.notEqual(raw[n - 1], 0, 'frame ends in 0x00');
    assert.deepEqual([raw[0], raw[1], raw[2]! & FLAG_LAST], [type, seq, flags & FLAG_LAST]);
    assert.equal(hex(raw.subarray(3, n - 2)), hex(payload));
    if ((refCrc(rawFrame(type, seq, flags, payload).subarray(0, n - 2)) & 0xff) !== 0) assert.equal(raw[2], flags, 'flags changed without need');
  }), fcParams(0xe4c, 400));
});

// ---------------------------------------------------------------- the receiver on arbitrary streams

/** Pieces of a stream: valid frames (mostly in sequence), damaged frames, ACKs, noise, delimiters. */
type Piece =
  | { k: 'data'; inSeq: boolean; seq: number; last: boolean; payload: Uint8Array; flips: number[]; crcXor: number }
  | { k: 'ack'; seq: number }
  | { k: 'noise'; bytes: Uint8Array }
  | { k: 'zeros'; n: number };

const pieceArb: fc.Arbitrary<Piece> = fc.oneof(
  { weight: 6, arbitrary: fc.record({
    k: fc.constant('data' as const), inSeq: fc.boolean(), seq: fc.integer({ min: 0, max: 255 }), last: fc.boolean(),
    payload: bytesArb(300),
    flips: fc.oneof({ weight: 4, arbitrary: fc.constant([] as number[]) }, { weight: 1, arbitrary: fc.array(fc.nat(4000), { minLength: 1, maxLength: 3 }) }),
    crcXor: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 0xffff }) }),
  }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('ack' as const), seq: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('noise' as const), bytes: bytesArb(200) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('zeros' as const), n: fc.integer({ min: 1, max: 3 }) }) },
);

function buildStream(pieces: Piece[]): Uint8Array {
  let next = 0;
  const out: Uint8Array[] = [];
  for (const p of pieces) {
    if (p.k === 'noise') out.push(p.bytes);
    else if (p.k === 'zeros') out.push(new Uint8Array(p.n));
    else if (p.k === 'ack') out.push(concatBytes(Uint8Array.of(0), cobsEncode(rawFrame(FRAME_ACK, p.seq, 0, new Uint8Array(0))), Uint8Array.of(0)));
    else {
      const seq = p.inSeq ? next : p.seq;
      if (p.inSeq) next = (next + 1) & 0xff;
      const wire = concatBytes(Uint8Array.of(0), cobsEncode(rawFrame(FRAME_DATA, seq, p.last ? FLAG_LAST : 0, p.payload, p.crcXor)), Uint8Array.of(0));
      for (const f of p.flips) { const bit = f % (wire.length * 8); wire[bit >> 3]! ^= 1 << (bit & 7); }
      out.push(wire);
    }
  }
  return concatBytes(...out);
}

const statsOf = (s: FramedTransportStats) => ({ ...s });

test('property: arbitrary streams in arbitrary chunks: no throw, deliveries and ACKs exactly as the reference decoder, independent of chunking', () => {
  fc.assert(fc.property(fc.array(pieceArb, { maxLength: 25, size: 'max' }), chunking(6000), chunking(6000), (pieces, c1, c2) => {
    const stream = buildStream(pieces);
    const want = refReceive(stream);
    const a = receive(stream, c1);
    assert.deepEqual(a.delivered, want.delivered, 'delivered messages differ from the reference');
    assert.deepEqual(ackSeqs(a.written), want.acks, 'ACKs differ from the reference');
    const s = a.t.stats();
    assert.deepEqual(
      { crcErrors: s.crcErrors, badFrames: s.badFrames, framesReceived: s.framesReceived, delivered: s.messagesDelivered, bytes: s.bytesReceived },
      { crcErrors: want.crcErrors, badFrames: want.badFrames, framesReceived: want.framesReceived, delivered: want.delivered.length, bytes: stream.length },
    );
    // re-chunking invariance: another split of the same bytes, the same behaviour in every respect
    const b = receive(stream, c2);
    assert.deepEqual(b.delivered, a.delivered);
    assert.deepEqual(b.written.map(hex), a.written.map(hex));
    assert.deepEqual(statsOf(b.t.stats()), statsOf(s));
  }), fcParams(0xf4a3e, 300));
});

test('property: purely random byte streams: no throw, the same deliveries and ACKs as the reference decoder', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 4000, size: 'max' }), chunking(4000), (stream, c) => {
    const want = refReceive(stream);
    const r = receive(stream, c);
    assert.deepEqual(r.delivered, want.delivered);
    assert.deepEqual(ackSeqs(r.written), want.acks);
  }), fcParams(0x5eed, 300));
});

/** A bit to flip in a delimited frame: anywhere, or in a delimiter or COBS code byte (structure). */
type Flip = { where: 'any' | 'open' | 'close' | 'code'; n: number; bit: number };
const flipArb: fc.Arbitrary<Flip> = fc.record({
  where: fc.constantFrom('any', 'any', 'open', 'close', 'code'), n: fc.nat(100_000), bit: fc.integer({ min: 0, max: 7 }),
});

test('property: 1 to 3 bit errors in a DATA frame (delimiters and code bytes included) never deliver a different payload; errors in the data bytes are always caught', () => {
  fc.assert(fc.property(bytesArb(600), fc.array(flipArb, { minLength: 1, maxLength: 3 }), fc.boolean(), (payload, flips, last) => {
    const wire = encodeFrame(FRAME_DATA, 0, last ? FLAG_LAST : 0, payload);
    // which wire bytes are COBS code bytes or delimiters (a flip there changes the structure)
    const codes: number[] = [];
    for (let i = 1; i < wire.length - 1; i += wire[i]!) codes.push(i);
    const structural = new Set<number>([0, wire.length - 1, ...codes]);
    const bits = [...new Set(flips.map((f) => {
      const byte = f.where === 'open' ? 0 : f.where === 'close' ? wire.length - 1 : f.where === 'code' ? codes[f.n % codes.length]! : (f.n >> 3) % wire.length;
      return byte * 8 + f.bit;
    }))];
    const bad = Uint8Array.from(wire);
    for (const b of bits) bad[b >> 3]! ^= 1 << (b & 7);
    const inData = bits.every((b) => !structural.has(b >> 3) && bad[b >> 3] !== 0);
    // the same frame sent again after it (a retransmission): a damaged delimiter joins the two
    const r = receiver();
    r.feed(concatBytes(bad, wire));
    const again = last ? [hex(payload)] : [];
    if (inData) {
      // the decoded frame differs from the sent one in exactly these bits: CRC-16/CCITT has
      // Hamming distance 4 far beyond this length, so it must catch them
      assert.equal(r.t.stats().crcErrors, 1, `flips ${bits} in data bytes went through`);
      assert.deepEqual(r.delivered, again);
    } else {
      // a structural hit re-cuts the frame: what arrives, if anything, is the original
      for (const d of r.delivered) assert.equal(d, hex(payload), `flips at bits ${bits} delivered a corrupt payload`);
      assert.ok(r.delivered.length <= 1);
    }
  }), fcParams(0xb17, 500));
});

// ---------------------------------------------------------------- two transports: round trips

/**
 * Two FramedTransports joined by queues; the test moves each side's output to the other split as
 * `c`. No timer ever fires (the virtual clock is not run): delivery must not need a retransmission.
 */
function pair(mtu: number, window: number) {
  const clock = new VirtualClock();
  const q = { a: [] as Uint8Array[], b: [] as Uint8Array[] };
  const h: { a?: (c: Uint8Array) => void; b?: (c: Uint8Array) => void } = {};
  const mk = (side: 'a' | 'b'): ByteStream => ({ write: (bytes) => { q[side].push(Uint8Array.from(bytes)); }, onData: (fn) => { h[side] = fn; } });
  const A = new FramedTransport(mk('a'), { timers: clockTimers(clock), mtu, window });
  const B = new FramedTransport(mk('b'), { timers: clockTimers(clock), mtu, window });
  return { A, B, q, h };
}

test('property: encode → decode identity for arbitrary messages, mtus (140-octet frames among them) and chunkings; every frame fits the mtu', () => {
  const mtuArb = fc.oneof(fc.constant(140), fc.constant(MIN_MTU), fc.integer({ min: MIN_MTU, max: 600 }));
  fc.assert(fc.property(
    fc.array(bytesArb(1500), { minLength: 1, maxLength: 5, size: 'max' }), fc.array(bytesArb(400), { maxLength: 3, size: 'max' }),
    mtuArb, fc.integer({ min: 1, max: 8 }), chunking(700), chunking(60),
    (toB, toA, mtu, window, cAB, cBA) => {
      const { A, B, q, h } = pair(mtu, window);
      const atB: string[] = [], atA: string[] = [];
      B.onMessage((m) => atB.push(hex(m)));
      A.onMessage((m) => atA.push(hex(m)));
      for (const m of toB) A.send(m);
      for (const m of toA) B.send(m);
      const frames: Uint8Array[] = [];
      for (let round = 0; q.a.length + q.b.length > 0; round++) {
        assert.ok(round < 10_000, 'no progress');
        const outA = q.a.splice(0), outB = q.b.splice(0);
        frames.push(...outA, ...outB);
        for (const c of split(concatBytes(...outA), cAB)) h.b!(c);
        for (const c of split(concatBytes(...outB), cBA)) h.a!(c);
      }
      assert.deepEqual(atB, toB.map(hex));
      assert.deepEqual(atA, toA.map(hex));
      const maxPayload = maxPayloadForMtu(mtu);
      for (const f of frames) {
        assert.ok(f.length <= mtu, `frame of ${f.length} bytes, mtu ${mtu}`);
        assert.equal(f.indexOf(0, 1), f.length - 1, 'a 0x00 inside a frame');
        const raw = refCobsDecode(f.subarray(1, f.length - 1))!;
        assert.ok(raw.length - 5 <= maxPayload);
      }
      assert.equal(A.stats().retransmissions + B.stats().retransmissions, 0);
    },
  ), fcParams(0x140, 150));
});

test('property: over a line with bit errors, lost and split writes, what arrives is always an exact prefix of what was sent', () => {
  fc.assert(fc.property(
    fc.array(bytesArb(700), { minLength: 1, maxLength: 4, size: 'max' }), fc.integer({ min: MIN_MTU, max: 300 }), fc.integer(),
    fc.constantFrom(0, 1e-4, 1e-3, 5e-3), fc.constantFrom(0, 0.05, 0.2),
    (msgs, mtu, seed, ber, loss) => {
      const clock = new VirtualClock();
      const rand = mulberry32(seed);
      const handlers: Record<'a' | 'b', ((c: Uint8Array) => void) | undefined> = { a: undefined, b: undefined };
      const line = (to: 'a' | 'b'): ByteStream['write'] => (bytes) => {
        if (rand() < loss) return;
        const data = Uint8Array.from(bytes);
        for (let i = 0; i < data.length * 8; i++) if (rand() < ber) data[i >> 3]! ^= 1 << (i & 7);
        const at = clock.now() + 5 + Math.floor(rand() * 3);
        for (const c of split(data, { every: 1 + Math.floor(rand() * 50) })) clock.schedule(at, () => handlers[to]?.(c));
      };
      const A = new FramedTransport({ write: line('b'), onData: (fn) => { handlers.a = fn; } }, { timers: clockTimers(clock), mtu, rtoMs: 100, maxRetries: 8 });
      const B = new FramedTransport({ write: line('a'), onData: (fn) => { handlers.b = fn; } }, { timers: clockTimers(clock), mtu, rtoMs: 100, maxRetries: 8 });
      const got: string[] = [];
      B.onMessage((m) => got.push(hex(m)));
      A.onError(() => {});
      for (const m of msgs) A.send(m);
      clock.run({ until: 3_600_000 });
      assert.deepEqual(got, msgs.slice(0, got.length).map(hex), 'a delivered message is not the one sent');
      if (ber === 0 && loss === 0) assert.equal(got.length, msgs.length);
      A.close(); B.close();
    },
  ), fcParams(0x11e, 120));
});
