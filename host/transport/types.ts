/**
 * Interfaces shared by the transport layers: a byte stream (a serial port in data mode, a TCP
 * socket, a pipe), a timer source (real timers or the virtual clock), and a message transport
 * (what the handshake runs over: whole messages in, whole messages out).
 */

/** A duplex byte stream. */
export interface ByteStream {
  write(bytes: Uint8Array): void;
  /** Registers a handler for incoming bytes (chunks of any size). */
  onData(handler: (chunk: Uint8Array) => void): void;
}

/** Time and timers, in milliseconds: real (realTimers) or virtual (VirtualClock via clockTimers). */
export interface Timers {
  now(): number;
  setTimer(ms: number, fn: () => void): unknown;
  clearTimer(handle: unknown): void;
}

/** Whole messages over some link; errors (e.g. retry limit reached) are reported, not thrown. */
export interface MessageTransport {
  send(message: Uint8Array): void;
  onMessage(handler: (message: Uint8Array) => void): void;
  onError(handler: (error: Error) => void): void;
  close(): void;
}

export const realTimers: Timers = {
  now: () => performance.now(),
  setTimer: (ms, fn) => setTimeout(fn, ms),
  clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
};
