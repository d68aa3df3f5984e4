// Shared set-up for handshake tests: a deployment (CA, certificates, SQLite store), a firmware
// handset with fixed or random randomness, server B on a virtual clock, and one run over a link.
import crypto from 'node:crypto';
import { VirtualClock } from '../../host/link/clock.js';
import { getProfile } from '../../host/link/profiles.js';
import { Handset } from '../../host/handset.js';
import { createDeployment, type Deployment } from '../../host/sim/deployment.js';
import { runHandshake, type RunOptions, type SimResult } from '../../host/sim/run.js';
import type { ServerOptions } from '../../host/server/server.js';

export const EPOCH = Date.UTC(2026, 11, 1, 12) / 1000;

export interface Bench {
  dep: Deployment;
  handset: Handset;
  /** One handshake of handset `index` (default 0) on a fresh server over `link` (default fast). */
  run(o?: { index?: number; link?: string; tamper?: RunOptions['tamper']; server?: Partial<ServerOptions>; serverName?: string; app?: Uint8Array; clockOffsetSec?: number }): SimResult;
  close(): void;
}

/**
 * `fixedRandom` makes every run of the handset produce the same random_A (recorded-handshake
 * tests); B's random_B is then fixed too, so a run is fully repeatable.
 */
export async function makeBench(opts: { handsets?: number; fixedRandom?: boolean } = {}): Promise<Bench> {
  const dep = createDeployment({ now: EPOCH, handsets: opts.handsets ?? 1 });
  const fixedA = new Uint8Array(16).fill(0xa5);
  const handset = await Handset.load({ random: opts.fixedRandom ? (b) => b.set(fixedA.subarray(0, b.length)) : undefined });
  return {
    dep, handset,
    run(o = {}) {
      const h = dep.handsets[o.index ?? 0]!;
      handset.reset();
      handset.provision(h.privateKey, dep.ca.publicKey, o.serverName ?? dep.serverName);
      const clock = new VirtualClock();
      const epochSec = EPOCH + (o.clockOffsetSec ?? 0);
      const server = dep.makeServer(() => EPOCH * 1000 + clock.now(), {
        onApplicationData: (d) => d,
        random: opts.fixedRandom ? (n) => new Uint8Array(n).fill(0xb6) : undefined,
        ...o.server,
      });
      return runHandshake({
        clock, epochSec, profile: getProfile(o.link ?? 'fast'), handset, server,
        appData: o.app ?? new TextEncoder().encode('ping'), tamper: o.tamper,
      });
    },
    close() { dep.close(); },
  };
}

export const randomBytes = (n: number) => new Uint8Array(crypto.randomBytes(n));
export const serverFailures = (r: SimResult) => r.serverEvents.filter((e) => e.type === 'failed').map((e) => (e as { code: number }).code);
