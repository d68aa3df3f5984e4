/**
 * Differential tests: the firmware against node:crypto (OpenSSL) on random inputs.
 *
 * All inputs (lengths and bytes, including keys and Ed25519 seeds) come from a deterministic
 * AES-256-CTR stream keyed by the seed, one independent stream per primitive, so a failing run is
 * reproduced exactly with AIRSHAKE_SEED=<seed>. The seed is logged at start and in every failure.
 * AIRSHAKE_CASES overrides the number of random cases per primitive (default 1000, minimum 1000
 * unless AIRSHAKE_CASES is set explicitly).
 *
 * Besides the outputs, every call also checks the host-boundary contract: inputs are not modified,
 * inputs that are views at a non-zero byteOffset of a larger buffer work, and a returned array is
 * not overwritten by the next call (it is not a view into WebAssembly memory).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { loadFirmware } from '../host/index.js';
import type { Firmware } from '../host/api.js';

const fw: Firmware = await loadFirmware();

const SEED = process.env.AIRSHAKE_SEED ?? String(crypto.randomInt(0, 2 ** 32));
const CASES = process.env.AIRSHAKE_CASES !== undefined ? Number(process.env.AIRSHAKE_CASES) : 1000;
assert.ok(Number.isInteger(CASES) && CASES > 0, 'AIRSHAKE_CASES must be a positive integer');
console.log(`differential: seed=${SEED} (reproduce with AIRSHAKE_SEED=${SEED}), ${CASES} random cases per primitive`);

// ---------------------------------------------------------------------------------------------
// deterministic random source

/** AES-256-CTR keystream keyed by SHA-256(seed, stream name). */
class Rng {
  private readonly ctr: crypto.Cipher;
  constructor(seed: string, stream: string) {
    const key = crypto.createHash('sha256').update(`airshake differential\0${seed}\0${stream}`).digest();
    this.ctr = crypto.createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  }
  /** n fresh bytes in a plain Uint8Array (byteOffset 0, own buffer). */
  bytes(n: number): Uint8Array {
    return new Uint8Array(this.ctr.update(Buffer.alloc(n)));
  }
  u32(): number {
    const b = this.ctr.update(Buffer.alloc(4));
    return b.readUInt32LE(0);
  }
  /** Uniform integer in [lo, hi] (inclusive), by rejection sampling. */
  int(lo: number, hi: number): number {
    const range = hi - lo + 1;
    assert.ok(range >= 1 && range <= 2 ** 32);
    const limit = Math.floor(2 ** 32 / range) * range;
    for (;;) {
      const x = this.u32();
      if (x < limit) return lo + (x % range);
    }
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(0, xs.length - 1)]!;
  }
  /**
   * The same bytes, either as a plain array or (one time in four) as a view at a random non-zero
   * offset inside a larger buffer with random bytes around it.
   */
  place(b: Uint8Array): Uint8Array {
    if (this.int(0, 3) !== 0) return b;
    const before = this.int(1, 15);
    const after = this.int(0, 15);
    const big = this.bytes(before + b.length + after);
    big.set(b, before);
    return big.subarray(before, before + b.length);
  }
}

// ---------------------------------------------------------------------------------------------
// helpers

function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

function fromHex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'hex'));
}

function short(b: Uint8Array, max = 96): string {
  const h = toHex(b);
  return h.length <= max * 2 ? h : `${h.slice(0, max * 2)}...(${b.length} bytes)`;
}

/** Collects failures (reported all together at the end) and checks the host-boundary contract. */
class Checker {
  readonly failures: string[] = [];
  private prev: { out: Uint8Array; hex: string; what: string } | null = null;
  constructor(readonly name: string) {}

  fail(msg: string): void {
    this.failures.push(msg);
  }

  /**
   * Calls fn with the given inputs; fails if it modified any input or if the previous output of
   * this checker changed (the host must return copies, not views into WebAssembly memory).
   */
  call<T>(what: string, inputs: Uint8Array[], fn: () => T): T {
    const before = inputs.map(toHex);
    const result = fn();
    inputs.forEach((b, i) => {
      if (toHex(b) !== before[i]) this.fail(`${what}: input #${i} was modified by the call`);
    });
    if (this.prev && toHex(this.prev.out) !== this.prev.hex) {
      this.fail(`${what}: the output of the previous call (${this.prev.what}) changed afterwards`);
    }
    if (result instanceof Uint8Array) this.prev = { out: result, hex: toHex(result), what };
    return result;
  }

  eq(what: string, got: Uint8Array | null, expected: Uint8Array): void {
    if (!(got instanceof Uint8Array)) {
      this.fail(`${what}: expected ${short(expected)}, got ${String(got)}`);
      return;
    }
    if (toHex(got) !== toHex(expected)) this.fail(`${what}: expected ${short(expected)}, got ${short(got)}`);
  }

  done(summary: string): void {
    console.log(`differential ${this.name}: ${summary}`);
    const shown = this.failures.slice(0, 15).join('\n  ');
    const more = this.failures.length > 15 ? `\n  ... and ${this.failures.length - 15} more` : '';
    assert.equal(
      this.failures.length,
      0,
      `${this.name} (seed ${SEED}): ${this.failures.length} failure(s):\n  ${shown}${more}`,
    );
  }
}

/** Fails unless fn throws an Error whose message matches `name`. */
function expectThrowNaming(c: Checker, what: string, name: RegExp, fn: () => unknown): void {
  let result: unknown;
  try {
    result = fn();
  } catch (e) {
    if (!(e instanceof Error)) c.fail(`${what}: threw a non-Error ${String(e)}`);
    else if (!name.test(e.message)) c.fail(`${what}: message ${JSON.stringify(e.message)} does not name ${name}`);
    return;
  }
  c.fail(`${what}: did not throw (returned ${result instanceof Uint8Array ? short(result) : String(result)})`);
}

/** A plain Uint8Array copy of a Buffer, or a view of an ArrayBuffer (hkdfSync returns one). */
const u8 = (b: Buffer | ArrayBuffer): Uint8Array => new Uint8Array(b);

// ---------------------------------------------------------------------------------------------
// hashes and HMAC

const BLOCK_BOUNDARIES = [0, 1, 55, 56, 57, 63, 64, 65, 111, 112, 113, 119, 120, 127, 128, 129, 191, 192, 255, 256, 2047, 2048];
/** Larger inputs: the firmware has a 64 KiB memory, so the host must feed these in pieces. */
const LARGE = [4095, 4096, 4097, 16383, 16384, 16385, 32767, 32768, 32769, 65535, 65536, 65537, 200_003];

function messageLengths(rng: Rng): number[] {
  const lens = [...BLOCK_BOUNDARIES];
  for (let i = 0; i < CASES; i++) lens.push(rng.int(0, 2048));
  return lens;
}

test('sha256 vs node:crypto', () => {
  const rng = new Rng(SEED, 'sha256');
  const c = new Checker('sha256');
  const lens = [...messageLengths(rng), ...LARGE];
  for (const len of lens) {
    const m = rng.place(rng.bytes(len));
    const got = c.call(`sha256(${len} bytes)`, [m], () => fw.sha256(m));
    c.eq(`sha256 of ${len} bytes ${short(m, 16)}`, got, crypto.createHash('sha256').update(m).digest());
  }
  c.done(`${lens.length} messages (${BLOCK_BOUNDARIES.length} block-boundary lengths, ${CASES} random 0..2048, ${LARGE.length} large)`);
});

test('sha512 vs node:crypto', () => {
  const rng = new Rng(SEED, 'sha512');
  const c = new Checker('sha512');
  const lens = [...messageLengths(rng), ...LARGE];
  for (const len of lens) {
    const m = rng.place(rng.bytes(len));
    const got = c.call(`sha512(${len} bytes)`, [m], () => fw.sha512(m));
    c.eq(`sha512 of ${len} bytes ${short(m, 16)}`, got, crypto.createHash('sha512').update(m).digest());
  }
  c.done(`${lens.length} messages (${BLOCK_BOUNDARIES.length} block-boundary lengths, ${CASES} random 0..2048, ${LARGE.length} large)`);
});

test('hmacSha256 vs node:crypto', () => {
  const rng = new Rng(SEED, 'hmac');
  const c = new Checker('hmacSha256');
  const KEY_LENS = [0, 1, 31, 32, 33, 63, 64, 65, 127, 128, 129, 200];
  const cases: Array<[number, number]> = [];
  for (const len of BLOCK_BOUNDARIES) cases.push([rng.int(0, 200), len]);
  for (const kl of KEY_LENS) cases.push([kl, rng.int(0, 2048)]);
  for (let i = 0; i < CASES; i++) cases.push([rng.int(0, 200), rng.int(0, 2048)]);
  for (const len of LARGE) cases.push([rng.int(0, 200), len]);
  for (const [kl, len] of cases) {
    const key = rng.place(rng.bytes(kl));
    const m = rng.place(rng.bytes(len));
    const got = c.call(`hmac(${kl}-byte key, ${len} bytes)`, [key, m], () => fw.hmacSha256(key, m));
    c.eq(
      `hmacSha256 key ${short(key, 16)} (${kl} bytes), message of ${len} bytes ${short(m, 16)}`,
      got,
      crypto.createHmac('sha256', key).update(m).digest(),
    );
  }
  c.done(`${cases.length} (key, message) pairs (keys 0..200 bytes, messages 0..2048 plus block boundaries and ${LARGE.length} large)`);
});

// ---------------------------------------------------------------------------------------------
// HKDF

test('hkdfSha256 vs crypto.hkdfSync', () => {
  const rng = new Rng(SEED, 'hkdf');
  const c = new Checker('hkdfSha256');
  const cases: Array<[number, number, number, number]> = [];
  for (const L of [1, 31, 32, 33, 63, 64, 65, 255 * 32 - 1, 255 * 32]) cases.push([rng.int(0, 100), rng.int(0, 100), rng.int(0, 100), L]);
  for (let i = 0; i < CASES; i++) cases.push([rng.int(0, 100), rng.int(0, 100), rng.int(0, 100), rng.int(1, 1000)]);
  for (const [il, sl, nl, L] of cases) {
    const ikm = rng.place(rng.bytes(il));
    const salt = rng.place(rng.bytes(sl));
    const info = rng.place(rng.bytes(nl));
    const what = `hkdfSha256(ikm ${short(ikm, 8)} [${il}], salt ${short(salt, 8)} [${sl}], info ${short(info, 8)} [${nl}], ${L})`;
    const got = c.call(what, [ikm, salt, info], () => fw.hkdfSha256(ikm, salt, info, L));
    const expected = u8(crypto.hkdfSync('sha256', ikm, salt, info, L));
    if (got.length !== L) c.fail(`${what}: output length ${got.length}`);
    c.eq(what, got, expected);
  }
  // Too long: more than 255 * 32 bytes must be refused with an error naming the length.
  for (const L of [255 * 32 + 1, 255 * 32 + 32, 1 << 16]) {
    const ikm = rng.bytes(16);
    expectThrowNaming(c, `hkdfSha256(..., ${L})`, /length/, () => fw.hkdfSha256(ikm, new Uint8Array(0), new Uint8Array(0), L));
  }
  c.done(`${cases.length} derivations (ikm/salt/info 0..100 bytes, length 1..1000 plus 8159/8160) and 3 over-long requests`);
});

// ---------------------------------------------------------------------------------------------
// ChaCha20-Poly1305

function nodeSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array): Uint8Array {
  const cipher = crypto.createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  cipher.setAAD(aad, { plaintextLength: pt.length });
  const ct = Buffer.concat([cipher.update(pt), cipher.final()]);
  return u8(Buffer.concat([ct, cipher.getAuthTag()]));
}

test('chacha20poly1305 seal/open vs node:crypto, with single-bit forgeries', () => {
  const rng = new Rng(SEED, 'chacha20poly1305');
  const c = new Checker('chacha20poly1305');
  const PT_LENS = [0, 1, 15, 16, 17, 63, 64, 65, 127, 128, 129, 255, 256, 257, 2048];
  const cases: Array<[number, number]> = [];
  for (const pl of PT_LENS) cases.push([pl, rng.pick([0, 1, 15, 16, 17, rng.int(0, 100)])]);
  for (let i = 0; i < CASES; i++) cases.push([rng.int(0, 2048), rng.int(0, 100)]);
  const flipped = { ct: 0, tag: 0, aad: 0 };
  for (const [pl, al] of cases) {
    const key = rng.place(rng.bytes(32));
    const nonce = rng.place(rng.bytes(12));
    const aad = rng.place(rng.bytes(al));
    const pt = rng.place(rng.bytes(pl));
    const desc = `key ${toHex(key)} nonce ${toHex(nonce)} aad ${short(aad, 8)} [${al}] pt ${short(pt, 8)} [${pl}]`;
    const expected = nodeSeal(key, nonce, aad, pt);
    const sealed = c.call(`seal ${desc}`, [key, nonce, aad, pt], () => fw.chacha20poly1305Seal(key, nonce, aad, pt));
    c.eq(`seal ${desc}`, sealed, expected);

    const ctAndTag = rng.place(expected.slice());
    const opened = c.call(`open ${desc}`, [key, nonce, aad, ctAndTag], () =>
      fw.chacha20poly1305Open(key, nonce, aad, ctAndTag),
    );
    c.eq(`open (round trip) ${desc}`, opened, pt);

    // One random bit flipped in the ciphertext, the tag or the AAD: open must return null.
    const regions = (['ct', 'tag', 'aad'] as const).filter((r) => (r === 'ct' ? pl > 0 : r === 'aad' ? al > 0 : true));
    const region = rng.pick(regions);
    flipped[region]++;
    let forgedCt: Uint8Array = expected.slice();
    let forgedAad: Uint8Array = aad.slice();
    let bit: number;
    if (region === 'ct') {
      bit = rng.int(0, pl * 8 - 1);
      forgedCt[bit >> 3]! ^= 1 << (bit & 7);
    } else if (region === 'tag') {
      bit = rng.int(0, 127);
      forgedCt[pl + (bit >> 3)]! ^= 1 << (bit & 7);
    } else {
      bit = rng.int(0, al * 8 - 1);
      forgedAad[bit >> 3]! ^= 1 << (bit & 7);
    }
    forgedCt = rng.place(forgedCt);
    forgedAad = rng.place(forgedAad);
    const r = c.call(`open forged`, [key, nonce, forgedAad, forgedCt], () =>
      fw.chacha20poly1305Open(key, nonce, forgedAad, forgedCt),
    );
    if (r !== null) {
      c.fail(`open with bit ${bit} of the ${region} flipped returned ${r instanceof Uint8Array ? short(r, 16) : String(r)}, not null; ${desc}`);
    }
  }
  c.done(
    `${cases.length} seal+open round trips (pt 0..2048, aad 0..100) and ${cases.length} forgeries ` +
      `(${flipped.ct} ct, ${flipped.tag} tag, ${flipped.aad} aad bit flips) all returned null`,
  );
});

// ---------------------------------------------------------------------------------------------
// X25519

const X25519_PKCS8 = fromHex('302e020100300506032b656e04220420');
const X25519_SPKI = fromHex('302a300506032b656e032100');

function nodeX25519(scalar: Uint8Array, u: Uint8Array): Uint8Array | Error {
  try {
    const privateKey = crypto.createPrivateKey({ key: Buffer.concat([X25519_PKCS8, scalar]), format: 'der', type: 'pkcs8' });
    const publicKey = crypto.createPublicKey({ key: Buffer.concat([X25519_SPKI, u]), format: 'der', type: 'spki' });
    return u8(crypto.diffieHellman({ privateKey, publicKey }));
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

function nodeX25519Public(scalar: Uint8Array): Uint8Array {
  const privateKey = crypto.createPrivateKey({ key: Buffer.concat([X25519_PKCS8, scalar]), format: 'der', type: 'pkcs8' });
  const spki = crypto.createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return u8(spki.subarray(X25519_SPKI.length));
}

/** Low-order and non-canonical u-coordinates (little-endian), each also with the top bit set. */
const SPECIAL_U = [
  '0000000000000000000000000000000000000000000000000000000000000000', // 0
  '0100000000000000000000000000000000000000000000000000000000000000', // 1
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', // order 8
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157', // order 8
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p - 1 (order 2)
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p = 0 mod p
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p + 1 = 1 mod p
  'f6ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p + 9 = 9 mod p
  'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // 2^255 - 1 = 18 mod p
  '0900000000000000000000000000000000000000000000000000000000000000', // base point
];

test('x25519 vs crypto.diffieHellman', () => {
  const rng = new Rng(SEED, 'x25519');
  const c = new Checker('x25519');
  let computed = 0;
  let refused = 0;
  let topBit = 0;
  const check = (scalar: Uint8Array, u: Uint8Array, kind: string): void => {
    const expected = nodeX25519(scalar, u);
    const what = `x25519 ${kind} scalar ${toHex(scalar)} u ${toHex(u)}`;
    let got: Uint8Array | Error;
    try {
      got = c.call(what, [scalar, u], () => fw.x25519(scalar, u));
    } catch (e) {
      got = e instanceof Error ? e : new Error(String(e));
    }
    if (expected instanceof Error) {
      // node:crypto refuses (all-zero shared secret): the firmware must refuse too.
      refused++;
      if (!(got instanceof Error)) c.fail(`${what}: node:crypto throws (${expected.message}) but the firmware returned ${toHex(got)}`);
    } else if (got instanceof Error) {
      c.fail(`${what}: firmware threw ${JSON.stringify(got.message)}, expected ${toHex(expected)}`);
    } else {
      computed++;
      c.eq(what, got, expected);
    }
  };
  for (let i = 0; i < CASES; i++) {
    const scalar = rng.place(rng.bytes(32));
    const u = rng.bytes(32);
    // Alternate the top bit of u: RFC 7748 (and OpenSSL) mask it.
    if (i % 2 === 0) u[31]! |= 0x80;
    else u[31]! &= 0x7f;
    if (u[31]! & 0x80) topBit++;
    check(scalar, rng.place(u), 'random');
  }
  for (const hex of SPECIAL_U) {
    for (const top of [false, true]) {
      const u = fromHex(hex);
      if (top) u[31]! |= 0x80;
      for (let j = 0; j < 3; j++) check(rng.bytes(32), u, 'special');
    }
  }
  // Public-key derivation: X25519(scalar, 9) equals the public key node derives.
  const nine = fromHex(SPECIAL_U[SPECIAL_U.length - 1]!);
  const BASE = Math.max(100, Math.floor(CASES / 10));
  for (let i = 0; i < BASE; i++) {
    const scalar = rng.place(rng.bytes(32));
    const what = `x25519(scalar ${toHex(scalar)}, 9)`;
    c.eq(`${what} vs node public key`, c.call(what, [scalar, nine], () => fw.x25519(scalar, nine)), nodeX25519Public(scalar));
  }
  c.done(
    `${CASES} random (${topBit} with the top bit of u set), ${SPECIAL_U.length * 6} special u, ${BASE} base-point; ` +
      `${computed} agreed, ${refused} refused by both (all-zero)`,
  );
  assert.ok(refused > 0, 'the special u values must include all-zero results');
});

// ---------------------------------------------------------------------------------------------
// Ed25519

const ED25519_PKCS8 = fromHex('302e020100300506032b657004220420');
const ED25519_SPKI = fromHex('302a300506032b6570032100');
/** The group order L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
const ED25519_L = fromHex('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010');

function nodeEdVerify(pk: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  try {
    const key = crypto.createPublicKey({ key: Buffer.concat([ED25519_SPKI, pk]), format: 'der', type: 'spki' });
    return crypto.verify(null, msg, key, sig);
  } catch {
    return false; // e.g. an undecodable public key: treat a throw as a rejection
  }
}

test('ed25519Verify vs crypto.sign / crypto.verify, with single-bit tampering', () => {
  const rng = new Rng(SEED, 'ed25519');
  const c = new Checker('ed25519Verify');
  const tampered = { sig: 0, msg: 0, pk: 0 };
  let accepted = 0;
  let rejected = 0;
  let nodeAcceptedTamper = 0;
  let malleable = 0;
  const verify = (what: string, pk: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean | Error => {
    try {
      return c.call(what, [pk, msg, sig], () => fw.ed25519Verify(pk, msg, sig));
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e));
    }
  };
  for (let i = 0; i < CASES; i++) {
    // A random key: the PKCS#8 private key is built from a random 32-byte seed (reproducible).
    const seed = rng.bytes(32);
    const privateKey = crypto.createPrivateKey({ key: Buffer.concat([ED25519_PKCS8, seed]), format: 'der', type: 'pkcs8' });
    const pk = u8(crypto.createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(ED25519_SPKI.length));
    const msg = rng.bytes(rng.int(0, 1024));
    const sig = u8(crypto.sign(null, msg, privateKey));
    const desc = `pk ${toHex(pk)} msg ${short(msg, 16)} [${msg.length}] sig ${toHex(sig)}`;

    const ok = verify(`verify ${desc}`, rng.place(pk), rng.place(msg), rng.place(sig));
    if (ok === true) accepted++;
    else c.fail(`valid signature: firmware returned ${ok instanceof Error ? `a throw ${JSON.stringify(ok.message)}` : String(ok)}; ${desc}`);

    // Tamper with one random bit of the signature, the message or the public key.
    const region = rng.pick((['sig', 'msg', 'pk'] as const).filter((r) => r !== 'msg' || msg.length > 0));
    tampered[region]++;
    const tpk = pk.slice();
    const tmsg = msg.slice();
    const tsig = sig.slice();
    const target = region === 'sig' ? tsig : region === 'msg' ? tmsg : tpk;
    const bit = rng.int(0, target.length * 8 - 1);
    target[bit >> 3]! ^= 1 << (bit & 7);
    const nodeOk = nodeEdVerify(tpk, tmsg, tsig);
    if (nodeOk) nodeAcceptedTamper++;
    const fwOk = verify(`tampered`, rng.place(tpk), rng.place(tmsg), rng.place(tsig));
    if (fwOk instanceof Error) {
      c.fail(`${region} bit ${bit} flipped: firmware threw ${JSON.stringify(fwOk.message)} instead of returning a boolean; ${desc}`);
    } else if (fwOk !== nodeOk) {
      c.fail(`${region} bit ${bit} flipped: firmware says ${fwOk}, node:crypto says ${nodeOk}; ${desc}`);
    } else if (!fwOk) rejected++;

    // Every 10th case: the malleable twin (R, S + L), which RFC 8032 requires rejecting (S < L).
    if (i % 10 === 0) {
      malleable++;
      const twin = sig.slice();
      let carry = 0;
      for (let j = 0; j < 32; j++) {
        const v = twin[32 + j]! + ED25519_L[j]! + carry;
        twin[32 + j] = v & 0xff;
        carry = v >> 8;
      }
      if (nodeEdVerify(pk, msg, twin)) c.fail(`node:crypto accepted S + L; ${desc}`);
      const r = verify(`S + L`, pk, msg, twin);
      if (r !== false) c.fail(`signature with S + L: firmware returned ${r instanceof Error ? `a throw ${JSON.stringify(r.message)}` : String(r)}, expected false; ${desc}`);
    }
  }
  c.done(
    `${accepted}/${CASES} valid signatures accepted; ${CASES} tampered (${tampered.sig} sig, ${tampered.msg} msg, ${tampered.pk} pk bit flips): ` +
      `${rejected} rejected by both, ${nodeAcceptedTamper} accepted by node; ${malleable} S + L twins checked (must be rejected)`,
  );
});

// ---------------------------------------------------------------------------------------------
// wrong lengths

test('wrong lengths throw an Error naming the parameter', () => {
  const c = new Checker('wrong lengths');
  const rng = new Rng(SEED, 'lengths');
  const b = (n: number): Uint8Array => rng.bytes(n);
  let n = 0;
  const expect = (what: string, name: RegExp, fn: () => unknown): void => {
    n++;
    expectThrowNaming(c, what, name, fn);
  };
  for (const len of [0, 1, 31, 33, 64]) {
    expect(`x25519 scalar of ${len} bytes`, /scalar/, () => fw.x25519(b(len), b(32)));
    expect(`x25519 u of ${len} bytes`, /\bu\b/, () => fw.x25519(b(32), b(len)));
  }
  for (const len of [0, 31, 33, 64]) {
    expect(`ed25519Verify publicKey of ${len} bytes`, /publicKey/, () => fw.ed25519Verify(b(len), b(10), b(64)));
  }
  for (const len of [0, 32, 63, 65, 128]) {
    expect(`ed25519Verify signature of ${len} bytes`, /signature/, () => fw.ed25519Verify(b(32), b(10), b(len)));
  }
  for (const len of [0, 16, 31, 33, 64]) {
    expect(`seal key of ${len} bytes`, /key/, () => fw.chacha20poly1305Seal(b(len), b(12), b(5), b(20)));
    expect(`open key of ${len} bytes`, /key/, () => fw.chacha20poly1305Open(b(len), b(12), b(5), b(36)));
  }
  for (const len of [0, 8, 11, 13, 24]) {
    expect(`seal nonce of ${len} bytes`, /nonce/, () => fw.chacha20poly1305Seal(b(32), b(len), b(5), b(20)));
    expect(`open nonce of ${len} bytes`, /nonce/, () => fw.chacha20poly1305Open(b(32), b(len), b(5), b(36)));
  }
  expect('hkdfSha256 length 255*32+1', /length/, () => fw.hkdfSha256(b(16), b(16), b(4), 255 * 32 + 1));
  // A ciphertext shorter than the tag cannot open: null or a throw are both fine, a plaintext is not.
  for (const len of [0, 1, 15]) {
    n++;
    let r: unknown = null;
    try {
      r = fw.chacha20poly1305Open(b(32), b(12), b(0), b(len));
    } catch {
      r = null;
    }
    if (r !== null) c.fail(`open of a ${len}-byte input returned ${String(r)}`);
  }
  c.done(`${n} wrong-length calls refused`);
});

// RFC 8032 §5.1.3 decoding, where the firmware is deliberately stricter than OpenSSL
// (docs/CRYPTO.md): R = [r]B and S = r verify under the identity key A = (0, 1). The canonical
// identity encoding is accepted by both; the encodings with the sign bit set on x = 0, or with
// y = p + 1, are rejected by the firmware (not a valid encoding) while OpenSSL reduces them.
test('ed25519: non-canonical public keys: firmware rejects per RFC 8032, OpenSSL accepts', async () => {
  const fw = await loadFirmware();
  const { ed25519 } = await import('@noble/curves/ed25519.js');
  const L = (1n << 252n) + 27742317777372353535851937790883648493n;
  const le = (n: bigint) => { const b = new Uint8Array(32); for (let i = 0; i < 32; i++) { b[i] = Number(n & 255n); n >>= 8n; } return b; };
  const r = 12345678901234567890n % L;
  const sig = new Uint8Array([...ed25519.Point.BASE.multiply(r).toBytes(), ...le(r)]);
  const msg = new TextEncoder().encode('hello');
  const nodeVerify = (pk: Uint8Array) => crypto.verify(null, msg,
    crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(pk).toString('base64url') }, format: 'jwk' }), sig);
  const canonical = le(1n);
  assert.equal(fw.ed25519Verify(canonical, msg, sig), true);
  assert.equal(nodeVerify(canonical), true);
  const signBit = le(1n); signBit[31]! |= 0x80;
  const p = (1n << 255n) - 19n;
  for (const pk of [signBit, le(p + 1n)]) {
    assert.equal(fw.ed25519Verify(pk, msg, sig), false);
    assert.equal(nodeVerify(pk), true, 'OpenSSL reduces the encoding (if this changes, update docs/CRYPTO.md)');
  }
});
