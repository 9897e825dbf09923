// A fuzz run over a fake program: every case of every kind is run once, prepared, in the fixtures' folder, and
// tallied; a problem is a failure unless a known issue explains it; the working directory comes back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { realpathSync, rmSync } from 'node:fs';
import fc from 'fast-check';
import type { CliUnderTest } from './cli-under-test';
import { fixtureFolder } from './fixture-folder';
import { fuzzCli } from './fuzz-cli';
import { formatTally } from './tally';

const fixtures = fixtureFolder('io-fuzz-cli-');
test.after(() => rmSync(fixtures.root, { recursive: true, force: true }));

/** A fake `prog`: `ok` runs, `bad` is refused naming itself, `crash` is an internal error; it records what it ran where. */
function fakeProgram(seen: { argv: string[]; cwd: string }[]): CliUnderTest {
  return {
    name: 'prog',
    run: async (argv) => {
      seen.push({ argv, cwd: process.cwd() });
      if (argv.includes('crash')) return { code: 1, stdout: '', stderr: 'RangeError: oops\n' };
      if (argv.includes('bad')) return { code: 2, stdout: '', stderr: "prog: error: 'bad' is not an option\n" };
      return { code: 0, stdout: '', stderr: '' };
    },
    ok: 0,
    internal: 1,
    badInput: 2,
    documented: new Map([
      [0, 'ran'],
      [2, 'bad-input'],
    ]),
  };
}

test('every case runs once, prepared, in the fixtures folder; the tally counts them by kind and outcome', async () => {
  const seen: { argv: string[]; cwd: string }[] = [];
  const cwd = process.cwd();
  const tally = await fuzzCli(fakeProgram(seen), {
    cases: (kind) => fc.constantFrom('ok', 'bad').map((word) => ({ kind, argv: ['run', word] })),
    prepare: (argv, out) => [argv[0], '--out', out, ...argv.slice(1)],
    cwd: fixtures.root,
    outRoot: fixtures.outRoot,
    runsPerKind: { 'random-tokens': 7, 'unknown-command': 5 },
    seed: 1,
    maxCpuMs: 60_000,
    known: [],
  });
  assert.equal(process.cwd(), cwd);
  assert.equal(seen.length, 12);
  assert.ok(seen.every((s) => s.cwd === realpathSync(fixtures.root)));
  assert.deepEqual(seen[0].argv.slice(0, 2), ['run', '--out']);
  assert.equal(new Set(seen.map((s) => s.argv[2])).size, 12, 'a fresh --out per case');
  assert.deepEqual([...tally.byKind], [['random-tokens', 7], ['unknown-command', 5]]);
  assert.equal((tally.byOutcome.get('ran') ?? 0) + (tally.byOutcome.get('bad-input') ?? 0), 12);
  assert.deepEqual(tally.failures, []);
  assert.match(formatTally('prog', tally), /^cli fuzz: prog 12 cases \(.*\); by kind: 7 random-tokens, 5 unknown-command; \d distinct error messages?; known issues hit: none; failures: 0; slowest \d+ ms of CPU/);
});

test('a case with a problem is a failure, unless a known issue explains it (then it is counted by name)', async () => {
  const options = {
    cases: () => fc.constant({ kind: 'random-tokens' as const, argv: ['run', 'crash'] }),
    prepare: (argv: readonly string[]) => [...argv],
    cwd: fixtures.root,
    outRoot: fixtures.outRoot,
    runsPerKind: { 'random-tokens': 3 },
    seed: 1,
    maxCpuMs: 60_000,
  };
  const failed = await fuzzCli(fakeProgram([]), { ...options, known: [] });
  assert.equal(failed.failures.length, 3);
  assert.match(failed.failures[0].problems[0], /^exit 1 \(internal error\): RangeError: oops/);
  const known = await fuzzCli(fakeProgram([]), { ...options, known: [{ name: 'oops', matches: (r) => r.problems.some((p) => p.includes('oops')) }] });
  assert.deepEqual(known.failures, []);
  assert.deepEqual([...known.known], [['oops', 3]]);
});
