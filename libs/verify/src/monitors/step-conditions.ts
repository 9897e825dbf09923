import type { PartDescription, Solver, StreamName } from '@bilevel/solvers';
import { describeStep, sameDescription } from '@bilevel/solvers';
import type { InnerConstantsEstimate } from './inner-constants-at';

/** One condition of a solver's convergence theory on its step sizes, evaluated. */
export interface StepCondition {
  /** `solver.key`, e.g. `saba.innerStep`. */
  readonly name: string;
  readonly stream: StreamName;
  /** The rule, e.g. `ρ ≤ 1/(3·L_max)`. */
  readonly rule: string;
  readonly value: number;
  readonly bound: number;
  readonly holds: boolean;
  /**
   * Level of a failure: `warning` when a sufficient condition of the theorem is missed (the step exceeds its bound,
   * or a setting is outside its assumptions: convergence is not guaranteed, yet the run may converge), `violation`
   * when a checked fact fails (the step exceeds {@link StepCondition.divergesAbove}, or CG's system is not positive
   * definite).
   */
  readonly level: 'warning' | 'violation';
  /**
   * A step above this makes the iteration diverge, not merely leave the theorem: 2/L for a constant step of a
   * gradient, Neumann or Richardson iteration on the linear system Hv = −b at the current z, whose mean map I − ηH
   * has an eigenvalue below −1 once η > 2/λ_max(H) (an estimated L is a Rayleigh quotient, ≤ λ_max, so 2/L ≥
   * 2/λ_max and a step above it is above the true one too).
   */
  readonly divergesAbove?: number;
  /** Where the bound comes from. */
  readonly source: string;
  /** Set when a pass is not conclusive (checked against a weaker bound because a constant is unknown). */
  readonly note?: string;
}

/** A stream whose step no condition covers, and why: reported as "not checked", never as within a bound. */
export interface UncheckedStep {
  readonly stream: StreamName;
  readonly reason: string;
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
const SOBA_SOURCE = 'SOBA (Dagréou et al., NeurIPS 2022), step rule of safeSobaOptions';
const SOBA_THEOREM = 'SOBA convergence theorem (Dagréou et al., NeurIPS 2022, Thm 1): ρ_t ∝ t^−2/5, γ_t ∝ t^−3/5';
const NEUMANN_SOURCE = 'Neumann series Σ(I − ηH)^q converges for η ≤ 1/L (as in StocBiO: Ji, Yang, Liang, ICML 2021)';
const RICHARDSON_SOURCE = 'gradient steps on ½vᵀHv + bᵀv contract for β ≤ 1/L (as in AmIGO: Arbel, Mairal, ICLR 2022)';
const CG_SOURCE = 'Hestenes, Stiefel 1952: CG converges on symmetric positive definite systems';

type Family = 'saga-constant' | 'sgd-power';

/** The family of a part's declared update that a theorem covers, if any. */
function family(d: PartDescription | undefined): Family | undefined {
  if (d?.step?.kind === 'constant' && d.estimator === 'saga') return 'saga-constant';
  if (d?.step?.kind === 'power' && d.estimator === 'sgd') return 'sgd-power';
  return undefined;
}

/** What one check reads: the constants at the current point and the step counts. */
interface At {
  readonly inner: InnerConstantsEstimate;
  readonly Lh: number | undefined;
  readonly tick: number;
  readonly iteration: number;
}

/** The checks of a solver, read from the descriptions its parts declare (never from its name or its options). */
interface Plan {
  readonly checks: ((at: At) => StepCondition[])[];
  readonly unchecked: UncheckedStep[];
  readonly needsOuter: boolean;
}

/**
 * `value ≤ bound`, a sufficient condition of a theorem: missed, a `warning`; a `violation` only above `divergesAbove`
 * (see {@link StepCondition.divergesAbove}).
 */
function le(name: string, stream: StreamName, rule: string, value: number, bound: number, source: string, note?: string, divergesAbove?: number): StepCondition {
  const level = divergesAbove !== undefined && value > divergesAbove ? 'violation' : 'warning';
  return { name, stream, rule, value, bound, holds: value <= bound, level, source, ...(note ? { note } : {}), ...(divergesAbove !== undefined ? { divergesAbove } : {}) };
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
    source: CG_SOURCE,
    ...(estimated ? { note: 'μ estimated at the current z by power iteration' } : {}),
  };
}

function exponent(name: string, stream: StreamName, value: number, paper: number): StepCondition {
  return { name, stream, rule: `exponent = ${paper}`, value, bound: paper, holds: Math.abs(value - paper) <= EXPONENT_TOL, level: 'warning', source: SOBA_THEOREM };
}

function lmaxOf(inner: InnerConstantsEstimate): { lmax: number; note?: string } {
  return inner.LMaxSample !== undefined ? { lmax: inner.LMaxSample } : { lmax: inner.L, note: 'L_max unknown: checked against L ≤ L_max, so a pass is not conclusive' };
}

/** The value of a constant or power step at step count t. */
function stepAt(d: PartDescription, t: number): number {
  const s = d.step!;
  return s.kind === 'constant' ? s.value : s.kind === 'power' ? s.base * (t + 1) ** -s.exponent : NaN;
}

function planOf(solver: Solver): Plan {
  const name = solver.name;
  const d = { inner: solver.inner.description, linsys: solver.linsys.description, outer: solver.outer.description };
  const checks: Plan['checks'] = [];
  const unchecked: UncheckedStep[] = [];
  const notKnown = (stream: StreamName) =>
    unchecked.push({ stream, reason: d[stream] ? `no step condition is known for ${describeStep(d[stream])}` : 'the part declares nothing about its step (no description)' });
  // z and v: one condition for both when their parts declare the same update (SABA, SOBA)
  const merged = sameDescription(d.inner, d.linsys);
  for (const stream of merged ? (['inner'] as const) : (['inner', 'linsys'] as const)) {
    const desc = d[stream];
    const fam = family(desc);
    const key = `${name}.${stream}`;
    if (fam === 'saga-constant') {
      // the divergence fact is the linear system's (v, or z and v with one step): a step on z alone has none here
      checks.push(({ inner }) => {
        const { lmax, note } = lmaxOf(inner);
        return [le(`${key}Step`, stream, 'ρ ≤ 1/(3·L_max)', stepAt(desc!, 0), 1 / (3 * lmax), SAGA_SOURCE, note, merged || stream === 'linsys' ? 2 / inner.L : undefined)];
      });
    } else if (fam === 'sgd-power') {
      const a = (desc!.step as { exponent: number }).exponent;
      checks.push(({ inner, tick }) => {
        const { lmax, note } = lmaxOf(inner);
        return [le(`${key}Step`, stream, 'ρ_t ≤ 1/L_max', stepAt(desc!, tick), 1 / lmax, SOBA_SOURCE, note), exponent(`${key}Decay`, stream, a, SOBA_EXPONENTS.inner)];
      });
    } else if (stream === 'linsys' && desc?.linearSolver) {
      const ls = desc.linearSolver;
      if (ls.kind === 'neumann') checks.push(({ inner }) => [le(`${name}.neumannStep`, 'linsys', 'η ≤ 1/L', ls.step, 1 / inner.L, NEUMANN_SOURCE, undefined, 2 / inner.L)]);
      else if (ls.kind === 'richardson') checks.push(({ inner }) => [le(`${name}.linsysStep`, 'linsys', 'β ≤ 1/L', ls.step, 1 / inner.L, RICHARDSON_SOURCE, undefined, 2 / inner.L)]);
      else if (ls.kind === 'krylov' && ls.method === 'cg') checks.push(({ inner }) => [positiveDefinite(`${name}.linsysSolver`, inner.mu, inner.estimated)]);
      else if (ls.kind !== 'exact') notKnown('linsys');
    } else if (!(stream === 'inner' && desc?.step?.kind === 'other' && desc.step.rule === 'exact solve')) {
      notKnown(stream);
    }
  }
  // x: its conditions belong to a theorem over all three streams
  const fz = family(d.inner);
  const fv = family(d.linsys);
  const fx = family(d.outer);
  let needsOuter = false;
  if (fx === 'saga-constant' && fz === 'saga-constant' && fv === 'saga-constant') {
    needsOuter = true;
    const rho = Math.min(stepAt(d.inner!, 0), stepAt(d.linsys!, 0));
    checks.push(({ inner, Lh }) => (Lh !== undefined && Lh > 0 ? [le(`${name}.outerStep`, 'outer', 'γ ≤ ρ·μ/L_h', stepAt(d.outer!, 0), (rho * inner.mu) / Lh, TWO_TIMESCALE_SOURCE)] : []));
  } else if (fx === 'sgd-power' && fz === 'sgd-power' && fv === 'sgd-power') {
    needsOuter = true;
    const b = (d.outer!.step as { exponent: number }).exponent;
    checks.push(({ Lh, iteration }) => [
      ...(Lh !== undefined && Lh > 0 ? [le(`${name}.outerStep`, 'outer', 'γ_t ≤ 1/(3·L_h)', stepAt(d.outer!, iteration), 1 / (3 * Lh), SOBA_SOURCE)] : []),
      exponent(`${name}.outerDecay`, 'outer', b, SOBA_EXPONENTS.outer),
    ]);
  } else if (fx !== undefined) {
    unchecked.push({ stream: 'outer', reason: `${describeStep(d.outer)}: its condition needs the same family (${fx}) on z and v, which have ${describeStep(d.inner)} and ${describeStep(d.linsys)}` });
  } else {
    notKnown('outer');
  }
  return { checks, unchecked, needsOuter };
}

/**
 * Which constants the conditions of `solver` need, or undefined when no condition is known for any of its parts.
 * Read from the parts' declared descriptions (`StreamPart.description`), like {@link stepConditions}.
 */
export function conditionNeeds(solver: Solver): ConditionNeeds | undefined {
  const plan = planOf(solver);
  return plan.checks.length > 0 ? { outer: plan.needsOuter } : undefined;
}

/**
 * The streams of `solver` whose step no condition covers, each with the reason (no description, or a step rule or
 * estimator no theorem here covers): a monitor reports them as "not checked". Empty when every stream is covered.
 */
export function uncheckedSteps(solver: Solver): readonly UncheckedStep[] {
  return planOf(solver).unchecked;
}

/**
 * The step conditions of a solver's convergence theory, chosen from the updates its parts declare
 * (`StreamPart.description`: estimator, step, linear solver), never from its name or options, evaluated with the
 * inner constants at the current point and L_h (when known), at inner step count `tick` and outer step count
 * `iteration`. Names are `solver.key`:
 *
 *   SAGA + constant step on z or v      ρ ≤ 1/(3·L_max)                (with L in place of L_max when L_max is unknown:
 *                                                                        a failure is then certain, a pass inconclusive)
 *   SAGA + constant on z, v and x       γ ≤ ρ·μ/L_h, ρ = min(ρ_z, ρ_v) (two-timescale; SABA)
 *   SGD + power step on z or v          ρ_t = ρ₀(t+1)^−a ≤ 1/L_max,  a = 2/5 (else a warning)
 *   SGD + power on z, v and x           γ_t = γ₀(t+1)^−b ≤ 1/(3·L_h), b = 3/5   (safeSobaOptions' rule; SOBA)
 *   Neumann series on v                 η ≤ 1/L
 *   Richardson (gradient) steps on v    β ≤ 1/L
 *   CG on v                             μ > 0
 *
 * Each bound is sufficient: a step above it is a `warning` (convergence not guaranteed by the theorem), a
 * `violation` only where the iteration then diverges (a constant SAGA, Neumann or Richardson step above 2/L, see
 * {@link StepCondition.divergesAbove}) or CG's system is not positive definite.
 * When z and v declare the same update, one condition (`innerStep`) covers both. Streams no condition covers are
 * listed by {@link uncheckedSteps}. Undefined when no condition is known for any part.
 */
export function stepConditions(solver: Solver, inner: InnerConstantsEstimate, Lh: number | undefined, tick: number, iteration: number): StepCondition[] | undefined {
  const plan = planOf(solver);
  if (plan.checks.length === 0) return undefined;
  return plan.checks.flatMap((check) => check({ inner, Lh, tick, iteration }));
}
