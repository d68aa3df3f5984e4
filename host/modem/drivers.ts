/**
 * Modem drivers: the AT sequence that brings up a data path to the server for three kinds of
 * GSM modem, on top of AtEngine.
 *
 * - hayes-csd: a circuit-switched data call (AT+CBST, ATD<number> → CONNECT <rate>).
 * - sim800:    SIMCom transparent TCP (AT+CIPMODE=1 … AT+CIPSTART → OK, then CONNECT).
 * - bg96:      Quectel transparent TCP (AT+QICSGP, AT+QIACT, AT+QIOPEN …,2 → CONNECT).
 *
 * connect() may be called again after a carrier loss or a failed attempt; for the TCP modems a
 * retry first resets the IP stack (AT+CIPSHUT / AT+QIDEACT=1) because the context is still up.
 */
import type { ByteStream } from '../transport/types.js';
import type { AtEngine, AtError } from './at.js';

export type DriverKind = 'hayes-csd' | 'sim800' | 'bg96';

export interface CommonParams {
  /** Run engine.init() (AT, ATE0, AT+CMEE=1) at the start of every connect(). Default true. */
  init?: boolean;
  /** +++ guard time for hangup(). Default 1000 ms. */
  guardMs?: number;
}

export interface HayesCsdParams extends CommonParams {
  /** The number to dial (data call: no ';'). */
  number: string;
  /** AT+CBST value. Default '71,0,1' (9600 bit/s V.110, asynchronous, non-transparent). */
  bearer?: string;
  /** How long to wait for CONNECT after ATD. Default 60000 ms. */
  dialTimeoutMs?: number;
}

export interface TcpParams extends CommonParams {
  apn: string;
  user?: string;
  pass?: string;
  host: string;
  port: number;
}

export type DriverParams = HayesCsdParams | TcpParams;

export interface ModemDriver {
  readonly kind: DriverKind;
  /** A data connection is up. */
  readonly connected: boolean;
  /** Runs the AT sequence; resolves with the data-mode stream. */
  connect(): Promise<ByteStream>;
  /** Escapes to command mode (if needed) and ends the call/socket. No-op when not connected. */
  hangup(): Promise<void>;
  /** Called with an AtError (code 'NO_CARRIER') when the connection drops mid-session. */
  onCarrierLost(fn: (err: AtError) => void): void;
}

function quoted(name: string, value: string): string {
  if (/["\r\n]/.test(value)) throw new TypeError(`modem driver: ${name} must not contain '"', CR or LF`);
  return `"${value}"`;
}

abstract class BaseDriver implements ModemDriver {
  abstract readonly kind: DriverKind;
  private readonly lostHandlers: Array<(err: AtError) => void> = [];
  private up = false;
  /** connect() calls so far (a retry may need to reset state left by the last attempt). */
  protected attempts = 0;

  constructor(protected readonly engine: AtEngine, protected readonly common: CommonParams) {
    engine.on('carrier-lost', (err) => {
      if (!this.up) return;
      this.up = false;
      for (const fn of this.lostHandlers) fn(err);
    });
  }

  get connected(): boolean {
    return this.up && this.engine.isConnected;
  }

  onCarrierLost(fn: (err: AtError) => void): void {
    this.lostHandlers.push(fn);
  }

  async connect(): Promise<ByteStream> {
    if (this.connected) throw new Error(`${this.kind}: already connected; hangup() first`);
    const retry = this.attempts > 0;
    this.attempts++;
    if (this.common.init ?? true) await this.engine.init();
    await this.sequence(retry);
    this.up = true;
    return this.engine.dataStream();
  }

  async hangup(): Promise<void> {
    if (!this.engine.isConnected) {
      this.up = false;
      return;
    }
    this.up = false; // our own hangup is not a carrier loss
    await this.engine.hangup({ guardMs: this.common.guardMs, ...this.closeCommand() });
  }

  /** The AT commands after init() up to and including the one answered by CONNECT. */
  protected abstract sequence(retry: boolean): Promise<void>;
  protected abstract closeCommand(): { command: string; finals?: string[] };
}

/** A GSM circuit-switched data call. */
export class HayesCsdDriver extends BaseDriver {
  readonly kind = 'hayes-csd' as const;
  /** The line rate reported by the last CONNECT (e.g. 9600), if it reported one. */
  rate: number | undefined;

  constructor(engine: AtEngine, private readonly p: HayesCsdParams) {
    super(engine, p);
    if (!/^[0-9+*#,wWpP]+$/.test(p.number)) throw new TypeError(`hayes-csd: bad number ${JSON.stringify(p.number)}`);
  }

  protected async sequence(): Promise<void> {
    await this.engine.command(`AT+CBST=${this.p.bearer ?? '71,0,1'}`);
    const r = await this.engine.command(`ATD${this.p.number}`, { timeoutMs: this.p.dialTimeoutMs ?? 60_000 });
    const m = /^CONNECT\s+(\d+)/.exec(r.final);
    this.rate = m ? Number(m[1]) : undefined;
  }

  protected closeCommand() {
    return { command: 'ATH' };
  }
}

const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** SIMCom SIM800 in transparent TCP mode. */
export class Sim800Driver extends BaseDriver {
  readonly kind = 'sim800' as const;
  /** The local IP address AT+CIFSR reported. */
  ip: string | undefined;

  constructor(engine: AtEngine, private readonly p: TcpParams) {
    super(engine, p);
  }

  protected async sequence(retry: boolean): Promise<void> {
    const e = this.engine;
    const p = this.p;
    // A retry: the PDP context / a closed socket is left over; AT+CIPSHUT → SHUT OK resets to IP INITIAL.
    if (retry) await e.command('AT+CIPSHUT', { finals: ['SHUT OK'], timeoutMs: 65_000 });
    await e.command('AT+CIPMODE=1');
    await e.command(`AT+CSTT=${quoted('apn', p.apn)},${quoted('user', p.user ?? '')},${quoted('pass', p.pass ?? '')}`);
    await e.command('AT+CIICR', { timeoutMs: 85_000 });
    // AT+CIFSR answers with the bare address and no OK.
    const r = await e.command('AT+CIFSR', { finalMatch: IPV4, timeoutMs: 10_000 });
    this.ip = r.final;
    // OK (command accepted), then CONNECT, or CONNECT FAIL / ALREADY CONNECT.
    await e.command(`AT+CIPSTART="TCP",${quoted('host', p.host)},${p.port}`, {
      awaitAfterOk: true,
      finals: ['CONNECT'],
      timeoutMs: 75_000,
    });
  }

  protected closeCommand() {
    return { command: 'AT+CIPCLOSE', finals: ['CLOSE OK'] };
  }
}

/** Quectel BG96 in transparent TCP mode (access mode 2). */
export class Bg96Driver extends BaseDriver {
  readonly kind = 'bg96' as const;

  constructor(engine: AtEngine, private readonly p: TcpParams) {
    super(engine, p);
  }

  protected async sequence(retry: boolean): Promise<void> {
    const e = this.engine;
    const p = this.p;
    // A retry: context 1 may still be active (AT+QIACT=1 would answer ERROR); deactivate first.
    if (retry) await e.command('AT+QIDEACT=1', { timeoutMs: 40_000 });
    await e.command(`AT+QICSGP=1,1,${quoted('apn', p.apn)},${quoted('user', p.user ?? '')},${quoted('pass', p.pass ?? '')},1`);
    await e.command('AT+QIACT=1', { timeoutMs: 150_000 });
    await e.command(`AT+QIOPEN=1,0,"TCP",${quoted('host', p.host)},${p.port},0,2`, { finals: ['CONNECT'], timeoutMs: 150_000 });
  }

  protected closeCommand() {
    return { command: 'AT+QICLOSE=0' };
  }
}

export function createDriver(kind: 'hayes-csd', engine: AtEngine, params: HayesCsdParams): HayesCsdDriver;
export function createDriver(kind: 'sim800', engine: AtEngine, params: TcpParams): Sim800Driver;
export function createDriver(kind: 'bg96', engine: AtEngine, params: TcpParams): Bg96Driver;
export function createDriver(kind: DriverKind, engine: AtEngine, params: DriverParams): ModemDriver;
export function createDriver(kind: DriverKind, engine: AtEngine, params: DriverParams): ModemDriver {
  switch (kind) {
    case 'hayes-csd':
      return new HayesCsdDriver(engine, params as HayesCsdParams);
    case 'sim800':
      return new Sim800Driver(engine, params as TcpParams);
    case 'bg96':
      return new Bg96Driver(engine, params as TcpParams);
    default:
      throw new TypeError(`createDriver: unknown modem kind ${String(kind)}`);
  }
}
