/**
 * Server throughput over loopback, like for like (part of `npm run bench`): handshakes per second
 * per core of
 * - server B as deployed: `airshake serve` in its own process, on TCP with its framing layer
 *   (COBS, CRC-16, ARQ), certificates from a SQLite store through its cache (cache hits: every
 *   handset has been seen in the warm-up), each handshake ending with B's echo of the application
 *   data; the clients are firmware handsets (build/handset.wasm) in this process;
 * - a node:tls TLS 1.3 mutual-auth server (P-256 ECDSA certificates, session tickets off) in its
 *   own process; the clients are node:tls in this process.
 * The servers' work is measured as their process's CPU time (user + system, every thread, from
 * /proc/PID/stat) over the timed handshakes, so the clients' work, which runs in this process,
 * is not counted for either: handshakes per second per core = handshakes / server CPU seconds.
 * The wall-clock rate is reported too; it is bounded by the clients (one process, one core).
 * Linux only (/proc).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Handset } from '../handset.js';
import { pool } from '../util/pool.js';
import { createDeployment } from '../sim/deployment.js';
import { ServeProcess } from '../sim/serve-process.js';
import { tcpHandshake } from '../sim/tcp-client.js';
import { makeTlsPki, SERVER_NAME, writeNoTicketsConf, type TlsPki } from './tls.js';

export interface LoopbackThroughput {
  /** Timed handshakes (after the warm-up), all of which must succeed. */
  handshakes: number;
  warmup: number;
  /** Handshakes in flight at once (one client each, in this process). */
  concurrency: number;
  wallMs: number;
  /** CPU time of the server's process over the timed handshakes (user + system, all threads). */
  serverCpuMs: number;
  /** handshakes / server CPU seconds. */
  perCorePerSec: number;
  /** handshakes / wall seconds (bounded by the clients, which share one process). */
  wallPerSec: number;
}

export interface AirshakeLoopback extends LoopbackThroughput {
  handsets: number;
  /** From B's final stats line: certificate cache hits and store lookups over the whole run (warm-up included). */
  cacheHits: number;
  storeLookups: number;
}

export interface TlsLoopback extends LoopbackThroughput {
  protocol: string;
  cipher: string;
  sessionsReused: number;
  ticketsDisabled: true;
}

let clockTicks = 0;
/** CPU time (user + system) of a live process, ms, from /proc/PID/stat (fields 14 and 15, in clock ticks). */
export function processCpuMs(pid: number): number {
  if (!clockTicks) {
    try { clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100; } catch { clockTicks = 100; }
  }
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // the command name (field 2) is in parentheses and may hold spaces: count from the last ')'
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(f[14 - 3]), stime = Number(f[15 - 3]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`cannot read the CPU time of process ${pid}`);
  return ((utime + stime) * 1000) / clockTicks;
}


/** Times `n` jobs against a server process: wall time and the process's CPU time. */
async function timed(pid: number, n: number, width: number, job: (k: number, w: number) => Promise<void>): Promise<{ wallMs: number; serverCpuMs: number }> {
  const c0 = processCpuMs(pid), t0 = performance.now();
  await pool(n, width, job);
  return { wallMs: performance.now() - t0, serverCpuMs: processCpuMs(pid) - c0 };
}

const figures = (handshakes: number, warmup: number, concurrency: number, t: { wallMs: number; serverCpuMs: number }): LoopbackThroughput => ({
  handshakes, warmup, concurrency, wallMs: Math.round(t.wallMs), serverCpuMs: Math.round(t.serverCpuMs),
  perCorePerSec: Math.round(handshakes / (t.serverCpuMs / 1000)), wallPerSec: Math.round(handshakes / (t.wallMs / 1000)),
});

/** `airshake serve` (SQLite store, cache hits) against firmware handsets over loopback TCP. */
export async function measureAirshakeLoopback(o: { n?: number; handsets?: number; concurrency?: number } = {}): Promise<AirshakeLoopback> {
  const n = o.n ?? 1000, pooled = o.handsets ?? 20, width = o.concurrency ?? 4;
  const dep = createDeployment({ now: Math.floor(Date.now() / 1000), handsets: pooled });
  let b: ServeProcess | null = null;
  try {
    b = await ServeProcess.start(['--pki', path.join(dep.dir, 'pki'), '--store', `sqlite:${path.join(dep.dir, 'certs.db')}`, '--quiet']);
    const port = b.port;
    const fw = await Promise.all(Array.from({ length: width }, () => Handset.load()));
    const app = new TextEncoder().encode('throughput: first application data');
    const one = async (k: number, w: number) => {
      const h = dep.handsets[k % pooled]!;
      fw[w]!.provision(h.privateKey, dep.ca.publicKey, dep.serverName);
      const r = await tcpHandshake({ port, handset: fw[w]!, appData: app, timeoutMs: 30_000 });
      if (!r.ok || !r.echoed) throw new Error(`airshake throughput: handshake ${k} failed (${r.error ?? `code ${r.code}`})`);
    };
    const warmup = 2 * pooled; // every handset once into B's cache, and the JIT warm on both sides
    await pool(warmup, width, one);
    const t = await timed(b.proc.pid!, n, width, one);
    const stats = await b.stop();
    b = null;
    const server = (stats?.server ?? {}) as { cacheHits?: number; storeLookups?: number };
    return { ...figures(n, warmup, width, t), handsets: pooled, cacheHits: server.cacheHits ?? -1, storeLookups: server.storeLookups ?? -1 };
  } finally {
    await b?.stop();
    dep.close();
  }
}

const TLS_SERVER_CHILD = '--airshake-tls-server-child';

/** In the child (OpenSSL config with NumTickets = 0): a TLS 1.3 mutual-auth server; prints its port, runs until stdin ends. */
async function tlsServerChild(pki: TlsPki): Promise<void> {
  const server = tls.createServer({
    minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ciphers: 'TLS_CHACHA20_POLY1305_SHA256', sigalgs: 'ecdsa_secp256r1_sha256',
    ecdhCurve: 'X25519:P-256', ca: pki.caCert, key: pki.serverKey, cert: pki.serverCert, requestCert: true, rejectUnauthorized: true,
    secureOptions: crypto.constants.SSL_OP_NO_TICKET,
  });
  server.on('secureConnection', (s: tls.TLSSocket) => {
    s.on('error', () => {});
    if (!s.authorized) { s.destroy(); return; }
    // the handshake is done: close our side (the client closes too)
    s.end();
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
  process.stdin.resume();
  await new Promise<void>((r) => process.stdin.once('end', () => r()));
  await new Promise<void>((r) => server.close(() => r()));
}

/** node:tls TLS 1.3 mutual auth (P-256), server in a child process, clients here, over loopback. */
export async function measureTls13Loopback(o: { n?: number; warmup?: number; concurrency?: number } = {}): Promise<TlsLoopback> {
  const n = o.n ?? 1000, warmup = o.warmup ?? 40, width = o.concurrency ?? 4;
  const pki = await makeTlsPki('p256');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'airshake-tls-tput-'));
  let child: ChildProcess | null = null;
  try {
    const conf = writeNoTicketsConf(dir);
    const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), TLS_SERVER_CHILD], { env: { ...process.env, OPENSSL_CONF: conf }, stdio: ['pipe', 'pipe', 'pipe'] });
    child = proc;
    proc.stdin!.write(`${JSON.stringify(pki)}\n`);
    const port = await new Promise<number>((resolve, reject) => {
      let out = '', err = '';
      const timer = setTimeout(() => reject(new Error(`TLS server child did not listen; stderr: ${err}`)), 30_000);
      proc.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
      proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const nl = out.indexOf('\n');
        if (nl >= 0) { clearTimeout(timer); resolve((JSON.parse(out.slice(0, nl)) as { port: number }).port); }
      });
      proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`TLS server child exited with ${code}: ${err}`)); });
    });
    const context = tls.createSecureContext({
      minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ciphers: 'TLS_CHACHA20_POLY1305_SHA256', sigalgs: 'ecdsa_secp256r1_sha256',
      ecdhCurve: 'X25519:P-256', ca: pki.caCert, key: pki.clientKey, cert: pki.clientCert, secureOptions: crypto.constants.SSL_OP_NO_TICKET,
    });
    let protocol = '', cipher = '', sessionsReused = 0;
    const one = () => new Promise<void>((resolve, reject) => {
      const c = tls.connect({ secureContext: context, host: '127.0.0.1', port, servername: SERVER_NAME, rejectUnauthorized: true });
      c.once('secureConnect', () => {
        protocol = c.getProtocol() ?? ''; cipher = c.getCipher().standardName;
        if (c.isSessionReused()) sessionsReused++;
        if (!c.authorized) { c.destroy(); reject(new Error('TLS throughput: server not authorized')); return; }
        // TLS 1.3: the server verifies the client's Finished and certificate after the client's
        // secureConnect; wait for its close so that its work is complete
        c.once('end', () => { c.destroy(); resolve(); });
        c.end();
      });
      c.once('error', reject);
    });
    await pool(warmup, width, () => one());
    const t = await timed(proc.pid!, n, width, () => one());
    if (sessionsReused !== 0) throw new Error(`TLS throughput: ${sessionsReused} sessions resumed`);
    return { ...figures(n, warmup, width, t), protocol, cipher, sessionsReused, ticketsDisabled: true };
  } finally {
    child?.stdin?.end();
    if (child && child.exitCode === null) await new Promise<void>((r) => { child!.once('exit', () => r()); setTimeout(() => { child!.kill('SIGKILL'); r(); }, 5_000); });
    rmSync(dir, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url;
if (isMain && process.argv[2] === TLS_SERVER_CHILD) {
  (async () => {
    let line = '';
    process.stdin.setEncoding('utf8');
    for await (const chunk of process.stdin) { line += chunk as string; if (line.includes('\n')) break; }
    await tlsServerChild(JSON.parse(line.slice(0, line.indexOf('\n'))) as TlsPki);
  })().then(() => process.exit(0), (e: unknown) => { process.stderr.write(String(e instanceof Error ? e.stack ?? e.message : e) + '\n'); process.exit(1); });
}
