import type { BilevelProblem } from '@bilevel/problems';

/**
 * Oracle calls made by one stream: calls per oracle and samples touched (a full-batch pass over n samples counts
 * n samples), so solvers can be compared by computation as the papers do.
 */
export interface OracleCounts {
  innerGrad: number;
  hvp: number;
  cross: number;
  outerGradZ: number;
  outerGradX: number;
  innerValue: number;
  outerValue: number;
  /** Inner samples touched by all inner oracles. */
  innerSamples: number;
  /** Outer samples touched by all outer oracles. */
  outerSamples: number;
}

/** A zeroed counter. */
export function emptyCounts(): OracleCounts {
  return { innerGrad: 0, hvp: 0, cross: 0, outerGradZ: 0, outerGradX: 0, innerValue: 0, outerValue: 0, innerSamples: 0, outerSamples: 0 };
}

/** Sum of several counters. */
export function addCounts(...all: OracleCounts[]): OracleCounts {
  const out = emptyCounts();
  for (const c of all) for (const k of Object.keys(out) as (keyof OracleCounts)[]) out[k] += c[k];
  return out;
}

/**
 * The problem seen through a counter: every oracle call increments `counts`. Evaluation methods (solveInner,
 * hypergradient) pass through uncounted: they are not part of a solver's work.
 */
export function countingProblem(problem: BilevelProblem, counts: OracleCounts): BilevelProblem {
  const p = problem;
  return {
    name: p.name,
    dimZ: p.dimZ,
    dimX: p.dimX,
    nInner: p.nInner,
    nOuter: p.nOuter,
    precision: p.precision,
    fullInner: p.fullInner,
    fullOuter: p.fullOuter,
    info: p.info,
    innerValue(z, x, batch) {
      counts.innerValue++;
      counts.innerSamples += batch.length;
      return p.innerValue(z, x, batch);
    },
    outerValue(z, x, batch) {
      counts.outerValue++;
      counts.outerSamples += batch.length;
      return p.outerValue(z, x, batch);
    },
    innerGradZ(z, x, batch, out) {
      counts.innerGrad++;
      counts.innerSamples += batch.length;
      p.innerGradZ(z, x, batch, out);
    },
    innerHvp(z, x, v, batch, out) {
      counts.hvp++;
      counts.innerSamples += batch.length;
      p.innerHvp(z, x, v, batch, out);
    },
    innerCross(z, x, v, batch, out) {
      counts.cross++;
      counts.innerSamples += batch.length;
      p.innerCross(z, x, v, batch, out);
    },
    outerGradZ(z, x, batch, out) {
      counts.outerGradZ++;
      counts.outerSamples += batch.length;
      p.outerGradZ(z, x, batch, out);
    },
    outerGradX(z, x, batch, out) {
      counts.outerGradX++;
      counts.outerSamples += batch.length;
      p.outerGradX(z, x, batch, out);
    },
    solveInner: (x, o) => p.solveInner(x, o),
    hypergradient: (x, o) => p.hypergradient(x, o),
    ...(p.solution ? { solution: () => p.solution!() } : {}),
    ...(p.innerConstants ? { innerConstants: (x: Float64Array) => p.innerConstants!(x) } : {}),
  };
}
