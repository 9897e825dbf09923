import { describeValue } from './describe-value';

/** Values of a scalar function B sampled on a regular nx × ny grid spanning a 2-D box (see {@link certificatePlotContour}). */
export interface CertificatePlotGrid {
  /** Grid points along the first state variable (x₁), ≥ 2. */
  nx: number;
  /** Grid points along the second state variable (x₂), ≥ 2. */
  ny: number;
  /**
   * nx·ny finite values, x₁ index fastest: `values[j·nx + i] = B(ℓ₁ + i·(u₁ − ℓ₁)/(nx − 1), ℓ₂ + j·(u₂ − ℓ₂)/(ny − 1))`
   * for the box [ℓ₁, u₁] × [ℓ₂, u₂], so the first and last grid lines lie on the box edges.
   */
  values: Float64Array | readonly number[];
}

/** A 2-D axis-aligned box [lower₁, upper₁] × [lower₂, upper₂]. */
export interface CertificatePlotBox {
  lower: readonly [number, number];
  upper: readonly [number, number];
}

/**
 * The level set {x : B(x) = level} of a gridded function as line segments, by marching squares (Lorensen and
 * Cline, "Marching cubes", SIGGRAPH 1987, in its 2-D form).
 *
 * Each grid cell has corners x₀₀, x₁₀, x₁₁, x₀₁; a corner is "high" when B − level ≥ 0. On every cell edge whose two
 * corners differ, the crossing is placed by linear interpolation, x = xₐ + t (x_b − xₐ) with
 * t = (Bₐ − level)/(Bₐ − B_b) ∈ [0, 1]; a cell has 0, 2 or 4 crossings. Two crossings give one segment. Four
 * crossings (a saddle: diagonal corners alike) are paired by the cell-centre value, the mean of the four corners:
 * if the centre is of the same class as x₀₀ and x₁₁, those two corners are joined through the centre and the
 * segments cut off corners x₁₀ and x₀₁; otherwise they cut off x₀₀ and x₁₁. Zero-length segments (level exactly at a
 * corner) are dropped.
 *
 * The crossings are exact for a function that is linear along each cell edge (e.g. bilinear B), and otherwise within
 * one cell of the true level set wherever B is continuous. The segments are not joined into polylines.
 *
 * @returns segments packed as `[xa₁, xa₂, xb₁, xb₂, …]`, four numbers per segment, in grid-cell order.
 * @example
 * // B = x₁² + x₂² − 1 on [−2, 2]² with 81 × 81 points: segments within 0.05 of the unit circle.
 * const segments = certificatePlotContour({ nx: 81, ny: 81, values }, { lower: [-2, -2], upper: [2, 2] });
 */
export function certificatePlotContour(grid: CertificatePlotGrid, box: CertificatePlotBox, level = 0): Float64Array {
  const fn = 'certificatePlotContour';
  validateGrid(fn, 'grid', grid);
  validateBox(fn, 'box', box);
  if (typeof level !== 'number' || !Number.isFinite(level)) throw new RangeError(`${fn}: level is ${describeValue(level)}; expected a finite number`);
  const { nx, ny, values } = grid;
  const [x0, y0] = box.lower;
  const hx = (box.upper[0] - x0) / (nx - 1);
  const hy = (box.upper[1] - y0) / (ny - 1);

  const out: number[] = [];
  // Crossings of the current cell, packed [x, y] per edge; edge e is 0 bottom (00–10), 1 right (10–11),
  // 2 top (01–11), 3 left (00–01). `has[e]` tells whether edge e is crossed.
  const cx = new Float64Array(4);
  const cy = new Float64Array(4);
  const has = [false, false, false, false];
  const push = (a: number, b: number) => {
    if (cx[a] === cx[b] && cy[a] === cy[b]) return;
    out.push(cx[a], cy[a], cx[b], cy[b]);
  };

  for (let j = 0; j < ny - 1; j++) {
    const ya = y0 + j * hy;
    const yb = j + 1 === ny - 1 ? box.upper[1] : y0 + (j + 1) * hy;
    for (let i = 0; i < nx - 1; i++) {
      const xa = x0 + i * hx;
      const xb = i + 1 === nx - 1 ? box.upper[0] : x0 + (i + 1) * hx;
      const v00 = values[j * nx + i] - level;
      const v10 = values[j * nx + i + 1] - level;
      const v01 = values[(j + 1) * nx + i] - level;
      const v11 = values[(j + 1) * nx + i + 1] - level;
      const h00 = v00 >= 0;
      const h10 = v10 >= 0;
      const h01 = v01 >= 0;
      const h11 = v11 >= 0;
      if (h00 === h10 && h00 === h01 && h00 === h11) continue;

      // Linear interpolation along each crossed edge; the denominators are non-zero because the signs differ.
      has[0] = h00 !== h10;
      if (has[0]) {
        cx[0] = xa + (v00 / (v00 - v10)) * (xb - xa);
        cy[0] = ya;
      }
      has[1] = h10 !== h11;
      if (has[1]) {
        cx[1] = xb;
        cy[1] = ya + (v10 / (v10 - v11)) * (yb - ya);
      }
      has[2] = h01 !== h11;
      if (has[2]) {
        cx[2] = xa + (v01 / (v01 - v11)) * (xb - xa);
        cy[2] = yb;
      }
      has[3] = h00 !== h01;
      if (has[3]) {
        cx[3] = xa;
        cy[3] = ya + (v00 / (v00 - v01)) * (yb - ya);
      }

      if (has[0] && has[1] && has[2] && has[3]) {
        const centreHigh = (v00 + v10 + v01 + v11) / 4 >= 0;
        if (centreHigh === h00) {
          push(0, 1); // cut off corner 10
          push(2, 3); // cut off corner 01
        } else {
          push(3, 0); // cut off corner 00
          push(1, 2); // cut off corner 11
        }
      } else {
        const e = has.indexOf(true);
        push(e, has.indexOf(true, e + 1));
      }
    }
  }
  return Float64Array.from(out);
}

/** Checks a {@link CertificatePlotGrid}; `field` names it in errors (e.g. `input.certificate`). */
export function validateGrid(fn: string, field: string, grid: CertificatePlotGrid): void {
  if (grid === null || typeof grid !== 'object') throw new TypeError(`${fn}: ${field} is ${describeValue(grid)}; expected { nx, ny, values }`);
  const { nx, ny, values } = grid;
  for (const [name, n] of [['nx', nx], ['ny', ny]] as const) {
    if (!Number.isInteger(n) || n < 2) throw new RangeError(`${fn}: ${field}.${name} is ${describeValue(n)}; expected an integer >= 2`);
  }
  if (!(values instanceof Float64Array) && !Array.isArray(values)) {
    throw new TypeError(`${fn}: ${field}.values is ${describeValue(values)}; expected a Float64Array or an array of numbers`);
  }
  if (values.length !== nx * ny) {
    throw new RangeError(`${fn}: ${field}.values has length ${values.length}; expected nx·ny = ${nx}·${ny} = ${nx * ny}`);
  }
  for (let k = 0; k < values.length; k++) {
    const v = values[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new RangeError(`${fn}: ${field}.values[${k}] (i = ${k % nx}, j = ${Math.floor(k / nx)}) is ${describeValue(v)}; expected a finite number`);
    }
  }
}

/** Checks a {@link CertificatePlotBox}: finite bounds with lower < upper in both coordinates. */
export function validateBox(fn: string, field: string, box: CertificatePlotBox): void {
  if (box === null || typeof box !== 'object') throw new TypeError(`${fn}: ${field} is ${describeValue(box)}; expected { lower: [ℓ₁, ℓ₂], upper: [u₁, u₂] }`);
  for (const side of ['lower', 'upper'] as const) {
    const b = box[side];
    if (!Array.isArray(b) || b.length !== 2) throw new TypeError(`${fn}: ${field}.${side} is ${describeValue(b)}; expected an array of 2 numbers`);
    b.forEach((v, k) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`${fn}: ${field}.${side}[${k}] is ${describeValue(v)}; expected a finite number`);
    });
  }
  for (const k of [0, 1]) {
    if (!(box.lower[k] < box.upper[k])) {
      throw new RangeError(`${fn}: ${field}.lower[${k}] = ${box.lower[k]} is not below ${field}.upper[${k}] = ${box.upper[k]}; expected lower < upper`);
    }
  }
}
