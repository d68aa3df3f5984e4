/**
 * One handshake of the firmware handset (host/handset.ts, the real client) with a server B over
 * TCP, through the same framing layer (COBS, CRC-16, ARQ) that `airshake serve` runs on each
 * connection: connect, message 1, message 2 -> message 3 carrying the application data, then B's
 * echo record, compared byte for byte. Used by the directory tests and the load bench.
 */
import net from 'node:net';
import { FramedTransport, type FramingOptions } from '../serial/framing.js';
import { realTimers } from '../transport/types.js';
import { socketStream } from '../server/serve.js';
import { HandshakeError, MsgType } from '../protocol/constants.js';
import type { Handset } from '../handset.js';

export interface TcpHandshakeResult {
  ok: boolean;
  /** B's echo matched the application data sent in message 3. */
  echoed: boolean;
  /** The application data went out in message 3 (so a missing echo is a lost message). */
  appSent: boolean;
  /** The code of B's alert, when B sent one (the generic 0x1c for identity verdicts). */
  peerAlert?: number;
  /** The firmware's error code, when the handset failed. */
  code?: number;
  error?: string;
  /** From message 1 sent to the echo opened (or to the failure), ms. */
  latencyMs: number;
}

export interface TcpHandshakeOptions {
  host?: string;
  port: number;
  /** A provisioned handset (READY); it is reset first. */
  handset: Handset;
  appData: Uint8Array;
  /** Unix seconds for the handset's clock; default now. */
  now?: () => number;
  /** Whole-exchange limit, ms; default 20000. */
  timeoutMs?: number;
  framing?: Partial<FramingOptions>;
}

export function tcpHandshake(o: TcpHandshakeOptions): Promise<TcpHandshakeResult> {
  const now = o.now ?? (() => Math.floor(Date.now() / 1000));
  const hs = o.handset;
  hs.reset();
  return new Promise((resolve) => {
    const sock = net.connect({ host: o.host ?? '127.0.0.1', port: o.port });
    sock.setNoDelay(true);
    let t: FramedTransport | null = null;
    let t0 = performance.now();
    let appSent = false;
    let done = false;
    const finish = (r: Omit<TcpHandshakeResult, 'latencyMs' | 'appSent'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      t?.close();
      sock.destroy();
      resolve({ ...r, appSent, latencyMs: performance.now() - t0 });
    };
    const timer = setTimeout(() => finish({ ok: false, echoed: false, error: `no answer within ${o.timeoutMs ?? 20_000} ms` }), o.timeoutMs ?? 20_000);
    sock.once('error', (e) => finish({ ok: false, echoed: false, error: `socket: ${e.message}` }));
    sock.once('close', () => finish({ ok: false, echoed: false, error: 'connection closed by B' }));
    sock.once('connect', () => {
      t = new FramedTransport(socketStream(sock), { timers: realTimers, ...o.framing });
      t.onError((e) => finish({ ok: false, echoed: false, error: `link: ${e.message}` }));
      let step = 0;
      t.onMessage((m) => {
        try {
          if (m.length >= 2 && m[0] === MsgType.ALERT) {
            finish({ ok: false, echoed: false, peerAlert: m[1], error: `B sent alert 0x${m[1]!.toString(16).padStart(2, '0')}` });
            return;
          }
          if (step === 0) {
            step = 1;
            const m3 = hs.finish(m, now(), o.appData);
            appSent = true;
            t!.send(m3);
          } else {
            const echo = hs.open(m);
            const echoed = Buffer.from(echo).equals(Buffer.from(o.appData));
            finish({ ok: echoed, echoed, error: echoed ? undefined : 'echo differs from the data sent' });
          }
        } catch (e) {
          const code = e instanceof HandshakeError ? e.code : undefined;
          finish({ ok: false, echoed: false, code, peerAlert: code !== undefined && hs.peerAlert ? hs.peerAlert : undefined, error: (e as Error).message });
        }
      });
      t0 = performance.now();
      try {
        t.send(hs.start(now()));
      } catch (e) {
        finish({ ok: false, echoed: false, code: e instanceof HandshakeError ? e.code : undefined, error: (e as Error).message });
      }
    });
  });
}
