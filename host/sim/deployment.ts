/**
 * A throwaway deployment for the demo, tests and benchmarks: a CA, server B's certificate, some
 * handset certificates enrolled in a real SQLite store file, and server B over it.
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

export interface Deployment {
  dir: string;
  ca: Ca;
  server: Issued;
  serverName: string;
  handsets: (Issued & { id: Uint8Array })[];
  store: SqliteCertStore;
  cache: CertCache<ValidatedCert>;
  makeServer(now: () => number, extra?: Partial<ServerOptions>): AirshakeServer;
  close(): void;
}

export function createDeployment(opts: { now: number; handsets?: number; serverName?: string; dir?: string } ): Deployment {
  const dir = opts.dir ?? mkdtempSync(path.join(os.tmpdir(), 'airshake-'));
  const serverName = opts.serverName ?? 'b.airshake';
  const ca = writeCa(path.join(dir, 'pki'), 'airshake CA', opts.now);
  const server = writeIssued(path.join(dir, 'pki'), ca, serverName, { now: opts.now });
  const store = SqliteCertStore.open(path.join(dir, 'certs.db'));
  const handsets: Deployment['handsets'] = [];
  for (let i = 1; i <= (opts.handsets ?? 1); i++) {
    const h = writeIssued(path.join(dir, 'pki'), ca, `handset-${String(i).padStart(4, '0')}`, { now: opts.now });
    store.enrol(h.cert, opts.now);
    handsets.push(h);
  }
  let cacheNow = () => opts.now * 1000;
  const cache = new CertCache<ValidatedCert>(store, { capacity: 10_000, ttlMs: 3_600_000, now: () => cacheNow() });
  return {
    dir, ca, server, serverName, handsets, store, cache,
    makeServer(now, extra = {}) {
      cacheNow = now;
      return new AirshakeServer({
        store, cache, caPublicKey: ca.publicKey, certificate: server.cert, privateKey: server.privateKey, now, ...extra,
      });
    },
    close() {
      cache.close();
      store.close();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
