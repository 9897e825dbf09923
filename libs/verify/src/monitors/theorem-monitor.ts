import type { Snapshot } from '@bilevel/streams';
import { knownKeys, positiveInteger } from '../validate-options';
import type { Finding, Monitor } from '@bilevel/streams';
import { innerConstantsAt } from './inner-constants-at';
import { outerSmoothnessAt } from './outer-smoothness-at';
import type { StepCondition } from './step-conditions';
import { conditionNeeds, stepConditions, uncheckedSteps } from './step-conditions';

/** Options of {@link theoremMonitor}, with their defaults. */
export interface TheoremMonitorOptions {
  /** Recheck every this many snapshots (the constants depend on x and, when estimated, on z). Default 10. */
  readonly every?: number;
  /**
   * Most time the monitor may take, as a fraction of the run's solver time: a due recheck is put off while the
   * monitor's own time exceeds it (the first check always runs). Default 0.02; Infinity checks on schedule.
   */
  readonly maxOverhead?: number;
  /** Power iterations per estimated eigenvalue (problems without `innerConstants`). Default 100. */
  readonly iterations?: number;
  /** Largest dim x for which L_h is estimated (non-quadratic problems). Default 50. */
  readonly maxDimX?: number;
}

const NAME = 'theorem';
const KEYS = ['every', 'maxOverhead', 'iterations', 'maxDimX'];

function fmt(n: number): string {
  return Number.isFinite(n) ? n.toPrecision(3) : String(n);
}

function finding(c: StepCondition, iteration: number): Finding {
  const isBound = !(c.rule.startsWith('exponent') || c.rule.startsWith('μ >'));
  const margin = isBound ? `, margin bound/value = ${fmt(c.bound / c.value)}` : '';
  let text: string;
  if (c.holds) text = `${c.name} = ${fmt(c.value)} satisfies ${c.rule} (bound ${fmt(c.bound)}${margin})`;
  else if (c.level === 'violation' && c.divergesAbove !== undefined) {
    text = `${c.name} = ${fmt(c.value)} exceeds 2/L = ${fmt(c.divergesAbove)}: the iteration on the linear system diverges (the theorem's sufficient bound is ${c.rule}, ${fmt(c.bound)})`;
  } else if (isBound) {
    // a sufficient condition missed: the theorem says nothing, the run may still converge
    text = `${c.name}: the step exceeds the theorem's sufficient bound ${c.rule} (${fmt(c.value)} > ${fmt(c.bound)}): convergence not guaranteed by the theorem`;
  } else text = `${c.name} = ${fmt(c.value)} breaks ${c.rule} (bound ${fmt(c.bound)}); the convergence theorem does not apply`;
  return {
    level: c.holds ? 'info' : c.level,
    monitor: NAME,
    iteration,
    message: `${text} [${c.source}]${c.note ? ` (${c.note})` : ''}`,
    value: c.value,
    bound: c.bound,
    stream: c.stream,
  };
}

/**
 * Theorem conditions: the steps the solver's parts declare (`StreamPart.description`, never its name or options)
 * against the bounds of the convergence theorem that covers them (see {@link stepConditions}: SAGA's constant steps
 * and SABA's two-timescale condition, SOBA's decreasing schedule and exponents, Neumann/Richardson steps, CG's
 * positive definiteness), with the inner constants from `problem.innerConstants(x)` or estimated by power
 * iteration on HVPs at the current (z, x) ({@link innerConstantsAt}), and L_h exact (quadratic) or estimated by
 * differences of exact hypergradients ({@link outerSmoothnessAt}).
 *
 * Guarantees: at the first snapshot and then every `every` snapshots (time permitting, see `maxOverhead`), every
 * condition is evaluated; a condition is reported when its status changes, at the first check and at the final
 * snapshot: `info` with the margin bound/value when it holds; when it does not, a `warning` for a sufficient
 * condition missed ("the step exceeds the theorem's sufficient bound …: convergence not guaranteed by the theorem",
 * or an exponent outside the theorem), a `violation` for a checked fact that fails (a step above 2/L, where the
 * iteration on the linear system diverges; CG on a system that is not positive definite). A solver without known conditions gets one `info` saying so; so does each
 * stream whose step no condition covers (a part without a description, an adaptive rule, an estimator no theorem
 * here covers: "not checked", never "within bound"), and an outer-step condition left unchecked because L_h is
 * unknown (dim x > maxDimX on a non-quadratic problem).
 * The first check always runs: on a non-quadratic problem it costs dim x + 1 exact hypergradients (L_h).
 *
 * @example withMonitors(run(p, saba({ innerStep: 0.5 }), o), monitorContext(p, s, o), [theoremMonitor()])   // warning if 0.5 > 1/(3·L_max), violation if 0.5 > 2/L
 */
export function theoremMonitor(options: TheoremMonitorOptions = {}): Monitor {
  const fn = 'theoremMonitor';
  knownKeys(fn, options, KEYS);
  const every = positiveInteger(fn, 'every', options.every ?? 10);
  const maxOverhead = options.maxOverhead ?? 0.02;
  if (typeof maxOverhead !== 'number' || !(maxOverhead > 0)) throw new RangeError(`${fn}: maxOverhead must be a positive number or Infinity, received ${String(maxOverhead)}`);
  const iterations = positiveInteger(fn, 'iterations', options.iterations ?? 100);
  const maxDimX = positiveInteger(fn, 'maxDimX', options.maxDimX ?? 50);
  return {
    name: NAME,
    description: "the solver's step sizes satisfy the step conditions of its convergence theorem (margin reported)",
    start: (ctx) => {
      const { problem, solver } = ctx;
      const needs = conditionNeeds(solver);
      const unchecked = uncheckedSteps(solver);
      let seen = 0;
      let sinceCheck = 0;
      let spentMs = 0;
      const status = new Map<string, boolean>();
      return {
        onSnapshot(s: Snapshot) {
          const first = seen++ === 0;
          if (!needs) {
            const why = unchecked.map((u) => `${u.stream}: ${u.reason}`).join('; ');
            return first
              ? [{ level: 'info', monitor: NAME, iteration: s.iteration, message: `no step conditions are known for solver "${solver.name}": nothing checked (${why})` }]
              : [];
          }
          sinceCheck++;
          const due = first || (sinceCheck >= every && spentMs <= maxOverhead * s.solverSeconds * 1000);
          if (!due) return [];
          sinceCheck = 0;
          const t0 = performance.now();
          const inner = innerConstantsAt(problem, s.z, s.x, { iterations });
          const Lh = needs.outer ? outerSmoothnessAt(problem, s.x, { maxDimX, z0: s.z })?.L : undefined;
          const conditions = stepConditions(solver, inner, Lh, s.tick, s.iteration) ?? [];
          spentMs += performance.now() - t0;
          const found: Finding[] = [];
          if (first) {
            for (const u of unchecked) {
              found.push({ level: 'info', monitor: NAME, iteration: s.iteration, message: `the ${u.stream} step of ${solver.name} is not checked: ${u.reason}`, stream: u.stream });
            }
          }
          if (first && needs.outer && Lh === undefined) {
            found.push({
              level: 'info',
              monitor: NAME,
              iteration: s.iteration,
              message: `the outer-step condition of ${solver.name} is not checked: L_h is not known and dim x = ${problem.dimX} > maxDimX = ${maxDimX}`,
              value: problem.dimX,
              bound: maxDimX,
              stream: 'outer',
            });
          }
          for (const c of conditions) {
            const before = status.get(c.name);
            status.set(c.name, c.holds);
            if (first || s.final || before !== c.holds) found.push(finding(c, s.iteration));
          }
          return found;
        },
      };
    },
  };
}
