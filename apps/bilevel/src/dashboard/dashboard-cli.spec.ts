// `bilevel run --dashboard` in process, without a browser: bad dashboard options are refused before anything is
// written or served; a run with no page open serves its address while it runs and stops the server with the run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '../exit-codes';
import { cli } from '../in-process-cli';

const tmp = () => mkdtempSync(join(tmpdir(), 'bilevel-dashboard-'));

test('--dashboard-linger without --dashboard, and --dashboard on a task without streams, are bad input (exit 2, nothing written)', async () => {
  const out = join(tmp(), 'run');
  const linger = await cli(['run', '--dashboard-linger', '5', '--out', out]);
  assert.equal(linger.code, EXIT.badInput);
  assert.match(linger.stderr, /--dashboard-linger.*add --dashboard/);
  const meta = await cli(['run', '--problem', 'sinusoid', '--dashboard', '--out', out]);
  assert.equal(meta.code, EXIT.badInput);
  assert.match(meta.stderr, /--dashboard.*--problem sinusoid runs its own loop/);
  const negative = await cli(['run', '--dashboard', '--dashboard-linger', '-1', '--out', out]);
  assert.equal(negative.code, EXIT.badInput);
  assert.equal(existsSync(out), false, 'nothing written');
  assert.doesNotMatch(linger.stderr + meta.stderr + negative.stderr, /dashboard: http/, 'no server started');
});

test('a run with --dashboard and no page open: the address with its token on stderr, the run as without it, the server gone at the end', async () => {
  const out = join(tmp(), 'run');
  const r = await cli(['run', '--dashboard', '--max-iter', '2000', '--eval-every', '500', '--out', out, '--json', '--log-level', 'fatal']);
  assert.equal(r.code, EXIT.ok, r.stderr);
  const url = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,})/.exec(r.stderr)?.[1];
  assert.ok(url, r.stderr);
  assert.match(r.stderr, /no page is open; the server stops/);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { status: string; iterations: number };
  assert.deepEqual([summary.status, summary.iterations], ['finished', 2000]);
  await assert.rejects(fetch(url), 'the server is closed');
});
