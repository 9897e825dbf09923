/**
 * Copies a row-major `size × size` image rotated counter-clockwise by `quarters × 90°` (numpy's `rot90(image, k)`,
 * which the MAML and iMAML code use to make rotated Omniglot classes) from `src` at `srcOffset` into `dst` at
 * `dstOffset`. `quarters` is taken modulo 4. The two ranges must not overlap.
 *
 * @example rotateSquare(Float64Array.of(1, 2, 3, 4), 0, 2, 1, out, 0) // out = [2, 4, 1, 3]
 */
export function rotateSquare(src: Float64Array, srcOffset: number, size: number, quarters: number, dst: Float64Array, dstOffset: number): void {
  const k = ((quarters % 4) + 4) % 4;
  const n = size;
  const last = n - 1;
  for (let i = 0; i < n; i++) {
    const out = dstOffset + i * n;
    switch (k) {
      case 0:
        for (let j = 0; j < n; j++) dst[out + j] = src[srcOffset + i * n + j];
        break;
      case 1: // out[i][j] = src[j][n−1−i]
        for (let j = 0; j < n; j++) dst[out + j] = src[srcOffset + j * n + (last - i)];
        break;
      case 2: // out[i][j] = src[n−1−i][n−1−j]
        for (let j = 0; j < n; j++) dst[out + j] = src[srcOffset + (last - i) * n + (last - j)];
        break;
      default: // out[i][j] = src[n−1−j][i]
        for (let j = 0; j < n; j++) dst[out + j] = src[srcOffset + (last - j) * n + i];
    }
  }
}
