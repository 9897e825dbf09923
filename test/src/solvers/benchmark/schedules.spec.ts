// The public benchmark's solvers whose parts hand each other a direction (MRBO, SUSTAIN, VRBO, BOME) give, through the
// streams under their own schedule, exactly the algorithm of their papers, driven here by hand: MRBO and SUSTAIN move z
// and x from the same (z_t, x_t) (multi-rate:1), VRBO takes m inner steps at x_s and then steps x along the direction
// of the last of them (multi-rate:m), BOME steps x along the direction computed with z (gauss-seidel). Under another
// schedule the outer step reads a direction computed at another x, and the run ends with an error naming the schedule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import { bome, mrbo, sustain, vrbo } from '@bilevel/solvers';
import type { Solver, StreamName } from '@bilevel/solvers';
import { runLoop } from '@bilevel/streams';

const problem = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 24, nOuter: 16, seed: 9 });
const same = (a: Float64Array, b: Float64Array) => a.length === b.length && a.every((t, i) => Object.is(t, b[i]));

/**
 * The parts driven by hand: per outer step, `m` steps of z and v (v reading the same z as z's step when `vReadsNew` is
 * false, the new z otherwise), then one x step reading the last z, v and the aux published with `from`.
 */
function byHand(solver: Solver, outerSteps: number, seed: number, m: number, vReadsNew: boolean, from: 'z' | 'v') {
  const rng = Rng.fromSeed(seed);
  const st = {} as Record<StreamName, unknown>;
  for (const s of ['inner', 'linsys', 'outer'] as const) st[s] = solver[s].init(problem, rng.split());
  let z = new Float64Array(6);
  let v = new Float64Array(6);
  let x = new Float64Array(3);
  let j = 0;
  for (let s = 0; s < outerSteps; s++) {
    const aux: { z?: unknown; v?: unknown } = {};
    for (let i = 0; i < m; i++, j++) {
      const z1 = new Float64Array(6);
      const v1 = new Float64Array(6);
      aux.z = solver.inner.step(st.inner, { z, v, x }, j, z1);
      aux.v = solver.linsys.step(st.linsys, { z: vReadsNew ? z1 : z, v, x }, j, v1);
      z = z1;
      v = v1;
    }
    const x1 = new Float64Array(3);
    solver.outer.step(st.outer, { z, v, x, aux: { [from]: aux[from] } }, s, x1);
    x = x1;
  }
  return { z, v, x };
}

const CASES: [string, () => Solver, number, boolean, 'z' | 'v'][] = [
  ['mrbo', () => mrbo({ batchSize: 4 }), 1, false, 'v'],
  ['sustain', () => sustain({ batchSize: 4 }), 1, false, 'v'],
  ['vrbo', () => vrbo({ batchSize: 4, innerIters: 3, period: 4 }), 3, false, 'v'],
  ['bome', () => bome({ innerIters: 3 }), 1, true, 'z'],
];

for (const [name, make, m, vReadsNew, from] of CASES) {
  test(`${name}: a run under ${make().schedule} follows the paper's update order, to the bit; under jacobi it ends with a named error`, () => {
    const expected = byHand(make(), 25, 4, m, vReadsNew, from);
    const run = runLoop(problem, make(), { seed: 4, maxIter: 25 });
    for (const w of ['z', 'v', 'x'] as const) assert.ok(same(run[w], expected[w]), `${w} differs`);
    assert.equal(make().fixedSchedule, true);
    assert.throws(() => runLoop(problem, make(), { seed: 4, maxIter: 5, schedule: 'jacobi' }), new RegExp(`${name}: the outer step reads the direction computed at the same x with ${from}; run it under its schedule`));
  });
}
