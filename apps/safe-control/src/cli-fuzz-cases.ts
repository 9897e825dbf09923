// Test support for the CLI fuzz specs of `safe-control` (cli-fuzz.spec.ts, cli-fuzz.slow.ts; not exported): what is
// particular to `safe-control` — its valid command lines (train, verify, simulate on the files of a real run), the
// values of its options, the cheap options of each command, the cap on generated counts and its fixtures. The
// generic half (the commands and options read from `--help`, the argv generators, the checks of each case, the
// tally) is @bilevel/io/testing, shared with the `bilevel` fuzzer.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { CaseKind, CliUnderTest, FuzzCase, FuzzCliOptions, KnownIssue, Tally, ValueRules, Vocabulary } from '@bilevel/io/testing';
import { caseArbitrary as genericCaseArbitrary, fixtureFolder, fuzzCli as genericFuzzCli, GARBAGE_BYTES, readVocabulary as genericReadVocabulary, tokenArbitrary } from '@bilevel/io/testing';
import { EXIT } from './exit-codes';
import { cli } from './in-process-cli';

export { cli };

/** `safe-control` as the fuzzer drives it: in process, with its documented exit codes and what each means. */
export const SAFE_CONTROL: CliUnderTest = {
  name: 'safe-control',
  run: cli,
  ok: EXIT.ok,
  internal: EXIT.internal,
  badInput: EXIT.badInput,
  documented: new Map<number, string>([
    [EXIT.ok, 'ran'],
    [EXIT.badInput, 'bad-input'],
    [EXIT.notCertified, 'not-certified'],
  ]),
};

/** Reads the commands from `safe-control --help` and the options of each from `safe-control COMMAND --help`. */
export function readVocabulary(): Promise<Vocabulary> {
  return genericReadVocabulary(SAFE_CONTROL);
}

/**
 * Largest count (`--samples`, `--trajectories`, `--max-iter`) a generated case may carry as a valid value: the
 * program sets no upper bound, and the cost grows faster than linearly (`train --system pj --max-iter 2
 * --trajectories N`: N = 1,000 12 s and 189 MiB of heap, N = 5,000 80 s and 762 MiB, N = 100,000 out of a 4 GB heap
 * after 150 s, before the program capped them: see OVER_CAP), which would blow the time bound rather than fail a case.
 */
export const COUNT_CAP = 200;
/** The options COUNT_CAP applies to. */
export const COUNT_OPTIONS: readonly string[] = ['--samples', '--trajectories', '--max-iter'];

/** Files and folders the path-valued options are given (made by {@link makeFixtures}). */
export interface Fixtures {
  readonly root: string;
  readonly paths: readonly string[];
  /** A policy.json and a certificate.json written by a real `train` (certified on PJ). */
  readonly policy: string;
  readonly certificate: string;
  /** Where the cases' `--out` folders go (one fresh name per case). */
  readonly outRoot: string;
}

/**
 * A temporary folder with one of each kind of path: missing, folders, empty, garbage, the files of a real `train`
 * run on PJ (60 iterations, 2,000 samples: certified) and damaged copies of them.
 */
export async function makeFixtures(prefix: string): Promise<Fixtures> {
  const { root, emptyDir, fullDir, outRoot, file } = fixtureFolder(prefix);
  const trained = join(root, 'trained');
  const r = await cli(['train', '--system', 'pj', '--max-iter', '60', '--samples', '2000', '--trajectories', '2', '--out', trained, '--log-level', 'warn']);
  if (r.code !== EXIT.ok) throw new Error(`makeFixtures: train exited ${r.code}: ${r.stderr.slice(0, 400)}`);
  const policy = join(trained, 'policy.json');
  const certificate = join(trained, 'certificate.json');
  const policyText = readFileSync(policy, 'utf8');
  const certText = readFileSync(certificate, 'utf8');
  const paths = [
    join(root, 'missing.json'),
    emptyDir,
    fullDir,
    file('empty.json', ''),
    file('garbage.bin', GARBAGE_BYTES),
    policy,
    certificate,
    file('policy-trunc.json', policyText.slice(0, policyText.length >> 1)),
    file('policy-huge-theta.json', policyText.replace(/"theta": \[[^\]]*\]/, '"theta": [1e308, -1e308, 1e-320]')),
    file('certificate-trunc.json', certText.slice(0, certText.length >> 1)),
    file('certificate-other-system.json', certText.replace(/"system": "pj"/, '"system": "pendulum"')),
    file('array.json', '[1, 2, 3]'),
    '/dev/null',
  ];
  return { root, paths, policy, certificate, outRoot };
}

/**
 * The valid values of the options whose help lists no choices: the systems, the track kinds and the baselines.
 */
export const KNOWN_VALUES: Readonly<Record<string, readonly string[]>> = {
  '--system': ['pj', 'pendulum', 'lane-keeping', 'cartpole', 'inverted-pendulum'],
  '--track': ['poly', 'neural'],
  '--baseline': ['svg'],
};

/** Whether every count in `argv` is within {@link COUNT_CAP} (values the program would reject pass). */
export function withinCountCap(argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].startsWith('--') && argv[i].includes('=') ? [argv[i].slice(0, argv[i].indexOf('=')), argv[i].slice(argv[i].indexOf('=') + 1)] : [argv[i], argv[i + 1]];
    if (!COUNT_OPTIONS.includes(flag) || inline === undefined) continue;
    const n = Number(inline);
    if (inline.trim() !== '' && Number.isSafeInteger(n) && n > COUNT_CAP) return false; // parse-values' integer()
  }
  return true;
}

/**
 * Valid command lines that run in about a second with the cheap prefix (checked by the specs): the starting points
 * of `mutated-valid`. `POLICY` and `CERTIFICATE` stand for the fixtures' files.
 */
export const VALID_RUNS: readonly (readonly string[])[] = [
  ['train', '--system', 'pj', '--seed', '1'],
  ['train', '--system', 'pj', '--baseline', 'svg', '--json'],
  ['train', '--system', 'pendulum', '--max-seconds', '5', '--log-level', 'warn'],
  ['verify', '--system', 'pj', '--policy', 'POLICY', '--certificate', 'CERTIFICATE', '--seed', '2'],
  ['simulate', '--system', 'pj', '--policy', 'POLICY', '--certificate', 'CERTIFICATE', '--trajectories', '3'],
];

/** A valid command line with the fixtures' files in place of `POLICY` and `CERTIFICATE`. */
export function validRun(i: number, fixtures: Fixtures): string[] {
  return VALID_RUNS[i].map((t) => (t === 'POLICY' ? fixtures.policy : t === 'CERTIFICATE' ? fixtures.certificate : t));
}

/**
 * The options every case of a command starts with, so that whatever follows cannot make it expensive or write
 * outside the temporary folder: 2 iterations, 200 samples per condition, 2 trajectories, a fresh `--out`. They come
 * first (a later repetition wins in commander; a trailing option expecting a value would swallow anything appended).
 */
export function cheapPrefix(command: string, out: string): string[] {
  switch (command) {
    case 'train':
      return ['--max-iter', '2', '--samples', '200', '--trajectories', '2', '--out', out];
    case 'verify':
      return ['--samples', '200', '--out', out];
    case 'simulate':
      return ['--trajectories', '2', '--out', out];
    default:
      return [];
  }
}

/** A case's command line as run: the cheap prefix of its command after the command word. */
export function prepare(argv: readonly string[], out: string): string[] {
  return argv.length === 0 ? [] : [argv[0], ...cheapPrefix(argv[0], out), ...argv.slice(1)];
}

/** Arbitrary cases of one kind over the program's vocabulary (without the cheap prefix), counts within COUNT_CAP. */
export function caseArbitrary(kind: CaseKind, vocab: Vocabulary, fixtures: Fixtures): fc.Arbitrary<FuzzCase> {
  const commands = Object.keys(vocab.options);
  // --dashboard serves a page and waits for a browser by design (--dashboard-linger S): kept out of the time-bound
  // cases, its bad input is tested in dashboard/train-dashboard.spec.ts
  const optionsOf = (c: string) => (vocab.options[c] ?? []).filter((o) => o.flag !== '--help' && !o.flag.startsWith('--dashboard'));
  const rules: ValueRules = { paths: fixtures.paths, numeric: /^(n|s)$/, known: KNOWN_VALUES };
  return genericCaseArbitrary(kind, {
    optionsOf,
    rules,
    validRuns: fc.nat({ max: VALID_RUNS.length - 1 }).map((b) => validRun(b, fixtures)),
    heads: [...commands, ...commands, 'help', ''],
    tokens: tokenArbitrary(commands.flatMap(optionsOf).map((o) => o.flag), vocab.commands, fixtures.paths, ['pj', 'pendulum', 'cartpole', 'svg', 'neural', 'poly']),
    commands: vocab.commands,
    unknownCommands: ['Train', 'trian', 'verif', 'VERIFY', 'train ', ' simulate', 't', 'simulate2', 'help-me', 'train=1', '٣', '𝔱𝔯𝔞𝔦𝔫'],
    unknownCommandOptionsOf: 'train',
  }).filter((c) => withinCountCap(c.argv));
}

/** Options of {@link fuzzCli}: what the specs choose. */
export type SafeControlFuzzOptions = Pick<FuzzCliOptions, 'runsPerKind' | 'seed' | 'maxCpuMs' | 'known'>;

/**
 * Runs the generated cases of every kind against `safe-control` in process (the cheap prefix after the command word,
 * a fresh `--out` per case, the fixtures' folder as the working directory) and tallies them.
 */
export function fuzzCli(vocab: Vocabulary, fixtures: Fixtures, options: SafeControlFuzzOptions): Promise<Tally> {
  return genericFuzzCli(SAFE_CONTROL, { ...options, cases: (kind) => caseArbitrary(kind, vocab, fixtures), prepare, cwd: fixtures.root, outRoot: fixtures.outRoot });
}

/**
 * Defects the fuzzer found (now fixed), each with its minimal command line: the fast spec runs each as a regression
 * test, and the fuzz runs count none of them as explained (`known: []`), so a recurrence fails.
 */
export const FOUND_DEFECTS: readonly (KnownIssue & { readonly argv: readonly string[] })[] = [
  // (found and fixed while this was written: `--log-level bogus` was an internal error, exit 1; main.ts now gives
  // the option its choices)
];

/**
 * Counts the fuzzer found unbounded (`train --trajectories 100000` ran out of a 4 GB heap after 150 s; `--samples`
 * likewise), now capped by the program (limits.ts): each must be refused at once as bad input.
 */
export const OVER_CAP: readonly (readonly string[])[] = [
  ['train', '--system', 'pj', '--max-iter', '2', '--trajectories', '100000'],
  ['train', '--system', 'pj', '--max-iter', '2', '--samples', '100000000'],
  ['simulate', '--system', 'pj', '--policy', 'p.json', '--trajectories', '5000'],
];
