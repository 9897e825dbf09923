import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { auditOracles, formatAudit } from '@bilevel/autodiff';
import { initEngine, logregAutodiff } from '@bilevel/autodiff/tfjs';
import { buildProblem } from '@bilevel/cli';
import { BlockSampler, Rng } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import { LogregHpo } from '@bilevel/problems';
import { saba } from '@bilevel/solvers';
import { runLoop } from '@bilevel/streams';
import type { AutodiffChildArgs } from './probe/autodiff-child';
import { autodiffBreakdown } from './probe/autodiff-breakdown';
import { cpuProfileSummary } from './probe/cpu-profile-summary';
import { spawnJson } from './probe/spawn-json';
import { tapeLogreg } from './probe/tape-logreg';
import { median, timeCall } from './probe/time-call';

/** Target of issue 7: SABA with the tfjs autodiff oracles within this factor of the analytic ones. */
const AUTODIFF_RATIO_TARGET = 5;

const round = (x: number, digits: number) => +x.toFixed(digits);

function sabaMicros(problem: BilevelProblem, iters: number, seed: number): number {
  const last = runLoop(problem, saba({ batchSize: 32 }), { maxIter: iters, sampleEvery: iters, seed });
  return (last.solverSeconds * 1e6) / iters;
}

/** µs per call of each oracle SABA calls, drawing a fresh batch-32 block per call (so no second-order cache hit). */
function oracleMicros(p: BilevelProblem, reps: number): Record<string, number> {
  const rng = Rng.fromSeed(4);
  const z = rng.normals(new Float64Array(p.dimZ)).map((t) => 0.1 * t);
  const v = rng.normals(new Float64Array(p.dimZ));
  const x = new Float64Array(p.dimX).fill(-1);
  const gz = new Float64Array(p.dimZ);
  const gx = new Float64Array(p.dimX);
  const inner = new BlockSampler(p.nInner, 32, rng.split());
  const outer = new BlockSampler(p.nOuter, 32, rng.split());
  const calls: Record<string, () => void> = {
    innerGradZ: () => p.innerGradZ(z, x, inner.next().indices, gz),
    innerHvp: () => p.innerHvp(z, x, v, inner.next().indices, gz),
    innerCross: () => p.innerCross(z, x, v, inner.next().indices, gx),
    outerGradZ: () => p.outerGradZ(z, x, outer.next().indices, gz),
    outerGradX: () => p.outerGradX(z, x, outer.next().indices, gx),
  };
  const out: Record<string, number> = {};
  for (const [name, call] of Object.entries(calls)) {
    const timer = timeCall(call, { blockMs: 30, warmup: 20 });
    out[name] = round(median(Array.from({ length: reps }, () => timer.block())) * 1e6, 2);
  }
  return out;
}

/**
 * `npm run bench -- autodiff [--iters 20000] [--ad-iters 300] [--reps 5] [--profile 1]`: µs per SABA iteration
 * (batch 32, default logreg task) with the analytic float64 oracles and with the tfjs autodiff oracles
 * (`logregAutodiff(problem, 'softplus')` on the backend `initEngine()` picks, as `bilevel run --oracles autodiff`
 * does), repetitions alternated, medians; their ratio against the target ≤ 5; µs per oracle call for both; the same
 * for the prototype of the suggested fix, a float64 AD whose tape is recorded once and replayed (probe/tape-ad.ts); where an
 * autodiff call spends its time (upload, forward, first- and second-order tapes, kernels launched per call); the
 * audit's text (does it tell the user what speed to expect?); the tensor count before and after (leaks); and, with
 * `--profile 1`, the self-time shares of a CPU profile of `ad-iters` autodiff iterations in a child process (V8
 * sampling profiler started after a warm-up, 100 µs interval).
 */
export async function benchAutodiff(args: Record<string, number> = {}) {
  const iters = args.iters ?? 20_000;
  const adIters = args['ad-iters'] ?? 300;
  const reps = args.reps ?? 5;
  const profile = (args.profile ?? 1) !== 0;
  for (const [name, v] of Object.entries({ iters, 'ad-iters': adIters, reps })) {
    if (!(Number.isInteger(v) && v >= 1)) throw new RangeError(`benchAutodiff: --${name} must be a positive integer, received ${v}`);
  }
  const engine = await initEngine();
  const analytic = buildProblem({ problem: 'logreg-hpo', reg: 'scalar', standardize: 'train', seed: 0 });
  if (!(analytic instanceof LogregHpo)) throw new Error('benchAutodiff: buildProblem(logreg-hpo) did not return a LogregHpo');
  const ad = logregAutodiff(analytic, 'softplus');
  const taped = tapeLogreg(analytic);
  const tensorsBefore = tf.memory().numTensors;

  sabaMicros(analytic, iters, 99);
  sabaMicros(taped, iters, 99);
  sabaMicros(ad.problem, Math.min(50, adIters), 99);
  const a: number[] = [];
  const t: number[] = [];
  const p: number[] = [];
  for (let r = 0; r < reps; r++) {
    a.push(sabaMicros(analytic, iters, r));
    t.push(sabaMicros(ad.problem, adIters, r));
    p.push(sabaMicros(taped, iters, r));
  }
  const ratios = t.map((x, i) => x / a[i]);
  const tapeRatios = p.map((x, i) => x / a[i]);
  const analyticOracles = oracleMicros(analytic, reps);
  const autodiffOracles = oracleMicros(ad.problem, reps);
  const tapeOracles = oracleMicros(taped, reps);
  const tensorsAfter = tf.memory().numTensors;

  const sampler = new BlockSampler(analytic.nInner, 32, Rng.fromSeed(5));
  const batches = Array.from({ length: sampler.nBlocks }, (_, b) => sampler.block(b).indices);
  const breakdown = await autodiffBreakdown(analytic.A, analytic.yA, batches);
  const pieceMicros: Record<string, number> = {};
  for (const c of breakdown.cases) {
    const timer = timeCall(c.fn, { blockMs: 30, warmup: 20 });
    pieceMicros[c.kernel] = round(median(Array.from({ length: reps }, () => timer.block())) * 1e6, 1);
  }
  breakdown.dispose();

  const audit = auditOracles(ad.problem, { seed: 0 });
  const auditText = formatAudit(audit);
  ad.dispose();

  let cpuProfile: unknown = 'not run (--profile 0)';
  if (profile) {
    const dir = mkdtempSync(join(tmpdir(), 'bench-autodiff-'));
    try {
      const profilePath = join(dir, 'autodiff.cpuprofile');
      const child = await spawnJson<{ usPerIter: number }>('./autodiff-child.ts', { iters: adIters, profilePath } satisfies AutodiffChildArgs);
      cpuProfile = { childUsPerIter: round(child.usPerIter, 1), ...cpuProfileSummary(profilePath) };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const ratio = median(ratios);
  const rows = [
    { oracles: 'analytic (float64)', 'µs/iter': round(median(a), 2), ...analyticOracles },
    { oracles: `tfjs autodiff (${engine.backend}, float32)`, 'µs/iter': round(median(t), 1), ...autodiffOracles },
    { oracles: 'ratio autodiff / analytic', 'µs/iter': round(ratio, 1), ...Object.fromEntries(Object.keys(analyticOracles).map((k) => [k, round(autodiffOracles[k] / analyticOracles[k], 1)])) },
    { oracles: 'prototype: float64 recorded-tape AD (probe/tape-logreg.ts)', 'µs/iter': round(median(p), 2), ...tapeOracles },
    { oracles: 'ratio tape AD / analytic', 'µs/iter': round(median(tapeRatios), 2), ...Object.fromEntries(Object.keys(analyticOracles).map((k) => [k, round(tapeOracles[k] / analyticOracles[k], 2)])) },
  ];
  return {
    benchmark: 'autodiff',
    task: 'SABA batch 32 on the default logreg task (breast cancer 60/40, scalar reg)',
    backend: engine.backend,
    tried: engine.tried,
    iters,
    adIters,
    reps,
    ratio: round(ratio, 1),
    ratioMinMax: [round(Math.min(...ratios), 1), round(Math.max(...ratios), 1)],
    target: AUTODIFF_RATIO_TARGET,
    ok: ratio <= AUTODIFF_RATIO_TARGET,
    tapePrototypeRatio: round(median(tapeRatios), 2),
    autodiffPieceMicros: pieceMicros,
    kernelsPerPiece: breakdown.kernels,
    tensorLeak: tensorsAfter - tensorsBefore,
    audit: { ok: audit.ok, text: auditText, mentionsSpeed: /µs|speed|slower|faster|per iteration|time/i.test(auditText) },
    cpuProfile,
    rows,
  };
}
