// Hostile inputs of issue 16 (items 1, 2 and 4) through the whole program: devices and pipes given as files, a
// configuration file far over its cap, a decompression bomb, a huge LIBSVM index, very wide data, and a "__proto__"
// key. Inputs that could hang the program or exhaust memory run in a watched child process (child-cli.ts) that is
// killed past a memory cap or a generous safety timeout; the others run in process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from './exit-codes';
import { cli } from './in-process-cli';
import type { ChildOutcome, ChildRun } from './child-cli';
import { childCli } from './child-cli';
import { gzipCsv } from './gzip-csv';

const dir = mkdtempSync(join(tmpdir(), 'bilevel-hostile-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const MiB = 2 ** 20;
/** The program's resident memory before it reads anything (tsx, tfjs, the solvers) is about 250 MiB. */
const SMALL_RSS = 700 * MiB;

/** Exactly one line on stderr, the error, matching `pattern`; exit 2. */
function refusedInOneLine(r: Pick<ChildRun, 'code' | 'stderr'>, pattern: RegExp, what: string): void {
  assert.equal(r.code, EXIT.badInput, `${what}: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `${what}: one line, got ${JSON.stringify(r.stderr)}`);
  assert.match(lines[0], pattern, what);
}

const hasDevZero = existsSync('/dev/zero');

/** The devices and pipes given as files: what, the command line, the one line expected. */
function deviceCases(): [string, string[], RegExp][] {
  const fifo = join(dir, 'fifo'); // no writer ever opens it: opening it for reading would wait forever
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
  const out = join(dir, 'out-devices');
  const cases: [string, string[], RegExp][] = [];
  for (const [path, kind] of [['/dev/zero', 'a character device'], [fifo, 'a pipe \\(FIFO\\)']] as const) {
    const notRegular = (what: string) => new RegExp(`^bilevel: error: ${path}: cannot read ${what} \\(not a regular file but ${kind}; devices, pipes and sockets are not read, give a file\\)$`);
    cases.push([`--train ${path}`, ['run', '--train', path, '--out', out], notRegular('data file')]);
    cases.push([`--val ${path}`, ['run', '--val', path, '--out', out], notRegular('data file')]);
    cases.push([`--config ${path}`, ['run', '--config', path, '--out', out], notRegular('the configuration file')]);
    cases.push([`--data ${path} (denoise)`, ['run', '--problem', 'denoise', '--data', path, '--out', out], notRegular('data file')]);
    cases.push([`--data ${path} (datacleaning)`, ['run', '--problem', 'datacleaning', '--data', path, '--out', out], new RegExp(`^bilevel: error: --data ${path}: not a folder; expected the folder of the four Fashion-MNIST`)]);
  }
  return cases;
}

/** A UCI header CSV of `rows` × `cols` small integers, labels alternating. */
function wideCsv(name: string, rows: number, cols: number): string {
  let text = `${rows},${cols},a,b\n`;
  for (let i = 0; i < rows; i++) text += `${Array.from({ length: cols }, (_, j) => (i * 7 + j) % 3).join(',')},${i % 2}\n`;
  return file(name, text);
}

/**
 * The three watched children of this file (devices and pipes, a 1 GiB --config, 20,000 features), started together
 * by the first test that needs one: each is mostly the program's start, and none depends on another.
 */
let children: { devices?: { cases: [string, string[], RegExp][]; outcome: Promise<ChildOutcome> }; big: Promise<ChildOutcome>; wide: Promise<ChildOutcome> } | undefined;
function watchedChildren(): NonNullable<typeof children> {
  if (children) return children;
  const started = <T,>(p: Promise<T>) => (p.catch(() => undefined), p); // each is awaited (and reported) by its own test
  let devices;
  if (hasDevZero) {
    const cases = deviceCases();
    devices = { cases, outcome: started(childCli(cases.map(([, args]) => args), { maxRssBytes: 2 * 2 ** 30 })) };
  }
  const big = join(dir, 'big.json');
  writeFileSync(big, '');
  truncateSync(big, 2 ** 30);
  const wide = wideCsv('wide.csv', 24, 20_000);
  children = {
    ...(devices ? { devices } : {}),
    big: started(childCli([['run', '--config', big, '--out', join(dir, 'out-big')]])),
    wide: started(childCli([['run', '--train', wide, '--out', join(dir, 'out-wide')]], { timeoutMs: 300_000 })),
  };
  return children;
}

test('devices and pipes given as --train, --val, --config or --data are refused at once in one line (exit 2)', { skip: hasDevZero ? false : 'no /dev/zero' }, async () => {
  const { cases, outcome: running } = watchedChildren().devices!;
  const out = join(dir, 'out-devices');
  const outcome = await running;
  assert.equal(outcome.killed, undefined, `the child was killed (${outcome.killed}) after ${outcome.runs.length} of ${cases.length} runs; ${outcome.stderr}`);
  cases.forEach(([what, , pattern], k) => refusedInOneLine(outcome.runs[k], pattern, what));
  assert.ok(outcome.maxRssBytes < SMALL_RSS, `peak ${outcome.maxRssBytes / MiB} MiB`);
  assert.equal(existsSync(out), false, 'nothing written');
  console.log(`devices and pipes: ${cases.length} refusals, ${outcome.runs.map((r) => r.ms.toFixed(0)).join(', ')} ms each; peak ${(outcome.maxRssBytes / MiB).toFixed(0)} MiB`);
});

test('a sparse 1 GiB --config is refused by its size without being read (small peak memory)', async () => {
  const outcome = await watchedChildren().big;
  assert.equal(outcome.killed, undefined, outcome.stderr);
  refusedInOneLine(outcome.runs[0], /^bilevel: error: .*big\.json: 1073741824 bytes; a configuration file is at most 1048576$/, '1 GiB config');
  assert.ok(outcome.maxRssBytes < SMALL_RSS, `peak ${outcome.maxRssBytes / MiB} MiB`);
  console.log(`1 GiB config: refused in ${outcome.runs[0].ms.toFixed(0)} ms; peak ${(outcome.maxRssBytes / MiB).toFixed(0)} MiB`);
});

test('a gzip bomb (a 53 KB .gz of 26 MB of text) is refused by the memory budget before its matrix is allocated', async () => {
  // 13,000 × 1,000: 104 MB of float64, four times over for the split and the problem: over a 256 MiB budget
  // (hostile-input.slow.ts runs the full-size bomb of the audit, 0.4 MB of gzip and 260 MB of text, at the default)
  const bomb = join(dir, 'bomb.csv.gz');
  await gzipCsv(bomb, '13000,1000,a,b', 13_000, 1000);
  const r = await cli(['run', '--train', bomb, '--memory-budget', '256MiB', '--out', join(dir, 'out-bomb')]);
  refusedInOneLine(r, /^bilevel: error: .*bomb\.csv\.gz: needs dense features 13000 × 1000 × 8 bytes and labels = 99\.2 MiB \+ .* more than the memory budget of 256 MiB/, 'bomb');
});

test('20,000 features (a 960 KB CSV): refused up front by the budget, naming the 20,000² Hessian, in small memory', async () => {
  const outcome = await watchedChildren().wide;
  assert.equal(outcome.killed, undefined, outcome.stderr);
  refusedInOneLine(
    outcome.runs[0],
    /^bilevel: error: .*wide\.csv: needs .* \+ the exact evaluation's dense Hessian 20000 × 20000 × 8 bytes = 2\.98 GiB \(2\.99 GiB in all\), more than the memory budget of 2 GiB; raise it with --memory-budget SIZE/,
    '20,000 features',
  );
  assert.ok(outcome.maxRssBytes < SMALL_RSS, `peak ${outcome.maxRssBytes / MiB} MiB`);
  console.log(`20,000 features: refused in ${outcome.runs[0].ms.toFixed(0)} ms; peak ${(outcome.maxRssBytes / MiB).toFixed(0)} MiB`);
});

test('--memory-budget (and memoryBudget in --config) raises or lowers the limit', async () => {
  const wide = wideCsv('mid.csv', 24, 1500); // a 1500² Hessian: 17.2 MiB
  // no h*, no exact evaluation and no monitors: the theorem monitor's L_h estimate factors the 1500² Hessian at every
  // exact hypergradient (about 20 s of the test for nothing it checks); the budget counts that Hessian all the same
  const fast = ['--reference', 'off', '--evaluate', 'iterate', '--no-monitor', '--max-iter', '5', '--eval-every', '5'];
  const low = await cli(['run', '--train', wide, '--memory-budget', '16MiB', ...fast, '--out', join(dir, 'out-low')]);
  refusedInOneLine(low, /dense Hessian 1500 × 1500 × 8 bytes = 17\.2 MiB .* more than the memory budget of 16 MiB; raise it with --memory-budget/, '16 MiB');
  const high = await cli(['run', '--train', wide, '--memory-budget', '64MiB', ...fast, '--out', join(dir, 'out-high'), '--json']);
  assert.equal(high.code, EXIT.ok, high.stderr);
  const fromFile = await cli(['run', '--train', wide, '--config', file('budget.json', '{"memory-budget": "16MiB"}'), ...fast, '--out', join(dir, 'out-file')]);
  refusedInOneLine(fromFile, /more than the memory budget of 16 MiB/, 'memoryBudget in --config');
  const inBytes = await cli(['run', '--train', wide, '--config', file('bytes.json', `{"memoryBudget": ${64 * MiB}}`), ...fast, '--out', join(dir, 'out-bytes'), '--json']);
  assert.equal(inBytes.code, EXIT.ok, inBytes.stderr);
  const bad = await cli(['run', '--memory-budget', 'lots', '--out', join(dir, 'out-bad')]);
  assert.equal(bad.code, EXIT.badInput);
  assert.match(bad.stderr, /--memory-budget <size>' argument 'lots' is invalid\. expected a size in bytes, e\.g\. 4GiB, 512MiB or 1073741824/);
  const badFile = await cli(['run', '--config', file('bad-budget.json', '{"memoryBudget": "lots"}'), '--out', join(dir, 'out-bad2')]);
  assert.equal(badFile.code, EXIT.badInput);
  assert.match(badFile.stderr, /memoryBudget: expected a size such as "4GiB", "512MiB" or a number of bytes, received "lots"/);
});

test('a 22-byte LIBSVM file with feature index 2,000,000,000 is refused by the memory budget, nothing allocated', async () => {
  const svm = file('huge.svm', '1 1:1\n-1 2000000000:1\n');
  const r = await cli(['run', '--train', svm, '--out', join(dir, 'out-svm')]);
  refusedInOneLine(r, /^bilevel: error: .*huge\.svm: line 2, token 2 "2000000000:1": index 2000000000: needs a dense matrix of at least 1 row × 2000000000 features × 8 bytes = 14\.9 GiB, more than the memory budget of 2 GiB; raise it with --memory-budget/, 'huge index');
});

test('a million features is bad input (exit 2) before anything runs, not a "diverged" run (exit 3)', async () => {
  const svm = file('million.svm', '1 1:1\n-1 1000000:1\n1 2:1\n-1 3:1\n');
  const out = join(dir, 'out-million');
  const r = await cli(['run', '--train', svm, '--out', out]);
  refusedInOneLine(r, /million\.svm: the exact evaluation's dense Hessian 1000000 × 1000000 × 8 bytes: 1000000000000 elements, more than the 4294967296 of the largest array/, 'million features');
  assert.equal(existsSync(out), false);
});

test('a "__proto__" key in --config is reported as an unknown key and nothing is written', async () => {
  const out = join(dir, 'out-proto');
  const config = file('proto.json', `{"__proto__": {"out": ${JSON.stringify(out)}}}`);
  const r = await cli(['run', '--config', config, '--max-iter', '10']);
  assert.equal(r.code, EXIT.badInput, r.stderr);
  assert.match(r.stderr, /proto\.json: 1 problem in the configuration:\n {2}unknown key "__proto__"/);
  assert.equal(existsSync(out), false, 'the key did not reach the options');
});

test('a "__proto__" key in a grid file is reported, wherever it is (a zod record would drop it silently)', async () => {
  // the grid is otherwise invalid too, so that no version of the program runs it
  const grid = file('grid.json', '{"name": "g", "solvers": ["nope"], "seeds": [0], "problems": [{"name": "quadratic", "batch": 1, "maxIter": 1, "evalEvery": 1, "evaluation": "exact", "metric": "suboptimality", "tolerances": [1], "overrides": {"__proto__": {"evalEvery": 2}}}]}');
  const r = await cli(['sweep', grid, '--out', join(dir, 'out-grid')]);
  assert.equal(r.code, EXIT.badInput, r.stderr);
  assert.match(r.stderr, /grid\.json: unknown key "__proto__" in problems\.0\.overrides/);
});
