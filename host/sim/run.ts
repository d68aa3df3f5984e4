/**
 * Runs one airshake handshake plus application data between the handset firmware and server B
 * over an emulated link on a virtual clock, and reports what crossed the air and when. The
 * virtual clock counts link time only (serialisation and latency); computation is instantaneous
 * on it, so figures repeat exactly. Used by the demo, the tests and the benchmarks.
 */
import { VirtualClock } from '../link/clock.js';
import { EmulatedLink, type EmulatedLinkOptions } from '../link/emulated.js';
import type { LinkProfile } from '../link/profiles.js';
import type { Handset } from '../handset.js';
import type { AirshakeServer, ServerEvent } from '../server/server.js';
import { HandshakeError, MsgType, MAC_LEN, SUITE_PARAMS, Suite, errName } from '../protocol/constants.js';

export interface SimMessage {
  from: 'A' | 'B';
  to: 'A' | 'B';
  kind: 'hello' | 'response' | 'finish' | 'record' | 'alert' | 'unknown';
  bytes: number;
  /** Application plaintext bytes carried (records and message 3). */
  appBytes: number;
  sentAtMs: number;
  deliveredAtMs: number | null;
}

export interface SimResult {
  ok: boolean;
  link: string;
  suite: number;
  messages: SimMessage[];
  /** Bytes on air, both directions, before the first byte of application data. */
  bytesBeforeFirstAppByte: number;
  /** Virtual time at which B holds A's first application data. */
  timeToFirstAppDataMs: number | null;
  echoed: boolean;
  echo: Uint8Array | null;
  handsetError: { code: number; error: string } | null;
  serverEvents: ServerEvent[];
  /** With RunOptions.keyUpdates: records exchanged with a key update each, and the updates each side made. */
  keyUpdates?: { records: number; updatesAB: number; updatesBA: number; allDelivered: boolean; recordBytes: number; plainRecordBytes: number };
}

const KIND: Record<number, SimMessage['kind']> = {
  [MsgType.HELLO]: 'hello', [MsgType.RESPONSE]: 'response', [MsgType.FINISH]: 'finish',
  [MsgType.HELLO_E]: 'hello', [MsgType.RESPONSE_E]: 'response',
  [MsgType.RECORD]: 'record', [MsgType.RECORD_UPDATE]: 'record', [MsgType.ALERT]: 'alert',
};

export interface RunOptions {
  clock: VirtualClock;
  /** Unix seconds at virtual time 0: the handset's clock is epochSec + clock.now() / 1000. */
  epochSec: number;
  profile: LinkProfile;
  linkOptions?: EmulatedLinkOptions;
  handset: Handset;
  /** Built with now = () => epochSec * 1000 + clock.now(). */
  server: AirshakeServer;
  appData: Uint8Array;
  /** Give up (and sweep B's half-open sessions) at this virtual time. */
  timeoutMs?: number;
  /**
   * After the handshake and the echo: this many records each way, every one with the change-cipher
   * message appended (a key update per record and direction), delivered in process (not timed).
   */
  keyUpdates?: number;
  /** Message 1: default handset.start(now); suite 3's is handset.startFs(now). */
  start?: (nowSec: number) => Uint8Array;
  /** Rewrites a message in flight (tests of tampering); return null to drop it. */
  tamper?: (from: 'A' | 'B', index: number, message: Uint8Array) => Uint8Array | null;
}

export function runHandshake(o: RunOptions): SimResult {
  const { clock, handset, server } = o;
  const link = new EmulatedLink(clock, o.profile, o.linkOptions);
  const a = link.endpoint('A'), b = link.endpoint('B');
  const events: ServerEvent[] = [];
  const prevEvent = server.opts.onEvent;
  const prevApp = server.opts.onApplicationData;
  let firstAppAt: number | null = null;
  // What each side put on the air, in order (the link's trace records sizes and times only).
  const sent: { A: number[]; B: number[] } = { A: [], B: [] };
  const send = (from: 'A' | 'B', m: Uint8Array) => {
    const t = o.tamper ? o.tamper(from, sent[from].length, m) : m;
    sent[from].push(t ? t[0] ?? -1 : -2);
    if (t) (from === 'A' ? a : b).send(t);
  };
  server.opts.onEvent = (e) => { events.push(e); prevEvent?.(e); };
  server.opts.onApplicationData = (d, s) => {
    if (firstAppAt === null) firstAppAt = clock.now();
    return prevApp ? prevApp(d, s) : undefined;
  };
  // B's messages go on the link, except the in-process key-update records at the end (direct)
  let direct: ((m: Uint8Array) => void) | null = null;
  const session = server.connect((m) => (direct ? direct(m) : send('B', m)));
  b.onMessage((m) => session.receive(m));

  const nowSec = () => Math.floor(o.epochSec + clock.now() / 1000);
  let handsetError: SimResult['handsetError'] = null;
  let echo: Uint8Array | null = null;
  const guard = (f: () => void) => {
    try { f(); } catch (e) {
      if (!(e instanceof HandshakeError)) throw e;
      handsetError = { code: e.code, error: errName(e.code) };
      // A answers a failure with its alert, but never an alert with an alert.
      if (e.alert && e.code !== 0x1a) send('A', e.alert);
    }
  };
  a.onMessage((m) => guard(() => {
    if (handset.state === 2) send('A', handset.finish(m, nowSec(), o.appData));
    else if (handset.state === 3) echo = handset.open(m);
  }));
  guard(() => send('A', (o.start ?? ((t: number) => handset.start(t)))(nowSec())));
  const timeout = o.timeoutMs ?? 120_000;
  const sweepAt = clock.now() + timeout;
  clock.schedule(sweepAt, () => { server.sweep(); });
  clock.run({ until: sweepAt });
  let keyUpdates: SimResult['keyUpdates'];
  if (o.keyUpdates && session.established && handsetError === null) {
    // records with a key update each, both ways, in process: every one must arrive intact
    const toA: Uint8Array[] = [];
    let allDelivered = true, recordBytes = 0, plainRecordBytes = 0;
    direct = (m) => toA.push(m);
    const got: Uint8Array[] = [];
    server.opts.onApplicationData = (d) => { got.push(new Uint8Array(d)); };
    for (let i = 0; i < o.keyUpdates; i++) {
      const data = new TextEncoder().encode(`record ${i} with a key update`);
      const rec = handset.sealUpdate(data);
      recordBytes = rec.length;
      plainRecordBytes = rec.length - 1; // the same data without the change-cipher byte
      session.receive(rec);
      allDelivered &&= got.length === i + 1 && Buffer.from(got[i]!).equals(Buffer.from(data));
      session.write(data, { update: true });
      for (const m of toA.splice(0)) allDelivered &&= Buffer.from(handset.open(m)).equals(Buffer.from(data));
    }
    direct = null;
    keyUpdates = { records: o.keyUpdates, updatesAB: session.updatesAB, updatesBA: session.updatesBA, allDelivered, recordBytes, plainRecordBytes };
  }
  session.close();
  server.opts.onEvent = prevEvent;
  server.opts.onApplicationData = prevApp;

  // The record tag of the suite B chose (16 bytes in suite 1, 8 in suite 2).
  const tag = SUITE_PARAMS[session.suite]?.tagLen ?? 16;
  // Message 3's bytes before its application data: type, MAC_A, rec_len; in suite 3 it is a
  // record (A's first), whose authentication is the Finished: type and rec_len.
  const suite3 = session.suite === Suite.X25519E_ED25519_CHACHAPOLY_SHA256;
  const finishPrefix = suite3 ? 3 : 1 + MAC_LEN + 2;
  const cursor = { A: 0, B: 0 };
  let firstRecordA = true;
  const messages: SimMessage[] = link.trace().map((t) => {
    const type = sent[t.from].filter((x) => x !== -2)[cursor[t.from]++] ?? -1;
    let kind = KIND[type] ?? 'unknown';
    if (suite3 && t.from === 'A' && kind === 'record' && firstRecordA) { kind = 'finish'; firstRecordA = false; }
    let appBytes = 0;
    if (kind === 'finish') appBytes = Math.max(0, t.bytes - (finishPrefix + tag));
    if (kind === 'record') appBytes = Math.max(0, t.bytes - (3 + tag));
    return { from: t.from, to: t.to, kind, bytes: t.bytes, appBytes, sentAtMs: t.sentAt, deliveredAtMs: t.deliveredAt };
  });
  let before = 0;
  for (const m of messages) {
    if (m.kind === 'finish') { before += finishPrefix; break; }
    before += m.bytes;
  }
  const established = events.some((e) => e.type === 'established');
  const echoBytes = echo as Uint8Array | null;
  return {
    ok: established && handsetError === null,
    link: o.profile.name,
    suite: session.suite,
    messages,
    bytesBeforeFirstAppByte: before,
    timeToFirstAppDataMs: firstAppAt,
    echoed: echoBytes !== null && Buffer.from(echoBytes).equals(Buffer.from(o.appData)),
    echo: echoBytes,
    handsetError,
    serverEvents: events,
    keyUpdates,
  };
}
