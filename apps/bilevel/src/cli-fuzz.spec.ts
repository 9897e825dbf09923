// Fuzzing the `bilevel` command line in process (summary; cli-fuzz.slow.ts runs ≥ 1,000 cases): fast-check argv of
// four kinds over the options `bilevel run --help` lists — random tokens, real options with random / mutated /
// extreme values, valid command lines with one field mutated, unknown commands. Every case ends with a documented
// exit code (never 1, a throw or an uncaught error) within the CPU-time bound; bad input is one error line naming
// the option or token, with nothing written. Runs are kept cheap: `--max-iter 2 --reference off --out <temp>` first.
// The runner and its checks are @bilevel/io/testing's, shared with safe-control; the cases are cli-fuzz-cases.ts's.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from './exit-codes';
import type { Tally } from '@bilevel/io/testing';
import { formatTally, runCase, withUncaughtTrap } from '@bilevel/io/testing';
import { BILEVEL, FOUND_DEFECTS, VALID_RUNS, cheapPrefix, fuzzCli, makeFixtures, readVocabulary } from './cli-fuzz-cases';

/** Per-case bound on CPU time: the runs take < 0.5 s and the parse errors < 10 ms; a runaway loop would not. */
const CASE_CPU_MS = 15_000;
/** 100 cases in all (~10 s). */
const RUNS = { 'random-tokens': 25, 'option-values': 25, 'mutated-valid': 35, 'unknown-command': 15 } as const;

const fixtures = makeFixtures('bilevel-cli-fuzz-');
const vocab = await readVocabulary();
let tally: Tally | undefined;
after(() => {
  if (tally) console.log(formatTally('bilevel', tally));
  rmSync(fixtures.root, { recursive: true, force: true });
});

test('the vocabulary comes from the program: every run option with its value placeholder and choices', () => {
  const run = vocab.options.run;
  const flags = run.map((o) => o.flag);
  for (const f of ['--problem', '--max-iter', '--reference', '--out', '--x0', '--config', '--checkpoint-every', '--resume', '--json']) assert.ok(flags.includes(f), f);
  assert.ok(run.length >= 40, `${run.length} options`);
  assert.deepEqual(run.find((o) => o.flag === '--reference')?.choices, ['auto', 'on', 'off']);
  assert.equal(run.find((o) => o.flag === '--json')?.arity, 'none');
  assert.equal(run.find((o) => o.flag === '--max-iter')?.valueName, 'n');
  assert.ok(run.find((o) => o.flag === '--solver')!.choices!.includes('saba'));
  assert.deepEqual(vocab.commands, ['run', 'dashboard', 'score', 'bench', 'sweep', 'worker', 'help']);
});

test('the valid command lines the mutations start from run to the end (exit 0) with the cheap prefix', async () => {
  await withUncaughtTrap(async (uncaught) => {
    for (const [i, argv] of VALID_RUNS.entries()) {
      const out = join(fixtures.outRoot, `valid-${i}`);
      const r = await runCase(BILEVEL, ['run', ...cheapPrefix(out), ...argv.slice(1)], out, CASE_CPU_MS, uncaught);
      assert.deepEqual(r.problems, [], argv.join(' '));
      assert.equal(r.code, EXIT.ok, argv.join(' '));
    }
  });
});

test(`fuzz: ${Object.values(RUNS).reduce((a, b) => a + b, 0)} generated command lines end with a documented code, a clear error or a run`, { timeout: 120_000 }, async () => {
  tally = await fuzzCli(vocab, fixtures, { runsPerKind: RUNS, seed: 8, maxCpuMs: CASE_CPU_MS, known: [] });
  assert.deepEqual(
    tally.failures.map((f) => ({ argv: f.argv, code: f.code, problems: f.problems.map((p) => p.slice(0, 400)) })),
    [],
  );
  assert.ok((tally.byOutcome.get('ran') ?? 0) >= 10, 'some cases ran');
  assert.ok((tally.byOutcome.get('bad-input') ?? 0) >= 40, 'most cases are bad input');
});

for (const issue of FOUND_DEFECTS) {
  test(`regression (found by the fuzzer, fixed): ${issue.name} (${issue.argv.join(' ')})`, async () => {
    const out = join(fixtures.outRoot, `known-${issue.argv.join('-').replace(/\W+/g, '')}`);
    const argv = issue.argv.map((t) => t.replace('FIXTURES', fixtures.root));
    const r = await withUncaughtTrap((uncaught) => runCase(BILEVEL, [argv[0], ...cheapPrefix(out), ...argv.slice(1)], out, CASE_CPU_MS, uncaught));
    assert.deepEqual(r.problems, []);
  });
}
