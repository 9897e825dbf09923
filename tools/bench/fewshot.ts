import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { metricPlotSvg, svgToPng } from '@bilevel/telemetry';

const BIN = fileURLToPath(new URL('../../apps/bilevel/bin/bilevel.mjs', import.meta.url));

/** MAML's one-step meta-test MSE on 10-shot sinusoid regression (Li et al. 2017, Meta-SGD, Table 1: MAML 0.77 ± 0.11). */
const MAML_SINUSOID_10SHOT = 0.77;
/** iMAML's Omniglot accuracies (Rajeswaran et al. 2019, Table 2; full 30-alphabet background set, 64 channels, GPU). */
const PAPER = { '5way1shot': 99.5, '20way1shot': 96.18 } as const;

interface Case {
  readonly id: string;
  readonly label: string;
  readonly args: readonly string[];
  /** Solver seconds of each method (equal time). */
  readonly seconds: number;
  readonly classification: boolean;
  /** The methods compared, run at once (one child process each). */
  readonly solvers: readonly string[];
  readonly reference?: { y: number; label: string };
}

interface Trace {
  iter: number;
  solverSeconds: number;
  accuracy?: number;
  accuracyCi95?: number;
  loss: number;
  lossCi95: number;
}

/** Runs `bilevel run ARGS` in a child process (its own core when two run at once); resolves with its exit code. */
function child(args: readonly string[], log: string): Promise<number> {
  return new Promise((done) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) => {
      writeFileSync(log, err);
      done(code ?? 1);
    });
  });
}

/**
 * `npm run bench -- fewshot [--minutes M] [--channels C] [--meta-batch B] [--meta-batch-20 B] [--lambda L] [--inner-steps N]
 * [--inner-step A] [--only 1|2|3] [--seed S]`:
 * issue 18's meta-learning figures. Each case meta-trains iMAML and first-order MAML (and, on sinusoid regression,
 * Reptile and the Hessian-free ESJ-S) for the same budget of solver seconds (`--max-seconds`; evaluation excluded),
 * all as concurrent child processes of `bilevel run` (under the same machine load), and meta-tests them on held-out
 * tasks at evaluation points:
 *   - Omniglot 5-way 1-shot and 20-way 1-shot on the bundled 8 alphabets (6 meta-train, 2 held out: Greek and
 *     Sanskrit with the default seed), rotations as classes, the strided 4-layer convnet with C channels (default 16:
 *     on 2 shared cores iterations matter more than width), meta-batches of B tasks (default 16; 8 for 20-way), the
 *     adaptation λ = 0.5 (the iMAML paper's other setting), 8 gradient steps of 0.2 (the authors' 16 × 0.1 in half the
 *     gradients: at λ = 2 a step of 0.2 does not converge, and with 16 × 0.1 the first 1,000 meta-steps barely move
 *     the meta-test accuracy on 2 shared cores), 5 CG steps, 600 test episodes (one query per class, as the iMAML
 *     authors' tasks), accuracy mean and 95% interval;
 *   - sinusoid regression, K = 10: the meta-test MSE after one gradient step of 0.01 on 600 tasks (100 query points
 *     each), beside MAML's published 0.77.
 * Writes bench-results/fewshot.json (via main), bench-results/fewshot/<case>/<solver>/ (each run's folder) and
 * bench-results/fewshot-<case>.svg/png (the metric against solver time for both methods). A budget of M minutes per
 * case means M minutes of solver time plus the evaluations: tens of minutes in all on a shared 2-core machine.
 */
export async function benchFewshot(args: Record<string, number>): Promise<{ rows: Record<string, unknown>[] } & Record<string, unknown>> {
  const minutes = args.minutes ?? 30;
  const channels = args.channels ?? 16;
  const seed = args.seed ?? 0;
  const metaBatch = args['meta-batch'] ?? 16;
  const metaBatch20 = args['meta-batch-20'] ?? 8;
  const lambda = args.lambda ?? 0.5;
  const innerSteps = args['inner-steps'] ?? 8;
  const innerStep = args['inner-step'] ?? 0.2;
  const adaptation = ['--lambda', String(lambda), '--inner-steps', String(innerSteps), '--inner-step', String(innerStep)];
  const only = (args.only ?? 0) as number; // 0: every case; 1: 5-way; 2: 20-way; 3: sinusoid
  const seconds = Math.round(minutes * 60);
  const common = ['--seed', String(seed), '--json', '--log-level', 'warn', '--checkpoint-every', '0'];
  const cases: Case[] = [
    {
      id: '5way1shot',
      label: 'Omniglot 5-way 1-shot',
      args: ['--problem', 'fewshot', '--ways', '5', '--shots', '1', '--channels', String(channels), '--eval-every', '200', '--max-iter', '100000', '--meta-batch', String(metaBatch), ...adaptation],
      seconds,
      classification: true,
      solvers: ['imaml', 'fomaml'],
      reference: { y: PAPER['5way1shot'], label: `iMAML paper (30 alphabets, 64 ch): ${PAPER['5way1shot']}%` },
    },
    {
      id: '20way1shot',
      label: 'Omniglot 20-way 1-shot',
      args: ['--problem', 'fewshot', '--ways', '20', '--shots', '1', '--channels', String(channels), '--eval-every', '100', '--max-iter', '100000', '--meta-batch', String(metaBatch20), ...adaptation],
      seconds,
      classification: true,
      solvers: ['imaml', 'fomaml'],
      reference: { y: PAPER['20way1shot'], label: `iMAML paper (30 alphabets, 64 ch): ${PAPER['20way1shot']}%` },
    },
    {
      id: 'sinusoid10shot',
      label: 'sinusoid regression, K = 10',
      args: ['--problem', 'sinusoid', '--shots', '10', '--eval-every', '2000', '--max-iter', '1000000'],
      seconds: Math.max(60, Math.round(seconds / 3)),
      classification: false,
      solvers: ['imaml', 'fomaml', 'reptile', 'esj-s'],
      reference: { y: MAML_SINUSOID_10SHOT, label: `MAML, one step: ${MAML_SINUSOID_10SHOT}` },
    },
  ].filter((_, k) => only === 0 || only === k + 1);
  const base = resolve('bench-results', 'fewshot');
  mkdirSync(base, { recursive: true });
  const rows: Record<string, unknown>[] = [];
  const figures: Record<string, unknown> = {};
  for (const c of cases) {
    const started = performance.now();
    const load = loadavg()[0];
    const runs = c.solvers.map((solver) => {
      const out = join(base, c.id, solver);
      rmSync(out, { recursive: true, force: true });
      mkdirSync(join(base, c.id), { recursive: true });
      return { solver, out, code: child(['run', ...c.args, '--solver', solver, '--max-seconds', String(c.seconds), '--out', out, ...common], join(base, c.id, `${solver}.log`)) };
    });
    const series = [];
    for (const r of runs) {
      const code = await r.code;
      const summaryPath = join(r.out, 'summary.json');
      if (code !== 0 || !existsSync(summaryPath)) throw new Error(`bench fewshot: ${c.id} ${r.solver} exited with ${code}; see ${join(base, c.id, `${r.solver}.log`)}`);
      const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as { iterations: number; solverSeconds: number; solverCpuSeconds: number; wallSeconds: number; metaTest: Record<string, number>; weights: number };
      const trace = readFileSync(join(r.out, 'trace.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Trace & { finding?: unknown }).filter((t) => !t.finding);
      const best = c.classification ? trace.reduce((b, t) => ((t.accuracy ?? -1) > (b.accuracy ?? -1) ? t : b)) : trace.reduce((b, t) => (t.loss < b.loss ? t : b));
      const m = summary.metaTest;
      rows.push({
        case: c.id,
        solver: r.solver,
        iterations: summary.iterations,
        solverSeconds: +summary.solverSeconds.toFixed(1),
        solverCpuSeconds: +summary.solverCpuSeconds.toFixed(1),
        wallSeconds: +summary.wallSeconds.toFixed(1),
        ...(c.classification
          ? { accuracy: +m.accuracy.toFixed(2), ci95: +m.accuracyCi95.toFixed(2), bestAccuracy: +(best.accuracy ?? NaN).toFixed(2), bestAt: best.iter, paper: c.reference?.y }
          : { mseOneStep: +m.loss.toFixed(3), ci95: +m.lossCi95.toFixed(3), bestMse: +best.loss.toFixed(3), bestAt: best.iter, maml: MAML_SINUSOID_10SHOT }),
        weights: summary.weights,
      });
      series.push({ label: r.solver, points: trace.map((t) => (c.classification ? { x: t.solverSeconds, mean: t.accuracy ?? NaN, halfWidth: t.accuracyCi95 } : { x: t.solverSeconds, mean: t.loss, halfWidth: t.lossCi95 })) });
    }
    const svg = await metricPlotSvg(series, {
      title: `${c.label}: ${c.solvers.join(', ')} at equal solver time`,
      xTitle: 'solver time (s), evaluation excluded',
      yTitle: c.classification ? 'meta-test accuracy (%), 600 episodes, 95% band' : 'meta-test MSE after one step, 600 tasks',
      logY: !c.classification,
      ...(c.reference ? { reference: c.reference } : {}),
    });
    writeFileSync(join('bench-results', `fewshot-${c.id}.svg`), svg);
    writeFileSync(join('bench-results', `fewshot-${c.id}.png`), svgToPng(svg));
    figures[c.id] = { minutesWall: +((performance.now() - started) / 60000).toFixed(1), loadAverageAtStart: +load.toFixed(1) };
  }
  return { rows, budgetSecondsPerMethod: seconds, channels, metaBatch, metaBatch20, lambda, innerSteps, innerStep, seed, cores: cpus().length, figures };
}
