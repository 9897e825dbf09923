// SABA through `run` on the logistic task written as a user's model (logregModel: modelProblem) against the
// hand-written LogregHpo on the same data: the same iterates (the oracles agree to rounding) at a cost per iteration
// within the issue's target of 2× (asserted loosely, < 4×, since the machine is shared; `npm run bench --
// model-problem` gives the figure). Both timed in this process over the same iterations, repetitions alternated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastValueFrom } from 'rxjs';
import { Rng } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import { bundledDataPath, loadUciCsv, logregHpo, splitDataset } from '@bilevel/problems';
import { logregModel } from '@bilevel/autodiff';
import { saba } from '@bilevel/solvers';
import { run } from '@bilevel/streams';

/** Loose bound on the measured ratio (the target is 2; a loaded 2-core machine can add noise to either side). */
const LOOSE_RATIO = 4;
/** Iterates after 3000 SABA steps: oracles equal to ~1e-15 relative, a contracting iteration: 1e-9 is generous. */
const SAME_ITERATES = 1e-9;
const ITERS = 3000;

async function sabaRun(problem: BilevelProblem, seed: number) {
  const last = await lastValueFrom(run(problem, saba({ batchSize: 32 }), { maxIter: ITERS, sampleEvery: ITERS, seed }));
  return { micros: (last.solverSeconds * 1e6) / ITERS, x: last.x, z: last.z };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

for (const reg of ['scalar', 'feature'] as const) {
  test(`SABA on logregModel follows the hand-written LogregHpo's iterates at a similar cost per iteration (reg ${reg})`, async (t) => {
    const { train, val } = splitDataset(loadUciCsv(bundledDataPath('breast_cancer.csv')), 0.6, Rng.fromSeed(0));
    const analytic = logregHpo(train, val, { reg });
    const model = logregModel(analytic);
    await sabaRun(analytic, 99); // warm-up: JIT tiers settle
    await sabaRun(model, 99);
    const ratios: number[] = [];
    const times: [number, number][] = [];
    for (let r = 0; r < 3; r++) {
      const a = await sabaRun(analytic, r);
      const m = await sabaRun(model, r);
      ratios.push(m.micros / a.micros);
      times.push([a.micros, m.micros]);
      const dx = Math.max(...Array.from(m.x, (e, k) => Math.abs(e - a.x[k]))) / Math.max(...Array.from(a.x, Math.abs));
      assert.ok(dx <= SAME_ITERATES, `x after ${ITERS} steps differs by ${dx} (relative)`);
    }
    const ratio = median(ratios);
    t.diagnostic(`µs per SABA iteration, hand-written vs modelProblem: ${times.map(([a, m]) => `${a.toFixed(1)} vs ${m.toFixed(1)}`).join('; ')}; median ratio ${ratio.toFixed(2)}`);
    assert.ok(ratio < LOOSE_RATIO, `modelProblem / hand-written time per iteration: ${ratios.map((q) => q.toFixed(2)).join(', ')}`);
  });
}
