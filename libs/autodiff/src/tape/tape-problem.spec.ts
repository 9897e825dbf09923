// The tape oracles of the logistic problem against the analytic float64 LogregHpo (hand-written derivatives, see
// libs/problems/src/logreg-hpo.ts) on the same data: the first 120 rows of the bundled breast-cancer set, split
// 60/60; fast-check points and batches with a fixed seed. Then the shared pass, evaluation, the spec checks, and
// that steady-state oracle calls do not allocate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GCProfiler } from 'node:v8';
import fc from 'fast-check';
import { logregHpo } from '@bilevel/problems';
import { breastCancerSlice } from '../fixtures/breast-cancer-slice';
import { logregTape } from './logreg-tape';
import { tapeProblem } from './tape-problem';
import type { TapeSpec } from './tape-problem';

/**
 * Tape vs analytic, norm-wise relative: both float64, the same sums over ≤ 60 samples of 30-term products in nearly
 * the same order (measured ≤ 3e-16 absolute on O(1) results); 1e-10 leaves six orders of margin and any rule
 * mistake is off by far more.
 */
const REL_TOL = 1e-10;
/**
 * Hypergradient: the tape's evaluation is generic (L-BFGS to ‖∇G‖ ≤ 1e-10, CG to relative residual 1e-12) while the
 * analytic one is Newton + Cholesky; both solve the same systems to ~1e-10, so ∇h agrees to ~1e-9 relative.
 */
const HYPERGRADIENT_TOL = 1e-7;
const SEED = 11;
const data = breastCancerSlice();

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let s = 1e-300;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(a[i]), Math.abs(b[i]));
  }
  return d / s;
}

for (const reg of ['scalar', 'feature'] as const) {
  test(`logregTape oracles equal the analytic LogregHpo ones to ${REL_TOL} (reg ${reg})`, () => {
    const analytic = logregHpo(data.train, data.val, { reg });
    const tape = logregTape(analytic);
    const d = analytic.dimZ;
    const vec = (n: number) => fc.float64Array({ minLength: n, maxLength: n, noNaN: true, noDefaultInfinity: true, min: -2, max: 2 });
    const batch = (n: number) => fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { minLength: 1, maxLength: n }).map((a) => Int32Array.from(a));
    fc.assert(
      fc.property(vec(d), vec(analytic.dimX), vec(d), batch(analytic.nInner), batch(analytic.nOuter), (z, x, v, bi, bo) => {
        for (const oracle of ['innerGradZ', 'innerGradX', 'outerGradZ', 'outerGradX'] as const) {
          const n = oracle.endsWith('X') ? analytic.dimX : d;
          const b = oracle.startsWith('outer') ? bo : bi;
          const want = new Float64Array(n);
          const got = new Float64Array(n).fill(Number.NaN);
          analytic[oracle](z, x, b, want);
          tape[oracle](z, x, b, got);
          assert.ok(relErr(got, want) <= REL_TOL, `${oracle}: ${got} vs ${want}`);
        }
        for (const oracle of ['innerHvp', 'innerCross', 'outerHvp', 'outerCross'] as const) {
          const n = oracle.endsWith('Cross') ? analytic.dimX : d;
          const b = oracle.startsWith('outer') ? bo : bi;
          const want = new Float64Array(n);
          const got = new Float64Array(n).fill(Number.NaN);
          analytic[oracle](z, x, v, b, want);
          tape[oracle](z, x, v, b, got);
          assert.ok(relErr(got, want) <= REL_TOL, `${oracle}: ${got} vs ${want}`);
        }
        const hvp = new Float64Array(d);
        const cross = new Float64Array(analytic.dimX);
        const wantH = new Float64Array(d);
        const wantC = new Float64Array(analytic.dimX);
        tape.innerHvpCross(z, x, v, bi, hvp, cross);
        analytic.innerHvp(z, x, v, bi, wantH);
        analytic.innerCross(z, x, v, bi, wantC);
        assert.ok(relErr(hvp, wantH) <= REL_TOL && relErr(cross, wantC) <= REL_TOL, 'innerHvpCross');
        const gi = analytic.innerValue(z, x, bi);
        const fo = analytic.outerValue(z, x, bo);
        assert.ok(Math.abs(tape.innerValue(z, x, bi) - gi) <= REL_TOL * Math.abs(gi), 'innerValue');
        assert.ok(Math.abs(tape.outerValue(z, x, bo) - fo) <= REL_TOL * Math.abs(fo), 'outerValue');
      }),
      { seed: SEED, numRuns: 25 },
    );
  });
}

test('logregTape evaluation (generic L-BFGS + CG) gives the analytic hypergradient', () => {
  const analytic = logregHpo(data.train, data.val, { reg: 'feature' });
  const tape = logregTape(analytic);
  const x = Float64Array.from({ length: analytic.dimX }, (_, k) => -1 + 0.05 * k);
  const want = analytic.hypergradient(x);
  const got = tape.hypergradient(x);
  assert.ok(Math.abs(got.value - want.value) <= HYPERGRADIENT_TOL * Math.abs(want.value));
  assert.ok(relErr(got.grad, want.grad) <= HYPERGRADIENT_TOL, `∇h: ${got.grad} vs ${want.grad}`);
  assert.equal(tape.precision, 'float64');
  assert.deepEqual(tape.innerConstants?.(x), analytic.innerConstants(x));
});

test('tape oracles allocate nothing in the steady state', () => {
  const analytic = logregHpo(data.train, data.val, { reg: 'scalar' });
  const p = logregTape(analytic);
  const z = Float64Array.from({ length: p.dimZ }, (_, k) => Math.sin(k));
  const x = Float64Array.of(-1);
  const gz = new Float64Array(p.dimZ);
  const gx = new Float64Array(1);
  const batches = Array.from({ length: 8 }, (_, b) => Int32Array.from({ length: 7 }, (_, k) => (b * 7 + k) % p.nInner));
  const round = (r: number) => {
    const b = batches[r % batches.length];
    p.innerGradZ(z, x, b, gz);
    p.innerHvp(z, x, z, b, gz);
    p.innerCross(z, x, z, b, gx);
    p.innerHvpCross(z, x, z, b, gz, gx);
    p.outerGradZ(z, x, b, gz);
    p.outerGradX(z, x, b, gx);
    p.innerValue(z, x, b);
  };
  for (let r = 0; r < 20_000; r++) round(r); // warm up: JIT tiers settle
  // 3 samples of 3·10⁴ rounds of 7 calls: a 64-byte allocation per call adds 13 MB per sample, more than V8's young
  // generation, so at least one scavenge would show in the GC profile; an allocation-free loop triggers none. The
  // smallest count of the three is checked (anything else in the process could start a collection in one sample).
  const counts: number[] = [];
  for (let s = 0; s < 3; s++) {
    const profiler = new GCProfiler();
    profiler.start();
    for (let r = 0; r < 30_000; r++) round(r);
    counts.push(profiler.stop()?.statistics.length ?? 0);
  }
  assert.equal(Math.min(...counts), 0, `garbage collections during 90,000 oracle calls: ${counts.join(', ')}`);
});

test('tapeProblem validates its spec and the oracles their arguments', () => {
  const spec: TapeSpec = { dimZ: 2, dimX: 1, nInner: 3, nOuter: 3, g: (t, z) => t.sum(t.square(z)), f: (t, z) => t.sum(z) };
  assert.throws(() => tapeProblem({ ...spec, dimZ: 0 }), /tapeProblem: spec\.dimZ must be a positive integer, received 0/);
  assert.throws(() => tapeProblem({ ...spec, g: 3 as never }), /tapeProblem: spec\.g must be a function/);
  assert.throws(() => tapeProblem({ ...spec, kernels: 'simd' as 'js' }), /tapeProblem: spec\.kernels must be "auto" or "js" when given, received "simd"/);
  assert.throws(() => tapeProblem({ ...spec, name: '' }), /tapeProblem: spec\.name must be a non-empty string when given, received ""/);
  const M = { rows: 4, cols: 2, data: new Float64Array(8) };
  assert.throws(() => tapeProblem({ ...spec, g: (t, z) => t.mean(t.rowsDot(M, z)) }), /tapeProblem: spec\.g gathers data of 4 samples but spec\.nInner is 3/);
  const p = tapeProblem(spec);
  const out = new Float64Array(2);
  assert.throws(() => p.innerGradZ(new Float64Array(3), new Float64Array(1), Int32Array.of(0), out), /tape\.innerGradZ: z must be a Float64Array of length 2, received length 3/);
  assert.throws(() => p.innerGradZ(new Float64Array(2), new Float64Array(1), Int32Array.of(3), out), /tape\.innerGradZ: batch\[0\] = 3 is outside 0\.\.2/);
  assert.throws(() => p.innerGradZ(new Float64Array(2), new Float64Array(1), new Int32Array(0), out), /tape\.innerGradZ: batch must be an Int32Array of 1\.\.3 sample indices, received length 0/);
  // f does not depend on x: its x-gradient is zero
  const gx = Float64Array.of(9);
  p.outerGradX(Float64Array.of(1, 2), Float64Array.of(0), Int32Array.of(0), gx);
  assert.deepEqual(Array.from(gx), [0]);
});
