import { lastValueFrom } from 'rxjs';
import { buildProblem } from '@bilevel/cli';
import type { BilevelProblem } from '@bilevel/problems';
import { saba } from '@bilevel/solvers';
import type { Finding } from '@bilevel/streams';
import { monitorContext, run, withMonitors } from '@bilevel/streams';
import { DEFAULT_MONITORS } from '@bilevel/verify';

/** Median of a list. */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

interface Measured {
  /** Process CPU seconds (user + system) of the whole run, monitors included. */
  readonly cpu: number;
  readonly wall: number;
  readonly findings: Finding[];
}

async function once(problem: BilevelProblem, monitored: boolean, iters: number, seed: number): Promise<Measured> {
  const solver = saba({ batchSize: 32 });
  const options = { maxIter: iters, sampleEvery: Math.max(1, Math.floor(iters / 100)), seed };
  const findings: Finding[] = [];
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  if (monitored) {
    const m = withMonitors(run(problem, solver, options), monitorContext(problem, solver, options), DEFAULT_MONITORS);
    m.findings$.subscribe((f) => findings.push(f));
    await lastValueFrom(m.snapshots$);
  } else {
    await lastValueFrom(run(problem, solver, options));
  }
  const wall = (performance.now() - w0) / 1000;
  const c = process.cpuUsage(c0);
  return { cpu: (c.user + c.system) / 1e6, wall, findings };
}

/**
 * `npm run bench -- monitors`: the cost of the default monitors (finiteness, theorem conditions, budget without
 * limits) on the default task: SABA, batch 32, on the bundled breast-cancer logistic regression (scalar weight,
 * standardized), `iters` outer steps with a snapshot every iters/100 (the CLI's evaluation period, 500 at 50,000).
 * Each repetition runs the plain and the monitored run back to back (the order alternating) and measures process
 * CPU time (user + system) of the whole run, monitor time included; the overhead is the median of the per-pair
 * ratios monitored/plain. Target: ≤ 1.05. Also lists the findings of one monitored run.
 */
export async function benchMonitors(args: { iters?: number; reps?: number } = {}) {
  const iters = args.iters ?? 50_000;
  const reps = Math.max(5, args.reps ?? 7);
  const problem = buildProblem({ problem: 'logreg-hpo', reg: 'scalar', standardize: 'train', seed: 0 });
  // warm-up: let the JIT settle on both paths
  await once(problem, false, iters, 99);
  await once(problem, true, iters, 99);
  const plain: Measured[] = [];
  const monitored: Measured[] = [];
  for (let r = 0; r < reps; r++) {
    if (r % 2 === 0) {
      plain.push(await once(problem, false, iters, r));
      monitored.push(await once(problem, true, iters, r));
    } else {
      monitored.push(await once(problem, true, iters, r));
      plain.push(await once(problem, false, iters, r));
    }
  }
  const cpuRatios = plain.map((p, i) => monitored[i].cpu / p.cpu);
  const wallRatios = plain.map((p, i) => monitored[i].wall / p.wall);
  const rows = [
    { variant: 'plain run', 'cpu s (median)': +median(plain.map((m) => m.cpu)).toFixed(3), 'wall s (median)': +median(plain.map((m) => m.wall)).toFixed(3) },
    { variant: 'DEFAULT_MONITORS', 'cpu s (median)': +median(monitored.map((m) => m.cpu)).toFixed(3), 'wall s (median)': +median(monitored.map((m) => m.wall)).toFixed(3) },
  ];
  const findings = monitored[0].findings.map((f) => `${f.level} ${f.monitor}@${f.iteration}: ${f.message}`);
  return {
    benchmark: 'monitors',
    task: 'SABA batch 32, breast cancer 60/40, scalar reg, snapshot every iters/100',
    monitors: DEFAULT_MONITORS.map((m) => m.name),
    iters,
    reps,
    'overhead cpu (monitored/plain, median)': +median(cpuRatios).toFixed(4),
    'overhead cpu min..max': `${Math.min(...cpuRatios).toFixed(4)}..${Math.max(...cpuRatios).toFixed(4)}`,
    'overhead wall (median)': +median(wallRatios).toFixed(4),
    target: 1.05,
    findings,
    rows,
  };
}
