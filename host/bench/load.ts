/**
 * Load test of the certificate directory (issue 8): many firmware handsets against several server
 * B processes on one certificate store, over loopback TCP.
 *
 *   node dist/host/bench/load.js [--handsets 1000] [--servers 2] [--store both|ldap|sqlite]
 *        [--rounds 2] [--concurrency 16] [--poll-ms 100] [--revocations 10] [--warmup 32] [--json] [--out FILE]
 *
 * Per store:
 *   - a throwaway PKI and N handset certificates (host/sim/deployment.ts); for `sqlite` the store is
 *     that SQLite file, which every B opens; for `ldap` two slapd processes replicating with
 *     syncrepl (provider -> consumer, host/store/slapd.ts), the N certificates enrolled on the
 *     provider and awaited on the consumer, B number 0 reading the provider and B number 1 the
 *     consumer (further B's alternate);
 *   - S `airshake serve` processes (real OS processes, `--quiet`, revocation poll every P ms);
 *   - the handsets: a pool of `concurrency` firmware instances (build/handset.wasm through
 *     host/handset.ts, the real client), each provisioned with the next handset's key for each
 *     handshake, over TCP with the framing layer (host/sim/tcp-client.ts). Round 1: every handset
 *     once, handset i on B number i mod S (every lookup a cache miss: a store lookup); round 2 the
 *     same again (cache hits). Before round 1, `warmup` further handsets (not counted) handshake
 *     once, spread over the B's, so round 1 does not pay for fresh processes' JIT. Message 3 carries 32 bytes of application data, B echoes it.
 *     Latency = message 1 sent to the echo opened. Lost = message 3 sent (with its application
 *     data) and no echo back. Handshakes per second = handshakes / wall time of the round(s).
 *   - revocation propagation: K handsets handshake with every B (so every B caches them), then
 *     each is revoked on the writer (the provider; for SQLite, the file), one every ~137 ms so
 *     they fall at different points of the poll period; for each, the time from revoke()
 *     returning to the `revocation` line each B logs when its poller purged the entry (B's Date.now;
 *     same machine), max over the B's. Then every B must refuse each revoked handset.
 *   - lookup latency side by side, without load: N lookupHandset() calls in this process on the
 *     SQLite file and on a fresh single slapd (Slapd.start(), no replica; started after the load
 *     runs' slapd processes have stopped) into which the same certificates are enrolled first
 *     (anonymous reader, one connection, sequential).
 * Writes docs/bench/load.json (or --out FILE). Exit status 1 unless every handshake succeeded, no
 * application message was lost and every revoked handset was refused by every B.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Handset } from '../handset.js';
import { pool } from '../util/pool.js';
import { createDeployment, type Deployment } from '../sim/deployment.js';
import { ServeProcess, type ServeEvent } from '../sim/serve-process.js';
import { tcpHandshake, type TcpHandshakeResult } from '../sim/tcp-client.js';
import { LdapCertStore } from '../store/ldap.js';
import { SLAPD_PATHS, Slapd } from '../store/slapd.js';
import { SqliteCertStore } from '../store/sqlite.js';

export interface LoadOptions {
  handsets: number;
  servers: number;
  rounds: number;
  concurrency: number;
  pollMs: number;
  revocations: number;
  /** Extra handsets that handshake first (each B's JIT and connections warm), not counted. */
  warmup: number;
  log?: (s: string) => void;
}

export interface RoundFigures { round: number; handshakes: number; succeeded: number; lost: number; seconds: number; handshakesPerSec: number; p50Ms: number; p99Ms: number }

export interface LoadRun {
  store: 'sqlite' | 'ldap';
  handsets: number;
  servers: number;
  handshakes: number;
  succeeded: number;
  failed: number;
  successRate: number;
  /** Application messages sent in message 3 with no echo back. */
  lost: number;
  handshakesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  rounds: RoundFigures[];
  /** The largest revocation -> purge time seen over the revocations and the B's, ms. */
  revocationPropagationMs: number;
  /**
   * maxPollMsPerServer: each B's longest successful revocation poll (its cache's stats.maxPollMs,
   * from the final stats line: from the tick's due time to the purge), the bound's third term; null
   * when B printed no stats.
   */
  revocationPropagation: { n: number; pollMs: number; p50Ms: number; maxMs: number; perRevocationMaxMs: number[]; maxPollMsPerServer: (number | null)[] };
  revokedRefused: number;
  failures: Record<string, number>;
  serverStats: unknown[];
  setupSeconds: number;
}

const pct = (xs: number[], p: number): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};
const r2 = (x: number) => Math.round(x * 100) / 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hex = (u: Uint8Array) => Buffer.from(u).toString('hex');


async function runStore(kind: 'sqlite' | 'ldap', dep: Deployment, o: LoadOptions): Promise<LoadRun> {
  const log = o.log ?? (() => {});
  const t0 = performance.now();
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  try {
    let specs: string[];
    let revoke: (id: Uint8Array) => Promise<unknown>;
    if (kind === 'ldap') {
      const { provider, consumer } = await Slapd.startPair();
      cleanups.push(() => provider.stop(), () => consumer.stop());
      const admin = new LdapCertStore({ url: provider.url, bindDn: provider.rootDn, password: provider.rootPw });
      cleanups.push(() => admin.close());
      log(`ldap: enrolling ${dep.handsets.length} certificates on the provider ...`);
      await pool(dep.handsets.length, 8, (k) => admin.enrol(dep.handsets[k]!.cert));
      const replica = new LdapCertStore({ url: consumer.url });
      cleanups.push(() => replica.close());
      const t = performance.now();
      while ((await replica.list()).length < dep.handsets.length) {
        if (performance.now() - t > 120_000) throw new Error('the consumer did not receive every enrolment within 120 s');
        await sleep(100);
      }
      specs = Array.from({ length: o.servers }, (_, i) => `${(i % 2 === 0 ? provider : consumer).url}/o=airshake`);
      revoke = (id) => admin.revoke(id, 'load test');
    } else {
      const file = path.join(dep.dir, 'certs.db');
      const writer = SqliteCertStore.open(file);
      cleanups.push(() => writer.close());
      specs = Array.from({ length: o.servers }, () => `sqlite:${file}`);
      revoke = async (id) => writer.revoke(id, 'load test');
    }
    const pki = path.join(dep.dir, 'pki');
    const servers: ServeProcess[] = [];
    for (const spec of specs) {
      const b = await ServeProcess.start(['--pki', pki, '--store', spec, '--quiet', '--revocation-poll-ms', String(o.pollMs), '--lookup-timeout-ms', '5000', '--store-timeout-ms', '5000']);
      servers.push(b);
      cleanups.push(() => b.stop());
    }
    const setupSeconds = (performance.now() - t0) / 1000;
    log(`${kind}: ${servers.length} B processes on ports ${servers.map((b) => b.port).join(', ')} (setup ${setupSeconds.toFixed(1)} s)`);

    const fw = await Promise.all(Array.from({ length: o.concurrency }, () => Handset.load()));
    const app = new Uint8Array(32).map((_, i) => i);
    const one = (k: number, w: number, b: ServeProcess): Promise<TcpHandshakeResult> => {
      const h = dep.handsets[k]!;
      const hs = fw[w]!;
      hs.provision(h.privateKey, dep.ca.publicKey, dep.serverName);
      return tcpHandshake({ port: b.port, handset: hs, appData: app, timeoutMs: 60_000 });
    };
    const all: TcpHandshakeResult[] = [];
    const rounds: RoundFigures[] = [];
    // handsets 0..W-1 warm up (not counted); the measured ones are W..W+n-1
    const W = o.warmup;
    const n = dep.handsets.length - W;
    const warm = await pool(W, o.concurrency, (k, w) => one(k, w, servers[k % servers.length]!));
    const cold = warm.filter((x) => !x.ok);
    if (cold.length) throw new Error(`warm-up handshakes failed: ${cold.map((x) => x.error).join('; ')}`);
    let wall = 0;
    for (let r = 1; r <= o.rounds; r++) {
      const ts = performance.now();
      const res = await pool(n, o.concurrency, (k, w) => one(W + k, w, servers[k % servers.length]!));
      const sec = (performance.now() - ts) / 1000;
      wall += sec;
      all.push(...res);
      const lat = res.filter((x) => x.ok).map((x) => x.latencyMs);
      const fig: RoundFigures = {
        round: r, handshakes: res.length, succeeded: lat.length, lost: res.filter((x) => x.appSent && !x.echoed).length,
        seconds: r2(sec), handshakesPerSec: r2(res.length / sec), p50Ms: r2(pct(lat, 50)), p99Ms: r2(pct(lat, 99)),
      };
      rounds.push(fig);
      log(`${kind} round ${r}: ${fig.succeeded}/${fig.handshakes} ok, ${fig.handshakesPerSec}/s, p50 ${fig.p50Ms} ms, p99 ${fig.p99Ms} ms, lost ${fig.lost}`);
    }

    // revocation propagation: K handsets cached on every B, then revoked one by one on the writer
    const k = Math.min(o.revocations, n);
    const victims = Array.from({ length: k }, (_, i) => W + Math.floor((i * n) / k));
    for (const v of victims) for (const b of servers) {
      const r = await one(v, 0, b);
      if (!r.ok) throw new Error(`warming handset ${v} on B port ${b.port} failed: ${r.error}`);
    }
    const prop: number[] = [];
    const perRev: number[] = [];
    for (const v of victims) {
      const id = dep.handsets[v]!.id;
      await revoke(id);
      const tr = Date.now();
      const seen: ServeEvent[] = await Promise.all(servers.map((b) => b.waitFor((e) => e.type === 'revocation' && e.id === hex(id), 60_000, `revocation of ${hex(id)}`)));
      const ds = seen.map((e) => e.t - tr);
      prop.push(...ds);
      perRev.push(Math.max(...ds));
      await sleep(137);
    }
    let revokedRefused = 0;
    for (const v of victims) for (const b of servers) if (!(await one(v, 0, b)).ok) revokedRefused++;

    const stats = await Promise.all(servers.map((b) => b.stop()));
    const lat = all.filter((x) => x.ok).map((x) => x.latencyMs);
    const failures: Record<string, number> = {};
    for (const x of all) if (!x.ok) { const key = x.peerAlert !== undefined ? `alert 0x${x.peerAlert.toString(16)}` : (x.error ?? 'unknown'); failures[key] = (failures[key] ?? 0) + 1; }
    return {
      store: kind, handsets: n, servers: servers.length, handshakes: all.length, succeeded: lat.length, failed: all.length - lat.length,
      successRate: r2((100 * lat.length) / all.length) / 100, lost: all.filter((x) => x.appSent && !x.echoed).length,
      handshakesPerSec: r2(all.length / wall), p50Ms: r2(pct(lat, 50)), p99Ms: r2(pct(lat, 99)), rounds,
      revocationPropagationMs: Math.max(...prop),
      revocationPropagation: {
        n: prop.length, pollMs: o.pollMs, p50Ms: pct(prop, 50), maxMs: Math.max(...prop), perRevocationMaxMs: perRev,
        maxPollMsPerServer: stats.map((s) => (s?.cache as { maxPollMs?: number | null } | undefined)?.maxPollMs ?? null),
      },
      revokedRefused, failures,
      serverStats: stats.map((s) => (s ? { server: s.server, cache: s.cache } : null)),
      setupSeconds: r2(setupSeconds),
    };
  } finally {
    for (const c of cleanups.reverse()) { try { await c(); } catch { /* best effort */ } }
  }
}

/** lookupHandset latency in this process, sequential, no other load: the SQLite file and an LDAP server. */
async function lookupLatency(dep: Deployment, n: number): Promise<{ sqlite: { p50Us: number; p99Us: number; n: number }; ldap: { p50Us: number; p99Us: number; n: number } }> {
  const ids = Array.from({ length: n }, (_, i) => dep.handsets[(i * 7919) % dep.handsets.length]!.id);
  const sq = SqliteCertStore.open(path.join(dep.dir, 'certs.db'));
  const tSq: number[] = [];
  try {
    for (const id of ids) { const t = performance.now(); if (sq.lookupHandset(id).length === 0) throw new Error('sqlite lookup missed'); tSq.push((performance.now() - t) * 1000); }
  } finally { sq.close(); }
  const slapd = await Slapd.start();
  const tL: number[] = [];
  try {
    const admin = new LdapCertStore({ url: slapd.url, bindDn: slapd.rootDn, password: slapd.rootPw });
    await pool(dep.handsets.length, 8, (k) => admin.enrol(dep.handsets[k]!.cert));
    await admin.close();
    const reader = new LdapCertStore({ url: slapd.url });
    await reader.lookupHandset(ids[0]!); // connect
    for (const id of ids) { const t = performance.now(); if ((await reader.lookupHandset(id)).length === 0) throw new Error('ldap lookup missed'); tL.push((performance.now() - t) * 1000); }
    await reader.close();
  } finally { await slapd.stop(); }
  const f = (xs: number[]) => ({ p50Us: Math.round(pct(xs, 50)), p99Us: Math.round(pct(xs, 99)), n: xs.length });
  return { sqlite: f(tSq), ldap: f(tL) };
}

function slapdVersion(): string {
  const r = spawnSync(SLAPD_PATHS.slapd, ['-VV'], { encoding: 'utf8' });
  return /slapd ([\d.]+)/.exec(`${r.stdout}${r.stderr}`)?.[1] ?? 'unknown';
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: {
    handsets: { type: 'string', default: '1000' }, servers: { type: 'string', default: '2' }, store: { type: 'string', default: 'both' },
    rounds: { type: 'string', default: '2' }, concurrency: { type: 'string', default: '16' }, 'poll-ms': { type: 'string', default: '100' },
    revocations: { type: 'string', default: '10' }, warmup: { type: 'string', default: '32' }, json: { type: 'boolean', default: false }, out: { type: 'string' },
  } });
  const int = (name: string, v: string, min: number) => { const x = Number(v); if (!Number.isInteger(x) || x < min) throw new Error(`--${name} must be an integer >= ${min}, got ${v}`); return x; };
  const o: LoadOptions = {
    handsets: int('handsets', values.handsets!, 1), servers: int('servers', values.servers!, 1), rounds: int('rounds', values.rounds!, 1),
    concurrency: int('concurrency', values.concurrency!, 1), pollMs: int('poll-ms', values['poll-ms']!, 1), revocations: int('revocations', values.revocations!, 1), warmup: int('warmup', values.warmup!, 0),
    log: values.json ? undefined : (s) => console.log(s),
  };
  if (!['both', 'ldap', 'sqlite'].includes(values.store!)) throw new Error(`--store must be both, ldap or sqlite, got ${values.store}`);
  const kinds = values.store === 'both' ? (['ldap', 'sqlite'] as const) : [values.store as 'ldap' | 'sqlite'];
  const now = Math.floor(Date.now() / 1000);
  const tDep = performance.now();
  const dep = createDeployment({ now: now - 60, handsets: o.handsets + o.warmup });
  try {
    o.log?.(`${o.handsets + o.warmup} handset certificates (${o.warmup} for the warm-up) issued and enrolled in SQLite in ${((performance.now() - tDep) / 1000).toFixed(1)} s`);
    const runs: LoadRun[] = [];
    for (const k of kinds) runs.push(await runStore(k, dep, o));
    const lookup = await lookupLatency(dep, Math.min(1000, Math.max(300, o.handsets)));
    const head = runs[0]!;
    const machine = { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version, slapd: slapdVersion(), platform: `${os.platform()} ${os.release()}` };
    const out = { ...head, lookupLatency: lookup, runs, machine, options: { ...o, log: undefined } };
    delete (out as { options: { log?: unknown } }).options.log;
    const file = values.out ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/bench/load.json');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
    const allGood = runs.every((r) => r.succeeded === r.handshakes && r.lost === 0 && r.revokedRefused === r.revocationPropagation.n);
    if (values.json) { console.log(JSON.stringify(out)); return allGood ? 0 : 1; }
    console.log(`\nbench:load: ${o.handsets} firmware handsets, ${o.servers} B processes, ${o.rounds} rounds (1: cache misses, 2+: hits), concurrency ${o.concurrency}, loopback TCP`);
    console.log(`machine: ${machine.cpus} x ${machine.cpu}, Node ${machine.node}, slapd ${machine.slapd}\n`);
    console.log('store    handshakes  ok      success  lost  hs/s    p50 ms  p99 ms  revocation->purge p50 / max ms (poll ms)');
    for (const r of runs) {
      console.log(`${r.store.padEnd(8)} ${String(r.handshakes).padStart(10)}  ${String(r.succeeded).padEnd(7)} ${(r.successRate * 100).toFixed(2).padStart(6)}%  ${String(r.lost).padStart(4)}  ${r.handshakesPerSec.toFixed(1).padStart(6)}  ${r.p50Ms.toFixed(1).padStart(6)}  ${r.p99Ms.toFixed(1).padStart(6)}  ${r.revocationPropagation.p50Ms} / ${r.revocationPropagation.maxMs} (${r.revocationPropagation.pollMs})`);
      for (const x of r.rounds) console.log(`  round ${x.round}: ${x.handshakesPerSec}/s, p50 ${x.p50Ms} ms, p99 ${x.p99Ms} ms`);
      if (r.failed) console.log(`  failures: ${JSON.stringify(r.failures)}`);
      console.log(`  revoked handsets refused afterwards: ${r.revokedRefused} of ${r.revocationPropagation.n} (handset, B) pairs`);
      console.log(`  longest revocation poll (due -> purged) per B: ${r.revocationPropagation.maxPollMsPerServer.map((x) => (x === null ? '?' : `${x} ms`)).join(', ')}`);
    }
    console.log(`\nlookupHandset latency, one process, sequential: SQLite p50 ${lookup.sqlite.p50Us} us / p99 ${lookup.sqlite.p99Us} us; LDAP p50 ${lookup.ldap.p50Us} us / p99 ${lookup.ldap.p99Us} us (n=${lookup.ldap.n})`);
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
    return allGood ? 0 : 1;
  } finally {
    dep.close();
  }
}

const isMain = process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url;
if (isMain) main(process.argv.slice(2)).then((c) => { process.exitCode = c; }, (e: Error) => { console.error(`bench:load: ${e.stack ?? e.message}`); process.exitCode = 1; });
