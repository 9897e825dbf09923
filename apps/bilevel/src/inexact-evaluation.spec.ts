// An exact evaluation whose inner solve stops short of its target is reported: one warning in the log and one line
// on stderr (however many such evaluations), and the summary counts them. Case: the quadratic's closed form at
// x₀ = 1e6·1, where ∇_z G rounds to ‖∇_z G‖ ≈ 1.2e-9 > 1e-10 (measured; 1.2e-12 at x = 1e3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from './exit-codes';
import { cli, sharedQuadratic } from './in-process-cli';

/** The quadratic, built once for both runs of this file. */
const quadratic = sharedQuadratic();

/** Runs the program in process and also captures what it writes to process.stderr directly. */
async function cliWithProcessStderr(args: string[]): Promise<{ code: number; stdout: string; stderr: string; processStderr: string }> {
  const write = process.stderr.write.bind(process.stderr);
  let processStderr = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    processStderr += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    return { ...(await cli(args, { buildProblem: quadratic })), processStderr };
  } finally {
    process.stderr.write = write;
  }
}

test('an evaluation that does not converge warns once (log and stderr) and the summary records it', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'bilevel-inexact-')), 'run');
  const r = await cliWithProcessStderr(['run', '--problem', 'quadratic', '--x0', '1e6', '--max-iter', '4', '--eval-every', '1', '--out', out, '--json']);
  assert.equal(r.code, EXIT.ok, r.stderr);
  const warnings = r.processStderr.split('\n').filter((l) => l.startsWith('warning: '));
  assert.equal(warnings.length, 1, r.processStderr);
  assert.match(warnings[0], /warning: the exact evaluation at iteration 0 did not converge: ‖∇_z G‖ = 1\.\d+e-9 > 1e-10/);
  const logged = r.stderr.split('\n').filter((l) => l.includes('did not converge'));
  assert.equal(logged.length, 1);
  assert.equal(JSON.parse(logged[0]).level, 40, 'pino warn');
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.equal(summary.inexactEvaluations.count, 5, 'iterations 0..4, every one at ‖x‖ ≈ 1e6');
  assert.equal(summary.inexactEvaluations.firstIteration, 0);
  assert.equal(summary.inexactEvaluations.innerTol, 1e-10);
  assert.ok(summary.inexactEvaluations.worstInnerGradNorm > 1e-10);
});

test('a run whose evaluations converge has no such warning and no inexactEvaluations in its summary', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'bilevel-inexact-')), 'run');
  const r = await cliWithProcessStderr(['run', '--problem', 'quadratic', '--max-iter', '4', '--eval-every', '2', '--out', out, '--json']);
  assert.equal(r.code, EXIT.ok, r.stderr);
  assert.doesNotMatch(r.processStderr + r.stderr, /did not converge/);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.equal(summary.inexactEvaluations, undefined);
});
