/**
 * The certificate store on an LDAP directory (OpenLDAP; issue 8), with ldapts 8.2 as the client.
 *
 * LdapCertStore mirrors CertStore's semantics (host/store/types.ts) but every operation is
 * asynchronous (returns a Promise): LDAP is a network protocol and Node has no synchronous client.
 * It implements AsyncCertStore (the read side server B and CertCache await), not CertStore.
 *
 * Layout (schema in host/store/slapd.ts, AIRSHAKE_SCHEMA):
 *   airshakeIdA=<hex ID>,ou=certificates,<suffix>   airshakeHandsetCertificate + pkiUser
 *   cn=revocation-seq,<suffix>                       airshakeCounter: highest allocated revocation seq
 *   cn=ca,<suffix>                                   applicationProcess + pkiCA (cACertificate, CRL)
 *
 * Errors: IdCollisionError, RevokedIdError and UnknownIdError as in the SQLite store; every failure
 * to reach or use the directory (refused or dropped connection, timeout, bind failure, an
 * unexpected LDAP result) is a StoreUnavailableError, so B answers ERR_STORE. Connect and operation
 * timeouts are bounded (defaults 2 s and 5 s), so an outage fails fast; the client reconnects by
 * itself on the next operation once the directory is back (one connection attempt at a time:
 * singleFlightConnect, an ldapts 8.2 workaround).
 */
import { X509Certificate } from 'node:crypto';
import { Attribute, Change, Client, type Entry } from 'ldapts';
import { certId } from '../pki/id.js';
import {
  HandsetConflictError,
  IdCollisionError,
  RevokedIdError,
  StoreUnavailableError,
  UnknownIdError,
  type AsyncCertStore,
  type Revocation,
  type StoredCert,
} from './types.js';
import { checkTime, nowSeconds, parseTime } from './time.js';

export interface LdapCertStoreOptions {
  /** ldap://host:port */
  url: string;
  /** Directory suffix; default o=airshake. */
  suffix?: string;
  /** Bind DN and password; anonymous when absent (enough for lookups on a read-only replica). */
  bindDn?: string;
  password?: string;
  /** TCP connect timeout, ms; default 2000. */
  connectTimeoutMs?: number;
  /** Per-operation timeout, ms; default 5000. */
  timeoutMs?: number;
}

const CERT_ATTRS = [
  'airshakeIdA',
  'userCertificate;binary',
  'airshakeSubject',
  'airshakeNotBefore',
  'airshakeNotAfter',
  'airshakeEnrolledAt',
  'airshakeRevokedAt',
  'airshakeRevocationReason',
  'airshakeRevocationSeq',
  'airshakeHandset',
];

const REVOCATION_ATTRS = ['airshakeIdA', 'airshakeRevocationSeq', 'airshakeRevokedAt', 'airshakeRevocationReason'];

/** Result codes 19 (constraintViolation: a second value of a SINGLE-VALUE attribute) and 20 (typeOrValueExists). */
const ALREADY_SET = new Set([19, 20]);
const REFERRAL = 10;
const NO_SUCH_ATTRIBUTE = 16;
const NO_SUCH_OBJECT = 32;
const ALREADY_EXISTS = 68;

function hex(u: Uint8Array): string {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('hex');
}


/** RFC 4514 escaping of an attribute value in a DN (our values are hex or plain names, but be safe). */
function escapeDnValue(v: string): string {
  return v.replace(/[,+"\\<>;=#]/g, (c) => `\\${c}`).replace(/^ | $/g, (c) => `\\${c}`);
}

/** RFC 4515 escaping of an assertion value in a filter. */
/** The certificate's key type (x25519, ec, ...): one unrevoked certificate per type in a handset. */
function keyType(der: Uint8Array): string {
  try { return new X509Certificate(der).publicKey.asymmetricKeyType ?? 'unknown'; } catch { return 'unknown'; }
}

function escapeFilter(v: string): string {
  return v.replace(/[*()\\\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function first(e: Entry, name: string): string | Buffer | undefined {
  const v = e[name];
  if (v === undefined) return undefined;
  const one = Array.isArray(v) ? v[0] : v;
  return one as string | Buffer | undefined;
}

function str(e: Entry, name: string): string | null {
  const v = first(e, name);
  if (v === undefined) return null;
  return Buffer.isBuffer(v) ? v.toString('utf8') : v;
}

function int(e: Entry, name: string): number | null {
  const s = str(e, name);
  if (s === null) return null;
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new StoreUnavailableError(`directory entry ${e.dn}: ${name} is not an integer: ${s}`);
  return n;
}

function bytes(e: Entry, name: string): Uint8Array | null {
  const v = first(e, name);
  if (v === undefined) return null;
  return new Uint8Array(Buffer.isBuffer(v) ? v : Buffer.from(v, 'binary'));
}

/**
 * One connection attempt at a time. ldapts 8.2 opens a new socket for every operation that finds
 * the client disconnected; with two such operations at once, the failure of the first attempt
 * destroys the socket of the second (the client's current one) after removing its listeners, and
 * clears its connect timer, so the second operation never settles: with the directory down, two
 * concurrent lookups, or a lookup and B's revocation poll, left one promise pending for ever (the
 * poller then never ran again). Concurrent operations now share the one attempt, and its failure.
 * Patches the client instance's private _connect (ldapts is pinned at 8.2.0); a client without one
 * is left as it is.
 */
function singleFlightConnect(client: Client): void {
  const c = client as unknown as { _connect?: () => Promise<void> | void; isConnected: boolean };
  const connect = c._connect;
  if (typeof connect !== 'function') return;
  let pending: Promise<void> | null = null;
  c._connect = function (this: typeof c) {
    if (this.isConnected) return;
    pending ??= (async () => connect.call(this))().finally(() => {
      pending = null;
    });
    return pending;
  };
}

/** The LDAP result code of an ldapts ResultCodeError, or undefined for anything else. */
function resultCode(e: unknown): number | undefined {
  const c = (e as { code?: unknown })?.code;
  return typeof c === 'number' ? c : undefined;
}

function isDomainError(e: unknown): boolean {
  return (
    e instanceof IdCollisionError ||
    e instanceof UnknownIdError ||
    e instanceof RevokedIdError ||
    e instanceof StoreUnavailableError ||
    e instanceof RangeError
  );
}

/** A StoredCert read from the directory, with its revocation sequence number (null while valid). */
export interface LdapStoredCert extends StoredCert {
  revocationSeq: number | null;
  /** Handset group key (the ID, hex, of the first certificate enrolled with it). */
  handsetKey: string | null;
}

/** CertStore semantics on an LDAP directory; every method is async. */
export class LdapCertStore implements AsyncCertStore {
  readonly asynchronous = true as const;
  readonly url: string;
  readonly suffix: string;
  private readonly client: Client;
  private binding: Promise<void> | null = null;
  private closed = false;
  private readonly listeners = new Set<(r: Revocation) => void>();
  private readonly certsDn: string;
  private readonly counterDn: string;
  private readonly caDn: string;

  constructor(private readonly opts: LdapCertStoreOptions) {
    this.url = opts.url;
    this.suffix = opts.suffix ?? 'o=airshake';
    this.certsDn = `ou=certificates,${this.suffix}`;
    this.counterDn = `cn=revocation-seq,${this.suffix}`;
    this.caDn = `cn=ca,${this.suffix}`;
    this.client = new Client({
      url: opts.url,
      connectTimeout: opts.connectTimeoutMs ?? 2000,
      timeout: opts.timeoutMs ?? 5000,
      strictDN: true,
    });
    singleFlightConnect(this.client);
  }

  private dnOf(idHex: string): string {
    return `airshakeIdA=${escapeDnValue(idHex)},${this.certsDn}`;
  }

  /** Bind once per connection (ldapts reconnects by itself after a drop; the new connection is unbound). */
  private async ensureBound(): Promise<void> {
    if (this.opts.bindDn === undefined) return;
    if (this.client.isBound) return;
    if (!this.binding) {
      this.binding = this.client.bind(this.opts.bindDn, this.opts.password ?? '').finally(() => {
        this.binding = null;
      });
    }
    await this.binding;
  }

  /** Run directory operations, mapping every failure that is not a domain error to StoreUnavailableError. */
  private async guard<R>(op: string, fn: () => Promise<R>): Promise<R> {
    if (this.closed) throw new StoreUnavailableError(`certificate directory ${this.url} is closed (${op})`);
    try {
      await this.ensureBound();
      return await fn();
    } catch (e) {
      if (isDomainError(e)) throw e;
      const code = resultCode(e);
      let detail = (e as Error)?.message ?? String(e);
      if (code === REFERRAL) detail = `the server referred the ${op} elsewhere (a read-only replica: write to the provider)`;
      throw new StoreUnavailableError(
        `certificate directory ${this.url}: ${op} failed${code !== undefined ? ` (LDAP result ${code})` : ''}: ${detail}`,
        { cause: e },
      );
    }
  }

  private toCert(e: Entry): LdapStoredCert {
    const id = str(e, 'airshakeIdA');
    const der = bytes(e, 'userCertificate;binary');
    if (id === null || der === null) throw new StoreUnavailableError(`directory entry ${e.dn} lacks airshakeIdA or userCertificate`);
    return {
      id: new Uint8Array(Buffer.from(id, 'hex')),
      der,
      subject: str(e, 'airshakeSubject') ?? '',
      notBefore: int(e, 'airshakeNotBefore') ?? 0,
      notAfter: int(e, 'airshakeNotAfter') ?? 0,
      enrolledAt: int(e, 'airshakeEnrolledAt') ?? 0,
      revokedAt: int(e, 'airshakeRevokedAt'),
      revocationReason: str(e, 'airshakeRevokedAt') === null ? null : (str(e, 'airshakeRevocationReason') ?? ''),
      revocationSeq: int(e, 'airshakeRevocationSeq'),
      handsetKey: str(e, 'airshakeHandset'),
    };
  }

  private toRevocation(c: LdapStoredCert): Revocation {
    return { seq: c.revocationSeq ?? 0, id: c.id, at: c.revokedAt ?? 0, reason: c.revocationReason ?? '' };
  }

  private async searchCerts(filter: string): Promise<LdapStoredCert[]> {
    const { searchEntries } = await this.client.search(this.certsDn, {
      scope: 'one',
      filter,
      attributes: CERT_ATTRS,
      explicitBufferAttributes: ['userCertificate;binary'],
      timeLimit: Math.ceil((this.opts.timeoutMs ?? 5000) / 1000),
    });
    return searchEntries.map((e) => this.toCert(e));
  }

  private async getById(idHex: string): Promise<LdapStoredCert | null> {
    const found = await this.searchCerts(`(&(objectClass=airshakeHandsetCertificate)(airshakeIdA=${escapeFilter(idHex)}))`);
    return found[0] ?? null;
  }

  /**
   * Enrol a certificate (DER). The same certificate again returns the existing record; a different
   * certificate under the same ID throws IdCollisionError; a revoked ID throws RevokedIdError. The
   * ID is the entry's RDN, so concurrent enrolments of one ID cannot both succeed.
   */
  async enrol(der: Uint8Array, now: number = nowSeconds()): Promise<LdapStoredCert> {
    return this.enrolInto(der, now, null);
  }

  /**
   * Enrol one handset's certificates (one per suite, one subject) together, with the SQLite
   * store's rules (CertStore.enrolHandset): certificates already enrolled keep their entries and
   * the new ones join their handset (the group key airshakeHandset: the first certificate's ID);
   * different handsets, different subjects, or two unrevoked certificates with one key type in
   * the handset throw HandsetConflictError; collisions and revoked IDs throw as in enrol. Every
   * check runs before the first add. A directory has no transactions: should the directory fail
   * between two adds, the earlier entries stay, and the same call again completes the handset.
   */
  async enrolHandset(ders: Uint8Array[], now: number = nowSeconds()): Promise<LdapStoredCert[]> {
    checkTime('now', now);
    if (ders.length === 0) throw new RangeError('enrolHandset: no certificates');
    const certs = ders.map((der) => {
      let x: X509Certificate;
      try { x = new X509Certificate(der); } catch (e) { throw new Error(`certificate DER is not parsable: ${(e as Error).message}`, { cause: e }); }
      return { der: new Uint8Array(x.raw), idHex: hex(certId(x.raw)), subject: x.subject, type: keyType(x.raw) };
    });
    const existing = await this.guard('enrolHandset', () => Promise.all(certs.map((c) => this.getById(c.idHex))));
    const groups = new Set<string>();
    certs.forEach((c, i) => {
      const e = existing[i];
      if (!e) return;
      if (e.revokedAt !== null) throw new RevokedIdError(`ID ${c.idHex} is revoked and cannot be enrolled again`);
      if (Buffer.compare(Buffer.from(e.der), Buffer.from(c.der)) !== 0) throw new IdCollisionError(`ID ${c.idHex} is already enrolled for a different certificate (${e.subject})`);
      groups.add(e.handsetKey ?? c.idHex);
    });
    if (groups.size > 1) throw new HandsetConflictError('some of the certificates are enrolled for different handsets');
    const group = groups.size ? [...groups][0]! : certs[0]!.idHex;
    const members = groups.size ? await this.guard('enrolHandset', () => this.searchCerts(`(&(objectClass=airshakeHandsetCertificate)(airshakeHandset=${escapeFilter(group)}))`)) : [];
    const subjects = new Set([...certs.map((c) => c.subject), ...members.map((m) => m.subject)]);
    if (subjects.size > 1) throw new HandsetConflictError(`one handset's certificates must share a subject: ${[...subjects].join(', ')}`);
    const seen = new Map<string, string>();
    const live = [
      ...members.filter((m) => m.revokedAt === null).map((m) => ({ idHex: hex(m.id), type: keyType(m.der) })),
      ...certs.filter((_, i) => !existing[i]).map((c) => ({ idHex: c.idHex, type: c.type })),
    ];
    for (const m of live) {
      const other = seen.get(m.type);
      if (other !== undefined && other !== m.idHex) throw new HandsetConflictError(`two unrevoked ${m.type} certificates for one handset (${other}, ${m.idHex})`);
      seen.set(m.type, m.idHex);
    }
    const out: LdapStoredCert[] = [];
    for (const c of certs) out.push(await this.enrolInto(c.der, now, group));
    return out;
  }

  /** enrol(), into the handset group `group` (null: a handset of its own, keyed by its ID). */
  private async enrolInto(der: Uint8Array, now: number, group: string | null): Promise<LdapStoredCert> {
    checkTime('now', now);
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(der);
    } catch (e) {
      throw new Error(`certificate DER is not parsable: ${(e as Error).message}`, { cause: e });
    }
    const raw = cert.raw;
    const idHex = hex(certId(raw));
    const nb = parseTime(cert.validFrom, 'notBefore');
    const na = parseTime(cert.validTo, 'notAfter');
    return this.guard('enrol', async () => {
      try {
        await this.client.add(this.dnOf(idHex), [
          new Attribute({ type: 'objectClass', values: ['airshakeHandsetCertificate', 'pkiUser'] }),
          new Attribute({ type: 'airshakeIdA', values: [idHex] }),
          new Attribute({ type: 'userCertificate;binary', values: [raw] }),
          new Attribute({ type: 'airshakeSubject', values: [cert.subject || ' '] }),
          new Attribute({ type: 'airshakeNotBefore', values: [String(nb)] }),
          new Attribute({ type: 'airshakeNotAfter', values: [String(na)] }),
          new Attribute({ type: 'airshakeEnrolledAt', values: [String(now)] }),
          new Attribute({ type: 'airshakeHandset', values: [group ?? idHex] }),
        ]);
      } catch (e) {
        if (resultCode(e) !== ALREADY_EXISTS) throw e;
      }
      const stored = await this.getById(idHex);
      if (!stored) throw new StoreUnavailableError(`enrolled ${idHex} but cannot read it back`);
      if (Buffer.compare(Buffer.from(stored.der), raw) !== 0) {
        if (stored.revokedAt !== null) throw new RevokedIdError(`ID ${idHex} is revoked and cannot be enrolled again`);
        throw new IdCollisionError(`ID ${idHex} is already enrolled for a different certificate (${stored.subject})`);
      }
      if (stored.revokedAt !== null) throw new RevokedIdError(`ID ${idHex} is revoked and cannot be enrolled again`);
      return stored;
    });
  }

  /** Look a certificate up by ID; revoked ones are returned too (check revokedAt). */
  async lookup(id: Uint8Array): Promise<LdapStoredCert | null> {
    return this.guard('lookup', () => this.getById(hex(id)));
  }

  /**
   * All certificates of the handset the ID names, the named one first; [] for an unknown ID. One
   * search, `(|(airshakeIdA=ID)(airshakeHandset=ID))`, finds the entry and, when it is its
   * handset's first certificate (the group key is its own ID, as for every `enrol`), the whole
   * group; a second search by the group key only for a later certificate of a group.
   */
  async lookupHandset(id: Uint8Array): Promise<LdapStoredCert[]> {
    return this.guard('lookupHandset', async () => {
      const idHex = hex(id);
      const f = escapeFilter(idHex);
      const found = await this.searchCerts(`(&(objectClass=airshakeHandsetCertificate)(|(airshakeIdA=${f})(airshakeHandset=${f})))`);
      const named = found.find((c) => hex(c.id) === idHex);
      if (!named) return [];
      if (named.handsetKey === null) return [named];
      const all = named.handsetKey === idHex
        ? found.filter((c) => c.handsetKey === idHex)
        : await this.searchCerts(`(&(objectClass=airshakeHandsetCertificate)(airshakeHandset=${escapeFilter(named.handsetKey)}))`);
      const others = all.filter((c) => hex(c.id) !== idHex).sort((a, b) => a.enrolledAt - b.enrolledAt || hex(a.id).localeCompare(hex(b.id)));
      return [named, ...others];
    });
  }

  /** Allocate the next revocation sequence number: compare-and-swap on the counter entry. */
  private async nextSeq(): Promise<number> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const { searchEntries } = await this.client.search(this.counterDn, { scope: 'base', attributes: ['airshakeSeqCounter'] });
      const cur = searchEntries[0] ? int(searchEntries[0], 'airshakeSeqCounter') : null;
      if (cur === null) throw new StoreUnavailableError(`${this.counterDn} is missing (directory not initialised?)`);
      try {
        await this.client.modify(this.counterDn, [
          new Change({ operation: 'delete', modification: new Attribute({ type: 'airshakeSeqCounter', values: [String(cur)] }) }),
          new Change({ operation: 'add', modification: new Attribute({ type: 'airshakeSeqCounter', values: [String(cur + 1)] }) }),
        ]);
        return cur + 1;
      } catch (e) {
        if (resultCode(e) !== NO_SUCH_ATTRIBUTE) throw e; // someone else took cur + 1: read again
        await new Promise((r) => setTimeout(r, Math.random() * 5 * (attempt + 1)));
      }
    }
    throw new StoreUnavailableError(`${this.counterDn}: could not allocate a revocation sequence number (contention)`);
  }

  /**
   * Revoke an ID. Unknown ID throws UnknownIdError; an already revoked ID returns its existing
   * revocation. Two steps (beginRevoke): allocate a seq on the counter, then add the revocation
   * fields to the entry in one modify. airshakeRevocationSeq is SINGLE-VALUE, so of two concurrent
   * revocations exactly one wins and the other returns the winner's record (its allocated seq is
   * skipped: seqs increase, with gaps). The steps are separate writes, so concurrent revocations
   * (even through this one object) can commit in the opposite order of their seqs: a reader may see
   * n + 1 before n. CertCache's poller waits for such gaps (GAP_GRACE_MS in cache.ts).
   */
  async revoke(id: Uint8Array, reason: string, at: number = nowSeconds()): Promise<Revocation> {
    return (await this.beginRevoke(id, reason, at)).commit();
  }

  /**
   * revoke() split at the point between its two directory writes, for tests that need to order
   * the steps of several revocations: resolves once the seq is allocated (for an already revoked
   * ID: its revocation, nothing allocated); commit() writes the revocation and tells the onRevoke
   * listeners. A seq allocated and never committed is a permanent gap. @internal
   */
  async beginRevoke(id: Uint8Array, reason: string, at: number = nowSeconds()): Promise<{ seq: number; commit(): Promise<Revocation> }> {
    checkTime('at', at);
    const idHex = hex(id);
    const begun = await this.guard('revoke', async (): Promise<{ done: Revocation } | { seq: number }> => {
      const existing = await this.getById(idHex);
      if (!existing) throw new UnknownIdError(`no certificate enrolled under ID ${idHex}`);
      if (existing.revokedAt !== null) return { done: this.toRevocation(existing) };
      return { seq: await this.nextSeq() };
    });
    if ('done' in begun) {
      const rev = begun.done;
      return { seq: rev.seq, commit: async () => rev };
    }
    const seq = begun.seq;
    return { seq, commit: () => this.commitRevocation(id, idHex, seq, reason, at) };
  }

  private async commitRevocation(id: Uint8Array, idHex: string, seq: number, reason: string, at: number): Promise<Revocation> {
    const { rev, fresh } = await this.guard('revoke', async () => {
      const mods = [
        new Change({ operation: 'add', modification: new Attribute({ type: 'airshakeRevocationSeq', values: [String(seq)] }) }),
        new Change({ operation: 'add', modification: new Attribute({ type: 'airshakeRevokedAt', values: [String(at)] }) }),
      ];
      if (reason !== '') {
        mods.push(new Change({ operation: 'add', modification: new Attribute({ type: 'airshakeRevocationReason', values: [reason] }) }));
      }
      try {
        await this.client.modify(this.dnOf(idHex), mods);
      } catch (e) {
        const code = resultCode(e);
        if (code === NO_SUCH_OBJECT) throw new UnknownIdError(`no certificate enrolled under ID ${idHex}`);
        if (code === undefined || !ALREADY_SET.has(code)) throw e;
        const winner = await this.getById(idHex);
        if (!winner || winner.revokedAt === null) throw e;
        return { rev: this.toRevocation(winner), fresh: false };
      }
      return { rev: { seq, id: new Uint8Array(id), at, reason }, fresh: true };
    });
    if (fresh) {
      for (const l of [...this.listeners]) {
        try {
          l({ ...rev, id: new Uint8Array(rev.id) });
        } catch (e) {
          process.emitWarning(`certificate directory onRevoke listener threw: ${(e as Error)?.message ?? e}`);
        }
      }
    }
    return rev;
  }

  /** Every certificate, in enrolment order (then by ID). */
  async list(): Promise<LdapStoredCert[]> {
    return this.guard('list', async () => {
      const all = await this.searchCerts('(objectClass=airshakeHandsetCertificate)');
      return all.sort((a, b) => a.enrolledAt - b.enrolledAt || hex(a.id).localeCompare(hex(b.id)));
    });
  }

  /**
   * Revocations with seq greater than the given one, ascending: one indexed search
   * `(airshakeRevocationSeq>=seq+1)` for the four revocation attributes only (no certificate: a
   * poller waiting for a gap asks for the same entries again every period). This is what a poller
   * (B's cache) should call.
   */
  async revocationsSince(seq: number): Promise<Revocation[]> {
    if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`seq must be a non-negative integer, got ${seq}`);
    return this.guard('revocationsSince', async () => {
      const { searchEntries } = await this.client.search(this.certsDn, {
        scope: 'one',
        filter: `(&(objectClass=airshakeHandsetCertificate)(airshakeRevocationSeq>=${seq + 1}))`,
        attributes: REVOCATION_ATTRS,
        timeLimit: Math.ceil((this.opts.timeoutMs ?? 5000) / 1000),
      });
      const out: Revocation[] = [];
      for (const e of searchEntries) {
        const id = str(e, 'airshakeIdA');
        const n = int(e, 'airshakeRevocationSeq');
        if (id === null || n === null) throw new StoreUnavailableError(`directory entry ${e.dn} lacks airshakeIdA or airshakeRevocationSeq`);
        out.push({
          seq: n,
          id: new Uint8Array(Buffer.from(id, 'hex')),
          at: int(e, 'airshakeRevokedAt') ?? 0,
          reason: str(e, 'airshakeRevocationReason') ?? '',
        });
      }
      return out.sort((a, b) => a.seq - b.seq);
    });
  }

  /**
   * Highest revocation seq visible on this server (0 when none). Computed from the revoked entries,
   * not the counter: on a replica the counter may arrive before the entry it numbered, and a poller
   * that trusted it would skip that revocation. Costs one search over the revoked entries.
   */
  async revocationSeq(): Promise<number> {
    return this.guard('revocationSeq', async () => {
      const { searchEntries } = await this.client.search(this.certsDn, {
        scope: 'one',
        filter: '(airshakeRevocationSeq=*)',
        attributes: ['airshakeRevocationSeq'],
      });
      let max = 0;
      for (const e of searchEntries) max = Math.max(max, int(e, 'airshakeRevocationSeq') ?? 0);
      return max;
    });
  }

  /** Publish the CA certificate (cACertificate;binary) and optionally its CRL (certificateRevocationList;binary). */
  async publishCa(caDer: Uint8Array, crlDer?: Uint8Array): Promise<void> {
    await this.guard('publishCa', async () => {
      const attrs = [
        new Attribute({ type: 'cACertificate;binary', values: [Buffer.from(caDer)] }),
        ...(crlDer ? [new Attribute({ type: 'certificateRevocationList;binary', values: [Buffer.from(crlDer)] })] : []),
      ];
      try {
        await this.client.add(this.caDn, [
          new Attribute({ type: 'objectClass', values: ['applicationProcess', 'pkiCA'] }),
          new Attribute({ type: 'cn', values: ['ca'] }),
          ...attrs,
        ]);
      } catch (e) {
        if (resultCode(e) !== ALREADY_EXISTS) throw e;
        await this.client.modify(this.caDn, attrs.map((a) => new Change({ operation: 'replace', modification: a })));
      }
    });
  }

  /** The published CA certificate and CRL (null when absent). */
  async getCa(): Promise<{ cert: Uint8Array | null; crl: Uint8Array | null }> {
    return this.guard('getCa', async () => {
      try {
        const { searchEntries } = await this.client.search(this.caDn, {
          scope: 'base',
          attributes: ['cACertificate;binary', 'certificateRevocationList;binary'],
          explicitBufferAttributes: ['cACertificate;binary', 'certificateRevocationList;binary'],
        });
        const e = searchEntries[0];
        if (!e) return { cert: null, crl: null };
        return { cert: bytes(e, 'cACertificate;binary'), crl: bytes(e, 'certificateRevocationList;binary') };
      } catch (e) {
        if (resultCode(e) === NO_SUCH_OBJECT) return { cert: null, crl: null };
        throw e;
      }
    });
  }

  /** In-process subscription to revocations made through this store object; returns an unsubscribe function. */
  onRevoke(listener: (r: Revocation) => void): () => void {
    const wrapped = (r: Revocation) => listener(r);
    this.listeners.add(wrapped);
    return () => {
      this.listeners.delete(wrapped);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    try {
      await this.client.unbind();
    } catch {
      /* already gone */
    }
  }
}
