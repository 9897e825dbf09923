// Test support for the CLI fuzz specs (cli-fuzz.spec.ts, cli-fuzz.slow.ts; not exported from the package): what is
// particular to `bilevel` — its valid command lines, the values of its options, its cheap prefix, its fixtures and
// the defects the fuzzer found. The generic half (the vocabulary read from `--help`, the argv generators, the checks
// of each case, the tally) is @bilevel/io/testing, shared with safe-control's fuzzer.
import { join } from 'node:path';
import fc from 'fast-check';
import { bundledDataPath } from '@bilevel/problems';
import type { CaseKind, CliUnderTest, FuzzCase, FuzzCliOptions, KnownIssue, Tally, ValueRules, Vocabulary } from '@bilevel/io/testing';
import { caseArbitrary as genericCaseArbitrary, fixtureFolder, fuzzCli as genericFuzzCli, GARBAGE_BYTES, readVocabulary as genericReadVocabulary, tokenArbitrary } from '@bilevel/io/testing';
import { EXIT } from './exit-codes';
import { cli } from './in-process-cli';

/** `bilevel` as the fuzzer drives it: in process, with its documented exit codes and what each means. */
export const BILEVEL: CliUnderTest = {
  name: 'bilevel',
  run: cli,
  ok: EXIT.ok,
  internal: EXIT.internal,
  badInput: EXIT.badInput,
  documented: new Map<number, string>([
    [EXIT.ok, 'ran'],
    [EXIT.badInput, 'bad-input'],
    [EXIT.diverged, 'diverged'],
    [EXIT.monitorViolation, 'monitor-violation'],
  ]),
};

/** Reads the commands from `bilevel --help` and the options of `run` from `bilevel run --help`. */
export function readVocabulary(): Promise<Vocabulary> {
  return genericReadVocabulary(BILEVEL, () => ['run']);
}

/**
 * Option values that are valid but whose setup alone is not cheap, kept out of the generated runs (the time bound
 * is for the parser, not the problem): `--problem deblur` builds its blur problem and held-out set before the first
 * iteration (87 s measured with `--max-iter 2`); `--problem deq` evaluates every training sample's equilibrium and the
 * implicit gradient at iterations 0 and 2 (~4 s of CPU, past the bound on a loaded machine).
 */
export const EXPENSIVE: Readonly<Record<string, readonly string[]>> = { '--problem': ['deblur', 'deq'] };

/** Files and folders the path-valued options are given (made by {@link makeFixtures}). */
export interface Fixtures {
  readonly root: string;
  readonly paths: readonly string[];
  /** Where the cases' `--out` folders go (one fresh name per case). */
  readonly outRoot: string;
}

/** A temporary folder with one of each kind of path: missing, folder, empty, garbage, valid data and configs. */
export function makeFixtures(prefix: string): Fixtures {
  const { root, emptyDir, fullDir, outRoot, file } = fixtureFolder(prefix);
  const paths = [
    join(root, 'missing.csv'),
    emptyDir,
    fullDir,
    file('empty.csv', ''),
    file('garbage.bin', GARBAGE_BYTES),
    file('header-only.csv', 'a,b,label\n'),
    file('nan.csv', 'x1,x2,target\n1,NaN,0\n2,3,1\n'),
    bundledDataPath('breast_cancer.csv'),
    file('tiny.libsvm', '1 1:0.5\n-1 2:1\n'),
    file('config-ok.json', JSON.stringify({ solver: 'soba', batch: 8 })),
    file('config-bad.json', JSON.stringify({ batch: -1, bogus: true, x0: 'a' })),
    file('config-trunc.json', '{"solver": "sa'),
    '/dev/null',
  ];
  return { root, paths, outRoot };
}

/**
 * Valid command lines that run in well under a second with `--max-iter 2 --reference off` (checked by the specs):
 * the starting points of `mutated-valid`.
 */
export const VALID_RUNS: readonly (readonly string[])[] = [
  ['run', '--problem', 'logreg-hpo', '--solver', 'saba', '--batch', '16', '--seed', '3', '--eval-every', '1'],
  ['run', '--problem', 'logreg-hpo', '--reg', 'feature', '--solver', 'soba', '--inner-step', '0.05', '--outer-step', '0.01', '--x0', '-1'],
  ['run', '--estimator', 'saga', '--step-rule', 'constant', '--schedule', 'gauss-seidel', '--monitor', 'default', '--json'],
  ['run', '--problem', 'multiclass-hpo', '--reg', 'class', '--solver', 'saba', '--batch', '8', '--log-level', 'warn'],
  ['run', '--problem', 'fractional', '--solver', 'fractional-cd', '--seed', '1'],
];

/**
 * The options every case starts with, so that whatever follows cannot make it expensive or write outside the
 * temporary folder: 2 iterations, no reference solve, a fresh `--out`. They come first (a later repetition of the
 * same option wins in commander, and a trailing option expecting a value would swallow anything appended).
 */
export function cheapPrefix(out: string): string[] {
  return ['--max-iter', '2', '--reference', 'off', '--out', out];
}

/** A case's command line as run: the cheap prefix after `run`; other commands as they are. */
export function prepare(argv: readonly string[], out: string): string[] {
  return argv[0] === 'run' ? ['run', ...cheapPrefix(out), ...argv.slice(1)] : [...argv];
}

/** Arbitrary cases of one kind over the program's vocabulary (without the cheap prefix). */
export function caseArbitrary(kind: CaseKind, vocab: Vocabulary, fixtures: Fixtures): fc.Arbitrary<FuzzCase> {
  // --dashboard serves a page and waits for a browser by design (--dashboard-linger S, a replay waiting for its page):
  // kept out of the time-bound cases, its bad input is tested in dashboard/dashboard-cli.spec.ts
  const options = (vocab.options.run ?? []).filter((o) => o.flag !== '--help' && o.flag !== '--version' && !o.flag.startsWith('--dashboard'));
  const rules: ValueRules = { paths: fixtures.paths, numeric: /^(n|m|s|p|c|px|sigma|rho|gamma|values)$/, numberLists: true, expensive: EXPENSIVE };
  const cheapChoices = options.flatMap((o) => (o.choices ?? []).filter((v) => !(EXPENSIVE[o.flag] ?? []).includes(v)));
  // bench, sweep, worker and dashboard run grids, wait for a queue or a browser
  const commands = vocab.commands.filter((c) => !['bench', 'sweep', 'worker', 'dashboard'].includes(c));
  return genericCaseArbitrary(kind, {
    optionsOf: () => options,
    rules,
    validRuns: fc.constantFrom(...VALID_RUNS),
    // whatever the tokens, `run` leads so the cheap prefix applies; a leading `help` or a stray token also occur
    heads: ['run', 'run', 'run', 'help', ''],
    tokens: tokenArbitrary(options.map((o) => o.flag), commands, fixtures.paths, cheapChoices),
    commands: vocab.commands,
    unknownCommands: ['Run', 'runn', 'rn', 'RUN', 'run ', ' run', 'r', 'bench2', 'help-me', '-run', 'run=1', '٣', '𝔯𝔲𝔫'],
    unknownCommandOptionsOf: 'run',
  });
}

/** Options of {@link fuzzCli}: what the specs choose. */
export type BilevelFuzzOptions = Pick<FuzzCliOptions, 'runsPerKind' | 'seed' | 'maxCpuMs' | 'known'>;

/**
 * Runs the generated cases of every kind against `bilevel` in process (the cheap prefix after the command word, a
 * fresh `--out` per case, the fixtures' folder as the working directory) and tallies them.
 */
export function fuzzCli(vocab: Vocabulary, fixtures: Fixtures, options: BilevelFuzzOptions): Promise<Tally> {
  return genericFuzzCli(BILEVEL, { ...options, cases: (kind) => caseArbitrary(kind, vocab, fixtures), prepare, cwd: fixtures.root, outRoot: fixtures.outRoot });
}

/**
 * Defects the fuzzer found (now fixed), each with its minimal command line: the fast spec runs each as a regression
 * test, and the fuzz runs count none of them as explained (`known: []`), so a recurrence fails.
 */
export const FOUND_DEFECTS: readonly (KnownIssue & { readonly argv: readonly string[] })[] = [
  {
    // e^{x0} overflows: LogregHpo.hypergradient's Cholesky throws a RangeError inside the evaluation subscriber of
    // run-command.ts; main prints it as bad input (exit 2) without naming --x0, after run-config.json and
    // trace.jsonl were written, and rxjs rethrows it asynchronously: the real program dies with exit 1.
    name: 'x0 overflow: cholesky RangeError rethrown by rxjs',
    argv: ['run', '--x0', '1e308'],
    matches: (r) => r.problems.some((p) => /cholesky: matrix is not positive definite/.test(p)),
  },
  {
    // --max-iter accepts 0 (nonNegativeInt) but run-command.ts then calls createProgress({ total: 0 }), whose
    // RangeError is printed as bad input, naming createProgress, after run-config.json and trace.jsonl were written.
    name: 'max-iter 0: createProgress RangeError after files are written',
    argv: ['run', '--max-iter', '0'],
    matches: (r) => r.problems.length >= 1 && /createProgress: options\.total is 0/.test(r.errorLine),
  },
  {
    // a LIBSVM --val beside the bundled (UCI CSV) training data: the training file's class names reach parseLibsvm
    // as options, and its InputError names parseLibsvm's option, neither --val nor the file. FIXTURES stands for
    // the fixtures' folder.
    name: 'LIBSVM --val with UCI --train: the error names parseLibsvm options.classNames',
    argv: ['run', '--val', 'FIXTURES/tiny.libsvm'],
    matches: (r) => r.problems.length === 1 && /parseLibsvm: options\.classNames\[0\]/.test(r.errorLine),
  },
];
