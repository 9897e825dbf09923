// Fuzzing the `bilevel` command line in process, the big run (cli-fuzz.spec.ts is the summary and has the checks
// of the vocabulary): 1,600 generated command lines, the same kinds and checks with another seed.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type { Tally } from '@bilevel/io/testing';
import { formatTally } from '@bilevel/io/testing';
import { fuzzCli, makeFixtures, readVocabulary } from './cli-fuzz-cases';

/** Per-case bound on CPU time (runs < 0.5 s, autodiff's first engine start ~3 s, parse errors < 10 ms). */
const CASE_CPU_MS = 15_000;
const RUNS = { 'random-tokens': 400, 'option-values': 450, 'mutated-valid': 500, 'unknown-command': 250 } as const;

const fixtures = makeFixtures('bilevel-cli-fuzz-slow-');
const vocab = await readVocabulary();
let tally: Tally | undefined;
after(() => {
  if (tally) console.log(formatTally('bilevel', tally));
  rmSync(fixtures.root, { recursive: true, force: true });
});

test(`fuzz: ${Object.values(RUNS).reduce((a, b) => a + b, 0)} generated command lines end with a documented code, a clear error or a run`, { timeout: 20 * 60_000 }, async () => {
  tally = await fuzzCli(vocab, fixtures, { runsPerKind: RUNS, seed: 2026, maxCpuMs: CASE_CPU_MS, known: [] });
  assert.deepEqual(
    tally.failures.map((f) => ({ argv: f.argv, code: f.code, problems: f.problems.map((p) => p.slice(0, 400)) })),
    [],
  );
  assert.ok((tally.byOutcome.get('ran') ?? 0) >= 100, 'some cases ran');
});
