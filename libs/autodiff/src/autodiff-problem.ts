import * as tf from '@tensorflow/tfjs';
import { conjugateGradient, nrm2 } from '@bilevel/linalg';
import { fullBatch, hypergradientCg, solveInnerLbfgs } from '@bilevel/problems';
import type { BilevelProblem, Hypergradient, InnerSolution, InnerSolveOptions } from '@bilevel/problems';

/**
 * A sample-wise loss written with tfjs ops: the MEAN of the per-sample losses over `batch` (int32 sample indices),
 * as a scalar. It may gather its data (tensors captured in the closure, owned by the caller) with
 * `tf.gather(data, batch)`. It runs inside `tf.tidy` and under `tf.grad`, so it must be a pure function of its
 * arguments built from tfjs ops only (no `dataSync`, no `tf.keep`).
 *
 * Second derivatives: prefer ops whose gradient is written in terms of its *input* (`tf.softplus`, `tf.square`,
 * `tf.matMul`, `tf.log`…). Ops whose gradient reuses their saved *output* (`exp`, `sigmoid`, `tanh`, `softmax`,
 * `logSoftmax`, `elu`, `pow`, …) are right at first order but their second derivative is silently wrong or throws
 * (tfjs issue #3252): e.g. `tf.log1p(tf.exp(t))` and `tf.losses.sigmoidCrossEntropy` give wrong HVPs. Such an op is
 * harmless where it only multiplies z from outside the second-order path (e.g. `exp(x)` in `½ Σ exp(x_k) z_k²`),
 * but audit every problem with `auditOracles` (`@bilevel/autodiff`).
 */
export type TfLoss = (z: tf.Tensor1D, x: tf.Tensor1D, batch: tf.Tensor1D) => tf.Scalar;

/** What {@link autodiffProblem} builds a problem from. */
export interface AutodiffSpec {
  /** Short identifier. Default `autodiff`. */
  readonly name?: string;
  /** Dimension of the inner variable z (positive integer). */
  readonly dimZ: number;
  /** Dimension of the outer variable x (positive integer). */
  readonly dimX: number;
  /** Number of inner samples n: batches index 0..n−1 (positive integer). */
  readonly nInner: number;
  /** Number of outer samples m (positive integer). */
  readonly nOuter: number;
  /** Inner loss g_B(z, x): mean over the batch. */
  readonly g: TfLoss;
  /** Outer loss f_B(z, x): mean over the batch. */
  readonly f: TfLoss;
  /**
   * Evaluation-time inner solve replacing the default (L-BFGS, then Newton–CG, see {@link autodiffProblem}). Its
   * `tol`, when left out, is reported as the one asked for (`options.tol`, default {@link AUTODIFF_INNER_TOL}).
   */
  readonly solveInner?: (x: Float64Array, options?: InnerSolveOptions) => Omit<InnerSolution, 'tol'> & { readonly tol?: number };
  /** Facts for logs and summaries. */
  readonly info?: Readonly<Record<string, string | number | boolean>>;
}

/** Work counters of an {@link AutodiffProblem}: diagnostics as data. */
export interface AutodiffCounters {
  /** Calls of `innerValue` / `outerValue`. */
  readonly values: number;
  /** First-order passes (`innerGradZ`, `outerGradZ`, `outerGradX`). */
  readonly gradients: number;
  /** Double-backprop passes, each giving an HVP and a cross product together. */
  readonly secondOrderPasses: number;
  /** `innerHvp` / `innerCross` calls answered from the last second-order pass. */
  readonly cacheHits: number;
}

/** A {@link BilevelProblem} whose oracles come from tfjs automatic differentiation (float32). */
export interface AutodiffProblem extends BilevelProblem {
  readonly precision: 'float32';
  /** outHvp ← ∇²_zz g_B(z, x)·v and outCross ← ∇²_xz g_B(z, x)·v from one double-backprop pass. */
  innerHvpCross(z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, outHvp: Float64Array, outCross: Float64Array): void;
  /** ∇_x g_B by backprop. */
  innerGradX(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array): void;
  /** ∇²_zz f_B·v and ∇²_xz f_B·v, from one double-backprop pass of f (shared between the two calls). */
  outerHvp(z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void;
  outerCross(z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void;
  /** Work done so far (a snapshot). */
  counters(): AutodiffCounters;
}

/**
 * Default evaluation tolerance ‖∇_z G‖ ≤ 1e-5 instead of the float64 problems' 1e-10: the full-batch gradient is a
 * float32 mean of n terms of size O(‖a_j‖), so its rounding noise is ~1e-7..1e-6 (unit roundoff 6e-8 times the
 * accumulation); 1e-5 is reachable with a margin, 1e-10 is not.
 */
export const AUTODIFF_INNER_TOL = 1e-5;

/**
 * Gradient norm where the default solve hands over from L-BFGS to Newton–CG. L-BFGS's Armijo test compares float32
 * values whose decrease ~‖∇G‖²/(2L) falls under their resolution (6e-8·|G|) once ‖∇G‖ ≲ 1e-4..1e-3; from there it
 * spends up to 60 evaluations per iteration on rounding noise (measured on the breast-cancer slice: it stalls at
 * ‖∇G‖ ≈ 3e-5 after ~1800 evaluations). Newton–CG steps use gradients and HVPs only, and converge quadratically there.
 */
const LBFGS_HANDOVER_TOL = 1e-3;
/** Iteration cap of the L-BFGS phase unless the caller sets `maxIter`. */
const LBFGS_MAX_ITER = 200;
/** Newton–CG steps at most. */
const NEWTON_MAX_STEPS = 10;
/** Step halvings tried when a full Newton step does not lower ‖∇G‖. */
const NEWTON_MAX_HALVINGS = 4;
/** Relative residual of the CG solve inside one Newton step (float32 HVPs are accurate to ~1e-6 relative). */
const NEWTON_CG_RTOL = 1e-4;

/** Adds `0·Σt` for each t: ties y to every input so tf.grad(s) never throws "Cannot compute gradient" when y does
 *  not depend on one of them (e.g. F independent of x); the tie's gradient is exactly zero. */
function tie(y: tf.Scalar, ...inputs: tf.Tensor[]): tf.Scalar {
  let out = y;
  for (const t of inputs) out = tf.add(out, tf.mul(0, tf.sum(t)));
  return out;
}

function checkScalar(y: unknown, which: 'g' | 'f'): tf.Scalar {
  if (!(y instanceof tf.Tensor) || y.rank !== 0) {
    const what = y instanceof tf.Tensor ? `a tensor of shape [${y.shape.join(', ')}]` : typeof y;
    throw new TypeError(`autodiffProblem: spec.${which} must return a scalar (rank-0) tensor, the mean loss over the batch; received ${what}`);
  }
  return y as tf.Scalar;
}

/** A received value, for error messages: strings quoted, numbers (NaN included) and the rest as `String` does. */
function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function validateSpec(spec: AutodiffSpec): void {
  if (spec === null || typeof spec !== 'object') throw new TypeError(`autodiffProblem: spec must be an object, received ${String(spec)}`);
  for (const field of ['dimZ', 'dimX', 'nInner', 'nOuter'] as const) {
    const value = spec[field];
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`autodiffProblem: spec.${field} must be a positive integer, received ${describe(value)}`);
    }
  }
  for (const field of ['g', 'f'] as const) {
    if (typeof spec[field] !== 'function') {
      throw new TypeError(`autodiffProblem: spec.${field} must be a function (z, x, batch) => tf.Scalar, received ${typeof spec[field]}`);
    }
  }
  if (spec.solveInner !== undefined && typeof spec.solveInner !== 'function') {
    throw new TypeError(`autodiffProblem: spec.solveInner must be a function (x, options) => InnerSolution when given, received ${typeof spec.solveInner}`);
  }
  if (spec.name !== undefined && (typeof spec.name !== 'string' || spec.name === '')) {
    throw new TypeError(`autodiffProblem: spec.name must be a non-empty string when given, received ${describe(spec.name)}`);
  }
}

function sameContent(a: Float64Array | Int32Array, b: Float64Array | Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Builds a {@link BilevelProblem} from tfjs functions for the mean inner and outer losses, with oracles by automatic
 * differentiation:
 *
 *   ∇_z g_B = tf.grad(g)(z),   ∇_x f_B, ∇_z f_B = tf.grad(f),
 *   (∇²_zz g_B·v, ∇²_xz g_B·v) = tf.grads((z, x) ↦ ⟨∇_z g_B(z, x), v⟩)(z, x)     (one double-backprop pass).
 *
 * Oracles take Float64Array arguments, compute in float32 (`precision: 'float32'`), write into the caller's `out`
 * and dispose every tensor they create (each runs in `tf.tidy`); the tensors the losses capture stay the caller's.
 * `innerHvp` and `innerCross` at the same (z, x, v, batch) share one pass: the second call is answered from a copy
 * (inputs are compared by value, so callers may reuse their buffers). They run on whatever tfjs backend is active:
 * call {@link initEngine} first.
 *
 * Evaluation (`solveInner`, `hypergradient`), float32-appropriate: `solveInnerLbfgs` from @bilevel/problems to
 * ‖∇_z G‖ ≤ 1e-3, then Newton–CG steps (gradients and HVPs only) to ‖∇_z G‖ ≤ tol, default
 * {@link AUTODIFF_INNER_TOL} = 1e-5 instead of 1e-10 (L-BFGS alone stalls near 1e-4 in float32:
 * its value-based line search runs into the resolution of the float32 value); `hypergradientCg` for v* and ∇h. Its CG target (relative residual 1e-12) applies to the
 * recursively updated residual, which keeps shrinking with float32 HVPs (measured: ~14 CG iterations for d = 30);
 * the true accuracy of v* is that of the HVPs, ~1e-6. Measured ∇h vs the analytic LogregHpo: ≤ 4e-7 relative.
 *
 * A loss that does not depend on x (or z) is fine for the first-order oracles and for the x side of the
 * second-order pass: a zero-valued tie `0·Σx` keeps tfjs from throwing "Cannot compute gradient". ∇_z g must depend
 * on z (G is strongly convex in z); if tfjs finds no path, `innerHvp`/`innerCross` throw an error that names the
 * likely cause (tfjs issue #3252). Such an error may leave a few tfjs-internal saved tensors undisposed.
 *
 * Second derivatives of some tfjs ops are wrong (tfjs issue #3252): audit with `auditOracles` (`@bilevel/autodiff`).
 *
 * @example
 *   const A = tf.tensor2d(features, [n, d]); const y = tf.tensor1d(labels); // ±1
 *   const problem = autodiffProblem({
 *     dimZ: d, dimX: 1, nInner: n, nOuter: n,
 *     g: (z, x, b) => tf.add(tf.mean(tf.softplus(tf.neg(tf.mul(tf.gather(y, b), tf.dot(tf.gather(A, b), z))))),
 *                            tf.mul(0.5, tf.mul(tf.exp(tf.sum(x)), tf.sum(tf.square(z))))),
 *     f: (z, _x, b) => tf.mean(tf.softplus(tf.neg(tf.mul(tf.gather(y, b), tf.dot(tf.gather(A, b), z))))),
 *   });
 */
export function autodiffProblem(spec: AutodiffSpec): AutodiffProblem {
  validateSpec(spec);
  const { dimZ, dimX, nInner, nOuter } = spec;
  const name = spec.name ?? 'autodiff';
  const fullInner = fullBatch(nInner);
  const fullOuter = fullBatch(nOuter);
  const stats = { values: 0, gradients: 0, secondOrderPasses: 0, cacheHits: 0 };

  const check = (oracle: string, arg: string, a: Float64Array, n: number) => {
    if (!(a instanceof Float64Array) || a.length !== n) {
      const got = a instanceof Float64Array ? `length ${a.length}` : String((a as unknown)?.constructor?.name ?? typeof a);
      throw new RangeError(`${name}.${oracle}: ${arg} must be a Float64Array of length ${n}, received ${got}`);
    }
  };
  const checkBatch = (oracle: string, batch: Int32Array, n: number) => {
    if (!(batch instanceof Int32Array) || batch.length === 0) {
      throw new RangeError(`${name}.${oracle}: batch must be a non-empty Int32Array of sample indices, received ${batch instanceof Int32Array ? 'an empty one' : typeof batch}`);
    }
    for (let k = 0; k < batch.length; k++) {
      if (batch[k] < 0 || batch[k] >= n) throw new RangeError(`${name}.${oracle}: batch[${k}] = ${batch[k]} is outside 0..${n - 1}`);
    }
  };
  // tfjs accepts Float32Array (not Float64Array) and may keep the array it is given: hand it fresh copies.
  const vec = (a: Float64Array) => tf.tensor1d(Float32Array.from(a), 'float32');
  const idx = (b: Int32Array) => tf.tensor1d(Int32Array.from(b), 'int32');
  const inner = (z: tf.Tensor1D, x: tf.Tensor1D, b: tf.Tensor1D) => checkScalar(spec.g(z, x, b), 'g');
  const outer = (z: tf.Tensor1D, x: tf.Tensor1D, b: tf.Tensor1D) => checkScalar(spec.f(z, x, b), 'f');

  const value = (loss: TfLoss, oracle: string, n: number, z: Float64Array, x: Float64Array, batch: Int32Array): number => {
    check(oracle, 'z', z, dimZ);
    check(oracle, 'x', x, dimX);
    checkBatch(oracle, batch, n);
    stats.values++;
    return tf.tidy(() => loss(vec(z), vec(x), idx(batch)).dataSync()[0]);
  };

  /** out ← ∇_{wrt} loss(z, x, batch). */
  const gradient = (loss: TfLoss, oracle: string, n: number, wrt: 'z' | 'x', z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array) => {
    check(oracle, 'z', z, dimZ);
    check(oracle, 'x', x, dimX);
    checkBatch(oracle, batch, n);
    check(oracle, 'out', out, wrt === 'z' ? dimZ : dimX);
    stats.gradients++;
    tf.tidy(() => {
      const zt = vec(z);
      const xt = vec(x);
      const b = idx(batch);
      const grad =
        wrt === 'z'
          ? tf.grad((zz: tf.Tensor) => tie(loss(zz as tf.Tensor1D, xt, b), zz))(zt)
          : tf.grad((xx: tf.Tensor) => tie(loss(zt, xx as tf.Tensor1D, b), xx))(xt);
      out.set(grad.dataSync());
    });
  };

  /**
   * One double-backprop pass of a loss: grads of s(z, x) = ⟨∇_z loss_B(z, x), v⟩ w.r.t. (z, x) = (HVP, cross).
   * Each loss keeps its last pass (input copies and both results), so HVP and cross at the same point share it.
   */
  const makeSecondOrder = (loss: TfLoss, n: number) => {
    const last = {
      z: new Float64Array(dimZ).fill(NaN),
      x: new Float64Array(dimX).fill(NaN),
      v: new Float64Array(dimZ).fill(NaN),
      batch: new Int32Array(0),
      hvp: new Float64Array(dimZ),
      cross: new Float64Array(dimX),
    };
    const cached = (z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array) =>
      sameContent(z, last.z) && sameContent(x, last.x) && sameContent(v, last.v) && sameContent(batch, last.batch);
    const pass = (oracle: string, z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array) => {
      check(oracle, 'z', z, dimZ);
      check(oracle, 'x', x, dimX);
      check(oracle, 'v', v, dimZ);
      checkBatch(oracle, batch, n);
      if (cached(z, x, v, batch)) {
        stats.cacheHits++;
        return last;
      }
      stats.secondOrderPasses++;
      tf.tidy(() => {
        const b = idx(batch);
        const vt = vec(v);
        const s = (zz: tf.Tensor1D, xx: tf.Tensor1D): tf.Scalar => {
          const gz = tf.grad((zi: tf.Tensor) => tie(loss(zi as tf.Tensor1D, xx, b), zi))(zz);
          // Tie x only: ∇_z loss may legitimately not depend on x, but it must depend on z.
          return tie(tf.sum(tf.mul(gz, vt)), xx);
        };
        let hvp: tf.Tensor;
        let cross: tf.Tensor;
        try {
          [hvp, cross] = tf.grads(s as (...args: tf.Tensor[]) => tf.Scalar)([vec(z), vec(x)]);
        } catch (err) {
          if (err instanceof Error && err.message.startsWith('Cannot compute gradient')) {
            throw new Error(
              `${name}.${oracle}: tfjs finds no path from z to the z-gradient of the loss: either it is linear in z, or ` +
                'its curvature goes only through ops whose gradient reuses their output (exp, sigmoid, tanh, softmax…, ' +
                'tfjs issue #3252), whose second derivative tfjs drops. Rewrite it with softplus/square/log-style ops.',
            );
          }
          throw err;
        }
        last.hvp.set(hvp.dataSync());
        last.cross.set(cross.dataSync());
      });
      last.z.set(z);
      last.x.set(x);
      last.v.set(v);
      if (last.batch.length !== batch.length) last.batch = new Int32Array(batch.length);
      last.batch.set(batch);
      return last;
    };
    return pass;
  };
  const secondOrder = makeSecondOrder(inner, nInner);
  const outerSecondOrder = makeSecondOrder(outer, nOuter);

  const problem: AutodiffProblem = {
    name,
    dimZ,
    dimX,
    nInner,
    nOuter,
    precision: 'float32',
    fullInner,
    fullOuter,
    info: { engine: 'tfjs', precision: 'float32', ...spec.info },

    innerValue: (z, x, batch) => value(inner, 'innerValue', nInner, z, x, batch),
    outerValue: (z, x, batch) => value(outer, 'outerValue', nOuter, z, x, batch),
    innerGradZ: (z, x, batch, out) => gradient(inner, 'innerGradZ', nInner, 'z', z, x, batch, out),
    outerGradZ: (z, x, batch, out) => gradient(outer, 'outerGradZ', nOuter, 'z', z, x, batch, out),
    outerGradX: (z, x, batch, out) => gradient(outer, 'outerGradX', nOuter, 'x', z, x, batch, out),
    innerGradX: (z, x, batch, out) => gradient(inner, 'innerGradX', nInner, 'x', z, x, batch, out),
    innerHvp(z, x, v, batch, out) {
      check('innerHvp', 'out', out, dimZ);
      out.set(secondOrder('innerHvp', z, x, v, batch).hvp);
    },
    innerCross(z, x, v, batch, out) {
      check('innerCross', 'out', out, dimX);
      out.set(secondOrder('innerCross', z, x, v, batch).cross);
    },
    innerHvpCross(z, x, v, batch, outHvp, outCross) {
      check('innerHvpCross', 'outHvp', outHvp, dimZ);
      check('innerHvpCross', 'outCross', outCross, dimX);
      const last = secondOrder('innerHvpCross', z, x, v, batch);
      outHvp.set(last.hvp);
      outCross.set(last.cross);
    },
    outerHvp(z, x, v, batch, out) {
      check('outerHvp', 'out', out, dimZ);
      out.set(outerSecondOrder('outerHvp', z, x, v, batch).hvp);
    },
    outerCross(z, x, v, batch, out) {
      check('outerCross', 'out', out, dimX);
      out.set(outerSecondOrder('outerCross', z, x, v, batch).cross);
    },

    solveInner(x: Float64Array, options: InnerSolveOptions = {}): InnerSolution {
      if (spec.solveInner) return { tol: options.tol ?? AUTODIFF_INNER_TOL, ...spec.solveInner(x, options) };
      return solveInnerFloat32(problem, x, options);
    },
    hypergradient(x: Float64Array, options: InnerSolveOptions = {}): Hypergradient {
      return hypergradientCg(problem, x, (xx, o) => problem.solveInner(xx, o), options);
    },
    counters: () => ({ ...stats }),
  };
  return problem;
}

/**
 * The default float32 inner solve: `solveInnerLbfgs` to ‖∇_z G‖ ≤ max(tol, 1e-3), then Newton–CG steps
 * z ← z + t·p with H·p = −∇G (CG on full-batch HVPs to relative residual 1e-4), t ∈ {1, ½, ¼, …} the first that lowers
 * ‖∇G‖ (a gradient-norm test: the float32 value is too coarse to judge steps this close to z*), until ‖∇G‖ ≤ tol
 * (default {@link AUTODIFF_INNER_TOL}) or no step helps.
 */
function solveInnerFloat32(problem: AutodiffProblem, x: Float64Array, options: InnerSolveOptions): InnerSolution {
  const tol = options.tol ?? AUTODIFF_INNER_TOL;
  const first = solveInnerLbfgs(problem, x, { ...options, tol: Math.max(tol, LBFGS_HANDOVER_TOL), maxIter: options.maxIter ?? LBFGS_MAX_ITER });
  const { dimZ, fullInner } = problem;
  const z = first.z;
  const g = new Float64Array(dimZ);
  const gTry = new Float64Array(dimZ);
  const zTry = new Float64Array(dimZ);
  const p = new Float64Array(dimZ);
  const rhs = new Float64Array(dimZ);
  problem.innerGradZ(z, x, fullInner, g);
  let gradNorm = nrm2(g);
  let iterations = first.iterations;
  for (let k = 0; k < NEWTON_MAX_STEPS && gradNorm > tol; k++) {
    p.fill(0);
    for (let i = 0; i < dimZ; i++) rhs[i] = -g[i];
    conjugateGradient((q, out) => problem.innerHvp(z, x, q, fullInner, out), rhs, p, { rtol: NEWTON_CG_RTOL, maxIter: 10 * dimZ });
    let accepted = false;
    for (let h = 0, t = 1; h <= NEWTON_MAX_HALVINGS && !accepted; h++, t /= 2) {
      for (let i = 0; i < dimZ; i++) zTry[i] = z[i] + t * p[i];
      problem.innerGradZ(zTry, x, fullInner, gTry);
      const normTry = nrm2(gTry);
      if (normTry < gradNorm) {
        z.set(zTry);
        g.set(gTry);
        gradNorm = normTry;
        accepted = true;
      }
    }
    if (!accepted) break;
    iterations++;
  }
  return { z, gradNorm, iterations, converged: gradNorm <= tol, tol };
}
