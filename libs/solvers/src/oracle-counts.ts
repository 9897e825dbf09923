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
 * The problem seen through a counter: every oracle call increments `counts`. Everything else (dimensions,
 * evaluation methods such as solveInner and hypergradient, and any extra member of the problem's class) is
 * inherited unchanged, uncounted: evaluation is not part of a solver's work.
 */
export function countingProblem<P extends BilevelProblem>(problem: P, counts: OracleCounts): P {
  const p = problem;
  const wrapped = Object.create(p) as P;
  Object.assign(wrapped, {
    innerValue(z: Float64Array, x: Float64Array, batch: Int32Array) {
      counts.innerValue++;
      counts.innerSamples += batch.length;
      return p.innerValue(z, x, batch);
    },
    outerValue(z: Float64Array, x: Float64Array, batch: Int32Array) {
      counts.outerValue++;
      counts.outerSamples += batch.length;
      return p.outerValue(z, x, batch);
    },
    innerGradZ(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array) {
      counts.innerGrad++;
      counts.innerSamples += batch.length;
      p.innerGradZ(z, x, batch, out);
    },
    innerHvp(z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array) {
      counts.hvp++;
      counts.innerSamples += batch.length;
      p.innerHvp(z, x, v, batch, out);
    },
    innerCross(z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array) {
      counts.cross++;
      counts.innerSamples += batch.length;
      p.innerCross(z, x, v, batch, out);
    },
    outerGradZ(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array) {
      counts.outerGradZ++;
      counts.outerSamples += batch.length;
      p.outerGradZ(z, x, batch, out);
    },
    outerGradX(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array) {
      counts.outerGradX++;
      counts.outerSamples += batch.length;
      p.outerGradX(z, x, batch, out);
    },
  });
  return wrapped;
}
