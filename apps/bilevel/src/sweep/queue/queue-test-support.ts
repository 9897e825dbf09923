// Test support for the queue specs (not a spec itself): `bilevel worker` processes with parsed logs, a secret file,
// and waiting for a condition.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WORKER_ENTRY = fileURLToPath(new URL('./worker-entry.ts', import.meta.url));
/** Test workers give up a dead worker's lock after 3 s and look for such runs every second (defaults: 10 s, 5 s). */
export const WORKER_ARGS = ['--lock-ms', '3000', '--stalled-ms', '1000', '--json', '--log-level', 'info'];

/** A queue secret in a mode-600 file of `dir`: the file's path and the secret as the sweep and workers read it. */
export function secretFile(dir: string): { readonly path: string; readonly secret: Buffer } {
  const text = randomBytes(32).toString('hex');
  const path = join(dir, 'queue-secret');
  writeFileSync(path, `${text}\n`, { mode: 0o600 });
  return { path, secret: Buffer.from(text) };
}

/**
 * Resolves once `condition()` holds, checking after each `everyMs`; rejects after `timeoutMs` (a safety net for a
 * broken test, not a measure of time). For conditions no event announces (a file written, a log line).
 */
export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000, everyMs = 25): Promise<void> {
  const t0 = performance.now();
  while (!(await condition())) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`until: ${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface LogLine {
  readonly msg: string;
  readonly key?: string;
  readonly [field: string]: unknown;
}

/** A `bilevel worker` process (worker-entry.ts) and its parsed JSON log lines. */
export class WorkerProcess {
  readonly lines: LogLine[] = [];
  readonly proc: ChildProcess;
  readonly ready: Promise<void>;
  readonly exited: Promise<number | null>;
  private stderrTail = '';

  /** `env`: added to this process's (the Redis password, the secret); `args`: more options (`--data-root`, …). */
  constructor(url: string, env: Readonly<Record<string, string>>, args: readonly string[] = []) {
    this.proc = spawn(process.execPath, ['--import', 'tsx', WORKER_ENTRY, '--queue', url, ...WORKER_ARGS, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...env },
    });
    let buffer = '';
    let markReady!: () => void;
    this.ready = new Promise((r) => (markReady = r));
    this.exited = new Promise((r) => this.proc.once('exit', (code) => r(code)));
    this.proc.stderr!.on('data', (d: Buffer) => {
      buffer += d.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          const parsed = JSON.parse(line) as LogLine;
          this.lines.push(parsed);
          if (parsed.msg === 'worker ready') markReady();
        } catch {
          this.stderrTail = (this.stderrTail + line + '\n').slice(-2000);
        }
      }
    });
    void this.exited.then((code) => {
      if (!this.lines.some((l) => l.msg === 'worker ready')) markReady(); // let the test fail on the missing results
      if (code !== 0 && code !== null) process.stderr.write(`worker ${this.proc.pid} exited ${code}: ${this.stderrTail}\n`);
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** Whether the sweep's onStart `worker` (`host:pid`) is this process. */
  is(worker: string): boolean {
    return worker.endsWith(`:${this.pid}`);
  }

  count(msg: string, key: string): number {
    return this.lines.filter((l) => l.msg === msg && l.key === key).length;
  }

  /** Everything the worker wrote to stderr so far (log lines and other text). */
  get text(): string {
    return this.lines.map((l) => JSON.stringify(l)).join('\n') + this.stderrTail;
  }

  /** Ends the process if it still runs (SIGKILL, also after SIGSTOP) and waits for its exit. */
  async kill(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    await this.exited;
  }
}
