#!/usr/bin/env node
/**
 * airshake command line.
 *   airshake demo [--link gsm|gprs|nbiot|ltem|fast] [--suite x25519|p256|fs|kt] [--cached-server-cert] [--key-update N] [--json] [--message TEXT]
 *   airshake pki ca --dir DIR [--name NAME] [--days N] [--suite x25519|p256]
 *   airshake pki issue --dir DIR --name NAME [--days N] [--suite x25519|p256]   (handset or server certificate)
 *   airshake pki enrol --store SPEC CERT.der...              (one subject's certificates: one handset)
 *   airshake pki revoke --store SPEC --id HEX [--reason TEXT]
 *   airshake pki list --store SPEC                            (SPEC as serve's; --bind-dn, --bind-password-file for LDAP)
 *   airshake serve --pki DIR --store sqlite:FILE|FILE|ldap://HOST:PORT/BASE-DN [--bind-dn DN --bind-password-file F]
 *                  [--name b.airshake] [--tcp PORT] [--serial PATH --baud N] [--revocation-poll-ms N] [--max-sync-age-ms N] [--quiet]
 *   airshake client --board boards/X.json --pki DIR [--name handset-0001] [--port /dev/ttyUSB0] [--b HOST:PORT] [--suite x25519|p256]
 *   airshake demo:serial [--json] [--board NAME]
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { VirtualClock } from './link/clock.js';
import { PROFILE_NAMES, getProfile } from './link/profiles.js';
import { Handset } from './handset.js';
import { DEMO_SUITES, handsetId, loadHandset, provisionHandset, startFor, suiteSetup } from './sim/suites.js';
import { createDeployment } from './sim/deployment.js';
import { runHandshake } from './sim/run.js';
import { readCa, writeCa, writeIssued, type PkiSuite } from './pki/files.js';
import { SqliteCertStore } from './store/sqlite.js';
import { describeStore, openStore, parseStoreSpec } from './store/open.js';
import { SUITE_NAMES } from './protocol/constants.js';
import path from 'node:path';
import { readP256Key, readX25519Key } from './pki/files.js';
import { CertCache } from './store/cache.js';
import { AirshakeServer } from './server/server.js';
import type { ValidatedCert } from './server/validate.js';
import { serveSerial, serveTcp } from './server/serve.js';
import { loadBoard } from './boards.js';
import { createPtyPair } from './modem/pty.js';
import { ModemEmulator } from './modem/emulator.js';
import { runSerialClient } from './serial/client.js';
import { serialDemo } from './serial/demo.js';

const usage = `usage:
  airshake demo [--link ${PROFILE_NAMES.join('|')}] [--suite ${DEMO_SUITES.join('|')}] [--cached-server-cert] [--key-update N] [--json] [--message TEXT]
  airshake pki ca --dir DIR [--name NAME] [--days N] [--suite x25519|p256]
  airshake pki issue --dir DIR --name NAME [--days N] [--suite x25519|p256]
  airshake pki enrol --store SPEC CERT.der...   (SPEC as for serve, with --bind-dn and --bind-password-file for LDAP)
  airshake pki revoke --store SPEC --id HEX [--reason TEXT]
  airshake pki list --store SPEC
  airshake serve --pki DIR --store SPEC [--name b.airshake] [--tcp PORT] [--host ADDR] [--serial PATH --baud N]
        SPEC: sqlite:FILE (or just FILE; the default kind) or ldap://HOST:PORT/BASE-DN (e.g. ldap://127.0.0.1:389/o=airshake)
        [--bind-dn DN --bind-password-file FILE] (or AIRSHAKE_LDAP_PASSWORD; anonymous without --bind-dn)
        [--revocation-poll-ms 500] [--max-sync-age-ms N] [--lookup-timeout-ms 3000] [--store-timeout-ms 2000] [--quiet]
  airshake client --board boards/X.json --pki DIR [--name handset-0001] [--server b.airshake] [--port /dev/ttyUSB0] [--b HOST:PORT] [--suite x25519|p256] [--json]
  airshake demo:serial [--json] [--board NAME]`;

async function demo(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: {
    link: { type: 'string', default: 'gsm' }, json: { type: 'boolean', default: false },
    message: { type: 'string', default: 'hello from handset-0001' },
    suite: { type: 'string', default: 'x25519' },
    'cached-server-cert': { type: 'boolean', default: false },
    'key-update': { type: 'string' },
  } });
  const keyUpdates = values['key-update'] === undefined ? 0 : Number(values['key-update']);
  if (!Number.isSafeInteger(keyUpdates) || keyUpdates < 0 || keyUpdates > 100_000) throw new Error(`--key-update N: a count of records, got ${JSON.stringify(values['key-update'])}`);
  const profile = getProfile(values.link!);
  const setup = suiteSetup(values.suite!);
  const cached = values['cached-server-cert']!;
  if (cached && setup.suite !== 'fs') throw new Error('--cached-server-cert needs --suite fs (suite 3 names the server certificate A holds)');
  const epochSec = Math.floor(Date.now() / 1000);
  const dep = createDeployment({ now: epochSec, handsets: 1, suites: setup.deploy });
  try {
    const clock = new VirtualClock();
    const server = dep.makeServer(() => epochSec * 1000 + clock.now(), { ...setup.server, onApplicationData: (d) => d });
    const handset = await loadHandset(setup);
    const h = dep.handsets[0]!;
    provisionHandset(handset, setup, dep, h);
    // the handset holds C_B (checked like a received one): its hello names it, B leaves it out
    if (cached) handset.cacheServer(dep.server.cert, epochSec);
    const appData = new TextEncoder().encode(values.message!);
    const r = runHandshake({ clock, epochSec, profile, handset, server, appData, start: startFor(setup, handset), keyUpdates });
    const out = {
      link: profile.name,
      linkFigures: { bitRate: profile.bitRate, latencyMs: profile.latencyMs, mtu: profile.mtu },
      suite: SUITE_NAMES[r.suite] ?? r.suite,
      suitesOffered: setup.offer.map((x) => SUITE_NAMES[x] ?? x),
      firmware: setup.firmware,
      // every field in every mode (the JSON key set is the same for all suites and options):
      // C_B by reference is suite 3's only, so false elsewhere; keyUpdates null unless requested
      serverCertByReference: setup.suite === 'fs' && cached,
      ok: r.ok,
      messages: r.messages.map((m) => ({ from: m.from, to: m.to, kind: m.kind, bytes: m.bytes, appBytes: m.appBytes, sentAtMs: round(m.sentAtMs), deliveredAtMs: m.deliveredAtMs === null ? null : round(m.deliveredAtMs) })),
      messagesUntilFirstAppData: r.messages.findIndex((m) => m.kind === 'finish') + 1,
      bytesBeforeFirstAppByte: r.bytesBeforeFirstAppByte,
      timeToFirstAppDataMs: r.timeToFirstAppDataMs === null ? null : round(r.timeToFirstAppDataMs),
      appData: values.message,
      echo: r.echo ? new TextDecoder().decode(r.echo) : null,
      echoed: r.echoed,
      handsetError: r.handsetError,
      serverErrors: r.serverEvents.filter((e) => e.type === 'failed'),
      store: 'SQLite (throwaway file)',
      idA: Buffer.from(handsetId(setup, h)).toString('hex'),
      keyUpdates: r.keyUpdates ?? null,
    };
    if (values.json) {
      console.log(JSON.stringify(out));
    } else {
      console.log(`airshake demo: handset A (firmware ${setup.firmware}) <-> server B over the emulated '${profile.name}' link`);
      console.log(`  ${profile.description}`);
      console.log(`  A offers ${out.suitesOffered.join(', ')}; B chose ${out.suite}`);
      if (setup.suite === 'fs') console.log(`  C_B ${cached ? 'held by A and named by reference in its hello: B leaves it out' : 'sent by B, encrypted under the ephemeral exchange'}`);
      console.log(`  ID_A ${out.idA}; certificates from a throwaway CA; C_A fetched from a SQLite store\n`);
      console.log('  #  direction  message     bytes  app bytes   sent at (ms)  arrives at (ms)');
      r.messages.forEach((m, i) => {
        console.log(`  ${String(i + 1).padStart(1)}  ${m.from} -> ${m.to}     ${m.kind.padEnd(9)} ${String(m.bytes).padStart(6)} ${String(m.appBytes).padStart(10)} ${round(m.sentAtMs).toFixed(1).padStart(14)} ${(m.deliveredAtMs === null ? 'lost' : round(m.deliveredAtMs).toFixed(1)).padStart(16)}`);
      });
      console.log(`\n  application data: ${JSON.stringify(values.message)}`);
      console.log(`  echo from B:      ${out.echo === null ? '(none)' : JSON.stringify(out.echo)} ${r.echoed ? '(matches)' : '(MISMATCH)'}`);
      console.log(`\n  messages until B holds A's first application data: ${out.messagesUntilFirstAppData}`);
      console.log(`  bytes on air before the first application byte:    ${out.bytesBeforeFirstAppByte}`);
      console.log(`  time to first application data:                    ${out.timeToFirstAppDataMs} ms (virtual clock: link time only)`);
      if (r.keyUpdates) {
        const k = r.keyUpdates;
        console.log(`\n  key update: ${k.records} records each way, each with the change-cipher message (${k.recordBytes} bytes, ${k.recordBytes - k.plainRecordBytes} more than without):`);
        console.log(`  ${k.updatesAB} updates A -> B, ${k.updatesBA} B -> A; every record ${k.allDelivered ? 'delivered intact' : 'NOT delivered intact'}`);
      }
      if (!r.ok) console.log(`\n  FAILED: handset ${JSON.stringify(r.handsetError)}, server ${JSON.stringify(out.serverErrors)}`);
    }
    return r.ok && r.echoed && (!r.keyUpdates || r.keyUpdates.allDelivered) ? 0 : 1;
  } finally {
    dep.close();
  }
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** `--suite x25519|p256` of the pki commands: which PKI (suite 1's Ed25519 CA and X25519 keys, or suite 2's P-256). */
function pkiSuite(v: string | undefined): PkiSuite {
  if (v === undefined || v === 'x25519') return 1;
  if (v === 'p256') return 2;
  throw new Error(`--suite must be x25519 or p256, got ${JSON.stringify(v)}`);
}

/** A handset certificate's key: X25519 (suite 1) or P-256 (suite 2); anything else is refused. */
function handsetKeyKind(file: string, der: Uint8Array): 'x25519' | 'p256' {
  const x = new X509Certificate(der);
  if (x.ca) throw new Error(`${file}: not a handset certificate (a CA certificate)`);
  const k = x.publicKey;
  if (k.asymmetricKeyType === 'x25519') return 'x25519';
  if (k.asymmetricKeyType === 'ec' && k.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'p256';
  throw new Error(`${file}: not a handset certificate (key ${k.asymmetricKeyType}${k.asymmetricKeyDetails?.namedCurve ? ` ${k.asymmetricKeyDetails.namedCurve}` : ''}; X25519 or P-256 expected)`);
}

async function pki(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: {
    dir: { type: 'string' }, name: { type: 'string' }, days: { type: 'string' }, store: { type: 'string' },
    id: { type: 'string' }, reason: { type: 'string', default: 'unspecified' }, suite: { type: 'string' },
    'bind-dn': { type: 'string' }, 'bind-password-file': { type: 'string' },
  } });
  const need = (v: string | undefined, flag: string): string => { if (!v) throw new Error(`pki ${cmd}: --${flag} is required`); return v; };
  // the store commands take the same --store SPEC as serve: sqlite:FILE, FILE or ldap://HOST:PORT/BASE-DN
  const open = () => openStore(need(values.store, 'store'), { bindDn: values['bind-dn'], passwordFile: values['bind-password-file'] });
  switch (cmd) {
    case 'ca': {
      const suite = pkiSuite(values.suite);
      const dir = need(values.dir, 'dir');
      const ca = writeCa(dir, values.name ?? (suite === 2 ? 'airshake CA P-256' : 'airshake CA'), undefined, values.days ? Number(values.days) : undefined, suite);
      const files = suite === 2 ? 'ca-p256.der, ca-p256.key.pem' : 'ca.der, ca.key.pem';
      console.log(`CA "${ca.name}" in ${dir} (${files}); ${suite === 2 ? 'P-256 (ECDSA)' : 'Ed25519'} public key ${Buffer.from(ca.publicKey).toString('hex')}`);
      return 0;
    }
    case 'issue': {
      const suite = pkiSuite(values.suite);
      const dir = need(values.dir, 'dir');
      const ca = readCa(dir, suite);
      const is = writeIssued(dir, ca, need(values.name, 'name'), { days: values.days ? Number(values.days) : undefined, suite });
      console.log(`${is.certFile} (${is.cert.length} bytes), ${is.keyFile}; ID_A ${Buffer.from(is.id).toString('hex')}`);
      return 0;
    }
    case 'enrol': {
      const store = open();
      try {
        if (positionals.length === 0) throw new Error('pki enrol: give the certificate file(s)');
        // Certificates with the same subject are one handset's (one per suite) and are enrolled
        // together, so that B finds all of them by the ID of any; every file is checked first.
        const bySubject = new Map<string, Uint8Array[]>();
        for (const f of positionals) {
          const der = new Uint8Array(readFileSync(f));
          handsetKeyKind(f, der);
          const subject = new X509Certificate(der).subject;
          bySubject.set(subject, [...(bySubject.get(subject) ?? []), der]);
        }
        for (const ders of bySubject.values()) {
          const certs = ders.length === 1 ? [await store.enrol(ders[0]!)] : await store.enrolHandset(ders);
          for (const c of certs) console.log(`enrolled ${c.subject} as ${Buffer.from(c.id).toString('hex')}${certs.length > 1 ? ` (one handset of ${certs.length} certificates)` : ''}`);
        }
      } finally { await store.close(); }
      return 0;
    }
    case 'revoke': {
      const id = need(values.id, 'id');
      if (!/^[0-9a-fA-F]{16}$/.test(id)) throw new Error('pki revoke: --id must be 16 hex digits (8 bytes)');
      const store = open();
      try {
        const r = await store.revoke(new Uint8Array(Buffer.from(id, 'hex')), values.reason!);
        console.log(`revoked ${id} at ${new Date(r.at * 1000).toISOString()} (${r.reason}); revocation #${r.seq}`);
      } finally { await store.close(); }
      return 0;
    }
    case 'list': {
      const store = open();
      try {
        for (const c of await store.list()) {
          console.log(`${Buffer.from(c.id).toString('hex')}  ${c.subject.padEnd(24)} until ${new Date(c.notAfter * 1000).toISOString()}${c.revokedAt !== null ? `  REVOKED ${new Date(c.revokedAt * 1000).toISOString()} (${c.revocationReason})` : ''}`);
        }
      } finally { await store.close(); }
      return 0;
    }
    default:
      console.error(usage);
      return 2;
  }
}

/**
 * B on TCP and/or a serial line, with its certificate and key from a PKI directory and its
 * certificates from a SQLite file or an LDAP directory (host/store/open.ts: the --store forms).
 * Events are JSON lines on stdout (with --quiet only failures, revocations and store state);
 * a revocation poller (every --revocation-poll-ms) purges B's cache of revocations made anywhere.
 * --max-sync-age-ms N (default off): cache hits are refused (looked up instead, so ERR_STORE while
 * the directory is unreachable) once the last successful poll started more than N ms ago.
 * SIGTERM or SIGINT prints a final stats line and exits.
 */
async function serve(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: {
    pki: { type: 'string' }, name: { type: 'string', default: 'b.airshake' }, store: { type: 'string' },
    tcp: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' }, serial: { type: 'string' }, baud: { type: 'string', default: '115200' },
    mtu: { type: 'string', default: '256' },
    'bind-dn': { type: 'string' }, 'bind-password-file': { type: 'string' },
    'revocation-poll-ms': { type: 'string', default: '500' }, 'lookup-timeout-ms': { type: 'string', default: '3000' },
    'store-timeout-ms': { type: 'string', default: '2000' }, quiet: { type: 'boolean', default: false },
    'max-sync-age-ms': { type: 'string' },
  } });
  if (!values.pki || !values.store) throw new Error('serve: --pki DIR and --store SPEC are required');
  if (!values.tcp && !values.serial) throw new Error('serve: give --tcp PORT and/or --serial PATH');
  const num = (flag: string, v: string, min: number): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new Error(`serve: --${flag} must be a number >= ${min}, got ${JSON.stringify(v)}`);
    return n;
  };
  const pollMs = num('revocation-poll-ms', values['revocation-poll-ms']!, 1);
  const lookupTimeoutMs = num('lookup-timeout-ms', values['lookup-timeout-ms']!, 1);
  const storeTimeoutMs = num('store-timeout-ms', values['store-timeout-ms']!, 1);
  const maxSyncAgeMs = values['max-sync-age-ms'] !== undefined ? num('max-sync-age-ms', values['max-sync-age-ms'], 1) : undefined;
  const tcpPort = values.tcp !== undefined ? num('tcp', values.tcp, 0) : undefined;
  const spec = parseStoreSpec(values.store);
  const ca = readCa(values.pki);
  const store = openStore(spec, { bindDn: values['bind-dn'], passwordFile: values['bind-password-file'], timeoutMs: storeTimeoutMs, connectTimeoutMs: storeTimeoutMs });
  const log = (o: object) => console.log(JSON.stringify({ t: Date.now(), ...o }));
  let baselined = store instanceof SqliteCertStore;
  const cache = new CertCache<ValidatedCert>(store, {
    capacity: 10_000, ttlMs: 3_600_000, maxSyncAgeMs,
    onRevocation: (r, purged) => { if (baselined) log({ type: 'revocation', id: Buffer.from(r.id).toString('hex'), seq: r.seq, purged }); },
  });
  const server = new AirshakeServer({
    store, cache, caPublicKey: ca.publicKey,
    certificate: new Uint8Array(readFileSync(path.join(values.pki, `${values.name}.der`))),
    privateKey: readX25519Key(path.join(values.pki, `${values.name}.key.pem`)),
    lookupTimeoutMs,
    onApplicationData: (d) => d,
    onEvent: (e) => { if (e.type === 'failed' || (!values.quiet && e.type !== 'closed')) log(e); },
  });
  if (!baselined) {
    // the revocations already in the directory: no entries to purge yet, not logged
    const ok = await cache.syncAsync();
    log({ type: 'store', store: describeStore(spec), reachable: ok, seq: cache.seq });
    baselined = true;
  }
  cache.startPolling(pollMs);
  const framing = { mtu: Number(values.mtu) };
  if (tcpPort !== undefined) {
    const srv = await serveTcp(server, tcpPort, values.host, framing);
    console.log(`server B (${values.name}) on tcp ${values.host}:${(srv.address() as { port: number }).port}; store ${describeStore(spec)}; echoing application data`);
  }
  if (values.serial) {
    await serveSerial(server, values.serial, Number(values.baud), framing);
    console.log(`server B (${values.name}) on serial ${values.serial}`);
  }
  setInterval(() => server.sweep(), 1000).unref();
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  log({ type: 'stats', server: server.stats, cache: cache.stats });
  server.close();
  cache.close();
  await store.close();
  process.exit(0);
}

/** The handset side through a modem (or the emulator on a pty pair). */
async function client(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: {
    board: { type: 'string' }, port: { type: 'string' }, pki: { type: 'string' }, name: { type: 'string', default: 'handset-0001' },
    server: { type: 'string', default: 'b.airshake' }, message: { type: 'string', default: 'hello from the handset' },
    b: { type: 'string', default: '127.0.0.1:7787' }, json: { type: 'boolean', default: false },
    suite: { type: 'string', default: 'x25519' },
  } });
  if (!values.board || !values.pki) throw new Error('client: --board FILE and --pki DIR are required');
  const board = loadBoard(values.board);
  const ca = readCa(values.pki);
  const keyFile = (suite: PkiSuite) => path.join(values.pki!, `${suite === 2 ? `${values.name}.p256` : values.name}.key.pem`);
  let handset: Handset;
  if (pkiSuite(values.suite) === 2) {
    // the dual firmware offers suite 2, then suite 1: both identities from the PKI directory
    handset = await Handset.load({ build: 'dual' });
    handset.provisionSuites({
      suites: [2, 1], serverName: values.server!,
      p256: { secretKey: readP256Key(keyFile(2)), caPublicKey: readCa(values.pki, 2).publicKey },
      x25519: { secretKey: readX25519Key(keyFile(1)), caPublicKey: ca.publicKey },
    });
  } else {
    handset = await Handset.load();
    handset.provision(readX25519Key(keyFile(1)), ca.publicKey, values.server!);
  }
  let portPath = values.port ?? board.serial.path;
  let cleanup = async () => {};
  const [bHost, bPort] = values.b!.split(':');
  if (portPath === 'pty:emulator') {
    const pty = await createPtyPair();
    const emu = new ModemEmulator({ path: pty.b, dialect: board.modem.driver, host: bHost!, port: Number(bPort), bitRate: board.link.bitRate, latencyMs: board.link.latencyMs, bitErrorRate: board.emulator?.bitErrorRate, byteDropRate: board.emulator?.byteDropRate });
    await emu.start();
    portPath = pty.a;
    cleanup = async () => { await emu.stop(); await pty.close(); };
  }
  try {
    const r = await runSerialClient({ board, path: portPath, handset, appData: new TextEncoder().encode(values.message!), driverOverride: board.modem.driver === 'hayes-csd' ? {} : { host: bHost, port: Number(bPort) }, log: values.json ? undefined : (l) => console.log(l) });
    if (values.json) console.log(JSON.stringify({ board: board.name, driver: board.modem.driver, ok: r.ok, error: r.error, connectMs: Math.round(r.connectMs), handshakeToEchoMs: r.handshakeToEchoMs, retransmissions: r.retransmissions, bytes: r.bytes }));
    else console.log(r.ok ? `handshake ok; echo ${JSON.stringify(new TextDecoder().decode(r.echo!))} after ${r.handshakeToEchoMs!.toFixed(0)} ms; ${r.retransmissions} retransmissions` : `FAILED: ${r.error}`);
    return r.ok ? 0 : 1;
  } finally { await cleanup(); }
}

async function main(): Promise<number> {
  const [cmd, ...rest] = process.argv.slice(2);
  if (cmd === 'demo') return demo(rest);
  if (cmd === 'demo:serial') return serialDemo(rest);
  if (cmd === 'pki') return await pki(rest);
  if (cmd === 'serve') return serve(rest);
  if (cmd === 'client') return client(rest);
  console.error(usage);
  return 2;
}

main().then((code) => { process.exitCode = code; }, (e: Error) => { console.error(`airshake: ${e.message}`); process.exitCode = 1; });
