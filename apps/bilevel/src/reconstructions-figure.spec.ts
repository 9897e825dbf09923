import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { PNG } from 'pngjs';
import { svgToPng } from '@bilevel/telemetry';
import { imagingProblem, reconstructionGrid } from '@bilevel/problems';
import { RECONSTRUCTION_COLUMNS, reconstructionsFigureSvg } from './reconstructions-figure';

test('reconstructions.png: column headers, each image named, the PSNR of the measured and reconstructed tiles', () => {
  // Arrange: the bundled denoising task at the starting point θ = (−5, −5), two held-out images
  const problem = imagingProblem({ task: 'denoise', regularizer: 'tv', seed: 0 });
  const grid = reconstructionGrid(problem, problem.startingPoint(), { maxImages: 2 });
  // Act
  const svg = reconstructionsFigureSvg(grid);
  // Assert: the text drawn
  const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
  for (const c of RECONSTRUCTION_COLUMNS) assert.ok(texts.includes(c), c);
  for (const r of grid.rows) {
    assert.ok(texts.some((t) => t !== undefined && basename(r.label).startsWith(t.replace(/…$/, ''))), r.label);
    assert.ok(texts.includes(`PSNR ${r.psnrObserved.toFixed(2)} dB`));
    assert.ok(texts.includes(`PSNR ${r.psnrReconstructed.toFixed(2)} dB`));
  }
  // and the PNG: the grid at twice its size under the band of headers
  const png = PNG.sync.read(Buffer.from(svgToPng(svg, { width: grid.width * 2 })));
  assert.equal(png.width, grid.width * 2);
  assert.ok(png.height > grid.height * 2, `${png.height} > ${grid.height * 2}`);
});
