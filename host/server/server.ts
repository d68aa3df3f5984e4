/**
 * Server B: an independent implementation of docs/PROTOCOL.md on node:crypto (OpenSSL).
 *
 * One AirshakeServer serves many connections; each `connect()` returns a ServerSession that is
 * fed whole messages and answers through its `send` callback. B keeps the suites of its own
 * preference that A offered, checks freshness (timestamp window and a bounded replay cache),
 * finds the handset's certificates by ID_A in its cache or else its certificate store, picks the
 * first of those suites the handset has a certificate for, validates that C_A with the suite's CA,
 * answers with message 2 (its own C_B for that suite), and on message 3 checks A's Finished MAC and
 * hands the decrypted application data to the handler. Suite 1: X25519 / Ed25519 /
 * ChaCha20-Poly1305; suite 2: P-256 ECDH / ECDSA / AES-128-CCM_8.
 * Half-open handshakes (message 2 sent, message 3 not yet in) are bounded in number and time.
 *
 * The store may be synchronous (SQLite: `receive()` does all its work before it returns) or
 * asynchronous (a directory, LdapCertStore): then a hello whose certificates are not in the cache
 * waits for the lookup. `receive()` returns a promise exactly when that happens; the session holds
 * the hello (a pending lookup, counted as half-open state and bounded by maxPendingLookups and,
 * with the half-open handshakes, by maxHalfOpen), queues any further message in order, and answers
 * when the lookup settles: message 2, or ERR_STORE when the directory fails or does not answer
 * within lookupTimeoutMs. Lookups for one ID_A in flight at once share one store request.
 * Every departure from the protocol ends the session with a specific error code, reported
 * through `onEvent`, and an alert to A whose code is generic where the precise one would help an
 * attacker (constants.ts ALERT_SAFE).
 */
import crypto, { type KeyObject } from 'node:crypto';
import type { CertCache } from '../store/cache.js';
import { StoreUnavailableError, isAsyncStore, type AnyCertStore, type StoredCert } from '../store/types.js';
import { ed25519PublicKey, p256PrivateKey, p256PublicKey, x25519PrivateKey } from '../pki/cert.js';
import {
  ALERT_SAFE, CC_NEXT_KEYS, Err, ID_LEN, MAC_LEN, MAX_APP, MAX_CERT, MAX_SUITES, MsgType, RANDOM_LEN, REC_HDR, SUITE_PARAMS, Suite, VERSION, errName,
  suiteParams, type SuiteParams,
} from '../protocol/constants.js';
import { hkdfExtract, macA as deriveMacA, macB as deriveMacB, nextKeys, openRecord, sealPms, sealRecord, secretDraw, trafficKeys, type TrafficKeys } from './keyschedule.js';
import { certSuite, strictCertId, validateHandsetCert, type ValidatedCert } from './validate.js';
import { UnknownIdCache } from './unknown-ids.js';
import { canonicalU, decodeHelloE, fullTime, responseE, type HelloE, type ResponseE } from './suite3.js';

export interface ServerOptions {
  /** The certificate store: synchronous (SqliteCertStore) or asynchronous (LdapCertStore). */
  store: AnyCertStore;
  cache?: CertCache<ValidatedCert>;
  /** Suite 1's CA: its raw Ed25519 public key (32 bytes); the same as caKeys[1]. */
  caPublicKey?: Uint8Array;
  /** Suite 1's C_B (DER) and its raw X25519 private key; the same as identities[1]. */
  certificate?: Uint8Array;
  privateKey?: Uint8Array;
  /**
   * B's identity per suite: C_B (DER, at most 512 bytes) and its raw private key (suite 1: the
   * 32-byte X25519 key; suite 2: the 32-byte P-256 scalar).
   */
  identities?: { [suite: number]: { certificate: Uint8Array; privateKey: Uint8Array } };
  /** The CA key per suite: 1, the raw Ed25519 key (32 bytes); 2, the P-256 point (65 bytes, uncompressed). */
  caKeys?: { 1?: Uint8Array; 2?: Uint8Array };
  /**
   * B's suite preference, most preferred first. Default: the suites B has an identity and a CA
   * key for, in ascending order (suite 1 first). Every suite listed needs both.
   */
  suites?: number[];
  /**
   * B's preference among the ephemeral suites of HELLO_E (docs/PROTOCOL.md, "Suite 3"). Suite 3
   * uses suite 1's identity and CA key. Default: [3] when B has those, else none.
   */
  ephemeralSuites?: number[];
  /** Clock in milliseconds since the Unix epoch (virtual in simulations). */
  now?: () => number;
  /**
   * n random bytes (default crypto.randomBytes). The bytes returned belong to B: the draws that
   * are secrets (suite 3's and 4's e_B, suite 4's pre-master secret) are copied and then zeroed
   * in place, so a caller handing out fixed values (trace vectors, tests) must hand out copies.
   */
  random?: (n: number) => Uint8Array;
  /** Accepted |timestamp - now|, seconds. */
  freshnessWindowSec?: number;
  /**
   * Entries in the replay cache; when full of live entries, new hellos get ERR_BUSY. Only hellos
   * whose C_A was found and validated are recorded, and a handshake that ends without completing
   * releases its entry, so unauthenticated floods cannot fill it (docs/PROTOCOL.md).
   */
  replayCapacity?: number;
  maxHalfOpen?: number;
  halfOpenTimeoutMs?: number;
  /**
   * With maxHalfOpen handshakes waiting for message 3: 'evict-oldest' (default) ends the oldest
   * with ERR_BUSY to admit the new one, so a flood delays no handset whose message 3 comes back
   * within maxHalfOpen / (flood rate); 'refuse' answers the new hello with ERR_BUSY.
   */
  halfOpenPolicy?: 'evict-oldest' | 'refuse';
  /** Negative cache of IDs the store does not know: entries (0 disables) and lifetime in ms. */
  unknownIdCapacity?: number;
  unknownIdTtlMs?: number;
  /**
   * Asynchronous stores only: hellos waiting for a certificate lookup at once (more get ERR_BUSY),
   * and how long (real time, ms) B waits for one before it answers ERR_STORE.
   */
  maxPendingLookups?: number;
  lookupTimeoutMs?: number;
  /** Receives each application message; a returned value is sent back as a record. */
  onApplicationData?: (data: Uint8Array, session: ServerSession) => Uint8Array | null | undefined | void;
  onEvent?: (e: ServerEvent) => void;
}

export type ServerEvent =
  | { type: 'established'; session: number; idA: string; suite: number; cacheHit: boolean }
  | { type: 'failed'; session: number; code: number; error: string; reason: string; idA?: string }
  | { type: 'closed'; session: number };

const enum St { NEW, LOOKUP, WAIT_M3, ESTABLISHED, CLOSED }

/** What B's step 5 found: the chosen suite and its validated C_A, or the failure. */
export type LookupResult =
  | { ok: true; cert: ValidatedCert; suite: number; hit: boolean }
  | { ok: false; code: number; reason: string; generic?: boolean };

/** Messages a session queues while its lookup is pending (A sends nothing before message 2). */
const MAX_QUEUED = 4;

function isPromise<T>(x: T | Promise<T>): x is Promise<T> {
  return typeof (x as { then?: unknown })?.then === 'function';
}

type OptionalOpts = 'cache' | 'onApplicationData' | 'onEvent' | 'caPublicKey' | 'certificate' | 'privateKey' | 'identities' | 'caKeys' | 'ephemeralSuites';

/** B's identity for one suite: C_B and its private key. */
export interface SuiteIdentity { suite: number; certificate: Uint8Array; key: KeyObject }

/** The cache key of a handset's entry: ID_A and the suite chosen for it. */
const cacheKey = (idA: Uint8Array, suite: number): Uint8Array => { const k = new Uint8Array(ID_LEN + 1); k.set(idA); k[ID_LEN] = suite; return k; };

export class AirshakeServer {
  readonly opts: Required<Omit<ServerOptions, OptionalOpts>> & Pick<ServerOptions, OptionalOpts>;
  /** The CA key per suite B serves. */
  readonly caKeys = new Map<number, KeyObject>();
  /** C_B and B's private key per suite B serves. */
  readonly identities = new Map<number, SuiteIdentity>();
  private readonly replay = new Map<string, number>(); // key -> expiry (ms)
  private readonly halfOpen = new Set<ServerSession>(); // in deadline order (one timeout, a clock that moves on)
  /** Sessions whose hello waits for an asynchronous certificate lookup. */
  private readonly pending = new Set<ServerSession>();
  /** Store lookups in flight, by ID_A (hex): hellos for one ID share one request. */
  private readonly inflight = new Map<string, { p: Promise<StoredCert[]>; at: number; mark: number | undefined }>();
  /** True when the store is asynchronous (a directory). */
  readonly asyncStore: boolean;
  private readonly unknownIds: UnknownIdCache;
  private nextId = 1;
  private closed = false;
  readonly stats = {
    hellos: 0, established: 0, failed: 0, cacheHits: 0, storeLookups: 0, replaysRejected: 0, busy: 0, timeouts: 0, unknownIdHits: 0, evicted: 0,
    /** Asynchronous store: lookups that waited, those that shared another's request, store failures and lookup timeouts. */
    asyncLookups: 0, sharedLookups: 0, storeErrors: 0, lookupTimeouts: 0,
  };

  constructor(options: ServerOptions) {
    this.opts = {
      suites: [], now: Date.now,
      random: (n: number) => crypto.randomBytes(n),
      freshnessWindowSec: 300, replayCapacity: 100_000, maxHalfOpen: 16_384, halfOpenTimeoutMs: 30_000,
      halfOpenPolicy: 'evict-oldest', unknownIdCapacity: 4096, unknownIdTtlMs: 30_000,
      maxPendingLookups: 1024, lookupTimeoutMs: 5_000,
      // an option given as undefined keeps its default
      ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as ServerOptions,
    };
    this.unknownIds = new UnknownIdCache(this.opts.unknownIdCapacity, this.opts.unknownIdTtlMs);
    this.asyncStore = isAsyncStore(this.opts.store);
    if (!Number.isSafeInteger(this.opts.maxPendingLookups) || this.opts.maxPendingLookups < 1) throw new RangeError(`maxPendingLookups must be a positive integer, got ${this.opts.maxPendingLookups}`);
    if (!(this.opts.lookupTimeoutMs > 0)) throw new RangeError(`lookupTimeoutMs must be positive, got ${this.opts.lookupTimeoutMs}`);
    // Suite 1 from the original options, every suite from identities / caKeys (which win).
    const ids: { [suite: number]: { certificate: Uint8Array; privateKey: Uint8Array } } = {};
    if (options.certificate || options.privateKey) {
      if (!options.certificate || !options.privateKey) throw new Error('certificate and privateKey come together');
      ids[Suite.X25519_ED25519_CHACHAPOLY_SHA256] = { certificate: options.certificate, privateKey: options.privateKey };
    }
    Object.assign(ids, options.identities ?? {});
    const cas: { [suite: number]: Uint8Array | undefined } = { 1: options.caPublicKey, ...(options.caKeys ?? {}) };
    for (const [k, raw] of Object.entries(cas)) {
      if (!raw) continue;
      const suite = Number(k);
      // Refuses a key that cannot be a CA's: Ed25519 non-canonical or of small order; P-256 not on the curve.
      if (suite === Suite.X25519_ED25519_CHACHAPOLY_SHA256) this.caKeys.set(suite, ed25519PublicKey(raw));
      else if (suite === Suite.P256_ECDSA_AES128CCM8_SHA256) this.caKeys.set(suite, p256PublicKey(raw));
      else throw new Error(`CA key for unknown suite ${suite}`);
    }
    for (const [k, id] of Object.entries(ids)) {
      const suite = Number(k);
      if (!SUITE_PARAMS[suite]) throw new Error(`identity for unknown suite ${suite}`);
      if (certKind(suite) !== suite) throw new Error(`suite ${suite} uses suite ${certKind(suite)}'s identity: give that one`);
      if (id.certificate.length > MAX_CERT) throw new Error(`suite ${suite} certificate of ${id.certificate.length} bytes: message 2 carries at most ${MAX_CERT}`);
      const key = suite === Suite.P256_ECDSA_AES128CCM8_SHA256 ? p256PrivateKey(id.privateKey) : x25519PrivateKey(id.privateKey);
      this.identities.set(suite, { suite, certificate: id.certificate, key });
    }
    const usable = [...this.identities.keys()].filter((x) => this.caKeys.has(x)).sort((a, b) => a - b);
    if (options.suites === undefined || options.suites.length === 0) this.opts.suites = usable;
    // suite 4 (key transport) rests on suite 1's identity and CA; B offers it only when asked to
    const allowed = usable.includes(Suite.X25519_ED25519_CHACHAPOLY_SHA256) ? [...usable, Suite.X25519KT_ED25519_CHACHAPOLY_SHA256] : usable;
    for (const x of this.opts.suites) if (!allowed.includes(x)) throw new Error(`suite ${x} in B's preference needs an identity and a CA key`);
    if (this.opts.suites.length === 0) throw new Error('no suite: B needs an identity (C_B and its key) and a CA key for at least one');
    const s1 = this.identities.has(Suite.X25519_ED25519_CHACHAPOLY_SHA256) && this.caKeys.has(Suite.X25519_ED25519_CHACHAPOLY_SHA256);
    if (options.ephemeralSuites === undefined) this.opts.ephemeralSuites = s1 ? [Suite.X25519E_ED25519_CHACHAPOLY_SHA256] : [];
    for (const x of this.opts.ephemeralSuites ?? []) {
      if (x !== Suite.X25519E_ED25519_CHACHAPOLY_SHA256) throw new Error(`suite ${x} is not an ephemeral suite`);
      if (!s1) throw new Error('suite 3 needs suite 1\'s identity (C_B and its X25519 key) and CA key');
    }
  }

  /** A new connection; `send` carries B's messages to A. */
  connect(send: (message: Uint8Array) => void): ServerSession {
    if (this.closed) throw new Error('server closed');
    return new ServerSession(this, this.nextId++, send);
  }

  /** Ends half-open handshakes past their deadline; returns how many. */
  sweep(): number {
    const now = this.opts.now();
    let n = 0;
    for (const s of [...this.halfOpen]) if (s.deadline <= now) { s.fail(Err.TIMEOUT, 'message 3 did not arrive in time'); this.stats.timeouts++; n++; }
    return n;
  }

  get halfOpenCount(): number { return this.halfOpen.size; }
  /** Hellos waiting for an asynchronous certificate lookup. */
  get pendingLookupCount(): number { return this.pending.size; }
  /** Live and not yet dropped entries of the replay cache. */
  get replayCount(): number { return this.replay.size; }
  /** Entries of the negative cache of unknown IDs. */
  get unknownIdCount(): number { return this.unknownIds.size; }

  /**
   * @internal Makes room for one more half-open handshake: expired ones first, else the oldest.
   * Pending lookups count against maxHalfOpen too (they are half-open state), but are not evicted.
   */
  admitHalfOpen(): boolean {
    const full = () => this.halfOpen.size + this.pending.size >= this.opts.maxHalfOpen;
    if (!full()) return true;
    const now = this.opts.now();
    // Deadline order: expired handshakes sit at the front.
    for (const s of this.halfOpen) {
      if (s.deadline > now) break;
      this.stats.timeouts++;
      this.end(s, Err.TIMEOUT, 'message 3 did not arrive in time');
    }
    if (!full()) return true;
    if (this.opts.halfOpenPolicy === 'refuse') return false;
    while (full()) {
      if (this.halfOpen.size === 0) return false; // all pending lookups
      const oldest = this.halfOpen.values().next().value as ServerSession;
      this.stats.evicted++;
      this.stats.busy++;
      this.end(oldest, Err.BUSY, 'evicted: the oldest half-open handshake, to admit a new one');
    }
    return true;
  }

  /** Fails another session on behalf of this one: its transport or handler throwing must not stop us. */
  private end(s: ServerSession, code: number, reason: string): void {
    this.halfOpen.delete(s);
    try { s.fail(code, reason); } catch { try { s.close(); } catch { /* closed as far as B is concerned */ } }
  }

  /**
   * @internal A hello is about to wait for an asynchronous lookup: within maxPendingLookups and
   * (with the half-open handshakes) maxHalfOpen? Records the session as pending when so.
   */
  admitPending(s: ServerSession): boolean {
    if (this.pending.size >= this.opts.maxPendingLookups) return false;
    if (!this.admitHalfOpen()) return false;
    this.pending.add(s);
    return true;
  }

  /** @internal */ untrackPending(s: ServerSession): void { this.pending.delete(s); }

  /** Closes every session and forgets the replay cache. */
  close(): void {
    for (const s of [...this.pending]) s.close();
    for (const s of [...this.halfOpen]) s.close();
    this.replay.clear();
    this.unknownIds.clear();
    this.closed = true;
  }

  /** @internal */ trackHalfOpen(s: ServerSession, on: boolean): void { if (on) this.halfOpen.add(s); else this.halfOpen.delete(s); }
  /** @internal */ emit(e: ServerEvent): void { this.opts.onEvent?.(e); }

  /**
   * @internal Freshness: Err.OK, STALE, REPLAY or BUSY; records the pair when fresh and `record`
   * (B records it only once C_A is found: recordFresh).
   */
  checkFresh(idA: Uint8Array, randomA: Uint8Array, ts: number, record = true): number {
    const now = this.opts.now();
    const w = this.opts.freshnessWindowSec;
    // in whole Unix seconds, as the spec counts (B's clock has milliseconds; the hello has none)
    if (Math.abs(ts - Math.floor(now / 1000)) > w) return Err.STALE;
    const key = Buffer.concat([idA, randomA]).toString('hex');
    const seen = this.replay.get(key);
    if (seen !== undefined && seen >= now) { this.stats.replaysRejected++; return Err.REPLAY; }
    if (seen !== undefined) this.replay.delete(key);
    if (this.replay.size >= this.opts.replayCapacity) {
      // Entries sit in expiry order (each expires 2W after it was recorded, and time only moves
      // on): drop the expired ones from the front and stop at the first live one.
      for (const [k, exp] of this.replay) { if (exp >= now) break; this.replay.delete(k); }
      if (this.replay.size >= this.opts.replayCapacity) { this.stats.busy++; return Err.BUSY; }
    }
    if (record) this.recordFresh(key);
    return Err.OK;
  }

  /** @internal The replay-cache key of a hello. */
  replayKey(idA: Uint8Array, randomA: Uint8Array): string { return Buffer.concat([idA, randomA]).toString('hex'); }

  /** @internal Records a pair checkFresh passed (with no other work on this thread in between). */
  recordFresh(key: string): number {
    // An accepted timestamp stays acceptable while |ts - now| <= W, i.e. up to 2W after the
    // earliest moment it was accepted: keep the entry that long, boundary included.
    const expiry = this.opts.now() + 2 * this.opts.freshnessWindowSec * 1000;
    this.replay.set(key, expiry);
    return expiry;
  }

  /**
   * @internal A handshake that ended without completing gives its pair back: its own entry only
   * (`expiry` as recordFresh returned it), not a later handshake's for the same pair recorded
   * after this one's had expired.
   */
  releaseFresh(key: string, expiry: number): void { if (this.replay.get(key) === expiry) this.replay.delete(key); }

  /**
   * @internal C_A for ID_A (docs/PROTOCOL.md §B's work, step 5): the handset's certificates from
   * the cache, else from the store; the chosen suite is the first of `candidates` (B's preference
   * filtered by A's offer) the handset has a certificate for; that certificate is validated with
   * the suite's CA, then cached under (ID_A, suite).
   */
  lookup(idA: Uint8Array, candidates: number[] = this.opts.suites): LookupResult | Promise<LookupResult> {
    const nowSec = Math.floor(this.opts.now() / 1000);
    const cache = this.opts.cache;
    if (cache) {
      for (let i = 0; i < candidates.length; i++) {
        const suite = candidates[i]!;
        const key = cacheKey(idA, suite);
        const hit = cache.get(key);
        if (!hit) continue;
        // The handset had a certificate for an earlier candidate that is not cached: ask the store.
        const has = hit.handsetSuites ?? [certKind(suite)];
        if (candidates.slice(0, i).some((c) => has.includes(certKind(c)))) break;
        if (nowSec > hit.notAfter) { cache.delete(key); return { ok: false, code: Err.CERT_EXPIRED, reason: 'cached certificate expired' }; }
        if (nowSec < hit.notBefore) return { ok: false, code: Err.CERT_NOT_YET_VALID, reason: 'cached certificate not yet valid' };
        this.stats.cacheHits++;
        return { ok: true, cert: hit, suite, hit: true };
      }
    }
    const idHex = this.unknownIds.enabled ? Buffer.from(idA).toString('hex') : '';
    if (this.unknownIds.enabled && this.unknownIds.has(idHex, this.opts.now())) {
      this.stats.unknownIdHits++;
      return { ok: false, code: Err.UNKNOWN_ID, reason: 'no certificate enrolled under ID_A (negative cache)' };
    }
    this.stats.storeLookups++;
    let since = cache?.mark();
    let set: StoredCert[] | Promise<StoredCert[]>;
    try {
      ({ set, since } = this.fetchHandset(idA, idHex || Buffer.from(idA).toString('hex'), since));
    } catch (e) {
      if (e instanceof StoreUnavailableError) { this.stats.storeErrors++; return { ok: false, code: Err.STORE, reason: e.message }; }
      throw e;
    }
    if (!isPromise(set)) return this.choose(idA, candidates, set, since);
    this.stats.asyncLookups++;
    return set.then(
      (x) => this.choose(idA, candidates, x, since),
      (e) => {
        if (e instanceof StoreUnavailableError) { this.stats.storeErrors++; return { ok: false, code: Err.STORE, reason: e.message }; }
        throw e;
      },
    );
  }

  /**
   * The handset's certificates from the store; an asynchronous store's requests are shared per ID.
   * `mark` is the cache's mark taken now; a joined request carries the mark of its start instead.
   */
  private fetchHandset(idA: Uint8Array, idHex: string, mark: number | undefined): { set: StoredCert[] | Promise<StoredCert[]>; since: number | undefined } {
    const store = this.opts.store;
    if (!isAsyncStore(store)) {
      if (store.lookupHandset) return { set: store.lookupHandset(idA), since: mark };
      const one = store.lookup(idA);
      return { set: one ? [one] : [], since: mark };
    }
    const t = performance.now();
    const cur = this.inflight.get(idHex);
    // a request older than the lookup timeout is not joined (it may never settle)
    if (cur && t - cur.at < this.opts.lookupTimeoutMs) { this.stats.sharedLookups++; return { set: cur.p, since: cur.mark }; }
    const id = new Uint8Array(idA);
    const p = (async () => {
      if (store.lookupHandset) return store.lookupHandset(id);
      const one = await store.lookup(id);
      return one ? [one] : [];
    })();
    const entry = { p, at: t, mark };
    this.inflight.set(idHex, entry);
    const done = () => { if (this.inflight.get(idHex) === entry) this.inflight.delete(idHex); };
    p.then(done, done);
    return { set: p, since: mark };
  }

  /** Step 5 once the handset's certificates are known (`since`: the cache's mark before the lookup). */
  private choose(idA: Uint8Array, candidates: number[], set: StoredCert[], since: number | undefined): LookupResult {
    const nowSec = Math.floor(this.opts.now() / 1000);
    const cache = this.opts.cache;
    const idHex = this.unknownIds.enabled ? Buffer.from(idA).toString('hex') : '';
    if (set.length === 0) {
      if (this.unknownIds.enabled) this.unknownIds.add(idHex, this.opts.now());
      return { ok: false, code: Err.UNKNOWN_ID, reason: 'no certificate enrolled under ID_A' };
    }
    const named = set[0]!;
    // The handset's certificate per suite: the named one for its own suite, else an unrevoked one.
    const bySuite = new Map<number, StoredCert>();
    for (const c of set) {
      const x = certSuite(c.der);
      if (x === null) continue;
      const cur = bySuite.get(x);
      if (!cur || (cur !== named && cur.revokedAt !== null && c.revokedAt === null)) bySuite.set(x, c);
    }
    // suite 3 rests on the handset's suite-1 certificate (its X25519 key)
    let suite = candidates.find((x) => bySuite.has(certKind(x)));
    let chosen: StoredCert;
    if (suite !== undefined) chosen = bySuite.get(certKind(suite))!;
    else if (certSuite(named.der) === null) {
      // The named certificate fits no suite (another key type, or unreadable): validate it for B's
      // first candidate, so that its precise defect is what B reports.
      suite = candidates[0]!;
      chosen = named;
    } else {
      // An identity-dependent verdict: the alert stays generic, or it would tell which IDs exist.
      return {
        ok: false, code: Err.NO_COMMON_SUITE, generic: true,
        reason: `the handset has certificates for suite(s) ${[...bySuite.keys()].join(',')}, none of ${candidates.join(',')}`,
      };
    }
    if (chosen.revokedAt !== null) return { ok: false, code: Err.REVOKED, reason: `revoked: ${chosen.revocationReason ?? ''}` };
    if (chosen !== named) {
      // ID_A names another certificate of the handset: it must hash to ID_A, and name the same subject.
      const id = strictCertId(named.der);
      if (!id || !Buffer.from(id).equals(Buffer.from(idA))) return { ok: false, code: Err.CERT_ID_MISMATCH, reason: 'the certificate ID_A names does not hash to ID_A' };
      if (subjectOf(named.der) !== subjectOf(chosen.der)) return { ok: false, code: Err.CERT_ID_MISMATCH, reason: `the certificate ID_A names and the suite ${suite} certificate have different subjects` };
    }
    const v = validateHandsetCert(chosen.der, chosen === named ? idA : null, this.caKeys.get(certKind(suite))!, nowSec, certKind(suite));
    if (!v.ok) return v;
    const cert: ValidatedCert = { ...v.cert, handsetSuites: [...bySuite.keys()] };
    // purged when either certificate it rests on is revoked
    // (unless one was revoked while an asynchronous lookup ran: then its result is not kept)
    cache?.set(cacheKey(idA, suite), cert, [named.id, chosen.id], since);
    return { ok: true, cert, suite, hit: false };
  }
}

/** The certificate kind (its suite in certSuite's terms) a suite rests on: suites 3 and 4 on suite 1's X25519 certificates. */
function certKind(suite: number): number {
  return suite === Suite.X25519E_ED25519_CHACHAPOLY_SHA256 || suite === Suite.X25519KT_ED25519_CHACHAPOLY_SHA256 ? Suite.X25519_ED25519_CHACHAPOLY_SHA256 : suite;
}

function subjectOf(der: Uint8Array): string | null {
  try { return new crypto.X509Certificate(der).subject; } catch { return null; }
}

export class ServerSession {
  private st = St.NEW;
  deadline = Infinity;
  idA?: Uint8Array;
  suite = 0;
  /** The chosen suite's sizes (set with the suite, once B answers the hello). */
  private params: SuiteParams = suiteParams(Suite.X25519_ED25519_CHACHAPOLY_SHA256);
  error: number = Err.OK;
  private keys?: TrafficKeys;
  private expectMacA?: Buffer;
  private seqAB = 0n;
  private seqBA = 0n;
  /** Key updates so far, per direction (docs/PROTOCOL.md, "Key update"). */
  updatesAB = 0;
  updatesBA = 0;
  /** The replay-cache entry this handshake recorded, until it completes or gives it back. */
  private replayKey?: string;
  private replayExpiry = 0;

  constructor(private readonly server: AirshakeServer, readonly id: number, private readonly send: (m: Uint8Array) => void) {}

  get established(): boolean { return this.st === St.ESTABLISHED; }

  /** Messages that arrived while the lookup was pending, processed in order once it settles. */
  private queued: Uint8Array[] = [];
  private pendingDone?: Promise<void>;

  /**
   * Feeds one message from A. Never throws for protocol errors: they end the session. Returns a
   * promise only when the session waits for an asynchronous certificate lookup (this message's or
   * an earlier one's); it resolves once the waiting messages are processed.
   */
  receive(msg: Uint8Array): void | Promise<void> {
    if (this.st === St.LOOKUP) {
      if (msg.length > 0 && msg[0] === MsgType.ALERT) { this.handle(msg); return; }
      if (this.queued.length >= MAX_QUEUED) { this.fail(Err.UNEXPECTED, `${MAX_QUEUED + 1} messages before message 2`); return; }
      this.queued.push(new Uint8Array(msg));
      return this.pendingDone;
    }
    return this.handle(msg);
  }

  private handle(msg: Uint8Array): void | Promise<void> {
    try {
      if (this.st === St.CLOSED) return;
      if (msg.length === 0) return this.fail(Err.DECODE, 'empty message'); // no type byte: malformed, in any state
      if (msg[0] === MsgType.ALERT) return this.fail(Err.PEER_ALERT, `peer alert ${msg.length >= 2 ? errName(msg[1]!) : '(empty)'}`, false);
      if (this.st === St.NEW) return msg[0] === MsgType.HELLO_E ? this.onHelloE(msg) : this.onHello(msg);
      if (this.st === St.WAIT_M3) return this.onFinish(msg);
      return this.onRecord(msg);
    } catch (e) {
      // Not a wire-format problem B can name: report it, tell A only that the handshake failed.
      this.fail(Err.HANDSHAKE_FAILED, `internal: ${(e as Error).message}`);
    }
  }

  private onHello(m: Uint8Array): void | Promise<void> {
    const s = this.server;
    s.stats.hellos++;
    if (m.length < 3) return this.fail(Err.DECODE, 'hello shorter than its header');
    if (m[0] !== MsgType.HELLO) return this.fail(Err.UNEXPECTED, `message type 0x${m[0]!.toString(16)} where a hello was expected`);
    if (m[1] !== VERSION) return this.fail(Err.VERSION, `version ${m[1]}`);
    const n = m[2]!;
    if (n === 0 || n > MAX_SUITES) return this.fail(Err.DECODE, `${n} suites`);
    const len = 3 + n + RANDOM_LEN + 4 + ID_LEN;
    if (m.length < len) return this.fail(Err.DECODE, `hello of ${m.length} bytes, ${len} expected`);
    if (m.length > len) return this.fail(Err.TRAILING, `${m.length - len} bytes after the hello`);
    const offered = [...m.subarray(3, 3 + n)];
    const randomA = m.subarray(3 + n, 3 + n + RANDOM_LEN);
    const ts = Buffer.from(m.subarray(3 + n + RANDOM_LEN, 3 + n + RANDOM_LEN + 4)).readUInt32BE(0);
    const idA = m.subarray(len - ID_LEN, len);
    this.idA = new Uint8Array(idA);
    // B's preference, filtered by A's offer; the choice among them waits for C_A.
    const candidates = s.opts.suites.filter((x) => offered.includes(x));
    if (candidates.length === 0) return this.fail(Err.NO_COMMON_SUITE, `offered ${offered.join(',')}`);
    const fresh = s.checkFresh(idA, randomA, ts, false);
    if (fresh !== Err.OK) return this.fail(fresh, fresh === Err.STALE ? `timestamp ${ts}` : 'replay cache');
    if (s.opts.halfOpenPolicy === 'refuse' && !s.admitHalfOpen()) { s.stats.busy++; return this.fail(Err.BUSY, 'half-open handshakes at their bound'); }
    const found = s.lookup(idA, candidates);
    if (!isPromise(found)) return this.answer(m, idA, randomA, found);
    // the caller may reuse m's buffer while the lookup runs: keep a copy
    const hello = new Uint8Array(m);
    const id = hello.subarray(len - ID_LEN, len);
    const rnd = hello.subarray(3 + n, 3 + n + RANDOM_LEN);
    return this.await(found, () => s.checkFresh(id, rnd, ts, false), ts, (r) => this.answer(hello, id, rnd, r));
  }

  /**
   * Waits for an asynchronous lookup (bounded in number and time), then runs step 3's freshness
   * check again (`recheck`) and, if it passes, `answer` with the lookup's result. Any hello kind
   * whose lookup went asynchronous continues through here.
   */
  private await(found: Promise<LookupResult>, recheck: () => number, ts: number, answer: (r: LookupResult) => void): void | Promise<void> {
    const s = this.server;
    found.catch(() => {}); // settled below, or abandoned if not admitted
    if (!s.admitPending(this)) {
      s.stats.busy++;
      return this.fail(Err.BUSY, 'certificate lookups pending at their bound');
    }
    this.st = St.LOOKUP;
    const ms = s.opts.lookupTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<LookupResult>((resolve) => {
      timer = setTimeout(() => {
        s.stats.lookupTimeouts++;
        resolve({ ok: false, code: Err.STORE, reason: `certificate store did not answer the lookup within ${ms} ms` });
      }, ms);
    });
    const settled = Promise.race([found, timeout]).then(
      (r) => r,
      (e: unknown): LookupResult => ({ ok: false, code: Err.HANDSHAKE_FAILED, reason: `internal: ${(e as Error)?.message ?? e}` }),
    );
    this.pendingDone = settled.then((r) => {
      clearTimeout(timer);
      s.untrackPending(this);
      if (this.st !== St.LOOKUP) return; // closed meanwhile
      this.st = St.NEW;
      try {
        // Step 3 again: a twin of this hello may have been answered while this one waited.
        const fresh = r.ok ? recheck() : Err.OK;
        if (fresh !== Err.OK) this.fail(fresh, fresh === Err.STALE ? `timestamp ${ts} (after the lookup)` : 'replay cache (after the lookup)');
        else answer(r);
      } catch (e) {
        this.fail(Err.HANDSHAKE_FAILED, `internal: ${(e as Error).message}`);
      }
      const q = this.queued;
      this.queued = [];
      for (const msg of q) void this.handle(msg);
    }).catch((e: unknown) => { this.fail(Err.HANDSHAKE_FAILED, `internal: ${(e as Error)?.message ?? e}`); });
    return this.pendingDone;
  }

  /** Steps 6 and 7: message 2 for a hello whose C_A was found (or the failure). */
  private answer(m: Uint8Array, idA: Uint8Array, randomA: Uint8Array, found: LookupResult): void {
    const s = this.server;
    if (!found.ok) return this.fail(found.code, found.reason, true, found.generic);
    const suite = found.suite;
    const me = s.identities.get(certKind(suite))!;
    // Recorded only now, for a hello whose C_A is enrolled and valid: made-up IDs leave no state.
    this.replayKey = s.replayKey(idA, randomA);
    this.replayExpiry = s.recordFresh(this.replayKey);
    this.suite = suite;
    this.params = suiteParams(suite);
    // Z = DH(sk_B, pk_A) (suite 2: the x-coordinate); PRK = HKDF-Extract(random_A || random_B, Z)
    let z: Buffer;
    try {
      z = crypto.diffieHellman({ privateKey: me.key, publicKey: found.cert.publicKey });
    } catch (e) { // OpenSSL refuses an all-zero result (a small-order key); P-256 points were checked
      return this.fail(suite === Suite.P256_ECDSA_AES128CCM8_SHA256 ? Err.P256_POINT : Err.X25519_ZERO, `key agreement failed: ${(e as Error).message}`);
    }
    const randomB = s.opts.random(RANDOM_LEN);
    // Suite 4: a fresh pre-master secret sealed to pk_A (ECIES over a fresh e_B) joins Z in the IKM
    let ikm: Buffer = z, kt: Buffer = Buffer.alloc(0);
    if (suite === Suite.X25519KT_ED25519_CHACHAPOLY_SHA256) {
      const pms = secretDraw(s.opts.random, 32);
      const eBRaw = secretDraw(s.opts.random, 32);
      const eB = x25519PrivateKey(eBRaw);
      eBRaw.fill(0);
      const EB = Buffer.from(crypto.createPublicKey(eB).export({ format: 'der', type: 'spki' }).subarray(-32));
      try { kt = sealPms(pms, eB, EB, found.cert.publicKey); } catch (e) { pms.fill(0); z.fill(0); return this.fail(Err.X25519_ZERO, `key transport failed: ${(e as Error).message}`); }
      ikm = Buffer.concat([pms, z]);
      pms.fill(0);
    }
    const prk = hkdfExtract(Buffer.concat([randomA, randomB]), ikm);
    z.fill(0); ikm.fill(0);
    const cert = me.certificate;
    const head = Buffer.concat([Buffer.from([MsgType.RESPONSE, suite]), randomB, Buffer.from([cert.length >> 8, cert.length & 0xff]), cert, kt]);
    const th2 = crypto.createHash('sha256').update(m).update(head).digest();
    const mB = deriveMacB(prk, th2, suite);
    const msg2 = Buffer.concat([head, mB]);
    const th3 = crypto.createHash('sha256').update(m).update(msg2).digest();
    this.expectMacA = deriveMacA(prk, th3, suite);
    this.keys = trafficKeys(prk, th3, suite);
    prk.fill(0);
    s.admitHalfOpen(); // 'evict-oldest': ends the oldest waiting handshake if at the bound
    this.st = St.WAIT_M3;
    this.deadline = s.opts.now() + s.opts.halfOpenTimeoutMs;
    s.trackHalfOpen(this, true);
    this.cacheHit = found.hit;
    this.send(msg2);
  }

  private cacheHit = false;

  /** Suite 3's hello (docs/PROTOCOL.md, "Suite 3"): B's steps as for HELLO, then RESPONSE_E. */
  private onHelloE(m: Uint8Array): void | Promise<void> {
    const s = this.server;
    s.stats.hellos++;
    const h = decodeHelloE(m);
    if ('code' in h) return this.fail(h.code, h.reason);
    this.idA = new Uint8Array(h.idA);
    const candidates = (s.opts.ephemeralSuites ?? []).filter((x) => h.offered.includes(x));
    if (candidates.length === 0) return this.fail(Err.NO_COMMON_SUITE, `offered ${h.offered.join(',')} in an ephemeral hello`);
    const ts = fullTime(h.time16, Math.floor(s.opts.now() / 1000));
    // (ID_A, E_A) is the replay cache's pair: E_A is the hello's fresh value
    const eAKey = canonicalU(h.eA);
    const fresh = s.checkFresh(h.idA, eAKey, ts, false);
    if (fresh !== Err.OK) return this.fail(fresh, fresh === Err.STALE ? `16-bit time ${h.time16}` : 'replay cache');
    if (s.opts.halfOpenPolicy === 'refuse' && !s.admitHalfOpen()) { s.stats.busy++; return this.fail(Err.BUSY, 'half-open handshakes at their bound'); }
    const found = s.lookup(h.idA, candidates);
    if (!isPromise(found)) return this.answerE(m, h, found);
    // the caller may reuse m's buffer while the lookup runs: keep a copy
    const hello = new Uint8Array(m);
    const hc = decodeHelloE(hello) as HelloE;
    return this.await(found, () => s.checkFresh(hc.idA, eAKey, ts, false), ts, (r) => this.answerE(hello, hc, r));
  }

  /** Suite 3's steps 6 and 7: RESPONSE_E for a HELLO_E whose C_A was found (or the failure). */
  private answerE(m: Uint8Array, h: HelloE, found: LookupResult): void {
    const s = this.server;
    if (!found.ok) return this.fail(found.code, found.reason, true, found.generic);
    const suite = found.suite;
    const me = s.identities.get(certKind(suite))!;
    this.replayKey = s.replayKey(h.idA, canonicalU(h.eA));
    this.replayExpiry = s.recordFresh(this.replayKey);
    this.suite = suite;
    this.params = suiteParams(suite);
    let r: ResponseE;
    try {
      r = responseE({ hello: m, eA: h.eA, refB: h.refB, skB: me.key, certB: me.certificate, pkA: found.cert.publicKey, random: s.opts.random });
    } catch (e) {
      const code = (e as { code?: number }).code;
      if (code === undefined) throw e;
      return this.fail(code, (e as Error).message);
    }
    this.keys = r.keys;
    this.certSent = r.certSent;
    s.admitHalfOpen(); // 'evict-oldest': ends the oldest waiting handshake if at the bound
    this.st = St.WAIT_M3;
    this.deadline = s.opts.now() + s.opts.halfOpenTimeoutMs;
    s.trackHalfOpen(this, true);
    this.cacheHit = found.hit;
    this.send(r.message);
  }

  /** Suite 3: whether message 2 carried C_B (false: A's ref_B named it). */
  certSent = true;

  /** Suite 3's message 3: record 0 A → B, whose authentication is A's Finished. */
  private onFinishE(m: Uint8Array): void {
    if (m[0] !== MsgType.RECORD) return this.fail(Err.UNEXPECTED, `message type 0x${m[0]?.toString(16)} where message 3 (a record) was expected`);
    const TAG_LEN = this.params.tagLen;
    if (m.length < REC_HDR + TAG_LEN) return this.fail(Err.DECODE, `message 3 of ${m.length} bytes`);
    const len = (m[1]! << 8) | m[2]!;
    if (len < TAG_LEN) return this.fail(Err.DECODE, `record length ${len}`);
    if (REC_HDR + len > m.length) return this.fail(Err.DECODE, 'message 3 truncated');
    if (REC_HDR + len < m.length) return this.fail(Err.TRAILING, `${m.length - REC_HDR - len} bytes after message 3`);
    if (len - TAG_LEN > MAX_APP) return this.fail(Err.RECORD_OVERFLOW, `record of ${len} bytes`);
    const pt = openRecord(this.keys!.kAB, this.keys!.ivAB, this.seqAB, m.subarray(0, REC_HDR), m.subarray(REC_HDR), this.suite);
    if (!pt) return this.fail(Err.RECORD, "message 3's record does not authenticate (A's Finished)");
    this.seqAB++;
    this.completed(pt);
  }

  private onFinish(m: Uint8Array): void {
    if (this.server.opts.now() > this.deadline) { this.server.stats.timeouts++; return this.fail(Err.TIMEOUT, 'message 3 arrived after the half-open deadline'); }
    if (this.suite === Suite.X25519E_ED25519_CHACHAPOLY_SHA256) return this.onFinishE(m);
    if (m[0] !== MsgType.FINISH) return this.fail(Err.UNEXPECTED, `message type 0x${m[0]?.toString(16)} where message 3 was expected`);
    const TAG_LEN = this.params.tagLen;
    const min = 1 + MAC_LEN + 2 + TAG_LEN;
    if (m.length < min) return this.fail(Err.DECODE, `message 3 of ${m.length} bytes`);
    const recLen = (m[1 + MAC_LEN]! << 8) | m[2 + MAC_LEN]!;
    if (recLen < TAG_LEN) return this.fail(Err.DECODE, `record length ${recLen}`);
    const end = 1 + MAC_LEN + 2 + recLen;
    if (m.length < end) return this.fail(Err.DECODE, 'message 3 truncated');
    if (m.length > end) return this.fail(Err.TRAILING, `${m.length - end} bytes after message 3`);
    if (recLen - TAG_LEN > MAX_APP) return this.fail(Err.RECORD_OVERFLOW, `record of ${recLen} bytes`);
    if (!crypto.timingSafeEqual(m.subarray(1, 1 + MAC_LEN), this.expectMacA!)) return this.fail(Err.MAC_A, "A's Finished MAC does not verify");
    const header = Buffer.from([MsgType.RECORD, recLen >> 8, recLen & 0xff]);
    const pt = openRecord(this.keys!.kAB, this.keys!.ivAB, this.seqAB, header, m.subarray(1 + MAC_LEN + 2), this.suite);
    if (!pt) return this.fail(Err.RECORD, 'first record does not authenticate');
    this.seqAB++;
    this.expectMacA!.fill(0);
    this.completed(pt);
  }

  /** Message 3 accepted: the session is established and the first application data delivered. */
  private completed(pt: Uint8Array): void {
    this.st = St.ESTABLISHED;
    this.replayKey = undefined; // completed: the pair stays recorded for its 2W
    this.server.trackHalfOpen(this, false);
    this.deadline = Infinity;
    this.server.stats.established++;
    this.server.emit({ type: 'established', session: this.id, idA: Buffer.from(this.idA!).toString('hex'), suite: this.suite, cacheHit: this.cacheHit });
    this.deliver(pt);
  }

  private onRecord(m: Uint8Array): void {
    const type = m[0];
    if (type !== MsgType.RECORD && type !== MsgType.RECORD_UPDATE) return this.fail(Err.UNEXPECTED, `message type 0x${m[0]?.toString(16)} where a record was expected`);
    const TAG_LEN = this.params.tagLen;
    if (m.length < REC_HDR + TAG_LEN) return this.fail(Err.DECODE, 'record too short');
    const len = (m[1]! << 8) | m[2]!;
    if (len < TAG_LEN) return this.fail(Err.DECODE, 'record shorter than its tag'); // as the handset and message 3
    if (REC_HDR + len > m.length) return this.fail(Err.DECODE, 'record truncated');
    if (REC_HDR + len < m.length) return this.fail(Err.TRAILING, 'bytes after the record');
    if (len - TAG_LEN > MAX_APP) return this.fail(Err.RECORD_OVERFLOW, `record of ${len} bytes`);
    const pt = openRecord(this.keys!.kAB, this.keys!.ivAB, this.seqAB, m.subarray(0, REC_HDR), m.subarray(REC_HDR), this.suite);
    if (!pt) return this.fail(Err.RECORD, 'record does not authenticate');
    this.seqAB++;
    if (type === MsgType.RECORD_UPDATE) {
      // the authenticated plaintext ends with the change-cipher message; only "next keys" is defined
      if (pt.length === 0 || pt[pt.length - 1] !== CC_NEXT_KEYS) { pt.fill(0); return this.fail(Err.DECODE, 'key-update record without a known change-cipher message'); }
      this.rekey('AB');
      const data = pt.subarray(0, pt.length - 1);
      this.deliver(data);
      return;
    }
    this.deliver(pt);
  }

  /** Moves one direction to its next keys (docs/PROTOCOL.md, "Key update"); the old ones are wiped. */
  private rekey(dir: 'AB' | 'BA'): void {
    const k = this.keys!;
    const n = nextKeys(dir === 'AB' ? k.uAB : k.uBA, this.suite);
    if (dir === 'AB') {
      k.uAB.fill(0); k.kAB.fill(0); k.ivAB.fill(0);
      k.uAB = n.u; k.kAB = n.k; k.ivAB = n.iv; this.seqAB = 0n; this.updatesAB++;
    } else {
      k.uBA.fill(0); k.kBA.fill(0); k.ivBA.fill(0);
      k.uBA = n.u; k.kBA = n.k; k.ivBA = n.iv; this.seqBA = 0n; this.updatesBA++;
    }
  }

  private deliver(pt: Uint8Array): void {
    const reply = this.server.opts.onApplicationData?.(pt, this);
    if (reply) this.write(reply);
  }

  /**
   * Sends application data to A as a record (established sessions only). With `update`, the
   * record carries the change-cipher message (type 0x18, at most MAX_APP - 1 bytes of data) and
   * B's direction moves to its next keys after it.
   */
  write(data: Uint8Array, o: { update?: boolean } = {}): void {
    if (this.st !== St.ESTABLISHED) throw new Error('session not established');
    const max = o.update ? MAX_APP - 1 : MAX_APP;
    if (data.length > max) throw new RangeError(`record payload ${data.length} > ${max}`);
    const pt = o.update ? Buffer.concat([data, Buffer.from([CC_NEXT_KEYS])]) : data;
    const { header, body } = sealRecord(this.keys!.kBA, this.keys!.ivBA, this.seqBA, pt, this.suite, o.update ? MsgType.RECORD_UPDATE : MsgType.RECORD);
    this.seqBA++;
    if (o.update) { pt.fill(0); this.rekey('BA'); }
    this.send(Buffer.concat([header, body]));
  }

  /**
   * Ends the session with `code`, tells A (generically where needed, or always when `generic`),
   * wipes the keys.
   */
  fail(code: number, reason: string, alert = true, generic = false): void {
    if (this.st === St.CLOSED) return;
    this.error = code;
    this.server.stats.failed++;
    if (alert) this.send(new Uint8Array([MsgType.ALERT, !generic && ALERT_SAFE.has(code) ? code : Err.HANDSHAKE_FAILED]));
    this.server.emit({ type: 'failed', session: this.id, code, error: errName(code), reason, idA: this.idA ? Buffer.from(this.idA).toString('hex') : undefined });
    this.close();
  }

  close(): void {
    if (this.st === St.CLOSED) return;
    this.st = St.CLOSED;
    this.queued = [];
    this.server.untrackPending(this);
    this.server.trackHalfOpen(this, false);
    if (this.replayKey !== undefined) { this.server.releaseFresh(this.replayKey, this.replayExpiry); this.replayKey = undefined; }
    if (this.keys) { for (const b of [this.keys.kAB, this.keys.kBA, this.keys.ivAB, this.keys.ivBA, this.keys.uAB, this.keys.uBA]) b.fill(0); }
    this.expectMacA?.fill(0);
    this.server.emit({ type: 'closed', session: this.id });
  }
}
