// The command line's builder: bundled default, the three file modes, option checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMulticlassHpo } from './load-multiclass-hpo';
import type { LoadMulticlassHpoOptions } from './load-multiclass-hpo';
import { multiclassDataPath } from './multiclass-data-path';
import { InputError } from '@bilevel/io';

test('default: bundled wine split 50/25/25 by seed 0, per-class weights, test metrics reported', () => {
  const p = loadMulticlassHpo();
  assert.deepEqual([p.nInner, p.nOuter, p.dimX, p.dimZ], [90, 45, 3, 42]);
  assert.equal(p.info.nTest, 43);
  assert.equal(p.info.train, `${multiclassDataPath()} [train 90/178]`);
  const x = new Float64Array(3).fill(-2);
  assert.ok('testError' in p.metrics(x, p.solveInner(x).z));
  // another seed, another split
  assert.notDeepEqual(loadMulticlassHpo({ seed: 1 }).A.data, p.A.data);
  assert.equal(loadMulticlassHpo({ reg: 'feature', standardize: 'none' }).dimX, 14);
});

test('files: train + val (no split, no test), train + test (train split 2:1), train + val + test', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mc-load-'));
  try {
    const rows = (n: number, shift: number) => Array.from({ length: n }, (_, i) => `${i + shift},${(i * 7) % 5},${i % 3}`).join('\n');
    writeFileSync(join(dir, 'tr.csv'), rows(30, 0));
    writeFileSync(join(dir, 'va.csv'), rows(12, 100));
    writeFileSync(join(dir, 'te.csv'), rows(9, 200));
    const a = loadMulticlassHpo({ train: join(dir, 'tr.csv'), val: join(dir, 'va.csv') });
    assert.deepEqual([a.nInner, a.nOuter, a.info.nTest], [30, 12, undefined]);
    const b = loadMulticlassHpo({ train: join(dir, 'tr.csv'), test: join(dir, 'te.csv') });
    assert.deepEqual([b.nInner, b.nOuter, b.info.nTest], [20, 10, 9]);
    const c = loadMulticlassHpo({ train: join(dir, 'tr.csv'), val: join(dir, 'va.csv'), test: join(dir, 'te.csv') });
    assert.deepEqual([c.nInner, c.nOuter, c.info.nTest], [30, 12, 9]);
    assert.throws(() => loadMulticlassHpo({ train: join(dir, 'tr.csv'), val: join(dir, 'none.csv') }), /none.csv: cannot read data file \(no such file\)/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('bad options are InputErrors', () => {
  assert.throws(() => loadMulticlassHpo({ seed: 1.5 }), (e: unknown) => e instanceof InputError && /seed must be a safe integer/.test(e.message));
  assert.throws(() => loadMulticlassHpo({ trainFraction: 0.9 }), /train \+ val fractions must be below 1/);
  assert.throws(() => loadMulticlassHpo({ data: 'x' } as unknown as LoadMulticlassHpoOptions), /unknown option "data"/);
  assert.throws(() => loadMulticlassHpo({ reg: 'none' } as unknown as LoadMulticlassHpoOptions), /reg must be/);
});
