// Property-based tests (fast-check) of the AT command engine (host/modem/at.ts): responses with
// line noise and unsolicited result codes interleaved, cut at any byte boundary, very long lines,
// data mode after CONNECT and the in-band carrier loss. The engine runs over a synchronous fake
// port and manual timers that never fire, so no result depends on time. Seeds and run counts:
// test/support/fc.ts (AIRSHAKE_FC_SEED, AIRSHAKE_FC_RUNS).
import test from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import fc from 'fast-check';
import { AtEngine, AtError, MAX_LINE, type AtResponse, type SerialLike } from '../host/modem/at.js';
import type { Timers } from '../host/transport/types.js';
import { chunking, fcParams, split, type Chunking } from './support/fc.js';

class FakePort extends EventEmitter implements SerialLike {
  readonly written: string[] = [];
  write(data: string | Uint8Array, cb?: (err?: Error | null) => void): boolean {
    this.written.push(typeof data === 'string' ? data : Buffer.from(data).toString('latin1'));
    cb?.(null);
    return true;
  }
}

/** Timers that never fire on their own: a pending command cannot time out behind the test's back. */
function manualTimers(): Timers & { armed: () => number } {
  const live = new Set<number>();
  let id = 0;
  return {
    now: () => 0,
    setTimer: () => { live.add(++id); return id; },
    clearTimer: (h) => { live.delete(h as number); },
    armed: () => live.size,
  };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

interface Internals { lineBuf: string; tail: Buffer }
const internals = (e: AtEngine) => e as unknown as Internals;

function rig() {
  const port = new FakePort();
  const timers = manualTimers();
  const engine = new AtEngine(port, { timers });
  const urcs: string[] = [];
  const lost: AtError[] = [];
  engine.on('urc', (l) => urcs.push(l));
  engine.on('carrier-lost', (e) => lost.push(e));
  /** Feeds `text` (latin1) split as `c`; after every chunk the line buffer and the data-mode tail stay bounded. */
  const feed = (text: string, c: Chunking) => {
    for (const chunk of split(Buffer.from(text, 'latin1'), c)) {
      port.emit('data', Buffer.from(chunk));
      assert.ok(internals(engine).lineBuf.length <= MAX_LINE, `line buffer of ${internals(engine).lineBuf.length} characters`);
      assert.ok(internals(engine).tail.length < 14, `data-mode tail of ${internals(engine).tail.length} bytes`);
    }
  };
  return { port, timers, engine, urcs, lost, feed };
}

/** Settles `p` into a value the test can inspect (without unhandled rejections). */
function outcome<T>(p: Promise<T>) {
  const o: { done: boolean; value?: T; error?: unknown } = { done: false };
  p.then((v) => { o.done = true; o.value = v; }, (e) => { o.done = true; o.error = e; });
  return o;
}

// ---------------------------------------------------------------- generators

/** A line that is neither a final result code nor a URC: its trimmed form is empty or starts outside [A-Z0-9+]. */
const noiseLine = fc.string({ unit: fc.integer({ min: 0, max: 255 }).filter((c) => c !== 10 && c !== 13).map((c) => String.fromCharCode(c)), maxLength: 60 })
  .filter((s) => !/^[A-Z0-9+]/.test(s.trim()));
const urcLine = fc.constantFrom('RING', '+CREG: 1', '+CEREG: 5,"1A2B"', '+CMTI: "SM",3', '+CPIN: READY', 'SMS Ready', '+QIND: "csq",20,99', 'CLOSED', '1, CLOSED', '+CUSD: 0');
const term = fc.constantFrom('\r\n', '\n', '\r', '\r\n\r\n', '\n\r');
const lead = fc.constantFrom('', '', '\r\n');

type Final = { line: string; ok: true; connect?: boolean } | { line: string; ok: false; code: string; cme?: number };
const finalArb: fc.Arbitrary<Final> = fc.oneof(
  fc.constant<Final>({ line: 'OK', ok: true }),
  fc.constant<Final>({ line: 'ERROR', ok: false, code: 'ERROR' }),
  fc.constant<Final>({ line: 'CONNECT FAIL', ok: false, code: 'ERROR' }),
  fc.nat(999).map<Final>((n) => ({ line: `+CME ERROR: ${n}`, ok: false, code: 'CME_ERROR', cme: n })),
  fc.constant<Final>({ line: '+CME ERROR: SIM not inserted', ok: false, code: 'CME_ERROR' }),
  fc.nat(999).map<Final>((n) => ({ line: `+CMS ERROR: ${n}`, ok: false, code: 'CMS_ERROR', cme: n })),
  fc.constantFrom<Final>(
    { line: 'BUSY', ok: false, code: 'BUSY' }, { line: 'NO ANSWER', ok: false, code: 'NO_ANSWER' },
    { line: 'NO DIALTONE', ok: false, code: 'NO_DIALTONE' }, { line: 'NO DIAL TONE', ok: false, code: 'NO_DIALTONE' },
    { line: 'NO CARRIER', ok: false, code: 'NO_CARRIER' },
  ),
  fc.constantFrom<Final>({ line: 'CONNECT', ok: true, connect: true }, { line: 'CONNECT 9600', ok: true, connect: true }),
);

type Item = { urc: boolean; text: string; lead: string; term: string };
const itemArb: fc.Arbitrary<Item> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ urc: fc.constant(false), text: noiseLine, lead, term }) },
  { weight: 1, arbitrary: fc.record({ urc: fc.constant(true), text: urcLine, lead, term }) },
);
const render = (items: Item[]) => items.map((i) => i.lead + i.text + i.term).join('');

const LOSS = ['\r\nNO CARRIER\r\n', '\r\nCLOSED\r\n'];
/** The first carrier-loss sequence in s, or -1. */
const firstLoss = (s: string) => Math.min(...LOSS.map((p) => { const i = s.indexOf(p); return i < 0 ? Infinity : i; }).concat(Infinity));
const payloadArb = fc.string({ unit: fc.oneof(fc.constantFrom('\r', '\n', 'N', 'O', ' ', 'C', 'L'), fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c))), maxLength: 300, size: 'max' });

// ---------------------------------------------------------------- properties

test('property: a response with noise and URCs interleaved, cut anywhere: the right final, the intermediate lines and every URC, in order', async () => {
  await fc.assert(fc.asyncProperty(
    fc.array(fc.record({ urc: fc.constant(true), text: urcLine, lead, term }), { maxLength: 3 }), chunking(400),
    fc.boolean(), term, fc.array(itemArb, { maxLength: 12, size: 'max' }), finalArb, lead, term, payloadArb,
    fc.array(fc.record({ urc: fc.constant(true), text: urcLine, lead, term }), { maxLength: 3 }), chunking(2000),
    async (before, cBefore, echo, echoTerm, body, final, finalLead, finalTerm, payload, after, c) => {
      const { port, timers, engine, urcs, feed } = rig();
      feed(render(before), cBefore);
      await tick();
      const cmd = 'AT+CSQ';
      const result = outcome(engine.command(cmd));
      await tick();
      assert.deepEqual(port.written, [`${cmd}\r`]);
      // a CONNECT's line must end in CRLF, LF or CR: what follows is data, not more lines
      const fTerm = final.ok && final.connect ? (finalTerm.startsWith('\r\n') ? '\r\n' : finalTerm[0]!) : finalTerm;
      let stream = (echo ? cmd + echoTerm : '') + render(body) + finalLead + final.line + fTerm;
      let data = '';
      if (final.ok && final.connect) {
        const payloadOk = payload.slice(0, Math.min(payload.length, firstLoss(payload))); // no carrier loss in it
        stream += payloadOk;
        data = fTerm === '\r' && payloadOk.startsWith('\n') ? payloadOk.slice(1) : payloadOk; // CR LF is one line end
      } else stream += render(after);
      feed(stream, c);
      await tick();

      assert.equal(result.done, true, 'the command did not settle');
      assert.equal(timers.armed(), 0, 'a timer left armed');
      const lines = body.filter((i) => !i.urc).map((i) => i.text.trim()).filter((l) => l !== '');
      if (final.ok) {
        assert.equal(result.error, undefined, `rejected: ${String(result.error)}`);
        const r = result.value as AtResponse;
        assert.equal(r.final, final.line);
        assert.deepEqual(r.lines, lines);
      } else {
        const e = result.error as AtError;
        assert.ok(e instanceof AtError, `expected AtError, got ${String(result.error)}`);
        assert.deepEqual({ code: e.code, final: e.final, cme: e.cmeError, lines: e.lines }, { code: final.code, final: final.line, cme: final.cme, lines });
      }
      const wantUrcs = [...before, ...body.filter((i) => i.urc), ...(final.ok && final.connect ? [] : after)].map((i) => i.text);
      assert.deepEqual(urcs, wantUrcs);
      if (final.ok && final.connect) {
        assert.equal(engine.currentMode, 'data');
        const got: Buffer[] = [];
        engine.dataStream().onData((chunk) => got.push(Buffer.from(chunk)));
        assert.equal(Buffer.concat(got).toString('latin1'), data, 'data after CONNECT');
      } else {
        // the next command is answered normally: nothing of this response is left over
        const next = outcome(engine.command('AT'));
        await tick();
        feed('\r\nOK\r\n', { every: 1 });
        await tick();
        assert.deepEqual(next.value, { final: 'OK', lines: [] });
      }
      engine.dispose();
    },
  ), fcParams(0xa7, 250));
});

test('property: very long lines and line noise without any line end: bounded buffer, the final still recognised', async () => {
  await fc.assert(fc.asyncProperty(
    noiseLine.filter((s) => s.length > 0), fc.oneof(fc.integer({ min: 1, max: 2 * MAX_LINE }), fc.integer({ min: MAX_LINE - 2, max: MAX_LINE + 2 }), fc.integer({ min: 1, max: 60_000 })),
    term, fc.oneof(fc.record({ every: fc.integer({ min: 1, max: 5000 }) }), chunking(60_000)), urcLine,
    async (unit, len, t, c, urc) => {
      const { engine, urcs, feed } = rig();
      const result = outcome(engine.command('AT+COPS=?'));
      await tick();
      const long = unit.repeat(Math.ceil(len / unit.length)).slice(0, len);
      feed(`\r\n${long}${t}${urc}\r\n\r\nOK\r\n`, c);
      await tick();
      // a line longer than MAX_LINE characters (line noise, a wrong baud rate) is dropped
      const want = long.length > MAX_LINE || long.trim() === '' ? [] : [long.trim()];
      assert.deepEqual(result.value, { final: 'OK', lines: want });
      assert.deepEqual(urcs, [urc]);
      engine.dispose();
    },
  ), fcParams(0x10e, 120));
});

test('property: in data mode the carrier loss is found whatever the chunking; data before it is delivered, then lines are parsed again', async () => {
  await fc.assert(fc.asyncProperty(
    payloadArb, fc.constantFrom(...LOSS), fc.array(urcLine, { maxLength: 3 }), chunking(400),
    async (payload, loss, after, c) => {
      const { engine, urcs, lost, feed } = rig();
      const dial = outcome(engine.command('ATD123', { timeoutMs: 60_000 }));
      await tick();
      feed('\r\nCONNECT 9600\r\n', { every: 1 });
      await tick();
      assert.equal((dial.value as AtResponse).final, 'CONNECT 9600');
      const got: Buffer[] = [];
      engine.dataStream().onData((chunk) => got.push(Buffer.from(chunk)));
      const stream = payload + loss + after.map((u) => `\r\n${u}\r\n`).join('');
      const at = firstLoss(stream); // the first loss sequence, possibly inside the payload
      feed(stream, c);
      await tick();
      assert.equal(lost.length, 1, 'carrier-lost reported once');
      assert.equal(engine.currentMode, 'command');
      assert.equal(engine.isConnected, false);
      const data = Buffer.concat(got).toString('latin1');
      const seq = LOSS.find((p) => stream.startsWith(p, at))!;
      // everything before the sequence, and at most the sequence's leading bytes when it straddles two chunks
      assert.ok(data.startsWith(stream.slice(0, at)) && data.length < at + seq.length && stream.startsWith(data), `data ${JSON.stringify(data)}`);
      // what follows the loss is parsed as lines again (URCs); lines in the payload after an
      // earlier loss sequence are noise or URCs too, so only check the tail
      assert.equal(urcs[0], seq.trim());
      if (at === payload.length) assert.deepEqual(urcs.slice(1), after);
      else assert.deepEqual(urcs.slice(urcs.length - after.length), after);
      engine.dispose();
    },
  ), fcParams(0xca1, 250));
});
