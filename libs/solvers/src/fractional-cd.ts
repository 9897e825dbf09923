import { Rng } from '@bilevel/linalg';
import type { Matrix } from '@bilevel/linalg';

/**
 * The denominator family of {@link FractionalProblem}:
 *   g(x) = g₀ + wᵀx + (q/2)‖x‖² + s‖Ax + d‖₁
 * convex when q ≥ 0 and s ≥ 0, concave when q ≤ 0 and s ≤ 0 (the theory of the method needs one or the other; the
 * one-dimensional subproblems are solved globally in every case). Along a coordinate it is piecewise quadratic with
 * breakpoints where a row of Ax + d changes sign.
 */
export interface FractionalDenominator {
  /** g₀. Default 0. */
  readonly offset?: number;
  /** w (length dim). Default 0. */
  readonly linear?: ArrayLike<number>;
  /** q of the term (q/2)‖x‖². Default 0. */
  readonly quadratic?: number;
  /** The term s‖Ax + d‖₁ with A (rows × dim, row-major) and d (length rows, default 0). */
  readonly absolute?: { readonly scale: number; readonly A: Matrix; readonly shift?: ArrayLike<number> };
}

/**
 * A structured fractional program min_x F(x) = (f(x) + h(x)) / g(x) on {g > 0}, with f convex and smooth, h = ρ‖x‖₁,
 * and g > 0 convex or concave ({@link FractionalDenominator}). The numerator is assumed positive on the domain (else
 * the infimum may be −∞ at the boundary g = 0).
 */
export interface FractionalProblem {
  readonly dim: number;
  /** f(x). */
  f(x: Float64Array): number;
  /** ∂f/∂x_i at x. */
  partial(x: Float64Array, i: number): number;
  /**
   * c_i ≥ 0 with |∂_i f(x + te_i) − ∂_i f(x)| ≤ c_i|t| for all x, t (for a quadratic f, c_i = ∂²f/∂x_i², and the
   * coordinate model below is exact when θ = 0).
   */
  readonly coordinateLipschitz: ArrayLike<number>;
  /** ρ ≥ 0 in h(x) = ρ‖x‖₁. Default 0. */
  readonly l1?: number;
  readonly denominator: FractionalDenominator;
}

/** Options of {@link fractionalCd}, with their defaults. */
export interface FractionalCdOptions {
  /** `fcd` (fractional coordinate step) or `pcd` (Dinkelbach-style parametric step). Default `fcd`. */
  readonly method?: 'fcd' | 'pcd';
  /** θ ≥ 0, the proximal weight added to c_i. Default 1e-5 (the authors' code). */
  readonly theta?: number;
  /** Coordinate order: `cyclic` (0, 1, …) or `random` (uniform draws, dim per sweep). Default `cyclic`. */
  readonly order?: 'cyclic' | 'random';
  /** Seed of the `random` order. Default 0. */
  readonly seed?: number;
  /** Starting point, with g(x0) > 0. Default zeros. */
  readonly x0?: ArrayLike<number>;
  /** Maximum number of sweeps (dim coordinate steps each). Default 1000. */
  readonly maxSweeps?: number;
  /** Stop when a sweep changes F by ≤ tol·max(1, |F|). Default 1e-14. */
  readonly tol?: number;
  /** Keep a copy of x after every sweep in `iterates`. Default false. */
  readonly keepIterates?: boolean;
}

/** Result of {@link fractionalCd}. */
export interface FractionalCdResult {
  readonly x: Float64Array;
  readonly objective: number;
  /** F(x) at the start and after every sweep. */
  readonly history: number[];
  /** x after every sweep (with `keepIterates`; else empty). */
  readonly iterates: Float64Array[];
  readonly sweeps: number;
  readonly converged: boolean;
}

/** A change of the piece coefficients at a breakpoint t. */
interface Event {
  readonly t: number;
  readonly dB: number;
  readonly dC: number;
  readonly dQ: number;
  readonly dR: number;
}

/** Roots of α₂t² + α₁t + α₀ = 0 (numerically stable form), pushed into `out`. */
function quadraticRoots(a2: number, a1: number, a0: number, out: number[]): void {
  if (a2 === 0) {
    if (a1 !== 0) out.push(-a0 / a1);
    return;
  }
  const disc = a1 * a1 - 4 * a2 * a0;
  if (disc < 0) return;
  const q = -0.5 * (a1 + (a1 >= 0 ? 1 : -1) * Math.sqrt(disc));
  out.push(q / a2);
  if (q !== 0) out.push(a0 / q);
}

/**
 * Coordinate descent for structured fractional minimization (Yuan, "Coordinate descent methods for fractional
 * minimization", ICML 2023): min (f + h)(x) / g(x) with f convex smooth, h = ρ‖x‖₁ and g > 0 convex or concave.
 * A standalone solver (not a bilevel `Solver`). Each step picks a coordinate i and solves a one-dimensional
 * problem *globally* with the coordinate model q(t) = f(x) + ∂_i f(x)·t + ((c_i + θ)/2)t²:
 *   FCD:  t* = argmin_t [q(t) + h(x + te_i)] / g(x + te_i)
 *   PCD:  t* = argmin_t  q(t) + h(x + te_i) − λ g(x + te_i),   λ = F(x)   (Dinkelbach)
 * then x_i ← x_i + t*. Breakpoint search: the points where a nonsmooth term changes sign (t = −x_i, and
 * t = −(Ax + d)_j / A_ji for the ℓ1 term of g) cut the line into intervals on which numerator and denominator are
 * quadratics ½At² + Bt + C and ½Pt² + Qt + R; there the stationarity of the ratio, (At + B)D − N(Pt + Q) = 0, is
 * the quadratic ½(AQ − BP)t² + (AR − CP)t + (BR − CQ) = 0 (the cubic terms cancel), and that of the PCD model is
 * linear. The candidates (roots inside their interval with g > 0, the breakpoints, and t = 0) are compared and the
 * best kept, so F never increases. Converges to coordinate-wise stationary points; when g is concave every critical
 * point is a global minimum. Caveat: the ℓ1 term of g is not separable, and coordinate descent can stall on one of its
 * kinks (a point where a row of Ax + d vanishes) that is not critical, since moving along a single coordinate crosses
 * the kink; with s = 0 (or one coordinate per row of A) this cannot happen.
 *
 * @example
 * const res = fractionalCd({ dim: 5, f: (x) => 0.5 * dot(x, x) + 1, partial: (x, i) => x[i], coordinateLipschitz: [1, 1, 1, 1, 1],
 *   l1: 0.1, denominator: { offset: 0, linear: [1, 2, 0, -1, 3] } }, { x0: [0.5, 0.5, 0.5, 0.5, 0.5], theta: 0 });
 * res.objective; // 0.4111450… = F*, the root of ½Σ_j(λ|w_j| − ρ)₊² = 1
 */
export function fractionalCd(problem: FractionalProblem, options: FractionalCdOptions = {}): FractionalCdResult {
  const fn = 'fractionalCd';
  const known = ['method', 'theta', 'order', 'seed', 'x0', 'maxSweeps', 'tol', 'keepIterates'];
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new RangeError(`${fn}: unknown option "${key}"; expected one of ${known.join(', ')}`);
  }
  const n = problem.dim;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${fn}: problem.dim must be a positive integer, received ${n}`);
  const method = options.method ?? 'fcd';
  if (method !== 'fcd' && method !== 'pcd') throw new RangeError(`${fn}: method must be "fcd" or "pcd", received ${String(method)}`);
  const theta = options.theta ?? 1e-5;
  if (!(theta >= 0) || !Number.isFinite(theta)) throw new RangeError(`${fn}: theta must be a finite number ≥ 0, received ${theta}`);
  const order = options.order ?? 'cyclic';
  if (order !== 'cyclic' && order !== 'random') throw new RangeError(`${fn}: order must be "cyclic" or "random", received ${String(order)}`);
  const maxSweeps = options.maxSweeps ?? 1000;
  if (!Number.isInteger(maxSweeps) || maxSweeps < 0) throw new RangeError(`${fn}: maxSweeps must be an integer ≥ 0, received ${maxSweeps}`);
  const tol = options.tol ?? 1e-14;
  if (!(tol >= 0)) throw new RangeError(`${fn}: tol must be a number ≥ 0, received ${tol}`);
  const rho = problem.l1 ?? 0;
  if (!(rho >= 0) || !Number.isFinite(rho)) throw new RangeError(`${fn}: problem.l1 must be a finite number ≥ 0, received ${rho}`);
  const c = problem.coordinateLipschitz;
  if (c.length !== n) throw new RangeError(`${fn}: problem.coordinateLipschitz has ${c.length} entries, expected dim = ${n}`);
  for (let i = 0; i < n; i++) {
    if (!(c[i] >= 0) || !Number.isFinite(c[i])) throw new RangeError(`${fn}: problem.coordinateLipschitz[${i}] must be a finite number ≥ 0, received ${c[i]}`);
  }
  const den = problem.denominator;
  const g0 = den.offset ?? 0;
  const w = den.linear ? Float64Array.from(den.linear) : new Float64Array(n);
  if (w.length !== n) throw new RangeError(`${fn}: denominator.linear has ${w.length} entries, expected dim = ${n}`);
  const q = den.quadratic ?? 0;
  const abs = den.absolute;
  const s = abs ? abs.scale : 0;
  const rows = abs ? abs.A.rows : 0;
  if (abs && abs.A.cols !== n) throw new RangeError(`${fn}: denominator.absolute.A has ${abs.A.cols} columns, expected dim = ${n}`);
  const A = abs ? abs.A.data : new Float64Array(0);
  const d = abs && abs.shift ? Float64Array.from(abs.shift) : new Float64Array(rows);
  if (d.length !== rows) throw new RangeError(`${fn}: denominator.absolute.shift has ${d.length} entries, expected ${rows} (rows of A)`);
  for (const [name, v] of [['offset', g0], ['quadratic', q], ['absolute.scale', s]] as const) {
    if (!Number.isFinite(v)) throw new RangeError(`${fn}: denominator.${name} must be finite, received ${v}`);
  }

  const x = options.x0 ? Float64Array.from(options.x0) : new Float64Array(n);
  if (x.length !== n) throw new RangeError(`${fn}: x0 has ${x.length} entries, expected dim = ${n}`);
  const rng = order === 'random' ? Rng.fromSeed(options.seed ?? 0) : undefined;

  // maintained quantities: r = Ax + d, wᵀx, ‖x‖², ‖x‖₁
  const r = new Float64Array(rows);
  let wx = 0;
  let xx = 0;
  let l1x = 0;
  const recompute = () => {
    for (let j = 0; j < rows; j++) {
      let v = d[j];
      for (let k = 0; k < n; k++) v += A[j * n + k] * x[k];
      r[j] = v;
    }
    wx = 0;
    xx = 0;
    l1x = 0;
    for (let k = 0; k < n; k++) {
      wx += w[k] * x[k];
      xx += x[k] * x[k];
      l1x += Math.abs(x[k]);
    }
  };
  const absR = () => {
    let t = 0;
    for (let j = 0; j < rows; j++) t += Math.abs(r[j]);
    return t;
  };
  const gValue = () => g0 + wx + 0.5 * q * xx + s * absR();
  const objective = () => (problem.f(x) + rho * l1x) / gValue();

  recompute();
  const gStart = gValue();
  if (!(gStart > 0)) throw new RangeError(`${fn}: the denominator at x0 is ${gStart}, expected > 0 (start inside the domain)`);

  const events: Event[] = [];
  const candidates: number[] = [];

  /** One coordinate step on i. */
  const stepCoordinate = (i: number) => {
    const fx = problem.f(x);
    const b = problem.partial(x, i);
    const a = c[i] + theta;
    const xi = x[i];
    const lambda = method === 'pcd' ? (fx + rho * l1x) / gValue() : 0;
    // pieces at t → −∞
    const nA = a;
    let nB = b;
    let nC = fx + rho * (l1x - Math.abs(xi));
    const dP = q;
    let dQ = w[i] + q * xi;
    let dR = g0 + wx + 0.5 * q * xx;
    events.length = 0;
    if (rho > 0) {
      nB -= rho;
      nC -= rho * xi;
      events.push({ t: -xi, dB: 2 * rho, dC: 2 * rho * xi, dQ: 0, dR: 0 });
    }
    for (let j = 0; j < rows; j++) {
      const aj = A[j * n + i];
      if (aj === 0 || s === 0) {
        dR += s * Math.abs(r[j]);
        continue;
      }
      const sg = aj > 0 ? 1 : -1;
      dQ -= s * Math.abs(aj);
      dR -= s * sg * r[j];
      events.push({ t: -r[j] / aj, dB: 0, dC: 0, dQ: 2 * s * Math.abs(aj), dR: 2 * s * sg * r[j] });
    }
    events.sort((u, v) => u.t - v.t);

    let bestT = 0;
    // value at t = 0 is exact: F(x) for FCD, 0 for PCD
    let bestV = method === 'pcd' ? 0 : (fx + rho * l1x) / gValue();
    const consider = (t: number) => {
      const N = 0.5 * nA * t * t + nB * t + nC;
      const D = 0.5 * dP * t * t + dQ * t + dR;
      if (!(D > 0)) return;
      const v = method === 'pcd' ? N - lambda * D : N / D;
      if (v < bestV) {
        bestV = v;
        bestT = t;
      }
    };
    const interval = (lo: number, hi: number) => {
      if (!(hi > lo)) return;
      candidates.length = 0;
      if (method === 'fcd') {
        quadraticRoots(0.5 * (nA * dQ - nB * dP), nA * dR - nC * dP, nB * dR - nC * dQ, candidates);
      } else {
        const kappa = nA - lambda * dP;
        const slope = nB - lambda * dQ;
        if ((lo === -Infinity && (kappa < 0 || (kappa === 0 && slope > 0))) || (hi === Infinity && (kappa < 0 || (kappa === 0 && slope < 0)))) {
          throw new RangeError(`${fn}: the PCD subproblem of coordinate ${i} is unbounded below (q(t) + h − λg with λ = ${lambda}); use method "fcd"`);
        }
        if (kappa > 0) candidates.push(-slope / kappa);
      }
      for (const t of candidates) if (t > lo && t < hi) consider(t);
    };
    let lo = -Infinity;
    for (const e of events) {
      interval(lo, e.t);
      // pieces are continuous: the breakpoint is evaluated with the piece on its left
      if (Number.isFinite(e.t)) consider(e.t);
      nB += e.dB;
      nC += e.dC;
      dQ += e.dQ;
      dR += e.dR;
      lo = e.t;
    }
    interval(lo, Infinity);

    if (bestT !== 0) {
      x[i] = xi + bestT;
      for (let j = 0; j < rows; j++) r[j] += bestT * A[j * n + i];
      wx += w[i] * bestT;
      xx += 2 * xi * bestT + bestT * bestT;
      l1x += Math.abs(x[i]) - Math.abs(xi);
    }
  };

  const history = [objective()];
  const iterates: Float64Array[] = [];
  let converged = false;
  let sweeps = 0;
  while (sweeps < maxSweeps) {
    for (let k = 0; k < n; k++) stepCoordinate(rng ? rng.int(0, n - 1) : k);
    sweeps++;
    recompute();
    const F = objective();
    const prev = history[history.length - 1];
    history.push(F);
    if (options.keepIterates) iterates.push(Float64Array.from(x));
    if (Math.abs(prev - F) <= tol * Math.max(1, Math.abs(F))) {
      converged = true;
      break;
    }
  }
  return { x, objective: history[history.length - 1], history, iterates, sweeps, converged };
}
