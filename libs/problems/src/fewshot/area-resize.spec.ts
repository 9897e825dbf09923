// Area averaging checked against hand computations (3×3 → 2×2, and Omniglot's 105×105 → 28×28 where an output pixel
// covers 3.75 × 3.75 input pixels) and against properties every area average has (mean and constants preserved,
// exact multiples of 1/(width·height) for integer images).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { areaResize, axisWeights } from './area-resize';

/** Round-off allowed where the expected value is computed in another order of additions. */
const TOL = 1e-12;

test('3×3 → 2×2 by hand: output (0, 0) covers rows and columns [0, 1.5): weights 1, ½, ½, ¼ over 2.25', () => {
  const src = Float64Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9);
  const out = areaResize(src, 3, 3, 2, 2);
  // (0, 0): (1·1 + 2·½ + 4·½ + 5·¼) / 2.25;  (0, 1): columns [1.5, 3): (2·½ + 3·1 + 5·¼ + 6·½) / 2.25
  // (1, 0): rows [1.5, 3): (4·½ + 5·¼ + 7·1 + 8·½) / 2.25;  (1, 1): (5·¼ + 6·½ + 8·½ + 9·1) / 2.25
  assert.deepEqual(Array.from(out), [5.25 / 2.25, 8.25 / 2.25, 14.25 / 2.25, 17.25 / 2.25]);
});

test('105×105 → 28×28 (Omniglot): one ink pixel spreads over the 3.75-pixel cells it overlaps, exactly in 225ths', () => {
  const src = new Float64Array(105 * 105);
  src[0] = 1; // pixel (0, 0): wholly inside output (0, 0), whose area is 3.75² = 225/16 input pixels
  src[3 * 105 + 3] = 1; // pixel (3, 3): ¾ of it in output row/column 0, ¼ in row/column 1
  const out = areaResize(src, 105, 105, 28, 28);
  assert.equal(out[0], (16 + 9) / 225); // 1/3.75² + ¾·¾/3.75²
  assert.equal(out[1], 3 / 225); // ¾·¼/3.75²
  assert.equal(out[28], 3 / 225);
  assert.equal(out[29], 1 / 225); // ¼·¼/3.75²
  let others = 0;
  for (let p = 0; p < out.length; p++) if (![0, 1, 28, 29].includes(p)) others += Math.abs(out[p]);
  assert.equal(others, 0);
});

test('the axis weights of 105 → 28 are 4, 4, 4, 3 | 1, 4, 4, 4, 2 | … quarter pixels and add up to 105 each', () => {
  const w = axisWeights(105, 28);
  assert.deepEqual(Array.from(w.weights.subarray(w.offsets[0], w.offsets[1])), [28, 28, 28, 21]); // units of 1/28
  assert.deepEqual(Array.from(w.weights.subarray(w.offsets[1], w.offsets[2])), [7, 28, 28, 28, 14]);
  for (let o = 0; o < 28; o++) {
    let s = 0;
    for (let k = w.offsets[o]; k < w.offsets[o + 1]; k++) s += w.weights[k];
    assert.equal(s, 105);
  }
});

test('writes at an offset of a larger buffer and leaves the rest alone', () => {
  const out = new Float64Array(10).fill(-1);
  areaResize(Float64Array.of(0, 1, 1, 0), 2, 2, 1, 1, out, 3);
  assert.deepEqual(Array.from(out), [-1, -1, -1, 0.5, -1, -1, -1, -1, -1, -1]);
});

const image = fc
  .record({ width: fc.integer({ min: 1, max: 40 }), height: fc.integer({ min: 1, max: 40 }), outWidth: fc.integer({ min: 1, max: 30 }), outHeight: fc.integer({ min: 1, max: 30 }) })
  .chain((d) => fc.record({ d: fc.constant(d), bits: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: d.width * d.height, maxLength: d.width * d.height }) }));

test('properties: the mean is preserved, and a 0/1 image gives exact multiples of 1/(width·height) in [0, 1]', () => {
  fc.assert(
    fc.property(image, ({ d, bits }) => {
      const src = Float64Array.from(bits);
      const out = areaResize(src, d.width, d.height, d.outWidth, d.outHeight);
      const meanIn = bits.reduce((a, b) => a + b, 0) / bits.length;
      const meanOut = out.reduce((a, b) => a + b, 0) / out.length;
      assert.ok(Math.abs(meanIn - meanOut) <= TOL, `mean ${meanIn} → ${meanOut}`);
      for (const v of out) {
        assert.ok(v >= 0 && v <= 1);
        const k = v * d.width * d.height;
        assert.ok(Math.abs(k - Math.round(k)) <= TOL * d.width * d.height, `${v} is not a multiple of 1/${d.width * d.height}`);
        assert.equal(v, Math.round(k) / (d.width * d.height), 'one rounding: the correctly rounded quotient');
      }
    }),
    { numRuns: 300 },
  );
});

test('a constant image stays constant at any size', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 30 }), (w, h, o) => {
      const out = areaResize(new Float64Array(w * h).fill(0.375), w, h, o, o);
      for (const v of out) assert.ok(Math.abs(v - 0.375) <= TOL);
    }),
    { numRuns: 100 },
  );
});
