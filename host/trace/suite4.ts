/**
 * Suite-4 trace vectors (docs/PROTOCOL.md, "Suite 4: key transport"): on suite 1's trace PKI,
 * static keys and random_A, A offers suites 4 and 1 in a classic hello; B (random_B, pms and e_B
 * fixed through its random source, in that order) chooses 4. Message 1 is built from the spec,
 * message 2 made by server B itself; A's side is recomputed on node:crypto (Z_e from sk_A and
 * E_B, pms opened, PRK, MAC_B, MAC_A, the keys) and B must accept message 3.
 * test/vectors/trace-suite4.json holds the result; test/suite4.test.ts checks that the
 * forward-secret firmware reproduces messages 1 and 3.
 */
import crypto from 'node:crypto';
import { SqliteCertStore } from '../store/sqlite.js';
import { AirshakeServer } from '../server/server.js';
import { hkdfExpand, hkdfExtract, macA, macB, sealRecord, trafficKeys } from '../server/keyschedule.js';
import { x25519PrivateKey, x25519PublicKey } from '../pki/cert.js';
import { certId } from '../pki/id.js';
import { MAC_LEN, MsgType, Suite, VERSION } from '../protocol/constants.js';
import { TRACE_INPUTS as S1, TRACE_TIME, fixed, hex, traceCertificates, type Trace } from './suite1.js';

export { TRACE_TIME };

export const TRACE4_INPUTS = {
  randomB: fixed('suite 4 random_B', 16),
  pms: fixed('suite 4 pms', 32),
  ephemeralB: fixed('suite 4 e_B', 32),
  appData: new TextEncoder().encode('hello from A'),
  offer: [Suite.X25519KT_ED25519_CHACHAPOLY_SHA256, Suite.X25519_ED25519_CHACHAPOLY_SHA256],
};

export function computeTrace4(): Trace {
  const t = TRACE_TIME, i = TRACE4_INPUTS;
  const { ca, handset, server } = traceCertificates();
  const idA = certId(handset.cert);
  const ts = Buffer.alloc(4); ts.writeUInt32BE(t);
  const m1 = Buffer.concat([Buffer.from([MsgType.HELLO, VERSION, i.offer.length, ...i.offer]), S1.randomA, ts, idA]);
  const store = SqliteCertStore.open(':memory:');
  store.enrol(handset.cert, t);
  const out: Uint8Array[] = [];
  const draws = [i.randomB, i.pms, i.ephemeralB];
  const b = new AirshakeServer({
    store, caPublicKey: ca.publicKey, certificate: server.cert, privateKey: server.privateKey,
    suites: [Suite.X25519KT_ED25519_CHACHAPOLY_SHA256, Suite.X25519_ED25519_CHACHAPOLY_SHA256],
    now: () => t * 1000, random: (n) => { const d = draws.shift(); if (!d || d.length !== n) throw new Error('trace 4: unexpected random draw'); return Uint8Array.from(d); }, // copies: B zeroes its secret draws
  });
  const session = b.connect((m) => out.push(m));
  session.receive(m1);
  if (out.length !== 1 || out[0]![0] !== MsgType.RESPONSE || out[0]![1] !== 4) throw new Error(`trace 4: server did not answer with suite 4 (${session.error})`);
  const m2 = Buffer.from(out[0]!);
  // A's side: E_B and C_pms follow C_B; open pms with sk_A
  const certLen = m2.readUInt16BE(18);
  const kt = m2.subarray(20 + certLen, 20 + certLen + 80);
  const EB = kt.subarray(0, 32);
  const ze = crypto.diffieHellman({ privateKey: x25519PrivateKey(S1.handsetKey), publicKey: x25519PublicKey(EB) });
  const okm = hkdfExpand(hkdfExtract(EB, ze), Buffer.from('airshake4 ecies', 'ascii'), 44);
  const d = crypto.createDecipheriv('chacha20-poly1305', okm.subarray(0, 32), okm.subarray(32), { authTagLength: 16 });
  d.setAuthTag(kt.subarray(64, 80));
  const pms = Buffer.concat([d.update(kt.subarray(32, 64)), d.final()]);
  if (!pms.equals(Buffer.from(i.pms))) throw new Error('trace 4: the pre-master secret A opens differs from B\'s');
  const z = crypto.diffieHellman({ privateKey: x25519PrivateKey(S1.handsetKey), publicKey: x25519PublicKey(server.publicKey) });
  const prk = hkdfExtract(Buffer.concat([S1.randomA, i.randomB]), Buffer.concat([pms, z]));
  const th2 = crypto.createHash('sha256').update(m1).update(m2.subarray(0, m2.length - MAC_LEN)).digest();
  const mB = macB(prk, th2, 4);
  if (!mB.equals(m2.subarray(m2.length - MAC_LEN))) throw new Error('trace 4: MAC_B differs from the server\'s');
  const th3 = crypto.createHash('sha256').update(m1).update(m2).digest();
  const mA = macA(prk, th3, 4);
  const k = trafficKeys(prk, th3, 4);
  const rec = sealRecord(k.kAB, k.ivAB, 0n, i.appData, 4);
  const m3 = Buffer.concat([Buffer.from([MsgType.FINISH]), mA, rec.header.subarray(1), rec.body]);
  let delivered: Uint8Array | undefined;
  b.opts.onApplicationData = (x) => { delivered = x; };
  session.receive(m3);
  if (!delivered || hex(delivered) !== hex(i.appData)) throw new Error(`trace 4: server rejected message 3 (${session.error})`);
  b.close(); store.close();
  return {
    description: 'airshake suite 4 (0x04: X25519KT-Ed25519-ChaCha20Poly1305-SHA256, key transport) on the suite-1 trace PKI, static keys and random_A, A offering 4 then 1; all byte strings hex',
    time: t,
    inputs: { randomA: hex(S1.randomA), randomB: hex(i.randomB), pms: hex(i.pms), ephemeralB: hex(i.ephemeralB), appData: hex(i.appData), offer: hex(new Uint8Array(i.offer)) },
    certificates: { ca: hex(ca.cert), handset: hex(handset.cert), server: hex(server.cert), caPublicKey: hex(ca.publicKey) },
    idA: hex(idA),
    messages: { m1: hex(m1), m2: hex(m2), m3: hex(m3) },
    derived: {
      EB: hex(EB), ze: hex(ze), ke: hex(okm.subarray(0, 32)), ne: hex(okm.subarray(32)), cpms: hex(kt.subarray(32)),
      z: hex(z), prk: hex(prk), th2: hex(th2), macB: hex(mB), th3: hex(th3), macA: hex(mA),
      kAB: hex(k.kAB), ivAB: hex(k.ivAB), kBA: hex(k.kBA), ivBA: hex(k.ivBA), uAB: hex(k.uAB), uBA: hex(k.uBA),
    },
    sizes: { m1: m1.length, m2: m2.length, m3: m3.length, bytesBeforeFirstAppByte: m1.length + m2.length + 1 + MAC_LEN + 2 },
  };
}
