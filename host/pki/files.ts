/**
 * The PKI on disk, for `airshake pki`: a CA directory holds ca.der and ca.key.pem (PKCS#8
 * Ed25519); issuing writes NAME.der and NAME.key.pem (PKCS#8 X25519) beside it. Certificates
 * are plain DER that `openssl x509 -inform der -text` reads.
 */
import crypto from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createCa, issue, rawKey, type Ca, type Issued } from './cert.js';
import { certId } from './id.js';

const DAY = 86400;

export function writeCa(dir: string, name: string, now = Math.floor(Date.now() / 1000), days = 3650): Ca {
  mkdirSync(dir, { recursive: true });
  if (existsSync(path.join(dir, 'ca.key.pem'))) throw new Error(`${dir} already holds a CA (ca.key.pem)`);
  const ca = createCa({ name, now, days });
  writeFileSync(path.join(dir, 'ca.der'), ca.cert);
  writeFileSync(path.join(dir, 'ca.key.pem'), ca.key.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return ca;
}

export function readCa(dir: string): Ca {
  const keyFile = path.join(dir, 'ca.key.pem'), certFile = path.join(dir, 'ca.der');
  if (!existsSync(keyFile) || !existsSync(certFile)) throw new Error(`no CA in ${dir} (run: airshake pki ca --dir ${dir})`);
  const key = crypto.createPrivateKey(readFileSync(keyFile));
  const cert = new Uint8Array(readFileSync(certFile));
  const x = new crypto.X509Certificate(cert);
  const name = /CN=([^\n,]+)/.exec(x.subject)?.[1] ?? x.subject;
  return { name, key, publicKey: rawKey(crypto.createPublicKey(key)), cert };
}

export function writeIssued(dir: string, ca: Ca, name: string, opts: { now?: number; days?: number; notBefore?: number; notAfter?: number } = {}): Issued & { id: Uint8Array; certFile: string; keyFile: string } {
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$/.test(name)) throw new Error(`name must be 1-64 letters, digits, dots or dashes: ${JSON.stringify(name)}`);
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const issued = issue(ca, { name, notBefore: opts.notBefore ?? now - 60, notAfter: opts.notAfter ?? now + (opts.days ?? 365) * DAY });
  const certFile = path.join(dir, `${name}.der`), keyFile = path.join(dir, `${name}.key.pem`);
  writeFileSync(certFile, issued.cert);
  const priv = crypto.createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), issued.privateKey]), format: 'der', type: 'pkcs8' });
  writeFileSync(keyFile, priv.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return { ...issued, id: certId(issued.cert), certFile, keyFile };
}

/** The raw 32-byte X25519 private key of a NAME.key.pem. */
export function readX25519Key(file: string): Uint8Array {
  return rawKey(crypto.createPrivateKey(readFileSync(file)));
}
