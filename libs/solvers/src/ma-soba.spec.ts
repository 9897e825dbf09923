// MA-SOBA: defaults and validation; θ = 1 is SOBA with constant steps to the bit; the moving average divides the noise
// variance of the outer direction by (2 − θ)/θ at a fixed point (the device the paper's optimal rate rests on).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import type { BilevelProblem } from '@bilevel/problems';
import type { Solver } from './solver';
import { maSoba } from './ma-soba';
import { soba } from './soba';

const problem = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 64, nOuter: 64, seed: 4 });

/** The jacobi loop of `run` by hand: parts initialized in stream order on splits of one generator, all read iterate t. */
function jacobi(solver: Solver, p: BilevelProblem, seed: number, steps: number): { z: Float64Array; v: Float64Array; x: Float64Array } {
  const rng = Rng.fromSeed(seed);
  const si = solver.inner.init(p, rng.split());
  const sl = solver.linsys.init(p, rng.split());
  const so = solver.outer.init(p, rng.split());
  let cur = { z: new Float64Array(p.dimZ), v: new Float64Array(p.dimZ), x: new Float64Array(p.dimX) };
  for (let t = 0; t < steps; t++) {
    const next = { z: new Float64Array(p.dimZ), v: new Float64Array(p.dimZ), x: new Float64Array(p.dimX) };
    solver.inner.step(si, cur, t, next.z);
    solver.linsys.step(sl, cur, t, next.v);
    solver.outer.step(so, cur, t, next.x);
    cur = next;
  }
  return cur;
}

const sameBits = (a: Float64Array, b: Float64Array) => a.length === b.length && a.every((e, i) => Object.is(e, b[i]));

test('maSoba: the defaults (steps 0.1, θ = 0.1, batch 64, no projection), jacobi, a citation; options are validated', () => {
  const s = maSoba();
  assert.equal(s.name, 'ma-soba');
  assert.equal(s.schedule, 'jacobi');
  assert.deepEqual(s.options, { batchSize: 64, innerStep: 0.1, linsysStep: 0.1, outerStep: 0.1, averaging: 0.1, linsysRadius: 'none' });
  assert.match(s.citation, /Chen, Xiao, Balasubramanian/);
  assert.throws(() => maSoba({ averaging: 0 }), /maSoba: averaging must be in \(0, 1\], received 0/);
  assert.throws(() => maSoba({ averaging: 1.5 }), /maSoba: averaging must be in \(0, 1\], received 1.5/);
  assert.throws(() => maSoba({ linsysRadius: 0 }), /maSoba: linsysRadius must be > 0/);
  assert.throws(() => maSoba({ outerStep: -1 }), /maSoba: outerStep must be a positive finite number, received -1/);
  assert.throws(() => maSoba({ theta: 0.1 } as object), /maSoba: unknown option "theta"/);
});

test('maSoba with θ = 1 is SOBA with constant steps, bit for bit (same samplers, same arithmetic)', () => {
  const a = jacobi(maSoba({ batchSize: 8, innerStep: 0.2, outerStep: 0.05, averaging: 1 }), problem, 3, 300);
  const b = jacobi(soba({ batchSize: 8, innerStep: 0.2, outerStep: 0.05, innerDecay: 0, outerDecay: 0 }), problem, 3, 300);
  assert.ok(sameBits(a.z, b.z) && sameBits(a.v, b.v) && sameBits(a.x, b.x));
  // and θ < 1 is another trajectory
  const c = jacobi(maSoba({ batchSize: 8, innerStep: 0.2, outerStep: 0.05, averaging: 0.5 }), problem, 3, 300);
  assert.ok(!sameBits(a.x, c.x));
});

test('maSoba: at a fixed point the average w has θ/(2 − θ) of the variance of one stochastic direction', () => {
  // 1024 samples and batch 1: the blocks of an epoch are nearly independent draws (correlation −1/1023)
  const big = quadraticProblem({ dimZ: 4, dimX: 2, nInner: 1024, nOuter: 1024, seed: 5 });
  const rng = Rng.fromSeed(9);
  const reads = { z: rng.normals(new Float64Array(4)), v: rng.normals(new Float64Array(4)), x: rng.normals(new Float64Array(2)) };
  /** Variance of coordinate 0 of the step x − x⁺ = α·w over `steps` steps after a burn-in. */
  const stepVariance = (theta: number) => {
    const solver = maSoba({ batchSize: 1, outerStep: 1, averaging: theta });
    const state = solver.outer.init(big, Rng.fromSeed(11));
    const out = new Float64Array(2);
    let s1 = 0;
    let s2 = 0;
    let n = 0;
    for (let t = 0; t < 40_000; t++) {
      solver.outer.step(state, reads, t, out);
      if (t < 1000) continue;
      const w = reads.x[0] - out[0];
      s1 += w;
      s2 += w * w;
      n++;
    }
    return s2 / n - (s1 / n) ** 2;
  };
  const one = stepVariance(1);
  for (const theta of [0.1, 0.3]) {
    const ratio = stepVariance(theta) / one;
    const expected = theta / (2 - theta);
    assert.ok(Math.abs(ratio / expected - 1) < 0.15, `θ = ${theta}: variance ratio ${ratio.toFixed(4)}, expected ${expected.toFixed(4)}`);
  }
});
