/**
 * Certificate store for server B: enrolled handset certificates keyed by ID_A. Times are Unix
 * seconds. A handset's certificates for several suites are enrolled together, as one handset
 * (docs/PROTOCOL.md, "ID_A"): a lookup by the ID of any of them finds all of them.
 */

export interface StoredCert {
  /** ID_A: first 8 bytes of SHA-256 over the certificate's DER SubjectPublicKeyInfo. */
  id: Uint8Array;
  der: Uint8Array;
  /** Subject as rendered by node's X509Certificate, e.g. 'CN=handset-0001'. */
  subject: string;
  notBefore: number;
  notAfter: number;
  enrolledAt: number;
  revokedAt: number | null;
  revocationReason: string | null;
  /** The handset (certificates enrolled together) this certificate belongs to; absent in stores without groups. */
  handset?: number;
}

export interface Revocation {
  seq: number;
  id: Uint8Array;
  at: number;
  reason: string;
}

export interface CertStore {
  /**
   * Enrol a certificate (DER). Same certificate again returns the existing record; a different
   * certificate with the same ID throws IdCollisionError; a revoked ID throws RevokedIdError.
   */
  enrol(der: Uint8Array, now?: number): StoredCert;
  /** Look a certificate up by ID; revoked ones are returned too (check revokedAt). */
  lookup(id: Uint8Array): StoredCert | null;
  /**
   * Enrol one handset's certificates (one per suite, same subject) together. Certificates already
   * enrolled (same DER) keep their records, and the new ones join their handset; certificates of
   * different handsets, different subjects, or two unrevoked certificates with the same key type in
   * one handset throw HandsetConflictError; collisions and revoked IDs throw as in enrol.
   * Stores without handset groups may omit it.
   */
  enrolHandset?(ders: Uint8Array[], now?: number): StoredCert[];
  /**
   * All certificates of the handset the ID names, the named one first (then in enrolment order),
   * revoked ones included; [] for an unknown ID. Stores without handset groups may omit it: B
   * then treats lookup(id) as a handset of one certificate.
   */
  lookupHandset?(id: Uint8Array): StoredCert[];
  /** Revoke an ID. Unknown ID throws UnknownIdError; an already revoked ID returns its existing revocation. */
  revoke(id: Uint8Array, reason: string, at?: number): Revocation;
  list(): StoredCert[];
  /** Highest revocation sequence number, 0 when there are none. Monotonically increasing. */
  revocationSeq(): number;
  /** Revocations with seq greater than the given one, ascending. */
  revocationsSince(seq: number): Revocation[];
  /** In-process subscription to revocations made through this store; returns an unsubscribe function. */
  onRevoke(listener: (r: Revocation) => void): () => void;
  close(): void;
}

/**
 * The read side of a certificate store whose operations are asynchronous (a network directory:
 * LdapCertStore). Server B awaits it on a cache miss; CertCache polls its revocations. Semantics as
 * in CertStore.
 */
export interface AsyncCertStore {
  /** Marks the store as asynchronous, so that B and the cache know before they call it. */
  readonly asynchronous: true;
  lookup(id: Uint8Array): Promise<StoredCert | null>;
  lookupHandset?(id: Uint8Array): Promise<StoredCert[]>;
  revocationSeq(): Promise<number>;
  revocationsSince(seq: number): Promise<Revocation[]>;
  onRevoke(listener: (r: Revocation) => void): () => void;
  close(): void | Promise<void>;
}

/** Either kind of store, as server B and CertCache accept it. */
export type AnyCertStore = CertStore | AsyncCertStore;

export function isAsyncStore(s: AnyCertStore): s is AsyncCertStore {
  return (s as { asynchronous?: unknown }).asynchronous === true;
}

/** A different certificate is already enrolled under the same ID. */
export class IdCollisionError extends Error {
  override name = 'IdCollisionError';
}

/** Certificates given to enrolHandset cannot form one handset (see CertStore.enrolHandset). */
export class HandsetConflictError extends Error {
  override name = 'HandsetConflictError';
}

/** No certificate is enrolled under the ID. */
export class UnknownIdError extends Error {
  override name = 'UnknownIdError';
}

/** The ID was revoked and may not be enrolled again. */
export class RevokedIdError extends Error {
  override name = 'RevokedIdError';
}

/** The backing database could not be opened or queried. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}
