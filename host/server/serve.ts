/**
 * Server B on real transports: a TCP listener (what the modem emulator's TCP dialects and a
 * cellular modem's transparent socket reach) and a serial line (a modem bank or a null-modem
 * cable). Each connection carries the framing layer (COBS, CRC-16, ARQ) end to end to the
 * handset, and one ServerSession.
 */
import net from 'node:net';
import { SerialPort } from 'serialport';
import { FramedTransport, type FramingOptions } from '../serial/framing.js';
import { realTimers, type ByteStream } from '../transport/types.js';
import type { AirshakeServer } from './server.js';

export function socketStream(s: net.Socket): ByteStream {
  return { write: (b) => { s.write(b); }, onData: (h) => { s.on('data', (d: Buffer) => h(new Uint8Array(d))); } };
}

export function serialStream(p: SerialPort): ByteStream {
  return { write: (b) => { p.write(Buffer.from(b)); }, onData: (h) => { p.on('data', (d: Buffer) => h(new Uint8Array(d))); } };
}

/** Runs one server session over a framed byte stream until the peer or the link goes away. */
export function attach(server: AirshakeServer, stream: ByteStream, framing: Partial<FramingOptions> = {}, onEnd?: (why: string) => void): { transport: FramedTransport; end(): void } {
  const t = new FramedTransport(stream, { timers: realTimers, ...framing });
  const session = server.connect((m) => t.send(m));
  t.onMessage((m) => session.receive(m));
  const end = () => { session.close(); t.close(); };
  t.onError((e) => { end(); onEnd?.(e.message); });
  return { transport: t, end };
}

/** Listens on TCP; resolves with the bound server once listening. */
export function serveTcp(server: AirshakeServer, port: number, host = '127.0.0.1', framing: Partial<FramingOptions> = {}): Promise<net.Server> {
  const srv = net.createServer((sock) => {
    sock.setNoDelay(true);
    const a = attach(server, socketStream(sock), framing, () => sock.destroy());
    sock.on('close', () => a.end()); // a dropped call ends the session (and frees its half-open slot)
    sock.on('error', () => a.end());
  });
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, host, () => resolve(srv));
  });
}

/**
 * Serves one session on a serial line, for the line's lifetime (a null-modem cable or a modem
 * bank port per handset): the framing's sequence numbers run for the whole connection, so a new
 * peer means reopening the line.
 */
export async function serveSerial(server: AirshakeServer, path: string, baudRate: number, framing: Partial<FramingOptions> = {}): Promise<SerialPort> {
  const p = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((res, rej) => p.open((e) => (e ? rej(e) : res())));
  p.on('error', () => {}); // a vanished line ends the session through the framing's retry limit
  const a = attach(server, serialStream(p), framing);
  p.on('close', () => a.end()); // closing the line ends its session and the framing's timers
  return p;
}
