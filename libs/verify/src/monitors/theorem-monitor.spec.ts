// The theorem monitor on a quadratic with known constants: SABA's ρ 10% above 1/(3·L_max) or γ 10% above ρμ/L_h
// misses a sufficient condition, a warning (strict mode goes on); ρ above 2/L, where the linear system's iteration
// diverges, is a violation (strict mode stops the run); 10% below is reported as info with the margin; SOBA's exponents;
// a solver without known conditions; the estimation path when the problem has no innerConstants; the conditions
// follow the steps the parts declare (a swapped part, a part that declares nothing, SABA assembled from parts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastValueFrom, toArray } from 'rxjs';
import { Rng } from '@bilevel/linalg';
import { bundledDataPath, loadUciCsv, logregHpo, quadraticProblem, splitDataset } from '@bilevel/problems';
import type { BilevelProblem } from '@bilevel/problems';
import type { Solver, StreamPart } from '@bilevel/solvers';
import { composePart, constantStep, saba, sagaEstimator, singleLoop, soba, srba, stocbio } from '@bilevel/solvers';
import { run } from '@bilevel/streams';
import { outerSpectrum } from '../outer-spectrum';
import { safeSabaOptions } from '../safe-saba-options';
import type { Finding } from '@bilevel/streams';
import { monitorContext, MonitorViolationError, withMonitors } from '@bilevel/streams';
import type { TheoremMonitorOptions } from './theorem-monitor';
import { theoremMonitor } from './theorem-monitor';
import { withoutConstants } from './fixtures/without-constants';

const problem = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 32, nOuter: 32, mu: 0.2, L: 1, seed: 9 });
const safe = safeSabaOptions(problem);
const { LMaxSample, mu } = problem.innerConstants();
const Lh = outerSpectrum(problem).L;
const opts = { seed: 0, maxIter: 200, sampleEvery: 20 };
/** Relative slack for margins: the constants are closed form here, so margins are exact up to rounding. */
const MARGIN_TOL = 1e-9;

async function watch(p: BilevelProblem, solver: Solver, strict = false, options: TheoremMonitorOptions = { maxOverhead: Infinity }): Promise<{ findings: Finding[]; error?: unknown }> {
  const m = withMonitors(run(p, solver, opts), monitorContext(p, solver, opts), [theoremMonitor(options)], { strict });
  const findings = lastValueFrom(m.findings$.pipe(toArray()));
  let error: unknown;
  await lastValueFrom(m.snapshots$).catch((e: unknown) => (error = e));
  return { findings: await findings, error };
}

test("SABA with ρ 10% above 1/(3·L_max) misses the theorem's sufficient bound: a warning with value and bound, and strict mode goes on", async () => {
  const solver = saba({ ...safe, innerStep: 1.1 * safe.innerStep });
  const { findings } = await watch(problem, solver);
  const rho = findings.filter((f) => f.message.startsWith('saba.innerStep'));
  assert.equal(rho[0].level, 'warning');
  assert.equal(rho[0].iteration, 0);
  assert.ok(Math.abs(rho[0].bound! - 1 / (3 * LMaxSample)) <= MARGIN_TOL * rho[0].bound!);
  assert.equal(rho[0].value, 1.1 * safe.innerStep);
  assert.equal(rho[0].stream, 'inner');
  assert.match(rho[0].message, /^saba\.innerStep: the step exceeds the theorem's sufficient bound ρ ≤ 1\/\(3·L_max\) \(0\.\d+ > 0\.\d+\): convergence not guaranteed by the theorem/);
  const strict = await watch(problem, solver, true);
  assert.equal(strict.error, undefined, 'a missed sufficient condition does not stop a strict run');
  assert.equal(strict.findings.filter((f) => f.level === 'violation').length, 0);
});

test('SABA with ρ above 2/L (the linear system diverges) is a violation; strict mode stops the run there', async () => {
  const { L } = problem.innerConstants();
  const solver = saba({ ...safe, innerStep: 2.2 / L });
  const { error } = await watch(problem, solver, true);
  assert.ok(error instanceof MonitorViolationError);
  assert.equal(error.finding.iteration, 0);
  assert.ok(Math.abs(error.finding.bound! - 1 / (3 * LMaxSample)) <= MARGIN_TOL * error.finding.bound!);
  assert.match(error.message, /monitor "theorem" found a violation at iteration 0: saba\.innerStep = 2\.20 exceeds 2\/L = 2\.00: the iteration on the linear system diverges/);
});

test('SABA with both steps 10% below their bounds: info only, margin 1/0.9 for ρ', async () => {
  const solver = saba({ ...safe, innerStep: 0.9 * safe.innerStep, outerStep: 0.9 * 0.9 * safe.outerStep });
  const { findings, error } = await watch(problem, solver, true);
  assert.equal(error, undefined);
  assert.ok(findings.length > 0);
  assert.ok(findings.every((f) => f.level === 'info'), JSON.stringify(findings.filter((f) => f.level !== 'info')));
  const rho = findings.find((f) => f.message.startsWith('saba.innerStep'))!;
  assert.ok(Math.abs(rho.bound! / rho.value! - 1 / 0.9) <= 1e-9);
  assert.match(rho.message, /margin bound\/value = 1\.11/);
  // reported at the first check and at the final snapshot only (no change in between)
  assert.deepEqual(findings.filter((f) => f.message.startsWith('saba.innerStep')).map((f) => f.iteration), [0, 200]);
});

test('SABA with γ 10% above ρμ/L_h misses the two-timescale condition: a warning, never a violation', async () => {
  const solver = saba({ ...safe, outerStep: 1.1 * safe.outerStep });
  const { findings } = await watch(problem, solver);
  const gamma = findings.find((f) => f.message.startsWith('saba.outerStep'))!;
  assert.equal(gamma.level, 'warning');
  assert.match(gamma.message, /the step exceeds the theorem's sufficient bound γ ≤ ρ·μ\/L_h/);
  assert.ok(Math.abs(gamma.bound! - (safe.innerStep * mu) / Lh) <= MARGIN_TOL * gamma.bound!);
  assert.equal(findings.filter((f) => f.level === 'warning').length, 2, 'at the first check and again at the final snapshot');
  assert.equal(findings.filter((f) => f.level === 'violation').length, 0);
});

test("SOBA: the benchmark's 1/√t exponents are warnings; the paper's 2/5, 3/5 are not", async () => {
  const steps = { batchSize: 4, innerStep: 1 / LMaxSample, outerStep: Math.min(1 / LMaxSample, 1 / (3 * Lh)) };
  const bench = await watch(problem, soba({ ...steps, innerDecay: 0.5, outerDecay: 0.5 }));
  const warned = bench.findings.filter((f) => f.level === 'warning').map((f) => f.message.split(' ')[0]);
  assert.deepEqual([...new Set(warned)].sort(), ['soba.innerDecay', 'soba.outerDecay']);
  const paper = await watch(problem, soba(steps));
  assert.ok(paper.findings.every((f) => f.level === 'info'), JSON.stringify(paper.findings.filter((f) => f.level !== 'info')));
});

test('StocBiO: a Neumann step above 1/L is a warning, above 2/L (the series diverges) a violation', async () => {
  const L = problem.innerConstants().L;
  const above = await watch(problem, stocbio({ batchSize: 8, neumannStep: 1.1 / L, innerIters: 2, neumannTerms: 3 }));
  assert.equal(above.findings.find((f) => f.message.startsWith('stocbio.neumannStep'))!.level, 'warning');
  const bad = await watch(problem, stocbio({ batchSize: 8, neumannStep: 2.1 / L, innerIters: 2, neumannTerms: 3 }));
  assert.equal(bad.findings.find((f) => f.message.startsWith('stocbio.neumannStep'))!.level, 'violation');
  const ok = await watch(problem, stocbio({ batchSize: 8, neumannStep: 0.9 / L, innerIters: 2, neumannTerms: 3 }));
  assert.ok(ok.findings.every((f) => f.level === 'info'));
});

test('a solver without known conditions gets one info finding', async () => {
  const { findings } = await watch(problem, srba({ batchSize: 4 }));
  assert.equal(findings.length, 1);
  assert.equal(findings[0].level, 'info');
  assert.match(findings[0].message, /no step conditions are known for solver "srba"/);
});

test('without innerConstants the estimated constants flag the same steps (10% above: warning; above 2/L: violation; below: not)', async () => {
  const hidden = withoutConstants(problem);
  const above = await watch(hidden, saba({ ...safe, innerStep: 1.1 * safe.innerStep }));
  assert.equal(above.findings.find((f) => f.message.startsWith('saba.innerStep'))!.level, 'warning');
  const diverging = await watch(hidden, saba({ ...safe, innerStep: 2.2 / problem.innerConstants().L }));
  assert.equal(diverging.findings.find((f) => f.message.startsWith('saba.innerStep'))!.level, 'violation');
  const below = await watch(hidden, saba({ ...safe, innerStep: 0.9 * safe.innerStep, outerStep: 0.81 * safe.outerStep }));
  assert.ok(below.findings.every((f) => f.level === 'info'), JSON.stringify(below.findings.filter((f) => f.level !== 'info')));
});

test('above maxDimX the outer-step condition is left unchecked, and an info says so', async () => {
  const { findings } = await watch(withoutConstants(problem), saba(safe), false, { maxOverhead: Infinity, maxDimX: 2 });
  assert.ok(!findings.some((f) => f.message.startsWith('saba.outerStep')));
  const note = findings.filter((f) => /not checked: L_h is not known and dim x = 3 > maxDimX = 2/.test(f.message));
  assert.equal(note.length, 1);
  assert.equal(note[0].level, 'info');
});

test('maxOverhead puts rechecks off; every sets their period', async () => {
  const solver = saba({ ...safe, innerStep: 0.9 * safe.innerStep, outerStep: 0.81 * safe.outerStep });
  const checked: number[] = [];
  const spy = { ...problem, innerConstants: () => (checked.push(1), problem.innerConstants()) } as unknown as BilevelProblem;
  Object.setPrototypeOf(spy, Object.getPrototypeOf(problem));
  await watch(spy, solver, false, { maxOverhead: Infinity, every: 3 });
  assert.equal(checked.length, 1 + Math.floor(10 / 3), 'snapshots 0, 3, 6, 9 of 0..10');
  checked.length = 0;
  await watch(spy, solver, false, { maxOverhead: 1e-12, every: 1 });
  assert.equal(checked.length, 1, 'only the first check: every recheck would exceed the time budget');
});

test('options are validated', () => {
  assert.throws(() => theoremMonitor({ every: 0 }), /theoremMonitor: every must be a positive integer, received 0/);
  assert.throws(() => theoremMonitor({ maxOverhead: -1 }), /theoremMonitor: maxOverhead must be a positive number or Infinity, received -1/);
  assert.throws(() => theoremMonitor({ evry: 3 } as never), /theoremMonitor: unknown option "evry"/);
});

// The audit's case (issue 16, item 12): `{ ...saba(...), outer: <a constant step of 0.5> }` diverges on the default
// problem; the monitor used to read `solver.options.outerStep` (still SABA's 0.1) and certify it with margin 2.25.
// It now reads the step the outer part declares.
const defaultTask = (() => {
  const data = loadUciCsv(bundledDataPath('breast_cancer.csv'));
  const { train, val } = splitDataset(data, 0.6, Rng.fromSeed(0));
  return logregHpo(train, val, { reg: 'scalar' });
})();

test('the audit case: SABA with an outer part of constant step 0.5 is flagged on the default problem (the step the part uses, not solver.options)', async () => {
  const base = saba();
  const swapped: Solver[] = [
    { ...base, outer: saba({ outerStep: 0.5 }).outer },
    { ...base, outer: composePart('outer', { estimator: sagaEstimator(), step: constantStep(0.5), batchSize: 64 }) as StreamPart },
  ];
  const long = { seed: 0, maxIter: 2000, sampleEvery: 100 };
  for (const solver of swapped) {
    assert.equal(solver.options.outerStep, 0.1, 'the options still say 0.1');
    const m = withMonitors(run(defaultTask, solver, long), monitorContext(defaultTask, solver, long), [theoremMonitor({ maxOverhead: Infinity, every: 1 })]);
    const all = lastValueFrom(m.findings$.pipe(toArray()));
    await lastValueFrom(m.snapshots$);
    const gamma = (await all).filter((f) => f.message.startsWith('saba.outerStep'));
    assert.ok(gamma.length > 0);
    // every verdict is on γ = 0.5, and agrees with the local bound ρμ/L_h (4.85 at x₀ = 0, 0.015 by iteration 1000)
    for (const f of gamma) {
      assert.equal(f.value, 0.5);
      assert.equal(f.level, f.value! > f.bound! ? 'warning' : 'info');
    }
    assert.ok(gamma.some((f) => f.level === 'warning'), 'flagged once x has moved to where the bound is below 0.5');
  }
});

test('a part that declares nothing about its step is "not checked", never within bound; plain SABA has no such note', async () => {
  const plain = saba(safe);
  const opaqueOuter: StreamPart = { stream: 'outer', init: plain.outer.init, step: plain.outer.step };
  const { findings } = await watch(problem, { ...plain, outer: opaqueOuter });
  assert.ok(!findings.some((f) => f.message.startsWith('saba.outerStep')), 'no verdict on a step it did not read');
  const note = findings.filter((f) => f.message.startsWith('the outer step of saba is not checked'));
  assert.equal(note.length, 1);
  assert.equal(note[0].level, 'info');
  assert.equal(note[0].stream, 'outer');
  assert.match(note[0].message, /declares nothing about its step/);
  assert.equal(findings.find((f) => f.message.startsWith('saba.innerStep'))!.level, 'info', 'z and v are still checked');
  const { findings: plainFindings } = await watch(problem, plain);
  assert.ok(!plainFindings.some((f) => /not checked/.test(f.message)));
});

test('a SABA assembled from parts with singleLoop gets the same conditions as saba itself', async () => {
  const steps = { innerStep: 1.1 * safe.innerStep, outerStep: 0.9 * safe.outerStep };
  const built = singleLoop({
    name: 'saba',
    citation: 'SABA from parts',
    inner: { estimator: sagaEstimator(), step: constantStep(steps.innerStep), batchSize: 4 },
    linsys: { estimator: sagaEstimator(), step: constantStep(steps.innerStep), batchSize: 4 },
    outer: { estimator: sagaEstimator(), step: constantStep(steps.outerStep), batchSize: 4 },
  });
  const a = await watch(problem, saba({ batchSize: 4, ...steps }));
  const b = await watch(problem, built);
  const verdicts = (fs: Finding[]) => fs.map((f) => [f.message.split(' ')[0], f.level, f.value, f.bound]);
  assert.deepEqual(verdicts(b.findings), verdicts(a.findings));
  assert.ok(a.findings.some((f) => f.message.startsWith('saba.innerStep') && f.level === 'warning'));
});
