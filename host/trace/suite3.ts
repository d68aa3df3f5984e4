/**
 * Suite-3 trace vectors (docs/PROTOCOL.md, "Suite 3"): on suite 1's trace PKI and static keys
 * (host/trace/suite1.ts), with fixed ephemeral secrets e_A and e_B, two handshakes: one where B
 * sends C_B (encrypted), one where A's hello names the C_B it holds and B leaves it out. Message 1
 * is built from the spec; message 2 is made by server B itself (e_B fixed through its random
 * source); the key schedule is recomputed from A's side (e_A, sk_A) on node:crypto, which checks
 * the DH symmetry of all four terms; B must accept message 3. test/vectors/trace-suite3.json holds
 * the result; test/suite3.test.ts checks that the forward-secret firmware reproduces messages 1
 * and 3 byte for byte.
 */
import crypto from 'node:crypto';
import { SqliteCertStore } from '../store/sqlite.js';
import { AirshakeServer } from '../server/server.js';
import { sealRecord } from '../server/keyschedule.js';
import { buildResponseE, certRef } from '../server/suite3.js';
import { x25519PrivateKey, x25519PublicKey } from '../pki/cert.js';
import { certId } from '../pki/id.js';
import { MsgType, Suite, VERSION } from '../protocol/constants.js';
import { TRACE_INPUTS as S1, TRACE_TIME, fixed, hex, traceCertificates } from './suite1.js';

export { TRACE_TIME };

export const TRACE3_INPUTS = {
  ephemeralA: fixed('suite 3 e_A', 32),
  ephemeralB: fixed('suite 3 e_B', 32),
  appData: new TextEncoder().encode('hello from A'),
};

export interface Trace3Case { messages: { m1: string; m2: string; m3: string }; derived: Record<string, string>; sizes: { m1: number; m2: number; m3: number; bytesBeforeFirstAppByte: number } }
export interface Trace3 {
  description: string;
  time: number;
  inputs: Record<string, string>;
  idA: string;
  refB: string;
  /** B sends C_B (A's hello has no ref_B). */
  full: Trace3Case;
  /** A's hello names C_B by ref_B; B leaves it out. */
  byReference: Trace3Case;
}

function runCase(withRef: boolean): Trace3Case {
  const t = TRACE_TIME, i = TRACE3_INPUTS;
  const { ca, handset, server } = traceCertificates();
  const idA = certId(handset.cert);
  const pub = (raw: Uint8Array) => Buffer.from(crypto.createPublicKey(x25519PrivateKey(raw)).export({ format: 'der', type: 'spki' }).subarray(-32));
  const EA = pub(i.ephemeralA), EB = pub(i.ephemeralB);
  // Message 1 from the spec: 04 01 01 03 | time mod 2^16 | ID_A | E_A | [ref_B]
  const m1 = Buffer.concat([
    Buffer.from([MsgType.HELLO_E, VERSION, 1, Suite.X25519E_ED25519_CHACHAPOLY_SHA256, (t >> 8) & 0xff, t & 0xff]), idA, EA,
    withRef ? certRef(server.cert) : Buffer.alloc(0),
  ]);
  // Message 2 from server B, e_B fixed
  const store = SqliteCertStore.open(':memory:');
  store.enrol(handset.cert, t);
  const out: Uint8Array[] = [];
  const b = new AirshakeServer({
    store, caPublicKey: ca.publicKey, certificate: server.cert, privateKey: server.privateKey,
    now: () => t * 1000, random: (n) => i.ephemeralB.slice(0, n), // a copy: B zeroes its secret draws
  });
  const session = b.connect((m) => out.push(m));
  session.receive(m1);
  if (out.length !== 1 || out[0]![0] !== MsgType.RESPONSE_E) throw new Error(`trace 3: server did not answer with RESPONSE_E (${session.error})`);
  const m2 = Buffer.from(out[0]!);
  // The key schedule from A's side: e_A and sk_A with E_B and pk_B
  const dh = (sk: Uint8Array, pk: Uint8Array) => crypto.diffieHellman({ privateKey: x25519PrivateKey(sk), publicKey: x25519PublicKey(pk) });
  const secrets = { ee: dh(i.ephemeralA, EB), es: dh(i.ephemeralA, server.publicKey), se: dh(S1.handsetKey, EB), ss: dh(S1.handsetKey, server.publicKey) };
  const a = buildResponseE({ hello: m1, EB, dh: secrets, certB: server.cert, refB: withRef ? certRef(server.cert) : null });
  if (!a.message.equals(m2)) throw new Error('trace 3: message 2 recomputed from A\'s side differs from the server\'s');
  const rec = sealRecord(a.keys.kAB, a.keys.ivAB, 0n, i.appData, Suite.X25519E_ED25519_CHACHAPOLY_SHA256);
  const m3 = Buffer.concat([rec.header, rec.body]);
  let delivered: Uint8Array | undefined;
  b.opts.onApplicationData = (d) => { delivered = d; };
  session.receive(m3);
  if (!delivered || hex(delivered) !== hex(i.appData)) throw new Error(`trace 3: server rejected message 3 (${session.error})`);
  b.close(); store.close();
  const d = a.derived;
  return {
    messages: { m1: hex(m1), m2: hex(m2), m3: hex(m3) },
    derived: {
      EA: hex(EA), EB: hex(EB), ee: hex(secrets.ee), es: hex(secrets.es), se: hex(secrets.se), ss: hex(secrets.ss),
      th2: hex(d.th2), prk2: hex(d.prk2), k2: hex(d.k2), prk3: hex(d.prk3), th2b: hex(d.th2b), macB: hex(d.macB), th3: hex(d.th3),
      kAB: hex(a.keys.kAB), ivAB: hex(a.keys.ivAB), kBA: hex(a.keys.kBA), ivBA: hex(a.keys.ivBA), uAB: hex(a.keys.uAB), uBA: hex(a.keys.uBA),
    },
    sizes: { m1: m1.length, m2: m2.length, m3: m3.length, bytesBeforeFirstAppByte: m1.length + m2.length + 3 },
  };
}

export function computeTrace3(): Trace3 {
  const { handset, server } = traceCertificates();
  return {
    description: 'airshake suite 3 (0x03: X25519E-Ed25519-ChaCha20Poly1305-SHA256) on the suite-1 trace PKI and static keys, fixed ephemeral secrets; C_B sent, then named by reference; all byte strings hex',
    time: TRACE_TIME,
    inputs: { ephemeralA: hex(TRACE3_INPUTS.ephemeralA), ephemeralB: hex(TRACE3_INPUTS.ephemeralB), appData: hex(TRACE3_INPUTS.appData) },
    idA: hex(certId(handset.cert)),
    refB: hex(certRef(server.cert)),
    full: runCase(false),
    byReference: runCase(true),
  };
}
