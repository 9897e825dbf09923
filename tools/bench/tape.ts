import { buildProblem } from '@bilevel/cli';
import type { BilevelProblem } from '@bilevel/problems';
import { LogregHpo } from '@bilevel/problems';
import { saba } from '@bilevel/solvers';
import { runLoop } from '@bilevel/streams';
import { expectedCost, logregTape } from '@bilevel/autodiff';
import { median } from './probe/time-call';

/** Target of issue 7: SABA with automatic-differentiation oracles within this factor of the analytic ones. */
const TAPE_RATIO_TARGET = 5;

const round = (x: number, digits: number) => +x.toFixed(digits);

function sabaMicros(problem: BilevelProblem, iters: number, seed: number): number {
  const last = runLoop(problem, saba({ batchSize: 32 }), { maxIter: iters, sampleEvery: iters, seed });
  return (last.solverSeconds * 1e6) / iters;
}

/**
 * `npm run bench -- tape [--iters 20000] [--reps 5]`: µs per SABA iteration (runLoop, batch 32, default logreg task:
 * breast cancer 60/40, standardized, scalar and per-feature weight) with the analytic float64 oracles and with the
 * float64 tape oracles (`logregTape`, libs/autodiff/src/tape), repetitions alternated after a warm-up, medians; the
 * ratio against the target ≤ 5; and `expectedCost` (µs per oracle call, tape vs analytic) with its text, the
 * wording a run would show its user.
 */
export async function benchTape(args: Record<string, number> = {}) {
  const iters = args.iters ?? 20_000;
  const reps = args.reps ?? 5;
  for (const [name, v] of Object.entries({ iters, reps })) {
    if (!(Number.isInteger(v) && v >= 1)) throw new RangeError(`benchTape: --${name} must be a positive integer, received ${v}`);
  }
  const rows: Record<string, unknown>[] = [];
  const results: Record<string, unknown> = {};
  for (const reg of ['scalar', 'feature'] as const) {
    const analytic = buildProblem({ problem: 'logreg-hpo', reg, standardize: 'train', seed: 0 });
    if (!(analytic instanceof LogregHpo)) throw new Error('benchTape: buildProblem(logreg-hpo) did not return a LogregHpo');
    const tape = logregTape(analytic);
    sabaMicros(analytic, iters, 99);
    sabaMicros(tape, iters, 99);
    const a: number[] = [];
    const t: number[] = [];
    for (let r = 0; r < reps; r++) {
      a.push(sabaMicros(analytic, iters, r));
      t.push(sabaMicros(tape, iters, r));
    }
    const ratios = t.map((x, i) => x / a[i]);
    const ratio = median(ratios);
    const cost = expectedCost(tape, { analytic, seed: 0 });
    results[reg] = {
      analyticMicrosPerIter: round(median(a), 2),
      tapeMicrosPerIter: round(median(t), 2),
      ratio: round(ratio, 2),
      ratioMinMax: [round(Math.min(...ratios), 2), round(Math.max(...ratios), 2)],
      ok: ratio <= TAPE_RATIO_TARGET,
      oracleRatio: round(cost.ratio ?? NaN, 2),
      expectedCostText: cost.text,
    };
    rows.push({ reg, oracles: 'analytic (float64)', 'µs/iter': round(median(a), 2), ...cost.analytic?.oracles });
    rows.push({ reg, oracles: 'tape AD (float64)', 'µs/iter': round(median(t), 2), ...cost.oracles });
    rows.push({
      reg,
      oracles: 'ratio tape / analytic',
      'µs/iter': round(ratio, 2),
      ...Object.fromEntries(Object.entries(cost.oracles).map(([k, v]) => [k, round(v / (cost.analytic?.oracles[k as keyof typeof cost.oracles] ?? NaN), 2)])),
    });
  }
  const scalar = results.scalar as { ratio: number };
  return {
    benchmark: 'tape',
    task: 'SABA batch 32 on the default logreg task (breast cancer 60/40), analytic vs float64 tape AD oracles',
    iters,
    reps,
    target: TAPE_RATIO_TARGET,
    ratio: scalar.ratio,
    ok: scalar.ratio <= TAPE_RATIO_TARGET,
    ...results,
    rows,
  };
}
