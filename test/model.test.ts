// The SPIN models of the handshake against a Dolev-Yao attacker (issue 6, docs/MODEL.md): the
// four properties of suite 1 and the six of suite 3 (agreement, secrecy, forward secrecy, KCI
// resistance both ways, replay; issue 9) hold within the quick bounds, and the deliberate
// weakenings are caught with a counterexample. Needs spin (apt-get install spin) and gcc; without them this test fails.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// dist/test/model.test.js -> the repository root.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

test('SPIN: the airshake model satisfies its properties and catches each weakening (verify:model --quick)', () => {
  const spin = spawnSync('spin', ['-V'], { encoding: 'utf8' });
  assert.ok(!spin.error, 'spin is not installed: apt-get install spin (Debian package spin, SPIN 6.5)');

  let out: string;
  try {
    out = execFileSync(process.execPath, ['scripts/verify-model.mjs', '--quick'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 480_000,
      maxBuffer: 16 << 20,
    });
  } catch (e) {
    const err = e as { status?: number; stdout?: string; stderr?: string };
    assert.fail(`verify-model exited with ${err.status}:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }

  const line = (id: string, expected: string) =>
    new RegExp(`^ok\\s+${id}\\s+expected=${expected}\\s+result=${expected}\\s`, 'm');
  for (const id of ['agreement', 'secrecy', 'downgrade', 'replay']) {
    assert.match(out, line(id, 'holds'), `property ${id} must hold:\n${out}`);
  }
  for (const id of ['weak-kci', 'weak-kci-b', 'weak-mac-no-suites']) {
    assert.match(out, line(id, 'counterexample'), `weakening ${id} must be caught:\n${out}`);
  }
  assert.match(out, line('sanity-honest-run', 'counterexample'), 'the honest run must be reachable (non-vacuity)');
  // Suite 3 (model/airshake3.pml).
  for (const id of ['s3-agreement', 's3-secrecy', 's3-forward-secrecy', 's3-kci-a', 's3-kci-b', 's3-replay']) {
    assert.match(out, line(id, 'holds'), `suite-3 property ${id} must hold:\n${out}`);
  }
  for (const id of ['s3-weak-no-ee', 's3-weak-no-es', 's3-weak-no-se', 's3-weak-no-name-check', 's3-weak-no-replay-cache']) {
    assert.match(out, line(id, 'counterexample'), `suite-3 weakening ${id} must be caught:\n${out}`);
  }
  for (const id of ['s3-sanity-honest-run', 's3-sanity-by-reference']) {
    assert.match(out, line(id, 'counterexample'), `suite 3: ${id} must be reachable (non-vacuity):\n${out}`);
  }
  assert.doesNotMatch(out, /^FAIL/m);
  assert.match(out, /^verify-model: all \d+ runs .* as expected/m);
});
