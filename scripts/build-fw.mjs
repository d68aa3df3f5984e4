// Builds every firmware module in release and debug form with asc (asconfig.json targets).
//   build/crypto.wasm    the crypto core with every primitive exported (tests, benchmarks)
//   build/handset.wasm   the handset firmware: the airshake client
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

mkdirSync('build', { recursive: true });
const asc = 'node_modules/.bin/asc';
for (const name of ['crypto', 'handset']) {
  execFileSync(asc, [`assembly/${name}.ts`, '--target', 'release', '-o', `build/${name}.wasm`, '-t', `build/${name}.wat`], { stdio: 'inherit' });
  execFileSync(asc, [`assembly/${name}.ts`, '--target', 'debug', '-o', `build/${name}.debug.wasm`, '-t', `build/${name}.debug.wat`, '--sourceMap'], { stdio: 'inherit' });
}
