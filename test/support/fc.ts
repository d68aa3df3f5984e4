// fast-check settings shared by the property tests (test/properties-*.test.ts).
//
// Every property runs with a fixed seed and a fixed number of runs by default, so CI repeats
// exactly. To explore further:
//   AIRSHAKE_FC_SEED=<int>     one seed for every property (fast-check prints the seed and the
//                              shrunk path of any counterexample, to replay it)
//   AIRSHAKE_FC_SEED=random    a fresh seed per property (printed on failure)
//   AIRSHAKE_FC_RUNS=<int>     numRuns for every property instead of its default
//   AIRSHAKE_FC_RUNS=x<k>      the default numRuns of each property times k (e.g. x10)
import fc from 'fast-check';

function runs(defaultRuns: number): number {
  const v = process.env.AIRSHAKE_FC_RUNS?.trim();
  if (!v) return defaultRuns;
  const m = /^[x*](\d+(?:\.\d+)?)$/i.exec(v);
  const n = m ? Math.round(defaultRuns * Number(m[1])) : Number(v);
  if (!Number.isFinite(n) || n < 1) throw new Error(`AIRSHAKE_FC_RUNS: ${v} is not a positive count or x<factor>`);
  return n;
}

function seed(defaultSeed: number): number | undefined {
  const v = process.env.AIRSHAKE_FC_SEED?.trim();
  if (!v) return defaultSeed;
  if (v === 'random') return undefined; // fast-check draws one and reports it on failure
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`AIRSHAKE_FC_SEED: ${v} is not an integer or "random"`);
  return n;
}

/** fc.assert parameters: the property's default seed and run count, unless overridden by the environment. */
export function fcParams<T>(defaultSeed: number, numRuns: number, extra: fc.Parameters<T> = {}): fc.Parameters<T> {
  return { seed: seed(defaultSeed), numRuns: runs(numRuns), includeErrorInReport: true, ...extra };
}

/** How a byte string is split into the chunks a stream delivers. */
export type Chunking = { at: number[] } | { every: number };

/** Cuts at arbitrary offsets (none: one chunk), or every n bytes (1: byte by byte). */
export const chunking = (maxOffset: number): fc.Arbitrary<Chunking> => fc.oneof(
  { weight: 3, arbitrary: fc.record({ at: fc.array(fc.integer({ min: 0, max: maxOffset }), { maxLength: 40, size: 'max' }) }) },
  { weight: 1, arbitrary: fc.record({ every: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 64 })) }) },
);

/** `bytes` split as `c` says: every byte kept, in order, no empty chunk. */
export function split(bytes: Uint8Array, c: Chunking): Uint8Array[] {
  const out: Uint8Array[] = [];
  if ('every' in c) {
    for (let o = 0; o < bytes.length; o += c.every) out.push(bytes.subarray(o, o + c.every));
    return out;
  }
  const at = [...new Set(c.at.map((o) => Math.min(bytes.length, o)))].sort((a, b) => a - b);
  let prev = 0;
  for (const o of [...at, bytes.length]) {
    if (o > prev) out.push(bytes.subarray(prev, o));
    prev = Math.max(prev, o);
  }
  return out;
}

export const concatBytes = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};

export const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
