// `bilevel run --problem deq`, in process: the default run on the bundled Fashion-MNIST subset writes a trace with the
// test accuracy, seconds per step of the forward and backward passes, forward iterations and the cosine to the
// exact direction; a conv layer on a digits-layout CSV; forward solves that miss their budget end their steps with
// findings; and bad input is one clear error, exit 2, nothing written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from './exit-codes';
import { cli } from './in-process-cli';

const tmp = () => mkdtempSync(join(tmpdir(), 'bilevel-deq-'));
const traceOf = (dir: string) =>
  readFileSync(join(dir, 'trace.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

test('run --problem deq: SHINE training on the bundled subset; the trace has test accuracy, seconds per step, forward iterations and the cosine to the exact direction', async () => {
  const out = join(tmp(), 'deq');
  const r = await cli(['run', '--problem', 'deq', '--hidden', '32', '--outer-step', '3e-3', '--max-iter', '40', '--eval-every', '20', '--out', out, '--json']);
  assert.equal(r.code, EXIT.ok, r.stderr);
  const last = JSON.parse(r.stdout.trim().split('\n').at(-1) as string);
  assert.equal(last.problem, 'deq');
  assert.equal(last.solver, 'deq-shine');
  assert.equal(last.solverOptions.forward, 'broyden');
  assert.deepEqual(last.monitors.names, ['forward-solve']);
  const rows = traceOf(out).filter((row) => !('finding' in row));
  assert.deepEqual(rows.map((row) => row.iter), [0, 20, 40]);
  const m0 = rows[0].metrics as Record<string, number>;
  const m = rows[2].metrics as Record<string, number>;
  for (const k of ['testAccuracy', 'trainAccuracy', 'forwardSeconds', 'backwardSeconds', 'updateSeconds', 'forwardIterations', 'backwardProducts', 'cosine', 'gradientCosine']) assert.ok(k in m, k);
  assert.ok(m.testAccuracy > m0.testAccuracy + 0.2, `test accuracy ${m0.testAccuracy} → ${m.testAccuracy}`);
  assert.ok(m.cosine > 0.5 && m.cosine < 1, `SHINE's cosine ${m.cosine}`);
  assert.equal(m.backwardProducts, 0, 'SHINE makes no Jacobian product');
  assert.ok(m.forwardIterations > 0 && m.forwardSeconds > 0);
  assert.ok((rows[2].value as number) < (rows[0].value as number), 'the training loss decreases');
});

test('run --problem deq --layer conv --backward exact on a digits-layout CSV (8 × 8 images)', async () => {
  const dir = tmp();
  const file = join(dir, 'digits.csv');
  // 60 samples of 64 pixels in 0…16: class c has a bright column c (separable)
  const lines = Array.from({ length: 60 }, (_, i) => {
    const c = i % 4;
    return [...Array.from({ length: 64 }, (_, j) => (j % 8 === c ? 16 : (i * 7 + j) % 5)), c].join(',');
  });
  writeFileSync(file, lines.join('\n') + '\n');
  const out = join(dir, 'run');
  const r = await cli(['run', '--problem', 'deq', '--data', file, '--layer', 'conv', '--hidden', '2', '--backward', 'exact', '--batch', '16', '--max-iter', '6', '--eval-every', '6', '--out', out, '--json']);
  assert.equal(r.code, EXIT.ok, r.stderr);
  const last = JSON.parse(r.stdout.trim().split('\n').at(-1) as string);
  assert.equal(last.problemInfo.layer, 'conv');
  assert.equal(last.problemInfo.stateDim, 2 * 4 * 4);
  const m = traceOf(out).at(-1)?.metrics as Record<string, number>;
  assert.ok(m.backwardProducts > 0);
  assert.ok(Math.abs(m.cosine - 1) < 1e-6, `the exact pass against itself: ${m.cosine}`);
});

test('run --problem deq: forward solves that miss their budget end their steps with findings in the trace and the summary', async () => {
  const out = join(tmp(), 'budget');
  const r = await cli(['run', '--problem', 'deq', '--hidden', '16', '--forward-tol', '1e-12', '--forward-max-iter', '2', '--max-iter', '4', '--eval-every', '2', '--out', out, '--json']);
  assert.equal(r.code, EXIT.ok, r.stderr);
  const last = JSON.parse(r.stdout.trim().split('\n').at(-1) as string);
  assert.equal(last.monitors.counts.warning, 2);
  const findings = traceOf(out).filter((row) => 'finding' in row).map((row) => row.finding as { monitor: string; message: string });
  assert.equal(findings.length, 2);
  assert.ok(findings.every((f) => f.monitor === 'forward-solve' && /did not converge within the budget of 2 iterations/.test(f.message) && /skipped/.test(f.message)));
  const rows = traceOf(out).filter((row) => !('finding' in row));
  assert.equal((rows.at(-1)?.metrics as Record<string, number>).forwardFailures, 4);
  assert.deepEqual(last.x.slice(0, 5), (JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { x: number[] }).x.slice(0, 5));
});

test('run --problem deq: bad input is one clear error (exit 2) and nothing is written', async () => {
  const cases: [string[], RegExp][] = [
    [['--backward', 'shine', '--forward', 'anderson'], /--backward shine --forward anderson: backward "shine" reuses the forward pass's Broyden inverse, so it needs forward "broyden", received forward "anderson"/],
    [['--backward', 'shine-opa', '--forward', 'anderson'], /needs forward "broyden"/],
    [['--backward', 'exact', '--refine', '3'], /--refine: refine applies to the approximate backward passes/],
    [['--solver', 'soba'], /--solver \(the DEQ trains with its own streams; choose the backward pass with --backward\): does not apply to --problem deq/],
    [['--schedule', 'jacobi'], /--schedule .*: does not apply to --problem deq/],
    [['--data', '/nonexistent/fashion'], /\/nonexistent\/fashion: no such file or folder/],
  ];
  for (const [args, message] of cases) {
    const out = join(tmp(), 'never');
    const r = await cli(['run', '--problem', 'deq', ...args, '--out', out]);
    assert.equal(r.code, EXIT.badInput, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(existsSync(out), false);
  }
  const other = await cli(['run', '--problem', 'quadratic', '--backward', 'jfb', '--out', join(tmp(), 'never')]);
  assert.equal(other.code, EXIT.badInput);
  assert.match(other.stderr, /--backward with --problem quadratic: applies to --problem deq only/);
});
