import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { RunSpec } from '../bench/expand-grid';
import { canonicalJson } from './canonical-json';
import { runKey } from './run-key';

const SEED = 20261123;
const NUM_RUNS = 200;

/** Any RunSpec a grid can produce (and more): the fields with their types, optional budgets left out or not. */
const specArb: fc.Arbitrary<RunSpec> = fc
  .record(
    {
      id: fc.string({ minLength: 1, maxLength: 20 }),
      problem: fc.record({
        label: fc.string({ minLength: 1, maxLength: 10 }),
        name: fc.constantFrom('logreg-hpo' as const, 'quadratic' as const, 'datacleaning' as const),
        config: fc.record(
          { standardize: fc.constantFrom('train' as const, 'none' as const), seed: fc.nat(1000), trainSize: fc.integer({ min: 1, max: 1e5 }), corruption: fc.double({ min: 0, max: 1, noNaN: true }) },
          { requiredKeys: ['standardize', 'seed'] },
        ),
      }),
      solver: fc.constantFrom('soba', 'saba', 'amigo'),
      solverOptions: fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.boolean(), fc.string({ maxLength: 5 }))),
      seed: fc.nat(1e6),
      maxSeconds: fc.double({ min: 0.01, max: 100, noNaN: true }),
      maxIter: fc.integer({ min: 1, max: 1e6 }),
      evalEvery: fc.integer({ min: 1, max: 1000 }),
      evalGrowth: fc.double({ min: 1, max: 10, noNaN: true }),
      evaluation: fc.constantFrom('exact' as const, 'iterate' as const),
      metric: fc.constantFrom('suboptimality', 'testError'),
    },
    { requiredKeys: ['id', 'problem', 'solver', 'solverOptions', 'seed', 'evalEvery', 'evalGrowth', 'evaluation', 'metric'] },
  )
  // as read back from a spec.json: plain objects (fast-check's records have a null prototype), JSON numbers
  .map((s) => JSON.parse(JSON.stringify(s)) as RunSpec);

/** The same value with the keys of every object in an order drawn from `order` (a permutation source). */
function reorder(value: unknown, order: readonly number[], depth = 0): unknown {
  if (Array.isArray(value)) return value.map((v) => reorder(v, order, depth + 1));
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  const rank = (k: string, i: number) => (order[(i + depth) % order.length] ?? 0) * 31 + k.length;
  const shuffled = keys.map((k, i) => [k, rank(k, i)] as const).sort((a, b) => a[1] - b[1]).map(([k]) => k);
  return Object.fromEntries(shuffled.map((k) => [k, reorder((value as Record<string, unknown>)[k], order, depth + 1)]));
}

/** Changes of one field that any two runs can differ by; each must change the key. */
const changes: readonly [string, (s: RunSpec) => RunSpec][] = [
  ['seed', (s) => ({ ...s, seed: s.seed + 1 })],
  ['solver', (s) => ({ ...s, solver: s.solver === 'soba' ? 'saba' : 'soba' })],
  ['maxIter', (s) => ({ ...s, maxIter: (s.maxIter ?? 0) + 1 })],
  ['maxSeconds', (s) => ({ ...s, maxSeconds: (s.maxSeconds ?? 1) * 2 })],
  ['evalEvery', (s) => ({ ...s, evalEvery: s.evalEvery + 1 })],
  ['evalGrowth', (s) => ({ ...s, evalGrowth: s.evalGrowth + 0.5 })],
  ['evaluation', (s) => ({ ...s, evaluation: s.evaluation === 'exact' ? 'iterate' : 'exact' })],
  ['metric', (s) => ({ ...s, metric: `${s.metric}x` })],
  ['id', (s) => ({ ...s, id: `${s.id}/x` })],
  ['problem.label', (s) => ({ ...s, problem: { ...s.problem, label: `${s.problem.label}x` } })],
  ['problem.config.seed', (s) => ({ ...s, problem: { ...s.problem, config: { ...s.problem.config, seed: s.problem.config.seed + 1 } } })],
  ['solverOptions (new key)', (s) => ({ ...s, solverOptions: { ...s.solverOptions, 'new-option': 1 } })],
  ['solverOptions.innerStep', (s) => ({ ...s, solverOptions: { ...s.solverOptions, innerStep: Number(s.solverOptions.innerStep ?? 0.1) * 2 } })],
];

test('runKey: 64 hex digits, deterministic, the same for every key order of the spec', () => {
  fc.assert(
    fc.property(specArb, fc.array(fc.nat(1000), { minLength: 1, maxLength: 8 }), (spec, order) => {
      const key = runKey(spec);
      assert.match(key, /^[0-9a-f]{64}$/);
      const shuffled = reorder(spec, order) as RunSpec;
      assert.deepEqual(shuffled, spec);
      assert.equal(runKey(shuffled), key);
      assert.equal(runKey(structuredClone(spec)), key);
    }),
    { seed: SEED, numRuns: NUM_RUNS },
  );
});

test('runKey: a change of any field changes the key', () => {
  fc.assert(
    fc.property(specArb, fc.constantFrom(...changes), (spec, [field, change]) => {
      const changed = change(spec);
      assert.notEqual(canonicalJson(changed), canonicalJson(spec), `${field} changed the spec`);
      assert.notEqual(runKey(changed), runKey(spec), `${field} changes the key`);
    }),
    { seed: SEED, numRuns: NUM_RUNS },
  );
});

test('canonicalJson sorts keys recursively, keeps array order, drops undefined and refuses class instances', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: undefined } }), '{"a":{"d":[2,{"y":2,"z":1}]},"b":1}');
  assert.equal(canonicalJson([3, 1, 2]), '[3,1,2]');
  assert.throws(() => canonicalJson({ m: new Map() }), /canonicalJson: received a Map object/);
  assert.throws(() => runKey(null as unknown as RunSpec), /runKey: spec is null/);
});
