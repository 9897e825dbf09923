// HiGHS's runtime is an LpSolver: assignable to the type of our own (a compile-time check, by tsc over the specs)
// and solving through it. The library's declarations name no type of highs (checked by the consumer test's
// type-check without the DOM library: test/src/packages/consumer.spec.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import loadHighs from 'highs';
import type { LpSolver } from './lp-solver';

test('the HiGHS runtime is an LpSolver: a one-shot solve of LP text and a warm-started model', async () => {
  // Arrange: max x + y, x + 2y ≤ 4, 3x + y ≤ 6, 0 ≤ x, y ≤ 10: optimum (8/5, 6/5), objective 14/5 (closed form)
  const lp: LpSolver = await loadHighs();
  // Act
  const text = lp.solve(['Maximize', ' obj: x + y', 'Subject To', ' r0: x + 2 y <= 4', ' r1: 3 x + y <= 6', 'Bounds', ' 0 <= x <= 10', ' 0 <= y <= 10', 'End'].join('\n'), { presolve: 'off', solver: 'simplex' });
  const model = lp.createModel!({
    numCols: 2,
    numRows: 2,
    colCost: Float64Array.of(-1, -1),
    colLower: Float64Array.of(0, 0),
    colUpper: Float64Array.of(10, 10),
    rowLower: Float64Array.of(-Infinity, -Infinity),
    rowUpper: Float64Array.of(4, 6),
    matrix: { format: 'csr', numRows: 2, numCols: 2, starts: Int32Array.of(0, 2, 4), indices: Int32Array.of(0, 1, 0, 1), values: Float64Array.of(1, 2, 3, 1) },
  });
  model.options.set({ output_flag: false, presolve: 'off', solver: 'simplex' });
  const run = model.run();
  const basis = model.getBasis();
  model.setBasis(basis);
  const again = model.run();
  const solution = model.getSolution();
  const objective = model.getObjectiveValue();
  model.dispose();
  // Assert
  assert.equal(text.Status, 'Optimal');
  assert.ok(Math.abs(text.ObjectiveValue - 14 / 5) < 1e-9);
  assert.ok(Math.abs(text.Columns.x!.Primal! - 8 / 5) < 1e-9);
  assert.equal(text.Rows.length, 2);
  assert.equal(run.modelStatus, 7);
  assert.equal(again.modelStatus, 7);
  assert.ok(basis.colStatus instanceof Int32Array && basis.rowStatus instanceof Int32Array);
  assert.ok(Math.abs(objective + 14 / 5) < 1e-9);
  assert.ok(Math.abs(solution.colValue[1]! - 6 / 5) < 1e-9 && solution.rowDual.length === 2);
});

test('no source file of the library but the specs imports highs or names its types', () => {
  const src = fileURLToPath(new URL('.', import.meta.url));
  const files = (readdirSync(src, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts') && !/\.(spec|slow)\.ts$/.test(f));
  const naming = files.filter((f) => /from\s+['"]highs['"]|import\(['"]highs['"]\)\.[A-Z]/.test(readFileSync(join(src, f), 'utf8')));
  assert.deepEqual(naming, []);
});
