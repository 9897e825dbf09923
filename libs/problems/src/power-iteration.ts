import { nrm2 } from '@bilevel/linalg';

/**
 * Largest eigenvalue of a symmetric positive semi-definite operator given as `matvec(u, out)`, by power iteration
 * from a fixed, deterministic start (all ones plus a ramp, so no eigenvector is missed for generic operators),
 * to relative change 1e-10 or `maxIter` iterations.
 */
export function powerIteration(matvec: (u: Float64Array, out: Float64Array) => void, n: number, maxIter = 1000): number {
  let u = Float64Array.from({ length: n }, (_, i) => 1 + i / n);
  let w = new Float64Array(n);
  let norm = nrm2(u);
  for (let i = 0; i < n; i++) u[i] /= norm;
  let lambda = 0;
  for (let it = 0; it < maxIter; it++) {
    matvec(u, w);
    norm = nrm2(w);
    if (norm === 0) return 0;
    const prev = lambda;
    lambda = norm;
    for (let i = 0; i < n; i++) w[i] /= norm;
    [u, w] = [w, u];
    if (Math.abs(lambda - prev) <= 1e-10 * lambda) break;
  }
  return lambda;
}
