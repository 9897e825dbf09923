// The truncated Neumann series: the solver contract on random SPD systems (η = 0.5 < 2/L), the closed form of the
// truncated series, the error bound (1 − ημ)^{N+1}, divergence for η > 2/L reported as a stall, preconditioning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { neumannSeries } from './neumann-series';
import { matrix } from './matrix';
import { nrm2 } from './nrm2';
import { Rng } from './rng';
import { denseSolve, logSpaced, mv, relError, spdSystem, withSpectrum } from './fixtures/linear-systems';
import { solverContract } from './fixtures/solver-contract';

solverContract({
  name: 'neumannSeries',
  solve: (A, b, x, o) => neumannSeries(mv(A), b, x, o),
  // eigenvalues in [0.1, 1] (+ ridge ≤ 1): η = 0.5 contracts by ≤ 0.95 per term
  systems: spdSystem(24, 10),
  kappa: 10,
  rtol: 1e-10,
  extra: { eta: 0.5 },
  preconditioned: false,
  maxIter: () => 1000,
});

test('neumannSeries with rtol = 0 and N terms is exactly η Σ_{q≤N} (I − ηA)^q b: on diag(d), x_i = (1 − (1 − ηd_i)^{N+1}) b_i / d_i', () => {
  const d = [0.2, 0.5, 1, 1.5];
  const A = matrix(4, 4);
  d.forEach((v, i) => (A.data[i * 4 + i] = v));
  const b = Float64Array.of(1, -2, 3, 0.5);
  const [eta, N] = [0.6, 7];
  const x = new Float64Array(4);
  const res = neumannSeries(mv(A), b, x, { eta, maxIter: N, rtol: 0, stallWindow: 0, finalResidual: false });
  assert.equal(res.iterations, N);
  assert.equal(res.matvecs, N);
  assert.ok(Number.isNaN(res.residualNorm) && !res.converged);
  d.forEach((di, i) => assert.ok(Math.abs(x[i] - ((1 - Math.pow(1 - eta * di, N + 1)) * b[i]) / di) < 1e-14, `${i}`));
});

test('neumannSeries: error ≤ (1 − ημ)^{N+1}‖A⁻¹b‖ for η ≤ 1/L; the final residual costs one product', () => {
  const rng = Rng.fromSeed(3);
  const A = withSpectrum(logSpaced(10, 20), rng); // μ = 0.05, L = 1
  const b = rng.normals(new Float64Array(10));
  const xStar = denseSolve(A, b);
  for (const N of [5, 20, 80]) {
    const x = new Float64Array(10);
    const res = neumannSeries(mv(A), b, x, { eta: 1, maxIter: N, rtol: 0, stallWindow: 0 });
    assert.equal(res.matvecs, N + 1);
    const err = relError(x, xStar);
    assert.ok(err <= Math.pow(1 - 0.05, N + 1) * (1 + 1e-12), `N = ${N}: ${err}`);
  }
});

test('neumannSeries: η above 2/L diverges, reported as stalled before any NaN', () => {
  const A = matrix(2, 2, Float64Array.of(1, 0, 0, 3));
  const res = neumannSeries(mv(A), Float64Array.of(1, 1), new Float64Array(2), { eta: 1, maxIter: 10_000, stallWindow: 10 });
  assert.equal(res.reason, 'stalled');
  assert.equal(res.stalled, true);
  assert.ok(res.iterations <= 11);
  assert.ok(Number.isFinite(res.residualNorm));
});

test('neumannSeries: the Jacobi preconditioner lets η = 1 converge on a badly scaled diagonal-dominant system, 20× fewer terms than η = 1/L', () => {
  const n = 20;
  const rng = Rng.fromSeed(6);
  const A = withSpectrum(logSpaced(n, 1.5), rng);
  const scale = Float64Array.from({ length: n }, (_, i) => Math.pow(100, i / (n - 1)));
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) A.data[i * n + j] *= Math.sqrt(scale[i] * scale[j]);
  const b = rng.normals(new Float64Array(n));
  const diag = Float64Array.from({ length: n }, (_, i) => A.data[i * n + i]);
  const L = Math.max(...diag) * 2;
  const x = new Float64Array(n);
  const pre = neumannSeries(mv(A), b, x, { eta: 1, rtol: 1e-8, maxIter: 100_000, precond: (r, out) => out.set(r.map((v, i) => v / diag[i])) });
  const plain = neumannSeries(mv(A), b, new Float64Array(n), { eta: 1 / L, rtol: 1e-8, maxIter: 100_000, stallWindow: 0 });
  assert.ok(pre.converged && plain.converged, `${JSON.stringify(pre)} ${JSON.stringify(plain)}`);
  assert.ok(20 * pre.iterations <= plain.iterations, `${pre.iterations} vs ${plain.iterations}`);
  const r = Float64Array.from(b);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) r[i] -= A.data[i * n + j] * x[j];
  assert.ok(nrm2(r) <= 1e-8 * nrm2(b) * 1.0001);
});

test('neumannSeries: eta and finalResidual are checked', () => {
  const A = matrix(1, 1, Float64Array.of(1));
  assert.throws(() => neumannSeries(mv(A), Float64Array.of(1), new Float64Array(1), { eta: 0 }), /neumannSeries: eta must be a positive finite number, received 0/);
  assert.throws(() => neumannSeries(mv(A), Float64Array.of(1), new Float64Array(1), { finalResidual: 1 as never }), /neumannSeries: finalResidual must be a boolean, received 1/);
});
