import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProblem } from '@bilevel/cli';
import type { BilevelProblem, LogregHpo } from '@bilevel/problems';
import { DATA_CLEANING_STEPS, dataCleaning } from '@bilevel/problems';
import { saba } from '@bilevel/solvers';
import { runLoop } from '@bilevel/streams';
import { median } from './curve-stats';
import type { PeerSteps } from './export-problem';
import { exportProblem } from './export-problem';
import { LOGREG_STEPS } from './peer-task';
import type { Peer } from './run-peer';
import { runPeer } from './run-peer';
import { writeSabaOrders } from './write-saba-orders';

/** Iterations of every self-check run and their checkpoint spacing. */
const CHECK_ITERS = 200;
const CHECK_EVERY = 20;
const CHECK_SEEDS = 3;

/**
 * Replayed minibatches: the largest difference of z, v or x between the two implementations, relative to the largest
 * entry of ours, at any checkpoint. With the same blocks the arithmetic is the same up to the order of the sums
 * inside dot products (BLAS against our loops) and the last bit of exp/log: each operation rounds at ~1e-16, and at
 * these steps SABA contracts instead of amplifying errors (measured: ≤ 6e-15 after 200 iterations on both problems).
 * 1e-10 leaves five orders of margin for another BLAS or CPU, while a difference in the algorithm moves the iterates
 * by far more: a SAGA mean weighted 1/nBlocks instead of |block|/n (3% off on the logistic task) already differs by
 * 1.6e-3 after 20 iterations (measured with a deliberately broken copy of the numpy script).
 */
const REPLAY_TOL = 1e-10;

/**
 * Independent block orders (each side its own seeded generator): the iterates differ, so the check is on the
 * progress made. At each checkpoint t ≥ 40, with H(t) the median over 3 seeds of h(x_t) (exact inner solve):
 *   |H_numpy(t) − H_ours(t)| ≤ PROGRESS_TOL · (h(x_0) − H_ours(t)).
 * Measured over 5 seeds per side, the spread (max − min) of h(x_t) between the seeds of one implementation is ≤ 6% of
 * the progress at t = 40 and ≤ 1% at t = 200, and the medians of 3 differ by ≈ 1.2%: 10% leaves room for an unlucky
 * draw. That the check can fail is shown on every run: the same numpy code with twice the outer step γ (another
 * setting of the same algorithm) must miss it (measured gap 0.81).
 */
const PROGRESS_TOL = 0.1;
const PROGRESS_FROM = 40;

function maxRelDiff(a: Float64Array, ours: Float64Array): number {
  let d = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - ours[i]));
    scale = Math.max(scale, Math.abs(ours[i]));
  }
  return scale > 0 ? d / scale : d;
}

/** Both sides on the same minibatches: the largest relative difference of the iterates over the checkpoints. */
function replayDifference(problem: BilevelProblem, steps: PeerSteps, dir: string, peer: Peer, python?: string): number {
  const seed = 7;
  writeSabaOrders(problem, steps.batchSize, seed, CHECK_ITERS, join(dir, 'replay'));
  const ours = new Map<number, { x: Float64Array; z: Float64Array; v: Float64Array }>();
  runLoop(problem, saba(steps), { maxIter: CHECK_ITERS, sampleEvery: CHECK_EVERY, seed }, (s) => ours.set(s.iteration, s));
  const theirs = runPeer(peer, { data: dir, seed, maxIter: CHECK_ITERS, every: CHECK_EVERY, dimX: problem.dimX, dimZ: problem.dimZ, replay: join(dir, 'replay'), ...(python ? { python } : {}) });
  let worst = 0;
  for (const c of theirs.checkpoints) {
    const o = ours.get(c.iter);
    if (!o) throw new Error(`peer self-check: no checkpoint of ours at iteration ${c.iter}`);
    worst = Math.max(worst, maxRelDiff(c.x, o.x), maxRelDiff(c.z, o.z), maxRelDiff(c.v, o.v));
  }
  return worst;
}

/** Median over seeds of h(x_t) at each checkpoint, for our loop and for the numpy peer (from `dir`). */
function hCurves(problem: LogregHpo, dir: string): { ours: number[]; theirs: number[]; iters: number[] } {
  const ours: number[][] = [];
  const theirs: number[][] = [];
  let iters: number[] = [];
  for (let seed = 0; seed < CHECK_SEEDS; seed++) {
    const h: number[] = [];
    const it: number[] = [];
    runLoop(problem, saba(LOGREG_STEPS), { maxIter: CHECK_ITERS, sampleEvery: CHECK_EVERY, seed }, (s) => {
      h.push(problem.hypergradient(s.x).value);
      it.push(s.iteration);
    });
    ours.push(h);
    iters = it;
    const res = runPeer('numpy', { data: dir, seed, maxIter: CHECK_ITERS, every: CHECK_EVERY, dimX: problem.dimX, dimZ: problem.dimZ });
    theirs.push(res.checkpoints.map((c) => problem.hypergradient(c.x).value));
  }
  const med = (runs: number[][]) => iters.map((_, k) => median(runs.map((r) => r[k])));
  return { ours: med(ours), theirs: med(theirs), iters };
}

/** The worst ratio |H_numpy − H_ours| / (h(x_0) − H_ours) over the checkpoints from PROGRESS_FROM on. */
function progressGap(c: { ours: number[]; theirs: number[]; iters: number[] }): number {
  const h0 = c.ours[0];
  let worst = 0;
  for (let k = 0; k < c.iters.length; k++) {
    if (c.iters[k] < PROGRESS_FROM) continue;
    worst = Math.max(worst, Math.abs(c.theirs[k] - c.ours[k]) / (h0 - c.ours[k]));
  }
  return worst;
}

/**
 * `npm run bench -- peer --check 1`: checks that tools/bench/peer/saba_numpy.py and saba_numba.py are the same
 * algorithm as our SABA.
 * 1. logreg-hpo and 2. data cleaning (bundled subset, fast) with our samplers' minibatches replayed in numpy and in
 *    numba (when `numbaPython` is given): the iterates must agree to {@link REPLAY_TOL}; 3. logreg-hpo with each
 *    side's own block orders: the median h(x_t) of numpy must agree on the progress to {@link PROGRESS_TOL}; 4. the
 *    negative control, numpy with γ doubled, must not. (The numba peer draws the numpy peer's block orders from the
 *    same generators, so 3 covers it through 1–2.) Sets `process.exitCode = 1` when a check fails.
 */
export async function peerSelfCheck(numbaPython: string | null = null): Promise<{ passed: boolean; rows: Record<string, unknown>[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'bilevel-peer-check-'));
  try {
    const rows: Record<string, unknown>[] = [];
    const logreg = buildProblem({ problem: 'logreg-hpo', reg: 'scalar', standardize: 'train', seed: 0 }) as LogregHpo;
    const logregDir = join(dir, 'logreg');
    exportProblem(logreg, LOGREG_STEPS, logregDir);
    const cleaning = dataCleaning({});
    const cleaningDir = join(dir, 'cleaning');
    exportProblem(cleaning, DATA_CLEANING_STEPS, cleaningDir);
    const peers: { peer: Peer; python?: string }[] = [{ peer: 'numpy' }, ...(numbaPython ? [{ peer: 'numba' as const, python: numbaPython }] : [])];
    for (const { peer, python } of peers) {
      const d1 = replayDifference(logreg, LOGREG_STEPS, logregDir, peer, python);
      rows.push({ check: `${peer}: logreg-hpo, replayed minibatches: max rel. diff of z, v, x`, value: d1, tolerance: `≤ ${REPLAY_TOL}`, pass: d1 <= REPLAY_TOL });
      const d2 = replayDifference(cleaning, DATA_CLEANING_STEPS, cleaningDir, peer, python);
      rows.push({ check: `${peer}: datacleaning (bundled subset), replayed minibatches: max rel. diff`, value: d2, tolerance: `≤ ${REPLAY_TOL}`, pass: d2 <= REPLAY_TOL });
    }

    const curves = hCurves(logreg, logregDir);
    const g3 = progressGap(curves);
    rows.push({
      check: `logreg-hpo, own block orders: |ΔH| / progress, median of ${CHECK_SEEDS} seeds, t ≥ ${PROGRESS_FROM}`,
      value: g3,
      tolerance: `≤ ${PROGRESS_TOL}`,
      pass: g3 <= PROGRESS_TOL,
      detail: `H(${CHECK_ITERS}) ours ${curves.ours.at(-1)?.toFixed(6)}, numpy ${curves.theirs.at(-1)?.toFixed(6)}`,
    });

    const wrongDir = join(dir, 'logreg-wrong');
    exportProblem(logreg, { ...LOGREG_STEPS, outerStep: 2 * LOGREG_STEPS.outerStep }, wrongDir);
    const wrong = hCurves(logreg, wrongDir);
    const g4 = progressGap(wrong);
    rows.push({
      check: 'negative control: numpy with γ doubled must fail the progress check',
      value: g4,
      tolerance: `> ${PROGRESS_TOL}`,
      pass: g4 > PROGRESS_TOL,
      detail: `H(${CHECK_ITERS}) ours ${wrong.ours.at(-1)?.toFixed(6)}, numpy 2γ ${wrong.theirs.at(-1)?.toFixed(6)}`,
    });
    const passed = rows.every((r) => r.pass === true);
    if (!passed) process.exitCode = 1;
    return { passed, rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
