import type { BilevelProblem } from '@bilevel/problems';
import type { Reads, StreamName, StreamPart } from '../solver';
import { STREAM_VARIABLE } from '../solver';
import type { Estimator } from './estimator';
import type { StepContext, StepRule } from './step-rule';
import { streamDirection } from './direction';
import type { Direction } from './direction';

/** A stream part assembled from an estimator and a step rule. */
export interface PartSpec {
  readonly estimator: Estimator;
  readonly step: StepRule;
  /** Minibatch size of every term. */
  readonly batchSize: number;
  /** The direction to estimate. Default: the stream's single-loop direction ({@link streamDirection}). */
  readonly direction?: (stream: StreamName, problem: BilevelProblem) => Direction;
}

interface ComposedState {
  readonly es: unknown;
  readonly ss: unknown;
  readonly d: Float64Array;
  readonly ctx: MutableContext;
}

interface MutableContext extends StepContext {
  reads: Reads;
  own: Float64Array;
  t: number;
}

/**
 * Builds the `stream` part from any estimator and any step rule: each step estimates the stream's direction at the
 * point it reads, then the step rule moves the stream's variable along it. Any estimator and step rule can drive any
 * of the three streams.
 */
export function composePart(stream: StreamName, spec: PartSpec): StreamPart<ComposedState> {
  const variable = STREAM_VARIABLE[stream];
  const { estimator, step, batchSize } = spec;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`composePart: batchSize must be a positive integer, received ${batchSize}`);
  const withOwn = (reads: Reads, value: Float64Array): Reads => ({ ...reads, [variable]: value });
  return {
    stream,
    description: { estimator: estimator.name, batchSize, ...(step.stepSize ? { step: step.stepSize } : {}) },
    init(problem, rng) {
      const direction = (spec.direction ?? streamDirection)(stream, problem);
      const es = estimator.init({ direction, problem, rng, batchSize });
      const ss = step.init(direction.dim);
      const d = new Float64Array(direction.dim);
      const ctx: MutableContext = {
        variable,
        reads: { z: new Float64Array(0), v: new Float64Array(0), x: new Float64Array(0) },
        own: d,
        t: 0,
        d,
        estimateAt: (value, out) => estimator.estimate(es, withOwn(ctx.reads, value), ctx.t, out),
        probeAt: (value, out) => estimator.probe(es, withOwn(ctx.reads, value), out),
      };
      return { es, ss, d, ctx };
    },
    step(s, reads, t, out) {
      estimator.estimate(s.es, reads, t, s.d);
      s.ctx.reads = reads;
      s.ctx.own = reads[variable];
      s.ctx.t = t;
      step.apply(s.ss, s.ctx, out);
    },
    diagnostics(s) {
      return { ...(estimator.diagnostics?.(s.es) ?? {}), ...(step.diagnostics?.(s.ss) ?? {}) };
    },
  };
}
