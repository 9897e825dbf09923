import fc from 'fast-check';
import { quadraticProblem } from '@bilevel/problems';
import type { QuadraticProblem } from '@bilevel/problems';
import { outerSpectrum } from './outer-spectrum';
import type { Range } from './validate-options';
import { integerRange, knownKeys, numberRange, positiveNumber } from './validate-options';

/** Options of {@link quadraticProblemArb}, with their defaults (small sizes, so that a property runs in milliseconds). */
export interface QuadraticProblemArbOptions {
  /** Dimension of z. Default { min: 1, max: 6 }. */
  readonly dimZ?: Range;
  /** Dimension of x. Default { min: 1, max: 4 }. */
  readonly dimX?: Range;
  /** Inner samples n; a drawn n below dimZ is raised to dimZ (quadraticProblem needs n ≥ dimZ). Default { min: 4, max: 32 }. */
  readonly nInner?: Range;
  /** Outer samples m. Default { min: 4, max: 32 }. */
  readonly nOuter?: Range;
  /** μ, smallest eigenvalue of the average inner Hessian, drawn log-uniformly. Default { min: 0.1, max: 1 }. */
  readonly mu?: Range;
  /** Largest inner condition number κ = L/μ; κ is drawn log-uniformly in [1, maxKappa]. Default 10. */
  readonly maxKappa?: number;
  /**
   * Largest singular value of the average cross matrices, drawn uniformly. Default { min: 0, max: 0.1 }.
   * With LCross ≤ μ the implicit Jacobian ‖dz*∕dx‖ = ‖Ā⁻¹C̄ᵀ‖ ≤ LCross∕μ stays ≤ 1, which keeps the Hessian of h
   * (and so the outer condition number) bounded: ‖∇²h‖ ≤ L(1 + (LCross∕μ)²) + 2·LCross²∕μ + ridge. The safe step
   * rules and budgets of the convergence properties were calibrated with LCross ≤ μ (true of the defaults).
   */
  readonly LCross?: Range;
  /** Floor on the smallest eigenvalue μ_h of ∇²h (quadraticProblem adds a ridge to reach it), drawn log-uniformly. Default { min: 0.05, max: 0.5 }. */
  readonly muOuter?: Range;
}

/** The options a generated problem was built from: `quadraticProblem(params)` rebuilds it exactly. */
export interface QuadraticParams {
  readonly dimZ: number;
  readonly dimX: number;
  readonly nInner: number;
  readonly nOuter: number;
  readonly mu: number;
  readonly L: number;
  readonly LCross: number;
  readonly muOuter: number;
  readonly seed: number;
}

/** Spectral facts of a generated problem, used by the convergence properties' budgets. */
export interface QuadraticFacts {
  /** Inner condition number κ = L/μ. */
  readonly kappa: number;
  /** Largest per-sample inner curvature max_j ‖α_j‖² (≥ L). */
  readonly LMaxSample: number;
  /** μ_h and L_h: extreme eigenvalues of the (constant) Hessian of h. */
  readonly muOuter: number;
  readonly LOuter: number;
}

/** A generated problem, printed in counterexamples as the call that rebuilds it. */
export interface GeneratedQuadratic {
  readonly params: QuadraticParams;
  readonly problem: QuadraticProblem;
  readonly facts: QuadraticFacts;
  toString(): string;
  [fc.toStringMethod](): string;
}

const DEFAULTS = {
  dimZ: { min: 1, max: 6 },
  dimX: { min: 1, max: 4 },
  nInner: { min: 4, max: 32 },
  nOuter: { min: 4, max: 32 },
  mu: { min: 0.1, max: 1 },
  maxKappa: 10,
  LCross: { min: 0, max: 0.1 },
  muOuter: { min: 0.05, max: 0.5 },
} as const;

const KEYS = Object.keys(DEFAULTS);

/** Real parameters are drawn on a grid of this many steps, so counterexamples shrink to short, readable numbers. */
const GRID_STEPS = 100;
/** Significant digits kept in drawn real parameters. */
const SIGNIFICANT_DIGITS = 3;

const round = (v: number, r: Range) => Math.min(r.max, Math.max(r.min, Number(v.toPrecision(SIGNIFICANT_DIGITS))));

/** v rounded down to `digits` significant digits (so L = floor(μκ) keeps L/μ ≤ maxKappa and L ≥ μ). */
function floorDigits(v: number, digits: number): number {
  const unit = Math.pow(10, Math.floor(Math.log10(v)) - digits + 1);
  const k = Math.floor(v / unit);
  for (const c of [k + 1, k, k - 1]) {
    const candidate = Number((c * unit).toPrecision(digits));
    if (candidate <= v) return candidate;
  }
  return v;
}

/** Log-uniform on a grid over [min, max] (min > 0); shrinks towards min. */
function logGrid(r: Range): fc.Arbitrary<number> {
  if (r.min === r.max) return fc.constant(r.min);
  return fc.integer({ min: 0, max: GRID_STEPS }).map((k) => round(r.min * Math.pow(r.max / r.min, k / GRID_STEPS), r));
}

/** Uniform on a grid over [min, max]; shrinks towards min. */
function linGrid(r: Range): fc.Arbitrary<number> {
  if (r.min === r.max) return fc.constant(r.min);
  return fc.integer({ min: 0, max: GRID_STEPS }).map((k) => round(r.min + ((r.max - r.min) * k) / GRID_STEPS, r));
}

/** Builds the problem of `params` and wraps it with its facts and a printable description. */
export function generatedQuadratic(params: QuadraticParams): GeneratedQuadratic {
  const problem = quadraticProblem(params);
  const outer = outerSpectrum(problem);
  const facts: QuadraticFacts = {
    kappa: params.L / params.mu,
    LMaxSample: problem.innerConstants().LMaxSample,
    muOuter: outer.mu,
    LOuter: outer.L,
  };
  const text = `quadraticProblem(${JSON.stringify(params)}) /* κ=${facts.kappa.toPrecision(3)}, LMaxSample=${facts.LMaxSample.toPrecision(3)}, μ_h=${facts.muOuter.toPrecision(3)}, L_h=${facts.LOuter.toPrecision(3)} */`;
  return { params, problem, facts, toString: () => text, [fc.toStringMethod]: () => text };
}

/**
 * Random strongly convex finite-sum quadratic bilevel problems with known solutions ({@link quadraticProblem}):
 * the average inner Hessian has its spectrum exactly in [μ, L] with κ = L/μ ≤ maxKappa, the Hessian of h is
 * ⪰ μ_h·I with μ_h ≥ muOuter, and x* and ∇h are in closed form.
 *
 * Every parameter, including the integer `seed` of the problem's own generator, is drawn by fast-check and the
 * problem is built from them deterministically, so shrinking and replay (`fc.assert(…, { seed, path })`) work; a
 * counterexample prints as the `quadraticProblem({...})` call that rebuilds it, with κ, μ_h and L_h.
 *
 * @example fc.assert(fc.property(quadraticProblemArb({ maxKappa: 100 }), ({ problem }) => …), { seed: 42 })
 */
export function quadraticProblemArb(options: QuadraticProblemArbOptions = {}): fc.Arbitrary<GeneratedQuadratic> {
  const fn = 'quadraticProblemArb';
  knownKeys(fn, options, KEYS);
  const dimZ = integerRange(fn, 'dimZ', options.dimZ ?? DEFAULTS.dimZ, 1);
  const dimX = integerRange(fn, 'dimX', options.dimX ?? DEFAULTS.dimX, 1);
  const nInner = integerRange(fn, 'nInner', options.nInner ?? DEFAULTS.nInner, 1);
  const nOuter = integerRange(fn, 'nOuter', options.nOuter ?? DEFAULTS.nOuter, 1);
  const mu = numberRange(fn, 'mu', options.mu ?? DEFAULTS.mu, 0, true);
  const maxKappa = positiveNumber(fn, 'maxKappa', options.maxKappa ?? DEFAULTS.maxKappa);
  if (maxKappa < 1) throw new RangeError(`${fn}: maxKappa must be ≥ 1, received ${maxKappa}`);
  const LCross = numberRange(fn, 'LCross', options.LCross ?? DEFAULTS.LCross, 0, false);
  const muOuter = numberRange(fn, 'muOuter', options.muOuter ?? DEFAULTS.muOuter, 0, true);
  return fc
    .record({
      dimZ: fc.integer(dimZ),
      dimX: fc.integer(dimX),
      nInner: fc.integer(nInner),
      nOuter: fc.integer(nOuter),
      mu: logGrid(mu),
      kappa: logGrid({ min: 1, max: maxKappa }),
      LCross: linGrid(LCross),
      muOuter: logGrid(muOuter),
      seed: fc.integer({ min: 0, max: 0x7fffffff }),
    })
    .map(({ kappa, ...p }) =>
      generatedQuadratic({
        dimZ: p.dimZ,
        dimX: p.dimX,
        nInner: Math.max(p.nInner, p.dimZ),
        nOuter: p.nOuter,
        mu: p.mu,
        L: floorDigits(p.mu * kappa, SIGNIFICANT_DIGITS + 1),
        LCross: p.LCross,
        muOuter: p.muOuter,
        seed: p.seed,
      }),
    );
}
