/**
 * Suite-1 trace vectors (docs/PROTOCOL.md §Trace vectors; RFC 9529 does the same for EDHOC):
 * with fixed keys, randoms, serials and time, the exact bytes of the certificates, the three
 * messages and every derived value. `computeTrace()` computes them with the host's node:crypto
 * code (server B's key schedule, message 2 from AirshakeServer itself); the tests check that the
 * committed test/vectors/trace-suite1.json equals it and that the firmware reproduces messages 1
 * and 3 byte for byte.
 */
import crypto from 'node:crypto';
import { createCa, issue, x25519PrivateKey, x25519PublicKey } from '../pki/cert.js';
import { certId } from '../pki/id.js';
import { SqliteCertStore } from '../store/sqlite.js';
import { AirshakeServer } from '../server/server.js';
import { hkdfExtract, macA, macB, sealRecord, trafficKeys } from '../server/keyschedule.js';
import { MsgType, Suite, VERSION } from '../protocol/constants.js';

/** 2026-12-01T00:00:00Z, the handset's and the server's clock in the trace. */
export const TRACE_TIME = Date.UTC(2026, 11, 1) / 1000;

/** Fixed, random-looking inputs: SHA-256 of a label, cut to length. */
export const fixed = (label: string, n: number): Uint8Array =>
  new Uint8Array(crypto.createHash('sha256').update(`airshake trace ${label}`).digest().subarray(0, n));

export const TRACE_INPUTS = {
  caSeed: fixed('ca seed', 32),
  caSerial: new Uint8Array([0x01]),
  handsetKey: fixed('handset key', 32),
  handsetSerial: new Uint8Array([0x10, 0x01]),
  serverKey: fixed('server key', 32),
  serverSerial: new Uint8Array([0x20, 0x01]),
  randomA: fixed('random_A', 16),
  randomB: fixed('random_B', 16),
  appData: new TextEncoder().encode('hello from A'),
  caName: 'airshake CA',
  handsetName: 'handset-0001',
  serverName: 'b.airshake',
};

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export interface Trace {
  description: string;
  time: number;
  inputs: Record<string, string>;
  certificates: { ca: string; handset: string; server: string; caPublicKey: string };
  idA: string;
  messages: { m1: string; m2: string; m3: string };
  derived: Record<string, string>;
  sizes: { m1: number; m2: number; m3: number; bytesBeforeFirstAppByte: number };
}

export function traceCertificates() {
  const i = TRACE_INPUTS, t = TRACE_TIME;
  const ca = createCa({ name: i.caName, now: t, seed: i.caSeed, serial: i.caSerial, days: 3650 });
  const handset = issue(ca, { name: i.handsetName, notBefore: t - 86400, notAfter: t + 365 * 86400, privateKey: i.handsetKey, serial: i.handsetSerial });
  const server = issue(ca, { name: i.serverName, notBefore: t - 86400, notAfter: t + 365 * 86400, privateKey: i.serverKey, serial: i.serverSerial });
  return { ca, handset, server };
}

/**
 * The suite-1 trace handshake, run: server B (random_B fixed) answers the spec-built message 1,
 * the key schedule is recomputed step by step on node:crypto, and B accepts the message 3 built
 * from it. The session is left established (for the key-update trace, host/trace/keyupdate.ts);
 * call close() when done.
 */
export function traceHandshake() {
  const i = TRACE_INPUTS, t = TRACE_TIME;
  const { ca, handset, server } = traceCertificates();
  const idA = certId(handset.cert);
  // Message 1, built from the spec.
  const ts = Buffer.alloc(4); ts.writeUInt32BE(t);
  const m1 = Buffer.concat([Buffer.from([MsgType.HELLO, VERSION, 1, Suite.X25519_ED25519_CHACHAPOLY_SHA256]), i.randomA, ts, idA]);
  // Message 2, from server B itself with random_B fixed.
  const store = SqliteCertStore.open(':memory:');
  store.enrol(handset.cert, t);
  const out: Uint8Array[] = [];
  const b = new AirshakeServer({
    store, caPublicKey: ca.publicKey, certificate: server.cert, privateKey: server.privateKey,
    now: () => t * 1000, random: () => i.randomB,
  });
  const session = b.connect((m) => out.push(m));
  session.receive(m1);
  if (out.length !== 1 || out[0]![0] !== MsgType.RESPONSE) throw new Error(`trace: server did not answer with message 2 (${session.error})`);
  const m2 = Buffer.from(out[0]!);
  out.length = 0;
  // The key schedule, step by step.
  const z = crypto.diffieHellman({ privateKey: x25519PrivateKey(i.handsetKey), publicKey: x25519PublicKey(server.publicKey) });
  const prk = hkdfExtract(Buffer.concat([i.randomA, i.randomB]), z);
  const th2 = crypto.createHash('sha256').update(m1).update(m2.subarray(0, m2.length - 16)).digest();
  const mB = macB(prk, th2);
  if (!mB.equals(m2.subarray(m2.length - 16))) throw new Error('trace: MAC_B differs from the server\'s');
  const th3 = crypto.createHash('sha256').update(m1).update(m2).digest();
  const mA = macA(prk, th3);
  const k = trafficKeys(prk, th3);
  const rec = sealRecord(k.kAB, k.ivAB, 0n, i.appData);
  const m3 = Buffer.concat([Buffer.from([MsgType.FINISH]), mA, rec.header.subarray(1), rec.body]);
  // The server must accept message 3 and deliver the application data.
  const delivered: Uint8Array[] = [];
  b.opts.onApplicationData = (d) => { delivered.push(Buffer.from(d)); };
  session.receive(m3);
  if (delivered.length !== 1 || hex(delivered[0]!) !== hex(i.appData)) throw new Error('trace: server rejected message 3');
  return {
    ca, handset, server, idA, m1, m2, m3, z, prk, th2, mB, th3, mA, k, b, session, out, delivered,
    close() { b.close(); store.close(); },
  };
}

export function computeTrace(): Trace {
  const i = TRACE_INPUTS, t = TRACE_TIME;
  const { ca, handset, server, idA, m1, m2, m3, z, prk, th2, mB, th3, mA, k, close } = traceHandshake();
  close();
  return {
    description: 'airshake suite 1 (0x01: X25519-Ed25519-ChaCha20Poly1305-SHA256), fixed inputs; all byte strings hex',
    time: t,
    inputs: {
      caSeed: hex(i.caSeed), handsetPrivateKey: hex(i.handsetKey), serverPrivateKey: hex(i.serverKey),
      randomA: hex(i.randomA), randomB: hex(i.randomB), appData: hex(i.appData),
      caName: i.caName, handsetName: i.handsetName, serverName: i.serverName,
    },
    certificates: { ca: hex(ca.cert), handset: hex(handset.cert), server: hex(server.cert), caPublicKey: hex(ca.publicKey) },
    idA: hex(idA),
    messages: { m1: hex(m1), m2: hex(m2), m3: hex(m3) },
    derived: {
      handsetPublicKey: hex(handset.publicKey), serverPublicKey: hex(server.publicKey),
      z: hex(z), prk: hex(prk), th2: hex(th2), macB: hex(mB), th3: hex(th3), macA: hex(mA),
      kAB: hex(k.kAB), ivAB: hex(k.ivAB), kBA: hex(k.kBA), ivBA: hex(k.ivBA),
    },
    sizes: { m1: m1.length, m2: m2.length, m3: m3.length, bytesBeforeFirstAppByte: m1.length + m2.length + 19 },
  };
}
