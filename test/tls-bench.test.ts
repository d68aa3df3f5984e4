// TLS baseline (host/bench/tls.ts): real node:tls exchanges with mutual authentication, recorded
// on the wire, and replayed on the emulated gsm link.
import test from 'node:test';
import assert from 'node:assert/strict';
import { linkTime, recordTlsExchange, withoutCaCert, type TlsKeyType, type TlsTranscript, type TlsVersion } from '../host/bench/tls.js';
import { PROFILES } from '../host/link/profiles.js';

const APP = new TextEncoder().encode('ping');
const COMBOS: [TlsVersion, TlsKeyType][] = [['TLSv1.3', 'p256'], ['TLSv1.3', 'ed25519'], ['TLSv1.2', 'p256'], ['TLSv1.2', 'ed25519']];
const transcripts = new Map<string, TlsTranscript>();
const key = (v: TlsVersion, k: TlsKeyType) => `${v}/${k}`;
const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
const gsm = PROFILES.gsm;

/** Time on gsm when flights strictly alternate: every byte serialised once, one latency each. */
const expectedGsm = (flightBytes: number[]) => (sum(flightBytes) * 8 / gsm.bitRate) * 1000 + flightBytes.length * gsm.latencyMs;

test('record the four exchanges', async () => {
  for (const [version, keyType] of COMBOS) {
    transcripts.set(key(version, keyType), await recordTlsExchange({ version, keyType, appData: APP }));
  }
});

for (const [version, keyType] of COMBOS) {
  const name = `${version} ${keyType}`;
  const get = () => {
    const t = transcripts.get(key(version, keyType));
    assert.ok(t, 'exchange not recorded');
    return t;
  };

  test(`${name}: mutual authentication completes`, () => {
    const t = get();
    assert.equal(t.protocol, version === 'TLSv1.3' ? 'TLS 1.3' : 'TLS 1.2');
    assert.equal(t.keyType, keyType);
    assert.equal(t.clientAuthorized, true, 'B verified A’s certificate');
    assert.equal(t.clientCertSubject, 'a.airshake');
    assert.equal(t.serverAuthorized, true, 'A verified B’s certificate');
    assert.match(t.cipher, /CHACHA20_POLY1305/);
    if (version === 'TLSv1.2') assert.match(t.cipher, /^TLS_ECDHE_ECDSA_/);
    for (const n of Object.values(t.certBytes)) assert.ok(n > 250 && n < 600, `certificate size ${n}`);
  });

  test(`${name}: no session tickets, nothing from B after the handshake`, () => {
    const t = get();
    assert.equal(t.ticketsDisabled, true);
    assert.equal(t.newSessionTickets, 0);
    assert.equal(t.serverBytesAfterHandshake, 0);
    // B's last write precedes A's application write, and A's app write is the last one recorded.
    const last = t.writes[t.writes.length - 1]!;
    assert.deepEqual([last.from, last.kind], ['A', 'app']);
    assert.equal(t.writes.filter((w) => w.kind === 'app').length, 1);
    assert.ok(t.writes.every((w) => w.kind === 'handshake' || w.from === 'A'));
    if (version === 'TLSv1.2') assert.ok(!t.plaintextHandshake.some((m) => m.type === 4), 'no NewSessionTicket');
  });

  test(`${name}: record layer and byte accounting`, () => {
    const t = get();
    const app = t.records.filter((r) => r.kind === 'app');
    assert.equal(app.length, 1);
    assert.equal(app[0]!.type, 23);
    // ChaCha20-Poly1305: 5-byte header, data, (TLS 1.3) inner type byte, 16-byte tag.
    assert.equal(app[0]!.bytes, 5 + APP.length + (version === 'TLSv1.3' ? 1 : 0) + 16);
    assert.equal(t.appRecordBytes, app[0]!.bytes);
    assert.equal(sum(t.records.map((r) => r.bytes)), t.bytesAtoB + t.bytesBtoA);
    assert.equal(sum(t.writes.map((w) => w.bytes)), t.bytesAtoB + t.bytesBtoA);
    assert.equal(t.bytesBeforeFirstAppByte, t.bytesAtoB + t.bytesBtoA - t.appRecordBytes + 5);
    assert.equal(t.bytesBeforeFirstAppByte, t.handshakeBytes.AtoB + t.handshakeBytes.BtoA + 5);
    assert.equal(sum(t.flights.map((f) => f.bytes)), t.bytesAtoB + t.bytesBtoA);
    for (let i = 1; i < t.flights.length; i++) assert.notEqual(t.flights[i]!.from, t.flights[i - 1]!.from);
    // Node's OpenSSL appends the CA to each chain (see host/bench/tls.ts); TLS 1.2 shows it in clear.
    assert.equal(t.config.chain, 'leaf+ca');
    if (version === 'TLSv1.2') {
      const certs = t.plaintextHandshake.filter((m) => m.type === 11);
      assert.deepEqual(certs.map((m) => [m.from, m.certs]), [['A', 2], ['B', 2]]);
    }
  });

  test(`${name}: flights`, () => {
    const t = get();
    assert.equal(t.flights[0]!.from, 'A');
    if (version === 'TLSv1.3') {
      // ClientHello / ServerHello..Finished / client Certificate..Finished + application data.
      assert.deepEqual(t.flights.map((f) => f.from), ['A', 'B', 'A']);
    } else {
      assert.ok(t.flights.length >= 4);
      assert.equal(t.flights[t.flights.length - 1]!.bytes, t.appRecordBytes, 'app data is a flight of its own');
    }
    if (version === 'TLSv1.3' && keyType === 'p256') assert.ok(t.bytesBeforeFirstAppByte > 1000);
  });

  test(`${name}: link time on gsm`, () => {
    const t = get();
    const r = linkTime(t, gsm);
    assert.equal(r.flights, t.flights.length);
    assert.equal(r.flights, version === 'TLSv1.3' ? 3 : 5);
    assert.ok(Math.abs(r.timeToFirstAppDataMs - expectedGsm(t.flights.map((f) => f.bytes))) < 1e-6);
    assert.ok(r.timeToFirstAppDataMs > 1500 && r.timeToFirstAppDataMs < 6000, `${r.timeToFirstAppDataMs} ms`);
  });

  test(`${name}: leaf-only chain (derived)`, () => {
    const t = get();
    const d = withoutCaCert(t);
    const entry = t.certBytes.ca + (version === 'TLSv1.3' ? 5 : 3);
    assert.equal(d.config.chain, 'leaf');
    assert.equal(d.derived, 'ca-cert-removed');
    assert.equal(d.bytesBeforeFirstAppByte, t.bytesBeforeFirstAppByte - 2 * entry);
    assert.equal(d.bytesAtoB, t.bytesAtoB - entry);
    assert.equal(d.bytesBtoA, t.bytesBtoA - entry);
    assert.equal(sum(d.writes.map((w) => w.bytes)), d.bytesAtoB + d.bytesBtoA);
    assert.equal(sum(d.records.map((r) => r.bytes)), d.bytesAtoB + d.bytesBtoA);
    assert.equal(d.flights.length, t.flights.length);
    if (version === 'TLSv1.2') assert.deepEqual(d.plaintextHandshake.filter((m) => m.type === 11).map((m) => m.certs), [1, 1]);
    const r = linkTime(d, gsm);
    assert.ok(Math.abs(r.timeToFirstAppDataMs - (linkTime(t, gsm).timeToFirstAppDataMs - (2 * entry * 8 / gsm.bitRate) * 1000)) < 1e-6);
    assert.equal(withoutCaCert(d), d);
  });
}

test('linkTime: synthetic transcript', () => {
  const t = {
    writes: [
      { from: 'A', bytes: 100, kind: 'handshake' },
      { from: 'B', bytes: 150, kind: 'handshake' },
      { from: 'B', bytes: 50, kind: 'handshake' },
      { from: 'A', bytes: 50, kind: 'handshake' },
      { from: 'A', bytes: 30, kind: 'app' },
    ],
  } as unknown as TlsTranscript;
  assert.deepEqual(linkTime(t, gsm), { timeToFirstAppDataMs: expectedGsm([100, 200, 80]), flights: 3 });
  // Fragmentation by the MTU does not change the time (serialisation is per byte, FIFO).
  assert.deepEqual(linkTime(t, { ...gsm, mtu: 64 }).timeToFirstAppDataMs, expectedGsm([100, 200, 80]));
  assert.throws(() => linkTime({ writes: [{ from: 'A', bytes: 1, kind: 'handshake' }] } as unknown as TlsTranscript, gsm), /no application write/);
});

test('summary table', () => {
  const rows = [];
  for (const [version, keyType] of COMBOS) {
    const t = transcripts.get(key(version, keyType));
    if (!t) continue;
    for (const x of [t, withoutCaCert(t)]) {
      const r = linkTime(x, gsm);
      rows.push({
        protocol: x.protocol,
        key: keyType,
        chain: x.config.chain + (x.derived ? ' (derived)' : ''),
        'hs A→B': x.handshakeBytes.AtoB,
        'hs B→A': x.handshakeBytes.BtoA,
        'before 1st app byte': x.bytesBeforeFirstAppByte,
        flights: r.flights,
        'gsm ms': Math.round(r.timeToFirstAppDataMs * 10) / 10,
      });
    }
  }
  console.log(`TLS with mutual authentication, ${APP.length}-byte application data, tickets off, ${gsm.name} ${gsm.bitRate} bit/s ${gsm.latencyMs} ms:`);
  console.table(rows);
  assert.equal(rows.length, 8);
});
