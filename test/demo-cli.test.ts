/**
 * The demo command as users run it (`npm run demo -- ...` runs `node dist/host/cli.js demo ...`):
 * every suite prints one JSON object with the same fields as the plain demo (issue 9: `--suite fs
 * --cached-server-cert --json`; issue 7: `--suite p256`), the handshake and echo succeed with the
 * suite asked for, suite 3 with C_B held by A needs at most 95 bytes before the first application
 * byte, and bad input ends with a non-zero exit and a message naming the problem.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SUITE_NAMES, Suite } from '../host/protocol/constants.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(root, 'dist/host/cli.js');

const run = (...args: string[]) => spawnSync(process.execPath, [CLI, 'demo', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });

/** Runs the demo with --json; it must exit 0 and print exactly one JSON line. */
function demoJson(...args: string[]): Record<string, unknown> {
  const r = run(...args, '--json');
  assert.equal(r.status, 0, `demo ${args.join(' ')}: exit ${r.status} ${r.signal ?? ''}\n${r.stdout}\n${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, `demo ${args.join(' ')}: one JSON line on stdout`);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

const keys = (o: object) => Object.keys(o).sort();

test('demo --json: every suite and option prints the plain demo\'s fields, and the handshake succeeds with the suite asked for', () => {
  const plain = demoJson();
  const cases: { args: string[]; suite: number; firmware: string; byReference: boolean }[] = [
    { args: [], suite: Suite.X25519_ED25519_CHACHAPOLY_SHA256, firmware: 'build/handset.wasm', byReference: false },
    { args: ['--suite', 'x25519'], suite: Suite.X25519_ED25519_CHACHAPOLY_SHA256, firmware: 'build/handset.wasm', byReference: false },
    { args: ['--suite', 'p256'], suite: Suite.P256_ECDSA_AES128CCM8_SHA256, firmware: 'build/handset-dual.wasm', byReference: false },
    { args: ['--suite', 'fs'], suite: Suite.X25519E_ED25519_CHACHAPOLY_SHA256, firmware: 'build/handset-fs.wasm', byReference: false },
    { args: ['--suite', 'fs', '--cached-server-cert'], suite: Suite.X25519E_ED25519_CHACHAPOLY_SHA256, firmware: 'build/handset-fs.wasm', byReference: true },
    { args: ['--suite', 'kt'], suite: Suite.X25519KT_ED25519_CHACHAPOLY_SHA256, firmware: 'build/handset-fs.wasm', byReference: false },
  ];
  const out: Record<string, Record<string, unknown>> = {};
  for (const c of cases) {
    const what = `demo ${c.args.join(' ') || '(plain)'}`;
    const j = c.args.length === 0 ? plain : demoJson(...c.args);
    out[c.args.join(' ')] = j;
    assert.deepEqual(keys(j), keys(plain), `${what}: the plain demo's JSON fields`);
    for (const [k, v] of Object.entries(j)) assert.notEqual(v, undefined, `${what}: ${k} defined`);
    assert.equal(j.ok, true, `${what}: handshake`);
    assert.equal(j.echoed, true, `${what}: echo`);
    assert.equal(j.handsetError, null, what);
    assert.deepEqual(j.serverErrors, [], what);
    assert.equal(j.suite, SUITE_NAMES[c.suite], `${what}: B chose suite ${c.suite}`);
    assert.equal((j.suitesOffered as string[])[0], SUITE_NAMES[c.suite], `${what}: A's first choice`);
    assert.equal(j.firmware, c.firmware, what);
    assert.equal(j.serverCertByReference, c.byReference, what);
    assert.equal(j.keyUpdates, null, `${what}: no key update asked for`);
    assert.equal(j.messagesUntilFirstAppData, 3, what);
    assert.equal(typeof j.bytesBeforeFirstAppByte, 'number', what);
    const messages = j.messages as Record<string, unknown>[];
    assert.equal(messages.length, 4, `${what}: hello, response, finish, echo`);
    for (const m of messages) assert.deepEqual(keys(m), keys((plain.messages as object[])[0]!), `${what}: message fields`);
  }
  // issue 9: C_B held by A and named by reference: at most 95 bytes before the first application byte
  const cached = out['--suite fs --cached-server-cert']!;
  assert.ok((cached.bytesBeforeFirstAppByte as number) <= 95, `${cached.bytesBeforeFirstAppByte} bytes before the first application byte`);
  assert.ok((out['--suite fs']!.bytesBeforeFirstAppByte as number) > 95, 'C_B sent in full costs more (the check above can fail)');
});

test('demo --key-update N --json: the same fields, keyUpdates filled in', () => {
  const plain = demoJson();
  const j = demoJson('--suite', 'p256', '--key-update', '3');
  assert.deepEqual(keys(j), keys(plain));
  assert.equal(j.ok, true);
  const k = j.keyUpdates as Record<string, unknown>;
  assert.deepEqual([k.records, k.updatesAB, k.updatesBA, k.allDelivered], [3, 3, 3, true]);
});

test('demo: an unknown --suite, or --cached-server-cert without suite 3, exits non-zero with a message naming the problem', () => {
  const r = run('--suite', 'rsa', '--json');
  assert.notEqual(r.status, 0);
  assert.equal(r.stdout, '', 'no JSON for a failed run');
  assert.match(r.stderr, /unknown suite "rsa"/);
  assert.match(r.stderr, /x25519, p256, fs, kt/, 'the accepted names are listed');
  const c = run('--suite', 'x25519', '--cached-server-cert', '--json');
  assert.notEqual(c.status, 0);
  assert.match(c.stderr, /--cached-server-cert needs --suite fs/);
});
