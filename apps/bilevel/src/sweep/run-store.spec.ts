import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syntheticRun } from '../bench/synthetic-run';
import { runKey } from './run-key';
import { RunStore } from './run-store';
import type { SweepJob } from './sweep-types';

const tmp = () => mkdtempSync(join(tmpdir(), 'run-store-'));

function jobOf(seed: number, status: 'finished' | 'diverged' | 'error' = 'finished') {
  const result = syntheticRun('p', 'saba', seed, [[0.1, 10, 1], [0.2, 20, 0.5]], status);
  const job: SweepJob = { key: runKey(result.spec), spec: result.spec };
  return { job, result };
}

test('RunStore: a finished or diverged result is complete; spec.json and result.json round-trip', () => {
  const store = new RunStore(tmp());
  const { job, result } = jobOf(0);
  assert.equal(store.complete(job.key), false, 'nothing written yet');
  store.writeSpec(job);
  assert.equal(store.complete(job.key), false, 'a spec without a result is pending');
  assert.deepEqual(JSON.parse(readFileSync(join(store.runDir(job.key), 'spec.json'), 'utf8')), job.spec);
  store.writeResult(job, result);
  assert.equal(store.complete(job.key), true);
  assert.deepEqual(store.read(job.key), result);
  const diverged = jobOf(1, 'diverged');
  store.writeResult(diverged.job, diverged.result);
  assert.equal(store.complete(diverged.job.key), true, 'a diverged run is an outcome, not retried');
});

test('RunStore: an error result, a corrupt or truncated file, and a result of another spec are pending', () => {
  const store = new RunStore(tmp());
  const failed = jobOf(2, 'error');
  store.writeResult(failed.job, failed.result);
  assert.equal(store.read(failed.job.key)?.status, 'error', 'readable for the report');
  assert.equal(store.complete(failed.job.key), false, 'retried by the next sweep');

  const { job, result } = jobOf(3);
  store.writeResult(job, result);
  const file = join(store.runDir(job.key), 'result.json');
  const text = readFileSync(file, 'utf8');
  for (const corrupt of [text.slice(0, text.length / 2), '', 'null', '{"status":"finished"}', text.replace('"finished"', '"finished", "spec": 1')]) {
    writeFileSync(file, corrupt);
    assert.equal(store.complete(job.key), false, `corrupt: ${corrupt.slice(0, 40)}`);
    assert.equal(store.read(job.key), undefined);
  }
  // a result moved into another run's folder (its spec's key is not the folder's)
  const other = jobOf(4);
  writeFileSync(file, JSON.stringify(other.result));
  assert.equal(store.complete(job.key), false);
  rmSync(file);
  assert.equal(store.complete(job.key), false, 'missing');
  assert.ok(existsSync(store.runDir(job.key)));
});

test('RunStore: bad keys and mismatched results are refused with the function and the value', () => {
  const store = new RunStore(tmp());
  assert.throws(() => store.runDir('../x'), /RunStore.runDir: key is "..\/x"; expected 64 lowercase hex digits/);
  const a = jobOf(5);
  const b = jobOf(6);
  assert.throws(() => store.writeResult(a.job, b.result), /RunStore.writeResult: result.id is "p\/saba\/seed6"; expected the job's "p\/saba\/seed5"/);
  assert.throws(() => new RunStore(''), /RunStore: dir is ""/);
});
