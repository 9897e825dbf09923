// Test support: the `safe-control` program run in process with its output captured (shared by the CLI specs).
import { Writable } from 'node:stream';
import { main } from './main';

/** A writable stream that keeps everything written to it as text. */
export class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.text += chunk.toString();
    cb();
  }
}

/** Runs `safe-control ARGS` in process (no terminal, no signal handlers): exit code, stdout and stderr. */
export async function cli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(args, { stdout, stderr, tty: false, signals: false });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
