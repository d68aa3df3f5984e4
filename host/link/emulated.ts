// Emulated slow link between endpoints 'A' and 'B' on a VirtualClock: two independent one-way
// FIFO channels (full duplex). Messages are split into packets of at most `mtu` bytes; each packet
// serialises at `bitRate` once the channel is free and arrives `latencyMs` after its last bit. A
// message is delivered when its last packet arrives, or not at all if any packet was lost (no
// retransmission here). Delivered bytes may have bits flipped at `bitErrorRate` per bit.
import type { VirtualClock } from './clock.js';
import type { LinkProfile } from './profiles.js';
import { mulberry32 } from '../util/prng.js';

export type Side = 'A' | 'B';

export interface EmulatedLinkOptions {
  /** PRNG seed for losses and bit errors (default 1). */
  seed?: number;
  /** Overrides profile.lossRate. */
  lossRate?: number;
  /** Overrides profile.bitErrorRate. */
  bitErrorRate?: number;
}

export interface TraceEntry {
  from: Side;
  to: Side;
  bytes: number;
  packets: number;
  /** Virtual time of send(), ms. */
  sentAt: number;
  /** Virtual time the peer's handlers were called; null if lost or still in flight. */
  deliveredAt: number | null;
  /** True once a lost message's last packet would have arrived. */
  lost: boolean;
  corruptedBits: number;
}

export interface LinkTotals {
  bytesAtoB: number;
  bytesBtoA: number;
  messages: number;
}

export interface EndpointStats {
  side: Side;
  sentMessages: number;
  sentBytes: number;
  sentPackets: number;
  /** Messages sent from this side that were lost (counted when they would have arrived). */
  lostMessages: number;
  receivedMessages: number;
  receivedBytes: number;
  /** Bits flipped in messages received by this side. */
  corruptedBits: number;
}

export interface LinkEndpoint {
  readonly side: Side;
  send(message: Uint8Array): void;
  /** Register a handler for messages from the peer; several handlers run in registration order. */
  onMessage(handler: (message: Uint8Array) => void): void;
  stats(): EndpointStats;
}


/** Derive an independent stream seed (splitmix-style mixing of seed and stream index). */
function streamSeed(seed: number, stream: number): number {
  let z = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

function checkRate(what: string, p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`${what} must be in [0, 1], got ${p}`);
  return p;
}

interface Channel {
  from: Side;
  to: Side;
  freeAt: number;
  lossRng: () => number;
  bitRng: () => number;
}

class Endpoint implements LinkEndpoint {
  readonly handlers: Array<(message: Uint8Array) => void> = [];
  readonly counters: EndpointStats;

  constructor(
    readonly side: Side,
    private readonly link: EmulatedLink,
  ) {
    this.counters = {
      side,
      sentMessages: 0,
      sentBytes: 0,
      sentPackets: 0,
      lostMessages: 0,
      receivedMessages: 0,
      receivedBytes: 0,
      corruptedBits: 0,
    };
  }

  send(message: Uint8Array): void {
    this.link.transmit(this.side, message);
  }

  onMessage(handler: (message: Uint8Array) => void): void {
    this.handlers.push(handler);
  }

  stats(): EndpointStats {
    return { ...this.counters };
  }
}

export class EmulatedLink {
  readonly profile: LinkProfile;
  readonly lossRate: number;
  readonly bitErrorRate: number;
  readonly seed: number;
  private readonly endpoints: Record<Side, Endpoint>;
  private readonly channels: Record<Side, Channel>; // keyed by sending side
  private readonly log: TraceEntry[] = [];

  constructor(
    private readonly clock: VirtualClock,
    profile: LinkProfile,
    opts: EmulatedLinkOptions = {},
  ) {
    if (!(profile.bitRate > 0 && Number.isFinite(profile.bitRate))) {
      throw new RangeError(`profile ${profile.name}: bitRate must be a positive finite number`);
    }
    if (!(profile.latencyMs >= 0 && Number.isFinite(profile.latencyMs))) {
      throw new RangeError(`profile ${profile.name}: latencyMs must be a finite number >= 0`);
    }
    if (!(Number.isInteger(profile.mtu) && profile.mtu >= 1)) {
      throw new RangeError(`profile ${profile.name}: mtu must be an integer >= 1`);
    }
    this.profile = { ...profile };
    this.lossRate = checkRate('lossRate', opts.lossRate ?? profile.lossRate ?? 0);
    this.bitErrorRate = checkRate('bitErrorRate', opts.bitErrorRate ?? profile.bitErrorRate ?? 0);
    this.seed = (opts.seed ?? 1) >>> 0;
    this.endpoints = { A: new Endpoint('A', this), B: new Endpoint('B', this) };
    const channel = (from: Side, to: Side, base: number): Channel => ({
      from,
      to,
      freeAt: 0,
      lossRng: mulberry32(streamSeed(this.seed, base)),
      bitRng: mulberry32(streamSeed(this.seed, base + 1)),
    });
    this.channels = { A: channel('A', 'B', 0), B: channel('B', 'A', 2) };
  }

  endpoint(side: Side): LinkEndpoint {
    const ep = this.endpoints[side];
    if (ep === undefined) throw new Error(`unknown side '${String(side)}'; valid sides: A, B`);
    return ep;
  }

  /** Time to clock `bytes` onto the link, ms: bytes * 8 / bitRate * 1000. */
  serializationMs(bytes: number): number {
    return ((bytes * 8) / this.profile.bitRate) * 1000;
  }

  /** Every message sent so far, in send order (in-flight ones have deliveredAt null, lost false). */
  trace(): TraceEntry[] {
    return this.log.map((e) => ({ ...e }));
  }

  totals(): LinkTotals {
    const a = this.endpoints.A.counters;
    const b = this.endpoints.B.counters;
    return { bytesAtoB: a.sentBytes, bytesBtoA: b.sentBytes, messages: a.sentMessages + b.sentMessages };
  }

  /** @internal called by LinkEndpoint.send */
  transmit(from: Side, message: Uint8Array): void {
    if (!(message instanceof Uint8Array)) throw new TypeError('send: message must be a Uint8Array');
    const ch = this.channels[from];
    const sender = this.endpoints[from];
    const receiver = this.endpoints[ch.to];
    const payload = message.slice(); // never share or mutate the sender's buffer
    const { mtu } = this.profile;
    const packets = Math.max(1, Math.ceil(payload.length / mtu));

    // FIFO serialisation: each packet starts when the channel is free.
    let lost = false;
    let lastBitAt = 0;
    for (let i = 0; i < packets; i++) {
      const size = Math.min(mtu, payload.length - i * mtu);
      const start = Math.max(this.clock.now(), ch.freeAt);
      lastBitAt = start + this.serializationMs(size);
      ch.freeAt = lastBitAt;
      // Lost packets still occupy the channel; draw for every packet so the stream stays aligned.
      if (this.lossRate > 0 && ch.lossRng() < this.lossRate) lost = true;
    }
    const arriveAt = lastBitAt + this.profile.latencyMs;

    const entry: TraceEntry = {
      from,
      to: ch.to,
      bytes: payload.length,
      packets,
      sentAt: this.clock.now(),
      deliveredAt: null,
      lost: false,
      corruptedBits: 0,
    };
    this.log.push(entry);
    sender.counters.sentMessages++;
    sender.counters.sentBytes += payload.length;
    sender.counters.sentPackets += packets;

    if (lost) {
      this.clock.schedule(arriveAt, () => {
        entry.lost = true;
        sender.counters.lostMessages++;
      });
      return;
    }

    const flipped = this.corrupt(payload, ch.bitRng);
    entry.corruptedBits = flipped;
    this.clock.schedule(arriveAt, () => {
      entry.deliveredAt = this.clock.now();
      receiver.counters.receivedMessages++;
      receiver.counters.receivedBytes += payload.length;
      receiver.counters.corruptedBits += flipped;
      for (const handler of receiver.handlers) handler(payload);
    });
  }

  /** Flip each bit independently with probability bitErrorRate; returns the number flipped. */
  private corrupt(buf: Uint8Array, rng: () => number): number {
    const p = this.bitErrorRate;
    const nbits = buf.length * 8;
    if (p === 0 || nbits === 0) return 0;
    if (p === 1) {
      for (let i = 0; i < buf.length; i++) buf[i] ^= 0xff;
      return nbits;
    }
    // Geometric skipping: the gap before the next flipped bit is Geometric(p).
    const logq = Math.log1p(-p);
    let flips = 0;
    let bit = -1;
    for (;;) {
      const u = rng();
      bit += 1 + Math.floor(Math.log1p(-u) / logq);
      if (!(bit < nbits)) break;
      buf[bit >>> 3] ^= 1 << (bit & 7);
      flips++;
    }
    return flips;
  }
}
