// The serial transport through real serial ports: socat pseudo-terminal pairs, the modem
// emulator speaking each driver's AT dialect, the framing layer, and server B on loopback TCP.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { loadBoard, parseBoard, BoardError } from '../host/boards.js';
import { boardsDir, runBoardThroughEmulator } from '../host/serial/demo.js';
import { createDeployment } from '../host/sim/deployment.js';
import { serveTcp } from '../host/server/serve.js';
import { createPtyPair } from '../host/modem/pty.js';
import { ModemEmulator } from '../host/modem/emulator.js';
import { Handset } from '../host/handset.js';
import { runSerialClient } from '../host/serial/client.js';

const board = (name: string) => loadBoard(path.join(boardsDir(), `${name}.json`));

for (const name of ['hayes-csd-9600', 'sim800-gprs', 'bg96-nbiot']) {
  test(`handshake plus application data through ptys: ${name}`, async () => {
    const r = await runBoardThroughEmulator(board(name));
    assert.equal(r.ok, true, r.error ?? '');
    assert.deepEqual([r.messageBytes.m1, r.messageBytes.m2], [32, 281]);
    assert.ok(r.timeToFirstAppDataMs! > 3 * board(name).link.latencyMs, 'the emulator imposes the latency');
  });
}

test('a noisy line (bit errors 1e-4, 5% of frames lost) delivers intact data or fails clearly, never corrupted', async () => {
  for (const seed of [1, 2]) {
    // the handshake, then 16 records of 480 random bytes each way, every echo compared byte for byte
    const b = board('sim800-gprs');
    b.link.rtoMs = 1500; // a quicker retransmission timer keeps the test short (RTT is about 0.9 s)
    const r = await runBoardThroughEmulator(b, { bitErrorRate: 1e-4, chunkLossRate: 0.05, seed, timeoutMs: 90_000, extraRecords: { count: 8, size: 480 } });
    if (r.ok) {
      assert.equal(new TextDecoder().decode(r.result.echo!), 'hello over sim800-gprs');
      assert.equal(r.result.extraRecordsEchoed, 8);
    } else {
      // a clear failure, never a corrupted delivery (the runner compares every echo byte for byte)
      assert.match(r.error!, /retry limit|carrier|no echo|handshake failed/i);
      assert.doesNotMatch(r.error!, /differs/);
    }
    console.log(`noisy seed ${seed}: ok=${r.ok} records=${r.result.extraRecordsEchoed} retransmissions=${r.retransmissions} crcErrors=${r.result.framing?.crcErrors} badFrames=${r.result.framing?.badFrames} error=${r.error}`);
  }
});

test('carrier loss mid-handshake is a clear error, and the handshake can be retried', async () => {
  const now = Math.floor(Date.now() / 1000);
  const dep = createDeployment({ now, handsets: 1 });
  const b = board('hayes-csd-9600');
  const server = dep.makeServer(() => Date.now(), { onApplicationData: (d) => d });
  const tcp = await serveTcp(server, 0, '127.0.0.1', { mtu: b.link.mtu, rtoMs: b.link.rtoMs });
  const port = (tcp.address() as AddressInfo).port;
  const pty = await createPtyPair();
  const emu = new ModemEmulator({ path: pty.b, dialect: 'hayes-csd', host: '127.0.0.1', port, bitRate: b.link.bitRate, latencyMs: b.link.latencyMs, carrierLossAfterBytes: 150 });
  await emu.start();
  try {
    const handset = await Handset.load();
    handset.provision(dep.handsets[0]!.privateKey, dep.ca.publicKey, dep.serverName);
    const app = new TextEncoder().encode('after the drop');
    const first = await runSerialClient({ board: b, path: pty.a, handset, appData: app, timeoutMs: 20_000 });
    assert.equal(first.ok, false);
    assert.match(first.error!, /carrier/i);
    const second = await runSerialClient({ board: b, path: pty.a, handset, appData: app, timeoutMs: 20_000 });
    assert.equal(second.ok, true, second.error ?? '');
    assert.equal(emu.stats.carrierLosses >= 1, true);
    assert.equal(emu.stats.calls, 2);
  } finally {
    await emu.stop(); await pty.close(); server.close();
    await new Promise<void>((r) => tcp.close(() => r()));
    dep.close();
  }
});

test('a modem that answers ERROR, and one that never answers: clear errors', async () => {
  const e = await runBoardThroughEmulator(board('bg96-nbiot'), { fault: 'error' });
  assert.equal(e.ok, false);
  assert.match(e.error!, /ERROR/);
  const s = await runBoardThroughEmulator(board('sim800-gprs'), { fault: 'silent' });
  assert.equal(s.ok, false);
  assert.match(s.error!, /TIMEOUT|timed out|no response|no final result/i);
});

test('board profiles: every shipped file is valid; a bad one gets a clear message', () => {
  for (const n of ['hayes-csd-9600', 'sim800-gprs', 'bg96-nbiot', 'emulated-csd-noisy']) assert.equal(board(n).name, n);
  assert.throws(() => parseBoard({ name: 'X', serial: {}, modem: { driver: 'nokia' }, link: { bitRate: -1 }, firmware: {}, extra: 1 }, 'bad.json'),
    (e: Error) => e instanceof BoardError && /bad\.json/.test(e.message) && /modem\.driver/.test(e.message) && /link\.bitRate/.test(e.message) && /extra: unknown field/.test(e.message));
  assert.throws(() => loadBoard('/nonexistent/board.json'), BoardError);
});

test('server B on a serial line (airshake serve --serial): a handshake over a null-modem pty pair', async () => {
  const { serveSerial, serialStream } = await import('../host/server/serve.js');
  const { FramedTransport } = await import('../host/serial/framing.js');
  const { realTimers } = await import('../host/transport/types.js');
  const { SerialPort } = await import('serialport');
  const now = Math.floor(Date.now() / 1000);
  const dep = createDeployment({ now, handsets: 1 });
  const server = dep.makeServer(() => Date.now(), { onApplicationData: (d) => d });
  const pty = await createPtyPair();
  const bPort = await serveSerial(server, pty.b, 115200, { mtu: 140 });
  const aPort = new SerialPort({ path: pty.a, baudRate: 115200 });
  try {
    const handset = await Handset.load();
    handset.provision(dep.handsets[0]!.privateKey, dep.ca.publicKey, dep.serverName);
    const t = new FramedTransport(serialStream(aPort), { timers: realTimers, mtu: 140 });
    const echo = await new Promise<string>((resolve, reject) => {
      t.onError(reject);
      t.onMessage((m) => {
        try {
          if (handset.state === 2) t.send(handset.finish(m, now, new TextEncoder().encode('over the null modem')));
          else resolve(new TextDecoder().decode(handset.open(m)));
        } catch (e) { reject(e); }
      });
      t.send(handset.start(now));
    });
    assert.equal(echo, 'over the null modem');
    t.close();
  } finally {
    await new Promise<void>((r) => aPort.close(() => r()));
    await new Promise<void>((r) => bPort.close(() => r()));
    await pty.close(); server.close(); dep.close();
  }
});
