// The recorded-tape AD against the analytic float64 oracles of LogregHpo, at random points and batches (fast-check,
// fixed seed): both are float64 and compute the same sums in nearly the same order, so they agree to round-off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildProblem } from '@bilevel/cli';
import { LogregHpo } from '@bilevel/problems';
import { tapeLogreg } from './tape-logreg';

/** Relative agreement, float64 round-off of 30-term sums over ≤ 341 samples with a wide margin. */
const REL_TOL = 1e-10;
const SEED = 3;

function close(a: Float64Array, b: Float64Array, what: string): void {
  let scale = 1e-300;
  for (const t of b) scale = Math.max(scale, Math.abs(t));
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= REL_TOL * scale, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

for (const reg of ['scalar', 'feature'] as const) {
  test(`tape oracles equal the analytic ones (reg ${reg})`, () => {
    const analytic = buildProblem({ problem: 'logreg-hpo', reg, standardize: 'train', seed: 0 });
    assert.ok(analytic instanceof LogregHpo);
    const tape = tapeLogreg(analytic);
    const d = analytic.dimZ;
    const vec = (n: number) => fc.float64Array({ minLength: n, maxLength: n, noNaN: true, noDefaultInfinity: true, min: -2, max: 2 });
    const batch = (n: number) => fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { minLength: 1, maxLength: 40 }).map((a) => Int32Array.from(a));
    fc.assert(
      fc.property(vec(d), vec(analytic.dimX), vec(d), batch(analytic.nInner), batch(analytic.nOuter), (z, x, v, bi, bo) => {
        for (const oracle of ['innerGradZ', 'innerHvp', 'innerCross', 'outerGradZ', 'outerGradX', 'innerGradX'] as const) {
          const n = oracle === 'innerCross' || oracle.endsWith('GradX') ? analytic.dimX : d;
          const a = new Float64Array(n);
          const t = new Float64Array(n);
          const b = oracle.startsWith('outer') ? bo : bi;
          if (oracle === 'innerHvp' || oracle === 'innerCross') {
            analytic[oracle](z, x, v, b, a);
            tape[oracle](z, x, v, b, t);
          } else {
            analytic[oracle](z, x, b, a);
            tape[oracle](z, x, b, t);
          }
          close(t, a, oracle);
        }
        const gi = analytic.innerValue(z, x, bi);
        assert.ok(Math.abs(tape.innerValue(z, x, bi) - gi) <= REL_TOL * Math.abs(gi));
      }),
      { seed: SEED, numRuns: 30 },
    );
  });
}
