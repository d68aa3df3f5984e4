/**
 * Opt-in slow check: RFC 7748 §5.2 iterated X25519, 1 000 000 iterations (the vector marked
 * "slow": true in shared/vectors/rfc/x25519_rfc7748.json). Not part of the normal test run.
 *
 *   npx tsc -p tsconfig.json && node dist/test/slow/x25519-iterated-1m.js
 *
 * Start with k = u = initial, repeat (k, u) = (X25519(k, u), k); the final k must equal the
 * expected output. The 1- and 1 000-iteration vectors of the same file are checked on the way, so a
 * wrong implementation fails within a second. Progress goes to stderr. Exit code 0 = the
 * 1 000 000-iteration output matches, 1 = mismatch or error.
 *
 * An optional argument stops early for a smoke run (e.g. `... x25519-iterated-1m.js 20000`): the
 * checkpoints reached are checked, the final result is reported as NOT checked, and the exit code
 * is 2.
 *
 * When this file is picked up by `node --test` (which runs every .js file under a test/ folder),
 * it only prints a note and does nothing.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadFirmware } from '../../host/index.js';

interface IteratedKat {
  id: string;
  type: string;
  slow?: boolean;
  initial?: string;
  iterations?: number;
  output?: string;
}

const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

async function main(): Promise<number> {
  // Compiled as dist/test/slow/x25519-iterated-1m.js: the repo root is three levels up.
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const file = path.resolve(repoRoot, '..', 'shared', 'vectors', 'rfc', 'x25519_rfc7748.json');
  const kat = JSON.parse(readFileSync(file, 'utf8')) as { tests: IteratedKat[] };

  const iterated = kat.tests.filter((t) => t.type === 'iterated').sort((a, b) => a.iterations! - b.iterations!);
  const slow = iterated.filter((t) => t.slow === true);
  if (slow.length !== 1) throw new Error(`expected exactly one slow iterated vector in ${file}, found ${slow.length}`);
  const target = slow[0]!;
  const total = target.iterations!;
  const initials = new Set(iterated.map((t) => t.initial));
  if (initials.size !== 1) throw new Error('iterated vectors with different initial values');

  const arg = process.argv[2];
  const limit = arg === undefined ? total : Number(arg);
  if (!Number.isInteger(limit) || limit < 1 || limit > total) throw new Error(`bad iteration limit ${arg}`);

  const checkpoints = new Map(iterated.map((t) => [t.iterations!, t]));
  const fw = await loadFirmware();
  let k: Uint8Array = new Uint8Array(Buffer.from(target.initial!, 'hex'));
  let u: Uint8Array = k.slice();
  const t0 = Date.now();
  let lastReport = t0;
  console.log(`${target.id}: ${total.toLocaleString('en-US')} iterations of X25519${limit < total ? ` (stopping after ${limit})` : ''}`);

  for (let i = 1; i <= limit; i++) {
    const next = fw.x25519(k, u);
    u = k;
    k = next;
    const cp = checkpoints.get(i);
    if (cp) {
      const got = toHex(k);
      if (got !== cp.output) {
        console.error(`FAIL ${cp.id}: after ${i} iterations expected ${cp.output}, got ${got}`);
        return 1;
      }
      console.log(`ok ${cp.id}: after ${i.toLocaleString('en-US')} iterations = ${got} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    }
    const now = Date.now();
    if (now - lastReport >= 10_000) {
      lastReport = now;
      const rate = i / ((now - t0) / 1000);
      const eta = (limit - i) / rate;
      process.stderr.write(`  ${i.toLocaleString('en-US')} / ${limit.toLocaleString('en-US')}  ${rate.toFixed(0)}/s  ETA ${(eta / 60).toFixed(1)} min\n`);
    }
  }
  if (limit < total) {
    console.log(`PARTIAL RUN: stopped after ${limit} iterations; the ${total}-iteration result was NOT checked`);
    return 2;
  }
  console.log(`PASS ${target.id} in ${((Date.now() - t0) / 60000).toFixed(1)} min`);
  return 0;
}

if (process.env.NODE_TEST_CONTEXT !== undefined) {
  console.log('x25519-iterated-1m: opt-in slow check, skipped under node --test (run: node dist/test/slow/x25519-iterated-1m.js)');
} else {
  try {
    process.exitCode = await main();
  } catch (e) {
    console.error(e);
    process.exitCode = 1;
  }
}
