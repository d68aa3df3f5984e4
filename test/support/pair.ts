// A handshake in one of the demo suites between the firmware handset and an in-process server B,
// completed with an empty first record: the pair, ready for records and key updates.
import assert from 'node:assert/strict';
import { createDeployment, type Deployment } from '../../host/sim/deployment.js';
import { loadHandset, provisionHandset, startFor, suiteSetup, type DemoSuite } from '../../host/sim/suites.js';
import { Err } from '../../host/protocol/constants.js';
import type { Handset } from '../../host/handset.js';
import type { ServerOptions, ServerSession } from '../../host/server/server.js';
import { hex } from './files.js';

export interface Pair {
  dep: Deployment;
  h: Handset;
  s: ServerSession;
  /** Messages from B to A, not yet taken. */
  toA: Uint8Array[];
  /** Application data B received, hex. */
  atB: string[];
}

/** Establishes the pair at `now` (Unix seconds); `server` adds B options. The caller closes pair.dep. */
export async function establishedPair(suite: DemoSuite, now: number, server: Partial<ServerOptions> = {}): Promise<Pair> {
  const setup = suiteSetup(suite);
  const dep = createDeployment({ now, handsets: 1, suites: setup.deploy });
  try {
    const h = await loadHandset(setup);
    provisionHandset(h, setup, dep, dep.handsets[0]!);
    const toA: Uint8Array[] = [];
    const atB: string[] = [];
    const b = dep.makeServer(() => now * 1000, { ...setup.server, onApplicationData: (d) => { atB.push(hex(d)); }, ...server });
    const s = b.connect((m) => toA.push(m));
    s.receive(startFor(setup, h)(now));
    s.receive(h.finish(toA.shift()!, now, new Uint8Array(0)));
    assert.equal(s.error, Err.OK);
    return { dep, h, s, toA, atB };
  } catch (e) { dep.close(); throw e; }
}
