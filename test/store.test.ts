import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  X509Certificate,
  createHash,
  generateKeyPairSync,
  sign,
  type KeyObject,
} from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ID_LENGTH, certId, spkiOf } from '../host/pki/id.js';
import Database from 'better-sqlite3';
import { SCHEMA_VERSION, SqliteCertStore } from '../host/store/sqlite.js';
import { CertCache } from '../host/store/cache.js';
import {
  HandsetConflictError,
  IdCollisionError,
  RevokedIdError,
  StoreUnavailableError,
  UnknownIdError,
} from '../host/store/types.js';

// ---------------------------------------------------------------- minimal DER encoder

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
function tlv(tag: number, body: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
}
const seq = (...items: Uint8Array[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Uint8Array[]) => tlv(0x31, Buffer.concat(items));
function integer(n: bigint): Buffer {
  let h = n.toString(16);
  if (h.length % 2) h = '0' + h;
  let b = Buffer.from(h, 'hex');
  if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}
const ED25519_ALG = seq(Buffer.from([0x06, 0x03, 0x2b, 0x65, 0x70])); // 1.3.101.112
function name(cn: string): Buffer {
  return seq(set(seq(Buffer.from([0x06, 0x03, 0x55, 0x04, 0x03]), tlv(0x0c, Buffer.from(cn, 'utf8')))));
}
function time(unixSeconds: number): Buffer {
  const iso = new Date(unixSeconds * 1000).toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-T:]/g, ''); // YYYYMMDDHHMMSS
  const year = Number(digits.slice(0, 4));
  return year < 2050
    ? tlv(0x17, Buffer.from(digits.slice(2) + 'Z')) // UTCTime
    : tlv(0x18, Buffer.from(digits + 'Z')); // GeneralizedTime
}

interface CertOpts {
  subjectKey: KeyObject; // X25519 public key
  caKey: KeyObject; // Ed25519 private key
  serial: bigint;
  cn: string;
  notBefore?: number;
  notAfter?: number;
}
const NOT_BEFORE = Date.UTC(2024, 0, 1) / 1000;
const NOT_AFTER = Date.UTC(2034, 0, 1) / 1000;

function makeCert(o: CertOpts): Uint8Array {
  const spki = o.subjectKey.export({ type: 'spki', format: 'der' });
  const tbs = seq(
    tlv(0xa0, integer(2n)), // v3
    integer(o.serial),
    ED25519_ALG,
    name('airshake-test-ca'),
    seq(time(o.notBefore ?? NOT_BEFORE), time(o.notAfter ?? NOT_AFTER)),
    name(o.cn),
    spki,
  );
  const sig = sign(null, tbs, o.caKey);
  return new Uint8Array(seq(tbs, ED25519_ALG, tlv(0x03, Buffer.concat([Buffer.from([0]), sig]))));
}

const ca = generateKeyPairSync('ed25519');
let serial = 1000n;
function handset(cn: string, key = generateKeyPairSync('x25519').publicKey): { der: Uint8Array; key: KeyObject } {
  return { der: makeCert({ subjectKey: key, caKey: ca.privateKey, serial: serial++, cn }), key };
}

function tmpDb(): { path: string; dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'airshake-store-'));
  return { dir, path: join(dir, 'certs.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const hex = (u: Uint8Array) => Buffer.from(u).toString('hex');

// ---------------------------------------------------------------- tests

describe('test certificates', () => {
  test('node parses the hand-built certificate and the CA signature verifies', () => {
    const { der, key } = handset('handset-0001');
    const x = new X509Certificate(der);
    assert.equal(x.subject, 'CN=handset-0001');
    assert.equal(x.issuer, 'CN=airshake-test-ca');
    assert.equal(x.publicKey.asymmetricKeyType, 'x25519');
    assert.ok(x.verify(ca.publicKey));
    assert.ok(!x.verify(generateKeyPairSync('ed25519').publicKey));
    assert.deepEqual(Buffer.from(spkiOf(der)), key.export({ type: 'spki', format: 'der' }));
  });
});

describe('pki/id', () => {
  test('certId is the first 8 bytes of SHA-256 over the SPKI DER', () => {
    const { der, key } = handset('handset-0002');
    const spki = key.export({ type: 'spki', format: 'der' });
    const want = createHash('sha256').update(spki).digest().subarray(0, 8);
    const id = certId(der);
    assert.equal(ID_LENGTH, 8);
    assert.equal(id.length, ID_LENGTH);
    assert.equal(hex(id), want.toString('hex'));
  });
  test('same key, different certificate → same ID; different key → different ID', () => {
    const key = generateKeyPairSync('x25519').publicKey;
    const a = handset('handset-a', key);
    const b = handset('handset-b', key);
    assert.notDeepEqual(a.der, b.der);
    assert.equal(hex(certId(a.der)), hex(certId(b.der)));
    assert.notEqual(hex(certId(a.der)), hex(certId(handset('handset-c').der)));
  });
  test('unparsable DER throws a clear error', () => {
    assert.throws(() => certId(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])), /not parsable/);
    assert.throws(() => spkiOf(new Uint8Array(0)), /not parsable/);
  });
});

describe('SqliteCertStore', () => {
  test('enrol, lookup, list', (t) => {
    const db = tmpDb();
    t.after(db.cleanup);
    const store = SqliteCertStore.open(db.path);
    t.after(() => store.close());
    const a = handset('handset-0001');
    const b = handset('handset-0002');
    const ra = store.enrol(a.der, 1_700_000_000);
    assert.equal(hex(ra.id), hex(certId(a.der)));
    assert.deepEqual(ra.der, a.der);
    assert.equal(ra.subject, 'CN=handset-0001');
    assert.equal(ra.notBefore, NOT_BEFORE);
    assert.equal(ra.notAfter, NOT_AFTER);
    assert.equal(ra.enrolledAt, 1_700_000_000);
    assert.equal(ra.revokedAt, null);
    assert.equal(ra.revocationReason, null);
    store.enrol(b.der, 1_700_000_001);

    assert.deepEqual(store.lookup(certId(a.der)), ra);
    assert.equal(store.lookup(certId(b.der))?.subject, 'CN=handset-0002');
    assert.equal(store.lookup(certId(handset('stranger').der)), null);
    assert.equal(store.lookup(new Uint8Array(3)), null);
    assert.deepEqual(
      store.list().map((c) => c.subject),
      ['CN=handset-0001', 'CN=handset-0002'],
    );
  });

  test('enrolling the same certificate twice is idempotent', (t) => {
    const db = tmpDb();
    t.after(db.cleanup);
    const store = SqliteCertStore.open(db.path);
    t.after(() => store.close());
    const a = handset('handset-0001');
    const first = store.enrol(a.der, 100);
    const again = store.enrol(a.der, 200);
    assert.deepEqual(again, first);
    assert.equal(again.enrolledAt, 100);
    assert.equal(store.list().length, 1);
  });

  test('a different certificate with the same ID is refused', (t) => {
    const db = tmpDb();
    t.after(db.cleanup);
    const store = SqliteCertStore.open(db.path);
    t.after(() => store.close());
    const key = generateKeyPairSync('x25519').publicKey;
    const a = handset('handset-0001', key);
    const b = handset('handset-0001', key); // same SPKI, different serial
    assert.equal(hex(certId(a.der)), hex(certId(b.der)));
    assert.notDeepEqual(a.der, b.der);
    store.enrol(a.der);
    assert.throws(() => store.enrol(b.der), IdCollisionError);
    assert.deepEqual(store.lookup(certId(a.der))?.der, a.der);
    assert.equal(store.list().length, 1);
  });

  test('unparsable certificate is refused and nothing is stored', (t) => {
    const db = tmpDb();
    t.after(db.cleanup);
    const store = SqliteCertStore.open(db.path);
    t.after(() => store.close());
    assert.throws(() => store.enrol(new Uint8Array([1, 2, 3])), /not parsable/);
    assert.equal(store.list().length, 0);
  });

  test('revoke records time and reason; seq increments; revocationsSince', (t) => {
    const db = tmpDb();
    t.after(db.cleanup);
    const store = SqliteCertStore.open(db.path);
    t.after(() => store.close());
    const a = handset('handset-0001');
    const b = handset('handset-0002');
    const c = handset('handset-0003');
    for (const h of [a, b, c]) store.enrol(h.der, 10);
    assert.equal(store.revocationSeq(), 0);
    assert.deepEqual(store.revocationsSince(0), []);

    const r1 = store.revoke(certId(a.der), 'lost', 1000);
    assert.equal(r1.seq, 1);
    assert.equal(r1.at, 1000);
    assert.equal(r1.reason, 'lost');
    assert.equal(hex(r1.id), hex(certId(a.der)));
    assert.equal(store.revocationSeq(), 1);
    const la = store.lookup(certId(a.der))!;
    assert.equal(la.revokedAt, 1000);
    assert.equal(la.revocationReason, 'lost');
    assert.equal(store.lookup(certId(b.der))!.revokedAt, null);

    const r2 = store.revoke(certId(c.der), 'key compromise', 2000);
    assert.ok(r2.seq > r1.seq);
    assert.equal(store.revocationSeq(), r2.seq);

    // Already revoked: returns the existing revocation, seq unchanged.
    assert.deepEqual(store.revoke(certId(a.der), 'again', 3000), r1);
    assert.equal(store.revocationSeq(), r2.seq);
    assert.equal(store.lookup(certId(a.der))!.revocationReason, 'lost');

    assert.deepEqual(store.revocationsSince(0), [r1, r2]);
    assert.deepEqual(store.revocationsSince(r1.seq), [r2]);
    assert.deepEqual(store.revocationsSince(r2.seq), []);

    // A revoked ID cannot be enrolled again, not even with the same certificate.
    assert.throws(() => store.enrol(a.der), RevokedIdError);
  });

  test('revoking an unknown ID throws UnknownIdError', (t) => {
    const db = tmpDb();
    t.after(db.cleanup);
    const store = SqliteCertStore.open(db.path);
    t.after(() => store.close());
    assert.throws(() => store.revoke(certId(handset('nobody').der), 'x'), UnknownIdError);
    assert.equal(store.revocationSeq(), 0);
  });

  test('onRevoke notifies in-process listeners once; unsubscribe stops it', (t) => {
    const db = tmpDb();
    t.after(db.cleanup);
    const store = SqliteCertStore.open(db.path);
    t.after(() => store.close());
    const a = handset('a');
    const b = handset('b');
    store.enrol(a.der);
    store.enrol(b.der);
    const seen: string[] = [];
    const off = store.onRevoke((r) => seen.push(`${hex(r.id)}:${r.reason}:${r.seq}`));
    store.revoke(certId(a.der), 'lost', 5);
    store.revoke(certId(a.der), 'lost again', 6); // no new revocation → no event
    off();
    store.revoke(certId(b.der), 'stolen', 7);
    assert.deepEqual(seen, [`${hex(certId(a.der))}:lost:1`]);
  });

  test('close and reopen: nothing is lost', (t) => {
    const db = tmpDb();
    t.after(db.cleanup);
    const certs = Array.from({ length: 20 }, (_, i) => handset(`handset-${i}`));
    let store = SqliteCertStore.open(db.path);
    certs.forEach((h, i) => store.enrol(h.der, 100 + i));
    const r = store.revoke(certId(certs[3]!.der), 'lost', 500);
    const before = store.list();
    store.close();

    store = SqliteCertStore.open(db.path);
    t.after(() => store.close());
    assert.deepEqual(store.list(), before);
    assert.equal(store.list().length, 20);
    assert.equal(store.revocationSeq(), r.seq);
    assert.deepEqual(store.revocationsSince(0), [r]);
    assert.equal(store.lookup(certId(certs[3]!.der))!.revokedAt, 500);
    assert.deepEqual(store.lookup(certId(certs[19]!.der))!.der, certs[19]!.der);
  });

  test('a second store instance on the same file sees the first one’s revocation', (t) => {
    const db = tmpDb();
    t.after(db.cleanup);
    const s1 = SqliteCertStore.open(db.path);
    const s2 = SqliteCertStore.open(db.path);
    t.after(() => {
      s1.close();
      s2.close();
    });
    const a = handset('handset-0001');
    s1.enrol(a.der);
    assert.equal(s2.lookup(certId(a.der))?.subject, 'CN=handset-0001');
    assert.equal(s2.revocationSeq(), 0);
    const r = s1.revoke(certId(a.der), 'lost', 42);
    assert.equal(s2.revocationSeq(), r.seq);
    assert.deepEqual(s2.revocationsSince(0), [r]);
    assert.equal(s2.lookup(certId(a.der))!.revokedAt, 42);
  });

  test('a revocation made by another OS process is visible', (t) => {
    const db = tmpDb();
    t.after(db.cleanup);
    const store = SqliteCertStore.open(db.path);
    t.after(() => store.close());
    const a = handset('handset-0001');
    store.enrol(a.der);
    assert.equal(store.revocationSeq(), 0);
    const mod = fileURLToPath(new URL('../host/store/sqlite.js', import.meta.url));
    const script = `
      const { SqliteCertStore } = await import(${JSON.stringify('file://' + mod)});
      const s = SqliteCertStore.open(${JSON.stringify(db.path)});
      s.revoke(Buffer.from(${JSON.stringify(hex(certId(a.der)))}, 'hex'), 'remote', 77);
      s.close();`;
    const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr);
    assert.equal(store.revocationSeq(), 1);
    assert.equal(store.revocationsSince(0)[0]!.reason, 'remote');
    assert.equal(store.lookup(certId(a.der))!.revokedAt, 77);
  });

  test('StoreUnavailableError when the store is closed', (t) => {
    const db = tmpDb();
    t.after(db.cleanup);
    const store = SqliteCertStore.open(db.path);
    const a = handset('a');
    store.enrol(a.der);
    store.close();
    assert.throws(() => store.lookup(certId(a.der)), StoreUnavailableError);
    assert.throws(() => store.revocationSeq(), StoreUnavailableError);
    assert.throws(() => store.list(), StoreUnavailableError);
    assert.throws(() => store.enrol(handset('b').der), StoreUnavailableError);
    store.close(); // idempotent
  });

  test('StoreUnavailableError when the file is not a usable database', (t) => {
    const db = tmpDb();
    t.after(db.cleanup);
    writeFileSync(db.path, Buffer.alloc(8192, 0x5a)); // garbage
    assert.throws(() => SqliteCertStore.open(db.path), StoreUnavailableError);
    const dirPath = join(db.dir, 'a-directory');
    mkdirSync(dirPath);
    assert.throws(() => SqliteCertStore.open(dirPath), StoreUnavailableError);
    assert.throws(() => SqliteCertStore.open(join(db.dir, 'missing', 'x.db')), StoreUnavailableError);
  });

  test('StoreUnavailableError (wrapped SQLite error) when the database breaks under an open store', (t) => {
    const db = tmpDb();
    t.after(db.cleanup);
    const store = SqliteCertStore.open(db.path);
    t.after(() => store.close());
    const a = handset('a');
    store.enrol(a.der);
    assert.equal(store.lookup(certId(a.der))?.subject, 'CN=a');
    // Another connection (as another process would) destroys the tables.
    const raw = new Database(db.path);
    raw.exec('DROP TABLE certificates; DROP TABLE revocations;');
    raw.close();
    assert.throws(() => store.lookup(certId(a.der)), StoreUnavailableError);
    try {
      store.revocationSeq();
      assert.fail('revocationSeq should throw');
    } catch (e) {
      assert.ok(e instanceof StoreUnavailableError);
      assert.ok((e as Error).cause instanceof Database.SqliteError);
    }
  });
});

describe('CertCache', () => {
  function setup(t: { after(fn: () => void): void }, opts: { capacity: number; ttlMs: number; pollIntervalMs?: number }) {
    const db = tmpDb();
    t.after(db.cleanup);
    const store = SqliteCertStore.open(db.path);
    t.after(() => store.close());
    let clock = 1_000_000;
    const cache = new CertCache<string>(store, { ...opts, now: () => clock });
    t.after(() => cache.close());
    return { db, store, cache, tick: (ms: number) => (clock += ms) };
  }
  const id = (n: number) => new Uint8Array(8).fill(n);

  test('LRU eviction order', (t) => {
    const { cache } = setup(t, { capacity: 3, ttlMs: 60_000 });
    cache.set(id(1), 'one');
    cache.set(id(2), 'two');
    cache.set(id(3), 'three');
    assert.equal(cache.get(id(1)), 'one'); // 1 becomes most recent; LRU order 2,3,1
    cache.set(id(4), 'four'); // evicts 2
    assert.equal(cache.size, 3);
    assert.equal(cache.get(id(2)), undefined);
    assert.equal(cache.get(id(3)), 'three'); // order 1,4,3
    cache.set(id(5), 'five'); // evicts 1
    assert.equal(cache.get(id(1)), undefined);
    assert.equal(cache.get(id(4)), 'four');
    assert.equal(cache.get(id(5)), 'five');
    cache.set(id(4), 'FOUR'); // update in place, no eviction
    assert.equal(cache.get(id(4)), 'FOUR');
    assert.equal(cache.size, 3);
    const s = cache.stats;
    assert.equal(s.evictions, 2);
    assert.equal(s.hits, 5);
    assert.equal(s.misses, 2);
    assert.equal(cache.delete(id(4)), true);
    assert.equal(cache.get(id(4)), undefined);
  });

  test('TTL expiry with an injected clock', (t) => {
    const { cache, tick } = setup(t, { capacity: 10, ttlMs: 1000 });
    cache.set(id(1), 'one');
    tick(500);
    cache.set(id(2), 'two');
    tick(499);
    assert.equal(cache.get(id(1)), 'one'); // 999 ms old
    tick(1);
    assert.equal(cache.get(id(1)), undefined); // 1000 ms: expired
    assert.equal(cache.get(id(2)), 'two'); // 500 ms old
    tick(500);
    assert.equal(cache.get(id(2)), undefined);
    assert.equal(cache.size, 0);
    const s = cache.stats;
    assert.equal(s.expirations, 2);
    assert.equal(s.hits, 2);
    assert.equal(s.misses, 2);
  });

  test('in-process revocation purges at once via onRevoke', (t) => {
    // Long poll interval: only the subscription can explain the purge.
    const { store, cache } = setup(t, { capacity: 10, ttlMs: 60_000, pollIntervalMs: 3_600_000 });
    const a = handset('a');
    const b = handset('b');
    store.enrol(a.der);
    store.enrol(b.der);
    cache.set(certId(a.der), 'A');
    cache.set(certId(b.der), 'B');
    store.revoke(certId(a.der), 'lost');
    assert.equal(cache.size, 1);
    assert.equal(cache.stats.purgedByRevocation, 1);
    assert.equal(cache.get(certId(a.der)), undefined);
    assert.equal(cache.get(certId(b.der)), 'B');

    cache.close(); // unsubscribed: later revocations no longer reach it via the listener
    cache.set(certId(b.der), 'B');
    store.revoke(certId(b.der), 'stolen');
    assert.equal(cache.stats.purgedByRevocation, 1);
  });

  test('revocation from another store instance is purged by sync()', (t) => {
    const { db, store, cache, tick } = setup(t, { capacity: 10, ttlMs: 60_000, pollIntervalMs: 1000 });
    const a = handset('a');
    const b = handset('b');
    store.enrol(a.der);
    store.enrol(b.der);
    cache.set(certId(a.der), 'A');
    cache.set(certId(b.der), 'B');
    const other = SqliteCertStore.open(db.path);
    t.after(() => other.close());
    other.revoke(certId(a.der), 'remote');
    // Poll interval not elapsed: still served (no in-process event reached this cache).
    assert.equal(cache.get(certId(a.der)), 'A');
    tick(1000);
    assert.equal(cache.get(certId(a.der)), undefined);
    assert.equal(cache.get(certId(b.der)), 'B');
    assert.equal(cache.stats.purgedByRevocation, 1);
    // Explicit sync picks up another remote revocation.
    other.revoke(certId(b.der), 'remote');
    cache.sync();
    assert.equal(cache.size, 0);
    assert.equal(cache.stats.purgedByRevocation, 2);
  });

  test('revocations older than the cache are ignored', (t) => {
    const db = tmpDb();
    t.after(db.cleanup);
    const store = SqliteCertStore.open(db.path);
    t.after(() => store.close());
    const a = handset('a');
    store.enrol(a.der);
    store.revoke(certId(a.der), 'old');
    const cache = new CertCache<string>(store, { capacity: 4, ttlMs: 60_000 });
    t.after(() => cache.close());
    cache.set(certId(a.der), 'A');
    assert.equal(cache.get(certId(a.der)), 'A');
    assert.equal(cache.stats.purgedByRevocation, 0);
  });

  test('store unavailable: get keeps serving and counts syncErrors', (t) => {
    const { store, cache } = setup(t, { capacity: 4, ttlMs: 60_000 });
    cache.set(id(1), 'one');
    store.close();
    assert.equal(cache.sync(), false);
    assert.equal(cache.get(id(1)), 'one');
    assert.equal(cache.get(id(2)), undefined);
    assert.equal(cache.stats.syncErrors, 3);
  });
});

// ---------------------------------------------------------------- handsets with certificates for several suites

describe('SqliteCertStore: a handset enrolled with a certificate per suite', () => {
  const p256 = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;
  function open(t: { after(fn: () => void): void }) {
    const db = tmpDb();
    t.after(db.cleanup);
    const store = SqliteCertStore.open(db.path);
    t.after(() => store.close());
    return { db, store };
  }
  const ids = (cs: { id: Uint8Array }[]) => cs.map((c) => hex(c.id));

  test('enrolHandset enrols both together; lookupHandset by either ID finds both, the named one first', (t) => {
    const { store } = open(t);
    const x = handset('handset-0001');
    const e = handset('handset-0001', p256());
    const other = handset('handset-0002');
    const rs = store.enrolHandset([x.der, e.der], 100);
    store.enrol(other.der, 101);
    assert.deepEqual(ids(rs), [hex(certId(x.der)), hex(certId(e.der))]);
    assert.equal(rs[0]!.handset, rs[1]!.handset);
    assert.deepEqual(ids(store.lookupHandset(certId(x.der))), [hex(certId(x.der)), hex(certId(e.der))]);
    assert.deepEqual(ids(store.lookupHandset(certId(e.der))), [hex(certId(e.der)), hex(certId(x.der))]);
    assert.deepEqual(ids(store.lookupHandset(certId(other.der))), [hex(certId(other.der))]);
    assert.deepEqual(store.lookupHandset(new Uint8Array(8)), []);
    assert.deepEqual(store.lookup(certId(e.der)), rs[1]);
    assert.equal(store.list().length, 3);
    // idempotent, as enrol
    assert.deepEqual(store.enrolHandset([x.der, e.der], 200), rs);
    assert.deepEqual(store.enrol(e.der, 300), rs[1]);
  });

  test('a suite-2 certificate joins a handset enrolled before with its suite-1 one; re-keying after a revocation', (t) => {
    const { store } = open(t);
    const x = handset('handset-0001');
    const e = handset('handset-0001', p256());
    const first = store.enrol(x.der, 100);
    const both = store.enrolHandset([x.der, e.der], 200);
    assert.deepEqual(both[0], first);
    assert.equal(both[1]!.handset, first.handset);
    assert.equal(both[1]!.enrolledAt, 200);
    // a second unrevoked X25519 certificate for the same handset is refused...
    const x2 = handset('handset-0001');
    assert.throws(() => store.enrolHandset([e.der, x2.der], 300), HandsetConflictError);
    assert.equal(store.lookup(certId(x2.der)), null);
    // ...until the first is revoked
    store.revoke(certId(x.der), 'key lost', 400);
    const rekeyed = store.enrolHandset([e.der, x2.der], 500);
    assert.equal(rekeyed[1]!.handset, first.handset);
    assert.deepEqual(ids(store.lookupHandset(certId(e.der))), [hex(certId(e.der)), hex(certId(x.der)), hex(certId(x2.der))]);
  });

  test('enrolHandset refuses: different subjects, two handsets, a colliding ID, a revoked ID; nothing is stored', (t) => {
    const { store } = open(t);
    const x = handset('handset-0001');
    assert.throws(() => store.enrolHandset([x.der, handset('handset-0002', p256()).der]), HandsetConflictError);
    assert.throws(() => store.enrolHandset([]), RangeError);
    assert.equal(store.list().length, 0);
    const a = handset('handset-a'), b = handset('handset-b');
    store.enrol(a.der);
    store.enrol(b.der);
    assert.throws(() => store.enrolHandset([a.der, b.der]), HandsetConflictError);
    const key = p256();
    const e1 = handset('handset-a', key), e2 = handset('handset-a', key); // same ID, another certificate
    store.enrolHandset([a.der, e1.der]);
    assert.throws(() => store.enrolHandset([a.der, e2.der]), IdCollisionError);
    store.revoke(certId(e1.der), 'stolen');
    assert.throws(() => store.enrolHandset([a.der, e1.der]), RevokedIdError);
    // a certificate of another subject cannot join
    assert.throws(() => store.enrolHandset([a.der, handset('handset-z', p256()).der]), HandsetConflictError);
    assert.equal(store.list().length, 3);
  });

  test('a schema-1 store file is migrated: its certificates become handsets of one, and serve as before', (t) => {
    const db = tmpDb();
    t.after(db.cleanup);
    const x = handset('handset-0001');
    const y = handset('handset-0002');
    const raw = new Database(db.path);
    raw.exec(`
      CREATE TABLE certificates (id BLOB PRIMARY KEY, der BLOB NOT NULL, subject TEXT, not_before INTEGER, not_after INTEGER,
        enrolled_at INTEGER, revoked_at INTEGER NULL, revocation_reason TEXT NULL);
      CREATE TABLE revocations (seq INTEGER PRIMARY KEY AUTOINCREMENT, id BLOB, at INTEGER, reason TEXT);
      CREATE INDEX revocations_id ON revocations(id);
      PRAGMA user_version = 1;`);
    const ins = raw.prepare('INSERT INTO certificates (id, der, subject, not_before, not_after, enrolled_at) VALUES (?, ?, ?, ?, ?, ?)');
    ins.run(Buffer.from(certId(x.der)), Buffer.from(x.der), 'CN=handset-0001', NOT_BEFORE, NOT_AFTER, 10);
    ins.run(Buffer.from(certId(y.der)), Buffer.from(y.der), 'CN=handset-0002', NOT_BEFORE, NOT_AFTER, 11);
    raw.close();
    const store = SqliteCertStore.open(db.path);
    t.after(() => store.close());
    const check = new Database(db.path, { readonly: true });
    assert.equal(check.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    check.close();
    const lx = store.lookup(certId(x.der))!;
    assert.equal(lx.subject, 'CN=handset-0001');
    assert.notEqual(lx.handset, store.lookup(certId(y.der))!.handset);
    assert.deepEqual(ids(store.lookupHandset(certId(x.der))), [hex(certId(x.der))]);
    // the migrated handset takes its suite-2 certificate; a new handset gets a fresh group
    const e = handset('handset-0001', p256());
    assert.equal(store.enrolHandset([x.der, e.der])[1]!.handset, lx.handset);
    const z = store.enrol(handset('handset-0003').der);
    assert.ok(![lx.handset, store.lookup(certId(y.der))!.handset].includes(z.handset));
    // a second open (another process) finds it migrated
    const again = SqliteCertStore.open(db.path);
    assert.equal(again.lookupHandset(certId(e.der)).length, 2);
    again.close();
    // a newer schema is refused
    const w = new Database(db.path);
    w.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    w.close();
    assert.throws(() => SqliteCertStore.open(db.path), StoreUnavailableError);
  });

  test("CertCache: an entry with aliases is purged by the revocation of any of them, and the alias index follows evictions", (t) => {
    const { store } = open(t);
    const x = handset('handset-0001'), e = handset('handset-0001', p256());
    const y = handset('handset-0002'), f = handset('handset-0002', p256());
    store.enrolHandset([x.der, e.der]);
    store.enrolHandset([y.der, f.der]);
    const cache = new CertCache<string>(store, { capacity: 2, ttlMs: 60_000, pollIntervalMs: 3_600_000 });
    t.after(() => cache.close());
    const key = (id: Uint8Array, suite: number) => new Uint8Array([...id, suite]);
    cache.set(key(certId(x.der), 2), 'x/2', [certId(x.der), certId(e.der)]);
    cache.set(key(certId(x.der), 1), 'x/1', [certId(x.der)]);
    store.revoke(certId(e.der), 'lost');
    assert.equal(cache.get(key(certId(x.der), 2)), undefined);
    assert.equal(cache.get(key(certId(x.der), 1)), 'x/1');
    assert.equal(cache.stats.purgedByRevocation, 1);
    // evicted entries leave no alias behind: a later revocation purges nothing
    cache.set(key(certId(y.der), 2), 'y/2', [certId(y.der), certId(f.der)]);
    cache.set(key(certId(y.der), 1), 'y/1', [certId(y.der)]);
    cache.set(new Uint8Array(9).fill(7), 'other');
    assert.equal(cache.size, 2);
    assert.equal(cache.get(key(certId(y.der), 2)), undefined); // evicted
    store.revoke(certId(f.der), 'lost');
    assert.equal(cache.stats.purgedByRevocation, 1);
    store.revoke(certId(y.der), 'lost');
    assert.equal(cache.stats.purgedByRevocation, 2);
    assert.equal(cache.get(key(certId(y.der), 1)), undefined);
    assert.equal(cache.get(new Uint8Array(9).fill(7)), 'other');
  });
});
