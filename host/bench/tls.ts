/**
 * TLS with mutual authentication as a baseline for airshake, on the same link model.
 *
 * recordTlsExchange() runs a real node:tls client (A, the handset) and server (B) over a pair of
 * in-memory duplex streams, with X.509 certificates made at run time by the `openssl` CLI (a CA
 * and two leaves it signs; P-256 ECDSA or Ed25519). Both sides authenticate the other
 * (requestCert, rejectUnauthorized). Every chunk each side writes is recorded in order with its
 * size, and each direction's byte stream is parsed into TLS records.
 *
 * Configuration (recorded in the transcript as `config`): the lean set-up a constrained handset
 * would use, so that the baseline is not padded: one cipher suite on both sides, ChaCha20-Poly1305
 * with SHA-256 (the primitives of airshake suite 1), one signature algorithm (the certificate
 * key's), X25519 for ECDHE; OpenSSL's other defaults stay (middlebox-compatibility
 * change_cipher_spec records and session id in TLS 1.3, extended master secret, the CA's name in
 * CertificateRequest).
 *
 * Certificate chains: OpenSSL builds each side's chain from the trust store (the `ca` option),
 * so both Certificate messages carry the leaf AND the CA certificate. Node offers no way to stop
 * this (no SSL_MODE_NO_AUTO_CHAIN, no chain-store option; `ChainCAFile` is refused in the system
 * OpenSSL configuration), and the store is the one that verifies the peer. The recorded
 * transcripts therefore say `chain: 'leaf+ca'`. withoutCaCert() derives the leaf-only exchange a
 * deployment that omits the root would see (RFC 8446 4.4.2 lets it): it removes exactly the CA
 * entry from each Certificate message, after checking the record's size accounts for it exactly.
 *
 * Session tickets are disabled. SSL_OP_NO_TICKET (secureOptions) alone is not enough: in TLS 1.3
 * OpenSSL then sends two *stateful* NewSessionTickets after the client's Finished, and Node has no
 * num_tickets option. So the exchange runs in a child node process whose OpenSSL configuration
 * (OPENSSL_CONF, the `nodejs_conf` section Node reads at start-up) sets `NumTickets = 0`. The
 * run checks it: B writes nothing once both sides have completed the handshake (before A's
 * application data), A sees no NewSessionTicket ('session' events in TLS 1.3, handshake message
 * type 4 in TLS 1.2), and in TLS 1.2 the plaintext Certificate messages carry one certificate.
 *
 * Definitions (compare SimResult in host/sim/run.ts):
 * - handshake bytes: every byte either side wrote before the snapshot taken once A has seen
 *   'secureConnect' and B 'secureConnection' (plus a short settle, so that anything B sends after
 *   its handshake, e.g. a NewSessionTicket, precedes the snapshot and counts as handshake).
 *   A writes its application data only after the snapshot.
 * - bytesBeforeFirstAppByte = handshake bytes (both directions) + 5, the record header of A's
 *   first application_data record: the first application byte is taken to be the first byte after
 *   that header. (For TLS 1.3 the inner content-type byte and the AEAD tag are part of the
 *   record, after the data, and so not counted; with ChaCha20-Poly1305 TLS 1.2 has no explicit
 *   nonce either.)
 * - flights: the recorded writes with consecutive writes by the same side merged.
 * - linkTime().timeToFirstAppDataMs: virtual time at which the last byte of A's first application
 *   record arrives at B, as airshake's figure is the arrival of message 3.
 */
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import { fileURLToPath, pathToFileURL } from 'node:url';
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
  /** Whole record on the wire, 5-byte header included. */
  bytes: number;
  kind: 'handshake' | 'app';
}

/** A handshake message readable on the wire (all of TLS 1.2 before ChangeCipherSpec; ClientHello and ServerHello in TLS 1.3). */
export interface TlsPlainMessage {
  from: TlsSide;
  /** Handshake type: 1 ClientHello, 2 ServerHello, 4 NewSessionTicket, 11 Certificate, ... */
  type: number;
  /** Body length + 4-byte header. */
  bytes: number;
  /** For Certificate messages: the number of certificates carried. */
  certs?: number;
}

export interface TlsTranscript {
  /** 'TLS 1.3' | 'TLS 1.2' */
  protocol: string;
  keyType: TlsKeyType;
  /** Negotiated cipher suite (IANA name). */
  cipher: string;
  config: { ciphers: string; sigalgs: string; groups: string; chain: 'leaf' | 'leaf+ca'; middleboxCompat: boolean };
  /** Set by withoutCaCert(): the figures are derived from a recording, not recorded. */
  derived?: 'ca-cert-removed';
  /** Every chunk written by A (client) or B (server), in order, until B held the app data. */
  writes: TlsWrite[];
  /** Consecutive writes by the same side merged. */
  flights: { from: TlsSide; bytes: number }[];
  /** TLS records parsed from each direction's byte stream (all of A's, then all of B's). */
  records: TlsRecord[];
  plaintextHandshake: TlsPlainMessage[];
  /** Handshake bytes (both directions) + 5 (header of A's first application_data record). */
  bytesBeforeFirstAppByte: number;
  handshakeBytes: { AtoB: number; BtoA: number };
  /** All bytes recorded, application record included. */
  bytesAtoB: number;
  bytesBtoA: number;
  /** A's application write: record(s) carrying appData. */
  appRecordBytes: number;
  appDataBytes: number;
  ticketsDisabled: true;
  /** Bytes B wrote after both sides completed the handshake and before A's app data (expect 0). */
  serverBytesAfterHandshake: number;
  /** NewSessionTickets A received (expect 0). */
  newSessionTickets: number;
  /** B holds and accepted A's certificate; its subject CN. */
  clientAuthorized: boolean;
  clientCertSubject: string;
  /** A accepted B's certificate (chain and name b.airshake). */
  serverAuthorized: boolean;
  /** DER sizes of the certificates. */
  certBytes: { client: number; server: number; ca: number };
}

export interface RecordOptions {
  version: TlsVersion;
  keyType: TlsKeyType;
  appData: Uint8Array;
  /** Give up after this many ms of wall time (default 20 s). */
  timeoutMs?: number;
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

const OPENSSL_REQ_CONF = `[req]
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
  const conf = path.join(dir, 'req.cnf');
  const run = (...args: string[]) =>
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OPENSSL_CONF: conf } });
  const digest = keyType === 'p256' ? ['-sha256'] : []; // Ed25519 takes no digest option
  const genkey = (file: string) =>
    keyType === 'p256'
      ? run('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-pkeyopt', 'ec_param_enc:named_curve', '-out', file)
      : run('genpkey', '-algorithm', 'ED25519', '-out', file);
  try {
    writeFileSync(conf, OPENSSL_REQ_CONF);
    genkey('ca.key');
    run('req', '-config', conf, '-new', '-x509', '-key', 'ca.key', '-subj', `/CN=${CA_NAME}`,
      '-days', '3650', '-extensions', 'ca', ...digest, '-out', 'ca.pem');
    for (const [who, cn] of [['server', SERVER_NAME], ['client', CLIENT_NAME]] as const) {
      genkey(`${who}.key`);
      run('req', '-config', conf, '-new', '-key', `${who}.key`, '-subj', `/CN=${cn}`, ...digest, '-out', `${who}.csr`);
      // 8-byte positive serial, like airshake's certificates.
      const serial = '0x' + ((crypto.randomBytes(1)[0]! & 0x3f) | 0x10).toString(16) + crypto.randomBytes(7).toString('hex');
      run('x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', serial,
        '-days', '825', '-extfile', conf, '-extensions', who, ...digest, '-out', `${who}.pem`);
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

// --- record layer --------------------------------------------------------------------------------

/** Split a byte stream into TLS records (5-byte header: type, version, 16-bit length). */
export function parseRecords(stream: Uint8Array): { type: number; bytes: number; offset: number }[] {
  const buf = Buffer.from(stream.buffer, stream.byteOffset, stream.byteLength);
  const out: { type: number; bytes: number; offset: number }[] = [];
  let off = 0;
  while (off + 5 <= buf.length) {
    const len = buf.readUInt16BE(off + 3);
    out.push({ type: buf[off]!, bytes: 5 + len, offset: off });
    off += 5 + len;
  }
  if (off !== buf.length) throw new Error(`TLS stream ends inside a record (${buf.length - off} bytes left)`);
  return out;
}

/** Handshake messages in the plaintext handshake records (type 22) before ChangeCipherSpec. */
function plaintextMessages(from: TlsSide, stream: Buffer): TlsPlainMessage[] {
  const parts: Buffer[] = [];
  for (const r of parseRecords(stream)) {
    if (r.type === 20) break;
    if (r.type === 22) parts.push(stream.subarray(r.offset + 5, r.offset + r.bytes));
  }
  const hs = Buffer.concat(parts);
  const out: TlsPlainMessage[] = [];
  let off = 0;
  while (off + 4 <= hs.length) {
    const type = hs[off]!;
    const len = hs.readUIntBE(off + 1, 3);
    if (off + 4 + len > hs.length) break; // encrypted or truncated: stop
    const m: TlsPlainMessage = { from, type, bytes: 4 + len };
    if (type === 11) {
      // TLS 1.2 Certificate: 3-byte list length, then (3-byte length, DER) entries.
      let p = off + 4 + 3, n = 0;
      while (p + 3 <= off + 4 + len) { p += 3 + hs.readUIntBE(p, 3); n++; }
      m.certs = n;
    }
    out.push(m);
    off += 4 + len;
  }
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

/**
 * Index in `records` of `side`'s Certificate record, if one has exactly the size of a Certificate
 * message carrying `ders` (DER sizes, in order) alone in a record; -1 otherwise. TLS 1.3: entries of
 * 3 + DER + 2 (extensions) after 4 + 1 + 3 header bytes, encrypted (1 inner type byte, 16-byte tag);
 * TLS 1.2: entries of 3 + DER after 4 + 3, plaintext.
 */
function certificateRecord(records: TlsRecord[], protocol: string, side: TlsSide, ders: number[]): number {
  const tls13 = protocol === 'TLS 1.3';
  const msg = tls13 ? 8 + ders.reduce((s, d) => s + 5 + d, 0) : 7 + ders.reduce((s, d) => s + 3 + d, 0);
  const size = 5 + msg + (tls13 ? 17 : 0);
  const hits = records.flatMap((r, i) =>
    r.from === side && r.kind === 'handshake' && r.type === (tls13 ? 23 : 22) && r.bytes === size ? [i] : []);
  return hits.length === 1 ? hits[0]! : -1;
}

function chainOf(records: TlsRecord[], protocol: string, certBytes: TlsTranscript['certBytes']): 'leaf' | 'leaf+ca' {
  const leaf = { A: certBytes.client, B: certBytes.server };
  const sides = ['A', 'B'] as const;
  if (sides.every((s) => certificateRecord(records, protocol, s, [leaf[s], certBytes.ca]) >= 0)) return 'leaf+ca';
  if (sides.every((s) => certificateRecord(records, protocol, s, [leaf[s]]) >= 0)) return 'leaf';
  throw new Error('could not locate both Certificate records by size');
}

/**
 * The exchange as it would be if each side sent its leaf certificate alone (derived, not recorded:
 * see the header). Removes the CA entry from each side's Certificate message and shrinks the
 * record and the write holding it by the same amount; everything else is unchanged.
 */
export function withoutCaCert(t: TlsTranscript): TlsTranscript {
  if (t.config.chain === 'leaf') return t;
  const tls13 = t.protocol === 'TLS 1.3';
  const entry = t.certBytes.ca + (tls13 ? 5 : 3);
  const records = t.records.map((r) => ({ ...r }));
  const writes = t.writes.map((w) => ({ ...w }));
  const plaintextHandshake = t.plaintextHandshake.map((m) => ({ ...m }));
  const leaf = { A: t.certBytes.client, B: t.certBytes.server };
  for (const side of ['A', 'B'] as const) {
    const i = certificateRecord(records, t.protocol, side, [leaf[side], t.certBytes.ca]);
    if (i < 0) throw new Error(`withoutCaCert: no leaf+CA Certificate record from ${side}`);
    // Offset of the record in side's stream, then the writes that carry it (Node may split a
    // record across writes): they must lie in one flight; shrink them from the last one back.
    let offset = 0;
    for (let j = 0; j < i; j++) if (records[j]!.from === side) offset += records[j]!.bytes;
    const end = offset + records[i]!.bytes;
    const carriers: number[] = [];
    let at = 0;
    writes.forEach((x, k) => {
      if (x.from !== side) return;
      if (at < end && at + x.bytes > offset) carriers.push(k);
      at += x.bytes;
    });
    const first = carriers[0]!, last = carriers[carriers.length - 1]!;
    if (carriers.length === 0 || writes.slice(first, last + 1).some((x) => x.from !== side)) {
      throw new Error('withoutCaCert: Certificate record spans flights');
    }
    let left = entry;
    for (let k = carriers.length - 1; k >= 0 && left > 0; k--) {
      const x = writes[carriers[k]!]!;
      const wStart = writes.slice(0, carriers[k]).filter((y) => y.from === side).reduce((a, y) => a + y.bytes, 0);
      const overlap = Math.min(end, wStart + x.bytes) - Math.max(offset, wStart);
      const cut = Math.min(left, overlap);
      x.bytes -= cut;
      left -= cut;
    }
    records[i]!.bytes -= entry;
    const m = plaintextHandshake.find((x) => x.from === side && x.type === 11 && x.certs === 2);
    if (m) { m.bytes -= entry; m.certs = 1; }
  }
  const hs = { AtoB: t.handshakeBytes.AtoB - entry, BtoA: t.handshakeBytes.BtoA - entry };
  return {
    ...t,
    config: { ...t.config, chain: 'leaf' },
    derived: 'ca-cert-removed',
    writes,
    flights: flightsOf(writes),
    records,
    plaintextHandshake,
    bytesBeforeFirstAppByte: hs.AtoB + hs.BtoA + 5,
    handshakeBytes: hs,
    bytesAtoB: t.bytesAtoB - entry,
    bytesBtoA: t.bytesBtoA - entry,
  };
}

// --- the exchange (runs in the child process) ----------------------------------------------------

interface ChildRequest {
  version: TlsVersion;
  keyType: TlsKeyType;
  appDataHex: string;
  pki: TlsPki;
  timeoutMs: number;
}

const CIPHERS: Record<TlsVersion, string> = {
  'TLSv1.3': 'TLS_CHACHA20_POLY1305_SHA256',
  'TLSv1.2': 'ECDHE-ECDSA-CHACHA20-POLY1305', // ECDHE with an ECDSA or (RFC 8422) Ed25519 certificate
};
const SIGALGS: Record<TlsKeyType, string> = { p256: 'ecdsa_secp256r1_sha256', ed25519: 'ed25519' };
// X25519 first (the only key share sent); P-256 listed too, as TLS 1.2 requires a P-256 ECDSA
// certificate's curve among the client's supported groups.
const GROUPS = 'X25519:P-256';

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

async function exchangeInProcess(req: ChildRequest): Promise<TlsTranscript> {
  const { version, keyType, pki } = req;
  const appData = Buffer.from(req.appDataHex, 'hex');

  const writes: (TlsWrite & { data: Buffer })[] = [];
  let phase: 'handshake' | 'app' = 'handshake';
  let recording = true;
  let clientDone = false, serverDone = false;
  let serverBytesAfterHandshake = 0;
  const { a, b } = wirePair((from, chunk) => {
    if (!recording || chunk.length === 0) return;
    if (from === 'B' && clientDone && serverDone && phase === 'handshake') serverBytesAfterHandshake += chunk.length;
    writes.push({ from, bytes: chunk.length, kind: from === 'A' ? phase : 'handshake', data: Buffer.from(chunk) });
  });

  const common = {
    minVersion: version,
    maxVersion: version,
    ciphers: CIPHERS[version],
    sigalgs: SIGALGS[keyType],
    ecdhCurve: GROUPS,
    ca: pki.caCert,
    rejectUnauthorized: true,
    secureOptions: crypto.constants.SSL_OP_NO_TICKET,
  } as const;
  const server = tls.createServer({ ...common, key: pki.serverKey, cert: pki.serverCert, requestCert: true });

  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`TLS exchange timed out (${version}, ${keyType})`)), req.timeoutMs);
  });
  const failures: Error[] = [];
  try {
    const serverSide = new Promise<tls.TLSSocket>((resolve, reject) => {
      server.once('secureConnection', (s: tls.TLSSocket) => { serverDone = true; resolve(s); });
      server.once('tlsClientError', reject);
    });
    server.emit('connection', b);

    let sessionEvents = 0;
    const client = tls.connect({ ...common, socket: a, servername: SERVER_NAME, key: pki.clientKey, cert: pki.clientCert });
    client.on('session', () => { sessionEvents++; });
    const clientSide = new Promise<void>((resolve, reject) => {
      client.once('secureConnect', () => { clientDone = true; resolve(); });
      client.once('error', reject);
    });

    const [srv] = await Promise.race([Promise.all([serverSide, clientSide]), timeout]);
    srv.on('error', (e) => failures.push(e));
    client.on('error', (e) => failures.push(e));

    // Settle: anything B sends after its handshake (a NewSessionTicket) shows up here.
    for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 25));

    const peer = srv.getPeerCertificate();
    const clientAuthorized = srv.authorized && peer != null && Object.keys(peer).length > 0;
    const clientCertSubject = String(peer?.subject?.CN ?? '');
    const serverAuthorized = client.authorized;
    const protocol = client.getProtocol() ?? '';
    const cipher = client.getCipher().standardName;

    // Snapshot: everything so far is handshake. Now A sends the application data.
    phase = 'app';
    const received = new Promise<void>((resolve) => {
      let got = 0;
      srv.on('data', (d: Buffer) => { got += d.length; if (got >= appData.length) resolve(); });
    });
    client.write(appData);
    await Promise.race([received, timeout]);
    recording = false;
    if (failures.length > 0) throw failures[0];
    client.destroy();
    srv.destroy();

    const records: TlsRecord[] = [];
    const plaintextHandshake: TlsPlainMessage[] = [];
    const hs = { AtoB: 0, BtoA: 0 };
    for (const side of ['A', 'B'] as const) {
      const mine = writes.filter((w) => w.from === side);
      const stream = Buffer.concat(mine.map((w) => w.data));
      const hsBytes = mine.filter((w) => w.kind === 'handshake').reduce((s, w) => s + w.bytes, 0);
      hs[side === 'A' ? 'AtoB' : 'BtoA'] = hsBytes;
      for (const r of parseRecords(stream)) {
        records.push({ from: side, type: r.type, bytes: r.bytes, kind: r.offset < hsBytes ? 'handshake' : 'app' });
      }
      plaintextHandshake.push(...plaintextMessages(side, stream.subarray(0, hsBytes)));
    }
    const appRecords = records.filter((r) => r.kind === 'app');
    if (appRecords.length === 0 || appRecords.some((r) => r.type !== 23 || r.from !== 'A')) {
      throw new Error('unexpected application records: ' + JSON.stringify(appRecords));
    }
    // TLS 1.3 tickets are encrypted: count 'session' events. TLS 1.2 ones are plaintext (type 4);
    // there 'session' fires once for the session itself (stateful, by session id).
    const newSessionTickets = version === 'TLSv1.3'
      ? sessionEvents
      : plaintextHandshake.filter((m) => m.from === 'B' && m.type === 4).length;
    const plain: TlsWrite[] = writes.map(({ from, bytes, kind }) => ({ from, bytes, kind }));
    const sum = (side: TlsSide) => plain.filter((w) => w.from === side).reduce((s, w) => s + w.bytes, 0);
    return {
      protocol: protocol.replace(/^TLSv/, 'TLS '),
      keyType,
      cipher,
      config: { ciphers: CIPHERS[version], sigalgs: SIGALGS[keyType], groups: GROUPS, chain: chainOf(records, protocol.replace(/^TLSv/, 'TLS '), pki.certBytes), middleboxCompat: true },
      writes: plain,
      flights: flightsOf(plain),
      records,
      plaintextHandshake,
      bytesBeforeFirstAppByte: hs.AtoB + hs.BtoA + 5,
      handshakeBytes: hs,
      bytesAtoB: sum('A'),
      bytesBtoA: sum('B'),
      appRecordBytes: appRecords.reduce((s, r) => s + r.bytes, 0),
      appDataBytes: appData.length,
      ticketsDisabled: true,
      serverBytesAfterHandshake,
      newSessionTickets,
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

// --- the exchange (parent side) ------------------------------------------------------------------

/**
 * Record one mutually authenticated TLS exchange: handshake, then `appData` from A to B. Runs the
 * node:tls client and server in a child node process (for the OpenSSL configuration above).
 */
export async function recordTlsExchange(opts: RecordOptions): Promise<TlsTranscript> {
  const { version, keyType, appData } = opts;
  if (version !== 'TLSv1.3' && version !== 'TLSv1.2') throw new RangeError(`unknown TLS version '${String(version)}'`);
  if (keyType !== 'p256' && keyType !== 'ed25519') throw new RangeError(`unknown key type '${String(keyType)}'`);
  if (!(appData instanceof Uint8Array) || appData.length === 0) throw new RangeError('appData must be a non-empty Uint8Array');
  const pki = await makeTlsPki(keyType);
  const timeoutMs = opts.timeoutMs ?? 20_000;

  const dir = mkdtempSync(path.join(os.tmpdir(), 'airshake-tls-run-'));
  try {
    const conf = writeNoTicketsConf(dir);
    const req: ChildRequest = { version, keyType, appDataHex: Buffer.from(appData).toString('hex'), pki, timeoutMs };
    const out = await runChild(conf, JSON.stringify(req), timeoutMs + 10_000);
    return JSON.parse(out) as TlsTranscript;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Writes dir/openssl.cnf: an OpenSSL configuration (for OPENSSL_CONF; Node reads its `nodejs_conf`
 * section at start-up) whose system default sets NumTickets = 0, so that a TLS 1.3 server in that
 * process sends no session tickets. Returns its path.
 */
export function writeNoTicketsConf(dir: string): string {
  const conf = path.join(dir, 'openssl.cnf');
  writeFileSync(conf, [
    'nodejs_conf = airshake_tls',
    'openssl_conf = airshake_tls',
    '[airshake_tls]',
    'ssl_conf = airshake_ssl',
    '[airshake_ssl]',
    'system_default = airshake_sys',
    '[airshake_sys]',
    'NumTickets = 0',
    '',
  ].join('\n'));
  return conf;
}

const CHILD_FLAG = '--airshake-tls-child';

function runChild(opensslConf: string, input: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), CHILD_FLAG], {
      env: { ...process.env, OPENSSL_CONF: opensslConf },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '', stderr = '';
    const timer = setTimeout(() => { child.kill(); reject(new Error('TLS child process timed out')); }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`TLS child process exited with ${code}: ${stderr.trim()}`));
    });
    child.stdin.end(input);
  });
}

async function childMain(): Promise<void> {
  let input = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) input += chunk as string;
  const transcript = await exchangeInProcess(JSON.parse(input) as ChildRequest);
  process.stdout.write(JSON.stringify(transcript));
}

if (process.argv[2] === CHILD_FLAG && process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url) {
  childMain().then(
    () => process.exit(0),
    (e: unknown) => { process.stderr.write(String(e instanceof Error ? e.stack ?? e.message : e) + '\n'); process.exit(1); },
  );
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
  let pending = 0; // writes of the current flight still in the air

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
