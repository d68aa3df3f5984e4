/**
 * Board profiles (boards/*.json): one device, modem and link each. Every field is documented in
 * boards/README.md; `loadBoard` checks them all and says exactly what is wrong with a bad file.
 */
import { readFileSync } from 'node:fs';

export type Driver = 'hayes-csd' | 'sim800' | 'bg96';

export interface Board {
  name: string;
  description: string;
  serial: { path: string; baudRate: number };
  modem:
    | { driver: 'hayes-csd'; dial: string; bearer: string }
    | { driver: 'sim800' | 'bg96'; apn: string; user: string; password: string; host: string; port: number };
  link: { bitRate: number; latencyMs: number; mtu: number; rtoMs: number; maxRetries: number };
  firmware: { moduleBytesBudget: number; staticBytesBudget: number };
  emulator?: { bitErrorRate?: number; byteDropRate?: number };
}

export class BoardError extends Error {}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates parsed JSON as a Board; `where` names the file in messages. */
export function parseBoard(raw: unknown, where = 'board'): Board {
  const errs: string[] = [];
  const obj = (v: unknown, p: string): Obj => { if (!isObj(v)) { errs.push(`${p}: must be an object`); return {}; } return v; };
  const str = (o: Obj, k: string, p: string, re?: RegExp): string => {
    const v = o[k];
    if (typeof v !== 'string' || v.length === 0) { errs.push(`${p}.${k}: must be a non-empty string`); return ''; }
    if (re && !re.test(v)) errs.push(`${p}.${k}: ${JSON.stringify(v)} does not match ${re}`);
    return v;
  };
  const optStr = (o: Obj, k: string, p: string): string => {
    const v = o[k] ?? '';
    if (typeof v !== 'string') { errs.push(`${p}.${k}: must be a string`); return ''; }
    return v;
  };
  const num = (o: Obj, k: string, p: string, min: number, max: number, int = true): number => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (int && !Number.isInteger(v))) {
      errs.push(`${p}.${k}: must be ${int ? 'an integer' : 'a number'} in [${min}, ${max}], got ${JSON.stringify(v)}`);
      return min;
    }
    return v;
  };
  const r = obj(raw, where);
  const serial = obj(r.serial, 'serial');
  const modem = obj(r.modem, 'modem');
  const link = obj(r.link, 'link');
  const fw = obj(r.firmware, 'firmware');
  const driver = str(modem, 'driver', 'modem', /^(hayes-csd|sim800|bg96)$/) as Driver;
  const board: Board = {
    name: str(r, 'name', 'board', /^[a-z0-9][a-z0-9-]*$/),
    description: str(r, 'description', 'board'),
    serial: { path: str(serial, 'path', 'serial'), baudRate: num(serial, 'baudRate', 'serial', 300, 4_000_000) },
    modem: driver === 'hayes-csd'
      ? { driver, dial: str(modem, 'dial', 'modem', /^[0-9+*#,]+$/), bearer: str(modem, 'bearer', 'modem', /^\d+,\d+,\d+$/) }
      : { driver, apn: str(modem, 'apn', 'modem'), user: optStr(modem, 'user', 'modem'), password: optStr(modem, 'password', 'modem'),
          host: str(modem, 'host', 'modem'), port: num(modem, 'port', 'modem', 1, 65535) },
    link: {
      bitRate: num(link, 'bitRate', 'link', 300, 100_000_000), latencyMs: num(link, 'latencyMs', 'link', 0, 60_000, false),
      mtu: num(link, 'mtu', 'link', 32, 65535), rtoMs: num(link, 'rtoMs', 'link', 10, 600_000), maxRetries: num(link, 'maxRetries', 'link', 1, 100),
    },
    firmware: { moduleBytesBudget: num(fw, 'moduleBytesBudget', 'firmware', 1024, 16 << 20), staticBytesBudget: num(fw, 'staticBytesBudget', 'firmware', 256, 65536) },
  };
  if (r.emulator !== undefined) {
    const e = obj(r.emulator, 'emulator');
    board.emulator = {
      bitErrorRate: e.bitErrorRate === undefined ? undefined : num(e, 'bitErrorRate', 'emulator', 0, 0.01, false),
      byteDropRate: e.byteDropRate === undefined ? undefined : num(e, 'byteDropRate', 'emulator', 0, 0.5, false),
    };
  }
  const known = new Set(['$comment', 'name', 'description', 'serial', 'modem', 'link', 'firmware', 'emulator']);
  for (const k of Object.keys(r)) if (!known.has(k)) errs.push(`${k}: unknown field`);
  if (errs.length) throw new BoardError(`${where} is not a valid board profile:\n  - ${errs.join('\n  - ')}`);
  return board;
}

export function loadBoard(file: string): Board {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) { throw new BoardError(`cannot read board profile ${file}: ${(e as Error).message}`); }
  let raw: unknown;
  try { raw = JSON.parse(text); } catch (e) { throw new BoardError(`${file} is not valid JSON: ${(e as Error).message}`); }
  return parseBoard(raw, file);
}
