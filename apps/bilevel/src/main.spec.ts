// End-to-end tests of `bilevel run`, in process (fast) and once through the real `bin/bilevel.mjs`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SOLVERS } from '@bilevel/solvers';
import { EXIT } from './exit-codes';
import { cli, sharedQuadratic } from './in-process-cli';


const tmp = () => mkdtempSync(join(tmpdir(), 'bilevel-cli-'));
/** The quadratic problem of each seed, built once for the runs of this file that take it as it is. */
const quadratic = sharedQuadratic();

test('run on the bundled data: trace, summary, plot, and the summary as the last JSON line', async () => {
  const out = join(tmp(), 'run');
  const r = await cli(['run', '--max-iter', '4000', '--eval-every', '1000', '--out', out, '--json']);
  assert.equal(r.code, EXIT.ok, r.stderr);
  const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  for (const key of ['problem', 'solver', 'iterations', 'solverSeconds', 'x', 'value', 'hypergradNorm', 'backend']) assert.ok(key in last, key);
  assert.equal(last.problem, 'logreg-hpo');
  assert.equal(last.solver, 'saba');
  assert.equal(last.iterations, 4000);
  assert.deepEqual(readdirSync(out).sort(), ['convergence.png', 'convergence.svg', 'run-config.json', 'summary.json', 'trace.jsonl']);
  const trace = readFileSync(join(out, 'trace.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(trace.map((t) => t.iter), [0, 1000, 2000, 3000, 4000]);
  for (const t of trace) for (const k of ['iter', 'solverSeconds', 'value', 'hypergradNorm', 'x']) assert.ok(k in t);
  assert.ok(trace.at(-1).value < trace[0].value, 'h decreases');
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).x, last.x);
  assert.match(readFileSync(join(out, 'convergence.svg'), 'utf8'), /<svg/);
  // stderr holds JSON log lines only (no progress bar with --json)
  for (const line of r.stderr.trim().split('\n')) assert.doesNotThrow(() => JSON.parse(line), line);
});

test('the quadratic problem, SOBA, per-feature x0 and a schedule run from the CLI', async () => {
  const r = await cli(['run', '--problem', 'quadratic', '--solver', 'soba', '--max-iter', '300', '--eval-every', '100', '--x0', '0.5', '--schedule', 'gauss-seidel', '--out', join(tmp(), 'q'), '--json'], { buildProblem: quadratic });
  assert.equal(r.code, EXIT.ok, r.stderr);
  const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  assert.equal(last.x.length, 100);
  assert.equal(last.schedule, 'gauss-seidel');
});

test('--oracles autodiff runs the same problem on tfjs oracles, audited first, and reports the backend', async () => {
  // the finiteness and budget monitors, not the theorem monitor: its per-sample L_max estimate (100 power iterations
  // per training sample, each an HVP through tfjs) was half of this test's time; monitors-cli.spec.ts checks it
  const r = await cli(['run', '--oracles', 'autodiff', '--max-iter', '60', '--eval-every', '30', '--monitor', 'finiteness,budget', '--out', join(tmp(), 'ad'), '--json']);
  assert.equal(r.code, EXIT.ok, r.stderr);
  const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  assert.match(last.backend, /^tfjs-(wasm|cpu|node) \(float32 autodiff\)$/);
  assert.match(r.stderr, /"msg":"tfjs engine"/);
  assert.match(r.stderr, /oracle audit/i);
});

test('part options assemble a single-loop solver from registered parts', async () => {
  const r = await cli(['run', '--solver', 'soba', '--inner-estimator', 'saga', '--step-rule', 'constant', '--max-iter', '200', '--eval-every', '100', '--out', join(tmp(), 'parts'), '--json']);
  assert.equal(r.code, EXIT.ok, r.stderr);
  const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  assert.equal(last.solver, 'custom[z:saga/constant v:sgd/constant x:sgd/constant]');
  assert.equal(last.solverOptions.innerEstimator, 'saga');
});

test('every registered solver runs from the CLI on the default task and on the quadratic', async () => {
  for (const entry of Object.values(SOLVERS)) {
    if (entry.bilevel === false) continue;
    for (const problem of ['logreg-hpo', 'quadratic']) {
      // no reference solve: h* is the same for every solver and costs more than the four steps; one quadratic for all
      // (its construction, about a second, was most of each run of four steps)
      const r = await cli(['run', '--problem', problem, '--solver', entry.name, '--max-iter', '4', '--eval-every', '2', '--reference', 'off', '--out', join(tmp(), `${entry.name}-${problem}`), '--json'], { buildProblem: quadratic });
      assert.equal(r.code, EXIT.ok, `${entry.name} on ${problem}: ${r.stderr.slice(-500)}`);
      const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
      assert.equal(last.iterations, 4);
      assert.ok(last.x.every(Number.isFinite));
    }
  }
});

test('fractional-cd runs on the fractional task and refuses bilevel problems', async () => {
  const out = join(tmp(), 'frac');
  const r = await cli(['run', '--problem', 'fractional', '--solver', 'fractional-cd', '--out', out, '--json']);
  assert.equal(r.code, EXIT.ok, r.stderr);
  const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  assert.equal(last.solver, 'fractional-cd');
  assert.ok(Number.isFinite(last.value) && last.converged);
  const trace = readFileSync(join(out, 'trace.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(trace.every((t, i) => i === 0 || t.value <= trace[i - 1].value + 1e-12), 'F never increases');
  const bad = await cli(['run', '--solver', 'fractional-cd', '--out', join(tmp(), 'x')]);
  assert.equal(bad.code, EXIT.badInput);
  assert.match(bad.stderr, /not bilevel problems: use --problem fractional/);
});

const badInputs: [string, string[], RegExp][] = [
  ['unknown option', ['run', '--bogus'], /unknown option '--bogus'/],
  ['unknown solver', ['run', '--solver', 'nope'], /argument 'nope' is invalid. Allowed choices are soba, saba/],
  ['negative batch', ['run', '--batch', '-3'], /option '--batch <n>' argument '-3' is invalid. expected a positive integer/],
  ['non-numeric step', ['run', '--inner-step', 'fast'], /'--inner-step <rho>' argument 'fast' is invalid/],
  ['zero step', ['run', '--outer-step', '0'], /expected a positive finite number/],
  ['missing file', ['run', '--train', '/nonexistent/data.csv'], /\/nonexistent\/data.csv: cannot read data file \(no such file\)/],
  ['bad x0 length', ['run', '--reg', 'feature', '--x0', '1,2'], /--x0: received 2 values, expected 1 \(broadcast\) or 30/],
  ['bad schedule', ['run', '--schedule', 'sideways'], /--schedule: parseSchedule: unknown schedule "sideways"/],
  ['quadratic with data', ['run', '--problem', 'quadratic', '--train', 'x.csv'], /--train with --problem quadratic: applies to --problem logreg-hpo \| multiclass-hpo only/],
  ['an option of another problem', ['run', '--regularizer', 'foe'], /--regularizer with --problem logreg-hpo: applies to --problem denoise \| deblur only/],
  ['per-class weights on a binary task', ['run', '--reg', 'class'], /--reg class: one weight per class applies to multiclass-hpo/],
  ['a corruption that is not a probability', ['run', '--problem', 'datacleaning', '--corruption', '1.5'], /'--corruption <p>' argument '1.5' is invalid. expected a probability in \[0, 1\]/],
  ['a missing Fashion-MNIST folder', ['run', '--problem', 'datacleaning', '--data', '/nonexistent/fmnist'], /\/nonexistent\/fmnist/],
  ['more training samples than the file holds', ['run', '--problem', 'datacleaning', '--train-size', '5000'], /5000/],
  ['a missing image folder', ['run', '--problem', 'denoise', '--data', '/nonexistent/images'], /\/nonexistent\/images/],
  ['an unknown regularizer', ['run', '--problem', 'denoise', '--regularizer', 'wavelet'], /argument 'wavelet' is invalid. Allowed choices are tv, foe/],
  ['a zero noise level', ['run', '--problem', 'deblur', '--noise', '0'], /'--noise <sigma>' argument '0' is invalid. expected a positive finite number/],
  ['a multiclass file that is not CSV', ['run', '--problem', 'multiclass-hpo', '--train', '/nonexistent/wine.csv'], /\/nonexistent\/wine.csv/],
  ['unknown oracles', ['run', '--oracles', 'magic'], /argument 'magic' is invalid. Allowed choices are analytic, tape, autodiff/],
  ['unknown estimator', ['run', '--inner-estimator', 'adam'], /'--inner-estimator <name>' argument 'adam' is invalid. Allowed choices are sgd, saga, sarah, storm/],
];
for (const [what, args, message] of badInputs) {
  test(`bad input (${what}): one clear message, exit 2, nothing written`, async () => {
    const dir = tmp();
    const out = join(dir, 'out');
    const r = await cli([...args, '--out', out]);
    assert.equal(r.code, EXIT.badInput, r.stderr);
    assert.match(r.stderr, message);
    assert.equal(existsSync(out), false, 'no output folder');
  });
}

test('multiclass-hpo on the bundled wine data: per-class weights, held-out error, h* from the better L-BFGS start', async () => {
  const out = join(tmp(), 'mc');
  const r = await cli(['run', '--problem', 'multiclass-hpo', '--max-iter', '2000', '--eval-every', '1000', '--out', out, '--json']);
  assert.equal(r.code, EXIT.ok, r.stderr);
  const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  assert.equal(last.problem, 'multiclass-hpo');
  assert.equal(last.x.length, 3, 'one weight per class of wine');
  assert.equal(last.problemInfo.reg, 'class');
  for (const k of ['valError', 'testError', 'testLoss']) assert.ok(last.metrics[k] >= 0 && last.metrics[k] <= (k === 'testLoss' ? Infinity : 1), k);
  // h* is the best known local minimum: no run of the solver lands below it
  assert.ok(last.value >= last.hStar * (1 - 1e-9), `h ${last.value} vs h* ${last.hStar}`);
  const feature = await cli(['run', '--problem', 'multiclass-hpo', '--reg', 'feature', '--max-iter', '10', '--eval-every', '10', '--out', join(tmp(), 'mcf'), '--json']);
  assert.equal(JSON.parse(feature.stdout.trim().split('\n').at(-1)!).x.length, 14, `13 features and the bias column: ${feature.stderr.slice(-300)}`);
});

test('datacleaning on the bundled Fashion-MNIST subset: one weight per sample, detector metrics and both baselines', async () => {
  const out = join(tmp(), 'dc');
  const r = await cli(['run', '--problem', 'datacleaning', '--max-iter', '600', '--eval-every', '300', '--out', out, '--json']);
  assert.equal(r.code, EXIT.ok, r.stderr);
  const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  assert.equal(last.x.length, 700);
  assert.equal(last.solverOptions.batchSize, 64, 'the problem\'s recommended batch');
  assert.equal(last.solverOptions.outerStep, 100, 'the problem\'s recommended outer step');
  assert.equal('hStar' in last, false, 'no reference by default');
  assert.equal(last.evaluation, 'iterate', 'evaluated at the solver\'s own z, no inner solve');
  for (const k of ['testError', 'valError', 'detectorPrecision', 'detectorRecall', 'flaggedFraction']) assert.ok(last.metrics[k] >= 0 && last.metrics[k] <= 1, k);
  // the detector is better than chance: about 0.45 of the labels are wrong, so a random flag has precision ≈ 0.45
  assert.ok(last.metrics.detectorPrecision > 0.6, `precision ${last.metrics.detectorPrecision}`);
  assert.ok(last.baselines.corruptedLabelsTestError > 0 && last.baselines.cleanLabelsOnlyTestError > 0);
  const trace = readFileSync(join(out, 'trace.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(trace.map((t) => t.iter), [0, 300, 600]);
});

test('denoise with smoothed TV: learned θ raises the held-out PSNR, and reconstructions.png is written', async () => {
  const out = join(tmp(), 'dn');
  const r = await cli(['run', '--problem', 'denoise', '--max-iter', '40', '--eval-every', '20', '--out', out, '--json']);
  assert.equal(r.code, EXIT.ok, r.stderr);
  const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  assert.equal(last.solver, 'isgd');
  assert.equal(last.x.length, 2);
  const trace = readFileSync(join(out, 'trace.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(trace[0].x, [-5, -5], 'the problem\'s starting point');
  assert.ok(trace.at(-1).metrics.psnrHeldOut > trace[0].metrics.psnrHeldOut + 1, 'at least 1 dB gained in 40 steps');
  const png = readFileSync(join(out, 'reconstructions.png'));
  assert.deepEqual([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''), 'PNG');
});

test('--config fills the options the command line did not give; a bad file is refused whole, nothing written', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ solver: 'soba', 'max-iter': 600, evalEvery: 300, x0: -1 }));
  const r = await cli(['run', '--config', join(dir, 'run.json'), '--max-iter', '900', '--out', join(dir, 'out'), '--json']);
  assert.equal(r.code, EXIT.ok, r.stderr);
  const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  assert.deepEqual([last.solver, last.iterations], ['soba', 900], 'the file chose the solver, the command line the iterations');
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ batch: 0, bogus: true }));
  const bad = await cli(['run', '--config', join(dir, 'bad.json'), '--out', join(dir, 'bad-out')]);
  assert.equal(bad.code, EXIT.badInput);
  assert.match(bad.stderr, /bad\.json: 2 problems in the configuration:\n {2}batch: Too small: expected number to be >=1\n {2}unknown key "bogus"/);
  assert.equal(existsSync(join(dir, 'bad-out')), false);
});

test('a file that is not an image is refused naming it, before anything is written', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'fake.png'), 'not a png at all');
  const out = join(dir, 'out');
  const r = await cli(['run', '--problem', 'denoise', '--data', join(dir, 'fake.png'), '--out', out]);
  assert.equal(r.code, EXIT.badInput, r.stderr);
  assert.match(r.stderr, /fake\.png/);
  assert.equal(existsSync(out), false);
});

test('malformed, non-finite and one-class CSVs are refused naming the file and line', async () => {
  const dir = tmp();
  const cases: [string, string, RegExp][] = [
    ['short.csv', '3,2,a,b\n1,2,0\n1,2\n3,4,1\n', /short.csv: line 3: 2 fields, expected 3/],
    ['nan.csv', '2,1,a,b\nNaN,0\n1,1\n', /nan.csv: line 2, field 1: "NaN" is not a finite number/],
    ['inf.csv', '2,1,a,b\n1,0\nInfinity,1\n', /inf.csv: line 3, field 1: "Infinity"/],
    ['oneclass.csv', '3,1,a,b\n1,1\n2,1\n3,1\n', /oneclass.csv: the label column holds a single class/],
  ];
  for (const [name, text, message] of cases) {
    writeFileSync(join(dir, name), text);
    const out = join(dir, `out-${name}`);
    const r = await cli(['run', '--train', join(dir, name), '--out', out]);
    assert.equal(r.code, EXIT.badInput);
    assert.match(r.stderr, message);
    assert.equal(existsSync(out), false);
  }
});

test('a non-empty output folder is refused, so no earlier run is overwritten', async () => {
  const out = tmp();
  writeFileSync(join(out, 'summary.json'), '{"earlier": true}');
  const r = await cli(['run', '--max-iter', '10', '--out', out]);
  assert.equal(r.code, EXIT.badInput);
  assert.match(r.stderr, /folder is not empty/);
  assert.equal(readFileSync(join(out, 'summary.json'), 'utf8'), '{"earlier": true}');
});

test('a diverging run exits 3 and reports the last finite state', async () => {
  const out = join(tmp(), 'div');
  const r = await cli(['run', '--problem', 'quadratic', '--inner-step', '50', '--max-iter', '1000', '--out', out, '--json'], { buildProblem: quadratic });
  assert.equal(r.code, EXIT.diverged, r.stderr);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.equal(summary.status, 'diverged');
  assert.ok(summary.x.every(Number.isFinite));
  assert.match(summary.divergence.message, /non-finite/);
  assert.match(r.stderr, /non-finite/);
});

test('--help lists every option and exits 0', async () => {
  const r = await cli(['run', '--help']);
  assert.equal(r.code, EXIT.ok);
  for (const opt of ['--problem', '--train', '--val', '--test', '--data', '--held-out', '--train-size', '--val-size', '--corruption', '--ridge', '--regularizer', '--noise', '--patch-size', '--reference', '--reg', '--standardize', '--solver', '--batch', '--inner-step', '--outer-step', '--max-iter', '--max-seconds', '--eval-every', '--seed', '--x0', '--out', '--json']) {
    assert.ok(r.stdout.includes(opt), opt);
  }
});

/** `node bin/bilevel.mjs ARGS` in a child process: its exit code, stdout and stderr (killed after a generous safety net). */
function installedBin(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const bin = fileURLToPath(new URL('../bin/bilevel.mjs', import.meta.url));
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const safety = setTimeout(() => child.kill('SIGKILL'), 300_000);
  return new Promise((resolve, reject) => {
    child.on('error', (err) => (clearTimeout(safety), reject(err)));
    child.on('close', (status) => (clearTimeout(safety), resolve({ status, stdout, stderr })));
  });
}

test('the installed entry point `bin/bilevel.mjs` runs without a build step', async () => {
  const out = join(tmp(), 'bin');
  mkdirSync(out);
  // two independent programs, started together
  const [r, bad] = await Promise.all([installedBin(['run', '--max-iter', '200', '--eval-every', '100', '--out', out, '--json']), installedBin(['run', '--max-iter', 'many'])]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout.trim().split('\n').at(-1)!).iterations, 200);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /'--max-iter <n>' argument 'many' is invalid/);
});
