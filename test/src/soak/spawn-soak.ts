// Runs soak-child.ts in a fresh `node --expose-gc --import tsx` process and parses its last stdout line.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SoakArgs, SoakResult } from './soak-types';

/** Wall-time limit of one child, ms: past it the child is killed and the promise rejects (a hang is a failure). */
export const CHILD_TIMEOUT_MS = 10 * 60 * 1000;

/** Resolves to the child's result; rejects with its stderr tail when it fails, prints no JSON or runs too long. */
export function spawnSoak(args: SoakArgs, timeoutMs: number = CHILD_TIMEOUT_MS): Promise<SoakResult> {
  const child = fileURLToPath(new URL('./soak-child.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', child, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) {
        const tail = err.split('\n').filter((l) => !l.startsWith('var Module')).slice(-10).join('\n');
        reject(new Error(`spawnSoak: the child exited with ${code ?? signal}${signal === 'SIGKILL' ? ` (killed after ${timeoutMs} ms)` : ''}: ${tail}`));
        return;
      }
      const line = out.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(line) as SoakResult);
      } catch {
        reject(new Error(`spawnSoak: no JSON on the child's last stdout line: ${line.slice(0, 200)}`));
      }
    });
  });
}
