/** Everything `safe-control train` needs, after parsing. */
export interface TrainConfig {
  readonly system: string;
  readonly track: string;
  readonly seed: number;
  readonly out?: string;
  readonly maxIter: number;
  readonly maxSeconds?: number;
  /** 'svg': the value-gradient-only baseline, no certificate. */
  readonly baseline?: string;
  /** Samples per condition of the sampled verifier. */
  readonly samples: number;
  /** Closed-loop trajectories drawn and checked. */
  readonly trajectories: number;
  /** Seconds (wall clock) between checkpoints; 0: none. Default 60. */
  readonly checkpointEvery?: number;
}

/** Format tag and version of report.json (both tracks). */
export const REPORT_FORMAT = 'safe-control.report';
export const REPORT_VERSION = 1;
