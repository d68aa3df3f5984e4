// Property-based tests (fast-check) of server B's handling of message 1 and message 3
// (host/server/server.ts) against docs/PROTOCOL.md. A model of B written here from the spec
// ("B's work before it answers", the Message 3 section, the error table and the alert rules)
// predicts, for every message of a random sequence, the exact error code (or message 2), the
// alert A gets, and B's state: replay cache, half-open handshakes, negative cache of unknown IDs.
// The server must agree on every step, never throw out of its session API, and never fall into
// its internal-error path (ERR_HANDSHAKE_FAILED as the operator's code). Seeds and run counts:
// test/support/fc.ts (AIRSHAKE_FC_SEED, AIRSHAKE_FC_RUNS).
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Err, MsgType } from '../host/protocol/constants.js';
import { createCa, issue } from '../host/pki/cert.js';
import { certId } from '../host/pki/id.js';
import { Handset } from '../host/handset.js';
import { createDeployment, type Deployment } from '../host/sim/deployment.js';
import { AirshakeServer, type ServerEvent, type ServerSession } from '../host/server/server.js';
import { CertCache } from '../host/store/cache.js';
import { StoreUnavailableError, type CertStore } from '../host/store/types.js';
import type { ValidatedCert } from '../host/server/validate.js';
import { concatBytes, fcParams, hex } from './support/fc.js';

const EPOCH = Date.UTC(2026, 11, 1, 12) / 1000;
const DAY = 86400;
const W_MS = 300_000;
const HALF_OPEN_MS = 30_000;
const UNKNOWN_TTL_MS = 30_000;

/** Codes B sends A as they are (PROTOCOL.md, "Alerts and errors"); any other becomes ERR_HANDSHAKE_FAILED. */
const PRECISE = new Set<number>([
  Err.DECODE, Err.TRAILING, Err.UNEXPECTED, Err.VERSION, Err.NO_COMMON_SUITE, Err.STALE, Err.BUSY, Err.TIMEOUT,
  Err.STORE, Err.MAC_A, Err.RECORD, Err.RECORD_OVERFLOW,
]);

// ---------------------------------------------------------------- the deployment, once

interface World {
  dep: Deployment;
  /** ID pool: hex ID -> the verdict of B's certificate step for it. */
  ids: { id: Uint8Array; verdict: number }[];
  /** A recorded genuine handshake (fixed randomness on both sides). */
  m1: Uint8Array; m2: Uint8Array; m3: Uint8Array; app: Uint8Array;
  fixedB: Uint8Array;
}

let world: Promise<World> | undefined;
function getWorld(): Promise<World> {
  world ??= (async () => {
    const dep = createDeployment({ now: EPOCH, handsets: 2 });
    const { ca } = dep;
    const enrol = (i: { cert: Uint8Array }) => { dep.store.enrol(i.cert, EPOCH); return certId(i.cert); };
    const revoked = dep.handsets[1]!.id;
    dep.store.revoke(revoked, 'key compromise', EPOCH);
    const ids = [
      { id: dep.handsets[0]!.id, verdict: Err.OK },
      { id: revoked, verdict: Err.REVOKED },
      { id: enrol(issue(ca, { name: 'expired', notBefore: EPOCH - 10 * DAY, notAfter: EPOCH - DAY })), verdict: Err.CERT_EXPIRED },
      { id: enrol(issue(ca, { name: 'future', notBefore: EPOCH + DAY, notAfter: EPOCH + 10 * DAY })), verdict: Err.CERT_NOT_YET_VALID },
      { id: enrol(issue(createCa({ name: 'rogue CA', now: EPOCH }), { name: 'rogue', notBefore: EPOCH - DAY, notAfter: EPOCH + DAY })), verdict: Err.CERT_SIGNATURE },
      { id: enrol(issue(ca, { name: 'signer', notBefore: EPOCH - DAY, notAfter: EPOCH + DAY, keyUsage: [0] })), verdict: Err.CERT_KEY_USAGE },
      { id: Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3]), verdict: Err.UNKNOWN_ID },
      { id: Uint8Array.from([0x0b, 0xad, 0x1d, 0, 0, 0, 0, 1]), verdict: Err.UNKNOWN_ID },
    ];
    const fixedA = new Uint8Array(16).fill(0xa5);
    const fixedB = new Uint8Array(16).fill(0xb6);
    const handset = await Handset.load({ random: (b) => b.set(fixedA.subarray(0, b.length)) });
    handset.provision(dep.handsets[0]!.privateKey, ca.publicKey, dep.serverName);
    const m1 = handset.start(EPOCH);
    const out: Uint8Array[] = [];
    const server = makeServer(dep, { now: () => EPOCH * 1000, random: () => Uint8Array.from(fixedB) }).server;
    server.connect((m) => out.push(m)).receive(m1);
    const m2 = out[0]!;
    assert.equal(m2[0], MsgType.RESPONSE);
    const app = new TextEncoder().encode('hello from A');
    const m3 = handset.finish(m2, EPOCH, app);
    return { dep, ids, m1, m2, m3, app, fixedB };
  })();
  return world;
}

/** A server over the deployment's store (through a switch that can make it unreachable) and a fresh certificate cache. */
function makeServer(dep: Deployment, o: { now: () => number; random?: (n: number) => Uint8Array; maxHalfOpen?: number; replayCapacity?: number; policy?: 'evict-oldest' | 'refuse'; unknownIdCapacity?: number }) {
  const sw = { down: false };
  const guard = <T>(f: () => T): T => { if (sw.down) throw new StoreUnavailableError('store unreachable (test)'); return f(); };
  const store: CertStore = {
    enrol: (d, n) => dep.store.enrol(d, n), revoke: (i, r, a) => dep.store.revoke(i, r, a), list: () => dep.store.list(),
    lookup: (id) => guard(() => dep.store.lookup(id)),
    revocationSeq: () => guard(() => dep.store.revocationSeq()),
    revocationsSince: (s) => guard(() => dep.store.revocationsSince(s)),
    onRevoke: (l) => dep.store.onRevoke(l), close: () => {},
  };
  const cache = new CertCache<ValidatedCert>(store, { capacity: 100, ttlMs: 1e12, now: o.now });
  const events: ServerEvent[] = [];
  const server = new AirshakeServer({
    store, cache, caPublicKey: dep.ca.publicKey, certificate: dep.server.cert, privateKey: dep.server.privateKey,
    now: o.now, random: o.random, maxHalfOpen: o.maxHalfOpen, replayCapacity: o.replayCapacity, halfOpenTimeoutMs: HALF_OPEN_MS,
    halfOpenPolicy: o.policy, unknownIdCapacity: o.unknownIdCapacity, unknownIdTtlMs: UNKNOWN_TTL_MS,
    // The model below is of HELLO; B here serves no ephemeral suite, so a HELLO_E (type 0x04) is
    // decoded and then refused with ERR_NO_COMMON_SUITE (suite 3's steps: test/suite3.test.ts).
    ephemeralSuites: [],
    onApplicationData: (d) => d, onEvent: (e) => events.push(e),
  });
  return { server, cache, sw, events, close: () => { server.close(); cache.close(); } };
}

const u32 = (v: number) => Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);

// ---------------------------------------------------------------- message 3 as the spec reads it

/**
 * The codes B may answer a message 3 with, from the spec alone (PEER_ALERT and TIMEOUT are the
 * caller's), or 'ok' for the genuine bytes. `mac` is the MAC_A B expects (null: unknown to the
 * caller, and a guess matches with probability 2^-128).
 */
function finishVerdict(m: Uint8Array, genuine: Uint8Array | null): number[] | 'ok' {
  if (m.length === 0) return [Err.DECODE, Err.UNEXPECTED];
  if (m[0] !== MsgType.FINISH) return [Err.UNEXPECTED];
  if (m.length < 1 + 16 + 2 + 16) return [Err.DECODE];
  const recLen = (m[17]! << 8) | m[18]!;
  if (recLen < 16) return [Err.DECODE];
  const end = 19 + recLen;
  const overflow = recLen - 16 > 512;
  if (m.length < end) return overflow ? [Err.DECODE, Err.RECORD_OVERFLOW] : [Err.DECODE];
  if (m.length > end) return overflow ? [Err.TRAILING, Err.RECORD_OVERFLOW] : [Err.TRAILING];
  if (overflow) return [Err.RECORD_OVERFLOW];
  if (!genuine || hex(m.subarray(1, 17)) !== hex(genuine.subarray(1, 17))) return [Err.MAC_A];
  return hex(m) === hex(genuine) ? 'ok' : [Err.RECORD];
}

// ---------------------------------------------------------------- the model of B for message 1

interface ModelSession { sid: number; session: ServerSession; sent: Uint8Array[]; state: 'new' | 'wait' | 'closed'; deadline: number; key?: string }

class Model {
  replay = new Map<string, { exp: number; owner: number }>();
  halfOpen: ModelSession[] = [];
  unknown = new Map<string, number>();
  cached = new Set<string>();
  storeDown = false;
  storeLookups = 0;
  constructor(readonly now: () => number, readonly maxHalfOpen: number, readonly replayCapacity: number, readonly policy: 'evict-oldest' | 'refuse', readonly unknownCapacity: number, readonly verdicts: Map<string, number>) {}

  /** Expected events, in order: [session id, code] per failure (each followed by its 'closed'). */
  out: [ModelSession, number][] = [];

  fail(s: ModelSession, code: number): void {
    if (s.state === 'closed') return;
    this.out.push([s, code]);
    this.close(s);
  }
  close(s: ModelSession): void {
    s.state = 'closed';
    this.halfOpen = this.halfOpen.filter((x) => x !== s);
    // a handshake that ends without completing gives back the pair it recorded (its own entry only)
    if (s.key !== undefined && this.replay.get(s.key)?.owner === s.sid) this.replay.delete(s.key);
    s.key = undefined;
  }
  expire(): void {
    for (const s of [...this.halfOpen]) if (s.deadline <= this.now()) this.fail(s, Err.TIMEOUT);
  }

  /** B's answer to `m` as message 1 of session `s`: a set of acceptable codes, or 'ok' (message 2). */
  hello(s: ModelSession, m: Uint8Array): number[] | 'ok' {
    const now = this.now();
    // 1. decode
    if (m.length === 0) return [Err.DECODE];
    if (m[0] === MsgType.ALERT) return [Err.PEER_ALERT];
    if (m.length < 3) {
      // too short to hold its header: malformed, whatever type or version it names
      const c: number[] = [Err.DECODE];
      if (m[0] !== MsgType.HELLO && m[0] !== MsgType.HELLO_E) c.push(Err.UNEXPECTED);
      else if (m.length >= 2 && m[1] !== 0x01) c.push(Err.VERSION);
      return c;
    }
    if (m[0] === MsgType.HELLO_E) {
      // HELLO_E (PROTOCOL.md, "Suite 3"): version, n, 45 + n or 49 + n bytes; this B serves no ephemeral suite
      if (m[1] !== 0x01) return [Err.VERSION];
      const ne = m[2]!;
      if (ne < 1 || ne > 8) return [Err.DECODE];
      if (m.length > 49 + ne) return [Err.TRAILING];
      if (m.length !== 45 + ne && m.length !== 49 + ne) return [Err.DECODE];
      return [Err.NO_COMMON_SUITE];
    }
    if (m[0] !== MsgType.HELLO) return [Err.UNEXPECTED];
    if (m[1] !== 0x01) return [Err.VERSION];
    const n = m[2]!;
    if (n < 1 || n > 8) return [Err.DECODE];
    const len = 31 + n;
    if (m.length < len) return [Err.DECODE];
    if (m.length > len) return [Err.TRAILING];
    // 2. suite
    if (!m.subarray(3, 3 + n).includes(0x01)) return [Err.NO_COMMON_SUITE];
    // 3. freshness, replay cache (nothing recorded yet)
    const randomA = m.subarray(3 + n, 19 + n);
    const ts = new DataView(m.buffer, m.byteOffset + 19 + n, 4).getUint32(0);
    const id = m.subarray(23 + n, 31 + n);
    // the window is counted in whole Unix seconds (PROTOCOL.md: time is Unix seconds)
    if (Math.abs(ts - Math.floor(now / 1000)) * 1000 > W_MS) return [Err.STALE];
    const key = hex(id) + hex(randomA);
    const seen = this.replay.get(key);
    if (seen && seen.exp >= now) return [Err.REPLAY];
    if (seen) this.replay.delete(key);
    if (this.replay.size >= this.replayCapacity) {
      for (const [k, e] of [...this.replay]) if (e.exp < now) this.replay.delete(k);
      if (this.replay.size >= this.replayCapacity) return [Err.BUSY];
    }
    // 4. half-open bound (refuse)
    if (this.policy === 'refuse' && this.halfOpen.length >= this.maxHalfOpen) {
      this.expire();
      if (this.halfOpen.length >= this.maxHalfOpen) return [Err.BUSY];
    }
    // 5. C_A
    const idHex = hex(id);
    if (!this.cached.has(idHex)) {
      const unknownLive = this.unknownCapacity > 0 && (this.unknown.get(idHex) ?? -Infinity) > now;
      if (unknownLive) return [Err.UNKNOWN_ID]; // without a store lookup
      this.storeLookups++;
      if (this.storeDown) return [Err.STORE];
      const verdict = this.verdicts.get(idHex) ?? Err.UNKNOWN_ID;
      if (verdict === Err.UNKNOWN_ID && this.unknownCapacity > 0) {
        for (const [k, exp] of [...this.unknown]) if (exp <= now) this.unknown.delete(k);
        this.unknown.delete(idHex);
        this.unknown.set(idHex, now + UNKNOWN_TTL_MS);
        while (this.unknown.size > this.unknownCapacity) this.unknown.delete(this.unknown.keys().next().value!);
      }
      if (verdict !== Err.OK) return [verdict];
      this.cached.add(idHex);
    }
    // 6. record the pair
    this.replay.set(key, { exp: now + 2 * W_MS, owner: s.sid });
    s.key = key;
    // 7. evict-oldest admission, then message 2
    if (this.halfOpen.length >= this.maxHalfOpen) {
      this.expire();
      while (this.halfOpen.length >= this.maxHalfOpen) this.fail(this.halfOpen[0]!, Err.BUSY);
    }
    s.state = 'wait';
    s.deadline = now + HALF_OPEN_MS;
    this.halfOpen.push(s);
    return 'ok';
  }
}

/** One hello, built field by field, then perhaps cut or extended. */
interface HelloSpec { type: number; version: number; suites: number[]; id: number; rnd: number | Uint8Array; dt: number; tail: { cut: number } | { add: Uint8Array } | null }
type Step =
  | { k: 'hello'; h: HelloSpec }
  | { k: 'again'; dt: number }
  | { k: 'raw'; bytes: Uint8Array }
  | { k: 'advance'; ms: number }
  | { k: 'sweep' }
  | { k: 'finish'; which: number; bytes: Uint8Array }
  | { k: 'store'; down: boolean };

const byteArb = fc.integer({ min: 0, max: 255 });
const helloArb: fc.Arbitrary<HelloSpec> = fc.record({
  type: fc.oneof({ weight: 12, arbitrary: fc.constant(0x01) }, { weight: 1, arbitrary: byteArb }),
  version: fc.oneof({ weight: 12, arbitrary: fc.constant(0x01) }, { weight: 1, arbitrary: byteArb }),
  suites: fc.oneof(
    { weight: 8, arbitrary: fc.constant([0x01] as number[]) },
    { weight: 2, arbitrary: fc.array(fc.constantFrom(0x00, 0x01, 0x02, 0x7f, 0xff), { minLength: 1, maxLength: 8 }) },
    { weight: 1, arbitrary: fc.array(byteArb, { maxLength: 12 }) },
  ),
  id: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.nat(7) }),
  rnd: fc.oneof({ weight: 3, arbitrary: fc.nat(2) }, { weight: 2, arbitrary: fc.uint8Array({ minLength: 16, maxLength: 16 }) }),
  dt: fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: -60, max: 60 }) },
    { weight: 2, arbitrary: fc.constantFrom(-301, -300, -299, 299, 300, 301) },
    { weight: 1, arbitrary: fc.integer({ min: -2_000_000_000, max: 2_000_000_000 }) },
  ),
  tail: fc.oneof(
    { weight: 10, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.record({ cut: fc.nat(40) }) },
    { weight: 1, arbitrary: fc.record({ add: fc.uint8Array({ minLength: 1, maxLength: 4 }) }) },
  ),
});
const finishBytesArb = fc.oneof(
  fc.uint8Array({ maxLength: 80 }),
  // FINISH-shaped: right type, a record length that matches (or nearly) the bytes that follow
  fc.tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ maxLength: 600, size: 'max' }), fc.integer({ min: -2, max: 2 }))
    .map(([mac, body, off]) => concatBytes(Uint8Array.of(MsgType.FINISH), mac, Uint8Array.of((body.length + off) >> 8 & 0xff, (body.length + off) & 0xff), body)),
);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ k: fc.constant('hello' as const), h: helloArb }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('raw' as const), bytes: fc.oneof(fc.uint8Array({ maxLength: 50 }), fc.uint8Array({ minLength: 30, maxLength: 42 }).map((b) => { b[0] = 1; b[1] = 1; return b; })) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('again' as const), dt: fc.integer({ min: -5, max: 5 }) }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('advance' as const), ms: fc.oneof(
    fc.integer({ min: 0, max: 40_000 }), fc.constantFrom(HALF_OPEN_MS, UNKNOWN_TTL_MS, 2 * W_MS, 1),
    fc.integer({ min: 0, max: 700 }).map((x) => x * 1000), fc.integer({ min: 0, max: 700_000 }),
  ) }) },
  { weight: 1, arbitrary: fc.constant({ k: 'sweep' as const }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('finish' as const), which: fc.nat(), bytes: finishBytesArb }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('store' as const), down: fc.boolean() }) },
);
const randoms = [new Uint8Array(16).fill(0x11), new Uint8Array(16).fill(0x22), Uint8Array.from({ length: 16 }, (_, i) => i)];

function buildHello(h: HelloSpec, nowMs: number, ids: World['ids']): Uint8Array {
  const ts = Math.min(0xffffffff, Math.max(0, Math.floor(nowMs / 1000) + h.dt));
  const m = concatBytes(Uint8Array.of(h.type, h.version, h.suites.length & 0xff), Uint8Array.from(h.suites),
    typeof h.rnd === 'number' ? randoms[h.rnd]! : h.rnd, u32(ts), ids[h.id]!.id);
  if (!h.tail) return m;
  return 'cut' in h.tail ? m.subarray(0, h.tail.cut % m.length) : concatBytes(m, h.tail.add);
}

/** Checks the events of one step against the model's expectations, and the alerts each session got. */
function checkStep(events: ServerEvent[], expected: [ModelSession, number[]][], what: string): void {
  const got = events.filter((e) => e.type !== 'established');
  assert.equal(got.length, 2 * expected.length, `${what}: events ${JSON.stringify(got.map((e) => [e.type, e.session, 'code' in e ? e.code : '']))}, expected failures ${JSON.stringify(expected.map(([s, c]) => [s.sid, c]))}`);
  expected.forEach(([s, codes], i) => {
    const f = got[2 * i]!, c = got[2 * i + 1]!;
    assert.equal(f.type, 'failed', what);
    assert.equal(f.session, s.session.id, `${what}: failure of session ${f.session}, expected ${s.session.id}`);
    const code = (f as { code: number }).code;
    assert.ok(codes.includes(code), `${what}: session ${s.sid} failed with 0x${code.toString(16)} (${(f as { reason: string }).reason}), expected one of ${codes.map((x) => '0x' + x.toString(16))}`);
    assert.deepEqual(c, { type: 'closed', session: s.session.id }, what);
    const alert = s.sent.at(-1);
    if (code === Err.PEER_ALERT) assert.ok(alert === undefined || alert[0] !== MsgType.ALERT, `${what}: B answered an alert with an alert`);
    else assert.deepEqual([...alert!], [MsgType.ALERT, PRECISE.has(code) ? code : Err.HANDSHAKE_FAILED], `${what}: alert for 0x${code.toString(16)}`);
  });
}

test('property: any sequence of hellos (field-wise random, mutated, arbitrary bytes), garbage message 3s, clock moves and store outages: B answers each exactly as PROTOCOL.md says, with bounded state', async () => {
  const w = await getWorld();
  const verdicts = new Map(w.ids.map((x) => [hex(x.id), x.verdict]));
  await fc.assert(fc.asyncProperty(
    fc.record({
      maxHalfOpen: fc.integer({ min: 1, max: 4 }), replayCapacity: fc.integer({ min: 1, max: 6 }),
      policy: fc.constantFrom('evict-oldest' as const, 'refuse' as const), unknownIdCapacity: fc.integer({ min: 0, max: 3 }),
      start: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 999 })),
    }),
    fc.array(stepArb, { minLength: 1, maxLength: 40, size: 'max' }),
    async (cfg, steps) => {
      let nowMs = EPOCH * 1000 + cfg.start;
      const now = () => nowMs;
      const rig = makeServer(w.dep, { now, ...cfg });
      const model = new Model(now, cfg.maxHalfOpen, cfg.replayCapacity, cfg.policy, cfg.unknownIdCapacity, verdicts);
      const sessions: ModelSession[] = [];
      let last: HelloSpec | undefined;
      try {
        steps.forEach((step, i) => {
          const what = `step ${i} ${step.k}`;
          rig.events.length = 0;
          model.out = [];
          const expected: [ModelSession, number[]][] = [];
          if (step.k === 'advance') nowMs += step.ms;
          else if (step.k === 'store') { rig.sw.down = step.down; model.storeDown = step.down; }
          else if (step.k === 'sweep') {
            model.expire();
            rig.server.sweep();
          } else if (step.k === 'finish') {
            if (sessions.length === 0) return;
            const s = sessions[step.which % sessions.length]!;
            const before = s.state;
            s.session.receive(step.bytes);
            if (before !== 'closed') {
              const m = step.bytes;
              let codes: number[];
              if (m.length > 0 && m[0] === MsgType.ALERT) codes = [Err.PEER_ALERT];
              else {
                const v = finishVerdict(m, null);
                assert.notEqual(v, 'ok');
                codes = v as number[];
                if (nowMs > s.deadline) codes = [...codes, Err.TIMEOUT];
              }
              model.fail(s, codes[0]!); // the state change is the same for every acceptable code
              model.out.pop();
              expected.push([s, codes]);
            }
          } else {
            // 'again': the last hello once more (the same pair), with a fresh timestamp
            if (step.k === 'again' && !last) return;
            if (step.k === 'hello') last = step.h;
            const bytes = step.k === 'raw' ? step.bytes : buildHello(step.k === 'hello' ? step.h : { ...last!, dt: step.dt }, nowMs, w.ids);
            const s: ModelSession = { sid: sessions.length, session: undefined as unknown as ServerSession, sent: [], state: 'new', deadline: Infinity };
            s.session = rig.server.connect((m) => s.sent.push(Uint8Array.from(m)));
            sessions.push(s);
            s.session.receive(bytes);
            const v = model.hello(s, bytes);
            if (v === 'ok') {
              assert.equal(s.sent.length, 1, `${what}: no message 2`);
              const m2 = s.sent[0]!;
              assert.deepEqual([m2[0], m2[1], m2.length], [MsgType.RESPONSE, 0x01, 36 + w.dep.server.cert.length], `${what}: message 2`);
              assert.equal(hex(m2.subarray(20, 20 + w.dep.server.cert.length)), hex(w.dep.server.cert));
            } else {
              // the failures the model raised on its way (timeouts, evictions) come before this one
              s.state = 'closed';
              model.out.push([s, v[0]!]);
              for (const [x, c] of model.out.slice(0, -1)) expected.push([x, [c]]);
              expected.push([s, v]);
              model.out = [];
            }
          }
          for (const [x, c] of model.out) expected.push([x, [c]]);
          checkStep(rig.events, expected, what);
          assert.ok(!rig.events.some((e) => e.type === 'failed' && e.code === Err.HANDSHAKE_FAILED), `${what}: internal error path`);
          assert.equal(rig.server.halfOpenCount, model.halfOpen.length, `${what}: half-open count`);
          assert.ok(rig.server.halfOpenCount <= cfg.maxHalfOpen, `${what}: half-open bound`);
          assert.equal(rig.server.replayCount, model.replay.size, `${what}: replay cache size`);
          assert.equal(rig.server.stats.storeLookups, model.storeLookups, `${what}: store lookups`);
          assert.ok(rig.server.replayCount <= cfg.replayCapacity, `${what}: replay cache bound`);
          assert.ok(rig.server.unknownIdCount <= cfg.unknownIdCapacity, `${what}: negative cache bound`);
          for (const x of sessions) assert.equal(x.session.established, false);
        });
        rig.server.close();
        assert.equal(rig.server.halfOpenCount, 0);
        assert.equal(rig.server.replayCount, 0);
      } finally { rig.close(); }
    },
  ), fcParams(0x5e1, 150));
});

// ---------------------------------------------------------------- message 3 after a genuine message 2

type M3Mut =
  | { k: 'genuine' }
  | { k: 'flip'; bits: number[] }
  | { k: 'cut'; n: number }
  | { k: 'insert'; at: number; bytes: Uint8Array }
  | { k: 'delete'; at: number; n: number }
  | { k: 'field'; type?: number; mac?: Uint8Array; recLen?: number; body?: Uint8Array }
  | { k: 'record'; body: Uint8Array }
  | { k: 'raw'; bytes: Uint8Array }
  | { k: 'twice' };

const m3MutArb: fc.Arbitrary<M3Mut> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ k: 'genuine' as const }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('flip' as const), bits: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('cut' as const), n: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 5 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 5 }) }) },
  { weight: 3, arbitrary: fc.record({
    k: fc.constant('field' as const), type: byteArb, mac: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    recLen: fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 40 }), fc.constantFrom(527, 528, 529)),
    body: fc.uint8Array({ maxLength: 600, size: 'max' }),
  }, { requiredKeys: ['k'] }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('record' as const), body: fc.oneof(
    fc.uint8Array({ minLength: 16, maxLength: 40 }), fc.uint8Array({ minLength: 16, maxLength: 600, size: 'max' }),
    fc.constantFrom(527, 528, 529).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })), // MAX_APP + 16 = 528
  ) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('raw' as const), bytes: fc.uint8Array({ maxLength: 100 }) }) },
  { weight: 1, arbitrary: fc.constant({ k: 'twice' as const }) },
);

function mutate(m3: Uint8Array, mu: M3Mut): Uint8Array {
  switch (mu.k) {
    case 'genuine': return Uint8Array.from(m3);
    case 'flip': { const c = Uint8Array.from(m3); for (const b of mu.bits) { const x = b % (c.length * 8); c[x >> 3]! ^= 1 << (x & 7); } return c; }
    case 'cut': return m3.slice(0, mu.n % m3.length);
    case 'insert': { const at = mu.at % (m3.length + 1); return concatBytes(m3.subarray(0, at), mu.bytes, m3.subarray(at)); }
    case 'delete': { const at = mu.at % m3.length; return concatBytes(m3.subarray(0, at), m3.subarray(at + mu.n)); }
    case 'field': {
      const body = mu.body ?? m3.subarray(19);
      const recLen = mu.recLen ?? body.length;
      return concatBytes(Uint8Array.of(mu.type ?? m3[0]!), mu.mac ?? m3.subarray(1, 17), Uint8Array.of(recLen >> 8, recLen & 0xff), body);
    }
    case 'record': return concatBytes(m3.subarray(0, 17), Uint8Array.of(mu.body.length >> 8, mu.body.length & 0xff), mu.body);
    case 'raw': return Uint8Array.from(mu.bytes);
    case 'twice': return concatBytes(m3, m3);
  }
}

test('property: any message 3 after a genuine message 2: established only for the genuine bytes in time, else the code PROTOCOL.md names; nothing left half-open; a replay is refused', async () => {
  const w = await getWorld();
  await fc.assert(fc.asyncProperty(
    m3MutArb, fc.oneof(fc.constant(0), fc.integer({ min: 0, max: HALF_OPEN_MS }), fc.constant(HALF_OPEN_MS + 1), fc.integer({ min: HALF_OPEN_MS + 1, max: 10 * HALF_OPEN_MS })),
    async (mu, delay) => {
      let nowMs = EPOCH * 1000;
      const rig = makeServer(w.dep, { now: () => nowMs, random: () => Uint8Array.from(w.fixedB) });
      try {
        const sent: Uint8Array[] = [];
        const s = rig.server.connect((m) => sent.push(Uint8Array.from(m)));
        s.receive(w.m1);
        assert.equal(hex(sent[0]!), hex(w.m2), 'message 2 differs from the recorded one');
        assert.equal(rig.server.halfOpenCount, 1);
        assert.equal(rig.server.replayCount, 1);
        nowMs += delay;
        const m = mutate(w.m3, mu);
        s.receive(m);
        let want: number[] | 'ok';
        if (m.length > 0 && m[0] === MsgType.ALERT) want = [Err.PEER_ALERT];
        else {
          want = finishVerdict(m, w.m3);
          if (delay > HALF_OPEN_MS) want = want === 'ok' ? [Err.TIMEOUT] : [...want, Err.TIMEOUT];
        }
        const failed = rig.events.filter((e) => e.type === 'failed') as { code: number; reason: string }[];
        if (want === 'ok') {
          assert.deepEqual(failed, [], 'the genuine message 3 failed');
          assert.equal(s.established, true);
          assert.equal(rig.events.filter((e) => e.type === 'established').length, 1);
          assert.equal(sent.length, 2, 'the application echo');
          assert.equal(rig.server.replayCount, 1, 'a completed handshake keeps its pair');
          // the same message 3 again, into the established session: a wrong message type there
          s.receive(w.m3);
          assert.deepEqual(failed.length, 0);
          const again = rig.events.filter((e) => e.type === 'failed') as { code: number }[];
          assert.deepEqual(again.map((e) => e.code), [Err.UNEXPECTED]);
          assert.deepEqual([...sent.at(-1)!], [MsgType.ALERT, Err.UNEXPECTED]);
        } else {
          assert.equal(s.established, false, `mutated message 3 (${mu.k}) established a session`);
          assert.equal(failed.length, 1, `events ${JSON.stringify(rig.events)}`);
          assert.ok(want.includes(failed[0]!.code), `${mu.k}: code 0x${failed[0]!.code.toString(16)} (${failed[0]!.reason}), expected ${want.map((c) => '0x' + c.toString(16))}`);
          const code = failed[0]!.code;
          if (code === Err.PEER_ALERT) assert.equal(sent.length, 1, 'an alert answered with an alert');
          else assert.deepEqual([...sent.at(-1)!], [MsgType.ALERT, PRECISE.has(code) ? code : Err.HANDSHAKE_FAILED]);
          assert.equal(rig.server.replayCount, 0, 'a failed handshake gives its pair back');
          // closed: the genuine message 3 now does nothing at all
          const n = rig.events.length;
          s.receive(w.m3);
          assert.equal(rig.events.length, n);
          assert.equal(s.established, false);
        }
        assert.equal(rig.server.halfOpenCount, 0, 'left half-open');
      } finally { rig.close(); }
    },
  ), fcParams(0x3f1, 300));
});

test('property: the genuine message 3 replayed into a new session (any other random_B) fails with ERR_MAC_A; before any hello, ERR_UNEXPECTED', async () => {
  const w = await getWorld();
  await fc.assert(fc.asyncProperty(
    fc.uint8Array({ minLength: 16, maxLength: 16 }).filter((b) => hex(b) !== hex(w.fixedB)), fc.integer({ min: 0, max: HALF_OPEN_MS }),
    async (randomB, delay) => {
      let nowMs = EPOCH * 1000;
      const rig = makeServer(w.dep, { now: () => nowMs, random: () => Uint8Array.from(randomB) });
      try {
        const early = rig.server.connect(() => {});
        early.receive(w.m3);
        const sent: Uint8Array[] = [];
        const s = rig.server.connect((m) => sent.push(Uint8Array.from(m)));
        s.receive(w.m1);
        assert.equal(sent[0]![0], MsgType.RESPONSE);
        nowMs += delay;
        s.receive(w.m3);
        const codes = rig.events.filter((e) => e.type === 'failed').map((e) => (e as { code: number }).code);
        assert.deepEqual(codes, [Err.UNEXPECTED, Err.MAC_A]);
        assert.equal(s.established, false);
        assert.equal(rig.server.halfOpenCount, 0);
      } finally { rig.close(); }
    },
  ), fcParams(0x4e9, 100));
});

after(async () => { if (world) (await world).dep.close(); });
