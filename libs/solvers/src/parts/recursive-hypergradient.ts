import type { BilevelProblem } from '@bilevel/problems';
import type { PartDescription } from '../part-description';
import type { StreamPart } from '../solver';
import type { InverseEstimator } from './neumann-hypergradient';
import { NeumannHypergradient } from './neumann-hypergradient';
import type { StepContext, StepRule } from './step-rule';

/**
 * The recursion that turns the hypergradient samples ĝ(P_t; S_t) into a direction d_t (P_t the point the stream
 * reads, S_t this step's draws, shared by the two points of a difference):
 *
 *   storm  d_0 = ĝ(P_0; S_0),  d_t = ĝ(P_t; S_t) + (1 − a_t)(d_{t−1} − ĝ(P_{t−1}; S_t)),  a_t = a·(t+1)^−b   (MRBO, SUSTAIN)
 *   sarah  d_t = ĝ_full(P_t) when t mod period = 0,  else  d_{t−1} + ĝ(P_t; S_t) − ĝ(P_{t−1}; S_t)            (VRBO)
 *
 * `period(problem)` counts this stream's steps.
 */
export type HypergradientRecursion =
  | { readonly kind: 'storm'; readonly momentum: number; readonly momentumDecay: number }
  | { readonly kind: 'sarah'; readonly period: (problem: BilevelProblem) => number };

/** Options of {@link recursiveHypergradientLinsys}. */
export interface RecursiveHypergradientOptions {
  readonly batchSize: number;
  /** η of the series. */
  readonly eta: number;
  /** N, Hessian batches per estimate. */
  readonly terms: number;
  readonly estimator: InverseEstimator;
  readonly recursion: HypergradientRecursion;
}

/** What the linear-system part publishes with v: the direction d_t for x and the x it was computed at. */
export interface HypergradientDirection {
  readonly direction: Float64Array;
  readonly x: Float64Array;
}

function isDirection(a: unknown): a is HypergradientDirection {
  return typeof a === 'object' && a !== null && (a as HypergradientDirection).direction instanceof Float64Array && (a as HypergradientDirection).x instanceof Float64Array;
}

interface LinsysState {
  readonly hg: NeumannHypergradient;
  readonly prevZ: Float64Array;
  readonly prevX: Float64Array;
  readonly d: Float64Array;
  readonly g: Float64Array;
  readonly gOld: Float64Array;
  readonly vOld: Float64Array;
  readonly period: number;
  refreshes: number;
  momentum: number;
  hvps: number;
}

/**
 * The linear-system part of MRBO, SUSTAIN and VRBO: each step draws S_t, estimates v̂ and ĝ at the point it reads
 * and (after the first step) at the previous point with the same S_t ({@link NeumannHypergradient}), runs the
 * {@link HypergradientRecursion} on ĝ, writes v̂(P_t; S_t) as the new v and publishes d_t with it
 * ({@link HypergradientDirection}) for {@link publishedDirectionOuter}. A refresh (sarah) uses the full sample sets.
 * Oracle calls per step: 2 × (∇_z f, ∇_x f, one cross product, N or p HVPs); a full refresh is one full pass of each.
 */
export function recursiveHypergradientLinsys(options: RecursiveHypergradientOptions): StreamPart<LinsysState> {
  const { batchSize, eta, terms, estimator, recursion } = options;
  return {
    stream: 'linsys',
    description: { estimator: recursion.kind, batchSize, linearSolver: { kind: 'neumann', step: eta, iterations: terms } },
    init(problem, rng) {
      return {
        hg: new NeumannHypergradient(problem, { batchSize, eta, terms, estimator }, rng.split()),
        prevZ: new Float64Array(problem.dimZ),
        prevX: new Float64Array(problem.dimX),
        d: new Float64Array(problem.dimX),
        g: new Float64Array(problem.dimX),
        gOld: new Float64Array(problem.dimX),
        vOld: new Float64Array(problem.dimZ),
        period: recursion.kind === 'sarah' ? recursion.period(problem) : 0,
        refreshes: 0,
        momentum: 1,
        hvps: 0,
      };
    },
    step(s, { z, x }, t, out): HypergradientDirection {
      const { hg, d, g, gOld } = s;
      const refresh = recursion.kind === 'sarah' ? t % s.period === 0 : t === 0;
      if (refresh) {
        if (recursion.kind === 'sarah') {
          hg.drawFull();
          s.refreshes++;
        } else hg.draw();
        hg.evaluate(z, x, out, d);
        s.hvps = hg.products;
        s.momentum = 1;
      } else {
        hg.draw();
        hg.evaluate(z, x, out, g);
        s.hvps = hg.products;
        hg.evaluate(s.prevZ, s.prevX, s.vOld, gOld);
        s.hvps += hg.products;
        if (recursion.kind === 'storm') {
          const a = recursion.momentumDecay === 0 ? recursion.momentum : recursion.momentum * Math.pow(t + 1, -recursion.momentumDecay);
          s.momentum = a;
          for (let k = 0; k < d.length; k++) d[k] = g[k] + (1 - a) * (d[k] - gOld[k]);
        } else {
          for (let k = 0; k < d.length; k++) d[k] += g[k] - gOld[k];
        }
      }
      s.prevZ.set(z);
      s.prevX.set(x);
      return { direction: Float64Array.from(d), x: Float64Array.from(x) };
    },
    diagnostics(s) {
      let n = 0;
      for (let k = 0; k < s.d.length; k++) n += s.d[k] * s.d[k];
      return {
        directionNorm: Math.sqrt(n),
        hvps: s.hvps,
        ...(recursion.kind === 'storm' ? { momentum: s.momentum } : { refreshes: s.refreshes, period: s.period }),
      };
    },
  };
}

interface OuterState {
  readonly rule: unknown;
}

function noSampling(): never {
  throw new Error('publishedDirectionOuter: the step rule needs a direction estimator; use a constant or power step');
}

/** How the direction {@link publishedDirectionOuter} follows was formed, and which variable's aux carries it. */
export interface PublishedDirection {
  /** The estimator of the direction (`storm`, `sarah`, `full-batch` …), for the part's description. */
  readonly estimator: string;
  /** Its minibatch size (absent: full batch). */
  readonly batchSize?: number;
  /** The variable whose aux holds the {@link HypergradientDirection}: `v` (MRBO, SUSTAIN, VRBO) or `z` (BOME). */
  readonly from: 'z' | 'v';
}

/**
 * The outer part of MRBO, SUSTAIN, VRBO and BOME: x ← x − γ_t d, with d the direction another part published with
 * the version of `from` this step reads ({@link HypergradientDirection}, e.g. {@link recursiveHypergradientLinsys})
 * and γ_t from `step` (a constant or power rule). No oracle call. The direction must have been computed at this x,
 * which the solver's schedule guarantees; under another schedule the x differ and the step throws, naming the
 * schedule to use.
 */
export function publishedDirectionOuter(solver: string, schedule: string, step: StepRule, published: PublishedDirection): StreamPart<OuterState> {
  const { estimator, batchSize, from } = published;
  const description: PartDescription = { estimator, ...(batchSize !== undefined ? { batchSize } : {}), ...(step.stepSize ? { step: step.stepSize } : {}) };
  return {
    stream: 'outer',
    description,
    init: (problem) => ({ rule: step.init(problem.dimX) }),
    step(s, reads, t, out) {
      const a = reads.aux?.[from];
      if (!isDirection(a) || a.x.length !== reads.x.length || !a.x.every((e, i) => Object.is(e, reads.x[i]))) {
        throw new Error(`${solver}: the outer step reads the direction computed at the same x with ${from}; run it under its schedule ${schedule}`);
      }
      const ctx: StepContext = { variable: 'x', reads, own: reads.x, t, d: a.direction, estimateAt: noSampling, probeAt: noSampling };
      step.apply(s.rule, ctx, out);
    },
    diagnostics: (s) => step.diagnostics?.(s.rule) ?? {},
  };
}
