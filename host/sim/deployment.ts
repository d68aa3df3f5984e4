/**
 * A throwaway deployment for the demo, tests and benchmarks: a CA, server B's certificate, some
 * handset certificates enrolled in a real SQLite store file, and server B over it. With
 * `suites: [1, 2]` (or `[2]`) it adds suite 2: a P-256 CA, B's P-256 certificate, and per handset
 * a P-256 key and certificate with the same subject, enrolled together with its suite-1 one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeCa, writeIssued } from '../pki/files.js';
import type { Ca, Issued } from '../pki/cert.js';
import { SqliteCertStore } from '../store/sqlite.js';
import { CertCache } from '../store/cache.js';
import { AirshakeServer, type ServerOptions } from '../server/server.js';
import type { ValidatedCert } from '../server/validate.js';

export type DeployedHandset = Issued & {
  id: Uint8Array;
  /** Suite 2: the handset's P-256 key (32-byte scalar, 65-byte point), certificate and ID (when deployed). */
  p256?: Issued & { id: Uint8Array };
};

export interface Deployment {
  dir: string;
  /** Suite 1's CA (Ed25519) and B's suite-1 identity. */
  ca: Ca;
  server: Issued;
  /** Suite 2's CA (ECDSA P-256; publicKey is the 65-byte point) and B's suite-2 identity, when deployed. */
  caP256?: Ca;
  serverP256?: Issued;
  serverName: string;
  /** The suites deployed. */
  suites: number[];
  handsets: DeployedHandset[];
  store: SqliteCertStore;
  cache: CertCache<ValidatedCert>;
  makeServer(now: () => number, extra?: Partial<ServerOptions>): AirshakeServer;
  close(): void;
}

export function createDeployment(opts: { now: number; handsets?: number; serverName?: string; dir?: string; suites?: number[] }): Deployment {
  const suites = [...new Set(opts.suites ?? [1])].sort((a, b) => a - b);
  for (const x of suites) if (x !== 1 && x !== 2) throw new Error(`createDeployment: unknown suite ${x}`);
  const with2 = suites.includes(2);
  const dir = opts.dir ?? mkdtempSync(path.join(os.tmpdir(), 'airshake-'));
  const pki = path.join(dir, 'pki');
  const serverName = opts.serverName ?? 'b.airshake';
  // Suite 1's PKI is always made (the handset's suite-1 certificate names it); it serves only if deployed.
  const ca = writeCa(pki, 'airshake CA', opts.now);
  const server = writeIssued(pki, ca, serverName, { now: opts.now });
  const caP256 = with2 ? writeCa(pki, 'airshake CA P-256', opts.now, undefined, 2) : undefined;
  const serverP256 = caP256 ? writeIssued(pki, caP256, serverName, { now: opts.now, suite: 2 }) : undefined;
  const store = SqliteCertStore.open(path.join(dir, 'certs.db'));
  const handsets: Deployment['handsets'] = [];
  for (let i = 1; i <= (opts.handsets ?? 1); i++) {
    const name = `handset-${String(i).padStart(4, '0')}`;
    const h: DeployedHandset = writeIssued(pki, ca, name, { now: opts.now });
    if (caP256) {
      h.p256 = writeIssued(pki, caP256, name, { now: opts.now, suite: 2 });
      // one handset: both certificates enrolled together (the store finds both by either ID)
      store.enrolHandset(suites.includes(1) ? [h.cert, h.p256.cert] : [h.p256.cert], opts.now);
    } else store.enrol(h.cert, opts.now);
    handsets.push(h);
  }
  let cacheNow = () => opts.now * 1000;
  const cache = new CertCache<ValidatedCert>(store, { capacity: 10_000, ttlMs: 3_600_000, now: () => cacheNow() });
  return {
    dir, ca, server, caP256, serverP256, serverName, suites, handsets, store, cache,
    makeServer(now, extra = {}) {
      cacheNow = now;
      // Suite 1 through the original options (so that `extra` can still replace them), suite 2 beside it.
      const base: ServerOptions = suites.includes(1)
        ? { store, cache, caPublicKey: ca.publicKey, certificate: server.cert, privateKey: server.privateKey, now }
        : { store, cache, now };
      if (serverP256 && caP256) {
        base.identities = { 2: { certificate: serverP256.cert, privateKey: serverP256.privateKey } };
        base.caKeys = { 2: caP256.publicKey };
      }
      return new AirshakeServer({ ...base, ...extra });
    },
    close() {
      cache.close();
      store.close();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
