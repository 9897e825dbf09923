import type { PackedOps } from './tensor-gemm';

/**
 * The JavaScript backend of the tensor kernels: the packing routines and the macro-kernel of
 * wasm/tensor-kernels.wat written over a Float64Array and an Int32Array of one memory, performing the same
 * floating-point operations in the same order (each entry of C summed left to right over the reduction index, one
 * multiply and one add per term), so it gives the same bits as the SIMD backend.
 *
 * A tile is computed as 4 rows in one pass (16 sums; V8 spills some, yet it ran 4.8 GFLOP/s against 4.2 for two
 * passes of 2 × 4 and 3.9 for one 5 × 4 pass), plus one row for 5 × 4 tiles.
 */
export function jsPackedOps(H: Float64Array, I32: Int32Array): PackedOps {
  /** Rows 0..3 of a tile: C[0..3, 0..3] (+)= Σ_p A[0..3, p]·B[p, 0..3] (A pre-splatted: entry i of term p at 2(mr·p + i)). */
  const rows4 = (astep: number, kc: number, a: number, b: number, c: number, ldc: number, first: boolean): void => {
    const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
    let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
    let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
    if (!first) {
      c00 = H[c]; c01 = H[c + 1]; c02 = H[c + 2]; c03 = H[c + 3];
      c10 = H[c1]; c11 = H[c1 + 1]; c12 = H[c1 + 2]; c13 = H[c1 + 3];
      c20 = H[c2]; c21 = H[c2 + 1]; c22 = H[c2 + 2]; c23 = H[c2 + 3];
      c30 = H[c3]; c31 = H[c3 + 1]; c32 = H[c3 + 2]; c33 = H[c3 + 3];
    }
    for (let p = 0; p < kc; p++) {
      const b0 = H[b], b1 = H[b + 1], b2 = H[b + 2], b3 = H[b + 3];
      let ai = H[a];
      c00 += ai * b0; c01 += ai * b1; c02 += ai * b2; c03 += ai * b3;
      ai = H[a + 2];
      c10 += ai * b0; c11 += ai * b1; c12 += ai * b2; c13 += ai * b3;
      ai = H[a + 4];
      c20 += ai * b0; c21 += ai * b1; c22 += ai * b2; c23 += ai * b3;
      ai = H[a + 6];
      c30 += ai * b0; c31 += ai * b1; c32 += ai * b2; c33 += ai * b3;
      a += astep;
      b += 4;
    }
    H[c] = c00; H[c + 1] = c01; H[c + 2] = c02; H[c + 3] = c03;
    H[c1] = c10; H[c1 + 1] = c11; H[c1 + 2] = c12; H[c1 + 3] = c13;
    H[c2] = c20; H[c2 + 1] = c21; H[c2 + 2] = c22; H[c2 + 3] = c23;
    H[c3] = c30; H[c3 + 1] = c31; H[c3 + 2] = c32; H[c3 + 3] = c33;
  };
  /** Row 0 of a tile. */
  const row1 = (astep: number, kc: number, a: number, b: number, c: number, first: boolean): void => {
    let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
    if (!first) {
      c00 = H[c]; c01 = H[c + 1]; c02 = H[c + 2]; c03 = H[c + 3];
    }
    for (let p = 0; p < kc; p++) {
      const ai = H[a];
      c00 += ai * H[b]; c01 += ai * H[b + 1]; c02 += ai * H[b + 2]; c03 += ai * H[b + 3];
      a += astep;
      b += 4;
    }
    H[c] = c00; H[c + 1] = c01; H[c + 2] = c02; H[c + 3] = c03;
  };
  /** C[0..mr−1, 0..3] (+)= the tile's sums, C rows ldc apart (mr = 5 or 4). */
  const tile = (mr: number, kc: number, a: number, b: number, c: number, ldc: number, first: boolean): void => {
    rows4(2 * mr, kc, a, b, c, ldc, first);
    if (mr === 5) row1(10, kc, a + 8, b, c + 4 * ldc, first);
  };
  const tileCopy = (from: number, fromLd: number, to: number, toLd: number, mr: number, nr: number): void => {
    for (let r = 0; r < mr; r++) for (let q = 0; q < nr; q++) H[to + r * toLd + q] = H[from + r * fromLd + q];
  };
  return {
    // 4-row tiles: the fifth row would be a one-row pass, slower per flop than the four-row one
    panelRows: () => 4,
    packA(mr, src, rs, cs, mc, kc, dst) {
      for (let ir = 0; ir < mc; ir += mr) {
        const rows = mc - ir;
        for (let p = 0, s = src + ir * rs; p < kc; p++, s += cs) {
          for (let r = 0; r < mr; r++, dst += 2) H[dst] = H[dst + 1] = r < rows ? H[s + r * rs] : 0;
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
    macro(mr, mc, nc, kc, pa, pb, c, ldc, first, scratch) {
      for (let jr = 0; jr < nc; jr += 4) {
        const nr = Math.min(4, nc - jr);
        const bp = pb + jr * kc;
        for (let ir = 0; ir < mc; ir += mr) {
          const rows = Math.min(mr, mc - ir);
          const ap = pa + 2 * ir * kc;
          const cij = c + ir * ldc + jr;
          if (rows === mr && nr === 4) tile(mr, kc, ap, bp, cij, ldc, first);
          else {
            if (!first) tileCopy(cij, ldc, scratch, 4, rows, nr);
            tile(mr, kc, ap, bp, scratch, 4, first);
            tileCopy(scratch, 4, cij, ldc, rows, nr);
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
