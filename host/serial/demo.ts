/**
 * `npm run demo:serial`: the full handshake plus application data through real serial ports —
 * a socat pseudo-terminal pair, the modem emulator on one end speaking the board's AT dialect,
 * the handset's driver on the other — and server B over loopback TCP, once per board profile
 * (one per driver). Prints a table, or with --json an array with one object per run.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { loadBoard, type Board } from '../boards.js';
import { Handset } from '../handset.js';
import { createDeployment } from '../sim/deployment.js';
import { ModemEmulator } from '../modem/emulator.js';
import { createPtyPair } from '../modem/pty.js';
import { serveTcp } from '../server/serve.js';
import { runSerialClient, type SerialRunResult } from './client.js';

export interface SerialDemoRow {
  board: string;
  driver: string;
  ok: boolean;
  error: string | null;
  connectMs: number;
  timeToFirstAppDataMs: number | null;
  handshakeToEchoMs: number | null;
  retransmissions: number;
  messageBytes: { m1: number; m2: number; m3: number };
  link: { bitRate: number; latencyMs: number; mtu: number };
}

/** One handshake through the modem emulator for `board`; everything is torn down afterwards. */
export async function runBoardThroughEmulator(board: Board, opts: { carrierLossAfterBytes?: number; fault?: 'error' | 'silent'; timeoutMs?: number; bitErrorRate?: number; byteDropRate?: number; chunkLossRate?: number; seed?: number; extraRecords?: { count: number; size: number } } = {}): Promise<SerialDemoRow & { result: SerialRunResult }> {
  const now = Math.floor(Date.now() / 1000);
  const dep = createDeployment({ now, handsets: 1 });
  let firstAppAt: number | null = null;
  const server = dep.makeServer(() => Date.now(), { onApplicationData: (d) => { firstAppAt ??= performance.now(); return d; } });
  const framing = { mtu: board.link.mtu, rtoMs: board.link.rtoMs, maxRetries: board.link.maxRetries };
  // Every resource is opened inside the try, so that a failure at any step closes the others.
  let tcp: Awaited<ReturnType<typeof serveTcp>> | null = null;
  let pty: Awaited<ReturnType<typeof createPtyPair>> | null = null;
  let emulator: ModemEmulator | null = null;
  try {
    tcp = await serveTcp(server, 0, '127.0.0.1', framing);
    const port = (tcp.address() as AddressInfo).port;
    pty = await createPtyPair();
    emulator = new ModemEmulator({
      path: pty.b, dialect: board.modem.driver, host: '127.0.0.1', port,
      bitRate: board.link.bitRate, latencyMs: board.link.latencyMs,
      bitErrorRate: opts.bitErrorRate ?? board.emulator?.bitErrorRate, byteDropRate: opts.byteDropRate ?? board.emulator?.byteDropRate,
      chunkLossRate: opts.chunkLossRate, carrierLossAfterBytes: opts.carrierLossAfterBytes, fault: opts.fault, seed: opts.seed,
    });
    await emulator.start();
    const handset = await Handset.load();
    const h = dep.handsets[0]!;
    handset.provision(h.privateKey, dep.ca.publicKey, dep.serverName);
    const result = await runSerialClient({
      board, path: pty.a, handset, appData: new TextEncoder().encode(`hello over ${board.name}`),
      driverOverride: { host: '127.0.0.1', port }, timeoutMs: opts.timeoutMs, extraRecords: opts.extraRecords,
    });
    const fa = firstAppAt as number | null;
    return {
      board: board.name, driver: board.modem.driver, ok: result.ok, error: result.error,
      connectMs: Math.round(result.connectMs),
      timeToFirstAppDataMs: fa !== null && result.message1At !== null ? Math.round(fa - result.message1At) : null,
      handshakeToEchoMs: result.handshakeToEchoMs === null ? null : Math.round(result.handshakeToEchoMs),
      retransmissions: result.retransmissions,
      messageBytes: result.bytes,
      link: { bitRate: board.link.bitRate, latencyMs: board.link.latencyMs, mtu: board.link.mtu },
      result,
    };
  } finally {
    await emulator?.stop();
    await pty?.close();
    server.close();
    if (tcp) await new Promise<void>((r) => tcp!.close(() => r()));
    dep.close();
  }
}

export const DEMO_BOARDS = ['hayes-csd-9600', 'sim800-gprs', 'bg96-nbiot'];

export function boardsDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return path.resolve(here, path.basename(path.dirname(path.dirname(here))) === 'dist' ? '../../../boards' : '../../boards');
}

export async function serialDemo(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const only = argv.indexOf('--board');
  const names = only >= 0 ? [argv[only + 1]!] : DEMO_BOARDS;
  const rows: SerialDemoRow[] = [];
  for (const name of names) {
    const board = loadBoard(path.join(boardsDir(), `${name}.json`));
    if (!json) process.stderr.write(`  ${name}: dialling through the modem emulator...\n`);
    const { result: _r, ...row } = await runBoardThroughEmulator(board);
    void _r;
    rows.push(row);
  }
  if (json) {
    console.log(JSON.stringify(rows));
  } else {
    console.log('airshake over real serial ports: socat pty pair <-> modem emulator <-> server B on loopback TCP\n');
    console.log('  board            driver      ok    AT connect   time to first app data   to echo   retransmissions   bytes m1/m2/m3');
    for (const r of rows) {
      console.log(`  ${r.board.padEnd(16)} ${r.driver.padEnd(10)}  ${(r.ok ? 'yes' : 'NO').padEnd(4)} ${`${r.connectMs} ms`.padStart(10)} ${`${r.timeToFirstAppDataMs ?? '-'} ms`.padStart(24)} ${`${r.handshakeToEchoMs ?? '-'} ms`.padStart(9)} ${String(r.retransmissions).padStart(17)}   ${r.messageBytes.m1}/${r.messageBytes.m2}/${r.messageBytes.m3}`);
      if (r.error) console.log(`      error: ${r.error}`);
    }
    console.log('\n  (wall-clock times on real ptys: the emulator imposes each profile\'s line rate and latency)');
  }
  return rows.every((r) => r.ok) ? 0 : 1;
}
