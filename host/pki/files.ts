/**
 * The PKI on disk, for `airshake pki`: a CA directory holds ca.der and ca.key.pem (PKCS#8
 * Ed25519); issuing writes NAME.der and NAME.key.pem (PKCS#8 X25519) beside it. Suite 2 lives in
 * the same directory under its own names: ca-p256.der and ca-p256.key.pem (PKCS#8 P-256), and
 * NAME.p256.der and NAME.p256.key.pem for an end entity. Certificates are plain DER that
 * `openssl x509 -inform der -text` reads.
 */
import crypto from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createCa, createCaP256, issue, issueP256, p256PrivateKey, rawKey, type Ca, type Issued } from './cert.js';
import { certId } from './id.js';

const DAY = 86400;

/** The suites whose PKI files this module writes: 1 (Ed25519 / X25519) and 2 (P-256). */
export type PkiSuite = 1 | 2;
const caBase = (suite: PkiSuite) => (suite === 2 ? 'ca-p256' : 'ca');
const eeBase = (name: string, suite: PkiSuite) => (suite === 2 ? `${name}.p256` : name);

export function writeCa(dir: string, name: string, now = Math.floor(Date.now() / 1000), days = 3650, suite: PkiSuite = 1): Ca {
  mkdirSync(dir, { recursive: true });
  const base = caBase(suite);
  if (existsSync(path.join(dir, `${base}.key.pem`))) throw new Error(`${dir} already holds a CA (${base}.key.pem)`);
  const ca = suite === 2 ? createCaP256({ name, now, days }) : createCa({ name, now, days });
  writeFileSync(path.join(dir, `${base}.der`), ca.cert);
  writeFileSync(path.join(dir, `${base}.key.pem`), ca.key.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return ca;
}

export function readCa(dir: string, suite: PkiSuite = 1): Ca {
  const base = caBase(suite);
  const keyFile = path.join(dir, `${base}.key.pem`), certFile = path.join(dir, `${base}.der`);
  if (!existsSync(keyFile) || !existsSync(certFile)) throw new Error(`no ${suite === 2 ? 'P-256 ' : ''}CA in ${dir} (run: airshake pki ca --dir ${dir})`);
  const key = crypto.createPrivateKey(readFileSync(keyFile));
  const cert = new Uint8Array(readFileSync(certFile));
  const x = new crypto.X509Certificate(cert);
  const name = /CN=([^\n,]+)/.exec(x.subject)?.[1] ?? x.subject;
  return { name, key, publicKey: rawKey(crypto.createPublicKey(key)), cert };
}

/**
 * Issues NAME's certificate with `ca` and writes it with its key. Suite 1: an X25519 key;
 * suite 2: a P-256 key (give `ca` a P-256 CA). `privateKey` fixes the key (32 bytes either way).
 */
export function writeIssued(dir: string, ca: Ca, name: string, opts: { now?: number; days?: number; notBefore?: number; notAfter?: number; suite?: PkiSuite; privateKey?: Uint8Array } = {}): Issued & { id: Uint8Array; certFile: string; keyFile: string } {
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$/.test(name)) throw new Error(`name must be 1-64 letters, digits, dots or dashes: ${JSON.stringify(name)}`);
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const suite = opts.suite ?? 1;
  const spec = { name, notBefore: opts.notBefore ?? now - 60, notAfter: opts.notAfter ?? now + (opts.days ?? 365) * DAY, privateKey: opts.privateKey };
  const issued = suite === 2 ? issueP256(ca, spec) : issue(ca, spec);
  const base = eeBase(name, suite);
  const certFile = path.join(dir, `${base}.der`), keyFile = path.join(dir, `${base}.key.pem`);
  writeFileSync(certFile, issued.cert);
  const priv = suite === 2
    ? p256PrivateKey(issued.privateKey)
    : crypto.createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), issued.privateKey]), format: 'der', type: 'pkcs8' });
  writeFileSync(keyFile, priv.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return { ...issued, id: certId(issued.cert), certFile, keyFile };
}

/** The raw 32-byte X25519 private key of a NAME.key.pem. */
export function readX25519Key(file: string): Uint8Array {
  return rawKey(crypto.createPrivateKey(readFileSync(file)));
}

/** The raw 32-byte P-256 private scalar of a NAME.p256.key.pem (or ca-p256.key.pem). */
export function readP256Key(file: string): Uint8Array {
  const k = crypto.createPrivateKey(readFileSync(file));
  if (k.asymmetricKeyType !== 'ec') throw new Error(`${file}: not a P-256 key (${k.asymmetricKeyType})`);
  return rawKey(k);
}
