/**
 * `npm run bench`: airshake against TLS with mutual authentication and EDHOC, on every emulated
 * link profile, plus server handshake throughput.
 *
 *   node dist/host/bench/protocol.js [--link NAME] [--json] [--throughput]
 *
 * Rows per link profile:
 * - `airshake suite 1`: the firmware handset (build/handset.wasm) against server B over the
 *   emulated link (host/sim/run.ts), 23 bytes of application data in message 3. Bytes and time
 *   count up to and including message 3 (B's echo is not counted).
 * - `airshake suite 2 (P-256)`: the same with the dual firmware (build/handset-dual.wasm)
 *   offering suites 2 and 1, and B preferring 2 (host/sim/suites.ts).
 * - `airshake suite 3 (forward secret)` and `airshake suite 3, C_B by reference`: the
 *   forward-secret firmware (build/handset-fs.wasm), with B's certificate sent encrypted, and
 *   held by A (provisioned with cacheServer) and named by reference.
 * - `airshake suite 4 (key transport)`: the same firmware's classic hello offering suites 4 and
 *   1, B preferring 4 (the pre-master secret sealed to A's key in message 2).
 * - `TLS 1.3/1.2 mutual auth (P-256/Ed25519)`: real node:tls exchanges recorded once each by
 *   host/bench/tls.ts (the transcripts do not depend on the link) and replayed on each profile by
 *   linkTime(). Session tickets are off. As sent, each Certificate message carries the leaf and
 *   the CA certificate; `leafOnly` gives the figures derived by withoutCaCert() for leaf-only
 *   chains.
 * - EDHOC reference rows: not measured. Message sizes from their sources; the time is the same
 *   link model applied to three alternating flights of those sizes (arrival of message 3).
 *
 * Throughput (`--throughput`, and in every full run): handshakes per second per core of
 * `airshake serve` (cache hits) and of a node:tls TLS 1.3 mutual-auth server, each in its own
 * process over loopback TCP with the clients in this one, counted against the server process's
 * CPU time (host/bench/throughput.ts); and server B's protocol work alone, in process.
 *
 * A full run (no --link) also writes docs/bench/protocol.json and
 * docs/bench-time-to-first-app-data.svg. `--json` prints the array of rows; with --throughput it
 * prints `{ rows, throughput }`.
 */
import crypto from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Handset } from '../handset.js';
import { measureAirshakeLoopback, measureTls13Loopback, type AirshakeLoopback, type TlsLoopback } from './throughput.js';
import { VirtualClock } from '../link/clock.js';
import { PROFILE_NAMES, getProfile, type LinkProfile } from '../link/profiles.js';
import { SUITE_NAMES } from '../protocol/constants.js';
import { createDeployment } from '../sim/deployment.js';
import { loadHandset, provisionHandset, startFor, suiteSetup } from '../sim/suites.js';
import { runHandshake } from '../sim/run.js';
import {
  linkTime, recordTlsExchange, withoutCaCert,
  type TlsKeyType, type TlsTranscript, type TlsVersion,
} from './tls.js';

export const APP_DATA_TEXT = 'hello from handset-0001';

export interface ProtocolRow {
  protocol: string;
  link: string;
  /** Bytes A → B up to and including the flight that carries A's first application data. */
  bytesAtoB: number;
  bytesBtoA: number;
  /** Flights up to and including the one that carries (or, for EDHOC, would carry) the first application data. */
  flights: number;
  bytesBeforeFirstAppByte: number;
  /** Virtual time at which B holds A's first application data (link time only). */
  timeToFirstAppDataMs: number;
  /** Not measured here: sizes taken from `source`. */
  reference?: boolean;
  source?: string;
  /** TLS only: the same exchange with leaf-only certificate chains (derived by withoutCaCert). */
  leafOnly?: { bytesBeforeFirstAppByte: number; timeToFirstAppDataMs: number; bytesAtoB: number; bytesBtoA: number };
  notes?: string;
}

export interface ThroughputResult {
  /** Per core, over loopback: airshake serve's handshakes per CPU second (host/bench/throughput.ts). */
  airshakeServerHandshakesPerSec: number;
  /** Per core, over loopback: the node:tls TLS 1.3 server's handshakes per CPU second. */
  tls13ServerHandshakesPerSec: number;
  /** Server B's protocol work alone, in process, pre-generated client messages (measureAirshakeServer). */
  airshakeInProcessHandshakesPerSec: number;
  notes: string;
  airshake: AirshakeLoopback;
  tls13: TlsLoopback;
  airshakeInProcess: { handshakes: number; rounds: number; msPerRound: number[]; medianMs: number; handsets: number; cacheHits: number; storeLookups: number; established: number };
}

export interface ProtocolBenchResult {
  generatedAt: string;
  node: string;
  openssl: string;
  appData: string;
  links: { name: string; bitRate: number; latencyMs: number; mtu: number }[];
  notes: string[];
  tls: { protocol: string; keyType: TlsKeyType; cipher: string; config: TlsTranscript['config']; certBytes: TlsTranscript['certBytes']; ticketsDisabled: true; newSessionTickets: number }[];
  rows: ProtocolRow[];
  throughput?: ThroughputResult;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

const TLS_CONFIGS: { version: TlsVersion; keyType: TlsKeyType; protocol: string }[] = [
  { version: 'TLSv1.3', keyType: 'p256', protocol: 'TLS 1.3 mutual auth (P-256)' },
  { version: 'TLSv1.3', keyType: 'ed25519', protocol: 'TLS 1.3 mutual auth (Ed25519)' },
  { version: 'TLSv1.2', keyType: 'p256', protocol: 'TLS 1.2 mutual auth (P-256)' },
  { version: 'TLSv1.2', keyType: 'ed25519', protocol: 'TLS 1.2 mutual auth (Ed25519)' },
];

export const AIRSHAKE_PROTOCOL = 'airshake suite 1';
export const AIRSHAKE_PROTOCOL_SUITE2 = 'airshake suite 2 (P-256)';
export const AIRSHAKE_PROTOCOL_FS = 'airshake suite 3 (forward secret)';
export const AIRSHAKE_PROTOCOL_FS_CACHED = 'airshake suite 3, C_B by reference';
export const AIRSHAKE_PROTOCOL_KT = 'airshake suite 4 (key transport)';

export const EDHOC_REFERENCES: { protocol: string; messages: [number, number, number]; source: string; notes: string }[] = [
  {
    protocol: 'EDHOC RFC 9529 trace 1 (method 0, certs by hash)',
    messages: [37, 116, 90],
    source: 'RFC 9529 (Traces of EDHOC), Section 2, trace 1: method 0 (signature keys), X.509 certificates identified by hash (x5t); message_1 37, message_2 116, message_3 90 bytes',
    notes: 'reference, not measured: EDHOC message sizes only (no transport framing); time = arrival of message 3 on the same link model; message_4 is optional and not counted',
  },
  {
    protocol: 'EDHOC method 3 with key identifiers (draft-ietf-iotops-security-protocol-comparison)',
    messages: [37, 45, 19],
    source: 'draft-ietf-iotops-security-protocol-comparison: EDHOC method 3 (static DH keys), credentials by key identifier; message_1 37, message_2 45, message_3 19 bytes, 101 in all',
    notes: 'reference, not measured: EDHOC message sizes only (no transport framing); time = arrival of message 3 on the same link model; message_4 is optional and not counted',
  },
];

/** Time on `profile` for alternating flights A, B, A, ... of the given sizes: arrival of the last one. */
export function flightsTime(sizes: number[], profile: LinkProfile): number {
  const writes = sizes.map((bytes, i) => ({ from: i % 2 === 0 ? 'A' as const : 'B' as const, bytes, kind: i === sizes.length - 1 ? 'app' as const : 'handshake' as const }));
  if (writes[writes.length - 1]!.from !== 'A') throw new Error('flightsTime: the last flight must be from A');
  // linkTime only reads the writes of a transcript.
  return linkTime({ writes } as unknown as TlsTranscript, profile).timeToFirstAppDataMs;
}

// --- rows ----------------------------------------------------------------------------------------

/** One airshake row per link for each suite: suite 1 (handset.wasm) and suite 2 (handset-dual.wasm, offering 2 then 1). */
async function airshakeRows(profiles: LinkProfile[], appData: Uint8Array): Promise<ProtocolRow[]> {
  const rows: ProtocolRow[] = [];
  const runs = [
    { name: 'x25519', protocol: AIRSHAKE_PROTOCOL, cached: false },
    { name: 'p256', protocol: AIRSHAKE_PROTOCOL_SUITE2, cached: false },
    { name: 'fs', protocol: AIRSHAKE_PROTOCOL_FS, cached: false },
    { name: 'fs', protocol: AIRSHAKE_PROTOCOL_FS_CACHED, cached: true },
    { name: 'kt', protocol: AIRSHAKE_PROTOCOL_KT, cached: false },
  ] as const;
  for (const { name, protocol, cached } of runs) {
    const setup = suiteSetup(name);
    const epochSec = Math.floor(Date.now() / 1000);
    const dep = createDeployment({ now: epochSec, handsets: 1, suites: setup.deploy });
    try {
      const handset = await loadHandset(setup);
      const h = dep.handsets[0]!;
      for (const profile of profiles) {
        provisionHandset(handset, setup, dep, h);
        if (cached) handset.cacheServer(dep.server.cert, epochSec);
        const clock = new VirtualClock();
        const server = dep.makeServer(() => epochSec * 1000 + clock.now(), { ...setup.server, onApplicationData: (d) => d });
        const r = runHandshake({ clock, epochSec, profile, handset, server, appData, start: startFor(setup, handset) });
        if (!r.ok || r.timeToFirstAppDataMs === null) {
          throw new Error(`${protocol} handshake failed on ${profile.name}: ${JSON.stringify(r.handsetError)} ${JSON.stringify(r.serverEvents.filter((e) => e.type === 'failed'))}`);
        }
        if (r.suite !== setup.offer[0]) throw new Error(`${protocol}: B chose suite ${r.suite}, expected ${setup.offer[0]}`);
        const upTo = r.messages.findIndex((m) => m.kind === 'finish');
        if (upTo !== 2) throw new Error(`${protocol}: message 3 is message #${upTo + 1}`);
        const msgs = r.messages.slice(0, upTo + 1);
        const sum = (from: 'A' | 'B') => msgs.filter((m) => m.from === from).reduce((s, m) => s + m.bytes, 0);
        const offer = setup.offer.length > 1 ? `A offers suites ${setup.offer.join(', ')}, B prefers ${setup.offer[0]}; ` : '';
        rows.push({
          protocol,
          link: profile.name,
          bytesAtoB: sum('A'),
          bytesBtoA: sum('B'),
          flights: 3,
          bytesBeforeFirstAppByte: r.bytesBeforeFirstAppByte,
          timeToFirstAppDataMs: round3(r.timeToFirstAppDataMs),
          notes: `${SUITE_NAMES[r.suite] ?? r.suite}; ${offer}firmware handset (${setup.firmware}) vs server B; ${appData.length} bytes of application data in message 3; ${cached ? 'C_B held by A and named by reference (not sent)' : setup.suite === 'fs' ? 'C_B sent encrypted' : 'C_B sent'}, C_A looked up by ID_A`,
        });
      }
    } finally {
      dep.close();
    }
  }
  return rows;
}

async function recordTls(appData: Uint8Array): Promise<Map<string, TlsTranscript>> {
  const out = new Map<string, TlsTranscript>();
  for (const c of TLS_CONFIGS) {
    const t = await recordTlsExchange({ version: c.version, keyType: c.keyType, appData });
    if (!t.clientAuthorized || !t.serverAuthorized) throw new Error(`${c.protocol}: mutual authentication did not complete`);
    if (t.newSessionTickets !== 0 || t.serverBytesAfterHandshake !== 0) throw new Error(`${c.protocol}: session tickets were sent`);
    out.set(c.protocol, t);
  }
  return out;
}

function tlsRow(protocol: string, t: TlsTranscript, profile: LinkProfile): ProtocolRow {
  const sent = linkTime(t, profile);
  const leaf = withoutCaCert(t);
  const leafTime = linkTime(leaf, profile);
  return {
    protocol,
    link: profile.name,
    bytesAtoB: t.bytesAtoB,
    bytesBtoA: t.bytesBtoA,
    flights: sent.flights,
    bytesBeforeFirstAppByte: t.bytesBeforeFirstAppByte,
    timeToFirstAppDataMs: round3(sent.timeToFirstAppDataMs),
    leafOnly: {
      bytesBeforeFirstAppByte: leaf.bytesBeforeFirstAppByte,
      timeToFirstAppDataMs: round3(leafTime.timeToFirstAppDataMs),
      bytesAtoB: leaf.bytesAtoB,
      bytesBtoA: leaf.bytesBtoA,
    },
    notes: `recorded from node:tls (OpenSSL ${process.versions.openssl}), replayed on the link model; ${t.cipher}; as sent each Certificate carries leaf + CA (${t.certBytes.ca}-byte CA cert), leafOnly derived without it; session tickets off; middlebox-compat change_cipher_spec records kept`,
  };
}

function edhocRows(profiles: LinkProfile[]): ProtocolRow[] {
  const rows: ProtocolRow[] = [];
  for (const profile of profiles) {
    for (const e of EDHOC_REFERENCES) {
      const [m1, m2, m3] = e.messages;
      rows.push({
        protocol: e.protocol,
        link: profile.name,
        bytesAtoB: m1 + m3,
        bytesBtoA: m2,
        flights: 3,
        bytesBeforeFirstAppByte: m1 + m2 + m3,
        timeToFirstAppDataMs: round3(flightsTime(e.messages, profile)),
        reference: true,
        source: e.source,
        notes: e.notes,
      });
    }
  }
  return rows;
}

export interface ProtocolBenchOptions {
  /** Link profile names (default: all). */
  links?: string[];
  /** Measure server throughput too (default false). */
  throughput?: boolean;
  /** Progress messages (default: none). */
  log?: (line: string) => void;
}

export async function runProtocolBench(opts: ProtocolBenchOptions = {}): Promise<ProtocolBenchResult> {
  const log = opts.log ?? (() => {});
  const profiles = (opts.links ?? PROFILE_NAMES).map((n) => getProfile(n));
  const appData = new TextEncoder().encode(APP_DATA_TEXT);

  log('airshake: firmware handset vs server B on each link...');
  const airshake = await airshakeRows(profiles, appData);
  log('TLS: recording the four mutual-auth exchanges once (node:tls, openssl certificates)...');
  const transcripts = await recordTls(appData);
  const edhoc = edhocRows(profiles);

  const rows: ProtocolRow[] = [];
  for (const profile of profiles) {
    rows.push(...airshake.filter((r) => r.link === profile.name));
    for (const c of TLS_CONFIGS) rows.push(tlsRow(c.protocol, transcripts.get(c.protocol)!, profile));
    rows.push(...edhoc.filter((r) => r.link === profile.name));
  }

  const result: ProtocolBenchResult = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    openssl: process.versions.openssl,
    appData: APP_DATA_TEXT,
    links: profiles.map((p) => ({ name: p.name, bitRate: p.bitRate, latencyMs: p.latencyMs, mtu: p.mtu })),
    notes: NOTES,
    tls: TLS_CONFIGS.map((c) => {
      const t = transcripts.get(c.protocol)!;
      return { protocol: c.protocol, keyType: t.keyType, cipher: t.cipher, config: t.config, certBytes: t.certBytes, ticketsDisabled: t.ticketsDisabled, newSessionTickets: t.newSessionTickets };
    }),
    rows,
  };
  if (opts.throughput) {
    log('throughput: server B on cache hits, then node:tls TLS 1.3 over loopback...');
    result.throughput = await measureThroughput();
  }
  return result;
}

const NOTES = [
  `Application data: the ${APP_DATA_TEXT.length} bytes ${JSON.stringify(APP_DATA_TEXT)} from A to B, in every measured row.`,
  'Times are virtual link time only (serialisation at the bit rate, MTU packetisation, one-way latency per flight); computation is instantaneous.',
  'TLS: session tickets are off (NumTickets = 0 and SSL_OP_NO_TICKET; checked: no NewSessionTicket, nothing from B after its handshake). Each configuration is recorded once and replayed on every link.',
  'TLS as sent: both Certificate messages carry the leaf and the CA certificate (OpenSSL builds the chain from the trust store). leafOnly: the same exchange with the CA entry removed (withoutCaCert), as a deployment that omits the root would send.',
  'TLS configuration: one cipher suite (ChaCha20-Poly1305/SHA-256), one signature algorithm, X25519 key share, OpenSSL defaults otherwise (middlebox-compatibility records in TLS 1.3, extended master secret).',
  'EDHOC rows are references (reference: true): message sizes from their sources, not measured; time = the same link model on three alternating flights of those sizes (arrival of message 3), with no transport framing and no application data added.',
];

// --- throughput ----------------------------------------------------------------------------------

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };

/**
 * Server B's handshakes per second on cache hits: client messages pre-generated by the firmware
 * handset for `handsets` enrolled handsets (the first pass also warms B's certificate cache), then
 * `n` handshakes fed to a fresh AirshakeServer (receive(m1) → message 2, receive(m3) →
 * established), timed alone. random_B comes from a pre-generated list so that every message 2 is
 * the one the pre-generated message 3 answers. Repeated `rounds` times, each on a fresh server
 * (fresh replay cache); the median round is reported.
 */
export async function measureAirshakeServer(o: { n?: number; handsets?: number; rounds?: number } = {}): Promise<ThroughputResult['airshakeInProcess'] & { perSec: number }> {
  const n = o.n ?? 400, pool = o.handsets ?? 20, rounds = o.rounds ?? 5;
  const epochSec = Math.floor(Date.now() / 1000);
  const dep = createDeployment({ now: epochSec, handsets: pool });
  try {
    const handset = await Handset.load();
    const appData = new TextEncoder().encode(APP_DATA_TEXT);
    const randomsB = Array.from({ length: n }, () => new Uint8Array(crypto.randomBytes(16)));
    const serverRandom = () => { let i = 0; return (len: number) => { const r = randomsB[i++]; if (!r || r.length !== len) throw new Error('random_B list exhausted'); return r; }; };

    // Pre-generation (also warms the cache and the JIT).
    const gen = dep.makeServer(() => Date.now(), { random: serverRandom() });
    const m1s: Uint8Array[] = [], m3s: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      const h = dep.handsets[i % pool]!;
      handset.reset();
      handset.provision(h.privateKey, dep.ca.publicKey, dep.serverName);
      const nowSec = Math.floor(Date.now() / 1000);
      const m1 = handset.start(nowSec);
      let m2: Uint8Array | undefined;
      const s = gen.connect((m) => { m2 = m; });
      s.receive(m1);
      if (!m2 || m2[0] !== 0x02) throw new Error(`pre-generation: no message 2 (${s.error})`);
      const m3 = handset.finish(m2, nowSec, appData);
      s.receive(m3);
      if (!s.established) throw new Error(`pre-generation: handshake ${i} not established (${s.error})`);
      m1s.push(m1); m3s.push(m3);
    }
    gen.close();

    const times: number[] = [];
    let last = { cacheHits: 0, storeLookups: 0, established: 0 };
    for (let r = 0; r < rounds; r++) {
      const server = dep.makeServer(() => Date.now(), { random: serverRandom() });
      const sessions = new Array(n);
      const sink = () => {};
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        const s = server.connect(sink);
        s.receive(m1s[i]!);
        s.receive(m3s[i]!);
        sessions[i] = s;
      }
      const t1 = performance.now();
      const established = sessions.filter((s) => s.established).length;
      if (established !== n) throw new Error(`throughput round ${r}: ${established}/${n} established`);
      last = { cacheHits: server.stats.cacheHits, storeLookups: server.stats.storeLookups, established };
      server.close();
      times.push(t1 - t0);
    }
    const med = median(times);
    return {
      handshakes: n, rounds, msPerRound: times.map(round3), medianMs: round3(med), handsets: pool, ...last,
      perSec: Math.round(n / (med / 1000)),
    };
  } finally {
    dep.close();
  }
}

export async function measureThroughput(): Promise<ThroughputResult> {
  const inProcess = await measureAirshakeServer();
  const airshake = await measureAirshakeLoopback();
  const tls13 = await measureTls13Loopback();
  const { perSec: inProcessPerSec, ...inProcessFigures } = inProcess;
  return {
    airshakeServerHandshakesPerSec: airshake.perCorePerSec,
    tls13ServerHandshakesPerSec: tls13.perCorePerSec,
    airshakeInProcessHandshakesPerSec: inProcessPerSec,
    notes:
      `Like for like: each server in its own process over loopback TCP, its clients in the bench process, ` +
      `per core = handshakes / the server process's CPU seconds (user + system, all threads, /proc/PID/stat) over ${airshake.handshakes} timed handshakes, ` +
      `${airshake.concurrency} in flight. airshake: \`airshake serve\` with its framing layer (COBS, CRC-16, ARQ) and a SQLite store, ` +
      `${airshake.handsets} enrolled firmware handsets (${SUITE_NAMES[1] ?? 'suite 1'}) all in B's certificate cache after the warm-up, ` +
      `each handshake ending with B's echo of the first application data. TLS 1.3: node:tls mutual auth (P-256 ECDSA certificates, ${tls13.cipher}, X25519), ` +
      `full handshakes, session tickets off (${tls13.sessionsReused} resumed), the client's close awaited so the server's work is complete. ` +
      `In-process (no transport, pre-generated client messages): B's protocol work alone, ${inProcessPerSec.toLocaleString('en-US')} /s.`,
    airshake,
    tls13,
    airshakeInProcess: inProcessFigures,
  };
}

// --- output --------------------------------------------------------------------------------------

const fmtMs = (x: number) => x.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

export function renderTable(rows: ProtocolRow[]): string {
  const lines: string[] = [];
  const links = [...new Set(rows.map((r) => r.link))];
  const head = ['protocol', 'A→B', 'B→A', 'flights', 'bytes before 1st app byte', 'time to 1st app data (ms)', '× airshake', 'leaf-only bytes / ms'];
  for (const link of links) {
    const p = getProfile(link);
    const group = rows.filter((r) => r.link === link);
    const base = group.find((r) => r.protocol === AIRSHAKE_PROTOCOL)?.timeToFirstAppDataMs;
    lines.push(`link ${link}: ${p.description} (${p.bitRate} bit/s, ${p.latencyMs} ms one-way, MTU ${p.mtu})`);
    const body = group.map((r) => [
      r.protocol + (r.reference ? ' [reference]' : ''),
      String(r.bytesAtoB), String(r.bytesBtoA), String(r.flights), String(r.bytesBeforeFirstAppByte),
      fmtMs(r.timeToFirstAppDataMs),
      base ? (r.timeToFirstAppDataMs / base).toFixed(2) : '',
      r.leafOnly ? `${r.leafOnly.bytesBeforeFirstAppByte} / ${fmtMs(r.leafOnly.timeToFirstAppDataMs)}` : '',
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
    const fmt = (cells: string[]) => '  ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
    lines.push(fmt(head));
    lines.push('  ' + widths.map((w) => '-'.repeat(w)).join('  '));
    for (const b of body) lines.push(fmt(b));
    lines.push('');
  }
  return lines.join('\n');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The protocols charted, in bar order, with their legend labels and colours. */
export const CHART_SERIES: { protocol: string; label: string; color: string; dashed?: boolean }[] = [
  { protocol: AIRSHAKE_PROTOCOL, label: 'airshake suite 1', color: '#1b7837' },
  { protocol: AIRSHAKE_PROTOCOL_SUITE2, label: 'airshake suite 2 (P-256)', color: '#7fbc41' },
  { protocol: AIRSHAKE_PROTOCOL_FS, label: 'airshake suite 3 (FS)', color: '#5aae61' },
  { protocol: AIRSHAKE_PROTOCOL_FS_CACHED, label: 'airshake suite 3, C_B cached', color: '#00441b' },
  { protocol: AIRSHAKE_PROTOCOL_KT, label: 'airshake suite 4 (KT)', color: '#a6dba0' },
  { protocol: 'TLS 1.3 mutual auth (P-256)', label: 'TLS 1.3 P-256', color: '#2166ac' },
  { protocol: 'TLS 1.3 mutual auth (Ed25519)', label: 'TLS 1.3 Ed25519', color: '#74add1' },
  { protocol: 'TLS 1.2 mutual auth (P-256)', label: 'TLS 1.2 P-256', color: '#b2182b' },
  { protocol: 'TLS 1.2 mutual auth (Ed25519)', label: 'TLS 1.2 Ed25519', color: '#f4a582' },
  { protocol: EDHOC_REFERENCES[0]!.protocol, label: 'EDHOC RFC 9529 trace 1 (ref.)', color: '#f0f0f0', dashed: true },
  { protocol: EDHOC_REFERENCES[1]!.protocol, label: 'EDHOC method 3 (reference)', color: '#bdbdbd', dashed: true },
];

/** Grouped bar chart (one group per link, one bar per protocol, every protocol of the table), log-scale y in ms, 1100×440. */
export function renderSvg(rows: ProtocolRow[]): string {
  const W = 1100, H = 440;
  const left = 78, right = 16, top = 46, bottom = 318;
  const links = [...new Set(rows.map((r) => r.link))];
  const values = rows.filter((r) => CHART_SERIES.some((s) => s.protocol === r.protocol)).map((r) => r.timeToFirstAppDataMs);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...values))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...values) * 3))); // headroom for the labels
  const y = (v: number) => bottom - ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (bottom - top);
  const groupW = (W - left - right) / links.length;
  const barW = 13, gap = 2;
  const barsW = CHART_SERIES.length * barW + (CHART_SERIES.length - 1) * gap;
  const fmtV = (v: number) => (v < 10 ? v.toFixed(1) : Math.round(v).toLocaleString('en-US'));
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif">`);
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">Time to first application data, mutually authenticated handshakes</text>`);
  out.push(`<text x="${W / 2}" y="36" text-anchor="middle" font-size="11" fill="#444">Emulated link model, link time only. TLS as sent (leaf + CA certificates), no session tickets. EDHOC: published sizes</text>`);
  // Grid and y axis (decades, plus faint 2 and 5 lines).
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    const yy = y(d).toFixed(1);
    out.push(`<line x1="${left}" y1="${yy}" x2="${W - right}" y2="${yy}" stroke="#cccccc" stroke-width="1"/>`);
    out.push(`<text x="${left - 6}" y="${(y(d) + 4).toFixed(1)}" text-anchor="end" font-size="11">${d.toLocaleString('en-US')}</text>`);
    for (const m of [2, 5]) {
      if (d * m < hi) out.push(`<line x1="${left}" y1="${y(d * m).toFixed(1)}" x2="${W - right}" y2="${y(d * m).toFixed(1)}" stroke="#eeeeee" stroke-width="1"/>`);
    }
  }
  out.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="#333333"/>`);
  out.push(`<line x1="${left}" y1="${bottom}" x2="${W - right}" y2="${bottom}" stroke="#333333"/>`);
  out.push(`<text transform="translate(20 ${(top + bottom) / 2}) rotate(-90)" text-anchor="middle" font-size="12">time to first app data (ms, log scale)</text>`);
  // Bars.
  links.forEach((link, g) => {
    const x0 = left + g * groupW + (groupW - barsW) / 2;
    const p = getProfile(link);
    CHART_SERIES.forEach((s, i) => {
      const r = rows.find((x) => x.link === link && x.protocol === s.protocol);
      if (!r) return;
      const x = x0 + i * (barW + gap);
      const yt = y(r.timeToFirstAppDataMs);
      const dash = s.dashed ? ' stroke="#555555" stroke-dasharray="3 2"' : ' stroke="none"';
      out.push(`<rect x="${x.toFixed(1)}" y="${yt.toFixed(1)}" width="${barW}" height="${(bottom - yt).toFixed(1)}" fill="${s.color}"${dash}><title>${esc(`${r.protocol} on ${link}: ${r.timeToFirstAppDataMs} ms`)}</title></rect>`);
      const tx = x + barW / 2 + 3.5, ty = yt - 4;
      out.push(`<text transform="translate(${tx.toFixed(1)} ${ty.toFixed(1)}) rotate(-90)" font-size="10" fill="#222">${fmtV(r.timeToFirstAppDataMs)}</text>`);
    });
    const cx = left + g * groupW + groupW / 2;
    out.push(`<text x="${cx.toFixed(1)}" y="${bottom + 16}" text-anchor="middle" font-size="12" font-weight="bold">${esc(link)}</text>`);
    out.push(`<text x="${cx.toFixed(1)}" y="${bottom + 30}" text-anchor="middle" font-size="10" fill="#555">${esc(`${(p.bitRate / 1000).toLocaleString('en-US')} kbit/s, ${p.latencyMs} ms`)}</text>`);
  });
  out.push(`<text x="${(left + W - right) / 2}" y="${bottom + 48}" text-anchor="middle" font-size="12">link profile (bit rate, one-way latency)</text>`);
  // Legend: rows of four.
  CHART_SERIES.forEach((s, i) => {
    const col = i % 4, row = Math.floor(i / 4);
    const lx = left + 10 + col * 250, ly = bottom + 66 + row * 18;
    const dash = s.dashed ? ' stroke="#555555" stroke-dasharray="3 2"' : '';
    out.push(`<rect x="${lx}" y="${ly - 10}" width="14" height="12" fill="${s.color}"${dash}/>`);
    out.push(`<text x="${lx + 20}" y="${ly}" font-size="12">${esc(s.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/**
 * A small well-formedness check for the SVG we write (no XML parser in Node): one root element,
 * every start tag closed in order, attributes quoted, no stray '<' or '&'.
 */
export function checkSvg(svg: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0, roots = 0;
  for (let m = tag.exec(svg); m; m = tag.exec(svg)) {
    const text = svg.slice(last, m.index);
    if (/[<>]/.test(text)) problems.push(`stray markup before offset ${m.index}: ${JSON.stringify(text.slice(0, 40))}`);
    if (/&(?!(amp|lt|gt|quot|apos|#\d+);)/.test(text)) problems.push(`bare '&' before offset ${m.index}`);
    last = tag.lastIndex;
    const [, close, name, , self] = m;
    if (close) {
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open ?? '(nothing)'}>`);
    } else {
      if (stack.length === 0) roots++;
      if (!self) stack.push(name!);
    }
  }
  if (/[<>]/.test(svg.slice(last))) problems.push('stray markup at the end');
  if (stack.length) problems.push(`unclosed: ${stack.join(', ')}`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  if (!/^<svg\b/.test(svg)) problems.push('does not start with <svg');
  return problems;
}

// --- command line --------------------------------------------------------------------------------

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const JSON_OUT = path.join(ROOT, 'docs', 'bench', 'protocol.json');
export const SVG_OUT = path.join(ROOT, 'docs', 'bench-time-to-first-app-data.svg');

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: {
    link: { type: 'string' }, json: { type: 'boolean', default: false }, throughput: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  } });
  if (values.help) {
    console.log(`usage: node dist/host/bench/protocol.js [--link ${PROFILE_NAMES.join('|')}] [--json] [--throughput]`);
    return 0;
  }
  const full = values.link === undefined;
  const links = full ? [...PROFILE_NAMES] : [getProfile(values.link!).name];
  const throughput = full || values.throughput!;
  const log = (s: string) => process.stderr.write(s + '\n');
  const result = await runProtocolBench({ links, throughput, log });

  if (full) {
    const svg = renderSvg(result.rows);
    const problems = checkSvg(svg);
    if (problems.length) throw new Error(`SVG check failed: ${problems.join('; ')}`);
    mkdirSync(path.dirname(JSON_OUT), { recursive: true });
    writeFileSync(SVG_OUT, svg);
    writeFileSync(JSON_OUT, JSON.stringify(result, null, 2) + '\n');
    log(`wrote ${path.relative(process.cwd(), JSON_OUT)} and ${path.relative(process.cwd(), SVG_OUT)}`);
  }

  if (values.json) {
    console.log(JSON.stringify(values.throughput ? { rows: result.rows, throughput: result.throughput } : result.rows, null, 2));
    return 0;
  }
  console.log(`airshake vs TLS (mutual auth) vs EDHOC: ${APP_DATA_TEXT.length} bytes of application data A → B (${JSON.stringify(APP_DATA_TEXT)})`);
  console.log('Virtual link time only. TLS: recorded once per configuration from node:tls and replayed on each link;');
  console.log('session tickets are off; as sent, both Certificate messages carry leaf + CA (leaf-only column: CA entry removed).');
  console.log('[reference] rows: EDHOC message sizes from their sources, not measured; time on the same link model.\n');
  console.log(renderTable(result.rows));
  const t = result.throughput;
  if (t) {
    console.log('Server throughput over loopback (handshakes per second per core: handshakes / the server process\'s CPU seconds)');
    console.log(`  airshake serve, cache hits:               ${t.airshakeServerHandshakesPerSec.toLocaleString('en-US')} /s  (${t.airshake.handshakes} handshakes, server CPU ${t.airshake.serverCpuMs} ms, wall ${t.airshake.wallMs} ms)`);
    console.log(`  node:tls TLS 1.3 mutual auth (P-256):     ${t.tls13ServerHandshakesPerSec.toLocaleString('en-US')} /s  (${t.tls13.handshakes} handshakes, server CPU ${t.tls13.serverCpuMs} ms, wall ${t.tls13.wallMs} ms)`);
    console.log(`  ratio                                     ${(t.airshakeServerHandshakesPerSec / t.tls13ServerHandshakesPerSec).toFixed(1)} x`);
    console.log(`  server B in process, protocol work only:  ${t.airshakeInProcessHandshakesPerSec.toLocaleString('en-US')} /s  (median of ${t.airshakeInProcess.rounds} rounds of ${t.airshakeInProcess.handshakes})`);
    console.log(`  ${t.notes}`);
  }
  return 0;
}

const isMain = process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url;
if (isMain) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: Error) => { console.error(`bench: ${e.message}`); process.exitCode = 1; });
}

