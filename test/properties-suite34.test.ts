// Property tests (fast-check) of the forward-secret firmware's message-2 processing, suites 3
// and 4 (docs/PROTOCOL.md "Suite 3", "Suite 4"), and of server B's HELLO_E decoding: any
// message 2 derived from the trace's (bit flips, byte edits, cuts, extensions, spliced garbage,
// arbitrary bytes) never traps the module and ends either established (only for the genuine
// bytes) or FAILED with a documented code and the alert in OUT; any HELLO_E-typed message ends
// at B with a documented code or message 2, never an internal error.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { fcParams } from './support/fc.js';
import { Handset, HandsetState } from '../host/handset.js';
import { TRACE_INPUTS as S1, TRACE_TIME, traceCertificates } from '../host/trace/suite1.js';
import { TRACE3_INPUTS } from '../host/trace/suite3.js';
import { TRACE4_INPUTS } from '../host/trace/suite4.js';
import { SqliteCertStore } from '../host/store/sqlite.js';
import { AirshakeServer, type ServerEvent } from '../host/server/server.js';
import { Err, MsgType } from '../host/protocol/constants.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (f: string) => JSON.parse(readFileSync(path.join(root, f), 'utf8'));
const t1 = read('test/vectors/trace-suite1.json'), t3 = read('test/vectors/trace-suite3.json'), t4 = read('test/vectors/trace-suite4.json');
const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const CODES = new Set<number>(Object.values(Err).filter((c) => c !== Err.OK));

/** A message derived from `base`: edits that keep most of its structure, or arbitrary bytes. */
const mutated = (base: Uint8Array): fc.Arbitrary<Uint8Array> => fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.tuple(fc.nat(base.length * 8 - 1)), { minLength: 1, maxLength: 4 }).map((bits) => { const x = new Uint8Array(base); for (const [b] of bits) x[b >> 3]! ^= 1 << (b & 7); return x; }) },
  { weight: 3, arbitrary: fc.tuple(fc.nat(base.length - 1), fc.uint8Array({ minLength: 1, maxLength: 40 })).map(([at, bytes]) => { const x = new Uint8Array(base); x.set(bytes.subarray(0, x.length - at), at); return x; }) },
  { weight: 2, arbitrary: fc.nat(base.length).map((n) => base.slice(0, n)) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 40 }).map((tail) => new Uint8Array([...base, ...tail])) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 700 }) },
);

/** Codes A can only raise before it decrypts suite 3's CIPHERTEXT_2: their alerts always name them. */
const BEFORE_DECRYPTION = new Set<number>([Err.UNEXPECTED, Err.SUITE_NOT_OFFERED, Err.STATE, Err.RECORD_OVERFLOW, Err.PEER_ALERT]);

/**
 * quiet: suite 3, where a failure inside a decrypted CIPHERTEXT_2 holding C_B (before MAC_B)
 * sends the generic alert ERR_HANDSHAKE_FAILED while error() keeps the precise code.
 */
function checkOutcome(h: Handset, run: () => Uint8Array, genuine: boolean, what: string, quiet = false): void {
  let out: Uint8Array | undefined, err: unknown;
  try { out = run(); } catch (e) { err = e; }
  if (err !== undefined) {
    const code = (err as { code?: number }).code;
    assert.ok(typeof code === 'number' && CODES.has(code), `${what}: not a HandshakeError with a documented code: ${String(err)}`);
    assert.ok(!genuine, `${what}: the genuine message 2 was refused with ${code}`);
    assert.equal(h.state, HandsetState.FAILED);
    assert.equal(h.error, code);
    const alert = (err as { alert?: Uint8Array }).alert;
    if (code !== Err.PEER_ALERT) {
      if (quiet && alert![1] === Err.HANDSHAKE_FAILED) assert.ok(!BEFORE_DECRYPTION.has(code), `${what}: a check before the decryption (${code}) sent the generic alert`);
      else assert.deepEqual([...alert!], [MsgType.ALERT, code]);
    }
  } else {
    assert.ok(genuine, `${what}: a mutated message 2 was accepted`);
    assert.equal(h.state, HandsetState.ESTABLISHED);
    assert.ok(out!.length > 0);
  }
}

test('property: suite 3 at A, any message 2 (C_B sent, and by reference): a documented code, or established only for the genuine bytes; never a trap', async () => {
  let rnd = TRACE3_INPUTS.ephemeralA;
  const h = await Handset.load({ build: 'fs', random: (b) => b.set(rnd.subarray(0, b.length)) });
  const ca = unhex(t1.certificates.caPublicKey), cB = unhex(t1.certificates.server);
  for (const c of ['full', 'byReference'] as const) {
    const genuine = unhex(t3[c].messages.m2);
    await fc.assert(fc.asyncProperty(mutated(genuine), async (m2) => {
      h.provision(S1.handsetKey, ca, S1.serverName);
      if (c === 'byReference') h.cacheServer(cB, TRACE_TIME);
      rnd = TRACE3_INPUTS.ephemeralA;
      h.startFs(TRACE_TIME);
      const isGenuine = Buffer.from(m2).equals(Buffer.from(genuine));
      checkOutcome(h, () => h.finish(m2, TRACE_TIME, TRACE3_INPUTS.appData), isGenuine, `suite 3 ${c}`, true);
    }), fcParams(3301 + (c === 'full' ? 0 : 1), 800));
  }
});

test('property: suite 4 at A, any message 2: a documented code, or established only for the genuine bytes; never a trap', async () => {
  const h = await Handset.load({ build: 'fs', random: (b) => b.set(S1.randomA.subarray(0, b.length)) });
  const genuine = unhex(t4.messages.m2);
  await fc.assert(fc.asyncProperty(mutated(genuine), async (m2) => {
    h.provision(S1.handsetKey, unhex(t1.certificates.caPublicKey), S1.serverName);
    h.offer(TRACE4_INPUTS.offer);
    h.start(TRACE_TIME);
    checkOutcome(h, () => h.finish(m2, TRACE_TIME, TRACE4_INPUTS.appData), Buffer.from(m2).equals(Buffer.from(genuine)), 'suite 4');
  }), fcParams(3401, 800));
});

test('property: B on any HELLO_E-typed message 1: message 2 or a documented code in its event and alert; never an internal error', async () => {
  const { ca, handset, server } = traceCertificates();
  const store = SqliteCertStore.open(':memory:');
  store.enrol(handset.cert, TRACE_TIME);
  const events: ServerEvent[] = [];
  const b = new AirshakeServer({
    store, caPublicKey: ca.publicKey, certificate: server.cert, privateKey: server.privateKey,
    now: () => TRACE_TIME * 1000, onEvent: (e) => events.push(e), halfOpenTimeoutMs: 1, maxHalfOpen: 64,
  });
  try {
    const base = unhex(t3.byReference.messages.m1);
    await fc.assert(fc.property(mutated(base).map((m) => (m.length ? (m[0] = MsgType.HELLO_E, m) : m)), (m1) => {
      events.length = 0;
      const out: Uint8Array[] = [];
      const s = b.connect((m) => out.push(m));
      s.receive(m1);
      assert.equal(out.length, 1, 'exactly one answer');
      const failed = events.find((e) => e.type === 'failed') as { code: number; reason: string } | undefined;
      if (failed) {
        assert.ok(CODES.has(failed.code) && failed.code !== Err.HANDSHAKE_FAILED, `internal or undocumented: ${failed.code} ${failed.reason}`);
        assert.equal(out[0]![0], MsgType.ALERT);
      } else {
        assert.equal(out[0]![0], MsgType.RESPONSE_E);
      }
      s.close();
      b.sweep();
    }), fcParams(3501, 1000));
  } finally { b.close(); store.close(); }
});
