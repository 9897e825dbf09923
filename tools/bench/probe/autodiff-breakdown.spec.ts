// The timed pieces compute what they claim: the taped gradient and the closed-form tfjs gradient agree with the
// analytic float64 innerGradZ of LogregHpo at the same point and batch, to float32 accuracy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine } from '@bilevel/autodiff/tfjs';
import { buildProblem } from '@bilevel/cli';
import { LogregHpo } from '@bilevel/problems';
import { autodiffBreakdown } from './autodiff-breakdown';

/** float32 round-off of a 30-term gradient of norm ~1, with a 10× margin (measured 7e-8 absolute). */
const FLOAT32_ABS_TOL = 1e-6;

test('taped and closed-form tfjs gradients match the analytic innerGradZ', async () => {
  await initEngine({ prefer: 'wasm' });
  const p = buildProblem({ problem: 'logreg-hpo', reg: 'scalar', standardize: 'train', seed: 0 });
  assert.ok(p instanceof LogregHpo);
  const batch = Int32Array.from({ length: 31 }, (_, i) => i * 11);
  const r = await autodiffBreakdown(p.A, p.yA, [batch]);
  try {
    const expected = new Float64Array(p.dimZ);
    p.innerGradZ(r.point.z, r.point.x, batch, expected);
    for (const name of ['tf.grad in z + readback (innerGradZ)', 'closed-form innerGradZ in tfjs, no tape + readback']) {
      const piece = r.cases.find((c) => c.kernel === name);
      assert.ok(piece, `piece ${name}`);
      r.out.fill(NaN);
      piece.fn();
      for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(r.out[i] - expected[i]) <= FLOAT32_ABS_TOL, `${name}[${i}]: ${r.out[i]} vs ${expected[i]}`);
    }
    assert.equal(r.kernels['one op on resident 30-vectors (tf.add + dispose)'], 1);
  } finally {
    r.dispose();
  }
});
