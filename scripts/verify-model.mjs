// npm run verify:model: model-checks the airshake handshake against a Dolev-Yao attacker
// (model/airshake.pml for suite 1, model/airshake3.pml for suite 3; docs/MODEL.md) with SPIN. For each check: `spin -a` with the check's -D
// switches in a temporary directory, gcc builds the verifier `pan` (-DSAFETY: assertions and
// end states, no cycles), `./pan` searches the whole bounded state space, and its "errors: N"
// decides: 0 = the property holds within the bounds, N > 0 = SPIN found a counterexample.
// The sound model must satisfy every property; each deliberate weakening must be caught.
// Exit 0 iff every check came out as expected.
//
//   node scripts/verify-model.mjs [--quick] [--trails] [--only id,id] [--jobs n] [--keep]
//     --quick   CI bounds: 2 sessions of A, 2 of B (default: 3+2 and 2+3 for suite 1's
//               properties, 3+2 for suite 3's)
//     --trails  replay each counterexample (spin -t) and print its events
//     --only    run only these checks
//     --jobs    verifications run in parallel (default 2 with --quick, else 1: ~0.5 GB each)
//     --keep    keep the temporary directories (pan.c, trails)
// Needs spin (Debian package spin: apt-get install -y spin) and gcc.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const modelDir = path.join(root, 'model');
const MODEL1 = 'airshake.pml';
const MODEL3 = 'airshake3.pml';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const trails = args.includes('--trails');
const keep = args.includes('--keep');
const onlyArg = args.indexOf('--only');
const only = onlyArg >= 0 ? new Set((args[onlyArg + 1] ?? '').split(',').filter(Boolean)) : null;
const jobsArg = args.indexOf('--jobs');
const jobs = Math.max(1, jobsArg >= 0 ? Number(args[jobsArg + 1]) || 1 : quick ? Math.min(2, os.availableParallelism()) : 1);

// Bounds [sessions of A, sessions of B]. Counterexamples are searched at the small bounds (one
// found there is one), properties that must hold at the mode's bounds.
const SMALL = [[2, 2]];
const PROPERTY_BOUNDS = quick ? SMALL : [[3, 2], [2, 3]];
// Suite 3's state spaces are larger (ephemeral keys, ref_B, the certificate field): its
// properties run at 3+2 in the full run (docs/MODEL.md has the figures).
const PROPERTY_BOUNDS_3 = quick ? SMALL : [[3, 2]];

const CHECKS = [
  // The four properties of the sound model.
  { id: 'agreement', kind: 'property', expect: 'holds', defs: ['PROP_AGREE'], bounds: PROPERTY_BOUNDS,
    what: 'injective agreement of A and B on identities, randoms, offer, suite and keys (both directions)' },
  { id: 'secrecy', kind: 'property', expect: 'holds', defs: ['PROP_SECRECY'], bounds: PROPERTY_BOUNDS,
    what: 'the attacker never derives the session keys of an A-B session' },
  { id: 'downgrade', kind: 'property', expect: 'holds', defs: ['PROP_DOWNGRADE'], bounds: PROPERTY_BOUNDS,
    what: "A completes with B only on the suite B picks from A's true offer [1,2]" },
  { id: 'replay', kind: 'property', expect: 'holds', defs: ['PROP_REPLAY'], bounds: PROPERTY_BOUNDS,
    what: 'B never completes twice for the same (ID_A, random_A)' },
  // Non-vacuity: the honest run exists.
  { id: 'sanity-honest-run', kind: 'sanity', expect: 'counterexample', defs: ['REACH_AB'], bounds: SMALL,
    what: 'an A-B handshake on suite 1 completes (the claim "never" must be refuted)' },
  // The two required weakenings.
  { id: 'weak-kci', kind: 'weakening', expect: 'counterexample', defs: ['WEAK_KCI', 'PROP_AGREE_A'], bounds: SMALL,
    what: 'attacker holds sk_A: it impersonates B to A (agreement for A fails)' },
  { id: 'weak-kci-b', kind: 'weakening', expect: 'counterexample', defs: ['WEAK_KCI_B', 'PROP_AGREE_B'], bounds: SMALL,
    what: 'attacker holds sk_B: it impersonates A to B (agreement for B fails)' },
  { id: 'weak-mac-no-suites', kind: 'weakening', expect: 'counterexample', defs: ['WEAK_MAC_NO_SUITES', 'PROP_DOWNGRADE'], bounds: SMALL,
    what: "MAC_B without A's suite list: downgrade to suite 2" },
  // Further weakenings: each property's checks are not vacuous.
  { id: 'weak-no-name-check', kind: 'weakening', expect: 'counterexample', defs: ['WEAK_NO_NAME_CHECK', 'PROP_SECRECY'], bounds: SMALL,
    what: "A accepts any CA-signed certificate: the attacker's C_I (secrecy fails)" },
  { id: 'weak-no-replay-cache', kind: 'weakening', expect: 'counterexample', defs: ['WEAK_NO_REPLAY_CACHE', 'PROP_REPLAY'], bounds: SMALL,
    what: 'no replay cache: B completes twice on one (ID_A, random_A)' },
  { id: 'no-replay-cache-honest-A', kind: 'extra', expect: 'holds', defs: ['WEAK_NO_REPLAY_CACHE', 'PROP_REPLAY', 'REPLAY_HONEST_ONLY'], bounds: SMALL,
    what: "without the cache, still no double completion on A's hellos (MAC_A covers random_B)" },
  // An explicit clock: window W, cache entries kept 2W.
  { id: 'timed-replay', kind: 'extra', expect: 'holds', defs: ['TIMED', 'PROP_REPLAY', 'REPLAY_HONEST_ONLY'], bounds: [[1, 2]],
    what: "with a clock: B never completes twice on one of A's hellos" },
  { id: 'timed-unmodified-replay', kind: 'extra', expect: 'holds', defs: ['TIMED', 'NO_RESTAMP', 'PROP_REPLAY_ACCEPT', 'REPLAY_HONEST_ONLY'], bounds: [[1, 2]],
    what: "with a clock: B never accepts one of A's hellos again while its first acceptance is pending or completed, if its time field is left alone (window W, cache 2W)" },
  { id: 'weak-cache-1w', kind: 'weakening', expect: 'counterexample', defs: ['TIMED', 'NO_RESTAMP', 'CACHE_LIFE=1', 'PROP_REPLAY_ACCEPT', 'REPLAY_HONEST_ONLY'], bounds: [[1, 2]],
    what: "cache entries kept W, not 2W: A's hello (clock ahead by W) is accepted again" },
  { id: 'timed-restamped-hello', kind: 'extra', expect: 'counterexample', defs: ['TIMED', 'PROP_REPLAY_ACCEPT', 'REPLAY_HONEST_ONLY'], bounds: [[1, 2]],
    what: "with a clock: after 2W, A's hello with a new time passes B's message-1 checks (it cannot complete)" },

  // Suite 3 (model/airshake3.pml): ephemeral keys, ee/es/se/ss, C_B encrypted or by reference.
  { id: 's3-agreement', model: MODEL3, kind: 'property', expect: 'holds', defs: ['PROP_AGREE'], bounds: PROPERTY_BOUNDS_3, big: true,
    what: 'suite 3: injective agreement of A and B on ID_A, E_A, E_B, ref_B, C_B and keys (both directions)' },
  { id: 's3-secrecy', model: MODEL3, kind: 'property', expect: 'holds', defs: ['PROP_SECRECY'], bounds: PROPERTY_BOUNDS_3, big: true,
    what: 'suite 3: the attacker never derives the session keys of an A-B session' },
  { id: 's3-forward-secrecy', model: MODEL3, kind: 'property', expect: 'holds', defs: ['PROP_FS'], bounds: PROPERTY_BOUNDS_3, big: true,
    what: 'suite 3: sk_A and sk_B leak at any moment; no session completed before has a derivable key' },
  { id: 's3-kci-a', model: MODEL3, kind: 'property', expect: 'holds', defs: ['LEAK_SK_A', 'PROP_AGREE_A'], bounds: PROPERTY_BOUNDS_3, big: true,
    what: 'suite 3, sk_A known from the start: A still completes with B only if B took part (no KCI)' },
  { id: 's3-kci-b', model: MODEL3, kind: 'property', expect: 'holds', defs: ['LEAK_SK_B', 'PROP_AGREE_B'], bounds: PROPERTY_BOUNDS_3, big: true,
    what: 'suite 3, sk_B known from the start: B still completes with A only if A took part (no KCI)' },
  { id: 's3-replay', model: MODEL3, kind: 'property', expect: 'holds', defs: ['PROP_REPLAY'], bounds: PROPERTY_BOUNDS_3, big: true,
    what: 'suite 3: B never completes twice for the same (ID_A, E_A)' },
  { id: 's3-sanity-honest-run', model: MODEL3, kind: 'sanity', expect: 'counterexample', defs: ['REACH_AB'], bounds: SMALL,
    what: 'suite 3: an A-B handshake completes (the claim "never" must be refuted)' },
  { id: 's3-sanity-by-reference', model: MODEL3, kind: 'sanity', expect: 'counterexample', defs: ['REACH_AB_REF'], bounds: SMALL,
    what: 'suite 3: an A-B handshake with C_B left out by reference completes' },
  { id: 's3-weak-no-ee', model: MODEL3, kind: 'weakening', expect: 'counterexample', defs: ['WEAK_NO_EE', 'PROP_FS'], bounds: SMALL,
    what: 'suite 3 without ee (es, se, ss): sk_A and sk_B recover a completed session key (no forward secrecy)' },
  { id: 's3-weak-no-es', model: MODEL3, kind: 'weakening', expect: 'counterexample', defs: ['WEAK_NO_ES', 'LEAK_SK_A', 'PROP_AGREE_A'], bounds: SMALL,
    what: 'suite 3 without es (ee, se, ss), sk_A known: the attacker impersonates B to A (KCI)' },
  { id: 's3-weak-no-se', model: MODEL3, kind: 'weakening', expect: 'counterexample', defs: ['WEAK_NO_SE', 'LEAK_SK_B', 'PROP_AGREE_B'], bounds: SMALL,
    what: 'suite 3 without se (ee, es, ss), sk_B known: the attacker impersonates A to B (KCI)' },
  { id: 's3-weak-no-name-check', model: MODEL3, kind: 'weakening', expect: 'counterexample', defs: ['WEAK_NO_NAME_CHECK', 'PROP_SECRECY'], bounds: SMALL,
    what: "suite 3, A accepts any CA-signed certificate: the attacker's C_I (secrecy fails)" },
  { id: 's3-weak-no-replay-cache', model: MODEL3, kind: 'weakening', expect: 'counterexample', defs: ['WEAK_NO_REPLAY_CACHE', 'PROP_REPLAY'], bounds: SMALL,
    what: 'suite 3, no replay cache: B completes twice on one (ID_A, E_A)' },
];

function have(cmd, versionArg) {
  const r = spawnSync(cmd, [versionArg], { encoding: 'utf8' });
  return !r.error;
}
if (!have('spin', '-V')) {
  console.error('verify-model: spin not found. Install it: apt-get install -y spin (Debian package spin, SPIN 6.5)');
  process.exit(2);
}
if (!have('gcc', '--version')) {
  console.error('verify-model: gcc not found (SPIN compiles its verifier with it): apt-get install -y gcc');
  process.exit(2);
}
for (const m of [MODEL1, MODEL3]) {
  if (!existsSync(path.join(modelDir, m))) {
    console.error(`verify-model: ${path.join(modelDir, m)} is missing`);
    process.exit(2);
  }
}

function run(cmd, argv, cwd) {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd });
    let out = '';
    child.stdout.on('data', (d) => { if (out.length < 64 << 20) out += d; });
    child.stderr.on('data', (d) => { if (out.length < 64 << 20) out += d; });
    child.on('error', (error) => resolve({ ok: false, status: null, out: String(error), error }));
    child.on('close', (status) => resolve({ ok: status === 0, status, out }));
  });
}

async function verify(check, [na, nb]) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `airshake-model-${check.id}-`));
  const t0 = performance.now();
  const result = { dir, na, nb };
  try {
    const file = check.model ?? MODEL1;
    copyFileSync(path.join(modelDir, file), path.join(dir, file));
    const defs = [`-DNA=${na}`, `-DNB=${nb}`, ...check.defs.map((d) => `-D${d}`)];
    const gen = await run('spin', ['-a', ...defs, file], dir);
    if (!gen.ok) return Object.assign(result, { verdict: 'error', detail: `spin -a failed: ${gen.out.trim()}` });
    // A counterexample search asks for the shortest one (-DREACH and -i): readable trails.
    const wantCx = check.expect === 'counterexample';
    // Big state spaces: a bigger hash table (2^w slots) and an optimised pan; small ones: a
    // quicker compile (gcc -O2 on pan.c takes longer than most of these searches).
    const big = na * nb > 4 || check.defs.includes('TIMED') || check.big === true;
    const cc = await run('gcc', [big ? '-O2' : '-O0', '-w', '-DSAFETY', ...(wantCx ? ['-DREACH'] : []), '-o', 'pan', 'pan.c'], dir);
    if (!cc.ok) return Object.assign(result, { verdict: 'error', detail: `gcc failed: ${cc.out.trim().slice(0, 2000)}` });
    const pan = await run('./pan', ['-m10000', `-w${big ? (na * nb > 4 && check.big ? 26 : 23) : 20}`, ...(wantCx ? ['-i'] : [])], dir);
    const out = pan.out;
    const errors = /errors: (\d+)/.exec(out);
    if (!errors) return Object.assign(result, { verdict: 'error', detail: `pan gave no verdict (status ${pan.status}): ${out.trim().slice(-2000)}` });
    result.errors = Number(errors[1]);
    // pan prints large counts in e-notation ("1.0e+08 states, stored")
    result.states = Number((/([\d.]+(?:e[+-]?\d+)?) states, stored/.exec(out) ?? [])[1] ?? NaN);
    result.depth = Number((/depth reached (\d+)/.exec(out) ?? [])[1] ?? NaN);
    result.memMB = Number((/([\d.]+)\s+total actual memory usage/.exec(out) ?? [])[1] ?? NaN);
    result.panSeconds = Number((/pan: elapsed time ([\d.e+-]+) seconds/.exec(out) ?? [])[1] ?? NaN);
    result.truncated = /max search depth too small/.test(out);
    if (result.errors > 0) {
      result.verdict = 'counterexample';
      const found = [...out.matchAll(/pan:\d+: (.*) \(at depth (\d+)\)/g)].at(-1); // -i: the last is the shortest
      result.violation = found?.[1] ?? '';
      result.cxDepth = found ? Number(found[2]) : NaN;
      if (trails && existsSync(path.join(dir, `${file}.trail`))) {
        const replay = await run('spin', ['-t', ...defs, file], dir);
        result.trail = replay.out.split('\n')
          .filter((l) => /^\s*(A\d|B\d|--)|assertion violated/.test(l))
          .map((l) => l.trim().replace(/^spin: .*?, Error: /, '=> '));
      }
    } else {
      // A search cut short by the depth bound proves nothing.
      result.verdict = result.truncated ? 'incomplete' : 'holds';
    }
    return result;
  } finally {
    result.seconds = (performance.now() - t0) / 1000;
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

const selected = CHECKS.filter((c) => !only || only.has(c.id));
if (selected.length === 0) {
  console.error(`verify-model: no such check; checks: ${CHECKS.map((c) => c.id).join(', ')}`);
  process.exit(2);
}
console.log(`SPIN model of the airshake handshake vs a Dolev-Yao attacker (${quick ? 'quick' : 'full'} bounds)`);
const tStart = performance.now();
const runs = selected.flatMap((check) => check.bounds.map((bound) => ({ check, bound })));
// Run `jobs` verifications at a time; print in order.
const results = new Array(runs.length);
let next = 0;
let printed = 0;
let bad = 0;
await Promise.all(Array.from({ length: Math.min(jobs, runs.length) }, async () => {
  while (next < runs.length) {
    const i = next++;
    results[i] = await verify(runs[i].check, runs[i].bound);
    while (printed < runs.length && results[printed]) report(runs[printed].check, results[printed++]);
  }
}));

function report(check, r) {
  const ok = r.verdict === check.expect;
  if (!ok) bad++;
  const cols = [
    (ok ? 'ok' : 'FAIL').padEnd(5),
    check.id.padEnd(25),
    `expected=${check.expect}`.padEnd(24),
    `result=${r.verdict}`.padEnd(22),
    `NA=${r.na} NB=${r.nb}`,
    `states=${Number.isFinite(r.states) ? r.states : '?'}`.padEnd(16),
    `time=${r.seconds.toFixed(1)}s`.padEnd(11),
    `mem=${Number.isFinite(r.memMB) ? Math.round(r.memMB) : '?'}MB`.padEnd(11),
    `depth=${Number.isFinite(r.depth) ? r.depth : '?'}`,
    ...(Number.isFinite(r.cxDepth) ? [`trail=${r.cxDepth}`] : []),
  ];
  console.log(cols.join(' '));
  console.log(`      ${check.kind}: ${check.what}`);
  if (r.detail) console.log(`      ${r.detail.split('\n').join('\n      ')}`);
  if (r.verdict === 'counterexample' && r.violation) {
    const v = r.violation.length > 120 ? `${r.violation.slice(0, 120)}...` : r.violation;
    console.log(`      SPIN: ${v}`);
  }
  for (const line of r.trail ?? []) console.log(`        ${line}`);
  if (keep) console.log(`      kept: ${r.dir}`);
}

const total = ((performance.now() - tStart) / 1000).toFixed(1);
console.log(bad === 0
  ? `verify-model: all ${runs.length} runs (${selected.length} checks) as expected in ${total} s`
  : `verify-model: ${bad} run(s) NOT as expected (${total} s)`);
process.exit(bad === 0 ? 0 : 1);
