import type { BilevelProblem } from '@bilevel/problems';
import type { StreamPart } from '../solver';

interface FullBatchOuterState {
  readonly problem: BilevelProblem;
  readonly cv: Float64Array;
  readonly fx: Float64Array;
}

/**
 * The outer stream of the deterministic solvers (implicit differentiation, SHINE): a gradient step on h with the
 * full-batch hypergradient estimate at the current (z, v), x ← x − γ (∇²_xz G(z, x)·v + ∇_x F(z, x)). Allocation-free:
 * the two terms go to buffers the state owns.
 */
export function fullBatchOuter(gamma: number): StreamPart<FullBatchOuterState> {
  return {
    stream: 'outer',
    description: { estimator: 'full-batch', step: { kind: 'constant', value: gamma } },
    init: (problem) => ({ problem, cv: new Float64Array(problem.dimX), fx: new Float64Array(problem.dimX) }),
    step(s, { z, v, x }, _t, out) {
      const p = s.problem;
      p.innerCross(z, x, v, p.fullInner, s.cv);
      p.outerGradX(z, x, p.fullOuter, s.fx);
      for (let k = 0; k < out.length; k++) out[k] = x[k] - gamma * (s.cv[k] + s.fx[k]);
    },
  };
}
