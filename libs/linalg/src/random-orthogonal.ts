import type { Matrix } from './matrix';
import { matrix } from './matrix';
import type { Rng } from './rng';

/**
 * A random n×n orthogonal matrix: Gram-Schmidt on Gaussian columns, each column orthogonalized twice against the
 * previous ones ("twice is enough", Giraud et al. 2005), so QᵀQ = I to a few ulps.
 */
export function randomOrthogonal(n: number, rng: Rng): Matrix {
  const q = new Float64Array(n * n);
  const col = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    rng.normals(col);
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < j; p++) {
        let d = 0;
        for (let i = 0; i < n; i++) d += q[i * n + p] * col[i];
        for (let i = 0; i < n; i++) col[i] -= d * q[i * n + p];
      }
    }
    let s = 0;
    for (let i = 0; i < n; i++) s += col[i] * col[i];
    s = Math.sqrt(s);
    for (let i = 0; i < n; i++) q[i * n + j] = col[i] / s;
  }
  return matrix(n, n, q);
}
