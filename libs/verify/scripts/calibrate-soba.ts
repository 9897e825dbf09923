// Calibration of the running-mean property (not a test): runs SOBA with the safe steps through the streams from
// ‖∇h(x₀)‖ = 10 on generated problems and prints the largest ratio M(T_{k+1})/M(T_k) of consecutive running means
// and the ratio M(T_K)/M(T₀), T_k = 50·2^k, k ≤ 6.
//
//   npx tsx scripts/calibrate-soba.ts [N=200] [arb-options-json={}]
//   env: BATCH (default 4), RHO_MULT and OUTER_MULT (ρ₀, γ₀ = multiples of the safe steps, default 1), START_G (‖∇h(x₀)‖, default 10),
//   SEED (default 7)
import fc from 'fast-check';
import { soba } from '@bilevel/solvers';
import { farStart, measureRunningMean, quadraticProblemArb, safeSobaOptions } from '../src/index';

const N = Number(process.argv[2] ?? 200);
const arbOptions = JSON.parse(process.argv[3] ?? '{}');
const batchSize = Number(process.env.BATCH ?? 4);
const rhoMult = Number(process.env.RHO_MULT ?? 1);
const startGradient = Number(process.env.START_G ?? 10);
const samples = fc.sample(fc.tuple(quadraticProblemArb(arbOptions), fc.integer({ min: 0, max: 0x7fffffff })), { seed: Number(process.env.SEED ?? 7), numRuns: N });
const steps: number[] = [];
const overall: number[] = [];
const t0 = performance.now();
for (const [g, seed] of samples) {
  const p = g.problem;
  const safe = safeSobaOptions(p, { batchSize });
  const innerStep = (rhoMult * safe.innerStep);
  const outerMult = Number(process.env.OUTER_MULT ?? 1);
  const solver = soba({ ...safe, innerStep, outerStep: outerMult * safe.outerStep * (innerStep / safe.innerStep) });
  const x0 = farStart(p, seed, startGradient);
  const { means } = await measureRunningMean(p, solver, { seed, x0 });
  let worst = 0;
  for (let k = 0; k + 1 < means.length; k++) worst = Math.max(worst, means[k + 1] / means[k]);
  steps.push(worst);
  if (worst > 0.95 || means[means.length - 1] / means[0] > 0.3) {
    console.log('slow', worst.toFixed(3), (means[means.length - 1] / means[0]).toFixed(3), means.map((m) => m.toExponential(2)).join(' '), String(g), seed);
  }
  overall.push(means[means.length - 1] / means[0]);
}
const q = (a: number[], f: number) => a.slice().sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(f * a.length))];
console.log(
  `n=${N} batch=${batchSize} rhoMult=${rhoMult} G=${startGradient} ${JSON.stringify(arbOptions)}: max_k M(T_k+1)/M(T_k): median ${q(steps, 0.5).toFixed(3)} ` +
    `p90 ${q(steps, 0.9).toFixed(3)} max ${q(steps, 1).toFixed(3)}; M(T_K)/M(T_0): median ${q(overall, 0.5).toExponential(2)} ` +
    `p90 ${q(overall, 0.9).toExponential(2)} max ${q(overall, 1).toExponential(2)}; ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
