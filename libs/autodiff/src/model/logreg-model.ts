import type { Matrix } from '@bilevel/linalg';
import type { LogregHpo } from '@bilevel/problems';
import { modelProblem } from './model-problem';
import type { ModelProblem, ModelSpec } from './model-problem';

/** The logistic model's tensors: the weights w [d] and the log regularization weights [1] or [d]. */
export type LogregModelShapes = { readonly params: { readonly w: readonly [number] }; readonly hyper: { readonly logReg: readonly [number] } };

/** Options of {@link logregModel}: any {@link ModelSpec} field but the model itself. */
export type LogregModelOptions = Omit<ModelSpec<LogregModelShapes['params'], LogregModelShapes['hyper']>, 'params' | 'hyper' | 'inner' | 'outer'>;

/** The rows of M times −y_j: the margins' data, so that −y_j m_jᵀw is one data product. */
function signedRows(M: Matrix, y: Float64Array): Matrix {
  const data = new Float64Array(M.rows * M.cols);
  for (let j = 0; j < M.rows; j++) for (let k = 0; k < M.cols; k++) data[j * M.cols + k] = -y[j] * M.data[j * M.cols + k];
  return { rows: M.rows, cols: M.cols, data };
}

/**
 * The logistic task of an analytic {@link LogregHpo} written as a user would write it with {@link modelProblem}, on
 * the same standardized data and ±1 labels:
 *
 *   params { w: [d] },  hyper { logReg: [1] (scalar) or [d] (per feature) }
 *   g_B(w, x) = mean_{j∈B} softplus(−y_j a_jᵀw) + ½ Σ_k e^{x_k} w_k²     f_B(w) = mean_{i∈B} softplus(−y_i b_iᵀw)
 *
 * with the labels folded into the data once (rows −y_j a_j; one data product per sample, as a user would precompute
 * them). Same problem as the analytic one: the check of modelProblem against hand-written derivatives and its speed
 * benchmark. Initial w zero (a convex problem: the start does not matter).
 */
export function logregModel(analytic: LogregHpo, options: LogregModelOptions = {}): ModelProblem<LogregModelShapes['params'], LogregModelShapes['hyper']> {
  const A = signedRows(analytic.A, analytic.yA);
  const B = signedRows(analytic.B, analytic.yB);
  const d = analytic.dimZ;
  return modelProblem({
    name: 'logreg-model',
    init: 'zeros',
    ...options,
    params: { w: [d] as const },
    hyper: { logReg: [analytic.dimX] as const },
    inner: {
      n: analytic.nInner,
      loss: (t, { w }, { logReg }) => t.add(t.mean(t.softplus(t.rowsDot(A, w))), t.sum(t.mul(t.exp(logReg), t.square(w)), 0.5)),
    },
    outer: { n: analytic.nOuter, loss: (t, { w }) => t.mean(t.softplus(t.rowsDot(B, w))) },
    innerConstants: (x) => analytic.innerConstants(x),
    info: { reg: analytic.reg, ...options.info },
  });
}
