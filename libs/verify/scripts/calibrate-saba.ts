// Calibration of the linear-convergence budget (not a test): runs SABA with the safe steps through the streams on
// generated problems and prints the distribution of (iterations needed to reach ‖∇h‖ ≤ 1e-6·‖∇h(x₀)‖) ÷ budget,
// with the budget of linearBudget at the default safety S = 2 (a ratio of 0.5 is exactly the S = 1 rate model).
//
//   npx tsx scripts/calibrate-saba.ts [N=200] [arb-options-json={}]
//   env: BATCH (default 4), OUTER_MULT (γ = OUTER_MULT × the safe γ, default 1), SEED (fast-check, default 7)
import fc from 'fast-check';
import { saba } from '@bilevel/solvers';
import { linearBudget, measureLinearConvergence, quadraticProblemArb, safeSabaOptions } from '../src/index';

const N = Number(process.argv[2] ?? 200);
const arbOptions = JSON.parse(process.argv[3] ?? '{}');
const batchSize = Number(process.env.BATCH ?? 4);
const outerMult = Number(process.env.OUTER_MULT ?? 1);
const samples = fc.sample(fc.tuple(quadraticProblemArb(arbOptions), fc.integer({ min: 0, max: 0x7fffffff })), { seed: Number(process.env.SEED ?? 7), numRuns: N });
const ratios: number[] = [];
let missed = 0;
const t0 = performance.now();
for (const [g, seed] of samples) {
  const p = g.problem;
  const safe = safeSabaOptions(p, { batchSize });
  const steps = { ...safe, outerStep: outerMult * safe.outerStep };
  const budget = linearBudget(p, steps);
  try {
    // measure up to 4× the budget, with checkpoints every 1% of the budget
    const m = await measureLinearConvergence(p, saba(steps), { budget: 4 * budget, seed, checkpoints: 400 });
    if (m.iterations === null) missed++;
    else ratios.push(m.iterations / budget);
    if (m.iterations === null || m.iterations > budget) console.log('over budget', m.iterations === null ? '> 4' : (m.iterations / budget).toFixed(2), String(g));
  } catch (e) {
    missed++;
    console.log('error', String(e).slice(0, 100), String(g));
  }
}
const q = (f: number) => ratios.slice().sort((a, b) => a - b)[Math.min(ratios.length - 1, Math.floor(f * ratios.length))];
console.log(
  `n=${N} batch=${batchSize} outerMult=${outerMult} ${JSON.stringify(arbOptions)}: iterations/budget min ${q(0).toFixed(3)} p10 ${q(0.1).toFixed(3)} ` +
    `median ${q(0.5).toFixed(3)} p90 ${q(0.9).toFixed(3)} p99 ${q(0.99).toFixed(3)} max ${q(1).toFixed(3)}; over budget ${ratios.filter((r) => r > 1).length + missed} ` +
    `(never within 4× ${missed}); ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
