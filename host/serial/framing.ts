// Reliable message transport over a raw, lossy byte stream (serial line in data mode).
//
// Wire format, per frame:  0x00 | COBS( type | seq | flags | payload | crc16be ) | 0x00
//   type  DATA 0x01 (flags bit0 = last fragment of a message) or ACK 0x02 (seq = next expected)
//   crc16 CRC-16/CCITT-FALSE over type..payload, big-endian.
//
// Reliability: Go-Back-N ARQ, 8-bit sequence numbers, `window` (< 128) unacknowledged DATA frames,
// cumulative ACKs sent for every DATA received, one retransmission timer (for the oldest unacked
// frame) with exponential backoff, reset to the initial RTO whenever an ACK makes progress. After
// `maxRetries` consecutive timeouts without progress the transport fails with a LinkError.
import { cobsDecode, cobsEncode, cobsMaxEncodedLength } from './cobs.js';
import { crc16 } from './crc16.js';
import type { ByteStream, MessageTransport, Timers } from '../transport/types.js';

export const FRAME_DATA = 0x01;
export const FRAME_ACK = 0x02;
export const FLAG_LAST = 0x01;
/** type + seq + flags + crc16 */
export const FRAME_OVERHEAD = 5;
/** Largest message accepted by send() and reassembled by the receiver. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/** Smallest mtu that leaves room for 1 payload byte. */
export const MIN_MTU = 2 + cobsMaxEncodedLength(FRAME_OVERHEAD + 1);

export type LinkErrorCode = 'RETRY_LIMIT' | 'CLOSED';

export class LinkError extends Error {
  readonly code: LinkErrorCode;
  constructor(message: string, code: LinkErrorCode) {
    super(message);
    this.name = 'LinkError';
    this.code = code;
  }
}

export interface FramedTransportOptions {
  timers: Timers;
  /** Max encoded frame size on the wire, both 0x00 delimiters included. Default 256. */
  mtu?: number;
  /** Initial retransmission timeout, ms. Default 1500. */
  rtoMs?: number;
  /** RTO multiplier applied on each timeout. Default 2. */
  backoff?: number;
  /** RTO cap, ms. Default 60000. */
  maxRtoMs?: number;
  /** Consecutive timeouts without progress tolerated (retransmission rounds). Default 6. */
  maxRetries?: number;
  /** Max unacknowledged DATA frames, 1..127. Default 4. */
  window?: number;
}

/** Alias kept for callers that name the options this way. */
export type FramingOptions = FramedTransportOptions;

export interface FramedTransportStats {
  /** Frames written (DATA incl. retransmissions, and ACKs). */
  framesSent: number;
  /** Well-formed frames received (CRC ok), of any type. */
  framesReceived: number;
  /** DATA frames written again after a timeout. */
  retransmissions: number;
  /** Frames that COBS-decoded to >= 5 bytes but failed the CRC (or ended in 0x00, which no sender produces). */
  crcErrors: number;
  /** Segments that failed COBS decoding, were too short/long, or had an unknown type/shape. */
  badFrames: number;
  /** DATA frames already received before (seq behind the expected one): discarded, re-ACKed. */
  duplicates: number;
  /** DATA frames ahead of the expected seq (a gap): discarded, re-ACKed. */
  outOfOrder: number;
  /** Messages whose last fragment has been acknowledged by the peer. */
  messagesSent: number;
  messagesDelivered: number;
  /** Raw bytes written to / read from the byte stream (delimiters, ACKs, retransmissions). */
  bytesSent: number;
  bytesReceived: number;
}

interface Fragment {
  payload: Uint8Array;
  last: boolean;
}

interface InFlight {
  seq: number;
  wire: Uint8Array;
  last: boolean;
}

/** Largest payload whose frame, encoded and delimited, is guaranteed to fit in mtu bytes. */
export function maxPayloadForMtu(mtu: number): number {
  let p = mtu; // encoded size only grows with the payload; walk down from an upper bound
  while (p > 0 && 2 + cobsMaxEncodedLength(FRAME_OVERHEAD + p) > mtu) p--;
  return p;
}

/**
 * Builds the delimited wire bytes of one frame.
 *
 * A frame never ends in 0x00 (the CRC's low byte): one bit error turning its closing delimiter
 * 0x00 into 0x01 makes the receiver decode the frame with a 0x00 appended, and a CRC without a
 * final XOR stays valid under appended zeros, so that damaged frame would pass as a valid one
 * whose payload has gained the CRC's high byte. The receiver therefore refuses frames ending in
 * 0x00, and the sender avoids them by flipping spare flag bits (1-7, ignored by the receiver)
 * until the CRC's low byte is non-zero (some of the 128 choices always is).
 */
export function encodeFrame(type: number, seq: number, flags: number, payload?: Uint8Array): Uint8Array {
  const plen = payload ? payload.length : 0;
  const raw = new Uint8Array(FRAME_OVERHEAD + plen);
  raw[0] = type;
  raw[1] = seq & 0xff;
  if (payload) raw.set(payload, 3);
  let crc = 0;
  for (let pad = 0; pad < 0x80; pad++) {
    raw[2] = (flags ^ (pad << 1)) & 0xff;
    crc = crc16(raw, 0, 3 + plen);
    if ((crc & 0xff) !== 0) break;
  }
  raw[3 + plen] = crc >>> 8;
  raw[4 + plen] = crc & 0xff;
  const enc = cobsEncode(raw);
  const wire = new Uint8Array(enc.length + 2);
  wire.set(enc, 1); // wire[0] and wire[last] stay 0x00
  return wire;
}

function positiveNumber(name: string, v: number, min: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
    throw new RangeError(`FramedTransport: ${name} must be a finite number >= ${min}, got ${v}`);
  }
  return v;
}

export class FramedTransport implements MessageTransport {
  private readonly stream: ByteStream;
  private readonly timers: Timers;
  readonly mtu: number;
  readonly maxPayload: number;
  private readonly rto0: number;
  private readonly backoff: number;
  private readonly maxRto: number;
  private readonly maxRetries: number;
  private readonly window: number;

  private readonly messageHandlers: Array<(m: Uint8Array) => void> = [];
  private readonly errorHandlers: Array<(e: Error) => void> = [];
  private error: LinkError | null = null;
  private closed = false;

  // --- sender ---
  private queue: Fragment[] = [];
  private queueHead = 0;
  private readonly inFlight: InFlight[] = [];
  private nextSeq = 0;
  private rto: number;
  private retries = 0;
  private timer: unknown = null;

  // --- receiver ---
  private expected = 0;
  private rxParts: Uint8Array[] = [];
  private rxLength = 0;
  private rxOverflow = false;
  private seg: Uint8Array;
  private segLen = 0;
  private segOverflow = false;
  private readonly maxSegment: number;

  private readonly counters: FramedTransportStats = {
    framesSent: 0,
    framesReceived: 0,
    retransmissions: 0,
    crcErrors: 0,
    badFrames: 0,
    duplicates: 0,
    outOfOrder: 0,
    messagesSent: 0,
    messagesDelivered: 0,
    bytesSent: 0,
    bytesReceived: 0,
  };

  constructor(stream: ByteStream, options: FramedTransportOptions) {
    if (!options || !options.timers) throw new TypeError('FramedTransport: options.timers is required');
    this.stream = stream;
    this.timers = options.timers;
    this.mtu = Math.floor(positiveNumber('mtu', options.mtu ?? 256, MIN_MTU));
    this.maxPayload = maxPayloadForMtu(this.mtu);
    this.rto0 = positiveNumber('rtoMs', options.rtoMs ?? 1500, 1e-9);
    this.backoff = positiveNumber('backoff', options.backoff ?? 2, 1);
    this.maxRto = Math.max(this.rto0, positiveNumber('maxRtoMs', options.maxRtoMs ?? 60_000, 1e-9));
    this.maxRetries = Math.floor(positiveNumber('maxRetries', options.maxRetries ?? 6, 0));
    const w = options.window ?? 4;
    if (!Number.isInteger(w) || w < 1 || w > 127) {
      throw new RangeError(`FramedTransport: window must be an integer in 1..127, got ${w}`);
    }
    this.window = w;
    this.rto = this.rto0;
    // The peer may use a different mtu; bound the receive segment by the largest sensible frame.
    this.maxSegment = Math.max(this.mtu, cobsMaxEncodedLength(FRAME_OVERHEAD + MAX_MESSAGE_BYTES));
    this.seg = new Uint8Array(Math.min(this.maxSegment, 512));
    stream.onData((chunk) => this.onBytes(chunk));
  }

  // ------------------------------------------------------------------ public API

  send(message: Uint8Array): void {
    if (this.error) {
      this.emitError(this.error);
      return;
    }
    if (this.closed) {
      this.emitError(new LinkError('send() after close()', 'CLOSED'));
      return;
    }
    if (message.length > MAX_MESSAGE_BYTES) {
      throw new RangeError(`FramedTransport: message of ${message.length} bytes exceeds ${MAX_MESSAGE_BYTES}`);
    }
    const copy = Uint8Array.from(message);
    const p = this.maxPayload;
    if (copy.length === 0) {
      this.queue.push({ payload: copy, last: true });
    } else {
      for (let off = 0; off < copy.length; off += p) {
        const end = Math.min(copy.length, off + p);
        this.queue.push({ payload: copy.subarray(off, end), last: end === copy.length });
      }
    }
    this.pump();
  }

  onMessage(handler: (message: Uint8Array) => void): void {
    this.messageHandlers.push(handler);
  }

  onError(handler: (error: Error) => void): void {
    this.errorHandlers.push(handler);
  }

  close(): void {
    this.closed = true;
    this.stopTimer();
    this.queue = [];
    this.queueHead = 0;
    this.inFlight.length = 0;
  }

  stats(): FramedTransportStats {
    return { ...this.counters };
  }

  /** True once the retry limit was reached (or close() was called). */
  get dead(): boolean {
    return this.error !== null || this.closed;
  }

  // ------------------------------------------------------------------ sender

  private pump(): void {
    while (this.inFlight.length < this.window && this.queueHead < this.queue.length) {
      const frag = this.queue[this.queueHead++];
      const seq = this.nextSeq;
      this.nextSeq = (this.nextSeq + 1) & 0xff;
      const wire = encodeFrame(FRAME_DATA, seq, frag.last ? FLAG_LAST : 0, frag.payload);
      this.inFlight.push({ seq, wire, last: frag.last });
      this.writeFrame(wire);
      if (this.timer === null) this.startTimer();
    }
    if (this.queueHead === this.queue.length) {
      this.queue = [];
      this.queueHead = 0;
    } else if (this.queueHead > 1024) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
  }

  private onAck(next: number): void {
    if (this.inFlight.length === 0) return;
    const acked = (next - this.inFlight[0].seq) & 0xff;
    if (acked === 0 || acked > this.inFlight.length) return; // stale or bogus: no progress
    for (let i = 0; i < acked; i++) {
      if (this.inFlight[i].last) this.counters.messagesSent++;
    }
    this.inFlight.splice(0, acked);
    this.rto = this.rto0;
    this.retries = 0;
    this.stopTimer();
    if (this.inFlight.length > 0) this.startTimer();
    this.pump();
  }

  private onTimeout(): void {
    this.timer = null;
    if (this.dead || this.inFlight.length === 0) return;
    this.retries++;
    if (this.retries > this.maxRetries) {
      this.fail(
        new LinkError(
          `retry limit reached: ${this.maxRetries} retransmissions of seq ${this.inFlight[0].seq} without acknowledgement`,
          'RETRY_LIMIT',
        ),
      );
      return;
    }
    for (const f of this.inFlight) {
      this.counters.retransmissions++;
      this.writeFrame(f.wire);
    }
    this.rto = Math.min(this.rto * this.backoff, this.maxRto);
    this.startTimer();
  }

  private startTimer(): void {
    this.timer = this.timers.setTimer(this.rto, () => this.onTimeout());
  }

  private stopTimer(): void {
    if (this.timer !== null) {
      this.timers.clearTimer(this.timer);
      this.timer = null;
    }
  }

  private fail(err: LinkError): void {
    this.error = err;
    this.stopTimer();
    this.queue = [];
    this.queueHead = 0;
    this.inFlight.length = 0;
    this.emitError(err);
  }

  private emitError(err: Error): void {
    for (const h of this.errorHandlers) h(err);
  }

  private writeFrame(wire: Uint8Array): void {
    this.counters.framesSent++;
    this.counters.bytesSent += wire.length;
    this.stream.write(wire);
  }

  // ------------------------------------------------------------------ receiver

  /** Chunks that arrived while a chunk was being processed (a stream may deliver synchronously). */
  private readonly pendingChunks: Uint8Array[] = [];
  private receiving = false;

  private onBytes(chunk: Uint8Array): void {
    // Not re-entrant: an ACK or reply written from inside a handler may come straight back
    // through a synchronous stream; queue it until the current chunk is done.
    if (this.receiving) { this.pendingChunks.push(chunk.slice()); return; }
    this.receiving = true;
    try {
      this.receiveChunk(chunk);
      while (this.pendingChunks.length > 0 && !this.dead) this.receiveChunk(this.pendingChunks.shift()!);
    } finally {
      this.receiving = false;
    }
  }

  private receiveChunk(chunk: Uint8Array): void {
    if (this.dead) return;
    this.counters.bytesReceived += chunk.length;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === 0) {
        if (this.segOverflow) this.counters.badFrames++;
        else if (this.segLen > 0) this.onSegment(this.seg.subarray(0, this.segLen));
        this.segLen = 0;
        this.segOverflow = false;
        if (this.dead) return; // a handler may have closed us
        continue;
      }
      if (this.segOverflow) continue;
      if (this.segLen === this.maxSegment) {
        this.segOverflow = true; // garbage without delimiters: skip to the next 0x00
        continue;
      }
      if (this.segLen === this.seg.length) {
        const bigger = new Uint8Array(Math.min(this.maxSegment, this.seg.length * 2));
        bigger.set(this.seg);
        this.seg = bigger;
      }
      this.seg[this.segLen++] = b;
    }
  }

  private onSegment(segment: Uint8Array): void {
    const raw = cobsDecode(segment);
    if (raw === null || raw.length < FRAME_OVERHEAD) {
      this.counters.badFrames++;
      return;
    }
    const n = raw.length;
    // A frame ending in 0x00 is never sent (see encodeFrame): it is a damaged closing delimiter.
    if (raw[n - 1] === 0 || crc16(raw, 0, n - 2) !== ((raw[n - 2] << 8) | raw[n - 1])) {
      this.counters.crcErrors++;
      return;
    }
    const type = raw[0];
    const seq = raw[1];
    const flags = raw[2];
    if (type === FRAME_ACK && n === FRAME_OVERHEAD) {
      this.counters.framesReceived++;
      this.onAck(seq);
    } else if (type === FRAME_DATA) {
      this.counters.framesReceived++;
      this.onData(seq, flags, raw.subarray(3, n - 2));
    } else {
      this.counters.badFrames++;
    }
  }

  private onData(seq: number, flags: number, payload: Uint8Array): void {
    if (seq !== this.expected) {
      // Behind = already received (a retransmission); ahead = a gap. Both discarded, re-ACKed.
      if (((this.expected - seq) & 0xff) < 128) this.counters.duplicates++;
      else this.counters.outOfOrder++;
      this.sendAck();
      return;
    }
    this.expected = (this.expected + 1) & 0xff;
    this.sendAck();
    if (!this.rxOverflow) {
      if (this.rxLength + payload.length > MAX_MESSAGE_BYTES) {
        this.rxOverflow = true; // peer misbehaving: drop this message
        this.rxParts = [];
        this.rxLength = 0;
      } else {
        this.rxParts.push(payload);
        this.rxLength += payload.length;
      }
    }
    if (flags & FLAG_LAST) {
      const overflow = this.rxOverflow;
      const msg = new Uint8Array(this.rxLength);
      let off = 0;
      for (const p of this.rxParts) {
        msg.set(p, off);
        off += p.length;
      }
      this.rxParts = [];
      this.rxLength = 0;
      this.rxOverflow = false;
      if (overflow) {
        this.counters.badFrames++;
        return;
      }
      this.counters.messagesDelivered++;
      for (const h of this.messageHandlers) h(msg);
    }
  }

  private sendAck(): void {
    this.writeFrame(encodeFrame(FRAME_ACK, this.expected, 0));
  }
}
