// `npm run bench -- foe`: the cost of one isgd step on denoising with the Field of Experts (the imaging bench's FoE
// settings), the current kernels against the baseline's (foe/reference-field-of-experts.ts) in the same run, and
// each oracle's time and convolution GFLOP/s against the measured f64x2 multiply-add peak.
import { lastValueFrom, tap } from 'rxjs';
import { Rng } from '@bilevel/linalg';
import type { ImagingProblem, Regularizer } from '@bilevel/problems';
import { fieldOfExperts, imagingProblem } from '@bilevel/problems';
import { isgd } from '@bilevel/solvers';
import { run } from '@bilevel/streams';
import { referenceFieldOfExperts } from './foe/reference-field-of-experts';
import { cpuSeconds, cpuTimer } from './probe/cpu-timer';
import { wasmSimdFma } from './probe/wasm-simd-fma';

const BATCH = 6;
const FILTERS = 8;
const SIZE = 5;
/** The largest relative difference between the two kernels' oracles accepted as "the same mathematics". */
const AGREEMENT_TOL = 1e-10;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[(s.length >> 1) - 1] + s[(s.length >> 1)]) / 2;
};
const round = (t: number, digits = 3) => +t.toFixed(digits);

/** The imaging bench's FoE learner: isgd, one lower level per patch, batch 6, Adam α = 0.05 constant, shuffled. */
const foeIsgd = () => isgd({ batchSize: BATCH, lowerLevel: 'per-sample', optimizer: 'adam', outerStep: 0.05, outerDecay: 0, shuffle: true });

/** CPU µs per isgd step after `warm` steps (a snapshot every `warm` steps only: the streams' sampling is no part of a step), and the per-sample oracle evaluations (FISTA + CG iterations × images) per step. */
async function timedSteps(problem: ImagingProblem, warm: number, steps: number) {
  let cpu0 = 0;
  let evals0 = 0;
  const last = await lastValueFrom(
    run(problem, foeIsgd(), { seed: 0, maxIter: warm + steps, sampleEvery: warm, x0: problem.startingPoint() }).pipe(
      tap((s) => {
        if (s.iteration === warm) {
          cpu0 = cpuSeconds();
          evals0 = (s.counts.total.innerGrad + s.counts.total.hvp) * BATCH;
        }
      }),
    ),
  );
  const cpu = cpuSeconds() - cpu0;
  const evals = (last.counts.total.innerGrad + last.counts.total.hvp) * BATCH - evals0;
  return { stepUs: (cpu * 1e6) / steps, evalsPerStep: evals / steps, evalUs: (cpu * 1e6) / evals, x: last.x };
}

/** The oracles an isgd step calls, timed one by one in {@link stepBreakdown}. */
const STEP_ORACLES = ['innerGradZ', 'innerHvp', 'innerCross', 'innerConstants', 'outerGradZ'] as const;

/**
 * Where an isgd step's CPU time goes: each oracle of the problem wrapped in a process.cpuUsage timer, over `steps`
 * steps after `warm`; the rest (the solver's vector work, the streams) is what the oracles leave.
 */
async function stepBreakdown(problem: ImagingProblem, warm: number, steps: number) {
  const spent: Record<string, { us: number; calls: number }> = {};
  let on = false;
  const target = problem as unknown as Record<string, (...args: unknown[]) => unknown>;
  const originals = STEP_ORACLES.map((name) => [name, target[name]] as const);
  for (const [name, original] of originals) {
    spent[name] = { us: 0, calls: 0 };
    target[name] = (...args: unknown[]) => {
      const t = process.cpuUsage();
      const result = original.apply(problem, args);
      const u = process.cpuUsage(t);
      if (on) {
        spent[name].us += u.user + u.system;
        spent[name].calls++;
      }
      return result;
    };
  }
  let cpu0 = 0;
  try {
    await lastValueFrom(
      run(problem, foeIsgd(), { seed: 0, maxIter: warm + steps, sampleEvery: warm, x0: problem.startingPoint() }).pipe(
        tap((s) => {
          if (s.iteration === warm) {
            on = true;
            cpu0 = cpuSeconds();
          }
        }),
      ),
    );
  } finally {
    for (const [name, original] of originals) target[name] = original;
  }
  const stepUs = ((cpuSeconds() - cpu0) * 1e6) / steps;
  const parts = STEP_ORACLES.map((name) => ({ name, us: spent[name].us / steps, calls: spent[name].calls / steps }));
  const rest = stepUs - parts.reduce((acc, p) => acc + p.us, 0);
  return { stepUs, parts: [...parts, { name: 'rest (solver vectors, streams)', us: rest, calls: 0 }] };
}

/** The largest |a − b| / max(|b|, tiny) over the entries. */
function relDiff(a: Float64Array, b: Float64Array): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
  }
  return diff / Math.max(scale, 1e-300);
}

/**
 * Times each oracle of a batch of 6 images, the current kernels and the reference, at a point off the start (θ
 * perturbed, z noisy), and checks the two agree. Convolution flops of one image: a correlation of the s × s filter
 * over the P pixels is 2 s² P; grad does 2K of them (C_k, C_kᵀ), hvp 3K (baseline: C_k z, C_k v, C_kᵀ), cross 4K
 * (C_k z, C_k v, two filter gradients), gradTheta 2K. The figures count these nominal flops, whatever the kernel
 * actually does (so a kernel that skips a convolution the baseline did shows a higher rate).
 */
function oracleRows(current: ImagingProblem, reference: ImagingProblem, peak: number) {
  const rng = Rng.fromSeed(7);
  const x = current.startingPoint();
  for (let i = 0; i < x.length; i++) x[i] += 0.5 * rng.normal();
  const z = Float64Array.from(current.train.observed, (e) => e + 0.05 * rng.normal());
  const v = Float64Array.from({ length: current.dimZ }, () => rng.normal());
  const batch = Int32Array.from({ length: BATCH }, (_, i) => 3 + 7 * i);
  const P = current.P;
  const conv = 2 * SIZE * SIZE * P * BATCH;
  const outs = { cur: new Float64Array(current.dimZ), ref: new Float64Array(current.dimZ) };
  const xs = { cur: new Float64Array(current.dimX), ref: new Float64Array(current.dimX) };
  const cases: { name: string; convs: number; run: (p: ImagingProblem, which: 'cur' | 'ref') => Float64Array }[] = [
    { name: 'innerGradZ (FISTA step)', convs: 2 * FILTERS, run: (p, w) => (p.innerGradZ(z, x, batch, outs[w]), outs[w]) },
    { name: 'innerHvp (CG step)', convs: 3 * FILTERS, run: (p, w) => (p.innerHvp(z, x, v, batch, outs[w]), outs[w]) },
    { name: 'innerCross (outer step)', convs: 4 * FILTERS, run: (p, w) => (p.innerCross(z, x, v, batch, xs[w]), xs[w]) },
  ];
  const rows: Record<string, unknown>[] = [];
  const kernels: Record<string, unknown> = {};
  for (const c of cases) {
    const agree = relDiff(Float64Array.from(c.run(current, 'cur')), Float64Array.from(c.run(reference, 'ref')));
    if (!(agree <= AGREEMENT_TOL)) throw new Error(`bench foe: ${c.name} differs from the reference by ${agree} (relative), tolerance ${AGREEMENT_TOL}`);
    const timers = { cur: cpuTimer(() => c.run(current, 'cur'), 60, 3), ref: cpuTimer(() => c.run(reference, 'ref'), 60, 3) };
    const t = { cur: [] as number[], ref: [] as number[] };
    for (let r = 0; r < 5; r++) for (const w of ['ref', 'cur'] as const) t[w].push(timers[w]());
    const us = { cur: median(t.cur) * 1e6, ref: median(t.ref) * 1e6 };
    const gflops = (w: 'cur' | 'ref') => (c.convs * conv) / (us[w] * 1e3);
    rows.push({
      figure: `${c.name}, batch of ${BATCH}: µs (reference → current)`,
      value: `${round(us.ref, 0)} → ${round(us.cur, 0)}`,
      ratio: round(us.ref / us.cur, 2),
      detail: `conv GFLOP/s ${round(gflops('ref'), 2)} → ${round(gflops('cur'), 2)} (${round((100 * gflops('ref')) / peak, 1)}% → ${round((100 * gflops('cur')) / peak, 1)}% of peak); agree to ${agree.toExponential(1)}`,
    });
    kernels[c.name] = { referenceUs: round(us.ref, 1), currentUs: round(us.cur, 1), referenceGflops: round(gflops('ref'), 3), currentGflops: round(gflops('cur'), 3), agreement: agree };
  }
  // the lower level's constants at a new θ (isgd asks for them every step): power iteration + frequency-grid bound
  let bump = 0;
  const constants = (p: ImagingProblem) => () => {
    x[x.length - 2] = 0.5 + 1e-9 * ++bump; // a new θ each call: nothing cached
    p.innerConstants(x);
  };
  const ct = { cur: cpuTimer(constants(current), 60, 1), ref: cpuTimer(constants(reference), 60, 1) };
  const cu = { cur: [] as number[], ref: [] as number[] };
  for (let r = 0; r < 3; r++) for (const w of ['ref', 'cur'] as const) cu[w].push(ct[w]());
  const cus = { cur: median(cu.cur) * 1e6, ref: median(cu.ref) * 1e6 };
  rows.push({ figure: 'innerConstants at a new θ (curvature): µs (reference → current)', value: `${round(cus.ref, 0)} → ${round(cus.cur, 0)}`, ratio: round(cus.ref / cus.cur, 2) });
  kernels['innerConstants at a new θ'] = { referenceUs: round(cus.ref, 1), currentUs: round(cus.cur, 1) };
  return { rows, kernels };
}

/**
 * `npm run bench -- foe [--rounds 3] [--steps 20] [--warm 3]`: CPU µs per isgd step on the bundled denoising task
 * (σ = 0.1, 54 patches of 32 × 32, seed 0) with a Field of Experts of 8 filters 5 × 5, the current kernels and the
 * baseline's interleaved `rounds` times (each from the start, `warm` steps untimed, then `steps` timed), medians and
 * their ratio (the issue-21 target: ≥ 2); then each oracle's time and GFLOP/s against the f64x2 peak.
 */
export async function benchFoe(args: Record<string, number> = {}) {
  const rounds = args.rounds ?? 3;
  const steps = args.steps ?? 20;
  const warm = args.warm ?? 3;
  for (const [name, value] of Object.entries({ rounds, steps, warm })) {
    if (!(Number.isInteger(value) && value >= 1)) throw new RangeError(`bench foe: --${name} must be an integer ≥ 1, received ${value}`);
  }
  const t0 = performance.now();
  const build = (regularizer: Regularizer) => imagingProblem({ task: 'denoise', regularizer, seed: 0 });
  const current = build(fieldOfExperts({ filters: FILTERS, size: SIZE }));
  const reference = build(referenceFieldOfExperts({ filters: FILTERS, size: SIZE }));

  const simd = wasmSimdFma(12, 2);
  const peakTimer = cpuTimer(() => simd.run(50_000), 40, 2);
  const peak = Math.max(...Array.from({ length: 5 }, () => (simd.flopsPerIter * 50_000) / peakTimer() / 1e9));

  const per = { cur: [] as Awaited<ReturnType<typeof timedSteps>>[], ref: [] as Awaited<ReturnType<typeof timedSteps>>[] };
  for (let r = 0; r < rounds; r++) {
    per.ref.push(await timedSteps(reference, warm, steps));
    per.cur.push(await timedSteps(current, warm, steps));
  }
  const med = (w: 'cur' | 'ref', k: 'stepUs' | 'evalUs' | 'evalsPerStep') => median(per[w].map((p) => p[k]));
  const stepRatio = med('ref', 'stepUs') / med('cur', 'stepUs');
  const evalRatio = med('ref', 'evalUs') / med('cur', 'evalUs');
  const xDiff = relDiff(per.cur[0].x, per.ref[0].x);
  const rows: Record<string, unknown>[] = [
    { figure: 'isgd step, CPU µs (reference → current)', value: `${round(med('ref', 'stepUs'), 0)} → ${round(med('cur', 'stepUs'), 0)}`, ratio: round(stepRatio, 2), target: '≥ 2', ok: stepRatio >= 2, detail: `medians of ${rounds} interleaved rounds of ${steps} steps after ${warm}; per round ${per.ref.map((p) => round(p.stepUs, 0)).join('/')} → ${per.cur.map((p) => round(p.stepUs, 0)).join('/')}` },
    { figure: 'per-image oracle evaluation (FISTA/CG), CPU µs', value: `${round(med('ref', 'evalUs'), 1)} → ${round(med('cur', 'evalUs'), 1)}`, ratio: round(evalRatio, 2), detail: `${round(med('ref', 'evalsPerStep'), 0)} → ${round(med('cur', 'evalsPerStep'), 0)} evaluations per step; θ after ${warm + steps} steps differs by ${xDiff.toExponential(1)} (relative)` },
  ];
  const oracles = oracleRows(current, reference, peak);
  rows.push(...oracles.rows);
  const breakdown = await stepBreakdown(build(fieldOfExperts({ filters: FILTERS, size: SIZE })), warm, steps);
  for (const part of breakdown.parts) {
    rows.push({ figure: `current step: ${part.name}, µs per step`, value: round(part.us, 0), detail: `${round((100 * part.us) / breakdown.stepUs, 1)}% of ${round(breakdown.stepUs, 0)} µs${part.calls ? `, ${round(part.calls, 1)} calls` : ''}` });
  }
  rows.push({ figure: 'measured peak, f64x2 multiply-add (GFLOP/s)', value: round(peak, 2) });
  return {
    benchmark: 'foe',
    task: `denoising σ = 0.1, ${current.nInner} patches 32×32 (bundled), FoE ${FILTERS} filters ${SIZE}×${SIZE}, isgd batch ${BATCH} per-sample Adam 0.05`,
    headline: { referenceStepUs: round(med('ref', 'stepUs'), 1), currentStepUs: round(med('cur', 'stepUs'), 1), stepRatio: round(stepRatio, 3), evalRatio: round(evalRatio, 3), peakGflops: round(peak, 2) },
    kernels: oracles.kernels,
    breakdown: Object.fromEntries(breakdown.parts.map((p) => [p.name, { us: round(p.us, 0), calls: round(p.calls, 1) }])),
    seconds: +((performance.now() - t0) / 1000).toFixed(0),
    rows,
  };
}
