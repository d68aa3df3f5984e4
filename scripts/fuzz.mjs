// npm run fuzz -- [--seconds N] [--target NAME[,NAME]] [--fresh] [--json] [--verbose] [--write-seeds]
//                  [--regressions DIR] [--replay-only]
//
// libFuzzer with ASan and UBSan on the release firmware: translates build/handset.wasm (and, for
// the msg2e target, the forward-secret build/handset-fs.wasm; for msg2p and recordp, the dual
// build/handset-dual.wasm with suite 2) with wabt's wasm2c (as npm run test:native does), each
// under the module name 'handset' in its own directory, compiles them with clang together with
// fuzz/harness.c into one fuzz binary per target (build/fuzz/fuzz-<target>), then for each target
//   1. replays every reproducer under fuzz/regressions/<target>/ (each past crash is a regression
//      test; --regressions DIR replays DIR/<target>/ instead, as test/fuzz.test.ts's self-test does);
//   2. fuzzes for N seconds (default 30) on the working corpus build/fuzz/corpus-<target>, seeded
//      from fuzz/corpus/<target>/, and reports executions, exec/s and coverage (libFuzzer's cov and
//      ft counters from the final stats). --replay-only stops after step 1.
// Exits non-zero on a crash (an invariant violation aborts too: see fuzz/harness.c), leaving the
// reproducer in build/fuzz/crashes/<target>/. --fresh empties the working corpora first (a run
// from the seeds alone, as for the figures in docs/FUZZING.md). --write-seeds regenerates fuzz/corpus/ from the
// trace vectors (test/vectors/trace-suite1.json, trace-suite2.json, trace-suite3.json). docs/FUZZING.md has the details.
// Needs clang, lld and libFuzzer's runtime (Debian: clang lld libclang-rt-14-dev) and wasm2c (wabt).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const TARGETS = {
  msg2: { define: 'FUZZ_TARGET_MSG2', what: 'message 2 into finish()', dict: 'fuzz/x509.dict' },
  x509: { define: 'FUZZ_TARGET_X509', what: 'C_B inside a well-formed message 2: x509Parse via finish()', dict: 'fuzz/x509.dict' },
  record: { define: 'FUZZ_TARGET_RECORD', what: 'a record from B into open(), ESTABLISHED after the trace' },
  msg2e: { define: 'FUZZ_TARGET_MSG2E', what: 'suite 3\'s message 2 into finish() of the forward-secret build', dict: 'fuzz/x509.dict', build: 'fs' },
  msg2p: { define: 'FUZZ_TARGET_MSG2P', what: 'suite 2\'s message 2 into finish() of the dual build', dict: 'fuzz/p256.dict', build: 'dual' },
  recordp: { define: 'FUZZ_TARGET_RECORDP', what: 'a suite-2 (AES-128-CCM_8) record from B into open() of the dual build, ESTABLISHED after the suite-2 trace', build: 'dual' },
};
// The firmware builds: each translated by wasm2c under the module name 'handset' into its own
// directory (build/fuzz/<dir>), so the harness compiles against any of them.
const BUILDS = {
  suite1: { wasm: 'build/handset.wasm', dir: '.' },
  fs: { wasm: 'build/handset-fs.wasm', dir: 'fs' },
  dual: { wasm: 'build/handset-dual.wasm', dir: 'dual' },
};
const buildOf = (target) => TARGETS[target].build ?? 'suite1';

// ---- arguments ----
const argv = process.argv.slice(2);
const opts = { seconds: 30, targets: Object.keys(TARGETS), json: false, verbose: false, writeSeeds: false, fresh: false, regressions: 'fuzz/regressions', replayOnly: false };
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const val = () => { const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i]; if (v === undefined) usage(`${a} needs a value`); return v; };
  if (a.startsWith('--seconds')) { opts.seconds = Number(val()); if (!(opts.seconds > 0)) usage('--seconds must be a positive number'); }
  else if (a.startsWith('--target')) { opts.targets = val().split(',').filter(Boolean); for (const t of opts.targets) if (!TARGETS[t]) usage(`unknown target ${t}`); }
  else if (a === '--json') opts.json = true;
  else if (a === '--verbose') opts.verbose = true;
  else if (a === '--fresh') opts.fresh = true;
  else if (a === '--write-seeds') opts.writeSeeds = true;
  else if (a === '--replay-only') opts.replayOnly = true;
  else if (a.startsWith('--regressions')) opts.regressions = val();
  else usage(`unknown argument ${a}`);
}
function usage(msg) {
  console.error(`fuzz: ${msg}\nusage: node scripts/fuzz.mjs [--seconds N] [--target ${Object.keys(TARGETS).join('|')}[,...]] [--fresh] [--json] [--verbose] [--write-seeds] [--regressions DIR] [--replay-only]`);
  process.exit(2);
}
const log = (s) => (opts.json ? process.stderr : process.stdout).write(s + '\n');

// ---- vectors from the trace ----
const t = JSON.parse(readFileSync('test/vectors/trace-suite1.json', 'utf8'));
const hex = (h) => Buffer.from(h, 'hex');
const m2 = hex(t.messages.m2);
const certLen = m2.readUInt16BE(18);
const certB = m2.subarray(20, 20 + certLen);
if (!certB.equals(hex(t.certificates.server)) || m2.length !== 20 + certLen + 16) throw new Error('trace: message 2 does not frame C_B as expected');
const macB = m2.subarray(m2.length - 16);
if (!macB.equals(hex(t.derived.macB))) throw new Error('trace: MAC_B differs');

/** A record from B (0x17 || length || ciphertext || tag), sealed with the trace's k_BA and iv_BA. */
function sealFromB(seq, plaintext) {
  const nonce = Buffer.from(hex(t.derived.ivBA));
  const s = Buffer.alloc(8);
  s.writeBigUInt64BE(BigInt(seq));
  for (let i = 0; i < 8; i++) nonce[4 + i] ^= s[i];
  const len = plaintext.length + 16;
  const hdr = Buffer.from([0x17, len >> 8, len & 0xff]);
  const c = crypto.createCipheriv('chacha20-poly1305', hex(t.derived.kBA), nonce, { authTagLength: 16 });
  c.setAAD(hdr, { plaintextLength: plaintext.length });
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([hdr, ct, c.getAuthTag()]);
}
/** The genuine records: the record target's seeds, and the only inputs open() may accept. */
const genuineRecords = {
  'genuine-seq0-hello': sealFromB(0, Buffer.from('hello from B')),
  'genuine-seq0-empty': sealFromB(0, Buffer.alloc(0)),
  'genuine-seq0-512': sealFromB(0, Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7) & 0xff))),
};
// Suite 3 (the msg2e target, build/handset-fs.wasm): its trace with C_B sent; message 3 for an
// empty application record (the harness's finish(len, now, 0)), sealed with the trace's k_AB.
const t3 = JSON.parse(readFileSync('test/vectors/trace-suite3.json', 'utf8'));
function sealFromA3(plaintext) {
  const len = plaintext.length + 16;
  const hdr = Buffer.from([0x17, len >> 8, len & 0xff]);
  const c = crypto.createCipheriv('chacha20-poly1305', hex(t3.full.derived.kAB), hex(t3.full.derived.ivAB), { authTagLength: 16 });
  c.setAAD(hdr, { plaintextLength: plaintext.length });
  return Buffer.concat([hdr, c.update(plaintext), c.final(), c.getAuthTag()]);
}
// Suite 2 (the msg2p and recordp targets, build/handset-dual.wasm offering suites 2 then 1): its
// trace; AES-128-CCM_8 records (docs/PROTOCOL.md "Records": 8-byte tags, 13-byte nonce = iv XOR
// the 64-bit sequence number in its last 8 bytes, AAD = type || rec_len).
const t2 = JSON.parse(readFileSync('test/vectors/trace-suite2.json', 'utf8'));
function sealCcm8(key, iv, seq, plaintext, type = 0x17) {
  const nonce = Buffer.from(hex(iv));
  const s = Buffer.alloc(8);
  s.writeBigUInt64BE(BigInt(seq));
  for (let i = 0; i < 8; i++) nonce[nonce.length - 8 + i] ^= s[i];
  const len = plaintext.length + 8;
  const hdr = Buffer.from([type, len >> 8, len & 0xff]);
  const c = crypto.createCipheriv('aes-128-ccm', hex(key), nonce, { authTagLength: 8 });
  c.setAAD(hdr, { plaintextLength: plaintext.length });
  return Buffer.concat([hdr, c.update(plaintext), c.final(), c.getAuthTag()]);
}
/** Suite 2's message 3 (0x03 || MAC_A || rec_len || record 0 of A) for the application data `app`. */
const m3Suite2 = (app) => { const r = sealCcm8(t2.derived.kAB, t2.derived.ivAB, 0, app); return Buffer.concat([Buffer.from([0x03]), hex(t2.derived.macA), r.subarray(1)]); };
if (!m3Suite2(hex(t2.inputs.appData)).equals(hex(t2.messages.m3))) throw new Error('trace 2: the AES-128-CCM_8 seal does not reproduce message 3');
const m2p = hex(t2.messages.m2);
if (m2p[1] !== 2 || m2p.readUInt16BE(18) + 20 + 16 !== m2p.length || !m2p.subarray(20, m2p.length - 16).equals(hex(t2.certificates.server)))
  throw new Error('trace 2: message 2 does not frame C_B as expected');
/** The genuine suite-2 records of B (sequence number 0): recordp's seeds and the only inputs its open() may accept. */
const genuineRecords2 = {
  'genuine-seq0-hello': sealCcm8(t2.derived.kBA, t2.derived.ivBA, 0, Buffer.from('hello from B')),
  'genuine-seq0-empty': sealCcm8(t2.derived.kBA, t2.derived.ivBA, 0, Buffer.alloc(0)),
  'genuine-seq0-512': sealCcm8(t2.derived.kBA, t2.derived.ivBA, 0, Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7) & 0xff))),
};
/** The dual handset's offer for provisionSuites(): suite ids from the low byte (suite 2, then 1). */
const offer2 = [...hex(t2.inputs.offer)].reduce((acc, id, i) => acc + id * 2 ** (8 * i), 0);
const seeds = {
  msg2p: { 'genuine-m2': m2p, 'alert-handshake-failed': Buffer.from([0x15, 0x1c]), 'suite1-trace-m2': m2 },
  recordp: { ...genuineRecords2, 'alert-record': Buffer.from([0x15, 0x14]), 'seq1-hello': sealCcm8(t2.derived.kBA, t2.derived.ivBA, 1, Buffer.from('hello from B')) },
  msg2e: { 'genuine-m2-cert': hex(t3.full.messages.m2), 'm2-by-reference': hex(t3.byReference.messages.m2), 'alert-busy': Buffer.from([0x15, 0x16]) },
  msg2: { 'genuine-m2': m2, 'alert-handshake-failed': Buffer.from([0x15, 0x1c]) },
  x509: { 'server-cert-C_B': certB, 'handset-cert': hex(t.certificates.handset), 'ca-cert': hex(t.certificates.ca) },
  record: { ...genuineRecords, 'alert-record': Buffer.from([0x15, 0x14]) },
};

if (opts.writeSeeds) {
  // Certificates that the trace's CA signs, so that finish() gets past the signature check to
  // each later refusal (validity, name, key usage, key type, small-order key, MAC_B). Ed25519
  // signatures are deterministic: the files come out the same on every run. Needs dist/ (npm run build).
  const { createCa, issue, tbsCertificate, signCertificate, spkiDer, ed25519PrivateKey, KeyUsage } = await import('../dist/host/pki/cert.js');
  const now = t.time, day = 86400;
  const ca = createCa({ name: t.inputs.caName, now, seed: hex(t.inputs.caSeed), serial: Buffer.from([1]), days: 3650 });
  if (!Buffer.from(ca.publicKey).equals(hex(t.certificates.caPublicKey))) throw new Error('the CA key differs from the trace');
  const serverKey = hex(t.inputs.serverPrivateKey);
  const cert = (o) => Buffer.from(issue(ca, { name: t.inputs.serverName, notBefore: now - day, notAfter: now + 365 * day, privateKey: serverKey, serial: Buffer.from([0x20, 0x02]), ...o }).cert);
  const signed = (spec) => Buffer.from(signCertificate(tbsCertificate({ serial: Buffer.from([0x20, 0x03]), issuer: t.inputs.caName, subject: t.inputs.serverName,
    notBefore: now - day, notAfter: now + 365 * day, keyUsage: [KeyUsage.keyAgreement], ...spec }), ca.key));
  const x25519Spki = (raw) => Buffer.concat([hex('302a300506032b656e032100'), raw]);
  const signedCerts = {
    'signed-expired': cert({ notBefore: now - 2 * day, notAfter: now - day }),
    'signed-not-yet-valid': cert({ notBefore: now + day, notAfter: now + 2 * day }),
    'signed-no-key-agreement': cert({ keyUsage: [KeyUsage.digitalSignature] }),
    'signed-ca-flag': signed({ spki: x25519Spki(hex(t.derived.serverPublicKey)), keyUsage: [KeyUsage.keyAgreement, KeyUsage.keyCertSign], ca: true }),
    'signed-ed25519-key': signed({ spki: spkiDer(crypto.createPublicKey(ed25519PrivateKey(serverKey))) }),
    'signed-small-order-key': signed({ spki: x25519Spki(Buffer.alloc(32)) }),
    'signed-other-key': cert({ privateKey: hex(t.inputs.handsetPrivateKey) }),
  };
  const frame = (c) => { const h = Buffer.from(m2.subarray(0, 20)); h.writeUInt16BE(c.length, 18); return Buffer.concat([h, c, macB]); };
  Object.assign(seeds.x509, signedCerts);
  for (const [name, c] of Object.entries(signedCerts)) seeds.msg2[`m2-${name}`] = frame(c);
  // Suite 2: P-256 certificates that the suite-2 trace's CA signs (deterministic ECDSA, RFC 6979,
  // as host/trace/suite2.ts does), framed as messages 2 with the trace's MAC_B.
  const { p256 } = await import('@noble/curves/nist.js');
  const { wrapCertificate, p256Spki, p256RawPublic, p256PrivateKey } = await import('../dist/host/pki/cert.js');
  const caKey2 = hex(t2.inputs.caPrivateKey);
  const signed2 = (spec) => {
    const tbs = tbsCertificate({ serial: Buffer.from([0x20, 0x03]), issuer: t2.inputs.caName, subject: t2.inputs.serverName,
      notBefore: now - day, notAfter: now + 365 * day, spki: p256Spki(hex(t2.derived.serverPublicKey)), keyUsage: [KeyUsage.keyAgreement], sigAlg: 'ecdsa-sha256', ...spec });
    return Buffer.from(wrapCertificate(tbs, 'ecdsa-sha256', p256.sign(tbs, caKey2, { format: 'der' })));
  };
  const p256Certs = {
    'signed-expired': signed2({ notBefore: now - 2 * day, notAfter: now - day }),
    'signed-not-yet-valid': signed2({ notBefore: now + day, notAfter: now + 2 * day }),
    'signed-no-key-agreement': signed2({ keyUsage: [KeyUsage.digitalSignature] }),
    'signed-ca-flag': signed2({ keyUsage: [KeyUsage.keyAgreement, KeyUsage.keyCertSign], ca: true }),
    'signed-x25519-key': signed2({ spki: x25519Spki(hex(t.derived.serverPublicKey)) }),
    'signed-wrong-name': signed2({ subject: 'c.airshake' }),
    'signed-other-key': signed2({ spki: p256Spki(p256RawPublic(p256PrivateKey(hex(t2.inputs.handsetPrivateKey)))) }),
  };
  const frame2 = (c) => { const h = Buffer.from(m2p.subarray(0, 20)); h.writeUInt16BE(c.length, 18); return Buffer.concat([h, c, m2p.subarray(m2p.length - 16)]); };
  for (const [name, c] of Object.entries(p256Certs)) seeds.msg2p[`m2-${name}`] = frame2(c);
  for (const [target, files] of Object.entries(seeds)) {
    const dir = `fuzz/corpus/${target}`;
    mkdirSync(dir, { recursive: true });
    for (const [name, bytes] of Object.entries(files)) writeFileSync(path.join(dir, name), bytes);
    log(`fuzz: wrote ${Object.keys(files).length} seeds to ${dir}`);
  }
  process.exit(0);
}

// The documented error codes (assembly/errors.ts): the only codes an entry point may return.
const errors = [...readFileSync('assembly/errors.ts', 'utf8').matchAll(/export const (ERR_\w+): i32 = (0x[0-9a-fA-F]+|\d+);/g)]
  .map((m) => [m[1], Number(m[2])]);
for (const name of ['ERR_STATE', 'ERR_DECODE', 'ERR_TRAILING', 'ERR_UNEXPECTED', 'ERR_SUITE_NOT_OFFERED', 'ERR_PEER_ALERT', 'ERR_RECORD'])
  if (!errors.some(([n]) => n === name)) throw new Error(`assembly/errors.ts: ${name} not found`);

const carr = (name, bytes) => `static const uint8_t ${name}[] = {${[...bytes].join(',')}};\n`;
const vectorsH =
  '/* GENERATED by scripts/fuzz.mjs from test/vectors/trace-suite1.json, trace-suite2.json, trace-suite3.json and assembly/errors.ts */\n' +
  '#include <stddef.h>\n#include <stdint.h>\n' +
  `#define TRACE_TIME ${t.time}u\n#define TRACE_SUITE ${m2[1]}\n` +
  carr('TRACE_HANDSET_KEY', hex(t.inputs.handsetPrivateKey)) + carr('TRACE_CA_PUBLIC_KEY', hex(t.certificates.caPublicKey)) +
  `static const char TRACE_SERVER_NAME[] = ${JSON.stringify(t.inputs.serverName)};\n` +
  carr('TRACE_RANDOM_A', hex(t.inputs.randomA)) + carr('TRACE_RANDOM_B', hex(t.inputs.randomB)) +
  carr('TRACE_M1', hex(t.messages.m1)) + carr('TRACE_M2', m2) + carr('TRACE_CERT_B', certB) +
  carr('TRACE_MAC_B', macB) + carr('TRACE_MAC_A', hex(t.derived.macA)) +
  carr('TRACE3_EPHEMERAL_A', hex(t3.inputs.ephemeralA)) + carr('TRACE3_M1', hex(t3.full.messages.m1)) + carr('TRACE3_M2', hex(t3.full.messages.m2)) +
  carr('TRACE3_M3_EMPTY', sealFromA3(Buffer.alloc(0))) +
  `#define TRACE2_TIME ${t2.time}u\n#define TRACE2_OFFER 0x${offer2.toString(16)}u\n` +
  carr('TRACE2_HANDSET_KEY', hex(t2.inputs.handsetPrivateKey)) + carr('TRACE2_CA_PUBLIC_KEY', hex(t2.certificates.caPublicKey)) +
  `static const char TRACE2_SERVER_NAME[] = ${JSON.stringify(t2.inputs.serverName)};\n` +
  carr('TRACE2_RANDOM_A', hex(t2.inputs.randomA)) + carr('TRACE2_M1', hex(t2.messages.m1)) + carr('TRACE2_M2', m2p) +
  carr('TRACE2_M3_EMPTY', m3Suite2(Buffer.alloc(0))) +
  errors.map(([n, v]) => `#define ${n} 0x${v.toString(16)}\n`).join('') +
  `static const int32_t KNOWN_ERRORS[] = {${errors.map(([n]) => n).join(',')}};\n` +
  Object.values(genuineRecords).map((r, i) => carr(`GENUINE_RECORD_${i}`, r)).join('') +
  `#define GENUINE_RECORD_COUNT ${Object.keys(genuineRecords).length}\n` +
  `static const uint8_t *const GENUINE_RECORDS[] = {${Object.keys(genuineRecords).map((_, i) => `GENUINE_RECORD_${i}`).join(',')}};\n` +
  `static const size_t GENUINE_RECORD_LEN[] = {${Object.values(genuineRecords).map((r) => r.length).join(',')}};\n` +
  Object.values(genuineRecords2).map((r, i) => carr(`GENUINE2_RECORD_${i}`, r)).join('') +
  `#define GENUINE2_RECORD_COUNT ${Object.keys(genuineRecords2).length}\n` +
  `static const uint8_t *const GENUINE2_RECORDS[] = {${Object.keys(genuineRecords2).map((_, i) => `GENUINE2_RECORD_${i}`).join(',')}};\n` +
  `static const size_t GENUINE2_RECORD_LEN[] = {${Object.values(genuineRecords2).map((r) => r.length).join(',')}};\n`;

// ---- build ----
const out = 'build/fuzz';
mkdirSync(`${out}/obj`, { recursive: true });
const have = (cmd) => !spawnSync(cmd, ['--version'], { stdio: 'ignore' }).error;
if (!have('clang')) fatal('clang not found: apt-get install clang lld libclang-rt-14-dev');
if (!have('wasm2c')) fatal('wasm2c not found: apt-get install wabt');
const rtDir = ['/usr/share/wabt/wasm2c', '/usr/src/wasm2c'].find((d) => existsSync(`${d}/wasm-rt-impl.c`));
if (!rtDir) fatal('wasm2c runtime not found: apt-get install wabt');
function fatal(msg) { console.error(`fuzz: ${msg}`); process.exit(2); }

// Explicit bounds checks instead of wasm2c's guard pages and SIGSEGV handler, which would fight
// ASan's; a wasm trap is caught in the harness and aborts.
const cflags = ['-O1', '-g', '-std=gnu11', '-fsanitize=fuzzer,address,undefined', '-fno-sanitize-recover=undefined',
  '-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0', '-I', out, '-I', rtDir];
const ldflags = have('ld.lld') ? ['-fuse-ld=lld'] : [];
const clangVersion = execFileSync('clang', ['--version'], { encoding: 'utf8' }).split('\n')[0];
const wasms = Object.fromEntries(Object.entries(BUILDS).map(([b, { wasm }]) => [b, readFileSync(wasm)]));
const stampHash = crypto.createHash('sha256');
for (const b of Object.keys(BUILDS)) stampHash.update(wasms[b]);
const stamp = stampHash.update(readFileSync('fuzz/harness.c')).update(vectorsH).update(readFileSync(`${rtDir}/wasm-rt-impl.c`))
  .update(JSON.stringify([cflags, ldflags, clangVersion])).digest('hex');
const stampFile = `${out}/build.stamp`;
const bin = (target) => `${out}/fuzz-${target}`;
const all = Object.keys(TARGETS);
const upToDate = existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp && all.every((tg) => existsSync(bin(tg)));

// Run commands in parallel (the machine's cores), failing on the first error.
async function parallel(cmds) {
  const run = ([cmd, args]) => new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => { err += d; });
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')}\n${err}`))));
  });
  await Promise.all(cmds.map(run));
}

if (!upToDate) {
  const t0 = Date.now();
  rmSync(stampFile, { force: true });
  // every build under the same module name, each in its own directory: the harness's calls compile against any
  for (const [b, { wasm, dir }] of Object.entries(BUILDS)) {
    mkdirSync(`${out}/${dir}`, { recursive: true });
    execFileSync('wasm2c', [wasm, '-n', 'handset', '-o', `${out}/${dir}/handset.c`], { stdio: 'inherit' });
  }
  writeFileSync(`${out}/fuzz_vectors.h`, vectorsH);
  const inc = (tg) => (BUILDS[buildOf(tg)].dir !== '.' ? ['-I', `${out}/${BUILDS[buildOf(tg)].dir}`] : []);
  const obj = (b) => `${out}/obj/${b === 'suite1' ? 'handset' : `handset-${b}`}.o`;
  await parallel([
    ...Object.entries(BUILDS).map(([b, { dir }]) => ['clang', [...cflags, '-w', '-c', `${out}/${dir}/handset.c`, '-o', obj(b)]]),
    ['clang', [...cflags, '-w', '-c', `${rtDir}/wasm-rt-impl.c`, '-o', `${out}/obj/wasm-rt-impl.o`]],
    ...all.map((tg) => ['clang', [...inc(tg), ...cflags, '-Wall', '-Wextra', `-D${TARGETS[tg].define}`, '-c', 'fuzz/harness.c', '-o', `${out}/obj/harness-${tg}.o`]]),
  ]);
  await parallel(all.map((tg) => ['clang', [...cflags, ...ldflags, '-o', bin(tg),
    `${out}/obj/harness-${tg}.o`, obj(buildOf(tg)), `${out}/obj/wasm-rt-impl.o`, '-lm']]));
  writeFileSync(stampFile, stamp);
  log(`fuzz: built ${all.map(bin).join(', ')} (${((Date.now() - t0) / 1000).toFixed(1)} s; ${clangVersion})`);
}

// ---- the module's buffer capacities, for -max_len ----
const inCaps = {};
for (const b of Object.keys(BUILDS)) inCaps[b] = (await WebAssembly.instantiate(wasms[b], { env: { airshake_random() {} } })).instance.exports.inCap();
const maxLen = Object.fromEntries(all.map((tg) => [tg, tg === 'x509' ? inCaps.suite1 - (1 + 1 + 16 + 2) - 16 : inCaps[buildOf(tg)] + 16]));

// ---- run ----
const files = (dir) => (existsSync(dir) ? readdirSync(dir).filter((f) => !f.startsWith('.') && !f.endsWith('.md')).map((f) => path.join(dir, f)).filter((f) => statSync(f).isFile()) : []);
const env = { ...process.env, ASAN_OPTIONS: 'abort_on_error=1:detect_leaks=1', UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1' };

function libfuzzer(target, args, logFile) {
  const r = spawnSync(bin(target), args, { env, encoding: 'utf8', maxBuffer: 256 << 20 });
  const text = (r.stdout ?? '') + (r.stderr ?? '');
  writeFileSync(logFile, text);
  if (opts.verbose) process.stderr.write(text);
  return { status: r.status, signal: r.signal, text };
}
const crashOf = (text) => {
  const m = [...text.matchAll(/Test unit written to (\S+)/g)].pop();
  const reason = text.match(/^fuzz invariant violated: .*\n.*$|^fuzz: wasm trap.*$|^.*runtime error: .*$|^==\d+==ERROR: .*$|^SUMMARY: .*$/m);
  return { reproducer: m ? m[1] : null, reason: reason ? reason[0].replace(/\n\s*/, ': ') : 'see the log' };
};

const results = [];
let failed = false;
for (const target of opts.targets) {
  const res = { target, seconds: opts.replayOnly ? 0 : opts.seconds, regressions: 0, executions: 0, initial: 0, execPerSec: 0, cov: 0, ft: 0, corpus: 0, newUnits: 0, peakRssMb: 0, crash: null };
  results.push(res);
  const crashDir = `${out}/crashes/${target}`;
  mkdirSync(crashDir, { recursive: true });

  // 1. every saved reproducer must now pass
  const regDir = path.join(opts.regressions, target);
  const regs = files(regDir);
  res.regressions = regs.length;
  if (regs.length) {
    const r = libfuzzer(target, [`-artifact_prefix=${crashDir}/`, ...regs], `${out}/${target}-regressions.log`);
    if (r.status !== 0 || /Test unit written to|==ERROR: /.test(r.text)) {
      // libFuzzer prints "Running: FILE" before each input and "Executed FILE" after it: the
      // failing input is the last one that started
      const running = [...r.text.matchAll(/^Running: (.*)$/gm)].pop();
      const c = crashOf(r.text), input = running ? running[1] : null;
      res.crash = { phase: 'regression', ...c, reproducer: input ?? c.reproducer, input, log: `${out}/${target}-regressions.log` };
      failed = true;
      log(`fuzz: ${target}: a regression input under ${regDir} fails: ${res.crash.reason}\n  input: ${res.crash.input ?? '(see the log)'}\n` +
        `  log: ${res.crash.log}\n  replay: ${bin(target)} ${res.crash.input ?? ''}`);
      continue;
    }
  }
  if (opts.replayOnly) {
    log(`fuzz: ${target}: ${res.regressions} regression inputs under ${regDir} replayed, no crash`);
    continue;
  }

  // 2. fuzz
  const corpus = `${out}/corpus-${target}`;
  if (opts.fresh) rmSync(corpus, { recursive: true, force: true });
  mkdirSync(corpus, { recursive: true });
  const logFile = `${out}/${target}.log`;
  log(`fuzz: ${target} (${TARGETS[target].what}) for ${opts.seconds} s...`);
  const r = libfuzzer(target, [corpus, `fuzz/corpus/${target}`, `-max_total_time=${opts.seconds}`, '-print_final_stats=1',
    `-artifact_prefix=${crashDir}/`, `-max_len=${maxLen[target]}`, '-timeout=25', '-len_control=20',
    ...(TARGETS[target].dict ? [`-dict=${TARGETS[target].dict}`] : [])], logFile);
  const stat = (k) => { const m = r.text.match(new RegExp(`^stat::${k}:\\s+(\\d+)`, 'm')); return m ? Number(m[1]) : 0; };
  res.executions = stat('number_of_executed_units');
  // the inputs run while loading the corpora (libFuzzer's INITED line): executions beyond them are mutations
  const inited = r.text.match(/^#(\d+)\s+INITED/m);
  res.initial = inited ? Number(inited[1]) : 0;
  res.execPerSec = stat('average_exec_per_sec');
  res.newUnits = stat('new_units_added');
  res.peakRssMb = stat('peak_rss_mb');
  const last = [...r.text.matchAll(/^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/gm)].pop();
  if (last) { res.cov = Number(last[2]); res.ft = Number(last[3]); res.corpus = Number(last[4]); }
  if (r.status !== 0 || /Test unit written to|==ERROR: /.test(r.text)) {
    res.crash = { phase: 'fuzz', ...crashOf(r.text), log: logFile };
    failed = true;
    log(`fuzz: ${target}: CRASH: ${res.crash.reason}\n  reproducer: ${res.crash.reproducer ?? '(none written)'}\n  log: ${logFile}\n` +
      `  replay: ${bin(target)} ${res.crash.reproducer ?? ''}\n  keep it as a regression: cp ${res.crash.reproducer ?? 'REPRODUCER'} fuzz/regressions/${target}/`);
  } else if (!res.executions) {
    res.crash = { phase: 'fuzz', reason: 'libFuzzer reported no final stats', log: logFile };
    failed = true;
    log(`fuzz: ${target}: no final stats (log ${logFile})`);
  }
  log(`fuzz: ${target}: ${res.executions} executions, ${res.execPerSec} exec/s, cov ${res.cov}, ft ${res.ft}, corpus ${res.corpus} (${res.newUnits} new), ` +
    `${res.regressions} regression inputs replayed, peak RSS ${res.peakRssMb} MB${res.crash ? ', CRASH' : ', no crash'}`);
}

if (opts.json) console.log(JSON.stringify({ ok: !failed, clang: clangVersion, targets: results }));
process.exit(failed ? 1 : 0);
