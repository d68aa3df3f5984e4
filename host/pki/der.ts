/**
 * Minimal DER (ITU-T X.690) encoding and decoding for the certificate profile airshake uses.
 * The encoder emits definite, minimal lengths; the decoder is strict and bounded (it rejects
 * indefinite and non-minimal lengths and any element that runs past its parent), so the host can
 * read certificates with the same rules the firmware's parser applies.
 */

export const TAG = {
  BOOLEAN: 0x01, INTEGER: 0x02, BIT_STRING: 0x03, OCTET_STRING: 0x04, NULL: 0x05, OID: 0x06,
  UTF8_STRING: 0x0c, PRINTABLE_STRING: 0x13, IA5_STRING: 0x16, UTC_TIME: 0x17, GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30, SET: 0x31,
} as const;

/** Context-specific constructed tag [n] (EXPLICIT tagging in X.509's TBSCertificate). */
export const ctx = (n: number): number => 0xa0 | n;

function lengthBytes(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}

/** One TLV. */
export function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const len = content.reduce((s, c) => s + c.length, 0);
  const head = [tag, ...lengthBytes(len)];
  const out = new Uint8Array(head.length + len);
  out.set(head, 0);
  let off = head.length;
  for (const c of content) { out.set(c, off); off += c.length; }
  return out;
}

export const seq = (...items: Uint8Array[]): Uint8Array => tlv(TAG.SEQUENCE, ...items);
export const set = (...items: Uint8Array[]): Uint8Array => tlv(TAG.SET, ...items);

/** DER INTEGER from unsigned big-endian bytes (adds a 0x00 when the top bit is set, strips leading zeros). */
export function uint(bytes: Uint8Array | number): Uint8Array {
  let b = typeof bytes === 'number' ? numberBytes(bytes) : bytes;
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  b = b.subarray(i);
  if (b.length === 0) b = new Uint8Array([0]);
  return (b[0]! & 0x80) ? tlv(TAG.INTEGER, new Uint8Array([0]), b) : tlv(TAG.INTEGER, b);
}

function numberBytes(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`uint: ${n} is not a non-negative safe integer`);
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return new Uint8Array(out.length ? out : [0]);
}

/** OBJECT IDENTIFIER from dotted text. */
export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map((s) => Number(s));
  if (arcs.length < 2 || arcs.some((a) => !Number.isSafeInteger(a) || a < 0)) throw new Error(`bad OID ${dotted}`);
  const body: number[] = [arcs[0]! * 40 + arcs[1]!];
  for (const a of arcs.slice(2)) {
    const chunk: number[] = [a & 0x7f];
    for (let v = Math.floor(a / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    body.push(...chunk);
  }
  return tlv(TAG.OID, new Uint8Array(body));
}

export const utf8 = (s: string): Uint8Array => tlv(TAG.UTF8_STRING, new TextEncoder().encode(s));
export const octets = (b: Uint8Array): Uint8Array => tlv(TAG.OCTET_STRING, b);
export const bool = (v: boolean): Uint8Array => tlv(TAG.BOOLEAN, new Uint8Array([v ? 0xff : 0x00]));
/** BIT STRING with no unused bits. */
export const bits = (b: Uint8Array): Uint8Array => tlv(TAG.BIT_STRING, new Uint8Array([0]), b);

/**
 * X.509 Time (RFC 5280 §4.1.2.5): UTCTime YYMMDDHHMMSSZ for years 1950-2049, GeneralizedTime
 * YYYYMMDDHHMMSSZ otherwise. t is Unix seconds.
 */
export function time(t: number): Uint8Array {
  const d = new Date(t * 1000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const y = d.getUTCFullYear();
  const rest = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  if (y >= 1950 && y < 2050) return tlv(TAG.UTC_TIME, new TextEncoder().encode(p(y % 100) + rest));
  return tlv(TAG.GENERALIZED_TIME, new TextEncoder().encode(p(y, 4) + rest));
}

/** A decoded element: tag, the content's span, and the whole element's span, in `buf`. */
export interface Element { tag: number; start: number; headerEnd: number; end: number; buf: Uint8Array }

export class DerError extends Error {}

/** Reads one element at `off`, not past `limit`. Strict DER lengths. */
export function read(buf: Uint8Array, off = 0, limit = buf.length): Element {
  if (off + 2 > limit) throw new DerError(`truncated element at ${off}`);
  const tag = buf[off]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError(`multi-byte tag at ${off}`);
  let len = buf[off + 1]!;
  let p = off + 2;
  if (len === 0x80) throw new DerError(`indefinite length at ${off}`);
  if (len > 0x80) {
    const n = len & 0x7f;
    if (n > 3) throw new DerError(`length of ${n} bytes at ${off}`);
    if (p + n > limit) throw new DerError(`truncated length at ${off}`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    if (buf[p] === 0 || len < 0x80) throw new DerError(`non-minimal length at ${off}`);
    p += n;
  }
  if (p + len > limit) throw new DerError(`element at ${off} runs past its container (${p + len} > ${limit})`);
  return { tag, start: off, headerEnd: p, end: p + len, buf };
}

/** The children of a constructed element. */
export function children(e: Element): Element[] {
  const out: Element[] = [];
  for (let p = e.headerEnd; p < e.end;) { const c = read(e.buf, p, e.end); out.push(c); p = c.end; }
  return out;
}

export const content = (e: Element): Uint8Array => e.buf.subarray(e.headerEnd, e.end);
export const whole = (e: Element): Uint8Array => e.buf.subarray(e.start, e.end);

export function oidText(e: Element): string {
  const b = content(e);
  if (e.tag !== TAG.OID || b.length === 0) throw new DerError('not an OID');
  const arcs = [Math.floor(b[0]! / 40), b[0]! % 40];
  let v = 0;
  for (let i = 1; i < b.length; i++) { v = v * 128 + (b[i]! & 0x7f); if (!(b[i]! & 0x80)) { arcs.push(v); v = 0; } }
  return arcs.join('.');
}
