// Fuzzing the `safe-control` command line in process (summary; cli-fuzz.slow.ts runs ≥ 1,000 cases): fast-check
// argv of four kinds over the commands and options the program's `--help` lists — random tokens, real options with
// random / mutated / extreme values, valid command lines (train, verify, simulate on real files) with one field
// mutated, unknown commands. Every case ends with a documented exit code (0, 2, 3: never 1, a throw or an uncaught
// error) within the CPU-time bound; bad input is one error line naming the option or token, with nothing written.
// Runs are kept cheap: 2 iterations, 200 samples, 2 trajectories and a temporary --out come first. The runner and its
// checks are @bilevel/io/testing's, shared with `bilevel`; the cases are cli-fuzz-cases.ts's.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from './exit-codes';
import type { Tally } from '@bilevel/io/testing';
import { formatTally, runCase, withUncaughtTrap } from '@bilevel/io/testing';
import { COUNT_CAP, FOUND_DEFECTS, OVER_CAP, SAFE_CONTROL, cli, VALID_RUNS, cheapPrefix, fuzzCli, makeFixtures, readVocabulary, validRun, withinCountCap } from './cli-fuzz-cases';

/** Per-case bound on CPU time: the runs take 0.3–5 s (the neural track and pendulum's LP the longest); a runaway loop would not. */
const CASE_CPU_MS = 20_000;
/** 100 cases in all. */
const RUNS = { 'random-tokens': 25, 'option-values': 25, 'mutated-valid': 35, 'unknown-command': 15 } as const;

const fixtures = await makeFixtures('safe-control-cli-fuzz-');
const vocab = await readVocabulary();
let tally: Tally | undefined;
after(() => {
  if (tally) console.log(formatTally('safe-control', tally));
  rmSync(fixtures.root, { recursive: true, force: true });
});

test('the vocabulary comes from the program: its commands and each one\'s options', () => {
  assert.deepEqual(vocab.commands, ['train', 'verify', 'simulate', 'help']);
  const flags = (c: string) => vocab.options[c].map((o) => o.flag);
  for (const f of ['--system', '--max-iter', '--samples', '--trajectories', '--out', '--seed', '--json', '--log-level']) assert.ok(flags('train').includes(f), f);
  for (const f of ['--policy', '--certificate', '--samples']) assert.ok(flags('verify').includes(f), f);
  assert.equal(vocab.options.train.find((o) => o.flag === '--json')?.arity, 'none');
});

test(`counts above ${COUNT_CAP} are not generated (cheaper than the program's caps); rejected values pass`, () => {
  assert.equal(withinCountCap(['train', '--trajectories', '100000']), false);
  assert.equal(withinCountCap(['train', '--samples=5e3']), false);
  assert.equal(withinCountCap(['verify', '--max-iter', '0x1000']), false);
  // not safe integers: the program refuses them, so they are generated
  assert.equal(withinCountCap(['train', '--samples', '1e308', '--max-iter', 'x'.repeat(50)]), true);
  assert.equal(withinCountCap(['train', '--samples', '9'.repeat(400), '--trajectories', '9007199254740993']), true);
  assert.equal(withinCountCap(['train', '--samples', String(COUNT_CAP), '--trajectories', 'NaN', '--max-iter', '']), true);
});

test('the valid command lines the mutations start from end with exit 0 or 3 (not certified) with the cheap prefix', async () => {
  await withUncaughtTrap(async (uncaught) => {
    for (const i of VALID_RUNS.keys()) {
      const argv = validRun(i, fixtures);
      const out = join(fixtures.outRoot, `valid-${i}`);
      const r = await runCase(SAFE_CONTROL, [argv[0], ...cheapPrefix(argv[0], out), ...argv.slice(1)], out, CASE_CPU_MS, uncaught);
      assert.deepEqual(r.problems, [], argv.join(' '));
      assert.ok(r.code === EXIT.ok || r.code === EXIT.notCertified, `${argv.join(' ')}: exit ${r.code}`);
    }
  });
});

test(`fuzz: ${Object.values(RUNS).reduce((a, b) => a + b, 0)} generated command lines end with a documented code, a clear error or a run`, { timeout: 180_000 }, async () => {
  tally = await fuzzCli(vocab, fixtures, { runsPerKind: RUNS, seed: 8, maxCpuMs: CASE_CPU_MS, known: [] });
  assert.deepEqual(
    tally.failures.map((f) => ({ argv: f.argv, code: f.code, problems: f.problems.map((p) => p.slice(0, 400)) })),
    [],
  );
  assert.ok((tally.byOutcome.get('bad-input') ?? 0) >= 40, 'most cases are bad input');
});

for (const issue of FOUND_DEFECTS) {
  test(`regression (found by the fuzzer, fixed): ${issue.name} (${issue.argv.join(' ')})`, async () => {
    const out = join(fixtures.outRoot, `known-${issue.argv.join('-').replace(/\W+/g, '')}`);
    const r = await withUncaughtTrap((uncaught) => runCase(SAFE_CONTROL, [issue.argv[0], ...cheapPrefix(issue.argv[0], out), ...issue.argv.slice(1)], out, CASE_CPU_MS, uncaught));
    assert.deepEqual(r.problems, []);
  });
}

test('counts over the caps are refused at once as bad input (they once exhausted the heap)', async () => {
  for (const argv of OVER_CAP) {
    const r = await cli([...argv]);
    assert.equal(r.code, EXIT.badInput, argv.join(' '));
    assert.match(r.stderr, /expected an integer from 1 to /);
  }
});
