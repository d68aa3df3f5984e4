/**
 * Suite-2 trace vectors (docs/PROTOCOL.md §Trace vectors, suite 2): P-256 static-static ECDH,
 * certificates signed by an ECDSA P-256 CA, AES-128-CCM_8 records. A offers both suites, suite 2
 * first (so ID_A names its P-256 certificate); B prefers suite 2. ECDSA signatures are
 * randomized in node:crypto, so the trace's certificates are signed deterministically (RFC 6979)
 * with @noble/curves; everything else is computed as in suite 1: message 2 by AirshakeServer
 * itself, the key schedule step by step on node:crypto. test/vectors/trace-suite2.json holds the
 * result; the tests check that the firmware's dual build reproduces messages 1 and 3.
 */
import crypto from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { KeyUsage, p256PrivateKey, p256PublicKey, p256RawPublic, p256Spki, tbsCertificate, wrapCertificate } from '../pki/cert.js';
import { certId } from '../pki/id.js';
import { SqliteCertStore } from '../store/sqlite.js';
import { AirshakeServer } from '../server/server.js';
import { hkdfExtract, macA, macB, sealRecord, trafficKeys } from '../server/keyschedule.js';
import { MAC_LEN, MsgType, Suite, VERSION } from '../protocol/constants.js';
import { TRACE_INPUTS as S1, TRACE_TIME, fixed, hex, type Trace } from './suite1.js';

export { TRACE_TIME };

export const TRACE2_INPUTS = {
  caKey: fixed('p256 ca key', 32),
  caSerial: new Uint8Array([0x02]),
  handsetKey: fixed('p256 handset key', 32),
  handsetSerial: new Uint8Array([0x10, 0x02]),
  serverKey: fixed('p256 server key', 32),
  serverSerial: new Uint8Array([0x20, 0x02]),
  randomA: fixed('suite 2 random_A', 16),
  randomB: fixed('suite 2 random_B', 16),
  appData: new TextEncoder().encode('hello from A'),
  caName: 'airshake CA P-256',
  handsetName: S1.handsetName,
  serverName: S1.serverName,
  /** A's offer, in its order of preference: suite 2, then suite 1. */
  offer: [Suite.P256_ECDSA_AES128CCM8_SHA256, Suite.X25519_ED25519_CHACHAPOLY_SHA256],
};

/** A certificate signed with deterministic ECDSA P-256 / SHA-256 (RFC 6979), DER signature. */
function signed(caKey: Uint8Array, spec: Parameters<typeof tbsCertificate>[0]): Uint8Array {
  const tbs = tbsCertificate({ ...spec, sigAlg: 'ecdsa-sha256' });
  return wrapCertificate(tbs, 'ecdsa-sha256', p256.sign(tbs, caKey, { format: 'der' }));
}

export function trace2Certificates() {
  const i = TRACE2_INPUTS, t = TRACE_TIME;
  const pub = (sk: Uint8Array) => p256RawPublic(p256PrivateKey(sk));
  const caPub = pub(i.caKey), handsetPub = pub(i.handsetKey), serverPub = pub(i.serverKey);
  const ca = signed(i.caKey, {
    serial: i.caSerial, issuer: i.caName, subject: i.caName, notBefore: t - 60, notAfter: t + 3650 * 86400,
    spki: p256Spki(caPub), keyUsage: [KeyUsage.keyCertSign, KeyUsage.cRLSign], ca: true,
  });
  const ee = (name: string, serial: Uint8Array, pk: Uint8Array) => signed(i.caKey, {
    serial, issuer: i.caName, subject: name, notBefore: t - 86400, notAfter: t + 365 * 86400, spki: p256Spki(pk), keyUsage: [KeyUsage.keyAgreement],
  });
  return {
    ca, caPublicKey: caPub,
    handset: ee(i.handsetName, i.handsetSerial, handsetPub), handsetPublicKey: handsetPub,
    server: ee(i.serverName, i.serverSerial, serverPub), serverPublicKey: serverPub,
  };
}

export function computeTrace2(): Trace {
  const i = TRACE2_INPUTS, t = TRACE_TIME;
  const c = trace2Certificates();
  const idA = certId(c.handset);
  const ts = Buffer.alloc(4); ts.writeUInt32BE(t);
  const m1 = Buffer.concat([Buffer.from([MsgType.HELLO, VERSION, i.offer.length, ...i.offer]), i.randomA, ts, idA]);
  // Message 2 from server B itself (suite 2 only, random_B fixed); C_A enrolled as the handset's.
  const store = SqliteCertStore.open(':memory:');
  store.enrolHandset([c.handset], t);
  const out: Uint8Array[] = [];
  const b = new AirshakeServer({
    store, identities: { 2: { certificate: c.server, privateKey: i.serverKey } }, caKeys: { 2: c.caPublicKey },
    suites: [Suite.P256_ECDSA_AES128CCM8_SHA256], now: () => t * 1000, random: () => i.randomB,
  });
  const session = b.connect((m) => out.push(m));
  session.receive(m1);
  if (out.length !== 1 || out[0]![0] !== MsgType.RESPONSE) throw new Error(`trace 2: server did not answer with message 2 (${session.error})`);
  const m2 = Buffer.from(out[0]!);
  // Z = x-coordinate of [sk_A] pk_B (node:crypto's ECDH output on P-256)
  const z = crypto.diffieHellman({ privateKey: p256PrivateKey(i.handsetKey), publicKey: p256PublicKey(c.serverPublicKey) });
  const prk = hkdfExtract(Buffer.concat([i.randomA, i.randomB]), z);
  const th2 = crypto.createHash('sha256').update(m1).update(m2.subarray(0, m2.length - MAC_LEN)).digest();
  const mB = macB(prk, th2);
  if (!mB.equals(m2.subarray(m2.length - MAC_LEN))) throw new Error('trace 2: MAC_B differs from the server\'s');
  const th3 = crypto.createHash('sha256').update(m1).update(m2).digest();
  const mA = macA(prk, th3);
  const k = trafficKeys(prk, th3, Suite.P256_ECDSA_AES128CCM8_SHA256);
  const rec = sealRecord(k.kAB, k.ivAB, 0n, i.appData, Suite.P256_ECDSA_AES128CCM8_SHA256);
  const m3 = Buffer.concat([Buffer.from([MsgType.FINISH]), mA, rec.header.subarray(1), rec.body]);
  let delivered: Uint8Array | undefined;
  b.opts.onApplicationData = (d) => { delivered = d; };
  session.receive(m3);
  if (!delivered || hex(delivered) !== hex(i.appData)) throw new Error('trace 2: server rejected message 3');
  b.close(); store.close();
  return {
    description: 'airshake suite 2 (0x02: P256-ECDSA-AES128CCM8-SHA256), A offering suites 2 then 1, fixed inputs, certificates signed with deterministic ECDSA (RFC 6979); all byte strings hex',
    time: t,
    inputs: {
      caPrivateKey: hex(i.caKey), handsetPrivateKey: hex(i.handsetKey), serverPrivateKey: hex(i.serverKey),
      randomA: hex(i.randomA), randomB: hex(i.randomB), appData: hex(i.appData), offer: hex(new Uint8Array(i.offer)),
      caName: i.caName, handsetName: i.handsetName, serverName: i.serverName,
    },
    certificates: { ca: hex(c.ca), handset: hex(c.handset), server: hex(c.server), caPublicKey: hex(c.caPublicKey) },
    idA: hex(idA),
    messages: { m1: hex(m1), m2: hex(m2), m3: hex(m3) },
    derived: {
      handsetPublicKey: hex(c.handsetPublicKey), serverPublicKey: hex(c.serverPublicKey),
      z: hex(z), prk: hex(prk), th2: hex(th2), macB: hex(mB), th3: hex(th3), macA: hex(mA),
      kAB: hex(k.kAB), ivAB: hex(k.ivAB), kBA: hex(k.kBA), ivBA: hex(k.ivBA),
    },
    sizes: { m1: m1.length, m2: m2.length, m3: m3.length, bytesBeforeFirstAppByte: m1.length + m2.length + 1 + MAC_LEN + 2 },
  };
}
