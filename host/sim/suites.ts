/**
 * The suite a demo or benchmark run exercises, and how its handset and server B are set up:
 *
 * - `x25519` (suite 1, the default): the suite-1 firmware build/handset.wasm, provisioned with
 *   the handset's X25519 key and the Ed25519 CA key; B serves suite 1.
 * - `p256` (suite 2): the dual firmware build/handset-dual.wasm offering suite 2, then suite 1
 *   (both keys and CA keys provisioned, ID_A from the P-256 key), and B with both identities
 *   and the preference 2, 1, so that B picks suite 2 among the suites A offers.
 * - `fs` (suite 3): the forward-secret firmware build/handset-fs.wasm, provisioned as for suite 1,
 *   sending HELLO_E (startFs); B serves suite 3 with its suite-1 identity.
 * - `kt` (suite 4, key transport): the same firmware, its classic hello offering 4 then 1, B
 *   preferring 4 (suite 1's identity).
 */
import { Handset } from '../handset.js';
import type { Deployment, DeployedHandset } from './deployment.js';
import type { ServerOptions } from '../server/server.js';
import { Suite } from '../protocol/constants.js';

export const DEMO_SUITES = ['x25519', 'p256', 'fs', 'kt'] as const;
export type DemoSuite = (typeof DEMO_SUITES)[number];

export interface SuiteSetup {
  suite: DemoSuite;
  /** The suites to deploy (createDeployment's `suites`). */
  deploy: number[];
  /** The firmware file the handset runs. */
  firmware: string;
  /** The handset's offer, most preferred first. */
  offer: number[];
  /** B's options beyond the deployment's: its suite preference. */
  server: Partial<ServerOptions>;
}

const S1 = Suite.X25519_ED25519_CHACHAPOLY_SHA256, S2 = Suite.P256_ECDSA_AES128CCM8_SHA256, S3 = Suite.X25519E_ED25519_CHACHAPOLY_SHA256, S4 = Suite.X25519KT_ED25519_CHACHAPOLY_SHA256;

export function suiteSetup(name: string): SuiteSetup {
  switch (name) {
    case 'x25519':
      return { suite: 'x25519', deploy: [S1], firmware: 'build/handset.wasm', offer: [S1], server: {} };
    case 'p256':
      return { suite: 'p256', deploy: [S1, S2], firmware: 'build/handset-dual.wasm', offer: [S2, S1], server: { suites: [S2, S1] } };
    case 'fs':
      // suite 3 on suite 1's PKI: the same keys and certificates; A sends HELLO_E (startFs)
      return { suite: 'fs', deploy: [S1], firmware: 'build/handset-fs.wasm', offer: [S3], server: {} };
    case 'kt':
      // suite 4 (key transport) on suite 1's PKI: the classic hello offers 4, then 1; B prefers 4
      return { suite: 'kt', deploy: [S1], firmware: 'build/handset-fs.wasm', offer: [S4, S1], server: { suites: [S4, S1] } };
    default:
      throw new Error(`unknown suite ${JSON.stringify(name)} (one of ${DEMO_SUITES.join(', ')})`);
  }
}

/** Loads the setup's firmware (once per run; provisionHandset then (re)provisions it). */
export async function loadHandset(s: SuiteSetup): Promise<Handset> {
  return Handset.load(s.suite === 'p256' ? { build: 'dual' } : s.suite === 'fs' || s.suite === 'kt' ? { build: 'fs' } : {});
}

/** Provisions `handset` as the deployed handset `h` for the setup's offer (any previous session is wiped). */
export function provisionHandset(handset: Handset, s: SuiteSetup, dep: Deployment, h: DeployedHandset): void {
  if (s.suite === 'x25519' || s.suite === 'fs' || s.suite === 'kt') {
    handset.provision(h.privateKey, dep.ca.publicKey, dep.serverName);
    if (s.suite === 'kt') handset.offer(s.offer);
    return;
  }
  if (!h.p256 || !dep.caP256) throw new Error('provisionHandset: the deployment has no suite-2 PKI (deploy suites [1, 2])');
  handset.provisionSuites({
    suites: s.offer,
    x25519: { secretKey: h.privateKey, caPublicKey: dep.ca.publicKey },
    p256: { secretKey: h.p256.privateKey, caPublicKey: dep.caP256.publicKey },
    serverName: dep.serverName,
  });
}

/** Message 1 for the setup: suite 3's HELLO_E (startFs), else the classic HELLO. */
export function startFor(s: SuiteSetup, handset: Handset): (nowSec: number) => Uint8Array {
  return s.suite === 'fs' ? (t) => handset.startFs(t) : (t) => handset.start(t);
}

/** The handset's ID_A as B sees it: from the first offered suite's key. */
export function handsetId(s: SuiteSetup, h: DeployedHandset): Uint8Array {
  return s.offer[0] === S2 && h.p256 ? h.p256.id : h.id;
}
