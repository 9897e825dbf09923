// Stalled linear solves on the monitors' channel: the findings of one implicit-differentiation solve, and a run whose
// linear-system stream stalls (CG at a saddle of the inner objective; implicit differentiation with fallback on a
// singular Hessian) reporting on findings$.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastValueFrom, toArray } from 'rxjs';
import { gemv, matrix } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import type { BilevelProblem } from '@bilevel/problems';
import { adjointDiagnostics, bilevelCondition, gradientCondition, implicitDiff, implicitVjp, solveAdjoint } from '@bilevel/solvers';
import type { ImplicitSolveDiagnostics, Solver, StreamPart } from '@bilevel/solvers';
import { run } from '../run';
import { implicitSolveFindings, linearSolveMonitor } from './linear-solve-findings';
import { monitorContext } from './monitor-context';
import { withMonitors } from './with-monitors';

const diag = (H: number[], opts: Parameters<typeof implicitVjp>[2] = {}) => {
  const n = Math.sqrt(H.length);
  const M = matrix(n, n, Float64Array.from(H));
  const cond = gradientCondition({ dimZ: n, dimX: 1, hvp: (v, out) => gemv(1, M, v, 0, out), cross: (u, out) => out.set([u[0]]) });
  return implicitVjp(cond, Float64Array.from({ length: n }, () => 1), opts).diagnostics;
};

test('implicitSolveFindings: none when the first solve converges; warning on a stall rescued by a fallback; violation when nothing converges', () => {
  assert.deepEqual(implicitSolveFindings(diag([2, 0, 0, 1]), { iteration: 3 }), []);
  const [rescued] = implicitSolveFindings(diag([2, 0, 0, -1]), { iteration: 3 });
  assert.equal(rescued.level, 'warning');
  assert.equal(rescued.monitor, 'linear-solve');
  assert.equal(rescued.stream, 'linsys');
  assert.equal(rescued.iteration, 3);
  assert.match(rescued.message, /the cg solve of the gradient condition stalled \(indefinite\) after \d+ iterations; gmres converged/);
  const [failed] = implicitSolveFindings(diag([2, 0, 0, -1], { fallback: false }), { iteration: 4, monitor: 'mine' });
  assert.equal(failed.level, 'violation');
  assert.equal(failed.monitor, 'mine');
  assert.match(failed.message, /no fallback converged/);
});

test('implicitSolveFindings: a singular system answered by the ridge fallback is a warning naming the ridge', () => {
  const [f] = implicitSolveFindings(diag([1, 0, 0, 0]), { iteration: 0 });
  assert.equal(f.level, 'warning');
  assert.match(f.message, /on the ridged system \(λ = [\d.e+-]+, a regularized VJP\) converged/);
  assert.match(f.message, /dense: breakdown/);
});

/** The problem with one direction of the inner Hessian flipped: what CG meets at a saddle point of G. */
function saddle(problem: BilevelProblem): BilevelProblem {
  return Object.assign(Object.create(problem), {
    innerHvp: (z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array) => {
      problem.innerHvp(z, x, v, batch, out);
      out[0] -= 3 * v[0];
    },
  }) as BilevelProblem;
}

test('a run whose linear-system CG meets an indefinite Hessian reports the stall on findings$ (linearSolveMonitor)', async () => {
  const problem = saddle(quadraticProblem({ dimZ: 6, dimX: 3, nInner: 16, nOuter: 16, seed: 2 }));
  const solver = implicitDiff({ linsys: 'cg' });
  const options = { maxIter: 4, sampleEvery: 1 };
  const { snapshots$, findings$ } = withMonitors(run(problem, solver, options), monitorContext(problem, solver, options), [linearSolveMonitor()]);
  const findings = lastValueFrom(findings$.pipe(toArray()));
  await lastValueFrom(snapshots$);
  const found = await findings;
  assert.ok(found.length >= 1, 'no finding');
  assert.ok(found.every((f) => f.level === 'warning' && f.stream === 'linsys' && /stalled \(indefinite\)/.test(f.message)), JSON.stringify(found));
});

test('a stream that differentiates implicitly (solveAdjoint with fallback, singular Hessian) reports the fallback on findings$', async () => {
  const base = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 16, nOuter: 16, seed: 2 });
  // the Hessian with its first coordinate projected out: singular, ∇_zF has a part outside its range
  const singular: BilevelProblem = Object.assign(Object.create(base), {
    innerHvp: (z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array) => {
      const p = Float64Array.from(v);
      p[0] = 0;
      base.innerHvp(z, x, p, batch, out);
      out[0] = 0;
    },
  });
  interface State {
    readonly problem: BilevelProblem;
    readonly rhs: Float64Array;
    last: ImplicitSolveDiagnostics | undefined;
  }
  const linsys: StreamPart<State> = {
    stream: 'linsys',
    init: (problem) => ({ problem, rhs: new Float64Array(problem.dimZ), last: undefined }),
    step(s, { z, x }, _t, out) {
      s.problem.outerGradZ(z, x, s.problem.fullOuter, s.rhs);
      const { u, diagnostics } = solveAdjoint(bilevelCondition(s.problem, z, x), s.rhs, { tol: 1e-10 });
      for (let i = 0; i < out.length; i++) out[i] = -u[i]; // v = −H⁻¹∇_zF
      s.last = diagnostics;
    },
    diagnostics: (s) => (s.last ? adjointDiagnostics(s.last) : {}),
  };
  const exact = implicitDiff({ inner: 'exact', linsys: 'exact', outerStep: 0.05 });
  const solver: Solver = { ...exact, name: 'implicit-vjp-stream', linsys: linsys as StreamPart };
  const options = { maxIter: 3, sampleEvery: 1 };
  const { snapshots$, findings$ } = withMonitors(run(singular, solver, options), monitorContext(singular, solver, options), [linearSolveMonitor()]);
  const findings = lastValueFrom(findings$.pipe(toArray()));
  const snaps = await lastValueFrom(snapshots$.pipe(toArray()));
  const found = await findings;
  assert.ok(snaps.slice(1).every((s) => s.diagnostics.linsys?.linsysFellBack === 1 && s.diagnostics.linsys?.linsysRidge > 0));
  assert.equal(found.length, snaps.length - 1); // every solve after the start fell back
  assert.ok(found.every((f) => f.level === 'warning' && /stalled|fell back/.test(f.message)), JSON.stringify(found));
  assert.ok(snaps.every((s) => s.x.every(Number.isFinite)));
});

test('linearSolveMonitor: after maxReports findings the rest are summed up in one info at the end', async () => {
  const problem = saddle(quadraticProblem({ dimZ: 6, dimX: 3, nInner: 16, nOuter: 16, seed: 2 }));
  const solver = implicitDiff({ linsys: 'cg' });
  const options = { maxIter: 6, sampleEvery: 1 };
  const { snapshots$, findings$ } = withMonitors(run(problem, solver, options), monitorContext(problem, solver, options), [linearSolveMonitor({ maxReports: 2 })]);
  const findings = lastValueFrom(findings$.pipe(toArray()));
  await lastValueFrom(snapshots$);
  const found = await findings;
  assert.equal(found.filter((f) => f.level === 'warning').length, 2);
  const last = found[found.length - 1];
  assert.equal(last.level, 'info');
  assert.match(last.message, /further troubled linear-system solves were not reported/);
  assert.throws(() => linearSolveMonitor({ maxReports: 0 }), /linearSolveMonitor: maxReports must be a positive integer, received 0/);
});
