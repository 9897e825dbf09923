// The generators of command lines: each mutation of a valid command line, and what each kind of case may and may not
// draw (fast-check properties over a small vocabulary).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { CaseSpace } from './argv-arbitraries';
import { caseArbitrary, EXTREME_VALUES, mutateField, optionValue, tokenArbitrary } from './argv-arbitraries';
import type { OptionSpec } from './help-options';

const OPTIONS: readonly OptionSpec[] = [
  { flag: '--max-iter', arity: 'required', valueName: 'n' },
  { flag: '--problem', arity: 'required', valueName: 'name', choices: ['quadratic', 'deblur'] },
  { flag: '--system', arity: 'required', valueName: 'name' },
  { flag: '--train', arity: 'required', valueName: 'file' },
  { flag: '--json', short: '-j', arity: 'none' },
];
const PATHS = ['/f/missing.csv', '/f/empty-dir'];
const VALID: readonly (readonly string[])[] = [
  ['run', '--problem', 'quadratic', '--max-iter', '3'],
  ['run', '--json', '--train', '/f/missing.csv'],
];
const SPACE: CaseSpace = {
  optionsOf: () => OPTIONS,
  rules: { paths: PATHS, numeric: /^n$/, expensive: { '--problem': ['deblur'] }, known: { '--system': ['pj', 'pendulum'] } },
  validRuns: fc.constantFrom(...VALID),
  heads: ['run', 'help', ''],
  tokens: tokenArbitrary(OPTIONS.map((o) => o.flag), ['run', 'help'], PATHS, ['quadratic']),
  commands: ['run', 'help'],
  unknownCommands: ['Run', 'rn'],
  unknownCommandOptionsOf: 'run',
};
const RUNS = { numRuns: 300, seed: 5 };

test('each mutation of one field of a valid command line', () => {
  const base = ['run', '--max-iter', '3', '--json'];
  assert.deepEqual(mutateField(base, 1, '-1', ['--x'], 0), ['run', '--max-iter', '-1', '--json']);
  assert.deepEqual(mutateField(base, 3, 'v', ['--x'], 0), ['run', '--max-iter', '3', '--json', 'v']);
  assert.deepEqual(mutateField(base, 1, '-1', ['--x'], 1), ['run', '--max-iter', '--json']);
  assert.deepEqual(mutateField(base, 3, '-1', ['--x'], 1), ['run', '--max-iter', '3']);
  assert.deepEqual(mutateField(base, 1, '-1', ['--seed', '2'], 2), ['run', '--max-iter', '3', '--json', '--seed', '2']);
  assert.deepEqual(mutateField(base, 1, '-1', [], 3), ['run', '--max-itex', '3', '--json']);
  assert.deepEqual(mutateField(['run', '--max'], 1, '-1', [], 3), ['run', '--may']);
  assert.deepEqual(mutateField(base, 1, '-1', [], 4), ['run', '--max-iter=-1', '--json']);
  assert.deepEqual(mutateField(base, 1, '-1', [], 5), ['run', '--', '--max-iter', '3', '--json']);
  assert.deepEqual(base, ['run', '--max-iter', '3', '--json'], 'the valid command line is not changed');
});

test('values: choices but the expensive ones, known values, paths and numbers, with the extreme values among them', () => {
  fc.assert(fc.property(optionValue(OPTIONS[1], SPACE.rules), (v) => v !== 'deblur'), RUNS);
  const seen = (spec: OptionSpec) => new Set(fc.sample(optionValue(spec, SPACE.rules), RUNS));
  assert.ok(seen(OPTIONS[1]).has('quadratic'));
  const systems = seen(OPTIONS[2]);
  assert.ok(systems.has('pj') && systems.has('pendulum'));
  const paths = seen(OPTIONS[3]);
  assert.ok(PATHS.every((p) => paths.has(p)));
  assert.ok([...paths].every((p) => PATHS.includes(p) || EXTREME_VALUES.includes(p)));
  const numbers = [...seen(OPTIONS[0])];
  assert.ok(numbers.some((n) => /^-?\d+$/.test(n)) && numbers.some((n) => EXTREME_VALUES.includes(n)));
  assert.ok(!numbers.some((n) => /^-?\d+(,-?\d+)+$/.test(n) && !EXTREME_VALUES.includes(n)), 'no lists unless numberLists');
});

test('each kind of case draws what it says', () => {
  fc.assert(fc.property(caseArbitrary('random-tokens', SPACE), (c) => c.kind === 'random-tokens' && c.argv.length <= 9), RUNS);
  fc.assert(
    fc.property(caseArbitrary('option-values', SPACE), (c) => {
      const flags = OPTIONS.flatMap((o) => [o.flag, o.short]);
      return c.argv[0] === 'run' && c.argv.some((t) => flags.includes(t) || flags.some((f) => f && t.startsWith(`${f}=`)));
    }),
    RUNS,
  );
  fc.assert(fc.property(caseArbitrary('mutated-valid', SPACE), (c) => c.argv[0] === 'run' || c.argv[0] === '--'), RUNS);
  fc.assert(fc.property(caseArbitrary('unknown-command', SPACE), (c) => !SPACE.commands.includes(c.argv[0]) && !c.argv[0].startsWith('-')), RUNS);
});
