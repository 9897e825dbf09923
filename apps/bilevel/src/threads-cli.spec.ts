// `bilevel run --threads N`: the trace and the final x are those of one thread to the bit, and what threads cannot
// carry is refused in one line before anything is written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './in-process-cli';
import { EXIT } from './exit-codes';

const tmp = () => mkdtempSync(join(tmpdir(), 'bilevel-threads-'));
/** The trace rows without their timings (the only field threads may change). */
const traceOf = (out: string) =>
  readFileSync(join(out, 'trace.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .map(({ solverSeconds: _s, ...rest }) => rest);

for (const [problem, threads, iters] of [['logreg-hpo', '3', '2000'], ['datacleaning', '2', '200']] as const) {
  test(`--threads ${threads} on ${problem}: the same trace and final x as one thread, to the bit`, async () => {
    const one = join(tmp(), 'one');
    const many = join(tmp(), 'many');
    const args = ['run', '--problem', problem, '--max-iter', iters, '--eval-every', String(Number(iters) / 4), '--json'];
    const a = await cli([...args, '--out', one]);
    const b = await cli([...args, '--threads', threads, '--out', many]);
    assert.equal(a.code, EXIT.ok, a.stderr);
    assert.equal(b.code, EXIT.ok, b.stderr);
    assert.deepEqual(traceOf(many), traceOf(one));
    assert.deepEqual(JSON.parse(readFileSync(join(many, 'summary.json'), 'utf8')).x, JSON.parse(readFileSync(join(one, 'summary.json'), 'utf8')).x);
    assert.ok(!existsSync(join(many, 'checkpoint.bin')), 'a threaded run writes no checkpoint');
  });
}

for (const [extra, message] of [
  [['--threads', '4'], /--threads 4: expected 1, 2 or 3/],
  [['--threads', '2', '--problem', 'quadratic'], /--threads 2 with --problem quadratic: applies to --problem datacleaning \| logreg-hpo only/],
  [['--threads', '2', '--solver', 'srba'], /--threads 2 with --solver srba: applies to --solver saba \| soba/],
  [['--threads', '2', '--inner-estimator', 'sgd'], /--threads 2 with --solver saba: applies to --solver saba \| soba without part options only/],
] as const) {
  test(`bilevel run ${extra.join(' ')} is refused in one line, nothing written`, async () => {
    const out = join(tmp(), 'refused');
    const r = await cli(['run', ...extra, '--max-iter', '10', '--out', out]);
    assert.equal(r.code, EXIT.badInput);
    assert.match(r.stderr, message);
    assert.ok(!existsSync(out));
  });
}
