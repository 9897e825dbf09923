import { join } from 'node:path';
import type { BilevelProblem } from '@bilevel/problems';
import { DataCleaning, ImagingProblem, reconstructionGrid } from '@bilevel/problems';
import type { Logger } from '@bilevel/telemetry';
import { svgToPng, writeFileAtomic } from '@bilevel/telemetry';
import { reconstructionsFigureSvg } from '../reconstructions-figure';
import type { RunOutcome } from './drive-run';

/**
 * Imaging: reconstructions.png in the run folder, clean | measured | reconstructed at the final x (held-out images
 * when there are some), with column headers and each tile's PSNR, for a person to look at. Returns its path; none
 * for other problems, when a write failed, or when it cannot be drawn (a warning).
 */
export function writeReconstructions(problem: BilevelProblem, x: Float64Array | undefined, outDir: string, outcome: RunOutcome, log: Logger): string | undefined {
  if (!(problem instanceof ImagingProblem) || !x || outcome.writeFailure) return undefined;
  const images = join(outDir, 'reconstructions.png');
  try {
    const grid = reconstructionGrid(problem, x);
    // column headers and each tile's PSNR drawn over the grid (the plots' fonts)
    writeFileAtomic(images, svgToPng(reconstructionsFigureSvg(grid), { width: grid.width * 2 }));
    log.info({ file: images, psnr: grid.rows.map((r) => `${r.label}: ${r.psnrObserved.toFixed(2)} → ${r.psnrReconstructed.toFixed(2)} dB`).join(', ') }, 'reconstructions');
    return images;
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'could not draw the reconstructions');
    return undefined;
  }
}

/**
 * Data cleaning: the test errors of the two reference trainings of the same model and C (on the corrupted labels,
 * and on the right labels only), to read the learned weights against; none for other problems or an interrupted run.
 */
export function dataCleaningBaselines(problem: BilevelProblem, outcome: RunOutcome, log: Logger): Record<string, number> | undefined {
  if (!(problem instanceof DataCleaning) || outcome.status === 'interrupted') return undefined;
  const t0 = performance.now();
  const corrupted = problem.errors(problem.solveWeighted(problem.baselineWeights('corrupted'), { tol: 1e-6 }).z);
  const clean = problem.errors(problem.solveWeighted(problem.baselineWeights('clean'), { tol: 1e-6 }).z);
  const baselines = { corruptedLabelsTestError: corrupted.testError, cleanLabelsOnlyTestError: clean.testError };
  log.info({ ...baselines, seconds: (performance.now() - t0) / 1000 }, 'baselines: training on the corrupted labels, and on the right labels only');
  return baselines;
}
