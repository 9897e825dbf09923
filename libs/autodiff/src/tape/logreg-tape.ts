import type { Matrix } from '@bilevel/linalg';
import type { LogregHpo } from '@bilevel/problems';
import type { Tape, TapeVar } from './tape';
import { tapeProblem } from './tape-problem';
import type { TapeProblem } from './tape-problem';

/** mean_{j∈B} softplus(−y_j m_jᵀz) = mean_{j∈B} log(1 + exp(−y_j m_jᵀz)) on the tape. */
function meanLogistic(t: Tape, M: Matrix, y: Float64Array, z: TapeVar): TapeVar {
  return t.mean(t.softplus(t.neg(t.mul(t.gather(y), t.rowsDot(M, z)))));
}

/**
 * The problem of an analytic {@link LogregHpo} (same standardized data, same ±1 labels, scalar or per-feature
 * weight) with oracles from float64 tapes ({@link tapeProblem}) instead of its hand-written derivatives:
 *
 *   g_B(z, x) = mean_{j∈B} softplus(−y_j a_jᵀz) + ½ Σ_k e^{x_k} z_k²   (x of length 1 broadcasts over k),
 *   f_B(z, x) = mean_{i∈B} softplus(−y_i b_iᵀz).
 *
 * The tapes keep the analytic problem's data by reference. Evaluation is generic (L-BFGS, CG); `innerConstants`
 * comes from the analytic problem. Agrees with the analytic oracles to float64 round-off (same sums, nearly the same
 * order): the check of the engine against closed forms, and the `--oracles tape` route of the CLI.
 */
export function logregTape(analytic: LogregHpo): TapeProblem {
  return tapeProblem({
    name: 'logreg-hpo-tape',
    dimZ: analytic.dimZ,
    dimX: analytic.dimX,
    nInner: analytic.nInner,
    nOuter: analytic.nOuter,
    g: (t, z, x) => t.add(meanLogistic(t, analytic.A, analytic.yA, z), t.scale(t.sum(t.mul(t.exp(x), t.square(z))), 0.5)),
    f: (t, z) => meanLogistic(t, analytic.B, analytic.yB, z),
    innerConstants: (x) => analytic.innerConstants(x),
    info: { reg: analytic.reg },
  });
}
