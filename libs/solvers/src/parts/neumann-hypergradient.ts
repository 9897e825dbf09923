import { BlockSampler } from '@bilevel/linalg';
import type { Rng } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import { IndependentBatches } from './linear/independent-batches';
import type { LinearSolver } from './linear/linear-solver';
import { neumannSolver } from './linear/neumann-solver';

/**
 * How v ≈ −H⁻¹∇_z F is estimated from N minibatch Hessians H_1..H_N (independent draws) and b = ∇_z f_B:
 *
 *   neumann  v = −η Σ_{q=0..N} (I − ηH_q)⋯(I − ηH_1) b        N products (stocBiO's series: MRBO, VRBO)
 *   hia      v = −Nη (I − ηH_p)⋯(I − ηH_1) b,  p ~ U{0..N−1}  p products (Ghadimi & Wang's estimator: SUSTAIN,
 *            TTSA, BSA); its mean over p is the series with the terms q = 0..N−1
 *
 * Both need η ≤ 1/L. With independent Hessian batches the mean of either is the deterministic truncated series, whose
 * error is at most (1 − ημ)^{N+1}‖v*‖ (neumann) or (1 − ημ)^N‖v*‖ (hia).
 */
export type InverseEstimator = 'neumann' | 'hia';

/** Options of {@link NeumannHypergradient}. */
export interface NeumannHypergradientOptions {
  readonly batchSize: number;
  /** η, the series step. */
  readonly eta: number;
  /** N, the number of Hessian batches drawn per estimate. */
  readonly terms: number;
  readonly estimator: InverseEstimator;
}

/**
 * The sample draws S of one estimate: the outer batch of ∇f (both ∇_z f and ∇_x f, as the public benchmark), the inner
 * batch of the cross product, the N Hessian batches, and (hia) the truncation p. `full` draws are the full sample sets.
 */
interface Draws {
  outer: Int32Array | undefined;
  cross: Int32Array | undefined;
  readonly hessian: (Int32Array | undefined)[];
  p: number;
  full: boolean;
}

/**
 * The stochastic hypergradient of the loop methods that build v from a Neumann-type series on each step (MRBO,
 * VRBO, SUSTAIN, TTSA, BSA), as a building block that owns its samplers:
 *
 *   v̂(z, x; S) = the {@link InverseEstimator} from the draws S,
 *   ĝ(z, x; S) = ∇_x f_{B_out}(z, x) + ∇²_xz g_{B_cross}(z, x)·v̂(z, x; S)
 *
 * `draw()` draws S; `evaluate` may then be called at several points with the same S (the recursive estimators MRBO,
 * VRBO and SUSTAIN difference ĝ at the current and the previous point on the same samples). `drawFull()` makes S the
 * full sample sets (VRBO's refresh): the series is then the deterministic one. Hessian batches are independent draws
 * ({@link IndependentBatches}), so the mean of v̂ is exactly the truncated series. Every oracle call goes through
 * `problem` (the stream's counting problem): one ∇_z f and one ∇_x f on B_out, one cross product on B_cross, and
 * N HVPs (neumann) or p (hia) per point.
 */
export class NeumannHypergradient {
  readonly outerSampler: BlockSampler;
  readonly crossSampler: BlockSampler;
  readonly hessianBatches: IndependentBatches;
  /** Draws p (hia). */
  readonly rng: Rng;
  readonly series: LinearSolver;
  readonly draws: Draws;
  readonly b: Float64Array;
  readonly w: Float64Array;
  readonly hw: Float64Array;
  readonly cv: Float64Array;
  /** HVPs of the last `evaluate` (p for hia, N for neumann). */
  products = 0;

  constructor(
    readonly problem: BilevelProblem,
    readonly options: NeumannHypergradientOptions,
    rng: Rng,
  ) {
    const { batchSize, eta, terms } = options;
    this.outerSampler = new BlockSampler(problem.nOuter, batchSize, rng.split());
    this.crossSampler = new BlockSampler(problem.nInner, batchSize, rng.split());
    this.hessianBatches = new IndependentBatches(problem.nInner, batchSize, rng.split());
    this.rng = rng.split();
    this.series = neumannSolver({ terms, eta });
    this.draws = { outer: undefined, cross: undefined, hessian: new Array<Int32Array | undefined>(terms).fill(undefined), p: terms, full: false };
    this.b = new Float64Array(problem.dimZ);
    this.w = new Float64Array(problem.dimZ);
    this.hw = new Float64Array(problem.dimZ);
    this.cv = new Float64Array(problem.dimX);
  }

  /** Draws the samples S of the next estimate(s). */
  draw(): void {
    const d = this.draws;
    d.full = false;
    d.outer = this.outerSampler.next().indices;
    d.cross = this.crossSampler.next().indices;
    for (let q = 0; q < d.hessian.length; q++) d.hessian[q] = this.hessianBatches.next().indices;
    d.p = this.options.estimator === 'hia' ? this.rng.int(0, this.options.terms - 1) : this.options.terms;
  }

  /** Makes S the full sample sets: v̂ is then the deterministic series (`neumann` only: hia's p is random). */
  drawFull(): void {
    if (this.options.estimator !== 'neumann') throw new Error('NeumannHypergradient.drawFull: full draws are for the neumann series');
    const d = this.draws;
    d.full = true;
    d.outer = this.problem.fullOuter;
    d.cross = this.problem.fullInner;
    d.hessian.fill(this.problem.fullInner);
    d.p = this.options.terms;
  }

  /** vOut ← v̂(z, x; S) with the current draws. */
  solve(z: Float64Array, x: Float64Array, vOut: Float64Array): void {
    const p = this.problem;
    const d = this.draws;
    if (!d.outer) throw new Error('NeumannHypergradient: call draw() or drawFull() first');
    const { eta, terms, estimator } = this.options;
    p.outerGradZ(z, x, d.outer, this.b);
    if (estimator === 'neumann') {
      for (let k = 0; k < this.b.length; k++) this.b[k] = -this.b[k];
      vOut.fill(0);
      let q = 0;
      this.series.solve((u, hu) => p.innerHvp(z, x, u, d.hessian[q++]!, hu), this.b, vOut);
      this.products = q;
      return;
    }
    // hia: w ← (I − ηH_p)⋯(I − ηH_1) b, v = −Nη w
    const { w, hw } = this;
    w.set(this.b);
    for (let q = 0; q < d.p; q++) {
      p.innerHvp(z, x, w, d.hessian[q]!, hw);
      for (let k = 0; k < w.length; k++) w[k] -= eta * hw[k];
    }
    for (let k = 0; k < w.length; k++) vOut[k] = -terms * eta * w[k];
    this.products = d.p;
  }

  /** vOut ← v̂(z, x; S) and gOut ← ∇_x f_{B_out}(z, x) + ∇²_xz g_{B_cross}(z, x)·vOut, with the current draws. */
  evaluate(z: Float64Array, x: Float64Array, vOut: Float64Array, gOut: Float64Array): void {
    this.solve(z, x, vOut);
    const p = this.problem;
    const d = this.draws;
    p.outerGradX(z, x, d.outer!, gOut);
    p.innerCross(z, x, vOut, d.cross!, this.cv);
    for (let k = 0; k < gOut.length; k++) gOut[k] += this.cv[k];
  }
}
