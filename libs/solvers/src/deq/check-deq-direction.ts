import { BatchedAnderson, BatchedBroyden } from '@bilevel/linalg';
import type { EquilibriumProblem } from '@bilevel/problems';
import { exactBackward } from './deq-backward';
import type { DeqTrainingOptions } from './deq-training';
import { adjointAlongLoss, deqBackward, resolveDeqOptions } from './deq-training';

/** How a backward pass compares with the exact one on one batch (see {@link checkDeqDirection}). */
export interface DeqDirectionCheck {
  /** The backward pass checked (`exact`, `shine`, `shine-opa`, `jfb`, with `+k` when refined). */
  readonly name: string;
  /** cos(u, u*) over the batch, u* = (I − J)⁻ᵀ∇_zL solved to `exactTol`. */
  readonly cosine: number;
  /** ‖u − u*‖/‖u*‖. */
  readonly relativeError: number;
  /** cos of the parameter gradients ∇_θL + (∂f/∂θ)ᵀu and ∇_θL + (∂f/∂θ)ᵀu* (what the optimizer sees). */
  readonly gradientCosine: number;
  /** Products with ∂f/∂z made by the checked pass, and by the exact reference. */
  readonly products: number;
  readonly exactProducts: number;
  /** The forward solve of the batch: iterations, and whether every sample converged (when not, the rest is NaN). */
  readonly forwardIterations: number;
  readonly forwardConverged: boolean;
}

const cosine = (a: Float64Array, b: Float64Array) => {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
};

/**
 * The backward direction of the training options on the samples `batch` at x, against the exact direction: a fresh
 * forward solve as training does it (same solver, tolerance, budget, OPA), the pass's u, and u* by GMRES to
 * `exactTol` at the same equilibria. For evaluation points of a trace or a benchmark: it costs a forward solve and an
 * exact backward pass, which a training step with an approximate pass does not make.
 *
 * @example checkDeqDirection(problem, x, probe, { backward: 'shine' }).cosine
 */
export function checkDeqDirection(problem: EquilibriumProblem, x: Float64Array, batch: Int32Array, options: DeqTrainingOptions = {}, exactTol = 1e-10): DeqDirectionCheck {
  const o = resolveDeqOptions('checkDeqDirection', options);
  const backward = deqBackward(o);
  const d = problem.stateDim;
  const B = batch.length;
  const eq = problem.equilibriumBatch(batch, x);
  const z = new Float64Array(B * d);
  const map = (q: Float64Array, f: Float64Array) => eq.layer(q, f);
  const buf = { gz: new Float64Array(B * d), sigma: new Float64Array(B * d), t: new Float64Array(B * d) };
  let inverse;
  let res;
  if (o.forward === 'broyden') {
    const opa = o.backward === 'shine-opa';
    const qn = new BatchedBroyden(B, d, { memory: o.memory + (opa ? Math.floor(o.forwardMaxIter / o.opaEvery) + 1 : 0) });
    res = qn.solve(map, z, { tol: o.forwardTol, maxIter: o.forwardMaxIter }, opa ? (it, zi) => it % o.opaEvery === 0 && adjointAlongLoss(eq, qn, zi, buf) : undefined);
    if (opa && res.converged) adjointAlongLoss(eq, qn, z, buf);
    inverse = qn.inverse();
  } else {
    res = new BatchedAnderson(B, d, { history: o.history, ridge: o.ridge }).solve(map, z, { tol: o.forwardTol, maxIter: o.forwardMaxIter });
  }
  const name = backward.name;
  if (!res.converged) {
    return { name, cosine: NaN, relativeError: NaN, gradientCosine: NaN, products: 0, exactProducts: 0, forwardIterations: res.iterations, forwardConverged: false };
  }
  const rhs = new Float64Array(B * d);
  const gx = new Float64Array(problem.dimX);
  eq.loss(z, rhs, gx);
  const u = new Float64Array(B * d);
  const info = backward.direction({ batch: eq, z, rhs, inverse }, u);
  const uStar = new Float64Array(B * d);
  const ref = exactBackward({ tol: exactTol, maxIter: 20 * d + 100 }).direction({ batch: eq, z, rhs }, uStar);
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < u.length; i++) {
    diff += (u[i] - uStar[i]) ** 2;
    norm += uStar[i] ** 2;
  }
  const g = new Float64Array(problem.dimX);
  const gStar = new Float64Array(problem.dimX);
  eq.vjpX(z, u, g);
  eq.vjpX(z, uStar, gStar);
  for (let i = 0; i < g.length; i++) {
    g[i] += gx[i];
    gStar[i] += gx[i];
  }
  return {
    name,
    cosine: cosine(u, uStar),
    relativeError: Math.sqrt(diff / norm),
    gradientCosine: cosine(g, gStar),
    products: info.products,
    exactProducts: ref.products,
    forwardIterations: res.iterations,
    forwardConverged: true,
  };
}
