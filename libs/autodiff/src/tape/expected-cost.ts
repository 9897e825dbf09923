import { BlockSampler, Rng } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';

/** The five oracles a SOBA or SABA iteration calls once each, in the order of {@link ExpectedCost.oracles}. */
export const ITERATION_ORACLES = ['innerGradZ', 'innerHvp', 'outerGradZ', 'innerCross', 'outerGradX'] as const;
/** One of {@link ITERATION_ORACLES}. */
export type IterationOracle = (typeof ITERATION_ORACLES)[number];

/** Options of {@link expectedCost}. */
export interface ExpectedCostOptions {
  /** A reference problem with the same dimensions and sample counts (e.g. the analytic one) to compare against. */
  readonly analytic?: BilevelProblem;
  /** Minibatch size of the calls. Default 32. */
  readonly batchSize?: number;
  /** Seed of the points and batches. Default 0. */
  readonly seed?: number;
  /** Milliseconds of timed calls per oracle and problem (5 blocks, alternating with the reference's, the median
   *  kept). Default 50. */
  readonly budgetMs?: number;
}

/** Measured oracle costs: data for a log line or a summary; `text` says it in words. */
export interface ExpectedCost {
  readonly problem: string;
  readonly batchSize: number;
  /** µs per call of each oracle (median of 5 blocks). */
  readonly oracles: Readonly<Record<IterationOracle, number>>;
  /** µs of one SOBA/SABA iteration's oracle calls (their sum), solver bookkeeping excluded. */
  readonly perIteration: number;
  readonly analytic?: { readonly problem: string; readonly oracles: Readonly<Record<IterationOracle, number>>; readonly perIteration: number };
  /** perIteration / analytic.perIteration, when a reference was given. */
  readonly ratio?: number;
  readonly text: string;
}

const BLOCKS = 5;
const WARMUP_CALLS = 200;

function positive(value: unknown, field: string, dflt: number, integer: boolean): number {
  if (value === undefined) return dflt;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isSafeInteger(value))) {
    throw new RangeError(`expectedCost: options.${field} must be a positive ${integer ? 'integer' : 'number'}, received ${String(value)}`);
  }
  return value;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** A call of one oracle on a rotating set of batches, at a fixed random point. */
function caller(p: BilevelProblem, oracle: IterationOracle, batchSize: number, seed: number): () => void {
  const rng = Rng.fromSeed(seed);
  const z = rng.normals(new Float64Array(p.dimZ)).map((t) => 0.1 * t);
  const v = rng.normals(new Float64Array(p.dimZ));
  const x = rng.normals(new Float64Array(p.dimX)).map((t) => 0.1 * t - 1);
  const outZ = new Float64Array(p.dimZ);
  const outX = new Float64Array(p.dimX);
  const outer = oracle === 'outerGradZ' || oracle === 'outerGradX';
  const sampler = new BlockSampler(outer ? p.nOuter : p.nInner, Math.min(batchSize, outer ? p.nOuter : p.nInner), rng.split());
  const batches = Array.from({ length: sampler.nBlocks }, (_, b) => sampler.block(b).indices);
  let k = 0;
  const next = () => batches[k++ % batches.length];
  switch (oracle) {
    case 'innerGradZ':
      return () => p.innerGradZ(z, x, next(), outZ);
    case 'innerHvp':
      return () => p.innerHvp(z, x, v, next(), outZ);
    case 'outerGradZ':
      return () => p.outerGradZ(z, x, next(), outZ);
    case 'innerCross':
      return () => p.innerCross(z, x, v, next(), outX);
    case 'outerGradX':
      return () => p.outerGradX(z, x, next(), outX);
  }
}

/** A calibrated timer of one call: `block()` runs about `blockMs` of calls and returns µs per call. */
function blockTimer(call: () => void, blockMs: number): () => number {
  for (let i = 0; i < WARMUP_CALLS; i++) call();
  let calls = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) call();
    const ms = performance.now() - t0;
    if (ms >= blockMs / 2 || calls >= 1 << 24) {
      calls = Math.max(1, Math.round((calls * blockMs) / Math.max(ms, 1e-3)));
      break;
    }
    calls *= 2;
  }
  return () => {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) call();
    return ((performance.now() - t0) * 1000) / calls;
  };
}

const fmt = (us: number) => (us >= 100 ? us.toFixed(0) : us >= 10 ? us.toFixed(1) : us.toFixed(2));

/**
 * Measures what a problem's oracles cost per call at a given batch size, and, given a reference (the analytic
 * oracles of the same problem), by what factor it is slower, so a run can tell its user which speed to expect
 * before it starts. Each oracle a SOBA/SABA iteration calls is timed on rotating batches of a
 * {@link BlockSampler} at a seeded random point: a warm-up, then 5 blocks of `budgetMs / 5` ms, the median block;
 * the blocks of the problem and of the reference alternate. The iteration figure is the sum of the five
 * oracles: a solver's own bookkeeping (SAGA tables, steps) comes on top, the same for both, so the ratio of whole
 * iterations is smaller than the ratio of the oracles. Wall-clock figures: noisy on a shared machine (±20%).
 *
 * @example
 *   const cost = expectedCost(logregTape(analytic), { analytic });
 *   log.info({ perIteration: cost.perIteration, ratio: cost.ratio }, cost.text);
 */
export function expectedCost(problem: BilevelProblem, options: ExpectedCostOptions = {}): ExpectedCost {
  const batchSize = positive(options.batchSize, 'batchSize', 32, true);
  const budgetMs = positive(options.budgetMs, 'budgetMs', 50, false);
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`expectedCost: options.seed must be a safe integer, received ${String(seed)}`);
  const ref = options.analytic;
  if (ref !== undefined) {
    for (const field of ['dimZ', 'dimX', 'nInner', 'nOuter'] as const) {
      if (ref[field] !== problem[field]) {
        throw new RangeError(`expectedCost: options.analytic.${field} must equal the problem's (${problem[field]}), received ${ref[field]}`);
      }
    }
  }
  const oracles = {} as Record<IterationOracle, number>;
  const refOracles = {} as Record<IterationOracle, number>;
  const blockMs = budgetMs / BLOCKS;
  for (const name of ITERATION_ORACLES) {
    // blocks of the problem and of the reference alternate, so a busy spell of a shared machine falls on both
    const mine = blockTimer(caller(problem, name, batchSize, seed), blockMs);
    const theirs = ref ? blockTimer(caller(ref, name, batchSize, seed), blockMs) : null;
    const a: number[] = [];
    const b: number[] = [];
    for (let k = 0; k < BLOCKS; k++) {
      a.push(mine());
      if (theirs) b.push(theirs());
    }
    oracles[name] = median(a);
    if (theirs) refOracles[name] = median(b);
  }
  const sum = (o: Record<IterationOracle, number>) => ITERATION_ORACLES.reduce((s, n) => s + o[n], 0);
  const perIteration = sum(oracles);
  const head = `oracle cost of ${problem.name} (batch ${batchSize}): ${fmt(perIteration)} µs per SOBA/SABA iteration`;
  if (!ref) {
    const calls = ITERATION_ORACLES.map((n) => `${n} ${fmt(oracles[n])}`).join(', ');
    return { problem: problem.name, batchSize, oracles, perIteration, text: `${head} (µs per call: ${calls})` };
  }
  const refIteration = sum(refOracles);
  const ratio = perIteration / refIteration;
  const calls = ITERATION_ORACLES.map((n) => `${n} ${fmt(oracles[n])} (${(oracles[n] / refOracles[n]).toFixed(1)}×)`).join(', ');
  const text =
    `${head}, ${ratio.toFixed(1)}× the ${fmt(refIteration)} µs of ${ref.name}'s oracles; expect iterations up to ` +
    `${ratio.toFixed(1)}× slower (less where the solver's own work dominates). µs per call: ${calls}`;
  return { problem: problem.name, batchSize, oracles, perIteration, analytic: { problem: ref.name, oracles: refOracles, perIteration: refIteration }, ratio, text };
}
