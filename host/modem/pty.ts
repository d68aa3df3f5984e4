/**
 * A pair of connected pseudo-terminals made by socat, for running the modem emulator and the
 * handset's serial driver through real serial ports when no modem is attached:
 *   socat -d -d pty,raw,echo=0,link=A pty,raw,echo=0,link=B
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface PtyPair { a: string; b: string; close(): Promise<void> }

export async function createPtyPair(timeoutMs = 5000): Promise<PtyPair> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'airshake-pty-'));
  const a = path.join(dir, 'A'), b = path.join(dir, 'B');
  let proc: ChildProcess;
  try {
    proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    throw new Error(`socat is needed for serial tests without a modem (apt-get install socat): ${(e as Error).message}`);
  }
  let stderr = '';
  proc.stderr!.on('data', (d) => { stderr += d; });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.once('error', () => {});
  const t0 = Date.now();
  while (!(existsSync(a) && existsSync(b) && /starting data transfer loop/.test(stderr))) {
    if (proc.exitCode !== null || Date.now() - t0 > timeoutMs) {
      proc.kill();
      throw new Error(`socat did not create the pty pair (is socat installed?): ${stderr.trim() || 'no output'}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    a, b,
    async close() {
      if (proc.exitCode === null) proc.kill();
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
