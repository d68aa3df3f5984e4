// Builds every firmware module in release and debug form with asc (asconfig.json targets).
//   build/crypto.wasm    the crypto core with every primitive exported (tests, benchmarks)
//   build/handset.wasm   the handset firmware: the airshake client
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

mkdirSync('build', { recursive: true });
const asc = 'node_modules/.bin/asc';
// The crypto core is optimised for speed; the handset firmware for size (shrinkLevel 2: it has a
// flash budget), which also selects the compact Edwards formulas (assembly/ec/edwards25519.ts).
const release = { crypto: [], handset: ['--shrinkLevel', '2'] };
for (const name of ['crypto', 'handset']) {
  execFileSync(asc, [`assembly/${name}.ts`, '--target', 'release', ...release[name], '-o', `build/${name}.wasm`, '-t', `build/${name}.wat`], { stdio: 'inherit' });
  execFileSync(asc, [`assembly/${name}.ts`, '--target', 'debug', '-o', `build/${name}.debug.wasm`, '-t', `build/${name}.debug.wat`, '--sourceMap'], { stdio: 'inherit' });
}
// The crypto core built the handset's way (compact ladder and Edwards formulas, small windows
// and schedules), so that the published vectors also test the code the handset runs.
execFileSync(asc, ['assembly/crypto.ts', '--target', 'release', '--shrinkLevel', '2', '-o', 'build/crypto.small.wasm'], { stdio: 'inherit' });
