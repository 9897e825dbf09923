import type { Logger } from '@bilevel/telemetry';
import type { StopSignal } from '@bilevel/verify';
import type { DashboardPort } from './dashboard/train-dashboard';

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
  /**
   * The same interruption, readable synchronously inside a long step (the LP, the verifiers, the neural fit): set
   * by the thread that receives the signals while this one computes (see runInWorker), so a step stops at once.
   */
  readonly stop?: StopSignal;
  /** `train --dashboard`: where the page's messages go, and `--dashboard-linger`. */
  readonly dashboard?: { readonly port: DashboardPort; readonly linger?: number };
}
