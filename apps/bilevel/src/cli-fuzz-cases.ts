// Test support for the CLI fuzz specs (cli-fuzz.spec.ts, cli-fuzz.slow.ts; not exported from the package): the
// option vocabulary read from the program's own `--help` (so new options are fuzzed without editing this file),
// fast-check generators of argv by kind, and the checks every outcome must pass.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { bundledDataPath } from '@bilevel/problems';
import { EXIT } from './exit-codes';
import { cli } from './in-process-cli';

/** One option as `--help` lists it. */
export interface OptionSpec {
  /** Long name with its dashes: `--max-iter`. */
  readonly flag: string;
  /** Short alias (`-h`), if any. */
  readonly short?: string;
  /** Whether it takes a value: `<v>` required, `[v]` optional, none for a switch. */
  readonly arity: 'none' | 'required' | 'optional';
  /** The placeholder of the value (`n`, `file`, `name` …): it picks the value generator. */
  readonly valueName?: string;
  /** `(choices: …)` of the help text. */
  readonly choices?: readonly string[];
}

/** The options of a commander `--help` text (one entry per option, continuation lines folded in). */
export function parseHelpOptions(help: string): OptionSpec[] {
  const section = help.split(/\nOptions:\n/)[1]?.split(/\n(?:Commands|Arguments):\n/)[0] ?? '';
  const entries: string[] = [];
  for (const line of section.split('\n')) {
    if (/^ {2}-/.test(line)) entries.push(line);
    else if (entries.length > 0) entries[entries.length - 1] += ` ${line.trim()}`;
  }
  const specs: OptionSpec[] = [];
  for (const entry of entries) {
    const m = /^ {2}(?:(-[A-Za-z]), )?(--[\w-]+)(?: ([<[])([\w.-]+)[>\]])?/.exec(entry);
    if (!m) continue;
    const choices = /\(choices: ((?:"[^"]*"(?:, ?)?)+)/.exec(entry)?.[1].match(/"([^"]*)"/g)?.map((s) => s.slice(1, -1));
    specs.push({
      flag: m[2],
      ...(m[1] ? { short: m[1] } : {}),
      arity: m[3] === '<' ? 'required' : m[3] === '[' ? 'optional' : 'none',
      ...(m[4] ? { valueName: m[4] } : {}),
      ...(choices ? { choices } : {}),
    });
  }
  return specs;
}

/** The command names of a commander `--help` text (`help` included). */
export function parseHelpCommands(help: string): string[] {
  // the section ends at the first blank line (the help goes on with "Exit codes:" and others)
  const section = (help.split(/\nCommands:\n/)[1] ?? '').split(/\n\s*\n/)[0];
  return section
    .split('\n')
    .map((line) => /^ {2}([\w-]+)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
}

/** What the fuzzer knows about the program, read from its help. */
export interface Vocabulary {
  readonly commands: readonly string[];
  readonly run: readonly OptionSpec[];
}

/** Reads the commands and the options of `run` from `bilevel --help` and `bilevel run --help`. */
export async function readVocabulary(): Promise<Vocabulary> {
  const top = await cli(['--help']);
  const run = await cli(['run', '--help']);
  if (top.code !== EXIT.ok || run.code !== EXIT.ok) throw new Error(`readVocabulary: --help exited ${top.code}, run --help ${run.code}`);
  return { commands: parseHelpCommands(top.stdout), run: parseHelpOptions(run.stdout) };
}

/**
 * Values no parser should trip on: empty and blank, dashes and `=`, every non-finite and signed-zero spelling,
 * overflow and underflow, hex and separators, non-ASCII digits, unicode, a right-to-left override, a NUL byte, very
 * long strings.
 */
export const EXTREME_VALUES: readonly string[] = [
  '', ' ', '\t', '--', '-', '=', '--=', 'NaN', '-0', '0', '-1', '1e308', '-1e308', '1e309', '1e-320', 'Infinity', '-Infinity',
  '0x10', '0b1', '1_000', '1,5', '1.5.2', '9007199254740993', '２', '٣', '1,2,,3', 'null', 'undefined', '{}', '[]', 'true',
  '𝔲𝔫𝔦𝔠𝔬𝔡𝔢 ñ ✓', '\u202eevil', 'a\u0000b', 'x'.repeat(5000), '9'.repeat(400), '../../..', '/',
];

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
  const root = mkdtempSync(join(tmpdir(), prefix));
  const file = (name: string, text: string | Uint8Array) => {
    const path = join(root, name);
    writeFileSync(path, text);
    return path;
  };
  mkdirSync(join(root, 'empty-dir'));
  mkdirSync(join(root, 'full-dir'));
  writeFileSync(join(root, 'full-dir', 'keep.txt'), 'x');
  const outRoot = join(root, 'out');
  mkdirSync(outRoot);
  const paths = [
    join(root, 'missing.csv'),
    join(root, 'empty-dir'),
    join(root, 'full-dir'),
    file('empty.csv', ''),
    file('garbage.bin', Uint8Array.from({ length: 512 }, (_, i) => (i * 151 + 7) & 255)),
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

/** The generator of a value for one option: by its choices, else by the name of its placeholder. */
function valueOf(spec: OptionSpec, fixtures: Fixtures): fc.Arbitrary<string> {
  const extreme = fc.constantFrom(...EXTREME_VALUES);
  const mutate = (s: string) =>
    fc.oneof(
      fc.constant(s.toUpperCase()),
      fc.constant(`${s} `),
      fc.constant(s.slice(0, -1)),
      fc.constant(`${s}${s}`),
      fc.constant(`${s},${s}`),
      fc.string({ maxLength: 3 }).map((t) => `${s}${t}`),
    );
  const cheap = (v: string) => !(EXPENSIVE[spec.flag] ?? []).includes(v);
  if (spec.choices && spec.choices.length > 0) {
    const valid = spec.choices.filter(cheap);
    return fc.oneof({ arbitrary: fc.constantFrom(...valid), weight: 4 }, { arbitrary: fc.constantFrom(...valid).chain(mutate), weight: 2 }, { arbitrary: extreme, weight: 1 });
  }
  const name = spec.valueName ?? '';
  if (/^(file|dir|path)$/.test(name)) {
    return fc.oneof({ arbitrary: fc.constantFrom(...fixtures.paths), weight: 4 }, { arbitrary: extreme, weight: 1 });
  }
  if (/^(n|m|s|p|c|px|sigma|rho|gamma|values)$/.test(name)) {
    const numbers = fc.oneof(
      fc.integer({ min: -3, max: 40 }).map(String),
      fc.double({ noNaN: false }).map(String),
      fc.double({ min: -5, max: 5, noNaN: true }).map((x) => x.toPrecision(3)),
      fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 1, maxLength: 4 }).map((xs) => xs.join(',')),
    );
    return fc.oneof({ arbitrary: numbers, weight: 3 }, { arbitrary: extreme, weight: 2 });
  }
  return fc.oneof({ arbitrary: fc.string({ maxLength: 12 }), weight: 2 }, { arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }), weight: 1 }, { arbitrary: extreme, weight: 2 });
}

/** One occurrence of an option on the command line: `--opt v`, `--opt=v`, the bare flag, or its short form. */
function occurrence(spec: OptionSpec, fixtures: Fixtures): fc.Arbitrary<readonly string[]> {
  if (spec.arity === 'none') {
    return fc.oneof(
      { arbitrary: fc.constant([spec.flag]), weight: 5 },
      { arbitrary: fc.constant(spec.short ? [spec.short] : [spec.flag]), weight: 1 },
      { arbitrary: valueOf(spec, fixtures).map((v) => [`${spec.flag}=${v}`]), weight: 1 },
    );
  }
  return fc.oneof(
    { arbitrary: valueOf(spec, fixtures).map((v) => [spec.flag, v]), weight: 6 },
    { arbitrary: valueOf(spec, fixtures).map((v) => [`${spec.flag}=${v}`]), weight: 2 },
    { arbitrary: fc.constant([spec.flag]), weight: 1 },
  );
}

/** The kinds of generated command lines (the summary counts cases per kind). */
export type CaseKind = 'random-tokens' | 'option-values' | 'mutated-valid' | 'unknown-command';

/** A generated case: the argv and the kind it came from. */
export interface FuzzCase {
  readonly kind: CaseKind;
  readonly argv: readonly string[];
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

/** Arbitrary cases of one kind over the program's vocabulary (without the command word and the cheap prefix). */
export function caseArbitrary(kind: CaseKind, vocab: Vocabulary, fixtures: Fixtures): fc.Arbitrary<FuzzCase> {
  // --dashboard serves a page and waits for a browser by design (--dashboard-linger S, a replay waiting for its page):
  // kept out of the time-bound cases, its bad input is tested in dashboard/dashboard-cli.spec.ts
  const options = vocab.run.filter((o) => o.flag !== '--help' && o.flag !== '--version' && !o.flag.startsWith('--dashboard'));
  const anyOption = fc.constantFrom(...options).chain((o) => occurrence(o, fixtures));
  const token = fc.oneof(
    fc.constantFrom(...options.map((o) => o.flag)),
    fc.constantFrom(...EXTREME_VALUES),
    fc.string({ maxLength: 10 }),
    fc.constantFrom(...vocab.commands.filter((c) => !['bench', 'sweep', 'worker', 'dashboard'].includes(c))), // those run grids, wait for a queue or a browser
    fc.constantFrom(...fixtures.paths),
    fc.constantFrom(...options.flatMap((o) => (o.choices ?? []).filter((v) => !(EXPENSIVE[o.flag] ?? []).includes(v)))),
  );
  switch (kind) {
    case 'random-tokens':
      // whatever the tokens, `run` leads so the cheap prefix applies; a leading `help` or a stray token also occur
      return fc
        .tuple(fc.constantFrom('run', 'run', 'run', 'help', ''), fc.array(token, { maxLength: 8 }))
        .map(([head, rest]) => ({ kind, argv: head === '' ? rest : [head, ...rest] }));
    case 'option-values':
      // a valid command line (half the time) or the bare command, then real options with generated values
      return fc
        .tuple(fc.constantFrom(...VALID_RUNS), fc.boolean(), fc.array(anyOption, { minLength: 1, maxLength: 3 }))
        .map(([base, keep, occ]) => ({ kind, argv: [...(keep ? base : ['run']), ...occ.flat()] }));
    case 'mutated-valid':
      return fc
        .tuple(fc.constantFrom(...VALID_RUNS), fc.nat())
        .chain(([base, at]) => {
          // the field: one option of the valid command line, its value drawn from that option's generator
          const flags = base.map((t, i) => (t.startsWith('--') ? i : -1)).filter((i) => i >= 0);
          const i = flags[at % flags.length];
          const spec = options.find((o) => o.flag === base[i]) ?? { flag: base[i], arity: 'required' as const };
          return fc.tuple(fc.constant(base), fc.constant(i), valueOf(spec, fixtures), anyOption, fc.oneof({ arbitrary: fc.constant(0), weight: 4 }, { arbitrary: fc.nat({ max: 5 }), weight: 3 }));
        })
        .map(([base, i, value, extra, how]) => {
          const argv = [...base];
          const hasValue = i + 1 < argv.length && !argv[i + 1].startsWith('--');
          switch (how) {
            case 0: // the value replaced by one from that option's generator
              if (hasValue) argv[i + 1] = value;
              else argv.splice(i + 1, 0, value);
              break;
            case 1: // the value dropped
              if (hasValue) argv.splice(i + 1, 1);
              else argv.splice(i, 1);
              break;
            case 2: // another option (maybe the same one again)
              argv.push(...extra);
              break;
            case 3: // the flag misspelled
              argv[i] = `${argv[i].slice(0, -1)}${argv[i].endsWith('x') ? 'y' : 'x'}`;
              break;
            case 4: // `--opt=value` form
              argv.splice(i, hasValue ? 2 : 1, `${argv[i]}=${value}`);
              break;
            default: // an end-of-options marker before the field
              argv.splice(i, 0, '--');
          }
          return { kind, argv };
        });
    case 'unknown-command':
      return fc
        .tuple(
          fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom('Run', 'runn', 'rn', 'RUN', 'run ', ' run', 'r', 'bench2', 'help-me', '-run', 'run=1', '٣', '𝔯𝔲𝔫')),
          fc.array(anyOption, { maxLength: 2 }),
        )
        .filter(([name]) => !vocab.commands.includes(name) && !name.startsWith('-'))
        .map(([name, occ]) => ({ kind, argv: [name, ...occ.flat()] }));
  }
}

/** What a case ended as. */
export type Outcome = 'bad-input' | 'ran' | 'help' | 'diverged' | 'monitor-violation';

/** The result of one case, with the problems found in it (empty when the case passed every check). */
export interface CaseResult {
  readonly argv: readonly string[];
  readonly code: number;
  readonly outcome: Outcome | 'crash';
  readonly ms: number;
  readonly errorLine: string;
  readonly problems: readonly string[];
}

/** Exit codes a case may end with, and what each means. */
export const DOCUMENTED_CODES: ReadonlyMap<number, Outcome> = new Map<number, Outcome>([
  [EXIT.ok, 'ran'],
  [EXIT.badInput, 'bad-input'],
  [EXIT.diverged, 'diverged'],
  [EXIT.monitorViolation, 'monitor-violation'],
]);

/** Lines of stderr a bad-input case may print besides its error line: commander's hints. */
const HINT_LINES = [/^\(run with --help for the options\)$/, /^\(Did you mean .+\?\)$/];

/** Whether a stderr line is a structured (pino JSON) log line. */
function isLogLine(line: string): boolean {
  if (!line.startsWith('{')) return false;
  try {
    return typeof (JSON.parse(line) as { level?: unknown }).level === 'number';
  } catch {
    return false;
  }
}

/**
 * Runs one case in process and checks it: a documented exit code (never 1, never a throw, never an uncaught error
 * after it), within `maxMs`; a bad-input case prints exactly one `error:` line (plus commander's hints) that names
 * an option given or one of the argv tokens, and leaves its `--out` folder unwritten.
 */
export async function runCase(argv: readonly string[], out: string, maxMs: number, uncaught: unknown[]): Promise<CaseResult> {
  const problems: string[] = [];
  const before = uncaught.length;
  const t0 = performance.now();
  let code = -1;
  let stdout = '';
  let stderr = '';
  // commander's help exits with process.exitCode, which the test runner sets to 1 once any test failed
  const exitCode = process.exitCode;
  process.exitCode = undefined;
  try {
    ({ code, stdout, stderr } = await cli([...argv]));
  } catch (err) {
    problems.push(`main threw: ${(err as Error)?.stack ?? String(err)}`);
  }
  const ms = performance.now() - t0;
  process.exitCode = exitCode;
  keepOnlyTrap();
  // errors reported asynchronously after the promise settled (rxjs reports a throwing subscriber with setTimeout)
  await new Promise((resolve) => setTimeout(resolve, 5));
  for (const err of uncaught.slice(before)) problems.push(`uncaught after the case: ${(err as Error)?.stack ?? String(err)}`);
  if (code === EXIT.internal) problems.push(`exit 1 (internal error): ${stderr.split('\n').filter((l) => !isLogLine(l)).slice(0, 12).join('\n')}`);
  else if (code !== -1 && !DOCUMENTED_CODES.has(code)) problems.push(`undocumented exit code ${code}`);
  if (ms > maxMs) problems.push(`took ${ms.toFixed(0)} ms (bound ${maxMs} ms)`);
  const text = stderr.split('\n').filter((l) => l !== '' && !isLogLine(l));
  const errorLines = text.filter((l) => /^(bilevel: )?error: /.test(l));
  let outcome: Outcome | 'crash' = problems.length > 0 ? 'crash' : (DOCUMENTED_CODES.get(code) ?? 'crash');
  if (outcome === 'ran' && /^Usage: /m.test(stdout) && !existsSync(out)) outcome = 'help';
  if (code === EXIT.badInput) {
    const usage = text.some((l) => l.startsWith('Usage: '));
    if (usage && errorLines.length === 0) {
      // no command, or `help UNKNOWN`: commander prints the help to stderr (no error line)
      if (argv.length === 0 || argv[0] === 'help') outcome = problems.length > 0 ? 'crash' : 'help';
      else problems.push(`bad input printed the help but no error line`);
    } else {
      // indented lines after the error line are its items (a configuration file's problems, all listed at once)
      const others = text.filter((l) => !errorLines.includes(l) && !HINT_LINES.some((h) => h.test(l)) && !/^ {2}\S/.test(l));
      if (errorLines.length !== 1 || others.length > 0) problems.push(`bad input: expected one error line, got ${errorLines.length} and ${others.length} other lines: ${JSON.stringify(text.slice(0, 4))}`);
      const line = errorLines[0] ?? '';
      const tokens = argv.flatMap((t) => (t.startsWith('--') && t.includes('=') ? [t.slice(0, t.indexOf('=')), t.slice(t.indexOf('=') + 1)] : [t]));
      // an option named, a file read (`bilevel: error: /path/file.csv: line 1, …`: a default data file read in a
      // format an option chose), or a token given (one character only as the subject: `bilevel: error: ٣: …`)
      const names =
        /--[a-z][\w-]*|unknown command|too many arguments/.test(line) ||
        /^bilevel: error: \/[^:]+: /.test(line) ||
        tokens.some((t) => (t.trim().length >= 2 && line.includes(t)) || (t.trim().length === 1 && line.startsWith(`bilevel: error: ${t}: `)));
      if (errorLines.length === 1 && !names) problems.push(`bad input: the error line names no option or token given: ${line}`);
    }
    if (existsSync(out) && readdirSync(out).length > 0) problems.push(`bad input but ${out} was written: ${readdirSync(out).join(', ')}`);
  }
  return { argv, code, outcome, ms, errorLine: errorLines[0] ?? '', problems };
}

const TRAP_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;
/** Errors nobody caught while {@link withUncaughtTrap} was active. */
const trapped: unknown[] = [];
const trap = (err: unknown) => void trapped.push(err);

/**
 * Drops the process-level error handlers a case installed (the tfjs wasm backend adds one that rethrows, which
 * would end the process at the next uncaught error instead of letting the trap count it).
 */
function keepOnlyTrap(): void {
  for (const e of TRAP_EVENTS) for (const l of process.rawListeners(e)) if (l !== trap) process.removeListener(e, l as (...args: unknown[]) => void);
}

/**
 * Collects the errors nobody caught while `body` runs: the test runner's own handlers are set aside (they would
 * fail the test at the first one) and put back after; `body` gets the list the errors go to.
 */
export async function withUncaughtTrap<T>(body: (uncaught: unknown[]) => Promise<T>): Promise<T> {
  const saved = TRAP_EVENTS.map((e) => process.rawListeners(e) as ((...args: unknown[]) => void)[]);
  trapped.length = 0;
  for (const e of TRAP_EVENTS) {
    process.removeAllListeners(e);
    process.on(e, trap);
  }
  try {
    return await body(trapped);
  } finally {
    for (const [k, e] of TRAP_EVENTS.entries()) {
      process.removeAllListeners(e);
      for (const l of saved[k]) process.on(e, l);
    }
  }
}

/** Counts of a fuzz run: cases per kind and per outcome, the slowest case, the distinct error shapes. */
export interface Tally {
  readonly byKind: Map<string, number>;
  readonly byOutcome: Map<string, number>;
  slowestMs: number;
  slowestArgv: readonly string[];
  readonly errorShapes: Set<string>;
  readonly failures: CaseResult[];
  readonly known: Map<string, number>;
}

export const emptyTally = (): Tally => ({ byKind: new Map(), byOutcome: new Map(), slowestMs: 0, slowestArgv: [], errorShapes: new Set(), failures: [], known: new Map() });

const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

/** A problem of a case that is a known defect of code outside this spec, with the name the summary counts it by. */
export interface KnownIssue {
  readonly name: string;
  readonly matches: (result: CaseResult) => boolean;
}

/** Adds a case to the tally: a failure unless every problem is explained by a known issue. */
export function record(tally: Tally, kind: string, result: CaseResult, known: readonly KnownIssue[]): void {
  bump(tally.byKind, kind);
  bump(tally.byOutcome, result.outcome);
  if (result.ms > tally.slowestMs) {
    tally.slowestMs = result.ms;
    tally.slowestArgv = result.argv;
  }
  if (result.errorLine) tally.errorShapes.add(result.errorLine.replace(/'[^']*'|"[^"]*"/g, "'…'").replace(/[0-9][0-9.e+-]*/g, '#').slice(0, 80));
  if (result.problems.length === 0) return;
  const issue = known.find((k) => k.matches(result));
  if (issue) bump(tally.known, issue.name);
  else tally.failures.push(result);
}

/** One summary line: `cli fuzz: bilevel 300 cases (212 bad input, 88 ran, …) by kind (…), slowest …`. */
export function formatTally(program: string, tally: Tally): string {
  const total = [...tally.byKind.values()].reduce((a, b) => a + b, 0);
  const list = (m: Map<string, number>) => [...m.entries()].map(([k, v]) => `${v} ${k}`).join(', ');
  return (
    `cli fuzz: ${program} ${total} cases (${list(tally.byOutcome)}); by kind: ${list(tally.byKind)}; ` +
    `${tally.errorShapes.size} distinct error messages; known issues hit: ${tally.known.size ? list(tally.known) : 'none'}; ` +
    `failures: ${tally.failures.length}; slowest ${tally.slowestMs.toFixed(0)} ms (${JSON.stringify(tally.slowestArgv).slice(0, 160)})`
  );
}

/** Options of {@link fuzzCli}. */
export interface FuzzCliOptions {
  /** Cases per kind. */
  readonly runsPerKind: Readonly<Record<CaseKind, number>>;
  /** fast-check seed (fixed: the same cases every time). */
  readonly seed: number;
  /** Wall-time bound of one case, ms. */
  readonly maxMs: number;
  readonly known: readonly KnownIssue[];
}

/**
 * Runs the generated cases of every kind against `bilevel` in process (the cheap prefix after the command word,
 * a fresh `--out` per case) and tallies them. The working directory is a temporary folder meanwhile, so a
 * relative `--out` or default run folder cannot land in the repository.
 */
export async function fuzzCli(vocab: Vocabulary, fixtures: Fixtures, options: FuzzCliOptions): Promise<Tally> {
  const tally = emptyTally();
  const cwd = process.cwd();
  process.chdir(fixtures.root);
  let n = 0;
  try {
    await withUncaughtTrap(async (uncaught) => {
      for (const kind of Object.keys(options.runsPerKind) as CaseKind[]) {
        await fc.assert(
          fc.asyncProperty(caseArbitrary(kind, vocab, fixtures), async (c) => {
            const out = join(fixtures.outRoot, `case-${n++}`);
            const argv = c.argv[0] === 'run' ? ['run', ...cheapPrefix(out), ...c.argv.slice(1)] : [...c.argv];
            record(tally, kind, await runCase(argv, out, options.maxMs, uncaught), options.known);
          }),
          { numRuns: options.runsPerKind[kind], seed: options.seed, endOnFailure: true },
        );
      }
    });
  } finally {
    process.chdir(cwd);
  }
  return tally;
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
