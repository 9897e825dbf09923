import { mkdirSync } from 'node:fs';
import { lastValueFrom, takeWhile, tap } from 'rxjs';
import { imagingProblem, tvGridSearch, writeReconstructionGrid } from '@bilevel/problems';
import type { ImagingProblem } from '@bilevel/problems';
import type { OracleCounts, Solver } from '@bilevel/solvers';
import { isgd, maid } from '@bilevel/solvers';
import { run } from '@bilevel/streams';

/** The papers' measure of computation: lower-level and CG iterations times the images they touch. */
function computations(c: OracleCounts, batch: number): number {
  return (c.innerGrad + c.hvp) * batch;
}

interface CurvePoint {
  readonly computations: number;
  readonly psnrTrain: number;
  readonly h: number;
  readonly x: Float64Array;
  readonly solverSeconds: number;
}

/**
 * Runs `solver` from the problem's start, evaluating the exact training PSNR every `every` outer steps (evaluation
 * time excluded from solverSeconds), until `maxIter` steps, `maxComputations`, or `stop(point)`.
 */
async function trainingCurve(
  problem: ImagingProblem,
  solver: Solver,
  batch: number,
  options: { maxIter: number; every: number; maxComputations?: number; seed?: number; stop?: (p: CurvePoint) => boolean },
): Promise<CurvePoint[]> {
  const points: CurvePoint[] = [];
  let warm: Float64Array | undefined;
  let done = false;
  await lastValueFrom(
    run(problem, solver, { seed: options.seed ?? 0, maxIter: options.maxIter, sampleEvery: options.every, x0: problem.startingPoint() }).pipe(
      tap((s) => {
        const sol = problem.solveInner(s.x, { tol: 1e-8, ...(warm ? { z0: warm } : {}) });
        warm = sol.z;
        const point = { computations: computations(s.counts.total, batch), psnrTrain: problem.trainPsnr(sol.z), h: problem.outerValue(sol.z, s.x, problem.fullOuter), x: s.x, solverSeconds: s.solverSeconds };
        points.push(point);
        if ((options.maxComputations !== undefined && point.computations >= options.maxComputations) || options.stop?.(point)) done = true;
      }),
      takeWhile(() => !done),
    ),
    { defaultValue: undefined },
  );
  return points;
}

const fmt = (x: Float64Array) => Array.from(x.slice(0, 2), (e) => +e.toFixed(3)).join(', ') + (x.length > 2 ? ', …' : '');

/**
 * `npm run bench -- imaging`: the done-when figures of bilevel learning for imaging on the bundled data (denoising,
 * σ = 0.1, 54 training patches of 32×32, 6 held-out images of 96×96, noise seed `seed`):
 *   1. grid search of the smoothed-TV parameters (θ₀, θ₁) by held-out PSNR;
 *   2. smoothed TV learned by MAID (deepinv defaults, `maidSteps` outer steps from (−5, −5)) and by the inexact
 *      stochastic method (isgd, one lower-level problem per patch, batch 6, Adam, α₀ = 0.1, α_k = α₀(k+1)^−0.3);
 *      the learned denoisers' held-out PSNR against the grid's best (target: within 0.1 dB);
 *   3. computation (inner + CG iterations × images touched) for isgd to reach MAID's final training PSNR (target:
 *      at most half of MAID's);
 *   4. a Field of Experts (8 filters 5×5) learned by isgd (batch 6, Adam α = 0.05 constant, `foeSteps` steps):
 *      held-out PSNR against the learned TV (target: higher);
 *   5. deblurring (5×5 Gaussian, σ_blur = 1) with smoothed TV learned by isgd: held-out PSNR blurred → restored.
 * Writes the held-out grids (clean | noisy | restored) to bench-results/imaging-*.png.
 */
export async function benchImaging(args: { seed?: number; maidSteps?: number; foeSteps?: number; quick?: number } = {}) {
  const seed = args.seed ?? 0;
  const quick = (args.quick ?? 0) > 0;
  const maidSteps = args.maidSteps ?? (quick ? 30 : 60);
  const foeSteps = args.foeSteps ?? (quick ? 100 : 600);
  const rows: Record<string, unknown>[] = [];
  const t0 = performance.now();
  const problem = imagingProblem({ task: 'denoise', regularizer: 'tv', seed });
  mkdirSync('bench-results', { recursive: true });

  // 1. grid search
  const theta0 = quick ? [-3, -2.5, -2, -1.5, -1] : [-3, -2.75, -2.5, -2.25, -2, -1.75, -1.5, -1.25, -1];
  const theta1 = quick ? [-8, -6, -4, -2] : [-9, -8, -7, -6, -5, -4, -3, -2];
  const grid = tvGridSearch(problem, theta0, theta1);
  rows.push({ figure: 'TV grid search: best held-out PSNR (dB)', value: +grid.best.psnrHeldOut.toFixed(3), detail: `θ = (${grid.best.theta0}, ${grid.best.theta1}) of ${grid.points.length} points` });

  // 2–3. MAID and isgd on TV
  const n = problem.nInner;
  const maidCurve = await trainingCurve(problem, maid(), n, { maxIter: maidSteps, every: 5, seed });
  const maidEnd = maidCurve.at(-1)!;
  const maidHeldOut = problem.heldOutPsnr(maidEnd.x);
  rows.push({ figure: 'TV by MAID: training PSNR (dB)', value: +maidEnd.psnrTrain.toFixed(4), detail: `θ = (${fmt(maidEnd.x)}), h = ${maidEnd.h.toFixed(5)}, ${maidEnd.computations} computations, ${maidSteps} outer steps, ${maidEnd.solverSeconds.toFixed(1)} s` });
  rows.push({ figure: 'TV by MAID: held-out PSNR − grid best (dB)', value: +(maidHeldOut - grid.best.psnrHeldOut).toFixed(3), target: '≥ −0.1', ok: maidHeldOut >= grid.best.psnrHeldOut - 0.1, detail: `held-out ${maidHeldOut.toFixed(3)} dB` });
  const batch = 6;
  const isgdTv = () => isgd({ batchSize: batch, lowerLevel: 'per-sample', optimizer: 'adam', outerStep: 0.1, outerDecay: 0.3, shuffle: true });
  const isgdCurve = await trainingCurve(problem, isgdTv(), batch, { maxIter: 100_000, every: 10, seed, maxComputations: maidEnd.computations / 2, stop: (p) => p.psnrTrain >= maidEnd.psnrTrain });
  const reach = isgdCurve.find((p) => p.psnrTrain >= maidEnd.psnrTrain);
  rows.push({
    figure: 'isgd computation to reach MAID final training PSNR ÷ MAID computation',
    value: reach ? +(reach.computations / maidEnd.computations).toFixed(4) : 'not reached within half',
    target: '≤ 0.5',
    ok: reach !== undefined && reach.computations <= maidEnd.computations / 2,
    detail: reach ? `${reach.computations} vs ${maidEnd.computations} computations; isgd PSNR ${reach.psnrTrain.toFixed(4)} dB, h = ${reach.h.toFixed(5)}, ${reach.solverSeconds.toFixed(1)} s` : `best ${Math.max(...isgdCurve.map((p) => p.psnrTrain)).toFixed(4)} dB`,
  });
  // MAID's curve at the computation isgd needed: how far MAID was at that point
  if (reach) {
    const maidAt = [...maidCurve].reverse().find((p) => p.computations <= reach.computations);
    if (maidAt) rows.push({ figure: 'MAID training PSNR at that computation (dB)', value: +maidAt.psnrTrain.toFixed(4), detail: `${maidAt.computations} computations` });
  }
  // isgd trained longer (as long as MAID's budget), for its learned TV's held-out PSNR
  const isgdLong = await trainingCurve(problem, isgdTv(), batch, { maxIter: 100_000, every: 50, seed, maxComputations: maidEnd.computations });
  const isgdEnd = isgdLong.at(-1)!;
  const isgdHeldOut = problem.heldOutPsnr(isgdEnd.x);
  rows.push({ figure: 'TV by isgd: held-out PSNR − grid best (dB)', value: +(isgdHeldOut - grid.best.psnrHeldOut).toFixed(3), target: '≥ −0.1', ok: isgdHeldOut >= grid.best.psnrHeldOut - 0.1, detail: `θ = (${fmt(isgdEnd.x)}), training ${isgdEnd.psnrTrain.toFixed(4)} dB, held-out ${isgdHeldOut.toFixed(3)} dB, ${isgdEnd.computations} computations` });
  const tvBest = Math.max(maidHeldOut, isgdHeldOut);
  const tvX = maidHeldOut >= isgdHeldOut ? maidEnd.x : isgdEnd.x;
  writeReconstructionGrid('bench-results/imaging-denoise-tv.png', problem, tvX);

  // 4. Field of Experts
  const foe = imagingProblem({ task: 'denoise', regularizer: 'foe', seed });
  const foeCurve = await trainingCurve(foe, isgd({ batchSize: batch, lowerLevel: 'per-sample', optimizer: 'adam', outerStep: 0.05, outerDecay: 0, shuffle: true }), batch, { maxIter: foeSteps, every: foeSteps, seed });
  const foeEnd = foeCurve.at(-1)!;
  const foeHeldOut = foe.heldOutPsnr(foeEnd.x);
  rows.push({ figure: 'FoE by isgd: held-out PSNR − learned TV (dB)', value: +(foeHeldOut - tvBest).toFixed(3), target: '> 0', ok: foeHeldOut > tvBest, detail: `FoE ${foeHeldOut.toFixed(3)} dB vs TV ${tvBest.toFixed(3)} dB; FoE training ${foeEnd.psnrTrain.toFixed(3)} dB, ${foeSteps} steps, ${foeEnd.computations} computations, ${foeEnd.solverSeconds.toFixed(0)} s` });
  writeReconstructionGrid('bench-results/imaging-denoise-foe.png', foe, foeEnd.x);

  // 5. deblurring with TV
  const blur = imagingProblem({ task: 'deblur', regularizer: 'tv', seed });
  const blurCurve = await trainingCurve(blur, isgd({ batchSize: batch, lowerLevel: 'per-sample', optimizer: 'adam', outerStep: 0.1, outerDecay: 0.3, shuffle: true }), batch, { maxIter: quick ? 100 : 300, every: quick ? 100 : 300, seed });
  const blurEnd = blurCurve.at(-1)!;
  rows.push({
    figure: 'deblurring, TV by isgd: held-out PSNR (dB)',
    value: +blur.heldOutPsnr(blurEnd.x).toFixed(3),
    detail: `measured (blurred + noise) ${blur.info.psnrHeldOutObserved} dB; θ = (${fmt(blurEnd.x)}), training ${blurEnd.psnrTrain.toFixed(3)} dB, ${blurEnd.computations} computations`,
  });
  writeReconstructionGrid('bench-results/imaging-deblur-tv.png', blur, blurEnd.x);

  return {
    benchmark: 'imaging',
    task: `denoising σ = 0.1, ${n} training patches 32×32, 6 held-out 96×96 (bundled), seed ${seed}; noisy held-out ${problem.info.psnrHeldOutObserved} dB`,
    seconds: +((performance.now() - t0) / 1000).toFixed(0),
    rows,
  };
}
