// AES-128 and AES-128-CCM (assembly/aes/aes128.ts, assembly/aead/aes128ccm.ts), run against BOTH
// the speed build (build/crypto.wasm) and the size build (build/crypto.small.wasm):
//   - FIPS-197 known answers for the block function (Appendix B and C.1), and random blocks
//     against node:crypto's aes-128-ecb;
//   - every AES-128 case of Wycheproof's aes_ccm_test.json: the 13-byte-nonce groups through the
//     host API, every other group through the raw export (which takes nonce lengths 7..13; the
//     other nonce lengths and the invalid tag lengths must be refused with ERR_CRYPTO_LENGTH);
//   - RFC 3610 packet vectors #1-#3;
//   - 1,200 random cases against node:crypto (13-byte nonces, tags 8 and 16, empty AAD and
//     plaintext included) with random corruption of the ciphertext, tag or AAD (must give null),
//     and 300 raw cases with every nonce length 7..13 and every tag length 4..16;
//   - constant time by full execution traces (instruction count, control-flow hash, memory-address
//     hash, access count; host/bench/wasm-count.ts's trace mode) for seal, open and forged
//     messages, the wipe of every scratch byte, no allocation.
import test from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPath, loadFirmware } from '../host/index.js';
import type { LoadedFirmware } from '../host/index.js';
import { instrumentWasm, traceOf, type Trace } from '../host/bench/wasm-count.js';

const vectors = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'vectors');
const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

const ERR_CRYPTO_LENGTH = 0x60;
const ERR_AEAD_TAG = 0x65;

const BUILDS = ['crypto.wasm', 'crypto.small.wasm'] as const;
const load = (file: string, trace = false) => {
  const bytes = readFileSync(buildPath(file));
  return loadFirmware({ wasm: trace ? instrumentWasm(bytes, { trace: true }) : bytes });
};

const TRACE_FIELDS = ['instructions', 'controlFlow', 'memory', 'memoryAccesses'] as const;
const showTrace = (t: Trace): string =>
  `${t.instructions} instructions, ${t.memoryAccesses} memory accesses, control flow ${t.controlFlow.toString(16)}, memory ${t.memory.toString(16)}`;
/** Every trace equals the first in all four fields (as test/constant-time.test.ts's assertSame). */
function assertSameTraces(what: string, traces: Trace[]): void {
  assert.ok(traces.length >= 20, `${what}: only ${traces.length} runs`);
  for (let i = 1; i < traces.length; i++) {
    const diff = TRACE_FIELDS.filter((f) => traces[i]![f] !== traces[0]![f]);
    assert.equal(diff.length, 0, `${what}: secret-dependent ${diff.join(', ')} (run ${i} vs run 0)\n  run 0: ${showTrace(traces[0]!)}\n  run ${i}: ${showTrace(traces[i]!)}`);
  }
}

/** The raw export, for nonce lengths other than 13 (and out-of-place operation). */
function raw(fw: LoadedFirmware) {
  const x = fw.exports;
  const io = x.io() >>> 0;
  const mem = new Uint8Array(x.memory.buffer);
  const layout = (nonceLen: number, aadLen: number) => {
    const key = io, nonce = io + 16, aad = nonce + nonceLen, inp = aad + aadLen;
    return { key, nonce, aad, inp };
  };
  return {
    /** Seal; out-of-place when `separate`, else in place. Returns rc and ciphertext || tag. */
    seal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array, tagLen: number, separate = false) {
      const l = layout(nonce.length, aad.length);
      mem.fill(0, io, io + 8192);
      mem.set(key, l.key); mem.set(nonce, l.nonce); mem.set(aad, l.aad); mem.set(pt, l.inp);
      const out = separate ? l.inp + pt.length + 64 : l.inp;
      const rc = x.aes128CcmSeal(out, l.key, l.nonce, nonce.length, l.aad, aad.length, l.inp, pt.length, tagLen);
      const res = { rc, out: mem.slice(out, out + pt.length + tagLen), input: mem.slice(l.inp, l.inp + pt.length) };
      mem.fill(0, io, io + 8192);
      return res;
    },
    /** Open; returns rc and the n output bytes (zeros after a tag failure). */
    open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ctTag: Uint8Array, tagLen: number, separate = false) {
      const l = layout(nonce.length, aad.length);
      mem.fill(0xa5, io, io + 8192);
      mem.set(key, l.key); mem.set(nonce, l.nonce); mem.set(aad, l.aad); mem.set(ctTag, l.inp);
      const n = ctTag.length - tagLen;
      const out = separate ? l.inp + ctTag.length + 64 : l.inp;
      const rc = x.aes128CcmOpen(out, l.key, l.nonce, nonce.length, l.aad, aad.length, l.inp, n, tagLen);
      const res = { rc, out: mem.slice(out, out + n) };
      mem.fill(0, io, io + 8192);
      return res;
    },
    block(key: Uint8Array, block: Uint8Array): Uint8Array {
      mem.set(key, io); mem.set(block, io + 16);
      x.aes128EncryptBlock(io + 32, io, io + 16);
      const out = mem.slice(io + 32, io + 48);
      mem.fill(0, io, io + 48);
      return out;
    },
  };
}

function nodeSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array, tagLen: number): Uint8Array {
  const c = crypto.createCipheriv('aes-128-ccm', key, nonce, { authTagLength: tagLen });
  c.setAAD(aad, { plaintextLength: pt.length });
  // OpenSSL quirk: a zero-length view of randomBytes' pool makes CCM's final() fail with
  // "tag not set"; a fresh empty buffer does not.
  return new Uint8Array(Buffer.concat([c.update(pt.length === 0 ? Buffer.alloc(0) : pt), c.final(), c.getAuthTag()]));
}

for (const file of BUILDS) {
  test(`${file}: FIPS-197 known answers and 500 random blocks against node:crypto aes-128-ecb`, async () => {
    const r = raw(await load(file));
    // FIPS-197 Appendix C.1 (AES-128) and Appendix B (the cipher example).
    assert.equal(toHex(r.block(hex('000102030405060708090a0b0c0d0e0f'), hex('00112233445566778899aabbccddeeff'))), '69c4e0d86a7b0430d8cdb78070b4c55a');
    assert.equal(toHex(r.block(hex('2b7e151628aed2a6abf7158809cf4f3c'), hex('3243f6a8885a308d313198a2e0370734'))), '3925841d02dc09fbdc118597196a0b32');
    for (let i = 0; i < 500; i++) {
      const key = crypto.randomBytes(16), b = i === 0 ? Buffer.alloc(16) : crypto.randomBytes(16);
      const want = crypto.createCipheriv('aes-128-ecb', key, null).update(b);
      assert.equal(toHex(r.block(key, b)), want.toString('hex'), `block ${i}`);
    }
  });

  test(`${file}: Wycheproof aes_ccm_test.json, every AES-128 case`, async () => {
    const fw = await load(file);
    const r = raw(fw);
    const wp = JSON.parse(readFileSync(path.join(vectors, 'wycheproof/aes_ccm_test.json'), 'utf8'));
    const seen = { api13: 0, rawValid: 0, rawModified: 0, badNonce: 0, badTag: 0, total: 0 };
    for (const g of wp.testGroups) {
      if (g.keySize !== 128) continue;
      const tagLen = g.tagSize / 8;
      for (const t of g.tests) {
        seen.total++;
        const id = `tcId ${t.tcId}`;
        const key = hex(t.key), iv = hex(t.iv), aad = hex(t.aad), msg = hex(t.msg), ctTag = hex(t.ct + t.tag);
        const flags: string[] = t.flags;
        if (flags.includes('InvalidNonceSize')) {
          assert.equal(t.result, 'invalid', id);
          assert.ok(iv.length < 7 || iv.length > 13, id);
          if (iv.length + aad.length + ctTag.length + 64 < 8192) {
            assert.equal(r.seal(key, iv, aad, msg, tagLen).rc, ERR_CRYPTO_LENGTH, id);
            assert.equal(r.open(key, iv, aad, ctTag, tagLen).rc, ERR_CRYPTO_LENGTH, id);
          }
          assert.throws(() => fw.aes128CcmSeal(key, iv, aad, msg, tagLen), /nonce13/, id);
          seen.badNonce++;
          continue;
        }
        if (flags.includes('InvalidTagSize') || flags.includes('InsecureTagSize')) {
          assert.equal(t.result, 'invalid', id);
          assert.equal(r.seal(key, iv, aad, msg, tagLen).rc, ERR_CRYPTO_LENGTH, id);
          assert.equal(r.open(key, iv, aad, hex(t.ct + t.tag), tagLen).rc, ERR_CRYPTO_LENGTH, id);
          assert.throws(() => fw.aes128CcmSeal(key, new Uint8Array(13), aad, msg, tagLen), /tagLength/, id);
          seen.badTag++;
          continue;
        }
        if (t.result === 'valid') {
          if (iv.length === 13) {
            assert.equal(toHex(fw.aes128CcmSeal(key, iv, aad, msg, tagLen)), t.ct + t.tag, id);
            assert.equal(toHex(fw.aes128CcmOpen(key, iv, aad, ctTag, tagLen)!), t.msg, id);
            seen.api13++;
          } else {
            const s = r.seal(key, iv, aad, msg, tagLen);
            assert.equal(s.rc, 0, id);
            assert.equal(toHex(s.out), t.ct + t.tag, id);
            const o = r.open(key, iv, aad, ctTag, tagLen);
            assert.equal(o.rc, 0, id);
            assert.equal(toHex(o.out), t.msg, id);
            seen.rawValid++;
          }
          continue;
        }
        // invalid, ModifiedTag: open must fail and wipe its output
        assert.deepEqual(flags, ['ModifiedTag'], id);
        const o = r.open(key, iv, aad, ctTag, tagLen);
        assert.equal(o.rc, ERR_AEAD_TAG, id);
        assert.ok(o.out.every((b) => b === 0), `${id}: output not wiped`);
        seen.rawModified++;
      }
    }
    assert.deepEqual(seen, { api13: 6, rawValid: 129, rawModified: 27, badNonce: 13, badTag: 9, total: 184 });
  });

  test(`${file}: RFC 3610 packet vectors #1-#3 (CCM_8, 13-byte nonce)`, async () => {
    const fw = await load(file);
    const v = JSON.parse(readFileSync(path.join(vectors, 'rfc/aes128_ccm_rfc3610.json'), 'utf8'));
    assert.equal(v.tests.length, 3);
    for (const t of v.tests) {
      const key = hex(t.key), nonce = hex(t.nonce), aad = hex(t.aad);
      assert.equal(t.tagLength, 8);
      assert.equal(t.packet, t.aad + t.plaintext, t.id);
      const sealed = fw.aes128CcmSeal(key, nonce, aad, hex(t.plaintext), 8);
      assert.equal(toHex(sealed), t.ciphertext + t.tag, t.id);
      assert.equal(t.aad + toHex(sealed), t.output, t.id);
      assert.equal(toHex(fw.aes128CcmOpen(key, nonce, aad, sealed, 8)!), t.plaintext, t.id);
      const bad = sealed.slice(); bad[bad.length - 1]! ^= 0x80;
      assert.equal(fw.aes128CcmOpen(key, nonce, aad, bad, 8), null, t.id);
    }
  });

  test(`${file}: 1,200 random cases agree with node:crypto (13-byte nonce, tags 8 and 16), corruption gives null`, async () => {
    const fw = await load(file);
    let corrupted = 0;
    for (let i = 0; i < 1200; i++) {
      const tagLen = i % 2 === 0 ? 8 : 16;
      const key = crypto.randomBytes(16), nonce = crypto.randomBytes(13);
      // Empty AAD and plaintext every few cases; lengths around block edges otherwise.
      const aad = crypto.randomBytes(i % 5 === 0 ? 0 : crypto.randomInt(0, 70));
      const pt = crypto.randomBytes(i % 7 === 0 ? 0 : crypto.randomInt(0, 300));
      const want = nodeSeal(key, nonce, aad, pt, tagLen);
      const got = fw.aes128CcmSeal(key, nonce, aad, pt, tagLen);
      assert.equal(toHex(got), toHex(want), `case ${i}`);
      assert.equal(toHex(fw.aes128CcmOpen(key, nonce, aad, got, tagLen)!), toHex(pt), `case ${i}`);
      // Corrupt one bit of the ciphertext, the tag or the AAD.
      const which = i % 3;
      if (which === 2 && aad.length === 0) continue;
      const bad = got.slice(), badAad = aad.slice();
      if (which === 0 && pt.length > 0) bad[crypto.randomInt(0, pt.length)]! ^= 1 << crypto.randomInt(0, 8);
      else if (which === 2) badAad[crypto.randomInt(0, aad.length)]! ^= 1 << crypto.randomInt(0, 8);
      else bad[pt.length + crypto.randomInt(0, tagLen)]! ^= 1 << crypto.randomInt(0, 8);
      assert.equal(fw.aes128CcmOpen(key, nonce, badAad, bad, tagLen), null, `corrupted case ${i}`);
      corrupted++;
    }
    assert.ok(corrupted >= 1000);
  });

  test(`${file}: raw export, every nonce length 7..13 and tag length 4..16, in place and out of place, against node:crypto`, async () => {
    const r = raw(await load(file));
    for (let i = 0; i < 350; i++) {
      const nonceLen = 7 + (i % 7), tagLen = 4 + 2 * ((i >> 3) % 7);
      const key = crypto.randomBytes(16), nonce = crypto.randomBytes(nonceLen);
      const aad = crypto.randomBytes(crypto.randomInt(0, 40)), pt = crypto.randomBytes(crypto.randomInt(0, 100));
      const want = nodeSeal(key, nonce, aad, pt, tagLen);
      const separate = i % 2 === 1;
      const s = r.seal(key, nonce, aad, pt, tagLen, separate);
      assert.equal(s.rc, 0);
      assert.equal(toHex(s.out), toHex(want), `case ${i} (nonce ${nonceLen}, tag ${tagLen})`);
      if (separate) assert.equal(toHex(s.input), toHex(pt), 'out-of-place seal leaves the input alone');
      const o = r.open(key, nonce, aad, want, tagLen, separate);
      assert.equal(o.rc, 0);
      assert.equal(toHex(o.out), toHex(pt));
      if (pt.length > 0) {
        const bad = want.slice(); bad[crypto.randomInt(0, bad.length)]! ^= 4;
        const f = r.open(key, nonce, aad, bad, tagLen, separate);
        assert.equal(f.rc, ERR_AEAD_TAG);
        assert.ok(f.out.every((b) => b === 0), 'output wiped after a failed open');
      }
    }
  });

  test(`${file}: length limits and argument errors`, async () => {
    const fw = await load(file);
    const x = fw.exports, io = x.io() >>> 0;
    const key = new Uint8Array(16), n13 = new Uint8Array(13);
    // L = 2: 65,535 bytes is the most (refused before anything is read or written); L = 3 allows more.
    assert.equal(x.aes128CcmSeal(io, io, io, 13, io, 0, io, 65536, 8), ERR_CRYPTO_LENGTH);
    assert.equal(x.aes128CcmOpen(io, io, io, 13, io, 0, io, 65536, 8), ERR_CRYPTO_LENGTH);
    assert.equal(x.aes128CcmSeal(io, io, io, 13, io, 0xff00, io, 0, 8), ERR_CRYPTO_LENGTH, 'AAD above 65,279 bytes');
    for (const t of [0, 2, 3, 5, 18]) assert.equal(x.aes128CcmSeal(io, io, io, 13, io, 0, io, 0, t), ERR_CRYPTO_LENGTH, `tag ${t}`);
    for (const t of [0, 2, 3, 5, 17, 18, 8.5, NaN]) {
      assert.throws(() => fw.aes128CcmSeal(key, n13, new Uint8Array(0), new Uint8Array(0), t), /tagLength/);
      assert.throws(() => fw.aes128CcmOpen(key, n13, new Uint8Array(0), new Uint8Array(20), t), /tagLength/);
    }
    assert.throws(() => fw.aes128CcmSeal(new Uint8Array(15), n13, new Uint8Array(0), new Uint8Array(0), 8), /key must be 16 bytes/);
    assert.throws(() => fw.aes128CcmSeal(new Uint8Array(32), n13, new Uint8Array(0), new Uint8Array(0), 8), /key must be 16 bytes/);
    assert.throws(() => fw.aes128CcmSeal(key, new Uint8Array(12), new Uint8Array(0), new Uint8Array(0), 8), /nonce13 must be 13 bytes/);
    assert.throws(() => fw.aes128CcmOpen(key, new Uint8Array(12), new Uint8Array(0), new Uint8Array(8), 8), /nonce13 must be 13 bytes/);
    assert.throws(() => fw.aes128CcmOpen(key, n13, new Uint8Array(0), new Uint8Array(7), 8), /at least 8 bytes/);
    assert.throws(() => fw.aes128CcmSeal(key, n13, new Uint8Array(0xff00), new Uint8Array(0), 8), RangeError);
    assert.throws(() => fw.aes128CcmSeal(key, n13, new Uint8Array(0), new Uint8Array(40000), 8), RangeError, 'beyond the IO window');
    assert.throws(() => fw.aes128CcmSeal(key, n13, 'x' as unknown as Uint8Array, new Uint8Array(0), 8), TypeError);
    // An empty message and AAD still authenticate.
    const t = fw.aes128CcmSeal(key, n13, new Uint8Array(0), new Uint8Array(0), 8);
    assert.equal(t.length, 8);
    assert.deepEqual(fw.aes128CcmOpen(key, n13, new Uint8Array(0), t, 8), new Uint8Array(0));
  });

  test(`${file}: every scratch byte is wiped, and nothing allocates`, async () => {
    const fw = await load(file);
    const x = fw.exports, io = x.io() >>> 0, cap = x.ioCap() >>> 0;
    const mem = new Uint8Array(x.memory.buffer);
    const outside = () => Buffer.concat([mem.subarray(0, io), mem.subarray(io + cap)]);
    const p0 = x.heapProbe() >>> 0, p1 = x.heapProbe() >>> 0;
    const before = outside();
    for (let i = 0; i < 300; i++) {
      const key = crypto.randomBytes(16), nonce = crypto.randomBytes(13), aad = crypto.randomBytes(i % 40), pt = crypto.randomBytes(i);
      const ct = fw.aes128CcmSeal(key, nonce, aad, pt, 8);
      assert.ok(fw.aes128CcmOpen(key, nonce, aad, ct, 8));
      ct[ct.length - 1]! ^= 1;
      assert.equal(fw.aes128CcmOpen(key, nonce, aad, ct, 8), null);
    }
    // Static memory outside the IO window is exactly as before: round keys, state, MAC, key
    // stream, E(A0), blocks and counters were all cleared.
    assert.ok(before.equals(outside()), 'AES/CCM scratch left nonzero bytes behind');
    assert.ok(mem.subarray(io, io + cap).every((b) => b === 0), 'the host glue clears the IO window');
    const p2 = x.heapProbe() >>> 0;
    assert.equal(p2 - p1, p1 - p0, 'the allocator pointer moved');
  });

  test(`${file}: constant time: identical traces (instructions, control flow, memory addresses, access count) for 60 random keys, nonces, AAD and messages; forged tags too`, async () => {
    // Trace mode of host/bench/wasm-count.ts, as test/constant-time.test.ts: per call the executed
    // instruction count, a hash of the executed basic blocks, a hash of every memory access's
    // (opcode, effective address) and the number of accesses. The public shape (lengths, the IO
    // window's pointers) is fixed; keys, nonces, AAD and plaintexts are random, and so is where a
    // forged message differs (a tag byte or a ciphertext byte).
    const fw = await load(file, true);
    const trace = (f: () => void): Trace => traceOf(fw.instance, f);
    const seal: Trace[] = [], open: Trace[] = [], forgedTag: Trace[] = [], forgedCt: Trace[] = [], block: Trace[] = [];
    const r = raw(fw);
    for (let i = 0; i < 60; i++) {
      const key = crypto.randomBytes(16), nonce = crypto.randomBytes(13), aad = crypto.randomBytes(13), pt = crypto.randomBytes(100);
      let ct!: Uint8Array;
      seal.push(trace(() => { ct = fw.aes128CcmSeal(key, nonce, aad, pt, 8); }));
      open.push(trace(() => { assert.deepEqual(fw.aes128CcmOpen(key, nonce, aad, ct, 8), new Uint8Array(pt)); }));
      // A forged tag: the first, the last or any tag byte, any bit. The comparison must not stop
      // at the first differing byte, nor branch on the result before the output is cleared.
      const badTag = ct.slice();
      badTag[100 + (i % 3 === 0 ? 0 : i % 3 === 1 ? 7 : crypto.randomInt(0, 8))]! ^= 1 << crypto.randomInt(0, 8);
      forgedTag.push(trace(() => { assert.equal(fw.aes128CcmOpen(key, nonce, aad, badTag, 8), null); }));
      // A changed ciphertext byte: decryption yields another plaintext, whose MAC then fails.
      const badCt = ct.slice(); badCt[crypto.randomInt(0, 100)]! ^= 1 << crypto.randomInt(0, 8);
      forgedCt.push(trace(() => { assert.equal(fw.aes128CcmOpen(key, nonce, aad, badCt, 8), null); }));
      block.push(trace(() => { r.block(key, crypto.randomBytes(16)); }));
    }
    // Extreme secrets: all-zero and all-ones keys and plaintexts.
    for (const b of [0x00, 0xff]) {
      const key = new Uint8Array(16).fill(b), nonce = crypto.randomBytes(13), aad = crypto.randomBytes(13), pt = new Uint8Array(100).fill(b);
      let ct!: Uint8Array;
      seal.push(trace(() => { ct = fw.aes128CcmSeal(key, nonce, aad, pt, 8); }));
      open.push(trace(() => { assert.deepEqual(fw.aes128CcmOpen(key, nonce, aad, ct, 8), pt); }));
      block.push(trace(() => { r.block(key, new Uint8Array(16).fill(b)); }));
    }
    assertSameTraces(`${file} seal`, seal);
    assertSameTraces(`${file} open`, open);
    assertSameTraces(`${file} open with a forged tag`, forgedTag);
    assertSameTraces(`${file} open with a changed ciphertext byte`, forgedCt);
    assertSameTraces(`${file} AES-128 block`, block);
    assert.ok(seal[0]!.instructions > 50_000n, 'the trace sees the cipher calls');
    // Where a forgery lies (tag or ciphertext) does not show either.
    assertSameTraces(`${file} open of a forgery, tag vs ciphertext changed`, [...forgedTag, ...forgedCt]);
    // Liveness: one more block (a public length) changes every field of the trace.
    const key = crypto.randomBytes(16), nonce = crypto.randomBytes(13), aad = crypto.randomBytes(13);
    const longer = trace(() => fw.aes128CcmSeal(key, nonce, aad, crypto.randomBytes(120), 8));
    for (const f of TRACE_FIELDS) assert.notEqual(longer[f], seal[0]![f], `${file}: a 120-byte seal should differ from a 100-byte one in ${f}`);
  });

}
