// `bilevel run --problem sinusoid|fewshot` and `bilevel score`, in process: the run's files, the meta-test rows,
// saved parameters that `score` reproduces, --resume to the bit, and bad input (one line, exit 2, nothing written).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AdmZip from 'adm-zip';
import { bundledOmniglot, encodeGrayPng, EpisodeSampler, splitByAlphabet } from '@bilevel/problems';
import { createLogger } from '@bilevel/telemetry';
import { EXIT } from '../exit-codes';
import { Capture, cli } from '../in-process-cli';
import type { RunConfig } from '../run-command';
import { runCommand } from '../run-command';
import { readMetaParams } from './meta-params-file';
import { readResume } from '../run/read-resume';

const tmp = () => mkdtempSync(join(tmpdir(), 'bilevel-meta-'));
const summaryOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
const traceOf = (dir: string) => readFileSync(join(dir, 'trace.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

/** A short sinusoid run: 10 tasks per step, Adam 1e-2, meta-tests of 100 tasks every 100 steps. */
const SINUSOID = ['run', '--problem', 'sinusoid', '--meta-batch', '10', '--outer-step', '1e-2', '--test-episodes', '100', '--eval-every', '100', '--log-level', 'fatal', '--json'];
/** A tiny few-shot run on the bundled Omniglot: 4 channels, 4 tasks per step, 4 adaptation steps. */
const FEWSHOT = ['run', '--problem', 'fewshot', '--channels', '4', '--meta-batch', '4', '--inner-steps', '4', '--test-episodes', '40', '--eval-every', '5', '--log-level', 'fatal', '--json'];

test('run --problem sinusoid: meta-test rows at the evaluation points, a lower MSE after 300 steps, summary, plot and parameters', async () => {
  const out = join(tmp(), 'run');
  const r = await cli([...SINUSOID, '--solver', 'imaml', '--max-iter', '300', '--out', out]);
  assert.equal(r.code, EXIT.ok, r.stderr);
  const rows = traceOf(out);
  assert.deepEqual(rows.map((t) => t.iter), [0, 100, 200, 300]);
  for (const row of rows) assert.ok(row.episodes === 100 && row.lossCi95 > 0 && Number.isFinite(row.loss) && row.calls.hvp >= 0);
  assert.ok(rows[3].loss < 0.9 * rows[0].loss, `meta-test MSE after one step: ${rows[0].loss} → ${rows[3].loss}`);
  const s = summaryOf(out);
  assert.equal(s.status, 'finished');
  assert.equal(s.metaTest.loss, rows[3].loss);
  assert.equal(s.published.mamlOneStepMse10Shot, 0.77);
  assert.deepEqual(s.model, { kind: 'mlp', inputShape: [1], hidden: [40, 40], outputs: 1, activation: 'relu' });
  for (const f of ['meta-params.json', 'meta-test.svg', 'meta-test.png', 'run-config.json']) assert.ok(existsSync(join(out, f)), f);
  const saved = readMetaParams(join(out, 'meta-params.json'));
  assert.equal(saved.theta.length, s.weights);
  assert.deepEqual(saved.adapt, { innerSteps: 1, innerStep: 0.01, innerTol: 0, innerMethod: 'gd' });
  // score reproduces the run's last meta-test (the same tasks, adaptation and θ)
  const sc = await cli(['score', '--params', join(out, 'meta-params.json'), '--test-episodes', '100']);
  assert.equal(sc.code, EXIT.ok, sc.stderr);
  const scored = JSON.parse(sc.stdout.trim().split('\n').at(-1)!);
  assert.equal(scored.loss.mean, rows[3].loss);
});

test('run --problem fewshot (bundled Omniglot) then score: the parameters reproduce the run\'s last meta-test; fixed episodes from folders', async () => {
  const out = join(tmp(), 'run');
  const r = await cli([...FEWSHOT, '--solver', 'fomaml', '--max-iter', '10', '--out', out]);
  assert.equal(r.code, EXIT.ok, r.stderr);
  const s = summaryOf(out);
  assert.deepEqual(traceOf(out).map((t) => t.iter), [0, 5, 10]);
  assert.ok(s.metaTest.accuracy >= 0 && s.metaTest.accuracy <= 100 && s.metaTest.accuracyCi95 > 0);
  assert.equal(s.problemInfo.ways, 5);
  const params = join(out, 'meta-params.json');
  // the fewshot adaptation defaults: λ = 0.5 and steps of 0.1 (--inner-steps 4 given), the setting at which iMAML's
  // proximal problems are nearly solved on the convnet (docs/meta-learning.md)
  const saved = readMetaParams(params);
  assert.deepEqual({ lambda: saved.lambda, adapt: saved.adapt }, { lambda: 0.5, adapt: { innerSteps: 4, innerStep: 0.1, innerTol: 0, innerMethod: 'gd' } });
  const sc = await cli(['score', '--params', params, '--test-episodes', '40']);
  assert.equal(sc.code, EXIT.ok, sc.stderr);
  const scored = JSON.parse(sc.stdout.trim());
  assert.equal(scored.accuracy.mean, s.metaTest.accuracy);
  assert.match(scored.source, /alphabets Greek, Sanskrit/);
  // three fixed 5-way 1-shot episodes of the held-out alphabets, written as PNG folders (dark strokes on white)
  const dir = join(tmp(), 'episodes');
  const test = splitByAlphabet(bundledOmniglot()).test;
  for (let e = 0; e < 3; e++) {
    const ep = new EpisodeSampler(test, { ways: 5, shots: 1, queries: 2, seed: e, reuseBuffers: false }).next();
    for (const [side, set, per] of [['support', ep.support, 1], ['query', ep.query, 2]] as const) {
      for (let row = 0; row < set.y.length; row++) {
        const cls = join(dir, `episode${e}`, side, `class${set.y[row]}`);
        mkdirSync(cls, { recursive: true });
        const px = Array.from(set.x.subarray(row * 784, (row + 1) * 784), (v) => 1 - v);
        writeFileSync(join(cls, `${row % per}.png`), encodeGrayPng(28, 28, px));
      }
    }
  }
  const fixed = await cli(['score', '--params', params, '--episodes', dir]);
  assert.equal(fixed.code, EXIT.ok, fixed.stderr);
  const f = JSON.parse(fixed.stdout.trim());
  assert.deepEqual([f.episodes, f.ways, f.shots, f.queries], [3, 5, 1, 2]);
  assert.ok(f.accuracy.mean >= 0 && f.accuracy.mean <= 100);
  // malformed episode folders and episodes that do not fit the model: one line naming the path or option, exit 2
  const bad = tmp();
  mkdirSync(join(bad, 'noquery', 'e1', 'support', 'a'), { recursive: true });
  writeFileSync(join(bad, 'noquery', 'e1', 'support', 'a', '0.png'), encodeGrayPng(28, 28, new Array(784).fill(1)));
  mkdirSync(join(bad, 'empty', 'e1', 'support', 'a'), { recursive: true });
  mkdirSync(join(bad, 'empty', 'e1', 'query', 'a'), { recursive: true });
  for (const [args, pattern] of [
    [['--episodes', join(bad, 'noquery')], /noquery[/\\]e1: no query\/ folder; expected <episode>\/support\/<class>\/<image>\.png/],
    [['--episodes', join(bad, 'empty')], /e1[/\\]support[/\\]a: the class folder holds no images/],
    [['--episodes', join(bad, 'missing')], /missing: no such folder/],
    [['--ways', '20', '--test-episodes', '5'], /--ways: the model has 5 outputs \(trained 5-way\) but the episodes are 20-way/],
    [['--shots', '21'], /--shots: 21 shots need 21 drawings per class, .* expected --shots ≤ 20/],
  ] as [string[], RegExp][]) {
    const e = await cli(['score', '--params', params, ...args]);
    assert.equal(e.code, EXIT.badInput, `${args.join(' ')}: ${e.stderr}`);
    assert.match(e.stderr, pattern);
    assert.equal(e.stderr.trim().split('\n').length, 1, e.stderr);
    assert.equal(e.stdout, '');
  }
});

test('run --problem sinusoid interrupted at a checkpoint and resumed: the same θ to the bit and the same oracle counts', async () => {
  const straight = join(tmp(), 'straight');
  assert.equal((await cli([...SINUSOID, '--max-iter', '120', '--eval-every', '40', '--out', straight])).code, EXIT.ok);
  const dir = join(tmp(), 'run');
  let interrupt!: (signal: string) => void;
  const interrupted = new Promise<string>((r) => (interrupt = r));
  const config = {
    problem: 'sinusoid', seed: 0, maxIter: 120, evalEvery: 40, metaBatch: 10, outerStep: 1e-2, testEpisodes: 100, out: dir, json: true, progress: false, standardize: 'train', oracles: 'analytic', format: 'auto',
  } as RunConfig;
  const code = await runCommand(config, {
    stdout: new Capture(),
    log: createLogger({ level: 'fatal', destination: new Capture() }),
    interrupted,
    checkpoints: { everyIterations: 25, onSaved: (_it, written) => written === 2 && interrupt('SIGINT') },
  });
  assert.equal(code, EXIT.interrupted);
  const stopped = summaryOf(dir);
  assert.ok(stopped.iterations < 120 && stopped.iterations >= 50, `stopped at ${stopped.iterations}`);
  // the checkpoint keeps the solver CPU so far (past the last meta-test row's), and the resumed trace goes on from it
  const { resume } = readResume(dir);
  const kept = resume.extra.solverCpuSeconds;
  const lastRow = traceOf(dir).filter((t) => t.iter < resume.state.versions.x.k).at(-1);
  assert.ok(typeof kept === 'number' && kept > lastRow.cpuSeconds, `checkpoint CPU ${kept} after the row of iteration ${lastRow.iter} (${lastRow.cpuSeconds})`);
  const r = await cli(['run', '--resume', dir, '--json', '--log-level', 'fatal']);
  assert.equal(r.code, EXIT.ok, r.stderr);
  const resumed = summaryOf(dir);
  assert.equal(resumed.iterations, 120);
  assert.deepEqual(readMetaParams(join(dir, 'meta-params.json')).theta, readMetaParams(join(straight, 'meta-params.json')).theta, 'θ to the bit');
  assert.deepEqual(resumed.oracleCalls, summaryOf(straight).oracleCalls);
  assert.deepEqual(resumed.metaTest, summaryOf(straight).metaTest);
  const iters = traceOf(dir).map((t) => t.iter);
  assert.deepEqual(iters, [0, 40, 80, 120]);
  const after = traceOf(dir).find((t) => t.iter > resume.state.versions.x.k);
  assert.ok(after.cpuSeconds > kept!, `the first row after the resume (${after.cpuSeconds}) counts the checkpoint's CPU (${kept})`);
});

test('bad input to run and score: one line naming the option, exit 2, nothing written', async () => {
  const base = tmp();
  const flatZip = join(base, 'flat.zip');
  const zip = new AdmZip();
  zip.addFile('notes.txt', Buffer.from('not a drawing'));
  zip.writeZip(flatZip);
  const cases: [string[], RegExp][] = [
    [['run', '--problem', 'fewshot', '--ways', '300'], /--ways: 300-way tasks need 300 classes, but the meta-test alphabets \(Greek, Sanskrit\) have 66 characters \(264 classes with rotations\); expected --ways ≤ 264/],
    [['run', '--problem', 'fewshot', '--ways', '30', '--rotations', 'off', '--test-alphabets', 'Greek'], /--ways: 30-way tasks need 30 classes, but the meta-test alphabets \(Greek\) have 24 characters; expected --ways ≤ 24/],
    [['run', '--problem', 'fewshot', '--shots', '25'], /--shots: 25 shots need 25 drawings per class, but some meta-training characters have only 20; expected --shots ≤ 20/],
    [['run', '--problem', 'fewshot', '--shots', '5', '--queries', '16'], /--queries: 5 shots \+ 16 queries need 21 drawings per class, .* expected --queries ≤ 15/],
    [['run', '--problem', 'fewshot', '--test-alphabets', 'Klingon'], /unknown alphabet "Klingon"/],
    [['run', '--problem', 'sinusoid', '--ways', '5'], /--ways: applies to --problem fewshot, not to sinusoid regression/],
    [['run', '--problem', 'sinusoid', '--solver', 'saba'], /--solver: "saba" does not solve meta-learning problems; expected one of imaml, fomaml, reptile, esj-s/],
    [['run', '--problem', 'sinusoid', '--batch', '8'], /--batch \(use --meta-batch\): does not apply to meta-learning problems/],
    [['run', '--problem', 'sinusoid', '--monitor', 'theorem'], /--monitor: theorem does not apply to meta-learning problems/],
    [['run', '--problem', 'sinusoid', '--solver', 'fomaml', '--cg-steps', '3'], /--cg-steps: sets iMAML's conjugate-gradient steps; fomaml solves no linear system/],
    [['run', '--problem', 'fewshot', '--solver', 'reptile', '--cg-radius', '2'], /--cg-radius: caps iMAML's conjugate-gradient solution; reptile solves no linear system/],
    [['run', '--problem', 'fewshot', '--cg-radius', '0'], /option '--cg-radius <r>' argument '0' is invalid/],
    [['run', '--problem', 'sinusoid', '--schedule', 'jacobi'], /--schedule: .* only gauss-seidel applies/],
    [['run', '--problem', 'logreg-hpo', '--shots', '5'], /--shots: applies to the meta-learning problems \(--problem fewshot \| sinusoid\), not to logreg-hpo/],
    [['run', '--problem', 'fewshot', '--data', join(base, 'missing.zip')], /missing\.zip: no such file or folder/],
    [['run', '--problem', 'fewshot', '--data', flatZip], /flat\.zip: not an Omniglot archive: entry "notes\.txt" is not <alphabet>\/<character>\/<drawing>\.png/],
    [['run', '--problem', 'fewshot', '--test-alphabets', '8'], /--test-alphabets: 8 alphabets held out of 8 .* expected a number from 1 to 7 or alphabet names/],
    [['run', '--problem', 'fewshot', '--test-alphabets', '0'], /--test-alphabets: 0 alphabets held out of 8 .* expected a number from 1 to 7 or alphabet names/],
    [['run', '--problem', 'fewshot', '--ridge', '1'], /--ridge: does not apply to meta-learning problems/],
    [['run', '--problem', 'fewshot', '--ways', '0'], /option '--ways <n>' argument '0' is invalid\. expected a positive integer/],
    [['run', '--problem', 'sinusoid', '--shots', '0'], /option '--shots <k>' argument '0' is invalid/],
  ];
  for (const [args, pattern] of cases) {
    const out = join(base, `out${readdirSync(base).length}`);
    const r = await cli([...args, '--out', out]);
    assert.equal(r.code, EXIT.badInput, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    // one error line, and at most commander's hint after it
    assert.equal(r.stderr.trim().split('\n').filter((l) => l !== '(run with --help for the options)').length, 1, r.stderr);
    assert.ok(!existsSync(out), `${args.join(' ')} wrote ${out}`);
  }
  const junk = join(base, 'junk.json');
  writeFileSync(junk, '{"format": "something-else"}');
  for (const [args, pattern] of [
    [['score', '--params', join(base, 'none.json')], /none\.json/],
    [['score', '--params', junk], /not a meta-parameters file written by `bilevel run --problem fewshot\|sinusoid`/],
  ] as [string[], RegExp][]) {
    const r = await cli(args);
    assert.equal(r.code, EXIT.badInput, r.stderr);
    assert.match(r.stderr, pattern);
  }
});

test('run --config FILE takes the meta-learning options (camelCase keys)', async () => {
  const base = tmp();
  const file = join(base, 'meta.json');
  writeFileSync(file, JSON.stringify({ problem: 'sinusoid', solver: 'reptile', metaBatch: 5, innerSteps: 2, maxIter: 10, evalEvery: 10, testEpisodes: 10, lambda: 50 }));
  const out = join(base, 'run');
  const r = await cli(['run', '--config', file, '--out', out, '--json', '--log-level', 'fatal']);
  assert.equal(r.code, EXIT.ok, r.stderr);
  const s = summaryOf(out);
  assert.deepEqual([s.solver, s.solverOptions.metaBatch, s.solverOptions.innerSteps, s.problemInfo.lambda, s.iterations], ['reptile', 5, 2, 50, 10]);
});
