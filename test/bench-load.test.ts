/**
 * npm run bench:load on a small scale (12 handsets, 2 B processes, both stores): the JSON report
 * has the fields the issue names, and its counts hold (every handshake succeeds, nothing is lost,
 * every revoked handset is refused by every B). Timings are only checked to be numbers.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH = fileURLToPath(new URL('../host/bench/load.js', import.meta.url));

test('bench:load --json: the report fields and its deterministic counts', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'airshake-load-'));
  try {
    const out = path.join(dir, 'load.json');
    const r = spawnSync(process.execPath, [BENCH, '--handsets', '12', '--servers', '2', '--rounds', '2', '--concurrency', '4', '--revocations', '2', '--poll-ms', '50', '--json', '--out', out], { encoding: 'utf8', timeout: 280_000 });
    assert.equal(r.status, 0, `exit ${r.status} ${r.signal ?? ''}: ${r.stderr}`);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1, 'one JSON line on stdout');
    const j = JSON.parse(lines[0]!);
    for (const k of ['handsets', 'servers', 'store', 'handshakes', 'succeeded', 'lost', 'p50Ms', 'p99Ms', 'revocationPropagationMs']) assert.ok(k in j, `field ${k}`);
    assert.deepEqual([j.handsets, j.servers, j.store, j.handshakes, j.succeeded, j.lost], [12, 2, 'ldap', 24, 24, 0]);
    assert.deepEqual(j.runs.map((x: { store: string }) => x.store), ['ldap', 'sqlite']);
    for (const run of j.runs) {
      assert.deepEqual([run.handshakes, run.succeeded, run.failed, run.lost, run.successRate], [24, 24, 0, 0, 1]);
      assert.equal(run.revocationPropagation.n, 4, '2 revocations seen by 2 B each');
      assert.equal(run.revokedRefused, 4);
      assert.equal(typeof run.revocationPropagationMs, 'number');
      assert.ok(Number.isFinite(run.p50Ms) && Number.isFinite(run.p99Ms));
      for (const s of run.serverStats) assert.ok(s.server.hellos > 0, 'each B served handshakes');
    }
    // the LDAP run's round 1 looked every certificate up in the directory, round 2 hit the caches
    const ldapStats = j.runs[0].serverStats.map((s: { server: Record<string, number> }) => s.server);
    assert.ok(ldapStats.every((s: Record<string, number>) => s.asyncLookups >= 6 && s.cacheHits >= 6));
    assert.ok(j.lookupLatency.sqlite.n > 0 && j.lookupLatency.ldap.n > 0);
    assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')).handshakes, 24, 'the report file');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
