/**
 * Runs jobs 0..n-1 with at most `width` in flight; job k runs on worker slot w (0..width-1), so a
 * caller can give each slot its own resource (a firmware instance). Returns the results in job order.
 */
export async function pool<T>(n: number, width: number, job: (k: number, w: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, n) }, async (_, w) => {
    while (next < n) { const k = next++; out[k] = await job(k, w); }
  }));
  return out;
}
