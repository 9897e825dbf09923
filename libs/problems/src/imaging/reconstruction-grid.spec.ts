import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadImage } from '../loaders/png-jpeg';
import { bundledImagePaths } from './bundled-images';
import { imagingProblem } from './imaging-problem';
import { reconstructionGrid, writeReconstructionGrid } from './reconstruction-grid';

const problem = imagingProblem({ patchSize: 48, patchesPerImage: 1, heldOut: bundledImagePaths('heldout').slice(0, 3) });
const x = Float64Array.of(-2, -5);

test('reconstructionGrid: rows of clean | measured | reconstructed tiles with 4-pixel white gaps, magnified; PSNR per row', () => {
  const grid = reconstructionGrid(problem, x, { scale: 1 });
  // 3 held-out images of 96×96: width 3·96 + 4·4, height 3·96 + 4·4
  assert.deepEqual([grid.width, grid.height, grid.rows.length], [3 * 96 + 16, 3 * 96 + 16, 3]);
  const heldOut = problem.heldOut!;
  // row 0, column 0 is the clean image; column 1 the measurement (clipped); the gaps are white
  assert.equal(grid.data[4 * grid.width + 4], heldOut.clean[0]);
  assert.equal(grid.data[4 * grid.width + 4 + 96 + 4], Math.min(1, Math.max(0, heldOut.observed[0])));
  assert.equal(grid.data[0], 1);
  assert.ok(grid.rows.every((r) => r.psnrReconstructed > r.psnrObserved + 3), JSON.stringify(grid.rows));
  const train = reconstructionGrid(problem, x, { set: 'train', maxImages: 2, scale: 3 });
  assert.deepEqual([train.width, train.height, train.rows.map((r) => r.label.replace(/.*\//, ''))], [3 * 144 + 16, 2 * 144 + 12, ['camera-train.png@(0,0)', 'brick-train.png@(0,0)']]);
  assert.throws(() => reconstructionGrid(problem, x, { scale: 0 }), /reconstructionGrid: scale must be an integer in 1…16, received 0/);
  assert.throws(() => reconstructionGrid(problem, Float64Array.of(1)), /reconstructionGrid: x has 1 entries; the problem has 2 parameters/);
});

test('writeReconstructionGrid: writes a PNG a person can open (decoded back to the grid size)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grid-'));
  try {
    const path = join(dir, 'grid.png');
    const rows = writeReconstructionGrid(path, problem, x);
    const im = loadImage(path);
    assert.deepEqual([im.width, im.height, rows.length], [3 * 192 + 16, 3 * 192 + 16, 3]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
