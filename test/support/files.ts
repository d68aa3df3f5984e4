// Files of the repository and hex helpers, shared by the tests (compiled to dist/test/support/).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (dist/test/support/ -> three levels up). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** A JSON file of the repository, by its path from the root (e.g. test/vectors/trace-suite1.json). */
export const readJson = (rel: string) => JSON.parse(readFileSync(path.join(repoRoot, rel), 'utf8'));
export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
export const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
