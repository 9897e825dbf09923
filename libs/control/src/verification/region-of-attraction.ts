import { symEig } from '@bilevel/linalg';
import type { NodeId, StopSignal } from '@bilevel/verify';
import { Graph, addUp, checkedStopSignal, mulUp, verifyBranchAndBound } from '@bilevel/verify';
import type { Polynomial } from '../polynomial';
import type { Policy } from '../policy';
import type { Box, ControlSystem } from '../systems/control-system';
import { ballBox } from '../systems/control-system';
import { boxMinusInner } from '../certificate-lp';
import { checkedTerms } from '../systems/certificate-terms';
import { dynamicsNodes } from './dynamics-nodes';
import { policyNodes } from './policy-graph';
import { polynomialNode } from './polynomial-graph';
import { unitCubeFaces } from './verify-certificate';

/** Options of {@link verifyRegionOfAttraction}. */
export interface RegionOfAttractionOptions {
  /** Fraction of the largest level inside the domain (computed in float) that is proved. Default 0.98. */
  readonly levelFraction?: number;
  /** Branch-and-bound budget per condition (boxes). Default 50,000. */
  readonly maxBoxes?: number;
  /** Budget per condition (seconds of wall clock, a safety net). Default 120. */
  readonly maxSeconds?: number;
  readonly seed?: number;
  readonly signal?: StopSignal;
}

/** One proved (or not) statement of {@link verifyRegionOfAttraction}. */
export interface RoaCondition {
  readonly name: 'positive' | 'inside' | 'initial' | 'decrease';
  readonly statement: string;
  readonly status: 'verified' | 'falsified' | 'unknown';
  readonly boxes: number;
  readonly counterexample: Float64Array | null;
}

/** What {@link verifyRegionOfAttraction} returns. */
export interface RegionOfAttraction {
  /** True when every condition is verified: the initial set lies in a sublevel set that is a region of attraction. */
  readonly verified: boolean;
  /** The largest c with {V ≤ c} inside the domain (float: ball λ_min(Q)R², box min_i h_i²/(Q⁻¹)_ii). */
  readonly largestLevel: number;
  /** The level c that the conditions are proved for. */
  readonly level: number;
  /** An upper bound of V on the excluded box (−r₀, r₀)ⁿ (rounded up): trajectories end in {V ≤ innerLevel}. */
  readonly innerLevel: number;
  /** The largest V over the initial set (float estimate: by the quadratic form's eigenvalues, or sampled). */
  readonly initialMax: number;
  readonly conditions: RoaCondition[];
  readonly seconds: number;
}

/**
 * Proves that a quadratic Lyapunov function V(x) = xᵀQx certifies a region of attraction that contains the initial
 * set, the claim "every trajectory from X₀ converges" of Wang et al. (ICCPS 2023) made sound. With the domain D
 * (the ball `system.domainBall` when given, else the box), r₀ and ε of the system's terms, and a level c, it proves
 * by branch and bound (float64, outward rounding) on graphs policy → dynamics → V:
 *
 *   positive:  ε‖x‖² − V(x) ≤ 0 on the faces of [−1, 1]ⁿ (by homogeneity for all x: V is a positive definite form);
 *   inside:    c − V(x) < 0 where x ∉ D (on box ∖ ball, or on the box's faces): {V ≤ c}, convex and holding 0,
 *              lies inside D;
 *   initial:   V(x) − c ≤ 0 on X₀ (so X₀ ⊂ {V ≤ c});
 *   decrease:  ∇V(x)·f(x, π_θ(x); α) + ε‖x‖² ≤ 0 where V(x) ≤ c, outside (−r₀, r₀)ⁿ, for every α in range.
 *
 * Then a trajectory from X₀ cannot leave {V ≤ c} (on its boundary V = c > innerLevel ≥ max V on the small box, so x
 * is outside the small box and V decreases), and V decreases at rate ≥ ε r₀² outside the small box: the trajectory
 * enters {V ≤ innerLevel} in finite time and stays there (ultimate boundedness around the origin; convergence to 0
 * itself would need the decrease inside the small box too). c is `levelFraction` of the largest level inside D,
 * lowered to 1.02 × the initial maximum when that is smaller (a smaller set is easier to prove). When X₀ does not
 * fit, `initial` is reported falsified with the amount: initialMax against largestLevel.
 *
 * @example
 * const roa = verifyRegionOfAttraction(PENDULUM_PAPER, policy, theta, certificate);
 * roa.verified; roa.initialMax / roa.largestLevel; // > 1: the initial set does not fit
 */
export function verifyRegionOfAttraction(system: ControlSystem, policy: Policy, theta: Float64Array, V: Polynomial, options: RegionOfAttractionOptions = {}): RegionOfAttraction {
  const fn = 'verifyRegionOfAttraction';
  const fraction = options.levelFraction ?? 0.98;
  const maxBoxes = options.maxBoxes ?? 50_000;
  const maxSeconds = options.maxSeconds ?? 120;
  const seed = options.seed ?? 0;
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`${fn}: options.levelFraction must be in (0, 1], received ${fraction}`);
  if (!Number.isInteger(maxBoxes) || maxBoxes < 1) throw new RangeError(`${fn}: options.maxBoxes must be an integer ≥ 1, received ${maxBoxes}`);
  if (!(maxSeconds > 0)) throw new RangeError(`${fn}: options.maxSeconds must be > 0, received ${maxSeconds}`);
  const signal = checkedStopSignal(fn, options.signal);
  if (system.certificate !== 'lyapunov') throw new RangeError(`${fn}: system '${system.name}' has a ${system.certificate} certificate, expected lyapunov`);
  const { nx } = system;
  if (V.nvars !== nx || !V.terms().every(([e]) => e.reduce((s, k) => s + k, 0) === 2)) {
    throw new RangeError(`${fn}: V must be a quadratic form (every monomial of degree 2) in ${nx} variables`);
  }
  const ball = system.domainBall ?? null;
  if (ball && ball.centre.some((c) => c !== 0)) throw new RangeError(`${fn}: the domain ball must be centred at the origin, '${system.name}' has (${ball.centre.join(', ')})`);
  const { epsilon: eps, innerRadius: r0 } = checkedTerms(system);
  const t0 = performance.now();
  const Q = quadraticMatrix(V, nx);

  // levels (float): the largest sublevel set inside the domain, the initial set's maximum
  const eig = symEig({ rows: nx, cols: nx, data: Q });
  const lamMin = eig.values[0];
  const lamMax = eig.values[nx - 1];
  const vectors = Array.from({ length: nx }, (_, j) => Float64Array.from({ length: nx }, (_, i) => eig.vectors.data[i * nx + j]));
  let largestLevel: number;
  if (ball) largestLevel = lamMin * ball.radius * ball.radius;
  else {
    const inv = inverse(Q);
    largestLevel = Math.min(...system.domain.lo.map((lo, i) => Math.min(lo * lo, system.domain.hi[i] ** 2) / inv[i * nx + i]));
  }
  const init = system.initial;
  const initialMax = init.centre.every((c) => c === 0) ? lamMax * init.radius * init.radius : sampledBallMax(Q, init.centre, init.radius, vectors);
  const level = Math.min(fraction * largestLevel, initialMax < fraction * largestLevel ? 1.02 * initialMax : Infinity);
  // V ≤ Σ|q_e| r₀² on the small box (each degree-2 monomial is at most r₀² there), rounded up
  let innerLevel = 0;
  for (const [, c] of V.terms()) innerLevel = addUp(innerLevel, mulUp(Math.abs(c), mulUp(r0, r0)));

  const np = system.params.length;
  // parameters the dynamics graph uses span their range in the decrease condition; the others stay at nominal (a
  // dimension that no node reads would only be split in vain)
  const probe = new Graph(nx + np);
  const probeIn = probe.inputs();
  const uses = dynamicsNodes(probe, system, probeIn.slice(0, nx), policyNodes(probe, policy, theta, probeIn.slice(0, nx)), probeIn.slice(nx)).usesParam;
  const inputBox = (b: Box, withParams = false) => ({
    lo: [...b.lo, ...system.params.map((p, k) => (withParams && uses[k] ? p.lo : p.nominal))],
    hi: [...b.hi, ...system.params.map((p, k) => (withParams && uses[k] ? p.hi : p.nominal))],
  });
  const sqNorm = (g: Graph, x: NodeId[]) => {
    const sq = x.map((xi) => g.pow(xi, 2));
    return g.affine(sq, sq.map(() => 1), 0);
  };
  const pieces = boxMinusInner(system.domain, { lo: system.domain.lo.map(() => -r0), hi: system.domain.hi.map(() => r0) });
  const conditions: RoaCondition[] = [];
  const prove = (name: RoaCondition['name'], statement: string, boxes: readonly Box[], margin: number, withParams: boolean, build: (g: Graph, x: NodeId[]) => { objective: NodeId; constraints: NodeId[] }): void => {
    let processed = 0;
    let status: RoaCondition['status'] = 'verified';
    let cex: Float64Array | null = null;
    const c0 = performance.now();
    for (let b = 0; b < boxes.length && status === 'verified'; b++) {
      const g = new Graph(nx + np);
      const x = g.inputs().slice(0, nx);
      const { objective, constraints } = build(g, x);
      const left = maxSeconds - (performance.now() - c0) / 1000;
      if (processed >= maxBoxes || left <= 0) {
        status = 'unknown';
        break;
      }
      const r = verifyBranchAndBound(g, { objective, constraints, box: inputBox(boxes[b], withParams), margin, maxBoxes: maxBoxes - processed, maxSeconds: left, seed: seed + b, ...(signal ? { signal } : {}) });
      processed += r.stats.boxesProcessed;
      if (r.status === 'falsified') {
        status = 'falsified';
        cex = r.counterexample.slice(0, nx);
      } else if (r.status === 'unknown') status = 'unknown';
    }
    conditions.push({ name, statement, status, boxes: processed, counterexample: cex });
  };

  // V is a quadratic form: on the faces of [−1, 1]ⁿ, hence everywhere by homogeneity (see unitCubeFaces)
  prove('positive', `${eps}·‖x‖² − V(x) ≤ 0 on the faces of [−1, 1]^${nx} (all x by homogeneity)`, unitCubeFaces(nx), 0, false, (g, x) => ({ objective: g.affine([sqNorm(g, x), polynomialNode(g, V, x)], [eps, -1], 0), constraints: [] }));
  if (ball) {
    // c − V(x) < 0 on {x ∈ box : ‖x‖² ≥ R²}, which holds the sphere ‖x‖ = R
    prove('inside', `${level} − V(x) < 0 where ‖x‖ ≥ ${ball.radius}`, [system.domain], 1e-9, false, (g, x) => ({
      objective: g.affine([polynomialNode(g, V, x)], [-1], level),
      constraints: [g.affine([sqNorm(g, x)], [-1], ball.radius * ball.radius)],
    }));
  } else {
    const faces: Box[] = [];
    system.domain.lo.forEach((lo, i) => {
      const hi = system.domain.hi[i];
      for (const v of [lo, hi]) faces.push({ lo: system.domain.lo.map((l, j) => (j === i ? v : l)), hi: system.domain.hi.map((h, j) => (j === i ? v : h)) });
    });
    prove('inside', `${level} − V(x) < 0 on the faces of the domain box`, faces, 1e-9, false, (g, x) => ({ objective: g.affine([polynomialNode(g, V, x)], [-1], level), constraints: [] }));
  }
  prove('initial', `V(x) − ${level} ≤ 0 on ‖x − (${init.centre.join(', ')})‖ ≤ ${init.radius}`, [ballBox(init)], 0, false, (g, x) => ({
    objective: g.affine([polynomialNode(g, V, x)], [1], -level),
    constraints: [g.affine([sqNorm(g, x.map((xi, i) => g.affine([xi], [1], -init.centre[i])))], [1], -init.radius * init.radius)],
  }));
  prove('decrease', `∇V(x)·f(x, π(x); α) + ${eps}·‖x‖² ≤ 0 where V(x) ≤ ${level}, outside (−${r0}, ${r0})^${nx}`, pieces, 0, true, (g, x) => {
    const alpha = g.inputs().slice(nx);
    const u = policyNodes(g, policy, theta, x);
    const f = dynamicsNodes(g, system, x, u, alpha).nodes;
    const powers = new Map<string, NodeId>();
    const prods = V.gradient().map((gi, i) => g.mul(polynomialNode(g, gi, x, powers), f[i]));
    const lie = g.affine(prods, prods.map(() => 1), 0);
    return { objective: g.affine([lie, sqNorm(g, x)], [1, eps], 0), constraints: [g.affine([polynomialNode(g, V, x, powers)], [1], -level)] };
  });
  const verified = conditions.every((c) => c.status === 'verified') && level > innerLevel;
  return { verified, largestLevel, level, innerLevel, initialMax, conditions, seconds: (performance.now() - t0) / 1000 };
}

/** Q (row-major, symmetric) with V(x) = xᵀQx. */
function quadraticMatrix(V: Polynomial, n: number): Float64Array {
  const Q = new Float64Array(n * n);
  for (const [e, c] of V.terms()) {
    const idx = e.flatMap((k, i) => new Array<number>(k).fill(i));
    if (idx[0] === idx[1]) Q[idx[0] * n + idx[0]] += c;
    else {
      Q[idx[0] * n + idx[1]] += c / 2;
      Q[idx[1] * n + idx[0]] += c / 2;
    }
  }
  return Q;
}

/** The inverse of a small symmetric positive definite matrix (Gauss-Jordan). */
function inverse(S: Float64Array): Float64Array {
  const n = Math.round(Math.sqrt(S.length));
  const A = Float64Array.from(S);
  const I = Float64Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 1 : 0));
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r * n + c]) > Math.abs(A[piv * n + c])) piv = r;
    for (let k = 0; k < n; k++) {
      [A[c * n + k], A[piv * n + k]] = [A[piv * n + k], A[c * n + k]];
      [I[c * n + k], I[piv * n + k]] = [I[piv * n + k], I[c * n + k]];
    }
    const d = A[c * n + c];
    for (let k = 0; k < n; k++) {
      A[c * n + k] /= d;
      I[c * n + k] /= d;
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const m = A[r * n + c];
      for (let k = 0; k < n; k++) {
        A[r * n + k] -= m * A[c * n + k];
        I[r * n + k] -= m * I[c * n + k];
      }
    }
  }
  return I;
}

/** max of xᵀQx over the ball ‖x − c‖ ≤ r (float estimate): the ball's boundary along ± each eigenvector and along c. */
function sampledBallMax(Q: Float64Array, centre: readonly number[], r: number, vectors: Float64Array[]): number {
  const n = centre.length;
  const q = (x: ArrayLike<number>) => {
    let s = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) s += x[i] * Q[i * n + j] * x[j];
    return s;
  };
  const norm = Math.hypot(...centre) || 1;
  let best = q(centre);
  const dirs = [...vectors, Float64Array.from(centre, (c) => c / norm)];
  for (const d of dirs) {
    for (const sgn of [-1, 1]) {
      // ascend along the boundary from centre + r·d: a few projected gradient steps
      let x = Float64Array.from(centre, (c, i) => c + sgn * r * d[i]);
      for (let it = 0; it < 200; it++) {
        const gq = Float64Array.from({ length: n }, (_, i) => 2 * Q.subarray(i * n, i * n + n).reduce((s, v, j) => s + v * x[j], 0));
        const y = x.map((v, i) => v + 0.05 * gq[i]);
        const off = y.map((v, i) => v - centre[i]);
        const len = Math.hypot(...off);
        x = Float64Array.from(off, (v, i) => centre[i] + (len > 0 ? (r * v) / len : 0));
      }
      best = Math.max(best, q(x));
    }
  }
  return best;
}
