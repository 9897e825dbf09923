import { Rng } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import { knownKeys, positiveInteger, positiveNumber } from './validate-options';

/** Options of {@link finiteDifferenceAudit}, with their defaults. */
export interface FiniteDifferenceAuditOptions {
  /** Seed of the test point (z, x, v), the directions and the minibatches. Default 0. */
  readonly seed?: number;
  /** Random unit directions per oracle. Default {@link FD_DIRECTIONS} = 3. */
  readonly directions?: number;
  /** Size of the inner and outer minibatches the oracles are called on (capped at n, m). Default 4. */
  readonly batchSize?: number;
  /** Central-difference step h. Default {@link FD_STEP}[problem.precision]. */
  readonly step?: number;
  /** Largest accepted relative error. Default {@link FD_REL_TOL}[problem.precision]. */
  readonly relTol?: number;
}

/** The audit of one oracle. */
export interface OracleAudit {
  /** The oracle's name in the {@link BilevelProblem} contract (`innerGradZ`, `innerHvp`, …). */
  readonly name: string;
  /** Relative error over the directions (see {@link finiteDifferenceAudit}). */
  readonly maxRelError: number;
  readonly ok: boolean;
}

/** Result of {@link finiteDifferenceAudit} (the shape of `auditOracles` in @bilevel/autodiff). */
export interface OracleAuditReport {
  readonly ok: boolean;
  readonly oracles: readonly OracleAudit[];
}

/** Default number of random directions per oracle. */
export const FD_DIRECTIONS = 3;

/**
 * Central-difference steps. Float64: the truncation error h²·|φ'''|/6 and the round-off ε_mach·|φ|/h balance near
 * h = ε_mach^{1/3} ≈ 6e-6; float32 (ε ≈ 1.2e-7): near 5e-3.
 */
export const FD_STEP = { float64: 1e-5, float32: 1e-2 } as const;

/**
 * Accepted relative errors: float64 1e-6; float32 2e-2 (tfjs oracles; the project's known-wrong tfjs HVPs are off
 * by ~50%). Measured on the quadratic family (`scripts/fd-levels.ts`, `scripts/fd-sensitivity.ts`): the exact
 * oracles show no error beyond the differences' own estimate on 3000 problems (including κ ≤ 100, LCross ≤ 1),
 * and an HVP, cross or outer gradient scaled by 1 + 3e-6 is caught on every problem where it is non-zero.
 */
export const FD_REL_TOL = { float64: 1e-6, float32: 2e-2 } as const;

/** Round-off allowance: multiples of ε_mach·(|φ(+h)| + |φ(−h)|)/(2h) that count as noise of the difference itself. */
export const FD_ROUNDOFF_MULTIPLE = 100;

/**
 * Error-estimate allowance: multiples of |D(h) − D(2h)|, the gap between the central differences with steps h and
 * 2h. It estimates the difference's own error, truncation (D(2h) − D(h) ≈ 3ch² for D(h) = φ' + ch²) and round-off
 * alike; the round-off of φ is set by the size of the *terms* it sums (cancellation), which |φ| alone underestimates:
 * on the quadratic family a cross term with LCross = 0.001 showed errors of 4e-6 relative to the oracle without it.
 * A wrong oracle is still caught: both differences agree with each other and not with it.
 */
export const FD_ERROR_ESTIMATE_MULTIPLE = 10;

const EPS = { float64: 2 ** -52, float32: 2 ** -23 } as const;

/**
 * Checks every sample-wise oracle of a problem against central finite differences of the function it is the
 * derivative of, at a random point (z, x, v) ~ N(0, I), on random minibatches, along random unit directions u, w:
 *
 *   innerGradZ:  ⟨∇_z g_B(z,x), u⟩   vs  [g_B(z+hu, x) − g_B(z−hu, x)] / 2h
 *   innerHvp:    ⟨∇²_zz g_B·v, u⟩     vs  [⟨∇_z g_B(z+hu, x), v⟩ − ⟨∇_z g_B(z−hu, x), v⟩] / 2h
 *   innerCross:  ⟨∇²_xz g_B·v, w⟩     vs  [⟨∇_z g_B(z, x+hw), v⟩ − ⟨∇_z g_B(z, x−hw), v⟩] / 2h
 *   outerGradZ:  ⟨∇_z f_B(z,x), u⟩   vs  [f_B(z+hu, x) − f_B(z−hu, x)] / 2h
 *   outerGradX:  ⟨∇_x f_B(z,x), w⟩   vs  [f_B(z, x+hw) − f_B(z, x−hw)] / 2h
 *
 * With a_k the oracle's and D_k(h) the difference's value along direction k, the relative error of an oracle is
 *   max(0, max_k |a_k − D_k(h)| − e) / max_k max(|a_k|, |D_k(h)|),
 *   e = max_k [ 10·|D_k(h) − D_k(2h)| + 100·ε_mach·(|φ₊| + |φ₋|)/2h ],
 * the disagreement beyond what the differences themselves can resolve (their error estimate
 * {@link FD_ERROR_ESTIMATE_MULTIPLE} and round-off floor {@link FD_ROUNDOFF_MULTIPLE}), over the largest projection.
 * So a small or exactly zero oracle (e.g. a cross term with LCross = 0) is not failed for the noise of its
 * difference, one direction nearly orthogonal to the oracle does not blow the error up, and an oracle off by a
 * factor c has error |c − 1|/|c| (1/3 for c = 1.5). An oracle is ok when its error is ≤ relTol.
 *
 * @example finiteDifferenceAudit(problem, { seed: 1 }).ok
 */
export function finiteDifferenceAudit(problem: BilevelProblem, options: FiniteDifferenceAuditOptions = {}): OracleAuditReport {
  const fn = 'finiteDifferenceAudit';
  knownKeys(fn, options, ['seed', 'directions', 'batchSize', 'step', 'relTol']);
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`${fn}: seed must be a safe integer, received ${seed}`);
  const nDir = positiveInteger(fn, 'directions', options.directions ?? FD_DIRECTIONS);
  const batchSize = positiveInteger(fn, 'batchSize', options.batchSize ?? 4);
  const h = positiveNumber(fn, 'step', options.step ?? FD_STEP[problem.precision]);
  const relTol = positiveNumber(fn, 'relTol', options.relTol ?? FD_REL_TOL[problem.precision]);
  const eps = EPS[problem.precision];
  const { dimZ, dimX } = problem;
  const rng = Rng.fromSeed(seed);
  const z = rng.normals(new Float64Array(dimZ));
  const x = rng.normals(new Float64Array(dimX));
  const v = rng.normals(new Float64Array(dimZ));
  const inner = rng.permutation(problem.nInner).slice(0, Math.min(batchSize, problem.nInner));
  const outer = rng.permutation(problem.nOuter).slice(0, Math.min(batchSize, problem.nOuter));
  const unit = (dim: number) => {
    const u = rng.normals(new Float64Array(dim));
    const s = Math.hypot(...u);
    return u.map((e) => e / s);
  };
  const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, ai, i) => s + ai * b[i], 0);
  const shift = (a: Float64Array, d: Float64Array, s: number) => Float64Array.from(a, (ai, i) => ai + s * d[i]);
  const gz = new Float64Array(dimZ);
  const innerGradDotV = (zz: Float64Array, xx: Float64Array) => {
    problem.innerGradZ(zz, xx, inner, gz);
    return dot(gz, v);
  };

  /** Relative error of ⟨oracle, d_k⟩ against the central differences of φ along nDir random unit directions d_k. */
  const audit = (name: string, dim: number, oracle: Float64Array, phi: (d: Float64Array, s: number) => number): OracleAudit => {
    let diff = 0;
    let scale = 0;
    let noise = 0;
    let roundoff = 0;
    for (let k = 0; k < nDir; k++) {
      const d = unit(dim);
      const plus = phi(d, h);
      const minus = phi(d, -h);
      const fd = (plus - minus) / (2 * h);
      const fd2 = (phi(d, 2 * h) - phi(d, -2 * h)) / (4 * h);
      const a = dot(oracle, d);
      diff = Math.max(diff, Math.abs(a - fd));
      scale = Math.max(scale, Math.abs(a), Math.abs(fd));
      noise = Math.max(noise, FD_ERROR_ESTIMATE_MULTIPLE * Math.abs(fd - fd2));
      roundoff = Math.max(roundoff, (FD_ROUNDOFF_MULTIPLE * eps * (Math.abs(plus) + Math.abs(minus))) / (2 * h));
    }
    const excess = Math.max(0, diff - noise - roundoff);
    const err = excess === 0 ? 0 : excess / scale;
    const maxRelError = Number.isNaN(err) || Number.isNaN(diff) ? Infinity : err;
    return { name, maxRelError, ok: maxRelError <= relTol };
  };

  const innerGrad = new Float64Array(dimZ);
  problem.innerGradZ(z, x, inner, innerGrad);
  const hvp = new Float64Array(dimZ);
  problem.innerHvp(z, x, v, inner, hvp);
  const cross = new Float64Array(dimX);
  problem.innerCross(z, x, v, inner, cross);
  const outerZ = new Float64Array(dimZ);
  problem.outerGradZ(z, x, outer, outerZ);
  const outerX = new Float64Array(dimX);
  problem.outerGradX(z, x, outer, outerX);

  const oracles = [
    audit('innerGradZ', dimZ, innerGrad, (d, s) => problem.innerValue(shift(z, d, s), x, inner)),
    audit('innerHvp', dimZ, hvp, (d, s) => innerGradDotV(shift(z, d, s), x)),
    audit('innerCross', dimX, cross, (d, s) => innerGradDotV(z, shift(x, d, s))),
    audit('outerGradZ', dimZ, outerZ, (d, s) => problem.outerValue(shift(z, d, s), x, outer)),
    audit('outerGradX', dimX, outerX, (d, s) => problem.outerValue(z, shift(x, d, s), outer)),
  ];
  return { ok: oracles.every((o) => o.ok), oracles };
}
