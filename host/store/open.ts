/**
 * Choosing the certificate store from one string (`airshake serve --store SPEC`, the load bench):
 *
 *   sqlite:PATH                    the SQLite store file (created if missing)
 *   PATH                           the same (no scheme: SQLite, as before issue 8)
 *   ldap://HOST:PORT/BASE-DN       the OpenLDAP directory; the base DN (the suffix, default
 *   ldaps://HOST:PORT/BASE-DN      o=airshake) is the URL's DN part as in RFC 4516, percent-encoded
 *                                  where needed: ldap://10.0.0.5:389/o=airshake
 *
 * Bind credentials never go in the URL (it is logged and shows in `ps`): the bind DN is a separate
 * option (`--bind-dn`) and the password comes from a file (`--bind-password-file`) or the
 * environment variable AIRSHAKE_LDAP_PASSWORD. Without a bind DN the store binds anonymously,
 * which is enough for B (it only reads; see docs/DIRECTORY.md).
 */
import { readFileSync } from 'node:fs';
import { LdapCertStore } from './ldap.js';
import { SqliteCertStore } from './sqlite.js';

export type StoreSpec =
  | { kind: 'sqlite'; path: string }
  | { kind: 'ldap'; url: string; suffix: string };

export const DEFAULT_LDAP_SUFFIX = 'o=airshake';

/** Parses a --store value; throws an Error naming the problem for a malformed one. */
export function parseStoreSpec(spec: string): StoreSpec {
  if (spec === '') throw new Error('--store: empty value (give sqlite:PATH or ldap://HOST:PORT/BASE-DN)');
  if (spec.startsWith('sqlite:')) {
    const path = spec.slice('sqlite:'.length);
    if (path === '') throw new Error('--store sqlite:PATH: the path is empty');
    return { kind: 'sqlite', path };
  }
  if (/^ldaps?:\/\//i.test(spec)) {
    let u: URL;
    try {
      u = new URL(spec);
    } catch {
      throw new Error(`--store ${spec}: not a valid LDAP URL (ldap://HOST:PORT/BASE-DN)`);
    }
    if (u.username || u.password) throw new Error('--store: put no credentials in the LDAP URL; use --bind-dn and --bind-password-file (or AIRSHAKE_LDAP_PASSWORD)');
    if (u.search || u.hash) throw new Error(`--store ${spec}: attributes, scope, filter and extensions (?...) are not supported; give ldap://HOST:PORT/BASE-DN`);
    if (!u.hostname) throw new Error(`--store ${spec}: no host`);
    const dn = decodeURIComponent(u.pathname.replace(/^\//, ''));
    const suffix = dn === '' ? DEFAULT_LDAP_SUFFIX : dn;
    if (!/^[A-Za-z][\w-]*=[^,]+(,[A-Za-z][\w-]*=[^,]+)*$/.test(suffix)) throw new Error(`--store ${spec}: base DN ${JSON.stringify(suffix)} is not a DN like o=airshake`);
    return { kind: 'ldap', url: `${u.protocol}//${u.host}`, suffix };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) throw new Error(`--store ${spec}: unknown scheme (sqlite:PATH, ldap:// or ldaps://)`);
  return { kind: 'sqlite', path: spec };
}

export interface OpenStoreOptions {
  bindDn?: string;
  /** The bind password itself (tests); else read from passwordFile, else AIRSHAKE_LDAP_PASSWORD. */
  password?: string;
  passwordFile?: string;
  connectTimeoutMs?: number;
  timeoutMs?: number;
}

/** Opens the store a spec names. */
export function openStore(spec: string | StoreSpec, o: OpenStoreOptions = {}): SqliteCertStore | LdapCertStore {
  const s = typeof spec === 'string' ? parseStoreSpec(spec) : spec;
  if (s.kind === 'sqlite') {
    if (o.bindDn || o.passwordFile) throw new Error('--bind-dn and --bind-password-file are for an ldap:// store');
    return SqliteCertStore.open(s.path);
  }
  let password = o.password;
  if (password === undefined && o.passwordFile) password = readFileSync(o.passwordFile, 'utf8').replace(/\r?\n$/, '');
  if (password === undefined && o.bindDn) password = process.env.AIRSHAKE_LDAP_PASSWORD;
  if (password !== undefined && !o.bindDn) throw new Error('a bind password without --bind-dn');
  if (o.bindDn && password === undefined) throw new Error('--bind-dn needs a password: --bind-password-file FILE or AIRSHAKE_LDAP_PASSWORD');
  return new LdapCertStore({ url: s.url, suffix: s.suffix, bindDn: o.bindDn, password, connectTimeoutMs: o.connectTimeoutMs, timeoutMs: o.timeoutMs });
}

/** A store's name for logs and reports: 'sqlite:PATH' or the URL and suffix (no credentials). */
export function describeStore(s: StoreSpec): string {
  return s.kind === 'sqlite' ? `sqlite:${s.path}` : `${s.url}/${s.suffix}`;
}
