// Fuzzing the `safe-control` command line in process, the big run (cli-fuzz.spec.ts is the summary and checks the
// vocabulary and the valid starting points): 1,000 generated command lines, the same kinds and checks, another seed.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type { Tally } from '@bilevel/io/testing';
import { formatTally } from '@bilevel/io/testing';
import { fuzzCli, makeFixtures, readVocabulary } from './cli-fuzz-cases';

/** Per-case bound on CPU time (runs 0.3–5 s, parse errors < 10 ms). */
const CASE_CPU_MS = 20_000;
const RUNS = { 'random-tokens': 250, 'option-values': 250, 'mutated-valid': 350, 'unknown-command': 150 } as const;

const fixtures = await makeFixtures('safe-control-cli-fuzz-slow-');
const vocab = await readVocabulary();
let tally: Tally | undefined;
after(() => {
  if (tally) console.log(formatTally('safe-control', tally));
  rmSync(fixtures.root, { recursive: true, force: true });
});

test(`fuzz: ${Object.values(RUNS).reduce((a, b) => a + b, 0)} generated command lines end with a documented code, a clear error or a run`, { timeout: 30 * 60_000 }, async () => {
  tally = await fuzzCli(vocab, fixtures, { runsPerKind: RUNS, seed: 2026, maxCpuMs: CASE_CPU_MS, known: [] });
  assert.deepEqual(
    tally.failures.map((f) => ({ argv: f.argv, code: f.code, problems: f.problems.map((p) => p.slice(0, 400)) })),
    [],
  );
  assert.ok((tally.byOutcome.get('ran') ?? 0) + (tally.byOutcome.get('not-certified') ?? 0) >= 50, 'some cases ran');
});
