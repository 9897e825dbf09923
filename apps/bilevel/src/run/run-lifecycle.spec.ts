// The run lifecycle (src/run/) that `bilevel run` and its meta-learning problems share: what one reports, the other
// reports the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT } from '../exit-codes';
import { nodeWithFileSizeLimit } from '../fs-faults';

const BIN = fileURLToPath(new URL('../../bin/bilevel.mjs', import.meta.url));
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);

/** Files of at most this many KiB: a sinusoid checkpoint (~200 KB) fails, its trace, summary and parameters (< 20 KB) fit. */
const FILE_LIMIT_KIB = 100;

test('a meta-learning run counts its failed checkpoint writes in the summary (checkpointFailures), as bilevel run does, and still finishes', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'bilevel-lifecycle-')), 'run');
  // a checkpoint due at every step (1e-9 s of solver time is always past), each attempt failing past the file limit
  const r = nodeWithFileSizeLimit(FILE_LIMIT_KIB, [BIN, 'run', '--problem', 'sinusoid', '--meta-batch', '4', '--test-episodes', '20', '--eval-every', '3', '--max-iter', '6', '--tasks', '50', '--checkpoint-every', '1e-9', '--out', dir, '--json', '--log-level', 'fatal']);

  assert.equal(r.status, EXIT.ok, r.stderr.slice(-2000));
  const summary = lastJson(r.stdout);
  assert.equal(summary.status, 'finished');
  assert.equal(summary.checkpointFailures?.code, 'EFBIG', JSON.stringify(summary.checkpointFailures));
  assert.ok(summary.checkpointFailures.count >= 1);
  assert.equal(summary.checkpoint, undefined, 'no checkpoint was written');
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('checkpoint')), []);
});
