// The PKI makes real X.509: OpenSSL reads and verifies it, and the `airshake pki` commands
// create a CA, issue, enrol, revoke and list against a SQLite store file.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCa, issue } from '../host/pki/cert.js';
import { certId } from '../host/pki/id.js';
import { readCa, readX25519Key } from '../host/pki/files.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(root, 'dist/host/cli.js');
const run = (...args: string[]) => execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

test('openssl x509 reads the certificates and verifies the chain; keys are X25519 under an Ed25519 CA', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'airshake-pki-'));
  try {
    const now = Math.floor(Date.now() / 1000);
    const ca = createCa({ name: 'airshake CA', now });
    const b = issue(ca, { name: 'b.airshake', notBefore: now - 60, notAfter: now + 86400 });
    writeFileSync(path.join(dir, 'ca.der'), ca.cert);
    writeFileSync(path.join(dir, 'b.der'), b.cert);
    const text = execFileSync('openssl', ['x509', '-inform', 'der', '-in', path.join(dir, 'b.der'), '-noout', '-text'], { encoding: 'utf8' });
    assert.match(text, /Signature Algorithm: ED25519/);
    assert.match(text, /Public Key Algorithm: X25519/);
    assert.match(text, /Subject: CN ?= ?b\.airshake/);
    assert.match(text, /Key Usage: critical\s+Key Agreement/);
    for (const f of ['ca', 'b']) execFileSync('openssl', ['x509', '-inform', 'der', '-in', path.join(dir, `${f}.der`), '-out', path.join(dir, `${f}.pem`)]);
    const v = execFileSync('openssl', ['verify', '-CAfile', path.join(dir, 'ca.pem'), path.join(dir, 'b.pem')], { encoding: 'utf8' });
    assert.match(v, /: OK/);
    assert.ok(b.cert.length < 260, `server certificate is ${b.cert.length} bytes; it crosses the air`);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('airshake pki: ca, issue, enrol, list, revoke; enrolment refuses a colliding ID', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'airshake-cli-'));
  try {
    const store = path.join(dir, 'certs.db');
    assert.match(run('pki', 'ca', '--dir', dir, '--name', 'test CA'), /CA "test CA"/);
    const out = run('pki', 'issue', '--dir', dir, '--name', 'handset-0042');
    const id = /ID_A ([0-9a-f]{16})/.exec(out)![1]!;
    assert.match(run('pki', 'enrol', '--store', store, path.join(dir, 'handset-0042.der')), new RegExp(`as ${id}`));
    assert.match(run('pki', 'list', '--store', store), new RegExp(`${id}\\s+CN=handset-0042`));
    // the same key in a second certificate (new serial) has the same ID: refused
    const again = issue(readCa(dir), { name: 'handset-0042', notBefore: 0, notAfter: 2e9, privateKey: readX25519Key(path.join(dir, 'handset-0042.key.pem')) });
    writeFileSync(path.join(dir, 'again.der'), again.cert);
    assert.equal(Buffer.from(certId(again.cert)).toString('hex'), id);
    assert.throws(() => run('pki', 'enrol', '--store', store, path.join(dir, 'again.der')), /collid|already/i);
    // a certificate without an X25519 key (the CA's own) is not a handset certificate
    assert.throws(() => run('pki', 'enrol', '--store', store, path.join(dir, 'ca.der')), /X25519/);
    assert.match(run('pki', 'revoke', '--store', store, '--id', id, '--reason', 'stolen'), /revoked/);
    assert.match(run('pki', 'list', '--store', store), /REVOKED .*\(stolen\)/);
    assert.throws(() => run('pki', 'revoke', '--store', store, '--id', 'zz'), /16 hex digits/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('certId is SHA-256 over the SPKI, first 8 bytes', () => {
  const now = Math.floor(Date.now() / 1000);
  const ca = createCa({ name: 'x', now });
  const a = issue(ca, { name: 'a', notBefore: now, notAfter: now + 10 });
  const spki = Buffer.concat([Buffer.from('302a300506032b656e032100', 'hex'), a.publicKey]);
  const want = execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: spki }).subarray(0, 8);
  assert.equal(Buffer.from(certId(a.cert)).toString('hex'), want.toString('hex'));
});
