/**
 * `airshake serve` as a separate OS process (the directory tests and the load bench run two of
 * them): started with `node dist/host/cli.js serve ... --tcp 0`, ready once it prints its port; its
 * JSON event lines (stdout) are kept with their arrival times; stop() sends SIGTERM and returns the
 * final stats line. Children still running when this process exits are killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ServeEvent {
  type: string;
  /** B's clock (Date.now) when it logged the event. */
  t: number;
  [k: string]: unknown;
}

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));

const running = new Set<ChildProcess>();
let hooked = false;

export class ServeProcess {
  readonly events: ServeEvent[] = [];
  private readonly waiters = new Set<() => void>();
  private exited = false;
  private exitInfo = '';
  private stderr = '';

  /** The TCP port B listens on (known once start() resolves). */
  port = 0;

  private constructor(readonly proc: ChildProcess) {}

  /**
   * Starts B with `args` (everything after `serve`; --tcp 0 is added unless given). Node options for
   * the child can be given in AIRSHAKE_SERVE_NODE_ARGS (space-separated), e.g. `--cpu-prof` to
   * profile B under a bench.
   */
  static start(args: string[], o: { readyTimeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ServeProcess> {
    const full = args.includes('--tcp') ? args : [...args, '--tcp', '0'];
    const proc = spawn(process.execPath, [...(process.env.AIRSHAKE_SERVE_NODE_ARGS ?? '').split(' ').filter(Boolean), CLI, 'serve', ...full], { stdio: ['ignore', 'pipe', 'pipe'], env: o.env ?? process.env });
    running.add(proc);
    proc.once('exit', () => running.delete(proc));
    if (!hooked) {
      hooked = true;
      process.once('exit', () => { for (const c of running) c.kill('SIGKILL'); });
    }
    const sp = new ServeProcess(proc);
    const limit = o.readyTimeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`airshake serve did not listen within ${limit} ms; stderr: ${sp.stderr}`)); }, limit);
      proc.stderr!.setEncoding('utf8');
      proc.stderr!.on('data', (d: string) => { sp.stderr += d; });
      proc.stdout!.setEncoding('utf8');
      proc.stdout!.on('data', (d: string) => {
        buf += d;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const m = sp.port === 0 ? /on tcp [^ ]+:(\d+);/.exec(line) : null;
          if (m) { sp.port = Number(m[1]); clearTimeout(timer); resolve(sp); continue; }
          if (!line.startsWith('{')) continue;
          try {
            const e = JSON.parse(line) as ServeEvent;
            e.receivedAt = Date.now();
            sp.events.push(e);
            sp.wake();
          } catch { /* not an event line */ }
        }
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        sp.exited = true;
        sp.exitInfo = `code ${code} signal ${signal}`;
        sp.wake();
        if (sp.port === 0) reject(new Error(`airshake serve exited (${sp.exitInfo}) before it listened; stderr: ${sp.stderr}`));
      });
    });
  }

  private wake(): void { for (const w of [...this.waiters]) w(); }

  /** The first event (already logged or still to come) that satisfies `pred`; rejects after `timeoutMs`. */
  waitFor(pred: (e: ServeEvent) => boolean, timeoutMs: number, what = 'event'): Promise<ServeEvent> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const e = this.events.find(pred);
        if (e) { cleanup(); resolve(e); return true; }
        if (this.exited) { cleanup(); reject(new Error(`B exited (${this.exitInfo}) before ${what}; stderr: ${this.stderr}`)); return true; }
        return false;
      };
      const timer = setTimeout(() => { cleanup(); reject(new Error(`${what}: not logged by B within ${timeoutMs} ms`)); }, timeoutMs);
      const cleanup = () => { clearTimeout(timer); this.waiters.delete(check); };
      if (!check()) this.waiters.add(check);
    });
  }

  /** SIGTERM; resolves with B's final stats line (null if it printed none), SIGKILL after 10 s. */
  async stop(): Promise<ServeEvent | null> {
    if (!this.exited) {
      const done = new Promise<void>((r) => { if (this.exited) r(); else this.proc.once('exit', () => r()); });
      this.proc.kill('SIGTERM');
      const k = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
      await done;
      clearTimeout(k);
    }
    return [...this.events].reverse().find((e) => e.type === 'stats') ?? null;
  }

  /** Suspends (SIGSTOP) or resumes (SIGCONT) the process. */
  signal(sig: NodeJS.Signals): boolean { return this.proc.kill(sig); }
}
