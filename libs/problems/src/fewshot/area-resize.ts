/**
 * The integer overlap weights of area averaging along one axis of `from` pixels resized to `to` pixels. Measured in
 * units of `1/to` of an input pixel (so that input pixel p spans [p·to, (p+1)·to) and output pixel o spans
 * [o·from, (o+1)·from)), every overlap is an integer and the weights of one output pixel add up to `from`.
 * Output pixel o reads the input pixels `first[o]`, `first[o] + 1`, … with weights `weights[offsets[o]…offsets[o+1])`.
 */
export interface AxisWeights {
  readonly from: number;
  readonly to: number;
  readonly first: Int32Array;
  readonly offsets: Int32Array;
  readonly weights: Float64Array;
}

/** The area-averaging weights of one axis ({@link AxisWeights}); `from` and `to` are positive integers. */
export function axisWeights(from: number, to: number): AxisWeights {
  if (!(Number.isInteger(from) && from >= 1 && Number.isInteger(to) && to >= 1)) {
    throw new RangeError(`axisWeights: from and to must be positive integers, received ${from} and ${to}`);
  }
  const first = new Int32Array(to);
  const offsets = new Int32Array(to + 1);
  const weights: number[] = [];
  for (let o = 0; o < to; o++) {
    const lo = o * from;
    const hi = (o + 1) * from;
    const p0 = Math.floor(lo / to);
    const p1 = Math.ceil(hi / to); // exclusive
    first[o] = p0;
    for (let p = p0; p < p1; p++) weights.push(Math.min(hi, (p + 1) * to) - Math.max(lo, p * to));
    offsets[o + 1] = weights.length;
  }
  return { from, to, first, offsets, weights: Float64Array.from(weights) };
}

/**
 * Resizes a row-major `width × height` image to `outWidth × outHeight` by area averaging: each output pixel is the
 * mean of the input over the rectangle it covers, input pixels counted by the fraction of their area inside it
 * (PIL's `Image.resize(…, BOX)`, OpenCV's `INTER_AREA` when shrinking). 105 × 105 → 28 × 28, as for Omniglot, makes
 * each output pixel cover 3.75 × 3.75 input pixels.
 *
 * The weights are integers (overlaps in units of 1/outWidth and 1/outHeight of an input pixel) and the sum is
 * divided once by its total weight `width · height`, so an image of integer values (such as a 1-bit drawing) gives
 * exactly `k / (width · height)` for an integer k: the result does not depend on the order of the additions.
 * Writes `outWidth · outHeight` values into `out` at `offset` and returns `out`; `scratch`, if given, must hold
 * `height · outWidth` values (one is allocated otherwise).
 *
 * @example areaResize(Float64Array.of(1, 0, 0, 0), 2, 2, 1, 1) // Float64Array [0.25]
 */
export function areaResize(
  src: Float64Array,
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
  out: Float64Array = new Float64Array(outWidth * outHeight),
  offset = 0,
  scratch?: Float64Array,
): Float64Array {
  if (src.length !== width * height) throw new RangeError(`areaResize: the source holds ${src.length} values, not ${width}×${height}`);
  if (offset < 0 || offset + outWidth * outHeight > out.length) throw new RangeError(`areaResize: out has no room for ${outWidth}×${outHeight} values at ${offset}`);
  const cols = axisWeights(width, outWidth);
  const rows = axisWeights(height, outHeight);
  const tmp = scratch && scratch.length >= height * outWidth ? scratch : new Float64Array(height * outWidth);
  // horizontal pass: tmp[r][o] = Σ_p w(o, p) src[r][p]
  for (let r = 0; r < height; r++) {
    const row = r * width;
    for (let o = 0; o < outWidth; o++) {
      let s = 0;
      for (let k = cols.offsets[o], p = row + cols.first[o]; k < cols.offsets[o + 1]; k++, p++) s += cols.weights[k] * src[p];
      tmp[r * outWidth + o] = s;
    }
  }
  // vertical pass and the one division by the total weight
  const total = width * height;
  for (let o = 0; o < outHeight; o++) {
    const dst = offset + o * outWidth;
    for (let c = 0; c < outWidth; c++) out[dst + c] = 0;
    for (let k = rows.offsets[o], r = rows.first[o]; k < rows.offsets[o + 1]; k++, r++) {
      const w = rows.weights[k];
      const line = r * outWidth;
      for (let c = 0; c < outWidth; c++) out[dst + c] += w * tmp[line + c];
    }
    for (let c = 0; c < outWidth; c++) out[dst + c] /= total;
  }
  return out;
}
