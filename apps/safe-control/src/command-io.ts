import type { Logger } from '@bilevel/telemetry';

/** Where a command writes. */
export interface CommandIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly log: Logger;
  /** Draw a progress bar on stderr. */
  readonly progress: boolean;
  /** Print the result as JSON on the last stdout line. */
  readonly json: boolean;
  /** Resolves when the user interrupts (SIGINT/SIGTERM); the run then stops and saves what it has. */
  readonly interrupted?: Promise<string>;
}
