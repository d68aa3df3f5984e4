// Protocol comparison bench (host/bench/protocol.ts) on the gsm link: airshake against recorded
// TLS 1.3/1.2 mutual-auth exchanges and the EDHOC reference rows.
import test from 'node:test';
import assert from 'node:assert/strict';
import { AIRSHAKE_PROTOCOL, AIRSHAKE_PROTOCOL_FS, AIRSHAKE_PROTOCOL_FS_CACHED, AIRSHAKE_PROTOCOL_KT, AIRSHAKE_PROTOCOL_SUITE2, checkSvg, renderSvg, renderTable, runProtocolBench, type ProtocolBenchResult, type ProtocolRow } from '../host/bench/protocol.js';

let result: ProtocolBenchResult | undefined;
const rows = (): ProtocolRow[] => { assert.ok(result, 'bench did not run'); return result.rows; };
const row = (protocol: string) => { const r = rows().find((x) => x.protocol === protocol); assert.ok(r, `no row ${protocol}`); return r; };
const TLS13 = ['TLS 1.3 mutual auth (P-256)', 'TLS 1.3 mutual auth (Ed25519)'];
const TLS12 = ['TLS 1.2 mutual auth (P-256)', 'TLS 1.2 mutual auth (Ed25519)'];

test('run the protocol bench on gsm', { timeout: 60_000 }, async () => {
  result = await runProtocolBench({ links: ['gsm'], throughput: false });
  assert.equal(result.throughput, undefined);
  assert.ok(rows().every((r) => r.link === 'gsm'));
  assert.equal(rows().length, 11);
});

test('airshake: 3 flights, at most 400 bytes and 1250 ms before the first application data', () => {
  const a = row(AIRSHAKE_PROTOCOL);
  assert.equal(a.flights, 3);
  assert.ok(a.bytesBeforeFirstAppByte <= 400, `${a.bytesBeforeFirstAppByte} bytes`);
  assert.ok(a.timeToFirstAppDataMs <= 1250, `${a.timeToFirstAppDataMs} ms`);
  assert.equal(a.bytesAtoB + a.bytesBtoA > a.bytesBeforeFirstAppByte, true, 'message 3 carries the application record');
  assert.equal(a.reference, undefined);
});

test('airshake suite 2 (P-256): 3 flights, suite 2 chosen from an offer of two; its certificates and points are larger, its tag shorter', () => {
  const a = row(AIRSHAKE_PROTOCOL), b = row(AIRSHAKE_PROTOCOL_SUITE2);
  assert.equal(b.flights, 3);
  assert.match(b.notes ?? '', /^P256-ECDSA-AES128CCM8-SHA256; A offers suites 2, 1/);
  // message 1 lists one more suite; C_B carries a 65-byte point and a DER ECDSA signature
  assert.equal(b.bytesAtoB - a.bytesAtoB, 1 - 8, 'A to B: one more suite in message 1, an 8-byte shorter tag in message 3');
  assert.ok(b.bytesBtoA > a.bytesBtoA, `C_B with P-256: ${b.bytesBtoA} vs ${a.bytesBtoA} bytes`);
  assert.ok(b.timeToFirstAppDataMs > a.timeToFirstAppDataMs);
  const tls13p256 = row('TLS 1.3 mutual auth (P-256)');
  assert.ok(b.bytesBeforeFirstAppByte < tls13p256.bytesBeforeFirstAppByte && b.timeToFirstAppDataMs < tls13p256.timeToFirstAppDataMs);
});

test('airshake suite 3: forward secret in three flights; with C_B by reference at most 95 bytes before the first application byte, fewer than EDHOC method 3', () => {
  const fs = row(AIRSHAKE_PROTOCOL_FS), cached = row(AIRSHAKE_PROTOCOL_FS_CACHED);
  const edhoc3 = rows().find((r) => r.protocol.startsWith('EDHOC method 3'))!;
  for (const r of [fs, cached]) { assert.equal(r.flights, 3); assert.match(r.notes ?? '', /^X25519E-Ed25519-ChaCha20Poly1305-SHA256;/); }
  assert.ok(cached.bytesBeforeFirstAppByte <= 95, `${cached.bytesBeforeFirstAppByte} bytes`);
  assert.ok(cached.bytesBeforeFirstAppByte < edhoc3.bytesBeforeFirstAppByte);
  assert.ok(cached.timeToFirstAppDataMs < row(AIRSHAKE_PROTOCOL).timeToFirstAppDataMs);
  assert.ok(fs.bytesBeforeFirstAppByte > cached.bytesBeforeFirstAppByte + 200, 'the encrypted C_B');
});

test('airshake suite 4: message 2 carries 80 more bytes than suite 1\'s (E_B and the sealed pre-master secret)', () => {
  const kt = row(AIRSHAKE_PROTOCOL_KT), s1 = row(AIRSHAKE_PROTOCOL);
  assert.match(kt.notes ?? '', /^X25519KT-Ed25519-ChaCha20Poly1305-SHA256; A offers suites 4, 1/);
  assert.equal(kt.bytesBtoA - s1.bytesBtoA, 80);
  assert.equal(kt.bytesAtoB - s1.bytesAtoB, 1, 'one more suite offered');
});

test('TLS 1.3 needs more bytes and more time than airshake (as sent and leaf-only)', () => {
  const a = row(AIRSHAKE_PROTOCOL);
  for (const p of TLS13) {
    const t = row(p);
    assert.ok(t.bytesBeforeFirstAppByte > a.bytesBeforeFirstAppByte, `${p}: ${t.bytesBeforeFirstAppByte} bytes`);
    assert.ok(t.timeToFirstAppDataMs > a.timeToFirstAppDataMs, `${p}: ${t.timeToFirstAppDataMs} ms`);
    assert.ok(t.leafOnly, `${p}: leafOnly`);
    assert.ok(t.leafOnly.bytesBeforeFirstAppByte < t.bytesBeforeFirstAppByte);
    assert.ok(t.leafOnly.bytesBeforeFirstAppByte > a.bytesBeforeFirstAppByte);
    assert.ok(t.leafOnly.timeToFirstAppDataMs > a.timeToFirstAppDataMs);
    assert.match(t.notes ?? '', /session tickets off/);
  }
});

test('TLS 1.2 takes more flights than TLS 1.3', () => {
  const most13 = Math.max(...TLS13.map((p) => row(p).flights));
  for (const p of TLS12) assert.ok(row(p).flights > most13, `${p}: ${row(p).flights} flights vs ${most13}`);
});

test('EDHOC rows are marked reference, with their sources and sizes', () => {
  const e = rows().filter((r) => r.protocol.startsWith('EDHOC'));
  assert.equal(e.length, 2);
  for (const r of e) {
    assert.equal(r.reference, true);
    assert.ok(r.source && r.source.length > 0);
    assert.equal(r.flights, 3);
    assert.equal(r.bytesBeforeFirstAppByte, r.bytesAtoB + r.bytesBtoA);
  }
  assert.deepEqual(e.map((r) => r.bytesBeforeFirstAppByte).sort((x, y) => x - y), [101, 243]);
  assert.ok(rows().filter((r) => !r.protocol.startsWith('EDHOC')).every((r) => r.reference === undefined));
});

test('table and chart render', () => {
  const table = renderTable(rows());
  assert.match(table, /link gsm/);
  for (const r of rows()) assert.ok(table.includes(r.protocol));
  const svg = renderSvg(rows());
  assert.deepEqual(checkSvg(svg), []);
  assert.match(svg, /width="1100" height="440"/);
  // every protocol of the table has its bar on the link (one <rect> with a <title> per bar)
  for (const r of rows()) assert.ok(svg.includes(`<title>${r.protocol.replace(/&/g, '&amp;')} on gsm:`), `no bar for ${r.protocol}`);
});

// Server throughput over loopback (host/bench/throughput.ts), on a small scale: both servers in
// their own processes, every handshake must succeed, the airshake ones on B's cache, the TLS ones
// full (no resumption); the per-core figure is handshakes over the server's own CPU time. Rates
// are measured figures, not asserted.
test('throughput over loopback: airshake serve (cache hits) and a node:tls TLS 1.3 server, per server CPU second', { timeout: 120_000 }, async () => {
  const { measureAirshakeLoopback, measureTls13Loopback, processCpuMs } = await import('../host/bench/throughput.js');
  const busy = processCpuMs(process.pid);
  const until = performance.now() + 50; while (performance.now() < until) { /* spin */ }
  assert.ok(processCpuMs(process.pid) > busy, 'the /proc CPU reading moves with work');
  const a = await measureAirshakeLoopback({ n: 30, handsets: 3, concurrency: 2 });
  assert.equal(a.handshakes, 30);
  assert.equal(a.storeLookups, 3, 'each handset looked up once, in the warm-up');
  assert.equal(a.cacheHits, a.handshakes + a.warmup - 3, 'every other handshake was a cache hit');
  assert.ok(a.serverCpuMs > 0 && a.perCorePerSec > 0 && a.wallPerSec > 0);
  const t = await measureTls13Loopback({ n: 30, warmup: 5, concurrency: 2 });
  assert.equal(t.protocol, 'TLSv1.3');
  assert.equal(t.sessionsReused, 0);
  assert.ok(t.serverCpuMs > 0 && t.perCorePerSec > 0);
});
