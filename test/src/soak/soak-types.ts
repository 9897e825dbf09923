// Shapes exchanged between the soak specs and their child process (soak-child.ts).

/** Arguments of one child run. */
export interface SoakArgs {
  /** `analytic`: float64 kernels, heap sampled; `autodiff`: tfjs oracles (logregAutodiff), tensors sampled too. */
  readonly oracles: 'analytic' | 'autodiff';
  /** Outer steps (the run may stop earlier at `maxSeconds`). */
  readonly steps: number;
  /** A sample every this many outer steps (and at 0 and at the end). */
  readonly every: number;
  /** Budget of solver seconds; default none. */
  readonly maxSeconds?: number;
}

/** One sample, taken right after a forced full GC. */
export interface SoakSample {
  readonly step: number;
  readonly heapUsed: number;
  /** `tf.memory().numTensors` (0 on the analytic path: no tensor is ever made). */
  readonly numTensors: number;
  readonly numBytes: number;
  /** Wall seconds since the run started. */
  readonly seconds: number;
}

/** What the child prints (one JSON line). */
export interface SoakResult {
  readonly oracles: SoakArgs['oracles'];
  readonly backend: string;
  /** Outer steps done. */
  readonly steps: number;
  readonly every: number;
  readonly seconds: number;
  readonly samples: readonly SoakSample[];
  /** `tf.memory().numTensors` once the problem disposed its data tensors: 0 unless something leaked. */
  readonly tensorsAfterDispose: number;
}
