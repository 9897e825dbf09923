/**
 * A dense row-major matrix of float64 values: entry (i, j) is `data[i * cols + j]`.
 *
 * Every kernel in this library takes plain `Float64Array`s and writes into buffers that the caller owns, so hot
 * loops allocate nothing.
 */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/** A `rows × cols` matrix of zeros, or a view on `data` (which must hold exactly `rows * cols` values). */
export function matrix(rows: number, cols: number, data?: Float64Array): Matrix {
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) {
    throw new RangeError(`matrix: rows and cols must be non-negative integers, received ${rows} × ${cols}`);
  }
  const values = data ?? new Float64Array(rows * cols);
  if (values.length !== rows * cols) {
    throw new RangeError(`matrix: data holds ${values.length} values, expected rows * cols = ${rows * cols}`);
  }
  return { rows, cols, data: values };
}
