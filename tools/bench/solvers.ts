import { lastValueFrom, takeWhile, tap } from 'rxjs';
import { buildProblem } from '@bilevel/cli';
import { referenceSolution } from '@bilevel/problems';
import { SOLVERS, totalCalls } from '@bilevel/solvers';
import type { OracleCounts } from '@bilevel/solvers';
import { run } from '@bilevel/streams';

/** Median of a list (NaN-free). */
function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

interface SeedResult {
  reached: boolean;
  seconds: number;
  calls: number;
  samples: number;
  best: number;
}

/**
 * `npm run bench -- solvers`: every registered bilevel solver on the default task (bundled breast cancer, batch 32,
 * the solver's default steps): solver time, oracle calls and samples touched to reach relative suboptimality
 * (h − h*)/h* ≤ target, or the best value within the budget; median over seeds. h(x) is evaluated exactly at the
 * snapshots (every `evalEvery` outer steps of the solver's registry entry); evaluation time is excluded.
 */
export async function benchSolvers(args: { seeds?: number; seconds?: number; target?: number } = {}) {
  const seeds = args.seeds ?? 5;
  const budget = args.seconds ?? 5;
  const target = args.target ?? 1e-4;
  const problem = buildProblem({ problem: 'logreg-hpo', reg: 'scalar', standardize: 'train', seed: 0 });
  const ref = referenceSolution(problem);
  const rows: Record<string, unknown>[] = [];
  for (const entry of Object.values(SOLVERS)) {
    if (entry.bilevel === false) continue;
    const results: SeedResult[] = [];
    for (let seed = 0; seed < seeds; seed++) {
      const solver = entry.create({ batchSize: 32 });
      let result: SeedResult = { reached: false, seconds: budget, calls: NaN, samples: NaN, best: Infinity };
      const calls = (c: OracleCounts) => totalCalls(c);
      try {
        await lastValueFrom(
          run(problem, solver, { seed, maxIter: 100_000_000, maxSeconds: budget, sampleEvery: entry.evalEvery ?? 200 }).pipe(
            tap((s) => {
              const rel = (problem.hypergradient(s.x).value - ref.value) / ref.value;
              result.best = Math.min(result.best, rel);
              if (rel <= target && !result.reached) {
                result = { reached: true, seconds: s.solverSeconds, calls: calls(s.counts.total), samples: s.counts.total.innerSamples + s.counts.total.outerSamples, best: result.best };
              }
            }),
            // unsubscribing at the target stops the run
            takeWhile(() => !result.reached),
          ),
          { defaultValue: undefined },
        );
      } catch (err) {
        result = { ...result, best: NaN };
        rows.push({ solver: entry.name, error: (err as Error).message.slice(0, 80) });
        break;
      }
      results.push(result);
    }
    if (results.length < seeds) continue;
    const reached = results.filter((r) => r.reached);
    rows.push({
      solver: entry.name,
      reached: `${reached.length}/${seeds}`,
      'seconds to target (median)': reached.length === seeds ? +median(reached.map((r) => r.seconds)).toFixed(3) : '—',
      'oracle calls (median)': reached.length === seeds ? median(reached.map((r) => r.calls)) : '—',
      'samples (median)': reached.length === seeds ? median(reached.map((r) => r.samples)) : '—',
      'best rel. subopt (median)': +median(results.map((r) => r.best)).toExponential(2),
    });
  }
  return { benchmark: 'solvers', task: `breast cancer 60/40, batch 32, h* = ${ref.value}`, target, budgetSeconds: budget, seeds, rows };
}
