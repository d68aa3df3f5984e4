/**
 * Host-side driver of the handset firmware (build/handset.wasm, suite 1 only; or, with
 * `{ build: 'dual' }`, build/handset-dual.wasm, suites 1 and 2): provisioning, the three
 * handshake messages and records, with the firmware's error codes surfaced as HandshakeError.
 * The module's only import is its randomness source, env.airshake_random; by default it is
 * crypto.randomFillSync, and a test or trace can inject fixed bytes.
 */
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as loader from '@assemblyscript/loader';
import { buildPath } from './firmware.js';
import { HandshakeError, errName } from './protocol/constants.js';

interface HandsetExports {
  memory: WebAssembly.Memory;
  provision(sk: number, caPk: number, name: number, n: number): number;
  /** Dual build only: the offer (suite ids from the low byte, 0 ends) and a key and CA key per offered suite. */
  provisionSuites?(order: number, sk1: number, ca1: number, sk2: number, ca2: number, name: number, n: number): number;
  /** Dual and forward-secret builds: the session's suite (0 before message 2 is accepted). */
  suite?(): number;
  /** Forward-secret build only (build/handset-fs.wasm): suite 3's hello, and the server-certificate cache. */
  startFs?(now: number): number;
  cacheServer?(certLen: number, now: number): number;
  forgetServer?(): void;
  serverCached?(): number;
  /** Forward-secret build: the classic hello's offer among suites 1 and 4 (ids from the low byte, 0 ends). */
  offer?(order: number): number;
  start(now: number): number;
  finish(inLen: number, now: number, appLen: number): number;
  seal(n: number): number;
  /** seal() with the change-cipher message appended: record 0x18, then A's direction re-keys (at most appCap() - 1 bytes). */
  sealUpdate(n: number): number;
  open(inLen: number): number;
  reset(): number;
  state(): number;
  error(): number;
  peerAlert(): number;
  inBuf(): number; inCap(): number; outBuf(): number; outCap(): number;
  /** Application data is sealed and opened in place: plaintext to send goes here, before finish() or seal(). */
  sendAppBuf(): number;
  /** Where open() leaves the plaintext (inside IN). */
  recvAppBuf(): number;
  appCap(): number;
  idA(): number;
  heapBase(): number;
}

export const HandsetState = { UNPROVISIONED: 0, READY: 1, WAIT_M2: 2, ESTABLISHED: 3, FAILED: 4 } as const;

/** Suite ids (docs/PROTOCOL.md §Suites). */
export const SUITE_X25519 = 1;
export const SUITE_P256 = 2;

export interface SuiteKeys {
  /** Suite 1: the X25519 private key (32 bytes) and the CA's Ed25519 public key (32 bytes). */
  x25519?: { secretKey: Uint8Array; caPublicKey: Uint8Array };
  /** Suite 2: the P-256 private key (32 bytes, big-endian) and the CA's P-256 public key (65 bytes, 04 || x || y). */
  p256?: { secretKey: Uint8Array; caPublicKey: Uint8Array };
}

export interface HandsetOptions {
  /**
   * Which firmware: 'suite1' (default, build/handset.wasm) or 'dual' (build/handset-dual.wasm,
   * which also offers suite 2 and has provisionSuites()).
   */
  build?: 'suite1' | 'dual' | 'fs';
  /** Fills the buffer with random bytes (the platform RNG). Default: crypto.randomFillSync. */
  random?: (out: Uint8Array) => void;
  debug?: boolean;
  /** Module bytes to use instead of build/handset.wasm (e.g. an instrumented build). */
  wasm?: Uint8Array;
}

export class Handset {
  private constructor(readonly exports: HandsetExports, readonly instance: WebAssembly.Instance) {}

  static async load(options: HandsetOptions = {}): Promise<Handset> {
    const random = options.random ?? ((b: Uint8Array) => { crypto.randomFillSync(b); });
    let memory: WebAssembly.Memory | undefined;
    const imports = {
      env: {
        airshake_random(p: number, n: number): void {
          const view = new Uint8Array(memory!.buffer, p >>> 0, n >>> 0);
          random(view);
        },
      },
    };
    const base = options.build === 'dual' ? 'handset-dual' : options.build === 'fs' ? 'handset-fs' : 'handset';
    const wasm = options.wasm ?? readFileSync(buildPath(options.debug ? `${base}.debug.wasm` : `${base}.wasm`));
    const { exports, instance } = await loader.instantiate<Record<string, unknown>>(wasm, imports as unknown as loader.Imports);
    const x = exports as unknown as HandsetExports;
    memory = x.memory;
    return new Handset(x, instance);
  }

  private get mem(): Uint8Array { return new Uint8Array(this.exports.memory.buffer); }
  private put(ptr: number, cap: number, data: Uint8Array, what: string): void {
    if (data.length > cap) throw new RangeError(`${what}: ${data.length} bytes exceed the firmware's ${cap}-byte buffer`);
    this.mem.set(data, ptr >>> 0);
  }
  private out(n: number): Uint8Array { const p = this.exports.outBuf() >>> 0; return this.mem.slice(p, p + n); }
  private check(rc: number, what: string): number {
    if (rc >= 0) return rc;
    const code = -rc;
    const out = this.out(2);
    const alert = out[0] === 0x15 ? out : undefined; // no alert in answer to an alert
    const peer = this.exports.peerAlert();
    throw new HandshakeError(code, `${what}: ${errName(code)}${peer ? ` (peer alert ${errName(peer)})` : ''}`, alert);
  }

  get state(): number { return this.exports.state(); }
  get error(): number { return this.exports.error(); }
  get peerAlert(): number { return this.exports.peerAlert(); }
  get idA(): Uint8Array { const p = this.exports.idA() >>> 0; return this.mem.slice(p, p + 8); }
  get maxAppData(): number { return this.exports.appCap() >>> 0; }
  /** The session's suite once message 2 is accepted, else 0 (the suite-1 build: 1 when established). */
  get suite(): number {
    const x = this.exports;
    if (x.suite) return x.suite();
    return x.state() === HandsetState.ESTABLISHED ? SUITE_X25519 : 0;
  }
  /** True when this firmware can offer several suites (build/handset-dual.wasm). */
  get dual(): boolean { return typeof this.exports.provisionSuites === 'function'; }

  /** Stores sk_A (32 bytes), the CA's Ed25519 public key (32 bytes) and the expected server name. */
  provision(secretKey: Uint8Array, caPublicKey: Uint8Array, serverName: string): void {
    if (secretKey.length !== 32) throw new Error(`provision: secretKey must be 32 bytes, got ${secretKey.length}`);
    if (caPublicKey.length !== 32) throw new Error(`provision: caPublicKey must be 32 bytes, got ${caPublicKey.length}`);
    const name = new TextEncoder().encode(serverName);
    const x = this.exports, inp = x.inBuf() >>> 0;
    const block = new Uint8Array([...secretKey, ...caPublicKey, ...name]);
    this.put(inp, x.inCap() >>> 0, block, 'provision');
    block.fill(0);
    const rc = x.provision(inp, inp + 32, inp + 64, name.length);
    this.mem.fill(0, inp, inp + 64 + name.length); // the private key passed through IN
    this.check(rc, 'provision');
  }

  /**
   * Dual build: offers `suites` in that order of preference (ids 1 and 2, each at most once) with
   * a key pair and CA key for each offered suite; ID_A comes from the first suite's key. A
   * suite's keys not offered may be omitted. The firmware checks every key before it stores any:
   * a CA key off its curve (ERR_ED25519_POINT, ERR_P256_POINT), a P-256 private key outside
   * [1, n - 1] (ERR_P256_SCALAR), a malformed offer (ERR_DECODE).
   */
  provisionSuites(o: SuiteKeys & { suites: readonly number[]; serverName: string }): void {
    const x = this.exports;
    if (!x.provisionSuites) throw new Error('provisionSuites: this firmware offers suite 1 only (load it with { build: \'dual\' })');
    if (o.suites.length === 0 || o.suites.length > 4 || o.suites.some((s) => !Number.isInteger(s) || s < 1 || s > 255)) {
      throw new Error(`provisionSuites: suites must be 1 to 4 suite ids, got [${o.suites.join(', ')}]`);
    }
    const need = (what: string, a: Uint8Array | undefined, n: number): Uint8Array => {
      if (!a) throw new Error(`provisionSuites: ${what} missing for an offered suite`);
      if (a.length !== n) throw new Error(`provisionSuites: ${what} must be ${n} bytes, got ${a.length}`);
      return a;
    };
    const z32 = new Uint8Array(32), z65 = new Uint8Array(65);
    const s1 = o.suites.includes(SUITE_X25519), s2 = o.suites.includes(SUITE_P256);
    const sk1 = s1 ? need('x25519.secretKey', o.x25519?.secretKey, 32) : z32;
    const ca1 = s1 ? need('x25519.caPublicKey', o.x25519?.caPublicKey, 32) : z32;
    const sk2 = s2 ? need('p256.secretKey', o.p256?.secretKey, 32) : z32;
    const ca2 = s2 ? need('p256.caPublicKey', o.p256?.caPublicKey, 65) : z65;
    const name = new TextEncoder().encode(o.serverName);
    const inp = x.inBuf() >>> 0;
    const block = new Uint8Array([...sk1, ...ca1, ...sk2, ...ca2, ...name]);
    this.put(inp, x.inCap() >>> 0, block, 'provisionSuites');
    block.fill(0);
    let order = 0;
    o.suites.forEach((s, i) => { order += s * 2 ** (8 * i); });
    const rc = x.provisionSuites(order >>> 0, s1 ? inp : 0, s1 ? inp + 32 : 0, s2 ? inp + 64 : 0, s2 ? inp + 96 : 0, inp + 161, name.length);
    this.mem.fill(0, inp, inp + 161 + name.length); // the private keys passed through IN
    this.check(rc, 'provisionSuites');
  }

  /** True when this firmware runs suite 3 (build/handset-fs.wasm). */
  get forwardSecret(): boolean { return typeof this.exports.startFs === 'function'; }

  private fs(what: string): Required<Pick<HandsetExports, 'startFs' | 'cacheServer' | 'forgetServer' | 'serverCached'>> {
    const x = this.exports;
    if (!x.startFs || !x.cacheServer || !x.forgetServer || !x.serverCached) throw new Error(`${what}: this firmware has no suite 3 (load it with { build: 'fs' })`);
    return x as Required<HandsetExports>;
  }

  /**
   * Suite 3's message 1 (HELLO_E, docs/PROTOCOL.md "Suite 3") at handset time `now`: a fresh
   * ephemeral key, and the reference of the cached C_B when one is valid at `now`.
   */
  startFs(now: number): Uint8Array {
    return this.out(this.check(this.fs('startFs').startFs(now >>> 0), 'startFs'));
  }

  /**
   * Provisions B's certificate for suite 3 (checked as in a handshake at `now`: the CA's
   * signature, validity, the expected name, an X25519 key agreement key), so that suite-3 hellos
   * name it and B need not send it. A failure throws HandshakeError and leaves no certificate cached.
   */
  cacheServer(cert: Uint8Array, now: number): void {
    const x = this.fs('cacheServer');
    this.put(this.exports.inBuf() >>> 0, this.exports.inCap() >>> 0, cert, 'cacheServer');
    const rc = x.cacheServer(cert.length, now >>> 0);
    if (rc < 0) throw new HandshakeError(-rc, `cacheServer: ${errName(-rc)}`);
  }

  /**
   * Forward-secret build: the suites the classic hello (start) offers, most preferred first, among
   * 1 and 4 (key transport, docs/PROTOCOL.md "Suite 4"). provision() resets it to [1].
   */
  offer(suites: readonly number[]): void {
    const x = this.exports;
    if (!x.offer) throw new Error('offer: this firmware has no suite 4 (load it with { build: \'fs\' })');
    if (suites.length === 0 || suites.length > 4 || suites.some((v) => !Number.isInteger(v) || v < 1 || v > 255)) throw new Error(`offer: 1 to 4 suite ids, got [${suites.join(', ')}]`);
    let order = 0;
    suites.forEach((v, i) => { order += v * 2 ** (8 * i); });
    const rc = x.offer(order >>> 0);
    if (rc < 0) throw new HandshakeError(-rc, `offer: ${errName(-rc)}`);
  }

  /** Forgets the cached server certificate. */
  forgetServer(): void { this.fs('forgetServer').forgetServer(); }

  /** True when a server certificate is cached (from a verified suite-3 message 2, or cacheServer). */
  get serverCached(): boolean { return this.fs('serverCached').serverCached() === 1; }

  /** Message 1 (hello) at handset time `now` (Unix seconds). */
  start(now: number): Uint8Array {
    return this.out(this.check(this.exports.start(now >>> 0), 'start'));
  }

  /** Processes message 2 and returns message 3, carrying `appData` as the first record. */
  finish(msg2: Uint8Array, now: number, appData: Uint8Array = new Uint8Array(0)): Uint8Array {
    const x = this.exports;
    this.put(x.inBuf() >>> 0, x.inCap() >>> 0, msg2, 'finish: message 2');
    this.put(x.sendAppBuf() >>> 0, x.appCap() >>> 0, appData, 'finish: application data');
    return this.out(this.check(x.finish(msg2.length, now >>> 0, appData.length), 'finish'));
  }

  /** An application record A → B. */
  seal(data: Uint8Array): Uint8Array {
    const x = this.exports;
    this.put(x.sendAppBuf() >>> 0, x.appCap() >>> 0, data, 'seal');
    return this.out(this.check(x.seal(data.length), 'seal'));
  }

  /**
   * An application record A → B with the change-cipher message appended (docs/PROTOCOL.md, "Key
   * update"): after it, A's direction uses the next keys. At most maxAppData - 1 bytes.
   */
  sealUpdate(data: Uint8Array): Uint8Array {
    const x = this.exports;
    this.put(x.sendAppBuf() >>> 0, (x.appCap() >>> 0) - 1, data, 'sealUpdate');
    return this.out(this.check(x.sealUpdate(data.length), 'sealUpdate'));
  }

  /** Opens a record B → A (a key-update record 0x18 also moves B's direction to the next keys). */
  open(record: Uint8Array): Uint8Array {
    const x = this.exports;
    this.put(x.inBuf() >>> 0, x.inCap() >>> 0, record, 'open');
    const n = this.check(x.open(record.length), 'open');
    const p = x.recvAppBuf() >>> 0;
    const pt = this.mem.slice(p, p + n);
    this.mem.fill(0, p, p + n);
    return pt;
  }

  /** Forgets the session and returns to READY (a retry after a failure or a lost carrier). */
  reset(): void { this.exports.reset(); }
}

