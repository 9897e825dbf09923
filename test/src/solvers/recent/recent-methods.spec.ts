// The papers' properties of the recent methods, through the run loop:
// - SPABA (ICML 2024): PAGE's variance reduction converges with constant steps where SOBA with the same steps stalls;
// - BO-REP (ICLR 2024): normalized momentum makes the x trajectory invariant to a rescaling of F (bit for bit for a power
//   of two), the insensitivity to the size of the gradient that unbounded smoothness needs; SOBA's is not;
// - F2BA (Chen, Ma, Zhang): a fixed λ has bias O(1/λ) and the same outer step works for every λ (the penalty's
//   smoothness does not grow with λ);
// - TPE (NeurIPS 2011) beats random search at an equal number of evaluations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nrm2 } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import type { BilevelProblem } from '@bilevel/problems';
import { boRep, CONTRACT_QUADRATIC, f2ba, maSoba, randomSearch, soba, spaba, tpe } from '@bilevel/solvers';
import type { Solver } from '@bilevel/solvers';
import { runLoop } from '@bilevel/streams';

const quadratic = quadraticProblem(CONTRACT_QUADRATIC);
const g0 = nrm2(quadratic.hypergradient(new Float64Array(quadratic.dimX)).grad);
const relGrad = (x: Float64Array) => nrm2(quadratic.hypergradient(x).grad) / g0;

test('SPABA with constant steps converges (rel. ‖∇h‖ < 1e-10 in 5000 steps); SOBA with the same constant steps stays above 1e-2', () => {
  // measured: SPABA 6.7e-15, SOBA 0.075 (seed 0, batch 8, steps 0.1)
  const a = runLoop(quadratic, spaba({ batchSize: 8 }), { seed: 0, maxIter: 5000 });
  const b = runLoop(quadratic, soba({ batchSize: 8, innerDecay: 0, outerDecay: 0 }), { seed: 0, maxIter: 5000 });
  assert.ok(relGrad(a.x) < 1e-10, `SPABA ${relGrad(a.x)}`);
  assert.ok(relGrad(b.x) > 1e-2, `SOBA ${relGrad(b.x)}`);
  // about p = 8/72 of its steps are full-batch refreshes
  const refreshes = a.diagnostics.outer?.refreshes ?? 0;
  assert.ok(Math.abs(refreshes / 5000 - 8 / 72) < 0.02, `refresh rate ${refreshes / 5000}`);
});

/** The problem with F (and its gradients) multiplied by `c`: h and ∇h scale by c, z* does not change. */
function scaledOuter(p: BilevelProblem, c: number): BilevelProblem {
  return Object.create(p, {
    outerValue: { value: (z: Float64Array, x: Float64Array, b: Int32Array) => c * p.outerValue(z, x, b) },
    outerGradZ: {
      value: (z: Float64Array, x: Float64Array, b: Int32Array, out: Float64Array) => {
        p.outerGradZ(z, x, b, out);
        for (let k = 0; k < out.length; k++) out[k] *= c;
      },
    },
    outerGradX: {
      value: (z: Float64Array, x: Float64Array, b: Int32Array, out: Float64Array) => {
        p.outerGradX(z, x, b, out);
        for (let k = 0; k < out.length; k++) out[k] *= c;
      },
    },
  }) as BilevelProblem;
}

const sameBits = (a: Float64Array, b: Float64Array) => a.every((e, i) => Object.is(e, b[i]));

test('BO-REP: scaling F by 1024 leaves the x trajectory unchanged to the bit (v and m scale, m/‖m‖ does not); SOBA and MA-SOBA move', () => {
  const scaled = scaledOuter(quadratic, 1024);
  const trajectory = (solver: () => Solver, p: BilevelProblem) => {
    const xs: Float64Array[] = [];
    runLoop(p, solver(), { seed: 2, maxIter: 500, sampleEvery: 50 }, (s) => xs.push(s.x));
    return xs;
  };
  const a = trajectory(() => boRep({ batchSize: 8 }), quadratic);
  const b = trajectory(() => boRep({ batchSize: 8 }), scaled);
  assert.equal(a.length, b.length);
  a.forEach((x, i) => assert.ok(sameBits(x, b[i]), `sample ${i}`));
  assert.ok(!sameBits(a[a.length - 1], a[0]), 'x moved');
  for (const other of [() => soba({ batchSize: 8, outerStep: 1e-4 }), () => maSoba({ batchSize: 8, outerStep: 1e-4 })]) {
    const c = trajectory(other, quadratic);
    const d = trajectory(other, scaled);
    assert.ok(!sameBits(c[c.length - 1], d[d.length - 1]), 'an unnormalized method depends on the scale of F');
  }
});

test('F2BA: the fixed-λ bias is O(1/λ) (err(10)/err(100) ∈ [5, 20]) and one outer step η = 0.5 converges for λ from 10 to 10⁴', () => {
  // deterministic quadratic of algorithms.md A5c (e); measured errors 5.7e-3, 6.1e-4, 6.2e-5, 6.2e-6
  const problem = quadraticProblem({ dimZ: 10, dimX: 5, nInner: 16, nOuter: 16, mu: 1, L: 2, seed: 1 });
  const xStar = problem.solution().x;
  const err = (lambda: number) => {
    const last = runLoop(problem, f2ba({ lambda, innerStep: 0.5, outerStep: 0.5, innerSteps: 10 }), { maxIter: 400 });
    return nrm2(Float64Array.from(last.x, (v, i) => v - xStar[i])) / nrm2(xStar);
  };
  const e = [10, 100, 1000, 10_000].map(err);
  assert.ok(e[0] / e[1] >= 5 && e[0] / e[1] <= 20, `err(10)/err(100) = ${e[0] / e[1]}`);
  for (let i = 1; i < e.length; i++) assert.ok(e[i] < e[i - 1] / 5, `λ = ${10 ** (i + 1)}: ${e[i]} after ${e[i - 1]}`);
  assert.ok(e[3] < 1e-5, `λ = 10⁴: ${e[3]}`);
});

test('TPE beats random search at 100 evaluations on the contract quadratic (box [−1, 1]^5) for each of 5 seeds', () => {
  // measured incumbents: TPE 0.281–0.296, random search 0.311–0.321 (h* = 0.2766)
  for (let seed = 0; seed < 5; seed++) {
    const best = (s: Solver) => runLoop(quadratic, s, { seed, maxIter: 100 }).diagnostics.inner?.incumbentValue ?? NaN;
    const a = best(tpe({ low: -1, high: 1 }));
    const b = best(randomSearch({ low: -1, high: 1 }));
    assert.ok(a < b, `seed ${seed}: TPE ${a}, random search ${b}`);
  }
});
