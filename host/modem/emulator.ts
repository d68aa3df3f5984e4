/**
 * A GSM modem emulator on one end of a pseudo-terminal pair. It speaks three AT dialects —
 * a Hayes-style GSM circuit-switched data modem, SIMCom SIM800 transparent TCP and Quectel BG96
 * transparent TCP — and, once a call or socket is up, bridges the serial line to server B over
 * loopback TCP through an emulated radio channel: the line rate and latency are imposed (a pty
 * does not limit speed by itself), and bit errors, dropped bytes and carrier loss can be injected.
 */
import net from 'node:net';
import { SerialPort } from 'serialport';
import { mulberry32 } from '../util/prng.js';

export type Dialect = 'hayes-csd' | 'sim800' | 'bg96';

export interface EmulatorOptions {
  path: string;
  dialect: Dialect;
  /** Where server B listens. */
  host: string;
  port: number;
  /** The radio: bit rate (bit/s, 10 bits per byte on the air as on an async line) and one-way latency. */
  bitRate: number;
  latencyMs: number;
  bitErrorRate?: number;
  byteDropRate?: number;
  /** Probability of losing a whole chunk (one write: typically one frame of the layer above). */
  chunkLossRate?: number;
  /** Drop the carrier of the first call after this many data bytes have crossed (both directions). */
  carrierLossAfterBytes?: number;
  /** 'error': answer the connect command with ERROR; 'silent': never answer anything. */
  fault?: 'error' | 'silent';
  /** Seed for the impairments. */
  seed?: number;
  /** CONNECT rate reported by the CSD dialect. */
  connectRate?: number;
  log?: (line: string) => void;
}


/** One direction of the radio: serialises at the bit rate, delivers after the latency, impairs. */
class RadioChannel {
  private freeAt = 0;
  private readonly pending = new Set<NodeJS.Timeout>();
  constructor(private readonly o: EmulatorOptions, private readonly rnd: () => number, private readonly deliver: (b: Buffer) => void) {}
  send(chunk: Buffer): void {
    const now = performance.now();
    const start = Math.max(now, this.freeAt);
    this.freeAt = start + (chunk.length * 10 * 1000) / this.o.bitRate;
    if (this.o.chunkLossRate && this.rnd() < this.o.chunkLossRate) return; // lost in the air (it still took air time)
    let out = Buffer.from(chunk);
    if (this.o.byteDropRate) out = Buffer.from(out.filter(() => this.rnd() >= this.o.byteDropRate!));
    if (this.o.bitErrorRate) {
      for (let i = 0; i < out.length; i++) for (let k = 0; k < 8; k++) if (this.rnd() < this.o.bitErrorRate) out[i]! ^= 1 << k;
    }
    const at = this.freeAt + this.o.latencyMs;
    const t = setTimeout(() => { this.pending.delete(t); this.deliver(out); }, Math.max(0, at - performance.now()));
    this.pending.add(t);
  }
  /** The call is gone: bytes still in the air never arrive (nor reach the next call). */
  reset(): void {
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
    this.freeAt = 0;
  }
}

export class ModemEmulator {
  private serial!: SerialPort;
  private mode: 'command' | 'data' = 'command';
  private echo = true;
  private line = '';
  private socket: net.Socket | null = null;
  private dataBytes = 0;
  private lastDataAt = 0;
  private plusCount = 0;
  private plusTimer: NodeJS.Timeout | null = null;
  private up!: RadioChannel;    // handset -> network
  private down!: RadioChannel;  // network -> handset
  private generation = 0;
  readonly stats = { commands: [] as string[], calls: 0, carrierLosses: 0, bytesUp: 0, bytesDown: 0 };

  constructor(private readonly o: EmulatorOptions) {}

  async start(): Promise<void> {
    this.serial = new SerialPort({ path: this.o.path, baudRate: 115200, autoOpen: false });
    await new Promise<void>((res, rej) => this.serial.open((e) => (e ? rej(e) : res())));
    this.serial.on('error', (e) => this.o.log?.(`emulator serial error: ${e.message}`));
    const rnd = mulberry32(this.o.seed ?? 1);
    this.up = new RadioChannel(this.o, rnd, (b) => this.socket?.write(b));
    this.down = new RadioChannel(this.o, rnd, (b) => { if (this.mode === 'data') this.serial.write(b); });
    this.serial.on('data', (d: Buffer) => this.onSerial(d));
  }

  async stop(): Promise<void> {
    this.generation++; // a dial still in progress finds itself stale and closes its socket
    this.socket?.destroy();
    this.socket = null;
    this.up?.reset(); this.down?.reset();
    if (this.plusTimer) clearTimeout(this.plusTimer);
    if (this.serial?.isOpen) await new Promise<void>((r) => this.serial.close(() => r()));
  }

  private reply(s: string): void {
    if (this.o.fault === 'silent') return;
    this.serial.write(`\r\n${s}\r\n`);
  }

  private onSerial(d: Buffer): void {
    if (this.mode === 'data') return this.onDataBytes(d);
    for (const byte of d) {
      const c = String.fromCharCode(byte);
      if (this.echo && this.o.fault !== 'silent') this.serial.write(c);
      if (c === '\r') { const cmd = this.line.trim(); this.line = ''; if (cmd) this.onCommand(cmd); }
      else if (c !== '\n') this.line += c;
    }
  }

  /** Data mode: the +++ escape needs a guard time of silence before and after (ITU-T V.250). */
  private onDataBytes(d: Buffer): void {
    const now = performance.now();
    const guard = 1000;
    if (d.every((b) => b === 0x2b) && (this.plusCount > 0 || now - this.lastDataAt >= guard)) {
      this.plusCount += d.length;
      if (this.plusCount === 3) {
        if (this.plusTimer) clearTimeout(this.plusTimer);
        this.plusTimer = setTimeout(() => { this.plusCount = 0; this.mode = 'command'; this.reply('OK'); }, guard);
        return;
      }
      if (this.plusCount < 3) return;
    }
    if (this.plusCount > 0) { // not an escape after all: the pluses were data
      const held = Buffer.alloc(this.plusCount, 0x2b);
      this.plusCount = 0;
      if (this.plusTimer) { clearTimeout(this.plusTimer); this.plusTimer = null; }
      this.forwardUp(held);
    }
    this.lastDataAt = now;
    this.forwardUp(d);
  }

  private forwardUp(d: Buffer): void {
    const gen = this.generation;
    this.stats.bytesUp += d.length;
    this.countData(d.length);
    if (gen === this.generation) this.up.send(d); // unless that dropped the carrier
  }

  private countData(n: number): void {
    this.dataBytes += n;
    if (this.o.carrierLossAfterBytes !== undefined && this.stats.calls === 1 && this.dataBytes >= this.o.carrierLossAfterBytes && this.socket) {
      this.dropCarrier();
    }
  }

  /** Ends the call or socket as a lost carrier would. */
  dropCarrier(): void {
    this.stats.carrierLosses++;
    if (this.plusTimer) { clearTimeout(this.plusTimer); this.plusTimer = null; this.plusCount = 0; }
    this.generation++;
    this.socket?.destroy();
    this.socket = null;
    const wasData = this.mode === 'data';
    this.mode = 'command';
    this.up.reset(); this.down.reset();
    if (wasData || this.o.dialect !== 'hayes-csd') this.reply(this.o.dialect === 'sim800' ? 'CLOSED' : 'NO CARRIER');
  }

  private onCommand(cmd: string): void {
    this.stats.commands.push(cmd);
    this.o.log?.(`modem <- ${cmd}`);
    const u = cmd.toUpperCase();
    if (this.o.fault === 'silent') return;
    if (u === 'AT') return this.reply('OK');
    if (u === 'ATE0' || u === 'ATE1') { this.echo = u === 'ATE1'; return this.reply('OK'); }
    if (u.startsWith('AT+CMEE')) return this.reply('OK');
    if (u === 'ATH' || u === 'ATH0') { this.hangUp(); return this.reply('OK'); }
    if (u === 'ATO' || u === 'ATO0') {
      if (!this.socket) return this.reply('NO CARRIER');
      this.reply(this.o.dialect === 'hayes-csd' ? `CONNECT ${this.o.connectRate ?? this.o.bitRate}` : 'CONNECT');
      this.mode = 'data';
      return;
    }
    const connectFault = () => { this.reply('ERROR'); };
    switch (this.o.dialect) {
      case 'hayes-csd':
        if (u.startsWith('AT+CBST=')) return this.reply('OK');
        if (u.startsWith('ATD')) {
          if (this.o.fault === 'error') return connectFault();
          return this.dial(() => this.reply(`CONNECT ${this.o.connectRate ?? this.o.bitRate}`), () => this.reply('NO CARRIER'));
        }
        break;
      case 'sim800':
        if (u === 'AT+CIPMODE=1' || u.startsWith('AT+CSTT') || u === 'AT+CIICR') return this.reply('OK');
        if (u === 'AT+CIPSHUT') { this.hangUp(); return this.reply('SHUT OK'); }
        if (u === 'AT+CIPCLOSE' || u === 'AT+CIPCLOSE=1') { this.hangUp(); return this.reply('CLOSE OK'); }
        if (u === 'AT+CIFSR') return this.reply('10.64.0.2');
        if (u.startsWith('AT+CIPSTART=')) {
          if (this.o.fault === 'error') return connectFault();
          this.reply('OK');
          return this.dial(() => this.reply('CONNECT'), () => this.reply('CONNECT FAIL'));
        }
        break;
      case 'bg96':
        if (u.startsWith('AT+QICSGP=') || u === 'AT+QIACT=1' || u === 'AT+QIDEACT=1') return this.reply('OK');
        if (u.startsWith('AT+QICLOSE')) { this.hangUp(); return this.reply('OK'); }
        if (u.startsWith('AT+QIOPEN=')) {
          if (this.o.fault === 'error') return connectFault();
          return this.dial(() => this.reply('CONNECT'), () => this.reply('ERROR'));
        }
        break;
    }
    this.reply('ERROR');
  }

  /** Ends the call or socket on the modem's own command (no NO CARRIER report). */
  private hangUp(): void {
    this.generation++;
    this.socket?.destroy();
    this.socket = null;
    this.up.reset(); this.down.reset();
  }

  /** Opens the network side (TCP to B) and enters data mode. */
  private dial(ok: () => void, fail: () => void): void {
    const gen = ++this.generation;
    const s = net.connect({ host: this.o.host, port: this.o.port });
    s.setNoDelay(true);
    s.once('connect', () => {
      if (gen !== this.generation) { s.destroy(); return; }
      this.socket = s;
      this.stats.calls++;
      this.dataBytes = 0;
      this.lastDataAt = performance.now();
      ok();
      this.mode = 'data';
    });
    s.once('error', () => { if (gen === this.generation && !this.socket) fail(); });
    s.on('data', (d: Buffer) => {
      if (gen !== this.generation) return;
      this.stats.bytesDown += d.length;
      this.countData(d.length);
      if (gen === this.generation) this.down.send(d); // unless that dropped the carrier
    });
    s.on('close', () => { if (gen === this.generation && this.socket === s) this.dropCarrier(); });
  }
}
