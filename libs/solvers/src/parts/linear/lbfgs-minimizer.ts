import { dot, lbfgsInverse, nrm2 } from '@bilevel/linalg';
import type { CurvaturePair, InverseHessianApprox } from '@bilevel/linalg';

/** Options of {@link LbfgsMinimizer}, with their defaults. */
export interface LbfgsMinimizerOptions {
  /** m, curvature pairs kept (oldest dropped first). Default 10. */
  readonly memory?: number;
  /** H₀ of the two-loop recursion: `identity`, or `scaled` = sᵀy/yᵀy·I of the newest pair (Nocedal & Wright eq. 7.20). Default `identity`. */
  readonly h0?: 'identity' | 'scaled';
}

/** Options of one {@link LbfgsMinimizer.minimize} call. */
export interface LbfgsRunOptions {
  /** Stop when ‖∇f‖ ≤ gtol. */
  readonly gtol: number;
  /** Iteration cap. */
  readonly maxIter: number;
  /**
   * Outer-problem-aware secant pairs (OPA, SHINE): every `every` iterations (iteration counter k ≥ 2 of this call,
   * k mod every = 0) the direction d = `direction(z)` is mapped to e = B⁻¹d, rescaled to the length of the last step,
   * and the pair (e, ∇f(z + e) − ∇f(z)) is added (one extra evaluation of fg).
   */
  readonly opa?: { readonly every: number; readonly direction: (z: Float64Array, out: Float64Array) => void };
}

/** What one {@link LbfgsMinimizer.minimize} call reports. */
export interface LbfgsRunInfo {
  readonly iterations: number;
  readonly gradNorm: number;
  readonly value: number;
  /** OPA pairs added in this call. */
  readonly opaPairs: number;
  /** Whether ‖∇f‖ ≤ gtol at exit. */
  readonly converged: boolean;
}

/** Wolfe constants (the usual quasi-Newton values). */
const C1 = 1e-4;
const C2 = 0.9;
const MAX_TRIALS = 60;
/** Relative change of f below which it is round-off (a few ulps). */
const ROUNDOFF = 1e-15;
/** Consecutive iterations without a new record low of f or ‖∇f‖ after which a run stops (precision floor). */
const MAX_STALLED = 5;

/**
 * Limited-memory BFGS (Nocedal, 1980) whose curvature pairs persist across calls and are exposed, so that the
 * inverse-Hessian approximation of the last solve can be reused (SHINE) and a warm-started solve keeps its memory.
 *
 * Each iteration: d = −B⁻¹∇f by the two-loop recursion ({@link lbfgsInverse}); a weak-Wolfe line search by
 * bracketing and bisection from step 1 (sufficient decrease with c₁ = 1e-4, curvature with c₂ = 0.9), which makes
 * every stored pair satisfy sᵀy > 0; then (s, y) is pushed. Near the precision floor a change of f below a few ulps
 * counts as sufficient decrease, and a run stops after 5 iterations that set no new record low of f or of ‖∇f‖.
 * The state (pairs, scratch) is owned by the instance and updated in place.
 *
 * @example const qn = new LbfgsMinimizer(d, { memory: 30 }); qn.minimize(fg, z, { gtol: 1e-8, maxIter: 1000 }); lbfgsInverse(qn.approx(), b, v)
 */
export class LbfgsMinimizer {
  readonly memory: number;
  readonly h0Mode: 'identity' | 'scaled';
  private readonly pairList: CurvaturePair[] = [];
  private readonly g: Float64Array;
  private readonly gNew: Float64Array;
  private readonly d: Float64Array;
  private readonly zNew: Float64Array;
  private readonly e: Float64Array;
  private readonly ze: Float64Array;

  constructor(
    readonly dim: number,
    options: LbfgsMinimizerOptions = {},
  ) {
    const m = options.memory ?? 10;
    if (!Number.isInteger(m) || m < 1) throw new RangeError(`LbfgsMinimizer: memory must be a positive integer, received ${String(m)}`);
    const h0 = options.h0 ?? 'identity';
    if (h0 !== 'identity' && h0 !== 'scaled') throw new RangeError(`LbfgsMinimizer: h0 must be "identity" or "scaled", received ${String(h0)}`);
    this.memory = m;
    this.h0Mode = h0;
    const buf = () => new Float64Array(dim);
    this.g = buf();
    this.gNew = buf();
    this.d = buf();
    this.zNew = buf();
    this.e = buf();
    this.ze = buf();
  }

  /** The current pairs, oldest first (a copy of the list; the pairs themselves are never mutated). */
  get pairs(): readonly CurvaturePair[] {
    return this.pairList.slice();
  }

  /** The current inverse-Hessian approximation, safe to keep: later calls do not change it. */
  approx(): InverseHessianApprox {
    return { pairs: this.pairList.slice(), h0: this.h0() };
  }

  /** Forgets every pair. */
  reset(): void {
    this.pairList.length = 0;
  }

  private h0(): number {
    const pairs = this.pairList;
    if (this.h0Mode === 'identity' || pairs.length === 0) return 1;
    const { s, y } = pairs[pairs.length - 1];
    return dot(s, y) / dot(y, y);
  }

  private push(s: Float64Array, y: Float64Array): boolean {
    const sy = dot(s, y);
    if (!(sy > 1e-16 * nrm2(s) * nrm2(y))) return false;
    this.pairList.push({ s, y, rho: 1 / sy });
    if (this.pairList.length > this.memory) this.pairList.shift();
    return true;
  }

  /**
   * Minimizes f given as `fg(z, grad)` (returns f(z), writes ∇f(z) into grad) from the point in `z`, which holds the
   * final iterate on return. Curvature pairs from earlier calls are used and kept.
   */
  minimize(fg: (z: Float64Array, grad: Float64Array) => number, z: Float64Array, options: LbfgsRunOptions): LbfgsRunInfo {
    const n = this.dim;
    const { g, gNew, d, zNew } = this;
    let f = fg(z, g);
    let k = 0;
    let opaPairs = 0;
    let stalled = 0;
    let fBest = f;
    let gBest = nrm2(g);
    let lastS: Float64Array | undefined;
    while (nrm2(g) > options.gtol && k < options.maxIter) {
      k++;
      const opa = options.opa;
      if (opa && lastS && k > 1 && k % opa.every === 0) {
        opa.direction(z, this.e);
        lbfgsInverse(this.approx(), this.e, this.ze);
        const scale = nrm2(lastS) / nrm2(this.ze);
        if (Number.isFinite(scale) && scale > 0) {
          const e = Float64Array.from(this.ze, (v) => v * scale);
          for (let i = 0; i < n; i++) this.ze[i] = z[i] + e[i];
          fg(this.ze, this.e);
          const y = Float64Array.from(this.e, (v, i) => v - g[i]);
          if (this.push(e, y)) opaPairs++;
        }
      }
      lbfgsInverse(this.approx(), g, d);
      for (let i = 0; i < n; i++) d[i] = -d[i];
      let slope = dot(g, d);
      if (!(slope < 0)) {
        this.reset(); // numerical trouble: restart from steepest descent
        for (let i = 0; i < n; i++) d[i] = -g[i];
        slope = dot(g, d);
      }
      let lo = 0;
      let hi = Infinity;
      let a = 1;
      let fNew = NaN;
      let accepted = false;
      for (let ls = 0; ls < MAX_TRIALS; ls++) {
        for (let i = 0; i < n; i++) zNew[i] = z[i] + a * d[i];
        fNew = fg(zNew, gNew);
        if (!(fNew <= f + C1 * a * slope || Math.abs(fNew - f) <= ROUNDOFF * Math.abs(f))) hi = a;
        else if (dot(gNew, d) < C2 * slope) lo = a;
        else {
          accepted = true;
          break;
        }
        a = hi < Infinity ? 0.5 * (lo + hi) : 2 * a;
      }
      if (!accepted && lo > 0) {
        a = lo; // sufficient decrease holds at lo; the pair is kept only if its curvature is positive
        for (let i = 0; i < n; i++) zNew[i] = z[i] + a * d[i];
        fNew = fg(zNew, gNew);
        accepted = true;
      }
      if (!accepted) break; // no decrease along d: at the precision floor
      const s = new Float64Array(n);
      const y = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        s[i] = zNew[i] - z[i];
        y[i] = gNew[i] - g[i];
      }
      this.push(s, y);
      const gNorm = nrm2(gNew);
      // progress = a new record low of f or of ‖∇f‖ (noise at the precision floor rarely sets records)
      stalled = fNew < fBest || gNorm < gBest ? 0 : stalled + 1;
      fBest = Math.min(fBest, fNew);
      gBest = Math.min(gBest, gNorm);
      z.set(zNew);
      g.set(gNew);
      f = fNew;
      lastS = s;
      if (stalled >= MAX_STALLED) break;
    }
    const gradNorm = nrm2(g);
    return { iterations: k, gradNorm, value: f, opaPairs, converged: gradNorm <= options.gtol };
  }
}
