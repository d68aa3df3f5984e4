/**
 * Strict, bounded parse of an airshake X.509 certificate on the host: the same profile and the
 * same error codes as the firmware's parser (assembly/der/der.ts, assembly/der/x509.ts), so that
 * server B refuses exactly the certificates the handset refuses (docs/PROTOCOL.md, "B's work").
 * OpenSSL, which B uses for the signature and the key, accepts BER and other departures from DER;
 * this check runs first. Public data only.
 */
import { Err } from '../protocol/constants.js';

export const X509_MAX_CERT = 512;

export class X509Error extends Error {
  constructor(readonly code: number, message: string) { super(message); this.name = 'X509Error'; }
}
const fail = (code: number, why: string): never => { throw new X509Error(code, why); };

interface El { tag: number; c: number; end: number }

/** One element at p, ending at or before limit: definite, minimal lengths of at most two bytes. */
function read(b: Uint8Array, p: number, limit: number): El {
  if (p >= limit || limit - p < 2) fail(Err.DER_TRUNCATED, `truncated element at ${p}`);
  const tag = b[p]!;
  if ((tag & 0x1f) === 0x1f) fail(Err.DER_TAG, `multi-byte tag at ${p}`);
  let len = b[p + 1]!;
  let q = p + 2;
  if (len === 0x80) fail(Err.DER_INDEFINITE, `indefinite length at ${p}`);
  if (len > 0x80) {
    const n = len & 0x7f;
    if (n > 2) fail(Err.DER_LENGTH, `${n} length bytes at ${p}`);
    if (limit - q < n) fail(Err.DER_TRUNCATED, `truncated length at ${p}`);
    len = n === 1 ? b[q]! : (b[q]! << 8) | b[q + 1]!;
    if (len < (n === 1 ? 0x80 : 0x100)) fail(Err.DER_LENGTH, `non-minimal length at ${p}`);
    q += n;
  }
  if (limit - q < len) fail(Err.DER_TRUNCATED, `element at ${p} runs past its container`);
  return { tag, c: q, end: q + len };
}
function expect(b: Uint8Array, p: number, limit: number, tag: number): El {
  const e = read(b, p, limit);
  if (e.tag !== tag) fail(Err.DER_TAG, `tag 0x${e.tag.toString(16)} at ${p}, 0x${tag.toString(16)} expected`);
  return e;
}
const eq = (b: Uint8Array, e: El, hex: string) => Buffer.from(b.subarray(e.c, e.end)).toString('hex') === hex;

function oidMinimal(b: Uint8Array, e: El): boolean {
  if (e.c >= e.end || (b[e.end - 1]! & 0x80)) return false;
  let start = true;
  for (let i = e.c; i < e.end; i++) { if (start && b[i] === 0x80) return false; start = !(b[i]! & 0x80); }
  return true;
}

function utf8Valid(s: Uint8Array): boolean {
  try { new TextDecoder('utf-8', { fatal: true }).decode(s); return true; } catch { return false; }
}
function stringValid(tag: number, s: Uint8Array): boolean {
  if (tag === 0x0c) return utf8Valid(s);
  if (tag === 0x16) return s.every((c) => c <= 0x7f);
  return s.every((c) => /[A-Za-z0-9 '()+,\-./:=?]/.test(String.fromCharCode(c)));
}

const ALG_ED25519 = '06032b6570';
const ALG_X25519 = '06032b656e';
/** ecdsa-with-SHA256 (1.2.840.10045.4.3.2) without parameters (RFC 5758 §3.2). */
const ALG_ECDSA_SHA256 = '06082a8648ce3d040302';
/** id-ecPublicKey (1.2.840.10045.2.1) with the namedCurve prime256v1 (1.2.840.10045.3.1.7) (RFC 5480). */
const ALG_EC_P256 = '06072a8648ce3d020106082a8648ce3d030107';

function parseTime(b: Uint8Array, p: number, limit: number): { t: number; end: number } {
  const e = read(b, p, limit);
  const s = Buffer.from(b.subarray(e.c, e.end)).toString('latin1');
  let year: number, rest: string;
  if (e.tag === 0x17) {
    if (!/^\d{12}Z$/.test(s)) fail(Err.X509_TIME, `UTCTime ${s}`);
    const yy = Number(s.slice(0, 2));
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
    rest = s.slice(2);
  } else if (e.tag === 0x18) {
    if (!/^\d{14}Z$/.test(s)) fail(Err.X509_TIME, `GeneralizedTime ${s}`);
    year = Number(s.slice(0, 4));
    if (year >= 1950 && year < 2050) fail(Err.X509_TIME, `GeneralizedTime for ${year}: UTCTime for 1950-2049`);
    rest = s.slice(4);
  } else return fail(Err.DER_TAG, `time tag 0x${e.tag.toString(16)}`);
  const [mo, d, h, mi, sec] = [0, 2, 4, 6, 8].map((i) => Number(rest.slice(i, i + 2))) as [number, number, number, number, number];
  const dim = mo === 2 ? ((year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) ? 29 : 28) : [4, 6, 9, 11].includes(mo) ? 30 : 31;
  if (mo < 1 || mo > 12 || d < 1 || d > dim || h > 23 || mi > 59 || sec > 59) fail(Err.X509_TIME, `time ${s}`);
  const dt = new Date(0); dt.setUTCFullYear(year, mo - 1, d); dt.setUTCHours(h, mi, sec, 0);
  return { t: Math.floor(dt.getTime() / 1000), end: e.end };
}

function parseName(b: Uint8Array, p: number, limit: number, subject: boolean): { end: number; cn?: Uint8Array } {
  const n = expect(b, p, limit, 0x30);
  if (n.c === n.end) fail(Err.X509_NAME, 'empty name');
  let cns = 0, cn: Uint8Array | undefined;
  for (let q = n.c; q < n.end;) {
    const set = expect(b, q, n.end, 0x31);
    if (set.c === set.end) fail(Err.X509_NAME, 'empty RDN');
    q = set.end;
    for (let r = set.c; r < set.end;) {
      const atv = expect(b, r, set.end, 0x30);
      r = atv.end;
      const o = expect(b, atv.c, atv.end, 0x06);
      if (!oidMinimal(b, o)) fail(Err.X509_NAME, 'non-minimal attribute OID');
      const v = read(b, o.end, atv.end);
      if (v.end !== atv.end) fail(Err.DER_TRAILING, 'data after an attribute value');
      if (v.tag !== 0x0c && v.tag !== 0x13 && v.tag !== 0x16) fail(Err.X509_NAME, `string tag 0x${v.tag.toString(16)}`);
      const s = b.subarray(v.c, v.end);
      if (!stringValid(v.tag, s)) fail(Err.X509_NAME, 'malformed string');
      if (subject && eq(b, o, '550403')) { cns++; cn = s; }
    }
  }
  if (subject && cns !== 1) fail(Err.X509_NAME, `${cns} common names`);
  return { end: n.end, cn };
}

function derInteger(b: Uint8Array, e: El, what: string): void {
  const n = e.end - e.c;
  if (n === 0 || (b[e.c]! & 0x80)) fail(Err.DER_INTEGER, `${what}: empty or negative`);
  if (n > 1 && b[e.c] === 0 && !(b[e.c + 1]! & 0x80)) fail(Err.DER_INTEGER, `${what}: not minimal`);
}

export interface ParsedCert {
  notBefore: number; notAfter: number; cn: Uint8Array;
  /** The subject key: X25519 (32 bytes) or P-256 (65-byte uncompressed point, not checked to be on the curve), else null. */
  x25519Key: Uint8Array | null; p256Key: Uint8Array | null;
  keyUsage: number | null; isCa: boolean;
  /** The signature algorithm (the same inside and outside). */
  sigAlg: 'ed25519' | 'ecdsa-sha256';
  /** The DER SubjectPublicKeyInfo as it appears in the certificate (ID_A hashes it). */
  spki: Uint8Array;
  /** ecdsa-with-SHA256: the ECDSA-Sig-Value's r and s (DER INTEGER contents, range not checked). */
  ecdsa: { r: Uint8Array; s: Uint8Array } | null;
}

/** Parses like the firmware's x509Parse; throws X509Error with the firmware's code. */
export function parseCertificate(b: Uint8Array): ParsedCert {
  if (b.length > X509_MAX_CERT) fail(Err.X509_TOO_LARGE, `${b.length} bytes`);
  const cert = expect(b, 0, b.length, 0x30);
  if (cert.end !== b.length) fail(Err.DER_TRAILING, 'data after the certificate');
  const tbs = expect(b, cert.c, cert.end, 0x30);
  let v: El;
  try { v = expect(b, tbs.c, tbs.end, 0xa0); } catch (e) { if (e instanceof X509Error && e.code === Err.DER_TAG) fail(Err.X509_VERSION, 'no version'); throw e; }
  const vi = expect(b, v!.c, v!.end, 0x02);
  if (vi.end !== v!.end || vi.end - vi.c !== 1 || b[vi.c] !== 2) fail(Err.X509_VERSION, 'not v3');
  const sn = expect(b, v!.end, tbs.end, 0x02);
  if (sn.end - sn.c > 20) fail(Err.DER_INTEGER, 'serial longer than 20 bytes');
  derInteger(b, sn, 'serial');
  if (sn.end - sn.c === 1 && b[sn.c] === 0) fail(Err.DER_INTEGER, 'serial zero');
  const alg = expect(b, sn.end, tbs.end, 0x30);
  const sigAlg = eq(b, alg, ALG_ED25519) ? 'ed25519' : eq(b, alg, ALG_ECDSA_SHA256) ? 'ecdsa-sha256' : null;
  if (!sigAlg) fail(Err.X509_ALGORITHM, 'TBS signature algorithm is neither Ed25519 nor ecdsa-with-SHA256 without parameters');
  const issuer = parseName(b, alg.end, tbs.end, false);
  const val = expect(b, issuer.end, tbs.end, 0x30);
  const nb = parseTime(b, val.c, val.end);
  const na = parseTime(b, nb.end, val.end);
  if (na.end !== val.end) fail(Err.DER_TRAILING, 'data after notAfter');
  const subject = parseName(b, val.end, tbs.end, true);
  const spki = expect(b, subject.end, tbs.end, 0x30);
  const salg = expect(b, spki.c, spki.end, 0x30);
  const isX25519 = eq(b, salg, ALG_X25519);
  const isP256 = eq(b, salg, ALG_EC_P256);
  const soid = expect(b, salg.c, salg.end, 0x06);
  if (!oidMinimal(b, soid)) fail(Err.X509_SPKI, 'non-minimal key algorithm OID');
  const key = expect(b, salg.end, spki.end, 0x03);
  if (key.end !== spki.end) fail(Err.DER_TRAILING, 'data after the subject key');
  if (key.end - key.c < 1 || b[key.c] !== 0) fail(Err.X509_SPKI, 'subject key with unused bits');
  let x25519Key: Uint8Array | null = null;
  if (isX25519) {
    if (key.end - key.c !== 33) fail(Err.X509_SPKI, 'X25519 key not 32 bytes');
    x25519Key = b.slice(key.c + 1, key.end);
  }
  let p256Key: Uint8Array | null = null;
  if (isP256) {
    if (key.end - key.c !== 66 || b[key.c + 1] !== 0x04) fail(Err.X509_SPKI, 'P-256 key not a 65-byte uncompressed point');
    p256Key = b.slice(key.c + 1, key.end);
  }
  let keyUsage: number | null = null, isCa = false;
  if (spki.end < tbs.end) {
    const x = expect(b, spki.end, tbs.end, 0xa3);
    if (x.end !== tbs.end) fail(Err.DER_TRAILING, 'data after the extensions');
    const list = expect(b, x.c, x.end, 0x30);
    if (list.end !== x.end) fail(Err.DER_TRAILING, 'data after the extension list');
    if (list.c === list.end) fail(Err.X509_EXTENSION, 'empty extensions');
    const seen: string[] = [];
    for (let q = list.c; q < list.end;) {
      const ext = expect(b, q, list.end, 0x30);
      q = ext.end;
      const o = expect(b, ext.c, ext.end, 0x06);
      const id = Buffer.from(b.subarray(o.c, o.end)).toString('hex');
      if (!oidMinimal(b, o)) fail(Err.X509_EXTENSION, 'non-minimal extension OID');
      if (seen.includes(id)) fail(Err.X509_DUPLICATE_EXTENSION, `duplicate extension ${id}`);
      if (seen.length === 8) fail(Err.X509_EXTENSION, 'more than 8 extensions');
      seen.push(id);
      let e = read(b, o.end, ext.end);
      let critical = false;
      if (e.tag === 0x01) {
        if (e.end - e.c !== 1 || b[e.c] !== 0xff) fail(Err.X509_EXTENSION, 'critical must be TRUE when present');
        critical = true;
        e = read(b, e.end, ext.end);
      }
      if (e.tag !== 0x04) fail(Err.DER_TAG, 'extension value not an OCTET STRING');
      if (e.end !== ext.end) fail(Err.DER_TRAILING, 'data after an extension value');
      if (id === '551d0f') {
        const bs = expect(b, e.c, e.end, 0x03);
        if (bs.end !== e.end) fail(Err.DER_TRAILING, 'data after keyUsage');
        const n = bs.end - bs.c;
        if (n < 2 || n > 3) fail(Err.X509_EXTENSION, 'keyUsage size');
        const unused = b[bs.c]!;
        if (unused > 7) fail(Err.X509_EXTENSION, 'keyUsage unused bits');
        const last = b[bs.end - 1]!;
        if (!((last >> unused) & 1) || (last & ((1 << unused) - 1))) fail(Err.X509_EXTENSION, 'keyUsage not a minimal DER named bit list');
        let flags = 0;
        for (let i = 1; i < n; i++) for (let k = 0; k < 8; k++) if (b[bs.c + i]! & (0x80 >> k)) flags |= 1 << ((i - 1) * 8 + k);
        keyUsage = flags;
      } else if (id === '551d13') {
        const s = expect(b, e.c, e.end, 0x30);
        if (s.end !== e.end) fail(Err.DER_TRAILING, 'data after basicConstraints');
        let q2 = s.c;
        if (q2 < s.end) {
          const f = read(b, q2, s.end);
          if (f.tag === 0x01) {
            if (f.end - f.c !== 1 || b[f.c] !== 0xff) fail(Err.X509_EXTENSION, 'cA must be TRUE when present');
            isCa = true;
            q2 = f.end;
          }
          if (q2 < s.end) {
            const pl = expect(b, q2, s.end, 0x02);
            if (pl.end !== s.end) fail(Err.DER_TRAILING, 'data after pathLen');
            derInteger(b, pl, 'pathLen');
          }
        }
      } else if (critical) fail(Err.X509_EXTENSION, `unknown critical extension ${id}`);
    }
  }
  const oalg = expect(b, tbs.end, cert.end, 0x30);
  if (!eq(b, oalg, sigAlg === 'ed25519' ? ALG_ED25519 : ALG_ECDSA_SHA256)) fail(Err.X509_ALGORITHM, `signature algorithm is not the TBS's (${sigAlg})`);
  const sig = expect(b, oalg.end, cert.end, 0x03);
  if (sig.end !== cert.end) fail(Err.DER_TRAILING, 'data after the signature');
  let ecdsa: ParsedCert['ecdsa'] = null;
  if (sigAlg === 'ed25519') {
    if (sig.end - sig.c !== 65 || b[sig.c] !== 0) fail(Err.X509_ALGORITHM, 'signature not 64 bytes');
  } else {
    // ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 5480 §2.2.3, RFC 5758 §3.2), strict DER
    if (sig.end - sig.c < 1 || b[sig.c] !== 0) fail(Err.X509_ALGORITHM, 'ECDSA signature BIT STRING with unused bits');
    const sv = expect(b, sig.c + 1, sig.end, 0x30);
    if (sv.end !== sig.end) fail(Err.DER_TRAILING, 'data after the ECDSA-Sig-Value');
    const r = expect(b, sv.c, sv.end, 0x02);
    const sInt = expect(b, r.end, sv.end, 0x02);
    if (sInt.end !== sv.end) fail(Err.DER_TRAILING, 'data after s');
    for (const [e, nm] of [[r, 'r'], [sInt, 's']] as const) {
      derInteger(b, e, `ECDSA ${nm}`);
      if (e.end - e.c > 33) fail(Err.X509_ALGORITHM, `ECDSA ${nm} longer than 33 bytes`);
    }
    ecdsa = { r: b.slice(r.c, r.end), s: b.slice(sInt.c, sInt.end) };
  }
  return {
    notBefore: nb.t, notAfter: na.t, cn: subject.cn!, x25519Key, p256Key, keyUsage, isCa, sigAlg: sigAlg!,
    spki: b.slice(subject.end, spki.end), // the SPKI element starts where the subject ends
    ecdsa,
  };
}
