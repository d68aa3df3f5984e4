// Constant-time evidence (issue 6). Each function that touches secrets runs under the trace-mode
// instrumenter (host/bench/wasm-count.ts, { trace: true }), which records per call
//   - the executed-instruction count,
//   - a hash of the sequence of executed basic blocks (control-flow trace),
//   - a hash of the sequence of memory accesses, each as (opcode, effective address) — for
//     memory.copy/fill the destination, source and length — and the number of accesses.
// For a fixed public shape (lengths, pointers, C_B), all four must be identical across many
// random secrets; and each must change when the public shape changes, so the test can fail.
// Traces are compared within one build and one run, never against recorded values.
import test from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { buildPath, loadFirmware, type LoadedFirmware } from '../host/index.js';
import { Handset } from '../host/handset.js';
import { createDeployment } from '../host/sim/deployment.js';
import { instrumentWasm, traceOf, type Trace } from '../host/bench/wasm-count.js';
import { Err, HandshakeError } from '../host/protocol/constants.js';
import { EPOCH } from './support/sim.js';

/** Random secrets per primitive and build. */
const N = 24;
/** Full handshakes (distinct handset keys, random_A, random_B) for the handset firmware. */
const HANDSHAKES = 20;
const BUILDS = ['crypto.wasm', 'crypto.small.wasm'] as const;

const FIELDS = ['instructions', 'controlFlow', 'memory', 'memoryAccesses'] as const;
type Field = typeof FIELDS[number];

const rnd = (n: number): Uint8Array => new Uint8Array(crypto.randomBytes(n));
const show = (t: Trace): string =>
  `${t.instructions} instructions, ${t.memoryAccesses} memory accesses, control flow ${t.controlFlow.toString(16)}, memory ${t.memory.toString(16)}`;

/** Asserts that every trace equals the first, naming the first run and fields that differ. */
function assertSame(what: string, traces: Trace[], min = 20): void {
  assert.ok(traces.length >= min, `${what}: only ${traces.length} runs`);
  for (let i = 1; i < traces.length; i++) {
    const diff = FIELDS.filter((f) => traces[i]![f] !== traces[0]![f]);
    assert.equal(diff.length, 0, `${what}: secret-dependent ${diff.join(', ')} (run ${i} vs run 0)\n  run 0: ${show(traces[0]!)}\n  run ${i}: ${show(traces[i]!)}`);
  }
}

/** Asserts that a and b differ in each of `fields` (and agree in the others, if `agree` is given). */
function assertDiffer(what: string, a: Trace, b: Trace, fields: readonly Field[], agree: readonly Field[] = []): void {
  for (const f of fields) assert.notEqual(a[f], b[f], `${what}: ${f} should differ\n  a: ${show(a)}\n  b: ${show(b)}`);
  for (const f of agree) assert.equal(a[f], b[f], `${what}: ${f} should agree\n  a: ${show(a)}\n  b: ${show(b)}`);
}

async function traced(file: string): Promise<{ fw: LoadedFirmware; trace: (f: () => void) => Trace; mem: Uint8Array; io: number }> {
  const fw = await loadFirmware({ wasm: instrumentWasm(readFileSync(buildPath(file)), { trace: true }) });
  return { fw, trace: (f) => traceOf(fw.instance, f), mem: new Uint8Array(fw.exports.memory.buffer), io: fw.exports.io() >>> 0 };
}

// ---------------------------------------------------------------------------
// The instrumentation is live: toy functions with a secret-dependent address or branch
// ---------------------------------------------------------------------------

test('the traces see what counts cannot: a secret-indexed load and a secret branch with equal-length arms', async () => {
  // (func $lookup (param i32) (result i32) (i32.load8_u (i32.and (local.get 0) (i32.const 15))))
  // (func $branch (param i32) (result i32) (if (result i32) (i32.and (local.get 0) (i32.const 1))
  //     (then (i32.add (i32.const 1) (i32.const 2))) (else (i32.add (i32.const 3) (i32.const 4)))))
  // (func $select (param i32) (result i32) (select (i32.const 1) (i32.const 3) (i32.and (local.get 0) (i32.const 1))))
  const body = (code: number[]) => [code.length + 2, 0x00, ...code, 0x0b]; // size, no locals, code, end
  const fns = [
    [0x20, 0, 0x41, 15, 0x71, 0x2d, 0, 0],
    [0x20, 0, 0x41, 1, 0x71, 0x04, 0x7f, 0x41, 1, 0x41, 2, 0x6a, 0x05, 0x41, 3, 0x41, 4, 0x6a, 0x0b],
    [0x41, 1, 0x41, 3, 0x20, 0, 0x41, 1, 0x71, 0x1b],
  ].map(body);
  const exp = (name: string, i: number) => [name.length, ...new TextEncoder().encode(name), 0x00, i];
  const sec = (id: number, payload: number[]) => [id, payload.length, ...payload];
  const module = new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...sec(1, [1, 0x60, 1, 0x7f, 1, 0x7f]),
    ...sec(3, [3, 0, 0, 0]),
    ...sec(5, [1, 0x00, 1]),
    ...sec(7, [3, ...exp('lookup', 0), ...exp('branch', 1), ...exp('select', 2)]),
    ...sec(10, [3, ...fns.flat()]),
  ]);
  const { instance } = await WebAssembly.instantiate(instrumentWasm(module, { trace: true }));
  const call = (name: string, s: number) => traceOf(instance, () => (instance.exports[name] as (s: number) => number)(s));
  // Secret-indexed table lookup: same instructions, blocks and access count; different addresses.
  assertDiffer('lookup', call('lookup', 3), call('lookup', 4), ['memory'], ['instructions', 'controlFlow', 'memoryAccesses']);
  // Secret branch with arms of equal length: same count, different control flow.
  assertDiffer('branch', call('branch', 3), call('branch', 4), ['controlFlow'], ['instructions', 'memory', 'memoryAccesses']);
  // Branch-free select: identical traces.
  assertSame('select', Array.from({ length: 20 }, (_, s) => call('select', s)));
});

// ---------------------------------------------------------------------------
// The crypto core, in both builds (crypto.small.wasm has the handset's code paths)
// ---------------------------------------------------------------------------

for (const build of BUILDS) {
  test(`${build}: x25519 — identical traces for ${N + 2} scalars (incl. 0 and all-ones) and random u; pointers show in the memory trace`, async () => {
    const { fw, trace, mem, io } = await traced(build);
    const u = rnd(32);
    const scalars = [new Uint8Array(32), new Uint8Array(32).fill(0xff), ...Array.from({ length: N }, () => rnd(32))];
    const runs = scalars.map((k) => trace(() => fw.x25519(k, u)));
    // The peer's u is public, but the ladder does not look at its value either.
    for (let i = 0; i < 4; i++) runs.push(trace(() => fw.x25519(rnd(32), rnd(32).fill(9, 0, 1))));
    assertSame(`${build} x25519`, runs);
    assert.ok(runs[0]!.instructions > 1_000_000n, 'the trace must see the whole ladder');
    // Liveness: the same computation on buffers one byte further on changes only the addresses.
    const x = fw.exports;
    const rawAt = (base: number) => {
      mem.set(rnd(32), base + 32); mem.set(u, base + 64);
      const t = trace(() => x.x25519(base, base + 32, base + 64));
      mem.fill(0, base, base + 96);
      return t;
    };
    const at0 = rawAt(io), at1 = rawAt(io + 1);
    assertDiffer(`${build} x25519 at io vs io + 1`, at0, at1, ['memory'], ['instructions', 'controlFlow', 'memoryAccesses']);
    assertDiffer(`${build} x25519 raw at io vs host API`, at0, runs[0]!, [], FIELDS);
  });

  test(`${build}: ChaCha20-Poly1305 seal/open at a fixed length — identical traces for ${N} keys, nonces, texts; forged tags too`, async () => {
    const { fw, trace } = await traced(build);
    const seal: Trace[] = [], open: Trace[] = [], reject: Trace[] = [];
    for (let i = 0; i < N; i++) {
      const key = rnd(32), nonce = rnd(12), aad = rnd(20), pt = rnd(256);
      let ct!: Uint8Array;
      seal.push(trace(() => { ct = fw.chacha20poly1305Seal(key, nonce, aad, pt); }));
      open.push(trace(() => { assert.deepEqual(fw.chacha20poly1305Open(key, nonce, aad, ct), pt); }));
      // A wrong tag: the comparison must not stop at the first differing byte.
      const bad = ct.slice();
      bad[256 + (i % 3 === 0 ? 0 : i % 3 === 1 ? 15 : i % 16)]! ^= 1 << (i % 8);
      reject.push(trace(() => { assert.equal(fw.chacha20poly1305Open(key, nonce, aad, bad), null); }));
    }
    assertSame(`${build} seal`, seal);
    assertSame(`${build} open`, open);
    assertSame(`${build} open with a wrong tag`, reject);
    const key = rnd(32), nonce = rnd(12), aad = rnd(20);
    assertDiffer(`${build} seal 256 vs 257 bytes`, trace(() => fw.chacha20poly1305Seal(key, nonce, aad, rnd(256))),
      trace(() => fw.chacha20poly1305Seal(key, nonce, aad, rnd(257))), FIELDS);
  });

  test(`${build}: HMAC-SHA256 and SHA-256 — identical traces for ${N} secret keys and messages`, async () => {
    const { fw, trace } = await traced(build);
    const hmac: Trace[] = [], sha: Trace[] = [];
    // Extreme secrets (all zero, all ones) and random ones.
    const secrets = [new Uint8Array(100), new Uint8Array(100).fill(0xff), ...Array.from({ length: N }, () => rnd(100))];
    for (const s of secrets) {
      hmac.push(trace(() => fw.hmacSha256(s.subarray(0, 32), s.subarray(36, 100))));
      sha.push(trace(() => fw.sha256(s)));
    }
    assertSame(`${build} HMAC-SHA256`, hmac);
    assertSame(`${build} SHA-256 (100 secret bytes)`, sha);
    const key = rnd(32);
    assertDiffer(`${build} HMAC message 64 vs 120 bytes`, trace(() => fw.hmacSha256(key, rnd(64))), trace(() => fw.hmacSha256(key, rnd(120))), FIELDS);
    assertDiffer(`${build} SHA-256 of 55 vs 56 bytes (1 vs 2 blocks)`, trace(() => fw.sha256(rnd(55))), trace(() => fw.sha256(rnd(56))), FIELDS);
    // Within a block the message is buffered by memory.copy: only its length operand changes.
    assertDiffer(`${build} SHA-256 of 100 vs 101 bytes`, trace(() => fw.sha256(rnd(100))), trace(() => fw.sha256(rnd(101))), ['memory']);
  });

  test(`${build}: HKDF-SHA256 extract and expand — identical traces for ${N} secret inputs`, async () => {
    const { fw, trace, mem, io } = await traced(build);
    const x = fw.exports;
    const extract: Trace[] = [], expand: Trace[] = [], both: Trace[] = [];
    for (let i = 0; i < N; i++) {
      // As in the handshake: salt = random_A || random_B, IKM = Z; info = label || TH, L = 32.
      mem.set(rnd(32), io + 64); mem.set(rnd(32), io + 96);
      extract.push(trace(() => x.hkdfExtract(io, io + 64, 32, io + 96, 32)));
      mem.set(rnd(47), io + 128);
      expand.push(trace(() => assert.equal(x.hkdfExpand(io + 192, 32, io, io + 128, 47), 0)));
      mem.fill(0, io, io + 256);
      both.push(trace(() => fw.hkdfSha256(rnd(32), rnd(32), rnd(40), 96)));
    }
    assertSame(`${build} HKDF-Extract`, extract);
    assertSame(`${build} HKDF-Expand`, expand);
    assertSame(`${build} HKDF (host API, L = 96)`, both);
    const ikm = rnd(32), salt = rnd(32), info = rnd(40);
    assertDiffer(`${build} HKDF L = 32 vs 33`, trace(() => fw.hkdfSha256(ikm, salt, info, 32)), trace(() => fw.hkdfSha256(ikm, salt, info, 33)), FIELDS);
  });
}

// ---------------------------------------------------------------------------
// The handset firmware: provisioning (pk_A = X25519(sk_A, 9)), message 1, the whole of finish()
// (C_B checks, DH, key schedule, MAC_B check, MAC_A, first record), and records
// ---------------------------------------------------------------------------

test(`handset.wasm: provision, start, finish (message 2 -> 3), open and seal — identical traces over ${HANDSHAKES} handshakes with distinct sk_A, random_A, random_B`, async (t) => {
  const dep = createDeployment({ now: EPOCH, handsets: HANDSHAKES + 1 });
  try {
    const handset = await Handset.load({ wasm: instrumentWasm(readFileSync(buildPath('handset.wasm')), { trace: true }) });
    const server = dep.makeServer(() => EPOCH * 1000, { onApplicationData: (d) => d });
    const trace = (f: () => void) => traceOf(handset.instance, f);
    const runs: Record<'provision' | 'start' | 'finish' | 'open' | 'seal', Trace[]> = { provision: [], start: [], finish: [], open: [], seal: [] };

    /** One genuine handshake of handset i carrying `app` in message 3; returns the traces. */
    const handshake = (i: number, app: Uint8Array) => {
      const h = dep.handsets[i]!;
      const sent: Uint8Array[] = [];
      const session = server.connect((m) => sent.push(m));
      handset.reset();
      const provision = trace(() => handset.provision(h.privateKey, dep.ca.publicKey, dep.serverName));
      let m1!: Uint8Array, m3!: Uint8Array, echo!: Uint8Array;
      const start = trace(() => { m1 = handset.start(EPOCH); });
      session.receive(m1);
      assert.equal(sent[0]?.[0], 0x02, `handset ${i}: B answered with message 2`);
      const finish = trace(() => { m3 = handset.finish(sent[0]!, EPOCH, app); });
      session.receive(m3);
      assert.ok(session.established, `handset ${i}: B accepted MAC_A and the first record`);
      const open = trace(() => { echo = handset.open(sent[1]!); });
      assert.deepEqual(echo, app, `handset ${i}: B's echo opened`);
      const seal = trace(() => handset.seal(rnd(40)));
      return { provision, start, finish, open, seal };
    };

    for (let i = 0; i < HANDSHAKES; i++) {
      const r = handshake(i, rnd(32));
      for (const k of Object.keys(runs) as (keyof typeof runs)[]) runs[k].push(r[k]);
    }
    for (const [k, traces] of Object.entries(runs)) assertSame(`handset ${k}`, traces);
    t.diagnostic(`finish(): ${show(runs.finish[0]!)}`);
    // A forged MAC_B (one bit flipped at byte 0, 5, 10 or 15): the check must not stop at the
    // first differing byte, so every rejection leaves the same trace.
    const forged: Trace[] = [];
    for (let i = 0; i < 20; i++) {
      const h = dep.handsets[i % HANDSHAKES]!;
      const sent: Uint8Array[] = [];
      handset.reset();
      handset.provision(h.privateKey, dep.ca.publicKey, dep.serverName);
      server.connect((m) => sent.push(m)).receive(handset.start(EPOCH));
      const m2 = sent[0]!.slice();
      m2[m2.length - 16 + [0, 5, 10, 15][i % 4]!]! ^= 1 << (i % 8);
      forged.push(trace(() => assert.throws(() => handset.finish(m2, EPOCH, rnd(32)), (e) => e instanceof HandshakeError && e.code === Err.MAC_B)));
    }
    assertSame('handset finish with a forged MAC_B', forged);
    // Liveness: one more application byte in message 3 (public) changes every trace of finish().
    const longer = handshake(HANDSHAKES, rnd(33));
    assertDiffer('handset finish with 32 vs 33 application bytes', runs.finish[0]!, longer.finish, FIELDS);
    assertDiffer('handset open of a 32- vs 33-byte record', runs.open[0]!, longer.open, FIELDS);
  } finally {
    dep.close();
  }
});
