import { X509Certificate } from 'node:crypto';
import Database from 'better-sqlite3';
import { certId } from '../pki/id.js';
import {
  HandsetConflictError,
  IdCollisionError,
  RevokedIdError,
  StoreUnavailableError,
  UnknownIdError,
  type CertStore,
  type Revocation,
  type StoredCert,
} from './types.js';
import { checkTime, nowSeconds, parseTime } from './time.js';

/**
 * Schema version kept in PRAGMA user_version. 1: certificates and revocations. 2: a handset
 * column groups the certificates of one handset (enrolled together, one per suite); opening a
 * version-1 file migrates it, each certificate becoming a handset of its own.
 */
export const SCHEMA_VERSION = 2;

const SCHEMA_V1 = `
CREATE TABLE IF NOT EXISTS certificates (
  id BLOB PRIMARY KEY,
  der BLOB NOT NULL,
  subject TEXT,
  not_before INTEGER,
  not_after INTEGER,
  enrolled_at INTEGER,
  revoked_at INTEGER NULL,
  revocation_reason TEXT NULL
);
CREATE TABLE IF NOT EXISTS revocations (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id BLOB,
  at INTEGER,
  reason TEXT
);
CREATE INDEX IF NOT EXISTS revocations_id ON revocations(id);
`;

const MIGRATE_V2 = `
ALTER TABLE certificates ADD COLUMN handset INTEGER;
UPDATE certificates SET handset = rowid WHERE handset IS NULL;
CREATE INDEX IF NOT EXISTS certificates_handset ON certificates(handset);
`;

interface CertRow {
  id: Buffer;
  der: Buffer;
  subject: string | null;
  not_before: number;
  not_after: number;
  enrolled_at: number;
  revoked_at: number | null;
  revocation_reason: string | null;
  handset: number;
}

interface RevocationRow {
  seq: number;
  id: Buffer;
  at: number;
  reason: string;
}

const CERT_COLUMNS = 'id, der, subject, not_before, not_after, enrolled_at, revoked_at, revocation_reason, handset';

function buf(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

function copy(b: Buffer): Uint8Array {
  return new Uint8Array(b);
}

function toCert(r: CertRow): StoredCert {
  return {
    id: copy(r.id),
    der: copy(r.der),
    subject: r.subject ?? '',
    notBefore: r.not_before,
    notAfter: r.not_after,
    enrolledAt: r.enrolled_at,
    revokedAt: r.revoked_at,
    revocationReason: r.revocation_reason,
    handset: r.handset,
  };
}

function toRevocation(r: RevocationRow): Revocation {
  return { seq: r.seq, id: copy(r.id), at: r.at, reason: r.reason };
}


function isDomainError(e: unknown): boolean {
  return (
    e instanceof IdCollisionError ||
    e instanceof HandsetConflictError ||
    e instanceof UnknownIdError ||
    e instanceof RevokedIdError ||
    e instanceof StoreUnavailableError ||
    e instanceof RangeError
  );
}

interface ParsedForEnrol { id: Buffer; der: Buffer; subject: string; nb: number; na: number; keyType: string }

/** The key type of a certificate as node reads it ('x25519', 'ec', ...). */
function keyType(der: Uint8Array): string {
  try {
    return new X509Certificate(der).publicKey.asymmetricKeyType ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function parseForEnrol(der: Uint8Array): ParsedForEnrol {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch (e) {
    throw new Error(`certificate DER is not parsable: ${(e as Error).message}`, { cause: e });
  }
  const raw = cert.raw; // canonical DER of the parsed certificate
  return {
    id: buf(certId(raw)), der: raw, subject: cert.subject,
    nb: parseTime(cert.validFrom, 'notBefore'), na: parseTime(cert.validTo, 'notAfter'), keyType: keyType(raw),
  };
}

/** CertStore on a SQLite file (WAL mode); several processes may open the same file. */
export class SqliteCertStore implements CertStore {
  private readonly listeners = new Set<(r: Revocation) => void>();
  private readonly stmts: {
    getCert: Database.Statement<[Buffer], CertRow>;
    insertCert: Database.Statement<[Buffer, Buffer, string, number, number, number, number]>;
    handsetCerts: Database.Statement<[number], CertRow>;
    nextHandset: Database.Statement<[], { h: number }>;
    listCerts: Database.Statement<[], CertRow>;
    markRevoked: Database.Statement<[number, string, Buffer]>;
    insertRevocation: Database.Statement<[Buffer, number, string]>;
    revocationById: Database.Statement<[Buffer], RevocationRow>;
    revocationBySeq: Database.Statement<[number], RevocationRow>;
    maxSeq: Database.Statement<[], { seq: number }>;
    since: Database.Statement<[number], RevocationRow>;
  };
  private readonly enrolTx: (certs: ParsedForEnrol[], now: number) => CertRow[];
  private readonly revokeTx: (id: Buffer, reason: string, at: number) => { rev: Revocation; fresh: boolean };

  private constructor(private readonly db: Database.Database, readonly path: string) {
    const s = (sql: string) => db.prepare(sql);
    this.stmts = {
      getCert: s(`SELECT ${CERT_COLUMNS} FROM certificates WHERE id = ?`) as never,
      insertCert: s(
        'INSERT INTO certificates (id, der, subject, not_before, not_after, enrolled_at, handset) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ) as never,
      handsetCerts: s(`SELECT ${CERT_COLUMNS} FROM certificates WHERE handset = ? ORDER BY enrolled_at, rowid`) as never,
      nextHandset: s('SELECT COALESCE(MAX(handset), 0) + 1 AS h FROM certificates') as never,
      listCerts: s(`SELECT ${CERT_COLUMNS} FROM certificates ORDER BY enrolled_at, id`) as never,
      markRevoked: s(
        'UPDATE certificates SET revoked_at = ?, revocation_reason = ? WHERE id = ? AND revoked_at IS NULL',
      ) as never,
      insertRevocation: s('INSERT INTO revocations (id, at, reason) VALUES (?, ?, ?)') as never,
      revocationById: s('SELECT seq, id, at, reason FROM revocations WHERE id = ? ORDER BY seq LIMIT 1') as never,
      revocationBySeq: s('SELECT seq, id, at, reason FROM revocations WHERE seq = ?') as never,
      maxSeq: s('SELECT COALESCE(MAX(seq), 0) AS seq FROM revocations') as never,
      since: s('SELECT seq, id, at, reason FROM revocations WHERE seq > ? ORDER BY seq') as never,
    };

    const enrol = db.transaction((certs: ParsedForEnrol[], now: number) => {
      // Existing records: the same certificate again keeps its record; a different one under its ID is refused.
      const rows: (CertRow | undefined)[] = [];
      const groups = new Set<number>();
      for (const c of certs) {
        const existing = this.stmts.getCert.get(c.id);
        if (existing) {
          if (existing.revoked_at !== null) {
            throw new RevokedIdError(`ID ${c.id.toString('hex')} is revoked and cannot be enrolled again`);
          }
          if (!existing.der.equals(c.der)) {
            throw new IdCollisionError(
              `ID ${c.id.toString('hex')} is already enrolled for a different certificate (${existing.subject})`,
            );
          }
          groups.add(existing.handset);
        }
        rows.push(existing);
      }
      if (rows.every((r) => r)) {
        if (groups.size > 1) throw new HandsetConflictError('the certificates are enrolled for different handsets');
        return rows as CertRow[];
      }
      if (groups.size > 1) throw new HandsetConflictError('some of the certificates are enrolled for different handsets');
      const handset = groups.size ? [...groups][0]! : this.stmts.nextHandset.get()!.h;
      if (certs.length > 1 || groups.size) {
        // One handset: one subject, and one unrevoked certificate per key type (one per suite).
        const members = groups.size ? this.stmts.handsetCerts.all(handset) : [];
        const subjects = new Set([...certs.map((c) => c.subject), ...members.map((m) => m.subject ?? '')]);
        if (subjects.size > 1) throw new HandsetConflictError(`one handset's certificates must share a subject: ${[...subjects].join(', ')}`);
        const seen = new Map<string, string>();
        const live = [
          ...members.filter((m) => m.revoked_at === null).map((m) => ({ id: m.id, type: keyType(m.der) })),
          ...certs.filter((_, i) => !rows[i]).map((c) => ({ id: c.id, type: c.keyType })),
        ];
        for (const m of live) {
          const idHex = m.id.toString('hex');
          const other = seen.get(m.type);
          if (other !== undefined && other !== idHex) throw new HandsetConflictError(`two unrevoked ${m.type} certificates for one handset (${other}, ${idHex})`);
          seen.set(m.type, idHex);
        }
      }
      return certs.map((c, i) => {
        if (rows[i]) return rows[i]!;
        const again = this.stmts.getCert.get(c.id); // the same certificate twice in one call
        if (again) return again;
        this.stmts.insertCert.run(c.id, c.der, c.subject, c.nb, c.na, now, handset);
        return this.stmts.getCert.get(c.id)!;
      });
    });
    // IMMEDIATE: take the write lock before reading so concurrent processes cannot interleave.
    this.enrolTx = (...a) => enrol.immediate(...a);

    const revoke = db.transaction((id: Buffer, reason: string, at: number) => {
      const existing = this.stmts.getCert.get(id);
      if (!existing) throw new UnknownIdError(`no certificate enrolled under ID ${id.toString('hex')}`);
      if (existing.revoked_at !== null) {
        const prior = this.stmts.revocationById.get(id);
        const rev: Revocation = prior
          ? toRevocation(prior)
          : { seq: 0, id: copy(id), at: existing.revoked_at, reason: existing.revocation_reason ?? '' };
        return { rev, fresh: false };
      }
      const info = this.stmts.insertRevocation.run(id, at, reason);
      this.stmts.markRevoked.run(at, reason, id);
      return { rev: toRevocation(this.stmts.revocationBySeq.get(Number(info.lastInsertRowid))!), fresh: true };
    });
    this.revokeTx = (...a) => revoke.immediate(...a);
  }

  /**
   * Open (creating if missing) the store at `path`, migrating an older schema. Throws
   * StoreUnavailableError if it cannot be used.
   */
  static open(path: string): SqliteCertStore {
    let db: Database.Database | undefined;
    try {
      db = new Database(path, { timeout: 5000 });
      db.pragma('journal_mode = WAL');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        throw new StoreUnavailableError(`${path}: schema version ${version} is newer than supported ${SCHEMA_VERSION}`);
      }
      if (version < SCHEMA_VERSION) {
        db.transaction(() => {
          // Read again under the write lock: another process may have migrated meanwhile.
          const v = db!.pragma('user_version', { simple: true }) as number;
          if (v < 1) db!.exec(SCHEMA_V1);
          if (v < 2) db!.exec(MIGRATE_V2);
          if (v < SCHEMA_VERSION) db!.pragma(`user_version = ${SCHEMA_VERSION}`);
        }).immediate();
      }
      return new SqliteCertStore(db, path);
    } catch (e) {
      try {
        db?.close();
      } catch {
        /* ignore */
      }
      if (e instanceof StoreUnavailableError) throw e;
      throw new StoreUnavailableError(`cannot open certificate store ${path}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Run a database operation, mapping SQLite / closed-connection failures to StoreUnavailableError. */
  private guard<R>(op: string, fn: () => R): R {
    if (!this.db.open) throw new StoreUnavailableError(`certificate store ${this.path} is closed (${op})`);
    try {
      return fn();
    } catch (e) {
      if (isDomainError(e)) throw e;
      if (e instanceof Database.SqliteError || !this.db.open) {
        throw new StoreUnavailableError(`certificate store ${this.path}: ${op} failed: ${(e as Error).message}`, {
          cause: e,
        });
      }
      throw e;
    }
  }

  enrol(der: Uint8Array, now: number = nowSeconds()): StoredCert {
    checkTime('now', now);
    const c = parseForEnrol(der);
    return this.guard('enrol', () => toCert(this.enrolTx([c], now)[0]!));
  }

  enrolHandset(ders: Uint8Array[], now: number = nowSeconds()): StoredCert[] {
    checkTime('now', now);
    if (ders.length === 0) throw new RangeError('enrolHandset: no certificates');
    const certs = ders.map(parseForEnrol);
    return this.guard('enrolHandset', () => this.enrolTx(certs, now).map(toCert));
  }

  lookup(id: Uint8Array): StoredCert | null {
    return this.guard('lookup', () => {
      const row = this.stmts.getCert.get(buf(id));
      return row ? toCert(row) : null;
    });
  }

  lookupHandset(id: Uint8Array): StoredCert[] {
    return this.guard('lookupHandset', () => {
      const named = this.stmts.getCert.get(buf(id));
      if (!named) return [];
      const others = this.stmts.handsetCerts.all(named.handset).filter((r) => !r.id.equals(named.id));
      return [named, ...others].map(toCert);
    });
  }

  revoke(id: Uint8Array, reason: string, at: number = nowSeconds()): Revocation {
    checkTime('at', at);
    const { rev, fresh } = this.guard('revoke', () => this.revokeTx(buf(id), reason, at));
    if (fresh) {
      for (const l of [...this.listeners]) {
        try {
          l({ ...rev, id: new Uint8Array(rev.id) });
        } catch (e) {
          process.emitWarning(`certificate store onRevoke listener threw: ${(e as Error)?.message ?? e}`);
        }
      }
    }
    return rev;
  }

  list(): StoredCert[] {
    return this.guard('list', () => this.stmts.listCerts.all().map(toCert));
  }

  revocationSeq(): number {
    return this.guard('revocationSeq', () => this.stmts.maxSeq.get()!.seq);
  }

  revocationsSince(seq: number): Revocation[] {
    return this.guard('revocationsSince', () => this.stmts.since.all(seq).map(toRevocation));
  }

  onRevoke(listener: (r: Revocation) => void): () => void {
    // Wrap so the same function subscribed twice gets two independent subscriptions.
    const wrapped = (r: Revocation) => listener(r);
    this.listeners.add(wrapped);
    return () => {
      this.listeners.delete(wrapped);
    };
  }

  close(): void {
    this.listeners.clear();
    if (this.db.open) this.db.close();
  }
}
