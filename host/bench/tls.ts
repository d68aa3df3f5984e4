/**
 * TLS with mutual authentication as a baseline for airshake, on the same link model.
 *
 * recordTlsExchange() runs a real node:tls client (A, the handset) and server (B) in one process
 * over a pair of in-memory duplex streams, with X.509 certificates made at run time by the
 * `openssl` CLI (a CA and two leaves signed by it, P-256 ECDSA or Ed25519). Every chunk each
 * side writes is recorded in order with its size, and the TLS record layer of each direction is
 * parsed. Session tickets are disabled on the server (SSL_OP_NO_TICKET); the transcript states
 * so and the run checks that B wrote nothing after its handshake completed and that A saw no
 * NewSessionTicket ('session' event).
 *
 * linkTime() replays the recorded flights on an EmulatedLink with a VirtualClock, the same model
 * host/sim/run.ts uses for airshake, and returns the virtual time at which B holds A's first
 * application data.
 *
 * Definitions (compare with SimResult in host/sim/run.ts):
 * - handshake bytes: every byte either side wrote before the snapshot taken once A has seen
 *   'secureConnect' and B 'secureConnection' (and any post-handshake output of B has had the
 *   chance to appear: such bytes, e.g. a NewSessionTicket, would precede the application data
 *   and count as handshake). The application data is written by A only after the snapshot.
 * - bytesBeforeFirstAppByte = handshake bytes (both directions) + 5, the record header of the
 *   first application_data record. The first application byte is the first byte after that
 *   header (for TLS 1.3 the plaintext leads the encrypted inner plaintext; for a TLS 1.2 AES-GCM
 *   record the 8-byte explicit nonce also precedes it, but the header-only convention is kept
 *   for both versions so the figure is comparable). The TLS 1.3 inner content-type byte and the
 *   AEAD tag are part of the app record, not of the overhead counted here.
 * - flights: the recorded writes with consecutive writes by the same side merged.
 * - timeToFirstAppDataMs: arrival at B of the last byte of A's first application record.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import { VirtualClock } from '../link/clock.js';
import { EmulatedLink } from '../link/emulated.js';
import type { LinkProfile } from '../link/profiles.js';

export type TlsVersion = 'TLSv1.3' | 'TLSv1.2';
export type TlsKeyType = 'p256' | 'ed25519';
export type TlsSide = 'A' | 'B';

export interface TlsWrite {
  from: TlsSide;
  bytes: number;
  kind: 'handshake' | 'app';
}

export interface TlsRecord {
  from: TlsSide;
  /** Outer content type: 20 change_cipher_spec, 21 alert, 22 handshake, 23 application_data. */
  type: number;
  /** Whole record on the wire, header included. */
  bytes: number;
  kind: 'handshake' | 'app';
}

export interface TlsTranscript {
  /** 'TLS 1.3' | 'TLS 1.2' */
  protocol: string;
  keyType: TlsKeyType;
  /** Negotiated cipher suite (standard name). */
  cipher: string;
  /** Every chunk written by A (client) or B (server), in order. */
  writes: TlsWrite[];
  /** Consecutive writes by the same side merged. */
  flights: { from: TlsSide; bytes: number }[];
  /** TLS records parsed from each direction's byte stream, in write order. */
  records: TlsRecord[];
  /** Handshake bytes (both directions) + 5 (header of the first application_data record). */
  bytesBeforeFirstAppByte: number;
  /** All bytes recorded until B held the application data. */
  bytesAtoB: number;
  bytesBtoA: number;
  /** Size of A's application write (record(s) carrying appData). */
  appRecordBytes: number;
  appDataBytes: number;
  ticketsDisabled: true;
  /** Bytes B wrote after its handshake completed and before A's application data (expect 0). */
  serverBytesAfterHandshake: number;
  /** NewSessionTicket messages A received ('session' events; expect 0). */
  sessionTickets: number;
  /** B verified A's certificate (rejectUnauthorized) and its subject CN. */
  clientAuthorized: boolean;
  clientCertSubject: string;
  serverAuthorized: boolean;
  /** DER sizes of the certificates. */
  certBytes: { client: number; server: number; ca: number };
}

// --- certificates --------------------------------------------------------------------------------

export interface TlsPki {
  keyType: TlsKeyType;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  certBytes: { client: number; server: number; ca: number };
}

export const SERVER_NAME = 'b.airshake';
export const CLIENT_NAME = 'a.airshake';
const CA_NAME = 'airshake CA';

const OPENSSL_CONF = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:${SERVER_NAME}
authorityKeyIdentifier = keyid
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = DNS:${CLIENT_NAME}
authorityKeyIdentifier = keyid
`;

const pkiCache = new Map<TlsKeyType, Promise<TlsPki>>();

/** A CA, a server and a client certificate made with the openssl CLI (memoised per key type). */
export function makeTlsPki(keyType: TlsKeyType): Promise<TlsPki> {
  let p = pkiCache.get(keyType);
  if (p === undefined) {
    p = Promise.resolve().then(() => generatePki(keyType));
    pkiCache.set(keyType, p);
    p.catch(() => pkiCache.delete(keyType));
  }
  return p;
}

function generatePki(keyType: TlsKeyType): TlsPki {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'airshake-tls-'));
  const run = (...args: string[]) =>
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OPENSSL_CONF: path.join(dir, 'openssl.cnf') } });
  // Ed25519 signs the message itself: no digest option.
  const digest = keyType === 'p256' ? ['-sha256'] : [];
  const genkey = (file: string) =>
    keyType === 'p256'
      ? run('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-pkeyopt', 'ec_param_enc:named_curve', '-out', file)
      : run('genpkey', '-algorithm', 'ED25519', '-out', file);
  try {
    writeFileSync(path.join(dir, 'openssl.cnf'), OPENSSL_CONF);
    genkey('ca.key');
    run('req', '-config', 'openssl.cnf', '-new', '-x509', '-key', 'ca.key', '-subj', `/CN=${CA_NAME}`,
      '-days', '3650', '-extensions', 'ca', ...digest, '-out', 'ca.pem');
    for (const [who, cn] of [['server', SERVER_NAME], ['client', CLIENT_NAME]] as const) {
      genkey(`${who}.key`);
      run('req', '-config', 'openssl.cnf', '-new', '-key', `${who}.key`, '-subj', `/CN=${cn}`, ...digest, '-out', `${who}.csr`);
      run('x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key',
        '-set_serial', '0x' + crypto.randomBytes(8).toString('hex').replace(/^[89a-f]/, '1'),
        '-days', '825', '-extfile', 'openssl.cnf', '-extensions', who, ...digest, '-out', `${who}.pem`);
    }
    const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');
    const der = (pem: string) => new crypto.X509Certificate(pem).raw.length;
    const caCert = read('ca.pem'), serverCert = read('server.pem'), clientCert = read('client.pem');
    return {
      keyType, caCert, serverCert, clientCert,
      serverKey: read('server.key'), clientKey: read('client.key'),
      certBytes: { client: der(clientCert), server: der(serverCert), ca: der(caCert) },
    };
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`openssl failed: ${err.stderr?.toString() || err.message}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// --- in-memory wire ------------------------------------------------------------------------------

/** Two connected duplex streams; every chunk written on either end is reported to `tap`. */
function wirePair(tap: (from: TlsSide, chunk: Buffer) => void): { a: Duplex; b: Duplex } {
  const ends = {} as Record<TlsSide, Duplex>;
  const make = (side: TlsSide, peer: TlsSide) =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        tap(side, chunk);
        ends[peer].push(chunk);
        cb();
      },
      final(cb) {
        ends[peer].push(null);
        cb();
      },
    });
  ends.A = make('A', 'B');
  ends.B = make('B', 'A');
  return { a: ends.A, b: ends.B };
}

/** Split a byte stream into TLS records (5-byte header: type, version, 16-bit length). */
export function parseRecords(stream: Buffer): { type: number; bytes: number; offset: number }[] {
  const out: { type: number; bytes: number; offset: number }[] = [];
  let off = 0;
  while (off + 5 <= stream.length) {
    const len = stream.readUInt16BE(off + 3);
    out.push({ type: stream[off]!, bytes: 5 + len, offset: off });
    off += 5 + len;
  }
  if (off !== stream.length) throw new Error(`TLS stream ends inside a record (${stream.length - off} bytes left)`);
  return out;
}

function flightsOf(writes: TlsWrite[]): { from: TlsSide; bytes: number }[] {
  const flights: { from: TlsSide; bytes: number }[] = [];
  for (const w of writes) {
    const last = flights[flights.length - 1];
    if (last && last.from === w.from) last.bytes += w.bytes;
    else flights.push({ from: w.from, bytes: w.bytes });
  }
  return flights;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

// --- the exchange --------------------------------------------------------------------------------

export async function recordTlsExchange(opts: {
  version: TlsVersion;
  keyType: TlsKeyType;
  appData: Uint8Array;
  timeoutMs?: number;
}): Promise<TlsTranscript> {
  const { version, keyType, appData } = opts;
  if (appData.length === 0) throw new RangeError('recordTlsExchange: appData must not be empty');
  const pki = await makeTlsPki(keyType);

  const writes: (TlsWrite & { data: Buffer })[] = [];
  let phase: 'handshake' | 'app' = 'handshake';
  let recording = true;
  let serverSecure = false;
  let serverBytesAfterHandshake = 0;
  const { a, b } = wirePair((from, chunk) => {
    if (!recording || chunk.length === 0) return;
    if (from === 'B' && serverSecure && phase === 'handshake') serverBytesAfterHandshake += chunk.length;
    writes.push({ from, bytes: chunk.length, kind: from === 'A' ? phase : 'handshake', data: Buffer.from(chunk) });
  });

  // TLS 1.2: ECDHE key exchange with ECDSA authentication (RFC 8422 also covers Ed25519 certs).
  const ciphers = version === 'TLSv1.2' ? 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305' : undefined;
  const server = tls.createServer({
    key: pki.serverKey,
    cert: pki.serverCert,
    ca: pki.caCert,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: version,
    maxVersion: version,
    ciphers,
    secureOptions: crypto.constants.SSL_OP_NO_TICKET,
  });

  const failures: Error[] = [];
  let timer: NodeJS.Timeout | undefined;
  try {
    const serverSide = new Promise<tls.TLSSocket>((resolve, reject) => {
      server.once('secureConnection', (s: tls.TLSSocket) => {
        serverSecure = true;
        resolve(s);
      });
      server.once('tlsClientError', reject);
    });
    server.emit('connection', b);

    let sessionTickets = 0;
    const client = tls.connect({
      socket: a,
      servername: SERVER_NAME,
      key: pki.clientKey,
      cert: pki.clientCert,
      ca: pki.caCert,
      rejectUnauthorized: true,
      minVersion: version,
      maxVersion: version,
      ciphers,
    });
    client.on('session', () => { sessionTickets++; });
    const clientSide = new Promise<void>((resolve, reject) => {
      client.once('secureConnect', () => resolve());
      client.once('error', reject);
    });
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`TLS exchange timed out (${version}, ${keyType})`)), opts.timeoutMs ?? 10_000);
    });

    const [srv] = await Promise.race([Promise.all([serverSide, clientSide]), timeout]);
    srv.on('error', (e) => failures.push(e));
    client.on('error', (e) => failures.push(e));

    // Let anything B sends after its handshake (a NewSessionTicket, were tickets enabled) appear.
    for (let i = 0; i < 5; i++) await tick();
    await new Promise((r) => setTimeout(r, 20));

    const peer = srv.getPeerCertificate();
    const clientAuthorized = srv.authorized && peer !== null && Object.keys(peer).length > 0;
    const clientCertSubject = peer?.subject?.CN ?? '';
    const serverAuthorized = client.authorized;
    const protocol = client.getProtocol() ?? '';
    const cipher = client.getCipher().standardName;

    // Snapshot: everything so far is handshake. Now A sends the application data.
    phase = 'app';
    const received = new Promise<void>((resolve, reject) => {
      let got = 0;
      srv.on('data', (d: Buffer) => {
        got += d.length;
        if (got >= appData.length) resolve();
      });
      srv.once('error', reject);
    });
    client.write(appData);
    await Promise.race([received, timeout]);
    recording = false;
    if (failures.length > 0) throw failures[0];

    client.destroy();
    srv.destroy();

    // Record layer of each direction.
    const records: TlsRecord[] = [];
    for (const side of ['A', 'B'] as const) {
      const mine = writes.filter((w) => w.from === side);
      const stream = Buffer.concat(mine.map((w) => w.data));
      const hsBytes = mine.filter((w) => w.kind === 'handshake').reduce((s, w) => s + w.bytes, 0);
      for (const r of parseRecords(stream)) {
        records.push({ from: side, type: r.type, bytes: r.bytes, kind: r.offset < hsBytes ? 'handshake' : 'app' });
      }
    }
    const appRecords = records.filter((r) => r.kind === 'app');
    if (appRecords.length === 0 || appRecords.some((r) => r.type !== 23 || r.from !== 'A')) {
      throw new Error('unexpected application records: ' + JSON.stringify(appRecords));
    }
    // The app records must start exactly at the snapshot: nothing else from A after it.
    const handshakeBytes = writes.filter((w) => w.kind === 'handshake').reduce((s, w) => s + w.bytes, 0);
    const sum = (side: TlsSide) => writes.filter((w) => w.from === side).reduce((s, w) => s + w.bytes, 0);
    const plain: TlsWrite[] = writes.map(({ from, bytes, kind }) => ({ from, bytes, kind }));
    return {
      protocol: protocol.replace(/^TLSv/, 'TLS '),
      keyType,
      cipher,
      writes: plain,
      flights: flightsOf(plain),
      records,
      bytesBeforeFirstAppByte: handshakeBytes + 5,
      bytesAtoB: sum('A'),
      bytesBtoA: sum('B'),
      appRecordBytes: appRecords.reduce((s, r) => s + r.bytes, 0),
      appDataBytes: appData.length,
      ticketsDisabled: true,
      serverBytesAfterHandshake,
      sessionTickets,
      clientAuthorized,
      clientCertSubject,
      serverAuthorized,
      certBytes: { ...pki.certBytes },
    };
  } finally {
    if (timer) clearTimeout(timer);
    a.destroy();
    b.destroy();
  }
}

// --- replay on the emulated link -----------------------------------------------------------------

/**
 * Replay the transcript's flights on an EmulatedLink: the first flight leaves at t = 0 and each
 * later flight the moment the previous flight (from the other side) has fully arrived. Within a
 * flight the writes go out back to back, in order (so in TLS 1.3 A's Finished and its first
 * application record share a flight; in TLS 1.2 the application record is a flight of its own,
 * after B's Finished). Stops at the flight carrying A's first application write and returns the
 * virtual time at which B holds it, and the number of flights up to and including that one.
 */
export function linkTime(transcript: TlsTranscript, profile: LinkProfile): { timeToFirstAppDataMs: number; flights: number } {
  type Flight = { from: TlsSide; writes: TlsWrite[] };
  const flights: Flight[] = [];
  for (const w of transcript.writes) {
    const last = flights[flights.length - 1];
    if (last && last.from === w.from) last.writes.push(w);
    else flights.push({ from: w.from, writes: [w] });
  }
  const appFlight = flights.findIndex((f) => f.from === 'A' && f.writes.some((w) => w.kind === 'app'));
  if (appFlight < 0) throw new Error('linkTime: transcript has no application write from A');

  const clock = new VirtualClock();
  const link = new EmulatedLink(clock, profile);
  let firstAppAt: number | null = null;
  let current = 0;
  let pending = 0; // messages of the current flight still in the air

  const sendFlight = (i: number) => {
    current = i;
    const f = flights[i]!;
    pending = f.writes.length;
    for (const w of f.writes) link.endpoint(f.from).send(new Uint8Array(w.bytes));
  };
  const onArrive = (side: TlsSide) => () => {
    const f = flights[current]!;
    if (f.from === side) throw new Error('linkTime: message delivered to its sender');
    const w = f.writes[f.writes.length - pending]!;
    pending--;
    if (w.kind === 'app' && firstAppAt === null) firstAppAt = clock.now();
    if (pending === 0 && current < appFlight) sendFlight(current + 1);
  };
  link.endpoint('A').onMessage(onArrive('A'));
  link.endpoint('B').onMessage(onArrive('B'));
  sendFlight(0);
  clock.run();
  if (firstAppAt === null) throw new Error('linkTime: application data never arrived');
  return { timeToFirstAppDataMs: firstAppAt, flights: appFlight + 1 };
}
