// The firmware and the host share one list of error codes (they travel in alerts).
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Err } from '../host/protocol/constants.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

test('assembly/errors.ts and host/protocol/constants.ts define the same codes', () => {
  const src = readFileSync(path.join(root, 'assembly/errors.ts'), 'utf8');
  const fw = new Map<string, number>();
  for (const m of src.matchAll(/export const ERR_([A-Z0-9_]+): i32 = (0x[0-9a-f]+);/g)) fw.set(m[1]!, Number(m[2]));
  assert.ok(fw.size > 40);
  const host = new Map(Object.entries(Err).filter(([k]) => k !== 'OK'));
  assert.deepEqual([...fw.entries()].sort(), [...host.entries()].sort());
  assert.equal(new Set(fw.values()).size, fw.size, 'codes are unique');
});

test('docs/PROTOCOL.md lists every protocol error code', () => {
  const doc = readFileSync(path.join(root, 'docs/PROTOCOL.md'), 'utf8');
  for (const [name, code] of Object.entries(Err)) {
    if (code === 0 || code >= 0x40) continue;
    assert.ok(doc.includes(`| 0x${code.toString(16).padStart(2, '0')} | \`ERR_${name}\``), `ERR_${name} missing from the spec`);
  }
});
