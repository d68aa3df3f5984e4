/** `--store` values (host/store/open.ts): the SQLite and LDAP forms, and the errors for bad ones. */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStore, parseStoreSpec } from '../host/store/open.js';
import { SqliteCertStore } from '../host/store/sqlite.js';
import { LdapCertStore } from '../host/store/ldap.js';

test('--store forms: sqlite:PATH, a bare path, ldap:// and ldaps:// with the base DN as the URL path', () => {
  assert.deepEqual(parseStoreSpec('sqlite:/var/lib/airshake/certs.db'), { kind: 'sqlite', path: '/var/lib/airshake/certs.db' });
  assert.deepEqual(parseStoreSpec('certs.db'), { kind: 'sqlite', path: 'certs.db' });
  assert.deepEqual(parseStoreSpec('ldap://127.0.0.1:3890/o=airshake'), { kind: 'ldap', url: 'ldap://127.0.0.1:3890', suffix: 'o=airshake' });
  assert.deepEqual(parseStoreSpec('ldap://dir.example:389'), { kind: 'ldap', url: 'ldap://dir.example:389', suffix: 'o=airshake' });
  assert.deepEqual(parseStoreSpec('ldaps://dir.example/ou=b%2Co=airshake'), { kind: 'ldap', url: 'ldaps://dir.example', suffix: 'ou=b,o=airshake' });
});

test('--store errors name the problem', () => {
  assert.throws(() => parseStoreSpec(''), /empty/);
  assert.throws(() => parseStoreSpec('sqlite:'), /path is empty/);
  assert.throws(() => parseStoreSpec('ldap://admin:secret@127.0.0.1/o=airshake'), /no credentials in the LDAP URL/);
  assert.throws(() => parseStoreSpec('ldap://127.0.0.1/o=airshake?cn?sub'), /not supported/);
  assert.throws(() => parseStoreSpec('ldap://127.0.0.1/not a dn'), /not a DN/);
  assert.throws(() => parseStoreSpec('postgres://127.0.0.1/db'), /unknown scheme/);
  assert.throws(() => openStore('ldap://127.0.0.1:1/o=airshake', { bindDn: 'cn=admin,o=airshake' }), /needs a password/);
  assert.throws(() => openStore('sqlite:x.db', { bindDn: 'cn=admin,o=airshake' }), /for an ldap:\/\/ store/);
});

test('openStore opens a SQLite file or an LdapCertStore (password from a file)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'airshake-spec-'));
  try {
    const s = openStore(`sqlite:${path.join(dir, 'c.db')}`);
    assert.ok(s instanceof SqliteCertStore);
    s.close();
    const pw = path.join(dir, 'pw');
    writeFileSync(pw, 'secret\n');
    const l = openStore('ldap://127.0.0.1:1/o=test', { bindDn: 'cn=admin,o=test', passwordFile: pw });
    assert.ok(l instanceof LdapCertStore);
    assert.equal(l.suffix, 'o=test');
    await l.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
