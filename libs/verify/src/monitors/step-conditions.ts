import type { Solver, StreamName } from '@bilevel/solvers';
import type { InnerConstantsEstimate } from './inner-constants-at';

/** One condition of a solver's convergence theory on its step sizes, evaluated. */
export interface StepCondition {
  /** `solver.option`, e.g. `saba.innerStep`. */
  readonly name: string;
  readonly stream: StreamName;
  /** The rule, e.g. `ρ ≤ 1/(3·L_max)`. */
  readonly rule: string;
  readonly value: number;
  readonly bound: number;
  readonly holds: boolean;
  /** Level of a failure: `violation` for a bound, `warning` for a setting outside the theorem's assumptions. */
  readonly level: 'warning' | 'violation';
  /** Where the bound comes from. */
  readonly source: string;
  /** Set when a pass is not conclusive (checked against a weaker bound because a constant is unknown). */
  readonly note?: string;
}

/** What {@link stepConditions} needs to know about a solver before computing any constant. */
export interface ConditionNeeds {
  /** L_h, the smoothness of h, is needed (two-timescale conditions). */
  readonly outer: boolean;
}

/** The paper's SOBA exponents: ρ_t ∝ t^−2/5, γ_t ∝ t^−3/5 (Dagréou et al., NeurIPS 2022, Theorem 1). */
export const SOBA_EXPONENTS = { inner: 0.4, outer: 0.6 } as const;
const EXPONENT_TOL = 1e-12;

const SAGA_SOURCE = 'SAGA step 1/(3·L_max): Defazio, Bach, Lacoste-Julien, NeurIPS 2014, Thm 1 (SABA: Dagréou et al., NeurIPS 2022)';
const TWO_TIMESCALE_SOURCE = 'two-timescale condition γ·L_h ≤ ρ·μ of SABA (Dagréou et al., NeurIPS 2022), as calibrated in safeSabaOptions';

/** Which constants the conditions of `solver` need, or undefined when no condition is known for it. */
export function conditionNeeds(solver: Solver): ConditionNeeds | undefined {
  const o = solver.options;
  switch (solver.name) {
    case 'saba':
    case 'soba':
      return { outer: true };
    case 'stocbio':
      return { outer: false };
    case 'amigo':
      return { outer: false };
    case 'implicit-diff':
      return o.linsys === 'cg' ? { outer: false } : undefined;
    default:
      return undefined;
  }
}

function le(name: string, stream: StreamName, rule: string, value: number, bound: number, source: string, note?: string): StepCondition {
  return { name, stream, rule, value, bound, holds: value <= bound, level: 'violation', source, ...(note ? { note } : {}) };
}

function positiveDefinite(name: string, mu: number, estimated: boolean): StepCondition {
  return {
    name,
    stream: 'linsys',
    rule: 'μ > 0 (CG needs a positive definite system)',
    value: mu,
    bound: 0,
    holds: mu > 0,
    level: 'violation',
    source: 'Hestenes, Stiefel 1952: CG converges on symmetric positive definite systems',
    ...(estimated ? { note: 'μ estimated at the current z by power iteration' } : {}),
  };
}

/**
 * The step conditions of a solver's convergence theory, evaluated with the inner constants at the current point
 * and L_h (when known), for the solver's steps at inner step count `tick` and outer step count `iteration`:
 *
 *   saba      ρ ≤ 1/(3·L_max)                          (SAGA; with L in place of L_max when L_max is unknown: a
 *                                                       failure is then certain, a pass inconclusive)
 *             γ ≤ ρ·μ/L_h                              (two-timescale)
 *   soba      ρ_t = ρ₀(t+1)^−a ≤ 1/L_max,  γ_t = γ₀(t+1)^−b ≤ 1/(3·L_h)   (safeSobaOptions' rule, at the current t)
 *             a = 2/5, b = 3/5                         (the theorem's exponents; otherwise a warning)
 *   stocbio   η ≤ 1/L                                  (Neumann series of (I − ηH) converges)
 *   amigo     gd: β ≤ 1/L (Richardson = Neumann);  cg: μ > 0
 *   implicit-diff with CG: μ > 0
 *
 * Undefined for a solver without known conditions.
 */
export function stepConditions(solver: Solver, inner: InnerConstantsEstimate, Lh: number | undefined, tick: number, iteration: number): StepCondition[] | undefined {
  const o = solver.options;
  const num = (key: string) => o[key] as number;
  const lmax = inner.LMaxSample ?? inner.L;
  const lmaxNote = inner.LMaxSample === undefined ? 'L_max unknown: checked against L ≤ L_max, so a pass is not conclusive' : undefined;
  switch (solver.name) {
    case 'saba': {
      const rho = num('innerStep');
      const gamma = num('outerStep');
      const out = [le('saba.innerStep', 'inner', 'ρ ≤ 1/(3·L_max)', rho, 1 / (3 * lmax), SAGA_SOURCE, lmaxNote)];
      if (Lh !== undefined && Lh > 0) out.push(le('saba.outerStep', 'outer', 'γ ≤ ρ·μ/L_h', gamma, (rho * inner.mu) / Lh, TWO_TIMESCALE_SOURCE));
      return out;
    }
    case 'soba': {
      const a = num('innerDecay');
      const b = num('outerDecay');
      const rho = num('innerStep') * (tick + 1) ** -a;
      const gamma = num('outerStep') * (iteration + 1) ** -b;
      const source = 'SOBA (Dagréou et al., NeurIPS 2022), step rule of safeSobaOptions';
      const out = [le('soba.innerStep', 'inner', 'ρ_t ≤ 1/L_max', rho, 1 / lmax, source, lmaxNote)];
      if (Lh !== undefined && Lh > 0) out.push(le('soba.outerStep', 'outer', 'γ_t ≤ 1/(3·L_h)', gamma, 1 / (3 * Lh), source));
      const theorem = 'SOBA convergence theorem (Dagréou et al., NeurIPS 2022, Thm 1): ρ_t ∝ t^−2/5, γ_t ∝ t^−3/5';
      for (const [key, stream, value, paper] of [
        ['innerDecay', 'inner', a, SOBA_EXPONENTS.inner],
        ['outerDecay', 'outer', b, SOBA_EXPONENTS.outer],
      ] as const) {
        out.push({ name: `soba.${key}`, stream, rule: `exponent = ${paper}`, value, bound: paper, holds: Math.abs(value - paper) <= EXPONENT_TOL, level: 'warning', source: theorem });
      }
      return out;
    }
    case 'stocbio':
      return [le('stocbio.neumannStep', 'linsys', 'η ≤ 1/L', num('neumannStep'), 1 / inner.L, 'Neumann series Σ(I − ηH)^q converges for η ≤ 1/L (StocBiO: Ji, Yang, Liang, ICML 2021)')];
    case 'amigo':
      if (o.linsysSolver === 'cg') return [positiveDefinite('amigo.linsysSolver', inner.mu, inner.estimated)];
      return [le('amigo.linsysStep', 'linsys', 'β ≤ 1/L', num('linsysStep'), 1 / inner.L, 'gradient steps on ½vᵀHv + bᵀv contract for β ≤ 1/L (AmIGO: Arbel, Mairal, ICLR 2022)')];
    case 'implicit-diff':
      return o.linsys === 'cg' ? [positiveDefinite('implicit-diff.linsys', inner.mu, inner.estimated)] : undefined;
    default:
      return undefined;
  }
}
