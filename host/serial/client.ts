/**
 * The handset side through a modem: open the serial port, bring the modem up with the board's
 * driver (AT dialect), run the framing layer over the data connection, and the firmware's
 * handshake plus application data over that. A lost carrier is a clear error and the attempt
 * can simply be run again (the firmware is reset first).
 */
import crypto from 'node:crypto';
import { SerialPort } from 'serialport';
import type { Board } from '../boards.js';
import { AtEngine } from '../modem/at.js';
import { createDriver, type DriverParams, type ModemDriver } from '../modem/drivers.js';
import { FramedTransport } from './framing.js';
import { realTimers } from '../transport/types.js';
import type { Handset } from '../handset.js';
import { HandshakeError, errName } from '../protocol/constants.js';

export interface SerialRunResult {
  ok: boolean;
  error: string | null;
  /** AT phase: from opening the port to the data connection. */
  connectMs: number;
  /** From message 1 on the wire to A holding B's echo. */
  handshakeToEchoMs: number | null;
  /** Performance-clock time when message 1 was sent (to compare with B's clock in one process). */
  message1At: number | null;
  echo: Uint8Array | null;
  retransmissions: number;
  framing: ReturnType<FramedTransport['stats']> | null;
  bytes: { m1: number; m2: number; m3: number };
  extraRecordsEchoed: number;
}

export function driverParams(board: Board, override: { host?: string; port?: number } = {}): DriverParams {
  const m = board.modem;
  // V.250's escape guard time is 1 s (S12 = 50); wait a little longer than the modem's.
  const guardMs = 1100;
  if (m.driver === 'hayes-csd') return { number: m.dial, bearer: m.bearer, guardMs };
  return { apn: m.apn, user: m.user, pass: m.password, host: override.host ?? m.host, port: override.port ?? m.port, guardMs };
}

export async function runSerialClient(o: {
  board: Board; path: string; handset: Handset; appData: Uint8Array; now?: () => number;
  driverOverride?: { host?: string; port?: number }; timeoutMs?: number; log?: (s: string) => void;
  /** After the handshake, this many more records of `size` random bytes, each echoed and compared. */
  extraRecords?: { count: number; size: number };
}): Promise<SerialRunResult> {
  const t0 = performance.now();
  const res: SerialRunResult = { ok: false, error: null, connectMs: 0, handshakeToEchoMs: null, message1At: null, echo: null, retransmissions: 0, framing: null, bytes: { m1: 0, m2: 0, m3: 0 }, extraRecordsEchoed: 0 };
  const port = new SerialPort({ path: o.path, baudRate: o.board.serial.baudRate, autoOpen: false });
  port.on('error', (e) => o.log?.(`serial port error: ${e.message}`)); // reported by the calls that fail
  await new Promise<void>((r, j) => port.open((e) => (e ? j(e) : r())));
  // Bytes left in the line from an earlier call (after a lost carrier) belong to nobody now.
  await new Promise<void>((r) => port.flush(() => r()));
  const engine = new AtEngine(port);
  let driver: ModemDriver | null = null;
  let transport: FramedTransport | null = null;
  const nowSec = () => Math.floor((o.now ?? Date.now)() / 1000);
  try {
    driver = createDriver(o.board.modem.driver, engine, driverParams(o.board, o.driverOverride));
    const stream = await driver.connect();
    res.connectMs = performance.now() - t0;
    o.log?.(`connected (${o.board.modem.driver}) in ${res.connectMs.toFixed(0)} ms`);
    transport = new FramedTransport(stream, { timers: realTimers, mtu: o.board.link.mtu, rtoMs: o.board.link.rtoMs, maxRetries: o.board.link.maxRetries });
    const h = o.handset;
    h.reset();
    const extra = o.extraRecords ? {
      last: new Uint8Array(0),
      next(): Uint8Array { this.last = new Uint8Array(crypto.randomBytes(o.extraRecords!.size)); return this.last; },
    } : null;
    let timer: NodeJS.Timeout | undefined;
    const done = new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no echo within ${o.timeoutMs ?? 60000} ms`)), o.timeoutMs ?? 60000);
      driver!.onCarrierLost((e) => { clearTimeout(timer); reject(new Error(`carrier lost: ${e.message}`)); });
      transport!.onError((e) => { clearTimeout(timer); reject(e); });
      transport!.onMessage((m) => {
        try {
          if (h.state === 2) {
            res.bytes.m2 = m.length;
            const m3 = h.finish(m, nowSec(), o.appData);
            res.bytes.m3 = m3.length;
            transport!.send(m3);
          } else if (h.state === 3 && res.echo === null) {
            res.echo = h.open(m);
            res.handshakeToEchoMs = performance.now() - res.message1At!;
            if (!extra) { clearTimeout(timer); resolve(); return; }
            transport!.send(h.seal(extra.next()));
          } else if (h.state === 3 && extra) {
            const got = h.open(m);
            if (!Buffer.from(got).equals(Buffer.from(extra.last))) throw new Error('an echoed record differs from what was sent');
            res.extraRecordsEchoed++;
            if (res.extraRecordsEchoed === o.extraRecords!.count) { clearTimeout(timer); resolve(); return; }
            transport!.send(h.seal(extra.next()));
          }
        } catch (e) {
          clearTimeout(timer);
          if (e instanceof HandshakeError && e.alert && e.code !== 0x1a) transport!.send(e.alert);
          reject(e instanceof HandshakeError ? new Error(`handshake failed: ${errName(e.code)}`) : e);
        }
      });
    });
    done.catch(() => {}); // observed below; never an unhandled rejection if start() throws
    try {
      const m1 = h.start(nowSec());
      res.bytes.m1 = m1.length;
      res.message1At = performance.now();
      transport.send(m1);
      await done;
    } finally {
      clearTimeout(timer);
    }
    res.ok = res.echo !== null && Buffer.from(res.echo).equals(Buffer.from(o.appData)) && res.extraRecordsEchoed === (o.extraRecords?.count ?? 0);
    if (!res.ok) res.error = 'echo differs from the application data';
  } catch (e) {
    res.error = (e as Error).message;
  } finally {
    if (transport) { res.framing = transport.stats(); res.retransmissions = res.framing.retransmissions; transport.close(); }
    try { if (driver?.connected) await driver.hangup(); } catch { /* the line may already be gone */ }
    await new Promise<void>((r) => (port.isOpen ? port.close(() => r()) : r()));
  }
  return res;
}
