/**
 * Known-answer tests: RFC / FIPS vectors and Project Wycheproof vectors from ../shared/vectors
 * (layout documented in shared/vectors/README.md), run against the firmware through the host API.
 *
 * Every Wycheproof test is checked; per file we count valid / acceptable / invalid and assert the
 * totals equal the number of tests in the file, so nothing is silently skipped.
 * The one RFC 7748 vector marked "slow" (1 000 000 iterations) is skipped here and run by the
 * opt-in script test/slow/x25519-iterated-1m.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadFirmware } from '../host/index.js';
import type { Firmware } from '../host/api.js';

// This file runs as dist/test/vectors.test.js: the repo root is two levels up, and the shared
// vectors folder is a sibling of the repo directory.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const vectorsDir = path.resolve(repoRoot, '..', 'shared', 'vectors');

const fw: Firmware = await loadFirmware();

// ---------------------------------------------------------------------------------------------
// helpers

function fromHex(s: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(s)) throw new Error(`bad hex string: ${s.slice(0, 40)}`);
  // A fresh, unshared Uint8Array (Buffer.from may hand out a pooled slice).
  return new Uint8Array(Buffer.from(s, 'hex'));
}

function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function isAllZero(hex: string): boolean {
  return /^0*$/.test(hex);
}

function loadJson<T>(rel: string): T {
  const file = path.join(vectorsDir, rel);
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** Runs fn, expecting it to throw an Error whose message matches `names`. Returns a problem or null. */
function expectThrow(fn: () => unknown, names?: RegExp): string | null {
  let result: unknown;
  try {
    result = fn();
  } catch (e) {
    if (!(e instanceof Error)) return `threw a non-Error: ${String(e)}`;
    if (names && !names.test(e.message)) return `threw, but the message ${JSON.stringify(e.message)} does not match ${names}`;
    return null;
  }
  return `did not throw (returned ${result instanceof Uint8Array ? toHex(result) : String(result)})`;
}

/** Collects per-case failures so one run reports all of them, not just the first. */
class Failures {
  readonly list: string[] = [];
  add(id: string | number, msg: string): void {
    this.list.push(`${id}: ${msg}`);
  }
  /** Runs one case; an exception thrown by the case itself is a failure of that case. */
  run(id: string | number, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.add(id, e instanceof Error ? `${e.name}: ${e.message}` : String(e));
    }
  }
  assertNone(what: string): void {
    const shown = this.list.slice(0, 25).join('\n  ');
    const more = this.list.length > 25 ? `\n  ... and ${this.list.length - 25} more` : '';
    assert.equal(this.list.length, 0, `${what}: ${this.list.length} failing case(s):\n  ${shown}${more}`);
  }
}

function eqHex(f: Failures, id: string | number, label: string, got: Uint8Array | null, expected: string): void {
  if (!(got instanceof Uint8Array)) {
    f.add(id, `${label}: expected ${expected}, got ${String(got)}`);
    return;
  }
  const g = toHex(got);
  if (g !== expected) f.add(id, `${label}: expected ${expected}, got ${g}`);
}

// ---------------------------------------------------------------------------------------------
// RFC / FIPS known-answer tests

interface RfcFile<T> {
  schema: string;
  numberOfTests: number;
  tests: T[];
}

interface XdhKat {
  id: string;
  type: 'scalarmult' | 'iterated' | 'dh';
  slow?: boolean;
  scalar?: string;
  u?: string;
  output?: string;
  initial?: string;
  iterations?: number;
  alicePrivate?: string;
  alicePublic?: string;
  bobPrivate?: string;
  bobPublic?: string;
  shared?: string;
}

const BASEPOINT = '09' + '00'.repeat(31);

test('rfc x25519_rfc7748.json (scalarmult, iterated 1 and 1000, dh)', () => {
  const file = loadJson<RfcFile<XdhKat>>('rfc/x25519_rfc7748.json');
  assert.equal(file.schema, 'xdh-kat-v1');
  assert.equal(file.tests.length, file.numberOfTests);
  const f = new Failures();
  let checked = 0;
  let skipped = 0;
  for (const t of file.tests) {
    if (t.slow === true) {
      // Only the test marked slow is skipped (the 1 000 000-iteration one): see test/slow/.
      assert.equal(t.type, 'iterated', `${t.id}: only iterated tests may be slow`);
      skipped++;
      continue;
    }
    checked++;
    f.run(t.id, () => {
      switch (t.type) {
        case 'scalarmult':
          eqHex(f, t.id, 'X25519(scalar, u)', fw.x25519(fromHex(t.scalar!), fromHex(t.u!)), t.output!);
          break;
        case 'iterated': {
          assert.ok(Number.isInteger(t.iterations) && t.iterations! > 0, 'iterations');
          let k = fromHex(t.initial!);
          let u = fromHex(t.initial!);
          for (let i = 0; i < t.iterations!; i++) {
            const next = fw.x25519(k, u);
            u = k;
            k = next;
          }
          eqHex(f, t.id, `after ${t.iterations} iterations`, k, t.output!);
          break;
        }
        case 'dh': {
          const a = fromHex(t.alicePrivate!);
          const b = fromHex(t.bobPrivate!);
          const nine = fromHex(BASEPOINT);
          eqHex(f, t.id, 'alicePublic = X25519(a, 9)', fw.x25519(a, nine), t.alicePublic!);
          eqHex(f, t.id, 'bobPublic = X25519(b, 9)', fw.x25519(b, nine), t.bobPublic!);
          eqHex(f, t.id, 'X25519(a, bobPublic)', fw.x25519(a, fromHex(t.bobPublic!)), t.shared!);
          eqHex(f, t.id, 'X25519(b, alicePublic)', fw.x25519(b, fromHex(t.alicePublic!)), t.shared!);
          break;
        }
        default:
          f.add(t.id, `unknown test type ${String((t as { type: unknown }).type)}`);
      }
    });
  }
  console.log(`rfc x25519_rfc7748: ${checked} checked, ${skipped} skipped (slow: run node dist/test/slow/x25519-iterated-1m.js)`);
  assert.equal(skipped, 1, 'exactly one slow test is expected');
  assert.equal(checked + skipped, file.numberOfTests);
  f.assertNone('x25519_rfc7748');
});

interface EddsaKat {
  id: string;
  publicKey: string;
  messageLength: number;
  message: string;
  signature: string;
  result: string;
}

test('rfc ed25519_rfc8032.json', () => {
  const file = loadJson<RfcFile<EddsaKat>>('rfc/ed25519_rfc8032.json');
  assert.equal(file.schema, 'eddsa-kat-v1');
  assert.equal(file.tests.length, file.numberOfTests);
  const f = new Failures();
  let checked = 0;
  for (const t of file.tests) {
    checked++;
    f.run(t.id, () => {
      assert.equal(t.result, 'valid');
      const pk = fromHex(t.publicKey);
      const msg = fromHex(t.message);
      const sig = fromHex(t.signature);
      assert.equal(msg.length, t.messageLength, 'messageLength');
      const ok = fw.ed25519Verify(pk, msg, sig);
      if (ok !== true) f.add(t.id, `valid signature: ed25519Verify returned ${String(ok)}`);
      // Negative controls: one flipped bit in R, in S, or in the message must be rejected.
      const badR = sig.slice();
      badR[0] ^= 0x01;
      if (fw.ed25519Verify(pk, msg, badR) !== false) f.add(t.id, 'signature with a flipped bit in R accepted');
      const badS = sig.slice();
      badS[32] ^= 0x01;
      if (fw.ed25519Verify(pk, msg, badS) !== false) f.add(t.id, 'signature with a flipped bit in S accepted');
      const badM = concat(msg, new Uint8Array([0]));
      if (fw.ed25519Verify(pk, badM, sig) !== false) f.add(t.id, 'signature accepted for a longer message');
    });
  }
  console.log(`rfc ed25519_rfc8032: ${checked} valid checked (plus 3 tampered variants each)`);
  assert.equal(checked, file.numberOfTests);
  f.assertNone('ed25519_rfc8032');
});

interface AeadKat {
  id: string;
  key: string;
  nonce: string;
  aad: string;
  plaintext: string;
  ciphertext: string;
  tag: string;
  result: string;
}

test('rfc chacha20_poly1305_rfc8439.json (seal and open)', () => {
  const file = loadJson<RfcFile<AeadKat>>('rfc/chacha20_poly1305_rfc8439.json');
  assert.equal(file.schema, 'aead-kat-v1');
  assert.equal(file.tests.length, file.numberOfTests);
  const f = new Failures();
  let checked = 0;
  for (const t of file.tests) {
    checked++;
    f.run(t.id, () => {
      assert.equal(t.result, 'valid');
      const key = fromHex(t.key);
      const nonce = fromHex(t.nonce);
      const aad = fromHex(t.aad);
      eqHex(f, t.id, 'seal', fw.chacha20poly1305Seal(key, nonce, aad, fromHex(t.plaintext)), t.ciphertext + t.tag);
      eqHex(f, t.id, 'open', fw.chacha20poly1305Open(key, nonce, aad, fromHex(t.ciphertext + t.tag)), t.plaintext);
      const bad = fromHex(t.ciphertext + t.tag);
      bad[bad.length - 1] ^= 0x80;
      const r = fw.chacha20poly1305Open(key, nonce, aad, bad);
      if (r !== null) f.add(t.id, `open with a modified tag returned ${r instanceof Uint8Array ? toHex(r) : String(r)}, not null`);
    });
  }
  console.log(`rfc chacha20_poly1305_rfc8439: ${checked} valid checked (seal, open, modified tag)`);
  assert.equal(checked, file.numberOfTests);
  f.assertNone('chacha20_poly1305_rfc8439');
});

interface HkdfKat {
  id: string;
  hash: string;
  ikm: string;
  salt: string;
  info: string;
  length: number;
  prk: string;
  okm: string;
}

test('rfc hkdf_sha256_rfc5869.json', () => {
  const file = loadJson<RfcFile<HkdfKat>>('rfc/hkdf_sha256_rfc5869.json');
  assert.equal(file.schema, 'hkdf-kat-v1');
  assert.equal(file.tests.length, file.numberOfTests);
  const f = new Failures();
  let checked = 0;
  for (const t of file.tests) {
    checked++;
    f.run(t.id, () => {
      assert.equal(t.hash, 'SHA-256');
      const ikm = fromHex(t.ikm);
      const salt = fromHex(t.salt);
      eqHex(f, t.id, 'OKM', fw.hkdfSha256(ikm, salt, fromHex(t.info), t.length), t.okm);
      // PRK = HMAC(salt, IKM); an empty salt is HMAC-equivalent to 32 zero bytes.
      eqHex(f, t.id, 'PRK = HMAC-SHA256(salt, IKM)', fw.hmacSha256(salt, ikm), t.prk);
    });
  }
  console.log(`rfc hkdf_sha256_rfc5869: ${checked} checked (OKM and PRK)`);
  assert.equal(checked, file.numberOfTests);
  f.assertNone('hkdf_sha256_rfc5869');
});

interface MacKat {
  id: string;
  key: string;
  data: string;
  mac: string;
  truncated: boolean;
}

test('rfc hmac_sha256_rfc4231.json', () => {
  const file = loadJson<RfcFile<MacKat>>('rfc/hmac_sha256_rfc4231.json');
  assert.equal(file.schema, 'mac-kat-v1');
  assert.equal(file.tests.length, file.numberOfTests);
  const f = new Failures();
  let checked = 0;
  let truncated = 0;
  for (const t of file.tests) {
    checked++;
    f.run(t.id, () => {
      const mac = fw.hmacSha256(fromHex(t.key), fromHex(t.data));
      assert.equal(mac.length, 32, 'HMAC-SHA256 output length');
      if (t.truncated) {
        truncated++;
        assert.ok(t.mac.length / 2 < 32);
        eqHex(f, t.id, `first ${t.mac.length / 2} bytes`, mac.subarray(0, t.mac.length / 2), t.mac);
      } else {
        eqHex(f, t.id, 'HMAC', mac, t.mac);
      }
    });
  }
  console.log(`rfc hmac_sha256_rfc4231: ${checked} checked (${truncated} truncated)`);
  assert.equal(truncated, 1);
  assert.equal(checked, file.numberOfTests);
  f.assertNone('hmac_sha256_rfc4231');
});

interface HashKat {
  id: string;
  algorithm: 'SHA-256' | 'SHA-512';
  message: string;
  repeat: number;
  digest: string;
}

test('rfc sha2_fips180.json (including one million "a")', () => {
  const file = loadJson<RfcFile<HashKat>>('rfc/sha2_fips180.json');
  assert.equal(file.schema, 'hash-kat-v1');
  assert.equal(file.tests.length, file.numberOfTests);
  const f = new Failures();
  let checked = 0;
  let repeated = 0;
  for (const t of file.tests) {
    checked++;
    f.run(t.id, () => {
      const unit = fromHex(t.message);
      assert.ok(Number.isInteger(t.repeat) && t.repeat >= 1, 'repeat');
      const m = new Uint8Array(unit.length * t.repeat);
      for (let i = 0; i < t.repeat; i++) m.set(unit, i * unit.length);
      if (t.repeat > 1) repeated++;
      if (t.algorithm === 'SHA-256') eqHex(f, t.id, 'SHA-256', fw.sha256(m), t.digest);
      else if (t.algorithm === 'SHA-512') eqHex(f, t.id, 'SHA-512', fw.sha512(m), t.digest);
      else f.add(t.id, `unknown algorithm ${String(t.algorithm)}`);
    });
  }
  console.log(`rfc sha2_fips180: ${checked} checked (${repeated} repeated-message, e.g. one million "a")`);
  assert.equal(repeated, 2);
  assert.equal(checked, file.numberOfTests);
  f.assertNone('sha2_fips180');
});

// ---------------------------------------------------------------------------------------------
// Wycheproof

interface WycheFile<G> {
  algorithm: string;
  numberOfTests: number;
  testGroups: G[];
}

interface WycheTest {
  tcId: number;
  comment: string;
  flags: string[];
  result: 'valid' | 'acceptable' | 'invalid';
}

class Counts {
  valid = 0;
  acceptable = 0;
  invalid = 0;
  count(result: string): void {
    if (result === 'valid') this.valid++;
    else if (result === 'acceptable') this.acceptable++;
    else if (result === 'invalid') this.invalid++;
    else throw new Error(`unknown Wycheproof result ${result}`);
  }
  get total(): number {
    return this.valid + this.acceptable + this.invalid;
  }
}

function checkTotals<G extends { tests: unknown[] }>(file: WycheFile<G>, c: Counts): void {
  const inFile = file.testGroups.reduce((n, g) => n + g.tests.length, 0);
  assert.equal(inFile, file.numberOfTests, 'numberOfTests disagrees with the tests in the file');
  assert.equal(c.total, file.numberOfTests, 'every test must be checked');
}

const label = (t: WycheTest): string => `tcId ${t.tcId}${t.comment ? ` (${t.comment})` : ''} [${t.flags.join(',')}]`;

interface XdhTest extends WycheTest {
  public: string;
  private: string;
  shared: string;
}

test('wycheproof x25519_test.json', () => {
  const file = loadJson<WycheFile<{ curve: string; tests: XdhTest[] }>>('wycheproof/x25519_test.json');
  assert.equal(file.algorithm, 'XDH');
  const f = new Failures();
  const c = new Counts();
  let rejectedZero = 0;
  for (const g of file.testGroups) {
    assert.equal(g.curve, 'curve25519');
    for (const t of g.tests) {
      c.count(t.result);
      f.run(label(t), () => {
        const priv = fromHex(t.private);
        const pub = fromHex(t.public);
        if (t.result === 'invalid') {
          // None in this file; an invalid XDH test means the computation must be refused.
          const p = expectThrow(() => fw.x25519(priv, pub));
          if (p) f.add(label(t), `invalid: ${p}`);
        } else if (isAllZero(t.shared)) {
          // The firmware's documented policy: an all-zero shared secret is refused.
          const p = expectThrow(() => fw.x25519(priv, pub));
          if (p) f.add(label(t), `all-zero shared secret must throw: ${p}`);
          else rejectedZero++;
        } else {
          // valid, or acceptable with a non-zero result: must succeed with exactly this output.
          eqHex(f, label(t), `${t.result}: X25519`, fw.x25519(priv, pub), t.shared);
        }
      });
    }
  }
  console.log(
    `wycheproof x25519: ${c.valid} valid, ${c.acceptable} acceptable (${rejectedZero} rejected: all-zero), ${c.invalid} invalid`,
  );
  checkTotals(file, c);
  f.assertNone('wycheproof x25519');
});

interface EddsaTest extends WycheTest {
  msg: string;
  sig: string;
}

test('wycheproof ed25519_test.json', () => {
  const file = loadJson<WycheFile<{ publicKey: { curve: string; pk: string }; tests: EddsaTest[] }>>(
    'wycheproof/ed25519_test.json',
  );
  assert.equal(file.algorithm, 'EDDSA');
  const f = new Failures();
  const c = new Counts();
  let wrongLength = 0;
  for (const g of file.testGroups) {
    assert.equal(g.publicKey.curve, 'edwards25519');
    for (const t of g.tests) {
      c.count(t.result);
      f.run(label(t), () => {
        const pk = fromHex(g.publicKey.pk);
        const msg = fromHex(t.msg);
        const sig = fromHex(t.sig);
        if (sig.length !== 64) {
          // Truncated / with garbage / compressed: per the API a wrong length throws naming the parameter.
          wrongLength++;
          if (t.result === 'valid') f.add(label(t), 'valid test with a signature that is not 64 bytes?');
          const p = expectThrow(() => fw.ed25519Verify(pk, msg, sig), /signature/);
          if (p) f.add(label(t), `${sig.length}-byte signature: ${p}`);
          return;
        }
        const ok = fw.ed25519Verify(pk, msg, sig);
        if (typeof ok !== 'boolean') f.add(label(t), `returned a non-boolean ${String(ok)}`);
        else if (t.result === 'valid' && !ok) f.add(label(t), 'valid signature rejected');
        else if (t.result === 'invalid' && ok) f.add(label(t), 'invalid signature accepted');
        // acceptable: either outcome (none in this file)
      });
    }
  }
  console.log(
    `wycheproof ed25519: ${c.valid} valid, ${c.acceptable} acceptable, ${c.invalid} invalid (${wrongLength} with a wrong-length signature: must throw)`,
  );
  checkTotals(file, c);
  f.assertNone('wycheproof ed25519');
});

interface AeadTest extends WycheTest {
  key: string;
  iv: string;
  aad: string;
  msg: string;
  ct: string;
  tag: string;
}

test('wycheproof chacha20_poly1305_test.json', () => {
  const file = loadJson<
    WycheFile<{ ivSize: number; keySize: number; tagSize: number; tests: AeadTest[] }>
  >('wycheproof/chacha20_poly1305_test.json');
  assert.equal(file.algorithm, 'CHACHA20-POLY1305');
  const f = new Failures();
  const c = new Counts();
  let badNonce = 0;
  let modified = 0;
  for (const g of file.testGroups) {
    assert.equal(g.keySize, 256);
    assert.equal(g.tagSize, 128);
    for (const t of g.tests) {
      c.count(t.result);
      f.run(label(t), () => {
        const key = fromHex(t.key);
        const iv = fromHex(t.iv);
        const aad = fromHex(t.aad);
        const msg = fromHex(t.msg);
        assert.equal(iv.length * 8, g.ivSize, 'ivSize');
        if (iv.length !== 12) {
          badNonce++;
          if (t.result !== 'invalid') f.add(label(t), `${t.result} test with a ${iv.length}-byte nonce?`);
          const p1 = expectThrow(() => fw.chacha20poly1305Seal(key, iv, aad, msg), /nonce/);
          if (p1) f.add(label(t), `seal with a ${iv.length}-byte nonce: ${p1}`);
          const p2 = expectThrow(() => fw.chacha20poly1305Open(key, iv, aad, fromHex(t.ct + t.tag)), /nonce/);
          if (p2) f.add(label(t), `open with a ${iv.length}-byte nonce: ${p2}`);
          return;
        }
        const opened = fw.chacha20poly1305Open(key, iv, aad, fromHex(t.ct + t.tag));
        if (t.result === 'valid') {
          eqHex(f, label(t), 'seal', fw.chacha20poly1305Seal(key, iv, aad, msg), t.ct + t.tag);
          eqHex(f, label(t), 'open', opened, t.msg);
        } else if (t.result === 'invalid') {
          modified++;
          if (opened !== null) {
            f.add(label(t), `open must return null, got ${opened instanceof Uint8Array ? toHex(opened) : String(opened)}`);
          }
        } else if (opened !== null) {
          // acceptable (none in this file): either outcome, but a success must give the message.
          eqHex(f, label(t), 'acceptable open', opened, t.msg);
        }
      });
    }
  }
  console.log(
    `wycheproof chacha20-poly1305: ${c.valid} valid, ${c.acceptable} acceptable, ${c.invalid} invalid (${badNonce} wrong nonce size threw, ${modified} open returned null)`,
  );
  checkTotals(file, c);
  f.assertNone('wycheproof chacha20-poly1305');
});

interface HkdfTest extends WycheTest {
  ikm: string;
  salt: string;
  info: string;
  size: number;
  okm: string;
}

test('wycheproof hkdf_sha256_test.json', () => {
  const file = loadJson<WycheFile<{ tests: HkdfTest[] }>>('wycheproof/hkdf_sha256_test.json');
  assert.equal(file.algorithm, 'HKDF-SHA-256');
  const f = new Failures();
  const c = new Counts();
  let tooLarge = 0;
  for (const g of file.testGroups) {
    for (const t of g.tests) {
      c.count(t.result);
      f.run(label(t), () => {
        const run = (): Uint8Array => fw.hkdfSha256(fromHex(t.ikm), fromHex(t.salt), fromHex(t.info), t.size);
        if (t.result === 'invalid') {
          const tooBig = t.size > 255 * 32;
          const p = expectThrow(run, tooBig ? /length/ : undefined);
          if (p) f.add(label(t), `invalid (size ${t.size}): ${p}`);
          else if (tooBig) tooLarge++;
        } else if (t.result === 'valid') {
          eqHex(f, label(t), `OKM (${t.size} bytes)`, run(), t.okm);
        } else {
          let out: Uint8Array | undefined;
          try {
            out = run();
          } catch {
            out = undefined;
          }
          if (out !== undefined) eqHex(f, label(t), 'acceptable OKM', out, t.okm);
        }
      });
    }
  }
  console.log(
    `wycheproof hkdf-sha256: ${c.valid} valid, ${c.acceptable} acceptable, ${c.invalid} invalid (${tooLarge} size > 255*32 threw)`,
  );
  checkTotals(file, c);
  f.assertNone('wycheproof hkdf-sha256');
});

interface MacTest extends WycheTest {
  key: string;
  msg: string;
  tag: string;
}

test('wycheproof hmac_sha256_test.json', () => {
  const file = loadJson<WycheFile<{ keySize: number; tagSize: number; tests: MacTest[] }>>(
    'wycheproof/hmac_sha256_test.json',
  );
  assert.equal(file.algorithm, 'HMACSHA256');
  const f = new Failures();
  const c = new Counts();
  let truncated = 0;
  for (const g of file.testGroups) {
    assert.ok(g.tagSize % 8 === 0 && g.tagSize > 0 && g.tagSize <= 256, 'tagSize');
    const tagBytes = g.tagSize / 8;
    for (const t of g.tests) {
      c.count(t.result);
      f.run(label(t), () => {
        const key = fromHex(t.key);
        assert.equal(key.length * 8, g.keySize, 'keySize');
        assert.equal(t.tag.length / 2, tagBytes, 'tag length');
        const full = fw.hmacSha256(key, fromHex(t.msg));
        assert.equal(full.length, 32, 'HMAC-SHA256 output length');
        if (tagBytes < 32) truncated++;
        const computed = toHex(full.subarray(0, tagBytes));
        if (t.result === 'valid' && computed !== t.tag) f.add(label(t), `expected ${t.tag}, got ${computed}`);
        else if (t.result === 'invalid' && computed === t.tag) f.add(label(t), `modified tag ${t.tag} matches the computed tag`);
        // acceptable: none in this file
      });
    }
  }
  console.log(
    `wycheproof hmac-sha256: ${c.valid} valid, ${c.acceptable} acceptable, ${c.invalid} invalid (${truncated} with a truncated tag)`,
  );
  checkTotals(file, c);
  f.assertNone('wycheproof hmac-sha256');
});
