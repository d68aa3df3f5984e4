// Builds (npm run build) when an output is missing or older than a source, so `npm run demo`
// works on a fresh clone. Build output goes to stderr: stdout stays clean for --json.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const newest = (dir) => {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
};
// every firmware module the npm scripts load (scripts/build-fw.mjs builds them all; --suite p256
// runs handset-dual.wasm, --suite fs and kt handset-fs.wasm), and the host
const outputs = ['build/crypto.wasm', 'build/crypto.small.wasm', 'build/handset.wasm', 'build/handset-dual.wasm', 'build/handset-fs.wasm', 'dist/host/cli.js'];
const oldestOutput = Math.min(...outputs.map((f) => (existsSync(f) ? statSync(f).mtimeMs : 0)));
const sources = Math.max(newest('assembly'), newest('host'), statSync('asconfig.json').mtimeMs, statSync('tsconfig.json').mtimeMs);
if (oldestOutput === 0 || sources > oldestOutput) {
  process.stderr.write('building firmware and host (npm run build)...\n');
  execSync('npm run --silent build', { stdio: ['ignore', process.stderr, process.stderr] });
}
