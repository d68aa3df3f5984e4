// AT engine and modem drivers against a scripted fake modem on @serialport/binding-mock.
// The fake modem (below) sees every byte the engine writes, checks each command against a
// script, answers as the real modem would, and in data mode records payload and honours +++.
import test from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { SerialPortMock } from 'serialport';
import { AtEngine, AtError } from '../host/modem/at.js';
import { createDriver } from '../host/modem/drivers.js';
import type { Timers } from '../host/transport/types.js';

/** Modem time runs 20x faster than real time: 1000 ms guard = 50 ms, 5000 ms timeout = 250 ms. */
const K = 0.05;
const fast: Timers = {
  now: () => performance.now() / K,
  setTimer: (ms, fn) => setTimeout(fn, ms * K),
  clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
};
const GUARD_REAL_MS = 1000 * K;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The parts of @serialport/binding-mock's MockPortBinding the fake modem uses. */
interface MockPortBinding {
  isOpen: boolean;
  write(buf: Buffer): Promise<void>;
  emitData(data: Buffer | string): void;
}

interface Step {
  cmd: string;
  reply: (m: FakeModem) => void;
}

class FakeModem {
  readonly commands: string[] = [];
  readonly problems: string[] = [];
  readonly dataIn: Buffer[] = [];
  mode: 'command' | 'data' = 'command';
  escapes = 0;
  private line = '';
  private busy = false;
  private lastDataAt = -Infinity;

  constructor(private readonly binding: MockPortBinding, private readonly steps: Step[], public echo: boolean) {
    const write = binding.write.bind(binding);
    binding.write = async (buf: Buffer) => {
      await write(buf);
      this.receive(Buffer.from(buf));
    };
  }

  script(...steps: Step[]): void {
    this.steps.push(...steps);
  }

  get remaining(): number {
    return this.steps.length;
  }

  get received(): Buffer {
    return Buffer.concat(this.dataIn);
  }

  send(text: string | Buffer, delayMs = 0): void {
    const buf = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
    setTimeout(() => {
      if (this.binding.isOpen) this.binding.emitData(buf);
    }, delayMs);
  }

  /** Intermediate lines, then (optionally) a final result code. */
  answer(lines: string[], final?: string, delayMs = 0): void {
    const body = lines.map((l) => `\r\n${l}\r\n`).join('') + (final ? `\r\n${final}\r\n` : '');
    if (final !== undefined) this.busy = false;
    this.send(body, delayMs);
  }

  final(code: string, delayMs = 0): void {
    this.answer([], code, delayMs);
  }

  /** No answer at all (the engine will time out). */
  silent(): void {
    this.busy = false;
  }

  /** CONNECT, switching to data mode; `trailing` payload follows in the same chunk. */
  connect(line = 'CONNECT', trailing = '', delayMs = 0): void {
    this.busy = false;
    this.mode = 'data';
    this.send(`\r\n${line}\r\n${trailing}`, delayMs);
  }

  /** Payload from the network (data mode). */
  emitData(data: string | Buffer): void {
    assert.equal(this.mode, 'data', 'fake modem: emitData outside data mode');
    this.send(data);
  }

  dropCarrier(report = '\r\nNO CARRIER\r\n'): void {
    this.mode = 'command';
    this.send(report);
  }

  private receive(buf: Buffer): void {
    if (this.mode === 'data') {
      const now = performance.now();
      if (buf.toString('latin1') === '+++') {
        // Guard time before the escape: no data for at least the guard time (10% timer slack).
        if (now - this.lastDataAt < GUARD_REAL_MS * 0.9) {
          this.problems.push(`+++ only ${(now - this.lastDataAt).toFixed(1)} ms after data`);
        }
        this.escapes++;
        setTimeout(() => {
          this.mode = 'command';
          this.send('\r\nOK\r\n');
        }, GUARD_REAL_MS);
        return;
      }
      this.lastDataAt = now;
      this.dataIn.push(buf);
      return;
    }
    const text = buf.toString('latin1');
    if (this.echo) this.send(text);
    for (const c of text) {
      if (c === '\r') {
        const cmd = this.line;
        this.line = '';
        if (cmd) this.dispatch(cmd);
      } else if (c !== '\n') this.line += c;
    }
  }

  private dispatch(cmd: string): void {
    this.commands.push(cmd);
    if (this.busy) this.problems.push(`${cmd} sent while the previous command was unanswered`);
    this.busy = true;
    const step = this.steps.shift();
    if (!step || step.cmd !== cmd) {
      this.problems.push(step ? `expected ${step.cmd}, got ${cmd}` : `unexpected ${cmd}`);
      this.final('ERROR');
      return;
    }
    step.reply(this);
  }
}

const ok = (cmd: string): Step => ({ cmd, reply: (m) => m.final('OK') });
const initSteps = (): Step[] => [
  ok('AT'),
  { cmd: 'ATE0', reply: (m) => { m.echo = false; m.final('OK'); } },
  ok('AT+CMEE=1'),
];

let portSeq = 0;
async function rig(steps: Step[] = [], opts: { echo?: boolean } = {}) {
  const path = `/dev/fake-modem-${++portSeq}`;
  SerialPortMock.binding.createPort(path, { echo: false, record: false });
  const port = new SerialPortMock({ path, baudRate: 115200 });
  await once(port, 'open');
  const binding = port.port as unknown as MockPortBinding;
  const modem = new FakeModem(binding, steps, opts.echo ?? false);
  const engine = new AtEngine(port, { timers: fast });
  const urcs: string[] = [];
  engine.on('urc', (l) => urcs.push(l));
  const close = async () => {
    engine.dispose();
    await new Promise<void>((r) => port.close(() => r()));
  };
  return { port, modem, engine, urcs, close };
}

function collect(stream: { onData(h: (c: Uint8Array) => void): void }): { text: () => string } {
  const chunks: Buffer[] = [];
  stream.onData((c) => chunks.push(Buffer.from(c)));
  return { text: () => Buffer.concat(chunks).toString('latin1') };
}

/** Polls (real time) until cond() holds. */
async function until(cond: () => boolean, what: string, ms = 1000): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

const isAtError = (code: string, extra: (e: AtError) => boolean = () => true) => (e: unknown) => {
  assert.ok(e instanceof AtError, `expected AtError, got ${String(e)}`);
  assert.equal(e.code, code);
  assert.ok(extra(e), `AtError details: ${JSON.stringify({ ...e, message: e.message })}`);
  return true;
};

// ------------------------------------------------------------------ the engine

test('OK final: intermediate lines are collected, URCs inside a response are not', async () => {
  const r = await rig([
    { cmd: 'AT+CSQ', reply: (m) => m.answer(['+CSQ: 21,0'], 'OK') },
    { cmd: 'AT+CGSN', reply: (m) => m.answer(['+CREG: 1', '867322031234567'], 'OK') },
  ]);
  try {
    assert.deepEqual(await r.engine.command('AT+CSQ'), { final: 'OK', lines: ['+CSQ: 21,0'] });
    assert.deepEqual(await r.engine.command('AT+CGSN', { expect: /^\d{15}$/ }), { final: 'OK', lines: ['867322031234567'] });
    assert.deepEqual(r.urcs, ['+CREG: 1']);
    assert.deepEqual(r.modem.problems, []);
  } finally {
    await r.close();
  }
});

test('ERROR final rejects with AtError code ERROR and the command', async () => {
  const r = await rig([{ cmd: 'AT+FOO', reply: (m) => m.final('ERROR') }]);
  try {
    await assert.rejects(r.engine.command('AT+FOO'), isAtError('ERROR', (e) => e.command === 'AT+FOO' && e.final === 'ERROR'));
  } finally {
    await r.close();
  }
});

test('+CME ERROR: 10 rejects with code CME_ERROR and cmeError 10', async () => {
  const r = await rig([{ cmd: 'AT+CPIN?', reply: (m) => m.final('+CME ERROR: 10') }]);
  try {
    await assert.rejects(r.engine.command('AT+CPIN?'), isAtError('CME_ERROR', (e) => e.cmeError === 10 && e.command === 'AT+CPIN?'));
  } finally {
    await r.close();
  }
});

test('dial failures: BUSY, NO ANSWER, NO CARRIER, NO DIALTONE reject with their codes; no carrier-lost', async () => {
  const finals: Array<[string, string]> = [
    ['BUSY', 'BUSY'],
    ['NO ANSWER', 'NO_ANSWER'],
    ['NO CARRIER', 'NO_CARRIER'],
    ['NO DIALTONE', 'NO_DIALTONE'],
  ];
  const r = await rig(finals.map(([f]) => ({ cmd: 'ATD5551234', reply: (m: FakeModem) => m.final(f) })));
  let lost = 0;
  r.engine.on('carrier-lost', () => lost++);
  try {
    for (const [, code] of finals) {
      await assert.rejects(r.engine.command('ATD5551234', { timeoutMs: 60_000 }), isAtError(code));
      assert.equal(r.engine.isConnected, false);
    }
    assert.equal(lost, 0);
    assert.deepEqual(r.modem.problems, []);
  } finally {
    await r.close();
  }
});

test('a modem that never answers: TIMEOUT, and the queue moves on', async () => {
  const r = await rig([{ cmd: 'AT+SILENT', reply: (m) => m.silent() }, ok('AT')]);
  try {
    const t0 = performance.now();
    await assert.rejects(r.engine.command('AT+SILENT', { timeoutMs: 400 }), isAtError('TIMEOUT', (e) => e.command === 'AT+SILENT'));
    const real = performance.now() - t0;
    assert.ok(real >= 400 * K * 0.9 && real < 400, `timed out after ${real} ms real`);
    assert.deepEqual(await r.engine.command('AT'), { final: 'OK', lines: [] });
    assert.deepEqual(r.modem.problems, []);
  } finally {
    await r.close();
  }
});

test('RING between commands is a URC and does not disturb the next response', async () => {
  const r = await rig([
    {
      cmd: 'AT+CSQ',
      reply: (m) => {
        m.send('\r\nRING\r\n');
        m.answer(['+CSQ: 10,0'], 'OK', 5);
      },
    },
  ]);
  try {
    r.modem.send('\r\nRING\r\n\r\n+CREG: 5\r\n');
    await until(() => r.urcs.length === 2, 'idle URCs');
    assert.deepEqual(r.urcs, ['RING', '+CREG: 5']);
    assert.deepEqual(await r.engine.command('AT+CSQ'), { final: 'OK', lines: ['+CSQ: 10,0'] });
    assert.deepEqual(r.urcs, ['RING', '+CREG: 5', 'RING']);
  } finally {
    await r.close();
  }
});

test('init with echo on: echoed command lines are ignored, ATE0 turns echo off', async () => {
  const csq: Step = { cmd: 'AT+CSQ', reply: (m) => m.answer(['+CSQ: 9,99'], 'OK') };
  const r = await rig([csq, ...initSteps(), csq], { echo: true });
  try {
    assert.deepEqual(await r.engine.command('AT+CSQ'), { final: 'OK', lines: ['+CSQ: 9,99'] }, 'echo is not a response line');
    await r.engine.init();
    assert.equal(r.modem.echo, false);
    assert.deepEqual(await r.engine.command('AT+CSQ'), { final: 'OK', lines: ['+CSQ: 9,99'] });
    assert.deepEqual(r.modem.commands, ['AT+CSQ', 'AT', 'ATE0', 'AT+CMEE=1', 'AT+CSQ']);
    assert.deepEqual(r.urcs, []);
    assert.deepEqual(r.modem.problems, []);
  } finally {
    await r.close();
  }
});

test('init retries AT until the modem syncs and ignores ERROR to AT+CMEE=1', async () => {
  const r = await rig([
    { cmd: 'AT', reply: (m) => m.silent() },
    { cmd: 'AT', reply: (m) => m.silent() },
    ok('AT'),
    ok('ATE0'),
    { cmd: 'AT+CMEE=1', reply: (m) => m.final('ERROR') },
  ]);
  try {
    await r.engine.init();
    assert.deepEqual(r.modem.commands, ['AT', 'AT', 'AT', 'ATE0', 'AT+CMEE=1']);
    assert.deepEqual(r.modem.problems, []);
  } finally {
    await r.close();
  }
});

test('init gives up after three unanswered ATs', async () => {
  const r = await rig([0, 1, 2].map(() => ({ cmd: 'AT', reply: (m: FakeModem) => m.silent() })));
  try {
    await assert.rejects(r.engine.init(), isAtError('TIMEOUT'));
    assert.deepEqual(r.modem.commands, ['AT', 'AT', 'AT']);
  } finally {
    await r.close();
  }
});

test('commands queue: one in flight at a time, answered in order', async () => {
  const r = await rig([
    { cmd: 'AT+A', reply: (m) => m.answer(['+A: 1'], 'OK', 10) },
    { cmd: 'AT+B', reply: (m) => m.final('ERROR', 5) },
    { cmd: 'AT+C', reply: (m) => m.answer(['+C: 3'], 'OK', 1) },
  ]);
  try {
    const [a, b, c] = await Promise.allSettled([r.engine.command('AT+A'), r.engine.command('AT+B'), r.engine.command('AT+C')]);
    assert.deepEqual(a, { status: 'fulfilled', value: { final: 'OK', lines: ['+A: 1'] } });
    assert.equal(b.status, 'rejected');
    assert.deepEqual(c, { status: 'fulfilled', value: { final: 'OK', lines: ['+C: 3'] } });
    assert.deepEqual(r.modem.problems, []);
  } finally {
    await r.close();
  }
});

test('escape/online: +++ after the guard time, commands in online command mode, ATO back to data', async () => {
  const r = await rig([
    { cmd: 'ATD5551234', reply: (m) => m.connect('CONNECT 9600') },
    { cmd: 'AT+CSQ', reply: (m) => m.answer(['+CSQ: 15,0'], 'OK') },
    { cmd: 'ATO', reply: (m) => m.connect('CONNECT 9600') },
  ]);
  let lost: AtError | undefined;
  r.engine.on('carrier-lost', (e) => (lost = e));
  try {
    await r.engine.command('ATD5551234');
    const stream = r.engine.dataStream();
    const got = collect(stream);
    stream.write(Buffer.from('before'));
    await r.engine.escape(); // default guard 1000 ms (modem time)
    assert.equal(r.modem.escapes, 1);
    assert.equal(r.engine.currentMode, 'command');
    assert.equal(r.engine.isConnected, true);
    assert.throws(() => stream.write(Buffer.from('x')), /command mode/);
    assert.deepEqual(await r.engine.command('AT+CSQ'), { final: 'OK', lines: ['+CSQ: 15,0'] });
    await r.engine.online();
    assert.equal(r.engine.currentMode, 'data');
    assert.equal(r.engine.dataStream(), stream, 'ATO resumes the same connection');
    stream.write(Buffer.from('after'));
    r.modem.emitData('reply');
    await until(() => got.text() === 'reply' && r.modem.received.toString() === 'beforeafter', 'data after ATO');
    assert.equal(lost, undefined);
    assert.deepEqual(r.modem.problems, []);
  } finally {
    await r.close();
  }
});

test('data mode: NO CARRIER split across chunks ends the session; bytes before it are delivered', async () => {
  // CONNECT's CR and LF arrive in different chunks: the LF is not payload.
  const connectSplit = (m: FakeModem) => {
    m.silent();
    m.mode = 'data';
    m.send('\r\nCONNECT 14400\r');
    m.send('\nfirst', 5);
  };
  const r = await rig([{ cmd: 'ATD1', reply: connectSplit }, ok('AT')]);
  const lost: AtError[] = [];
  r.engine.on('carrier-lost', (e) => lost.push(e));
  try {
    const resp = await r.engine.command('ATD1');
    assert.equal(resp.final, 'CONNECT 14400');
    const got = collect(r.engine.dataStream());
    await until(() => got.text() === 'first', 'the data after CONNECT');
    r.modem.send(Buffer.from([0x00, 0x0d, 0x0a, 0x4e, 0x4f, 0xff])); // CR LF N O: not the sequence
    await sleep(5);
    r.modem.send('tail\r\nNO CAR');
    await sleep(5);
    r.modem.mode = 'command';
    r.modem.send('RIER\r\n\r\nRING\r\n');
    await until(() => lost.length === 1, 'carrier-lost');
    assert.equal(lost[0]!.code, 'NO_CARRIER');
    assert.equal(r.engine.isConnected, false);
    assert.equal(got.text(), 'first\x00\r\nNO\xfftail\r\nNO CAR');
    await until(() => r.urcs.includes('RING'), 'RING after the carrier loss');
    assert.deepEqual(await r.engine.command('AT'), { final: 'OK', lines: [] });
  } finally {
    await r.close();
  }
});

test('+QIURC: "closed" while escaped to online command mode is a carrier loss', async () => {
  const r = await rig([{ cmd: 'AT+QIOPEN=1,0,"TCP","h",1,0,2', reply: (m) => m.connect() }]);
  const lost: AtError[] = [];
  r.engine.on('carrier-lost', (e) => lost.push(e));
  try {
    await r.engine.command('AT+QIOPEN=1,0,"TCP","h",1,0,2', { finals: ['CONNECT'] });
    await r.engine.escape({ guardMs: 200 });
    r.modem.send('\r\n+QIURC: "closed",0\r\n');
    await until(() => lost.length === 1, 'carrier-lost');
    assert.equal(lost[0]!.code, 'NO_CARRIER');
    assert.equal(r.engine.isConnected, false);
    await assert.rejects(r.engine.online(), isAtError('NO_CARRIER'));
  } finally {
    await r.close();
  }
});

// ------------------------------------------------------------------ drivers

test('hayes-csd: CBST, ATD → CONNECT 9600, data both ways, +++ then ATH', async () => {
  const r = await rig(
    [
      ...initSteps(),
      ok('AT+CBST=71,0,1'),
      { cmd: 'ATD+441234567', reply: (m) => m.connect('CONNECT 9600', 'hi', 20) },
      ok('ATH'),
    ],
    { echo: true },
  );
  const driver = createDriver('hayes-csd', r.engine, { number: '+441234567' });
  let lost = 0;
  driver.onCarrierLost(() => lost++);
  try {
    const stream = await driver.connect();
    assert.equal(driver.rate, 9600);
    assert.equal(driver.connected, true);
    const got = collect(stream);
    stream.write(Uint8Array.from([0x00, 0x2b, 0x2b, 0x2b, 0x0d]));
    r.modem.emitData(Buffer.from([1, 2, 3]));
    await until(() => got.text() === 'hi\x01\x02\x03', 'downlink data');
    await until(() => r.modem.received.length === 5, 'uplink data');
    assert.deepEqual([...r.modem.received], [0x00, 0x2b, 0x2b, 0x2b, 0x0d]);
    stream.write(Buffer.from('last'));
    await driver.hangup();
    assert.equal(r.modem.escapes, 1);
    assert.equal(driver.connected, false);
    assert.equal(r.engine.currentMode, 'command');
    assert.deepEqual(r.modem.commands, ['AT', 'ATE0', 'AT+CMEE=1', 'AT+CBST=71,0,1', 'ATD+441234567', 'ATH']);
    assert.equal(r.modem.remaining, 0);
    assert.equal(lost, 0);
    assert.deepEqual(r.modem.problems, []);
  } finally {
    await r.close();
  }
});

const sim800Steps = (retry: boolean): Step[] => [
  ...initSteps(),
  ...(retry ? [{ cmd: 'AT+CIPSHUT', reply: (m: FakeModem) => m.final('SHUT OK') }] : []),
  ok('AT+CIPMODE=1'),
  ok('AT+CSTT="internet","web","secret"'),
  ok('AT+CIICR'),
  { cmd: 'AT+CIFSR', reply: (m) => m.answer([], '10.64.0.2') }, // the bare IP is the whole answer: no OK
  {
    cmd: 'AT+CIPSTART="TCP","203.0.113.7",4433',
    reply: (m) => {
      m.final('OK');
      m.connect('CONNECT', '', 30);
    },
  },
];

test('sim800: full sequence (bare CIFSR IP, CIPSTART OK then CONNECT), data, CLOSED, reconnect', async () => {
  const r = await rig([...sim800Steps(false)]);
  const driver = createDriver('sim800', r.engine, { apn: 'internet', user: 'web', pass: 'secret', host: '203.0.113.7', port: 4433 });
  const lost: AtError[] = [];
  driver.onCarrierLost((e) => lost.push(e));
  try {
    const s1 = await driver.connect();
    assert.equal(driver.ip, '10.64.0.2');
    assert.deepEqual(r.modem.commands, sim800Steps(false).map((s) => s.cmd));
    const got1 = collect(s1);
    s1.write(Buffer.from('uplink-1'));
    r.modem.emitData('downlink-1');
    await until(() => got1.text() === 'downlink-1' && r.modem.received.toString() === 'uplink-1', 'data (1)');

    r.modem.dropCarrier('\r\nCLOSED\r\n');
    await until(() => lost.length === 1, 'onCarrierLost');
    assert.ok(lost[0] instanceof AtError);
    assert.equal(lost[0].code, 'NO_CARRIER');
    assert.equal(driver.connected, false);
    s1.write(Buffer.from('dropped')); // a dead stream drops writes

    r.modem.script(...sim800Steps(true));
    const s2 = await driver.connect();
    assert.notEqual(s2, s1);
    const got2 = collect(s2);
    s2.write(Buffer.from('uplink-2'));
    r.modem.emitData('downlink-2');
    await until(() => got2.text() === 'downlink-2' && r.modem.received.toString() === 'uplink-1uplink-2', 'data (2)');
    assert.equal(got1.text(), 'downlink-1');
    assert.equal(lost.length, 1);
    assert.equal(r.modem.remaining, 0);
    assert.deepEqual(r.modem.problems, []);
  } finally {
    await r.close();
  }
});

test('sim800: CONNECT FAIL after OK rejects connect()', async () => {
  const steps = sim800Steps(false);
  steps[steps.length - 1] = {
    cmd: 'AT+CIPSTART="TCP","203.0.113.7",4433',
    reply: (m) => m.answer(['OK'], 'CONNECT FAIL', 10),
  };
  const r = await rig(steps);
  const driver = createDriver('sim800', r.engine, { apn: 'internet', user: 'web', pass: 'secret', host: '203.0.113.7', port: 4433 });
  try {
    await assert.rejects(driver.connect(), isAtError('ERROR', (e) => e.final === 'CONNECT FAIL'));
    assert.equal(driver.connected, false);
    assert.equal(r.engine.isConnected, false);
  } finally {
    await r.close();
  }
});

const bg96Steps = (retry: boolean): Step[] => [
  ...initSteps(),
  ...(retry ? [ok('AT+QIDEACT=1')] : []),
  ok('AT+QICSGP=1,1,"iot.apn","","",1'),
  ok('AT+QIACT=1'),
  { cmd: 'AT+QIOPEN=1,0,"TCP","server.example",9000,0,2', reply: (m) => m.connect('CONNECT', '', 10) },
];

test('bg96: full sequence, data, NO CARRIER → onCarrierLost, reconnect, +++ then AT+QICLOSE=0', async () => {
  const r = await rig(bg96Steps(false));
  const driver = createDriver('bg96', r.engine, { apn: 'iot.apn', host: 'server.example', port: 9000 });
  const lost: AtError[] = [];
  driver.onCarrierLost((e) => lost.push(e));
  try {
    const s1 = await driver.connect();
    assert.deepEqual(r.modem.commands, bg96Steps(false).map((s) => s.cmd));
    const got1 = collect(s1);
    s1.write(Buffer.from([0xde, 0xad]));
    r.modem.emitData(Buffer.from([0xbe, 0xef]));
    await until(() => got1.text() === '\xbe\xef' && r.modem.received.length === 2, 'data (1)');

    r.modem.dropCarrier();
    await until(() => lost.length === 1, 'onCarrierLost');
    assert.equal(lost[0]!.code, 'NO_CARRIER');

    r.modem.script(...bg96Steps(true), ok('AT+QICLOSE=0'));
    const s2 = await driver.connect();
    const got2 = collect(s2);
    r.modem.emitData('again');
    await until(() => got2.text() === 'again', 'data (2)');
    await driver.hangup();
    assert.equal(r.modem.escapes, 1);
    assert.equal(driver.connected, false);
    assert.deepEqual(r.modem.commands.slice(-6), ['AT+CMEE=1', 'AT+QIDEACT=1', 'AT+QICSGP=1,1,"iot.apn","","",1', 'AT+QIACT=1', 'AT+QIOPEN=1,0,"TCP","server.example",9000,0,2', 'AT+QICLOSE=0']);
    assert.equal(lost.length, 1, 'our own hangup is not a carrier loss');
    assert.equal(r.modem.remaining, 0);
    assert.deepEqual(r.modem.problems, []);
  } finally {
    await r.close();
  }
});

test('bg96: QIOPEN ERROR rejects connect(); a retry resets the context and succeeds', async () => {
  const steps = bg96Steps(false);
  steps[steps.length - 1] = { cmd: 'AT+QIOPEN=1,0,"TCP","server.example",9000,0,2', reply: (m) => m.final('ERROR') };
  const r = await rig([...steps, ...bg96Steps(true)]);
  const driver = createDriver('bg96', r.engine, { apn: 'iot.apn', host: 'server.example', port: 9000 });
  try {
    await assert.rejects(driver.connect(), isAtError('ERROR'));
    await driver.connect();
    assert.equal(driver.connected, true);
    assert.equal(r.modem.remaining, 0);
    assert.deepEqual(r.modem.problems, []);
  } finally {
    await r.close();
  }
});

test('regression (property test): noise without a line end, byte by byte, is bounded and dropped; the OK after it settles the command', async () => {
  // Found by test/properties-at.test.ts: the pending line grew without bound and every chunk
  // rescanned all of it (quadratic: 80 000 bytes fed one at a time took seconds).
  const { EventEmitter } = await import('node:events');
  const { MAX_LINE } = await import('../host/modem/at.js');
  const port = Object.assign(new EventEmitter(), { write: (_d: unknown, cb?: (e?: Error | null) => void) => { cb?.(null); return true; } });
  const engine = new AtEngine(port, { timers: { now: () => 0, setTimer: () => 0, clearTimer: () => {} } });
  const p = engine.command('AT+COPS=?');
  await sleep(1);
  for (let i = 0; i < 3 * MAX_LINE; i++) {
    port.emit('data', Buffer.from('x'));
    assert.ok((engine as unknown as { lineBuf: string }).lineBuf.length <= MAX_LINE);
  }
  port.emit('data', Buffer.from('\r\n+COPS: (2,"op","op","00101",7)\r\n\r\nOK\r\n'));
  assert.deepEqual(await p, { final: 'OK', lines: ['+COPS: (2,"op","op","00101",7)'] });
  engine.dispose();
});
