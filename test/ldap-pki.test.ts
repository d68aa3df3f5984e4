// airshake pki enrol / list / revoke on the OpenLDAP directory (issue 8), and LdapCertStore's
// enrolHandset (one handset's certificates for suites 1 and 2 enrolled together, with the SQLite
// store's rules), against a real slapd the test starts (host/store/slapd.ts).
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createCa, createCaP256, issue, issueP256 } from '../host/pki/cert.js';
import { certId } from '../host/pki/id.js';
import { LdapCertStore } from '../host/store/ldap.js';
import { Slapd } from '../host/store/slapd.js';
import { HandsetConflictError, IdCollisionError } from '../host/store/types.js';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(root, 'dist/host/cli.js');
const NOW = Math.floor(Date.now() / 1000);
const hex = (u: Uint8Array) => Buffer.from(u).toString('hex');

test('LDAP: enrolHandset and airshake pki enrol/list/revoke --store ldap://', { timeout: 120_000 }, async () => {
  const slapd = await Slapd.start();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'airshake-ldap-pki-'));
  const admin = new LdapCertStore({ url: slapd.url, bindDn: slapd.rootDn, password: slapd.rootPw });
  try {
    const ca1 = createCa({ name: 'ca', now: NOW }), ca2 = createCaP256({ name: 'ca p256', now: NOW });
    const spec = { notBefore: NOW - 60, notAfter: NOW + 86400 };
    // enrolHandset: one handset, two suites; found by either ID; the rules of the SQLite store
    const a1 = issue(ca1, { name: 'handset-0001', ...spec }), a2 = issueP256(ca2, { name: 'handset-0001', ...spec });
    const got = await admin.enrolHandset([a1.cert, a2.cert], NOW);
    assert.deepEqual(got.map((c) => hex(c.id)), [hex(certId(a1.cert)), hex(certId(a2.cert))]);
    for (const c of [a1, a2]) assert.deepEqual((await admin.lookupHandset(certId(c.cert))).map((x) => hex(x.id)).sort(), [hex(certId(a1.cert)), hex(certId(a2.cert))].sort());
    assert.equal((await admin.enrolHandset([a2.cert, a1.cert], NOW)).length, 2, 'the same handset again: idempotent');
    const other = issue(ca1, { name: 'handset-0002', ...spec });
    await assert.rejects(admin.enrolHandset([other.cert, a2.cert], NOW), HandsetConflictError, 'a certificate of another subject');
    await assert.rejects(admin.enrolHandset([issue(ca1, { name: 'handset-0001', ...spec }).cert, a1.cert], NOW), HandsetConflictError, 'two X25519 certificates in one handset');
    const collide = issue(ca1, { name: 'handset-0001', ...spec, privateKey: a1.privateKey });
    await assert.rejects(admin.enrolHandset([collide.cert], NOW), IdCollisionError);
    assert.equal(await admin.lookup(certId(other.cert)), null, 'a refused call adds nothing');

    // the CLI on the same directory, bind DN and a password file
    const pw = path.join(dir, 'pw'); writeFileSync(pw, slapd.rootPw + '\n', { mode: 0o600 });
    const store = ['--store', `${slapd.url}/o=airshake`, '--bind-dn', slapd.rootDn, '--bind-password-file', pw];
    const b1 = issue(ca1, { name: 'handset-0003', ...spec }), b2 = issueP256(ca2, { name: 'handset-0003', ...spec });
    writeFileSync(path.join(dir, 'b1.der'), b1.cert); writeFileSync(path.join(dir, 'b2.der'), b2.cert);
    const enrolled = (await run(process.execPath, [cli, 'pki', 'enrol', ...store, path.join(dir, 'b1.der'), path.join(dir, 'b2.der')])).stdout;
    assert.match(enrolled, new RegExp(`as ${hex(certId(b1.cert))} \\(one handset of 2 certificates\\)`));
    const listed = (await run(process.execPath, [cli, 'pki', 'list', ...store])).stdout;
    for (const c of [a1, a2, b1, b2]) assert.match(listed, new RegExp(hex(certId(c.cert))));
    const revoked = (await run(process.execPath, [cli, 'pki', 'revoke', ...store, '--id', hex(certId(b2.cert)), '--reason', 'lost'])).stdout;
    assert.match(revoked, /revoked .* \(lost\); revocation #\d+/);
    assert.notEqual((await admin.lookup(certId(b2.cert)))!.revokedAt, null);
    // an anonymous bind cannot write
    await assert.rejects(run(process.execPath, [cli, 'pki', 'enrol', '--store', `${slapd.url}/o=airshake`, path.join(dir, 'b1.der')]), /airshake: /);
  } finally {
    await admin.close();
    await slapd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
