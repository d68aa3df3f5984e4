// Builds every firmware module in release and debug form with asc (asconfig.json targets).
//   build/crypto.wasm        the crypto core with every primitive exported (tests, benchmarks)
//   build/handset.wasm       the handset firmware: the airshake client, suite 1 only (issue 5 budgets)
//   build/handset-dual.wasm  the handset firmware offering suites 1 and 2 (issue 7): the same
//                            client built with --use AIRSHAKE_SUITE2=1 (assembly/hs/config.ts),
//                            which links P-256, ECDSA and AES-128-CCM; handset.wasm links none of them
//   build/handset-fs.wasm    the handset firmware with suite 3 (forward secrecy, C_B by reference;
//                            issue 9) beside suite 1: --use AIRSHAKE_SUITE3=1
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

mkdirSync('build', { recursive: true });
const asc = 'node_modules/.bin/asc';
// The crypto core is optimised for speed; the handset firmware for size (shrinkLevel 2: it has a
// flash budget), which also selects the compact Edwards formulas (assembly/ec/edwards25519.ts).
// asc appends command-line --use values to the target's ("abort=" in release).
const builds = [
  { name: 'crypto', entry: 'crypto', release: [], flags: [] },
  { name: 'handset', entry: 'handset', release: ['--shrinkLevel', '2'], flags: [] },
  { name: 'handset-dual', entry: 'handset-dual', release: ['--shrinkLevel', '2'], flags: ['--use', 'AIRSHAKE_SUITE2=1'] },
  { name: 'handset-fs', entry: 'handset-fs', release: ['--shrinkLevel', '2'], flags: ['--use', 'AIRSHAKE_SUITE3=1'] },
];
for (const b of builds) {
  execFileSync(asc, [`assembly/${b.entry}.ts`, '--target', 'release', ...b.release, ...b.flags, '-o', `build/${b.name}.wasm`, '-t', `build/${b.name}.wat`], { stdio: 'inherit' });
  execFileSync(asc, [`assembly/${b.entry}.ts`, '--target', 'debug', ...b.flags, '-o', `build/${b.name}.debug.wasm`, '-t', `build/${b.name}.debug.wat`, '--sourceMap'], { stdio: 'inherit' });
}
// The crypto core built the handset's way (compact ladder and Edwards formulas, small windows
// and schedules), so that the published vectors also test the code the handset runs.
execFileSync(asc, ['assembly/crypto.ts', '--target', 'release', '--shrinkLevel', '2', '-o', 'build/crypto.small.wasm'], { stdio: 'inherit' });
