import { lastValueFrom } from 'rxjs';
import { buildProblem } from '@bilevel/cli';
import type { BilevelProblem } from '@bilevel/problems';
import type { Solver } from '@bilevel/solvers';
import { saba, soba } from '@bilevel/solvers';
import { run, runLoop } from '@bilevel/streams';

/** Median of a list. */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function timeStreams(problem: BilevelProblem, solver: Solver, iters: number, seed: number): Promise<number> {
  const last = await lastValueFrom(run(problem, solver, { maxIter: iters, sampleEvery: iters, seed }));
  return (last.solverSeconds * 1e6) / iters;
}

function timeLoop(problem: BilevelProblem, solver: Solver, iters: number, seed: number): number {
  const last = runLoop(problem, solver, { maxIter: iters, sampleEvery: iters, seed });
  return (last.solverSeconds * 1e6) / iters;
}

/**
 * `npm run bench -- logreg`: µs per iteration of SOBA and SABA on the default task (bundled breast cancer,
 * 60/40 split, batch 32, scalar L2 weight), through the three coupled streams and through the plain loop that calls
 * the same step functions; the stream overhead is the ratio of the two. Each figure is the median of `reps`
 * alternating repetitions after a warm-up.
 */
export async function benchLogreg(args: { iters?: number; reps?: number } = {}) {
  const iters = args.iters ?? 20_000;
  const reps = args.reps ?? 7;
  const problem = buildProblem({ problem: 'logreg-hpo', reg: 'scalar', standardize: 'train', seed: 0 });
  const rows: Record<string, unknown>[] = [];
  for (const [name, make] of [
    ['saba', () => saba({ batchSize: 32 })],
    ['soba', () => soba({ batchSize: 32 })],
  ] as const) {
    // warm-up: let the JIT settle on both paths
    timeLoop(problem, make(), iters, 99);
    await timeStreams(problem, make(), iters, 99);
    const loop: number[] = [];
    const streams: number[] = [];
    for (let r = 0; r < reps; r++) {
      loop.push(timeLoop(problem, make(), iters, r));
      streams.push(await timeStreams(problem, make(), iters, r));
    }
    const ratios = loop.map((l, i) => streams[i] / l);
    rows.push({
      solver: name,
      'loop µs/iter': +median(loop).toFixed(2),
      'streams µs/iter': +median(streams).toFixed(2),
      'overhead (streams/loop)': +median(ratios).toFixed(3),
      'overhead min..max': `${Math.min(...ratios).toFixed(3)}..${Math.max(...ratios).toFixed(3)}`,
    });
  }
  return { benchmark: 'logreg', task: 'breast cancer 60/40, batch 32, scalar reg', iters, reps, rows };
}
