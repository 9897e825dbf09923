// Solvers whose parts read what another part published at the same point (MRBO, SUSTAIN, VRBO, BOME) run under their
// own schedule only: another --schedule is one bad-input error naming the option, the solver, its schedule and the
// value received, with nothing written; their own schedule, spelled out, is accepted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from './exit-codes';
import { cli, sharedQuadratic } from './in-process-cli';

const tmp = () => mkdtempSync(join(tmpdir(), 'bilevel-fixed-schedule-'));
/** The quadratic, built once for the eight runs of this file (a second each to build, more than their two steps). */
const quadratic = sharedQuadratic();

for (const [solver, own] of [
  ['mrbo', 'multi-rate:1'],
  ['sustain', 'multi-rate:1'],
  ['vrbo', 'multi-rate:10'],
  ['bome', 'gauss-seidel'],
] as const) {
  test(`${solver}: --schedule jacobi is refused before anything is written; --schedule ${own} runs`, async () => {
    const out = join(tmp(), 'run');
    const bad = await cli(['run', '--problem', 'quadratic', '--solver', solver, '--schedule', 'jacobi', '--max-iter', '2', '--out', out], { buildProblem: quadratic });
    assert.equal(bad.code, EXIT.badInput, bad.stderr);
    assert.match(bad.stderr, new RegExp(`--schedule: ${solver} runs under its own schedule ${own} only .*received jacobi`));
    assert.ok(!existsSync(out), 'nothing written');
    const ok = await cli(['run', '--problem', 'quadratic', '--solver', solver, '--schedule', own, '--max-iter', '2', '--eval-every', '1', '--out', join(tmp(), 'ok'), '--json'], { buildProblem: quadratic });
    assert.equal(ok.code, EXIT.ok, ok.stderr.slice(-400));
  });
}
