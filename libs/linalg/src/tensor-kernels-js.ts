import type { PackedOps } from './tensor-gemm';

/**
 * The JavaScript backend of the tensor kernels: the packing routines and the macro-kernel of
 * wasm/tensor-kernels.wat written over a Float64Array and an Int32Array of one memory, performing the same
 * floating-point operations in the same order (each entry of C summed left to right over the reduction index, one
 * multiply and one add per term), so it gives the same bits as the SIMD backend.
 *
 * The micro-kernel computes a 4 × 4 tile as two 2 × 4 halves: eight sums, a splat of two A entries and four B entries
 * fit the 15 float registers V8 allocates on x86-64, where one 4 × 4 pass (16 sums) spills (measured slower).
 */
export function jsPackedOps(H: Float64Array, I32: Int32Array): PackedOps {
  /** Rows r0, r0 + 1 of a 4 × 4 tile: C[r0 + 0..1, 0..3] (+)= Σ_p A[r0 + 0..1, p]·B[p, 0..3]. */
  const half = (kc: number, a: number, b: number, c: number, ldc: number, first: boolean): void => {
    let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
    const c1 = c + ldc;
    if (!first) {
      c00 = H[c]; c01 = H[c + 1]; c02 = H[c + 2]; c03 = H[c + 3];
      c10 = H[c1]; c11 = H[c1 + 1]; c12 = H[c1 + 2]; c13 = H[c1 + 3];
    }
    for (let p = 0; p < kc; p++) {
      const b0 = H[b], b1 = H[b + 1], b2 = H[b + 2], b3 = H[b + 3];
      const a0 = H[a], a1 = H[a + 1];
      c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
      c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
      a += 4;
      b += 4;
    }
    H[c] = c00; H[c + 1] = c01; H[c + 2] = c02; H[c + 3] = c03;
    H[c1] = c10; H[c1 + 1] = c11; H[c1 + 2] = c12; H[c1 + 3] = c13;
  };
  const tileCopy = (from: number, fromLd: number, to: number, toLd: number, mr: number, nr: number): void => {
    for (let r = 0; r < mr; r++) for (let q = 0; q < nr; q++) H[to + r * toLd + q] = H[from + r * fromLd + q];
  };
  return {
    packA(src, rs, cs, mc, kc, dst) {
      for (let ir = 0; ir < mc; ir += 4) {
        const mr = mc - ir;
        const s = src + ir * rs;
        if (mr >= 4) {
          for (let p = 0, s0 = s; p < kc; p++, s0 += cs, dst += 4) {
            H[dst] = H[s0];
            H[dst + 1] = H[s0 + rs];
            H[dst + 2] = H[s0 + 2 * rs];
            H[dst + 3] = H[s0 + 3 * rs];
          }
        } else {
          for (let p = 0; p < kc; p++, dst += 4) for (let r = 0; r < 4; r++) H[dst + r] = r < mr ? H[s + r * rs + p * cs] : 0;
        }
      }
    },
    packB(src, rs, cs, kc, nc, dst) {
      for (let jr = 0; jr < nc; jr += 4) {
        const nr = nc - jr;
        const s = src + jr * cs;
        if (nr >= 4) {
          for (let p = 0, s0 = s; p < kc; p++, s0 += rs, dst += 4) {
            H[dst] = H[s0];
            H[dst + 1] = H[s0 + cs];
            H[dst + 2] = H[s0 + 2 * cs];
            H[dst + 3] = H[s0 + 3 * cs];
          }
        } else {
          for (let p = 0; p < kc; p++, dst += 4) for (let q = 0; q < 4; q++) H[dst + q] = q < nr ? H[s + p * rs + q * cs] : 0;
        }
      }
    },
    packBTable(src, pOff, jOff, kc, nc, dst) {
      for (let jr = 0; jr < nc; jr += 4) {
        const nr = nc - jr;
        if (nr >= 4) {
          const j0 = src + I32[jOff + jr], j1 = src + I32[jOff + jr + 1], j2 = src + I32[jOff + jr + 2], j3 = src + I32[jOff + jr + 3];
          for (let p = 0; p < kc; p++, dst += 4) {
            const base = I32[pOff + p];
            H[dst] = H[base + j0];
            H[dst + 1] = H[base + j1];
            H[dst + 2] = H[base + j2];
            H[dst + 3] = H[base + j3];
          }
        } else {
          for (let p = 0; p < kc; p++, dst += 4) {
            const base = src + I32[pOff + p];
            for (let q = 0; q < 4; q++) H[dst + q] = q < nr ? H[base + I32[jOff + jr + q]] : 0;
          }
        }
      }
    },
    macro(mc, nc, kc, pa, pb, c, ldc, first, tile) {
      for (let jr = 0; jr < nc; jr += 4) {
        const nr = Math.min(4, nc - jr);
        const bp = pb + jr * kc;
        for (let ir = 0; ir < mc; ir += 4) {
          const mr = Math.min(4, mc - ir);
          const ap = pa + ir * kc;
          const cij = c + ir * ldc + jr;
          if (mr === 4 && nr === 4) {
            half(kc, ap, bp, cij, ldc, first);
            half(kc, ap + 2, bp, cij + 2 * ldc, ldc, first);
          } else {
            if (!first) tileCopy(cij, ldc, tile, 4, mr, nr);
            half(kc, ap, bp, tile, 4, first);
            half(kc, ap + 2, bp, tile + 8, 4, first);
            tileCopy(tile, 4, cij, ldc, mr, nr);
          }
        }
      }
    },
    padCopy(src, ch, h, w, dst, hb, wb, oy, ox, dy, dx) {
      H.fill(0, dst, dst + ch * hb * wb);
      for (let c = 0; c < ch; c++) {
        for (let y = 0; y < h; y++, src += w) {
          const row = dst + (c * hb + oy + y * dy) * wb + ox;
          if (dx === 1) H.copyWithin(row, src, src + w);
          else for (let x = 0; x < w; x++) H[row + x * dx] = H[src + x];
        }
      }
    },
    swapAxes(src, o1, c1, len, dst) {
      for (let c = 0; c < c1; c++) for (let o = 0; o < o1; o++, dst += len) H.copyWithin(dst, src + (o * c1 + c) * len, src + (o * c1 + c + 1) * len);
    },
  };
}
