import type { Batch } from '@bilevel/linalg';
import type { Estimator } from './estimator';
import { BatchTerms } from './batch-terms';
import { PointCopy } from './point-copy';

/** Options of {@link aiSarahEstimator}, with their defaults. */
export interface AiSarahEstimatorOptions {
  /**
   * γ ∈ (0, 1): a loop ends when ‖d_t‖² < γ‖d₀‖², d₀ the full direction that began it. Default 1/32 (the authors'
   * notebook; their README reports that any value in 1/8…1/64 works).
   */
  readonly gamma?: number;
  /** Longest loop in steps, a safeguard the paper does not have. Default Infinity (no cap). */
  readonly maxLoop?: number;
}

interface AiSarahEstimatorState {
  readonly base: BatchTerms;
  readonly prev: PointCopy;
  readonly d: Float64Array;
  readonly full: Batch[];
  /** q_{B_{t+1}}(w_t) per term, once computed (by a probe or the next estimate). */
  readonly qPrev: Float64Array[];
  qPrevValid: boolean;
  /** Whether the next step's batches have been drawn (after the first estimate). */
  drawn: boolean;
  /** ‖d₀‖² of the current loop. */
  r0: number;
  /** Steps since the last full refresh; −1 before the first. */
  loop: number;
  refreshes: number;
  lastLoop: number;
}

/** qPrev ← q_B(w_t) for this step's drawn batches B at the saved point w_t. */
function previousValues(s: AiSarahEstimatorState): void {
  const { base } = s;
  for (let i = 0; i < base.terms.length; i++) base.terms[i].evaluate(s.prev, base.batches[i].indices, s.qPrev[i]);
  s.qPrevValid = true;
}

/**
 * SARAH with AI-SARAH's adaptive loop length (Shi, Sadiev, Loizou, Richtárik, Takáč, "AI-SARAH: Adaptive and
 * implicit stochastic recursive gradient methods", TMLR 2023): a loop starts with the full direction and runs the
 * recursion until the estimate has shrunk by γ:
 *   refresh (t = 0, or ‖d̃_t‖² < γ‖d₀‖²):  d_t = d₀ = Σ_terms q_full(w_t)
 *   otherwise:                            d_t = d̃_t = d_{t−1} + Σ_terms [q_{B_t}(w_t) − q_{B_t}(w_{t−1})]
 * where d̃_t is computed first and then replaced when it is small, as in the authors' code (so a refresh step also
 * pays for its minibatch evaluations). No period to tune. Pair it with {@link aiSarahStep} for the tune-free method.
 * `probe(u)` looks one step ahead, as the paper's step fit does: it evaluates the *next* step's batches B_{t+1}
 * (drawn at the end of `estimate`), d_t + Σ_terms [q_{B_{t+1}}(u) − q_{B_{t+1}}(w_t)], which is exactly the next
 * recursive estimate if w_{t+1} = u; q_{B_{t+1}}(w_t) is computed once and reused by the next step.
 * Diagnostics: `refreshes`, `lastLoop` (length of the last finished loop), `loop` (steps into the current one).
 *
 * @example composePart('inner', { estimator: aiSarahEstimator({ gamma: 1 / 32 }), step: aiSarahStep(), batchSize: 64 })
 */
export function aiSarahEstimator(options: AiSarahEstimatorOptions = {}): Estimator<AiSarahEstimatorState> {
  const fn = 'aiSarahEstimator';
  for (const key of Object.keys(options)) {
    if (key !== 'gamma' && key !== 'maxLoop') throw new RangeError(`${fn}: unknown option "${key}"; expected one of gamma, maxLoop`);
  }
  const gamma = options.gamma ?? 1 / 32;
  if (typeof gamma !== 'number' || !(gamma > 0 && gamma < 1)) throw new RangeError(`${fn}: gamma must be a number in (0, 1), received ${String(gamma)}`);
  const maxLoop = options.maxLoop ?? Infinity;
  if (typeof maxLoop !== 'number' || !(maxLoop === Infinity || (Number.isInteger(maxLoop) && maxLoop >= 1))) {
    throw new RangeError(`${fn}: maxLoop must be a positive integer or Infinity, received ${String(maxLoop)}`);
  }
  return {
    name: 'ai-sarah',
    init(context) {
      const base = new BatchTerms(context);
      const { problem } = context;
      const full = base.terms.map((t) => ({ block: -1, indices: t.source === 'inner' ? problem.fullInner : problem.fullOuter, weight: 1 }));
      return {
        base,
        prev: new PointCopy(problem.dimZ, problem.dimX),
        d: new Float64Array(base.dim),
        full,
        qPrev: base.terms.map(() => new Float64Array(base.dim)),
        qPrevValid: false,
        drawn: false,
        r0: 0,
        loop: -1,
        refreshes: 0,
        lastLoop: 0,
      };
    },
    estimate(s, reads, _t, out) {
      const { base, prev, d } = s;
      const dim = base.dim;
      let refresh = s.loop < 0 || s.loop + 1 >= maxLoop;
      if (!refresh) {
        if (!s.drawn) base.draw();
        if (!s.qPrevValid) previousValues(s);
        let dd = 0;
        for (let i = 0; i < base.terms.length; i++) {
          base.terms[i].evaluate(reads, base.batches[i].indices, base.q[i]);
          for (let k = 0; k < dim; k++) d[k] += base.q[i][k] - s.qPrev[i][k];
        }
        for (let k = 0; k < dim; k++) dd += d[k] * d[k];
        refresh = dd < gamma * s.r0;
        s.loop++;
      }
      if (refresh) {
        if (s.loop >= 0) s.lastLoop = s.loop;
        d.fill(0);
        for (let i = 0; i < base.terms.length; i++) {
          base.batches[i] = s.full[i];
          base.terms[i].evaluate(reads, s.full[i].indices, base.q[i]);
          for (let k = 0; k < dim; k++) d[k] += base.q[i][k];
        }
        let dd = 0;
        for (let k = 0; k < dim; k++) dd += d[k] * d[k];
        s.r0 = dd;
        s.loop = 0;
        s.refreshes++;
      }
      prev.save(reads);
      out.set(d);
      base.remember(reads, out);
      // the paper fits the step on the sample of the *next* recursive update: draw it now
      base.draw();
      s.drawn = true;
      s.qPrevValid = false;
    },
    probe(s, point, out) {
      const { base } = s;
      if (!s.drawn) throw new Error('aiSarahEstimator.probe: call estimate first');
      if (!s.qPrevValid) previousValues(s);
      out.set(base.lastD);
      for (let i = 0; i < base.terms.length; i++) {
        base.terms[i].evaluate(point, base.batches[i].indices, base.scratch);
        for (let k = 0; k < base.dim; k++) out[k] += base.scratch[k] - s.qPrev[i][k];
      }
    },
    diagnostics: (s) => ({ refreshes: s.refreshes, lastLoop: s.lastLoop, loop: s.loop }),
  };
}
