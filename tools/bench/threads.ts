// `npm run bench -- threads`: SABA's jacobi run on 1, 2 and 3 threads (run's `threads` option), interleaved in one
// run, on data cleaning (the peer bench's settings) and on the default task (logreg-hpo on breast cancer): wall time
// and process CPU time (all threads) per iteration, their ratios to one thread, and a bit-identity check.
import { lastValueFrom, tap } from 'rxjs';
import { saba } from '@bilevel/solvers';
import type { Rebuilt } from '@bilevel/streams';
import { run } from '@bilevel/streams';
import type { PeerTaskName } from './peer/peer-task';
import { fashionMnistDir, peerProblem, peerSteps } from './peer/peer-task';

/** Arguments of {@link threadsTask}: which task, and its data folder. */
export interface ThreadsTaskArgs {
  readonly name: PeerTaskName;
  readonly dir: string | undefined;
}

/** The problem and SABA of a peer task, rebuilt the same way in each worker thread. */
export function threadsTask(args: ThreadsTaskArgs): Rebuilt {
  const steps = peerSteps(args.name);
  return { problem: peerProblem(args.name, args.dir), solver: saba({ batchSize: steps.batchSize, innerStep: steps.innerStep, outerStep: steps.outerStep }) };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[(s.length >> 1) - 1] + s[s.length >> 1]) / 2;
};
const round = (t: number, digits = 3) => +t.toFixed(digits);

/** One timed run: µs of wall and of process CPU per iteration after `warm` iterations, and the final iterate. */
async function timed(args: ThreadsTaskArgs, built: Rebuilt, threads: number, warm: number, iters: number) {
  let cpu0 = 0;
  let wall0 = 0;
  let solver0 = 0;
  const rebuild = { module: new URL('./threads.ts', import.meta.url).href, name: 'threadsTask', args };
  const last = await lastValueFrom(
    run(built.problem, built.solver, { seed: 0, maxIter: warm + iters, sampleEvery: warm, threads, ...(threads > 1 ? { rebuild } : {}) }).pipe(
      tap((s) => {
        if (s.iteration === warm) {
          const c = process.cpuUsage();
          cpu0 = c.user + c.system;
          wall0 = performance.now();
          solver0 = s.solverSeconds;
        }
      }),
    ),
  );
  const c = process.cpuUsage();
  return {
    wallUs: ((performance.now() - wall0) * 1000) / iters,
    solverUs: ((last.solverSeconds - solver0) * 1e6) / iters,
    cpuUs: (c.user + c.system - cpu0) / iters,
    z: last.z,
    x: last.x,
  };
}

/** Times 1, 2 and 3 threads, `rounds` times interleaved, per task. Options: --rounds, --dcIters, --logregIters. */
export async function benchThreads(opts: Record<string, number>) {
  const rounds = opts.rounds ?? 3;
  const dir = fashionMnistDir();
  const tasks = [
    { args: { name: 'datacleaning' as const, dir }, warm: 200, iters: opts.dcIters ?? 2000 },
    { args: { name: 'logreg-hpo' as const, dir: undefined }, warm: 5000, iters: opts.logregIters ?? 50_000 },
  ];
  const rows: Record<string, unknown>[] = [];
  const summary: Record<string, unknown> = {};
  for (const task of tasks) {
    const built = threadsTask(task.args);
    const per: Record<number, { wallUs: number[]; solverUs: number[]; cpuUs: number[] }> = {};
    let reference: { z: Float64Array; x: Float64Array } | undefined;
    let identical = true;
    for (let r = 0; r < rounds; r++) {
      for (const threads of [1, 2, 3]) {
        const t = await timed(task.args, built, threads, task.warm, task.iters);
        (per[threads] ??= { wallUs: [], solverUs: [], cpuUs: [] }).wallUs.push(t.wallUs);
        per[threads].solverUs.push(t.solverUs);
        per[threads].cpuUs.push(t.cpuUs);
        if (!reference) reference = t;
        else identical &&= t.z.every((v, i) => Object.is(v, reference!.z[i])) && t.x.every((v, i) => Object.is(v, reference!.x[i]));
      }
    }
    const one = { wall: median(per[1].wallUs), cpu: median(per[1].cpuUs) };
    for (const threads of [1, 2, 3]) {
      const wall = median(per[threads].wallUs);
      const cpu = median(per[threads].cpuUs);
      const row = {
        task: task.args.name,
        threads,
        wallUsPerIter: round(wall, 2),
        solverUsPerIter: round(median(per[threads].solverUs), 2),
        cpuUsPerIter: round(cpu, 2),
        wallSpeedup: round(one.wall / wall),
        cpuRatio: round(cpu / one.cpu),
        wallUsPerIterOneThread: round(one.wall, 2),
      };
      rows.push(row);
      console.log(JSON.stringify(row));
    }
    summary[task.args.name] = {
      iterations: task.iters,
      rounds,
      bitIdentical: identical,
      speedup2: round(one.wall / median(per[2].wallUs)),
      speedup3: round(one.wall / median(per[3].wallUs)),
      data: task.args.name === 'datacleaning' ? (dir ?? 'bundled subset (shared Fashion-MNIST folder missing)') : 'bundled breast cancer',
    };
  }
  return { rows, ...summary };
}
