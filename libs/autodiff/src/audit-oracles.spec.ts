// The oracle audit on problems whose oracles are known right (analytic LogregHpo and QuadraticProblem in float64,
// the softplus autodiff logistic in float32) and known wrong (tfjs second derivatives of log1p(exp(·)) and
// tf.losses.sigmoidCrossEntropy, tfjs issue #3252; deliberately corrupted oracles).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { logregHpo, quadraticProblem } from '@bilevel/problems';
import type { BilevelProblem, LogregHpo } from '@bilevel/problems';
import { auditOracles, AUDIT_DEFAULTS } from './audit-oracles';
import type { AuditedOracle, OracleAudit } from './audit-oracles';
import { autodiffProblem } from './autodiff-problem';
import { initEngine } from './engine';
import { formatAudit } from './format-audit';
import { breastCancerSlice } from './fixtures/breast-cancer-slice';
import { logregAutodiff } from './logreg-autodiff';
import type { LogisticOp } from './logreg-autodiff';

const ORACLES: readonly AuditedOracle[] = ['innerGradZ', 'innerHvp', 'innerCross', 'outerGradZ', 'outerGradX', 'innerGradX', 'outerHvp', 'outerCross'];
/**
 * Measured on this tfjs version (4.22, wasm, seed 1, 3 points): the log1p(exp) HVP is off by 22%..110% and the
 * sigmoidCrossEntropy one by 4%..39% (norm-wise, the correct e^x·v part included), i.e. ≥ 4× the float32
 * tolerance 1e-2. Require at least twice the tolerance, so the test is about the bug, not about the margin.
 */
const WRONG_HVP_MIN_ERROR = 2 * AUDIT_DEFAULTS.float32.tolerance;

const failing = (r: OracleAudit) => r.oracles.filter((o) => !o.ok).map((o) => o.name);
const entry = (r: OracleAudit, name: AuditedOracle) => r.oracles.find((o) => o.name === name)!;

const data = breastCancerSlice();
const analytic: Record<'scalar' | 'feature', LogregHpo> = {
  scalar: logregHpo(data.train, data.val, { reg: 'scalar' }),
  feature: logregHpo(data.train, data.val, { reg: 'feature' }),
};
const disposers: (() => void)[] = [];
const tfjsLogreg = (reg: 'scalar' | 'feature', op: LogisticOp) => {
  const { problem, dispose } = logregAutodiff(analytic[reg], op);
  disposers.push(dispose);
  return problem;
};

before(async () => {
  await initEngine();
});
after(() => disposers.forEach((d) => d()));

for (const reg of ['scalar', 'feature'] as const) {
  test(`audit passes on the analytic LogregHpo (float64, reg ${reg}) with the float64 defaults`, (t) => {
    const report = auditOracles(analytic[reg]);

    assert.equal(report.precision, 'float64');
    assert.equal(report.tolerance, AUDIT_DEFAULTS.float64.tolerance);
    assert.ok(report.ok, formatAudit(report));
    assert.deepEqual(report.oracles.map((o) => o.name).sort(), [...ORACLES].sort());
    assert.match(formatAudit(report), /all 8 oracles agree/); // the five required and the three optional ones
    formatAudit(report).split('\n').forEach((line) => t.diagnostic(line));
  });

  test(`audit passes on the softplus autodiff logistic (float32, reg ${reg})`, (t) => {
    const report = auditOracles(tfjsLogreg(reg, 'softplus'));

    assert.equal(report.precision, 'float32');
    assert.equal(report.tolerance, AUDIT_DEFAULTS.float32.tolerance);
    assert.ok(report.ok, formatAudit(report));
    formatAudit(report).split('\n').forEach((line) => t.diagnostic(line));
  });

  for (const op of ['log1p-exp', 'sigmoid-cross-entropy'] as const) {
    test(`audit fails on the ${op} autodiff logistic (reg ${reg}) and names the HVPs alone`, (t) => {
      const tensors = tf.memory().numTensors;
      const report = auditOracles(tfjsLogreg(reg, op));
      const text = formatAudit(report);

      assert.equal(report.ok, false);
      // the fixture writes both losses with the wrong op: both Hessian-vector products are wrong, nothing else
      assert.deepEqual(failing(report), ['innerHvp', 'outerHvp'], text);
      assert.ok(entry(report, 'innerHvp').maxRelError >= WRONG_HVP_MIN_ERROR, text);
      assert.match(text, /FAILED, innerHvp, outerHvp are wrong/);
      assert.match(text, /innerHvp disagrees with central differences of innerGradZ in z along v: max relative error \S+/);
      assert.equal(tf.memory().numTensors, tensors + 4); // only the fixture's four data tensors
      text.split('\n').forEach((line) => t.diagnostic(line));
    });
  }
}

test('an op whose second derivative tfjs drops entirely makes innerHvp/innerCross throw; the audit reports it', () => {
  const problem = autodiffProblem({
    name: 'exp-only',
    dimZ: 3,
    dimX: 1,
    nInner: 1,
    nOuter: 1,
    // G = Σ e^{z_k} + e^x Σ z_k: ∇_z G = e^z + e^x, whose z-dependence goes only through exp's saved output
    g: (z, x) => tf.add(tf.sum(tf.exp(z)), tf.mul(tf.exp(tf.sum(x)), tf.sum(z))),
    f: (z) => tf.sum(tf.square(z)),
  });

  const report = auditOracles(problem, { points: 1 });

  // HVP and cross product come from one pass, so both are unavailable; first-order oracles are fine
  assert.deepEqual(failing(report), ['innerHvp', 'innerCross']);
  assert.match(entry(report, 'innerHvp').error ?? '', /exp-only\.innerHvp: tfjs finds no path from z to the z-gradient of the loss.*#3252/);
  assert.match(formatAudit(report), /innerHvp threw at point 0: exp-only\.innerHvp/);
});

/** A copy of `problem` with one oracle's output scaled by `factor` (or replaced by NaN, or throwing). */
function corrupt(problem: BilevelProblem, name: AuditedOracle, how: number | 'nan' | 'throw'): BilevelProblem {
  const wrapper = Object.create(problem) as BilevelProblem;
  const original = problem[name]!.bind(problem) as (...args: unknown[]) => void;
  (wrapper as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
    if (how === 'throw') throw new Error(`${name} is broken`);
    original(...args);
    const out = args[args.length - 1] as Float64Array;
    for (let i = 0; i < out.length; i++) out[i] = how === 'nan' ? NaN : out[i] * how;
  };
  return wrapper;
}

test('property: on a quadratic problem the audit passes for any seed and names exactly the oracle that is off', () => {
  const quad = quadraticProblem({ dimZ: 5, dimX: 3, nInner: 8, nOuter: 8, seed: 3 });
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 1e6 }),
      fc.constantFrom(...ORACLES),
      fc.double({ min: 0.05, max: 1, noNaN: true }),
      fc.boolean(),
      (seed, name, delta, flip) => {
        const clean = auditOracles(quad, { seed, points: 2 });
        const broken = auditOracles(corrupt(quad, name, flip ? -1 : 1 + delta), { seed, points: 2 });

        assert.ok(clean.ok, formatAudit(clean));
        if (name === 'innerGradZ' || name === 'outerGradZ') {
          // a z-gradient is also the reference of its HVP and cross checks: those may fail with it, and the text says so
          const side = name === 'innerGradZ' ? 'inner' : 'outer';
          assert.equal(failing(broken)[0], name, formatAudit(broken));
          assert.ok(failing(broken).every((o) => [name, `${side}Hvp`, `${side}Cross`].includes(o)));
          if (failing(broken).length > 1) assert.match(formatAudit(broken), new RegExp(`checked against ${name}, which is itself wrong`));
        } else {
          assert.deepEqual(failing(broken), [name], formatAudit(broken));
          assert.match(formatAudit(broken), new RegExp(`FAILED, ${name} is wrong`));
        }
      },
    ),
    { numRuns: 25, seed: 7 },
  );
});

test('an oracle that throws or returns NaN fails with the reason kept', () => {
  const quad = quadraticProblem({ dimZ: 4, dimX: 2, nInner: 6, nOuter: 6 });

  const threw = auditOracles(corrupt(quad, 'innerCross', 'throw'), { points: 2 });
  const nan = auditOracles(corrupt(quad, 'outerGradX', 'nan'), { points: 2 });

  assert.deepEqual(failing(threw), ['innerCross']);
  assert.equal(entry(threw, 'innerCross').error, 'innerCross is broken');
  assert.equal(entry(threw, 'innerCross').maxRelError, Infinity);
  assert.match(formatAudit(threw), /innerCross threw at point 0: innerCross is broken/);
  assert.deepEqual(failing(nan), ['outerGradX']);
  assert.match(formatAudit(nan), /outerGradX returned non-finite values/);
});

test('the audit is reproducible from its seed and honours eps, tolerance, points and batch', () => {
  const p = analytic.scalar;
  const batch = Int32Array.from([0, 5, 9, 30]);

  const a = auditOracles(p, { seed: 12, points: 2, eps: 1e-5, tolerance: 1e-4, batch });
  const b = auditOracles(p, { seed: 12, points: 2, eps: 1e-5, tolerance: 1e-4, batch });
  const c = auditOracles(p, { seed: 13, points: 2 });

  assert.deepEqual(a, b);
  assert.equal(a.points.length, 2);
  assert.equal(a.eps, 1e-5);
  assert.equal(a.tolerance, 1e-4);
  assert.ok(a.ok, formatAudit(a));
  assert.notDeepEqual(a.points[0].z, c.points[0].z);
});

test('auditOracles validates its options, naming the field, the value and what was expected', () => {
  const p = analytic.scalar;
  assert.throws(() => auditOracles(p, { points: 0 }), /auditOracles: options\.points must be a positive integer, received 0/);
  assert.throws(() => auditOracles(p, { eps: -1 }), /auditOracles: options\.eps must be a positive finite number, received -1/);
  assert.throws(() => auditOracles(p, { tolerance: NaN }), /options\.tolerance must be a positive finite number, received NaN/);
  assert.throws(() => auditOracles(p, { seed: 0.5 }), /options\.seed must be a safe integer, received 0\.5/);
  assert.throws(() => auditOracles(p, { batch: Int32Array.from([0, 60]) }), /options\.batch\[1\] = 60 is outside 0\.\.59/);
  assert.throws(() => auditOracles(p, { batch: new Int32Array(0) }), /options\.batch must be a non-empty Int32Array/);
});
