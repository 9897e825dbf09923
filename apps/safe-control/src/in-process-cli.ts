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

/**
 * A {@link Capture} that calls `then` once, when the text written so far first matches `pattern`: tests act on an
 * event of the program (a log line saying a step has started or ended), not after a delay.
 */
export class CaptureUntil extends Capture {
  private fired = false;
  constructor(
    private readonly pattern: RegExp,
    private readonly then: () => void,
  ) {
    super();
  }
  override _write(chunk: Buffer, enc: string, cb: () => void) {
    super._write(chunk, enc, () => {
      if (!this.fired && this.pattern.test(this.text)) {
        this.fired = true;
        this.then();
      }
      cb();
    });
  }
}

/** Runs `safe-control ARGS` in process (no terminal, no signal handlers): exit code, stdout and stderr. */
export async function cli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(args, { stdout, stderr, tty: false, signals: false });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
