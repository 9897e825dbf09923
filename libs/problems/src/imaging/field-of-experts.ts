import { InputError } from '@bilevel/io';
import { FoeKernels } from './foe-kernels';
import { reflectIndex } from './forward-operator';
import type { PatchRegularizer, Regularizer } from './regularizer';

/** Options of {@link fieldOfExperts}. */
export interface FieldOfExpertsOptions {
  /** Number of filters K. Default 8. */
  readonly filters?: number;
  /** Filter side s (odd, 3…9): 5 or 7 in the literature. Default 5. */
  readonly size?: number;
  /** Starting log-weight of every expert, α_k. Default −3. */
  readonly logWeight?: number;
  /** Starting log-smoothing log ν. Default −3. */
  readonly logSmoothing?: number;
  /**
   * κ: the filters are stored in θ divided by κ (c_k = κ·u_k), so a step of a per-coordinate method such as Adam
   * changes a filter coefficient κ times as much as a log-weight (a preconditioning of the parameters). Default 0.1.
   */
  readonly filterScale?: number;
}

/** Frequencies per axis of the grid on which the filters' transfer functions are bounded ({@link fieldOfExperts}). */
const GRID = 256;
/** ‖EᵀE‖ of the reflect extension by (s − 1)/2 ≤ (side − 1)/2 pixels: a pixel appears at most twice per axis. */
const MULTIPLICITY = 4;
/** Power iteration of the per-geometry curvature: stop at this relative change of the Rayleigh quotient… */
const POWER_TOL = 1e-6;
/** …or after this many iterations (warm-started, a few iterations per new θ suffice). */
const POWER_MAX_ITER = 300;
/** Safety factor on the converged Rayleigh quotient (it approaches λ_max from below). */
const POWER_MARGIN = 1.02;
/** Covering radius of the frequency grid: every ω lies within this distance of a grid point. */
const RADIUS = (Math.PI / GRID) * Math.SQRT2;

/**
 * The starting filters: the 2-D DCT-II basis of the smallest odd support b × b (b ≥ 3) that has K non-constant
 * members, without the constant one, ordered by total frequency u + v (then u), each of unit ℓ2 norm, placed at the
 * centre of the s × s filter (zeros around). For K ≤ 8 this is the complete zero-mean 3 × 3 basis: central
 * differences, second differences and their products, local high-pass filters as image priors use.
 */
function dctFilters(size: number, count: number): Float64Array[] {
  let support = 3;
  while (support * support - 1 < count) support += 2;
  const pad = (size - support) / 2;
  const pairs: [number, number][] = [];
  for (let u = 0; u < support; u++) for (let v = 0; v < support; v++) if (u + v > 0) pairs.push([u, v]);
  pairs.sort((a, b) => a[0] + a[1] - (b[0] + b[1]) || a[0] - b[0]);
  return pairs.slice(0, count).map(([u, v]) => {
    const f = new Float64Array(size * size);
    let norm = 0;
    for (let a = 0; a < support; a++) {
      for (let b = 0; b < support; b++) {
        const value = Math.cos((Math.PI * (2 * a + 1) * u) / (2 * support)) * Math.cos((Math.PI * (2 * b + 1) * v) / (2 * support));
        f[(a + pad) * size + b + pad] = value;
        norm += value * value;
      }
    }
    const inv = 1 / Math.sqrt(norm);
    for (let t = 0; t < f.length; t++) f[t] *= inv;
    return f;
  });
}

/**
 * A Field of Experts with convex experts (the bilevel-imaging variant of Roth & Black's FoE, as in the MAID paper's
 * experiments): K learned s × s filters c_k, learned weights e^{α_k}, and a learned smoothing ν = e^{θ_ν},
 *
 *   R_θ(z) = Σ_k e^{α_k} Σ_p φ((c_k ⋆ z)_p),   φ(t) = √(t² + ν²),
 *
 * where c_k ⋆ z is the correlation with reflect boundary: t_p = Σ_{a,b} c_k[a, b] (Ez)[r + a, col + b], one response
 * per pixel p = (r, col), E extending the image by (s − 1)/2 pixels on each side by mirroring about the edge pixel
 * (numpy/torch `reflect`, as the blur of the deblurring task), so border pixels are regularized like the others.
 * θ = (c_0/κ … c_{K−1}/κ (row-major, s² each), α_0 … α_{K−1}, θ_ν): K s² + K + 1 parameters, the filters scaled by
 * 1/κ (`filterScale`, default 0.1; the formulas below are in c, and ∂/∂(c/κ) = κ ∂/∂c). With ψ = φ' = t/φ,
 * ψ' = ν²/φ³, t = c_k ⋆ z, s = c_k ⋆ v and C_k the correlation operator (Cᵀ folds the margins back):
 *   ∇_z R = Σ_k e^{α_k} C_kᵀψ(t),   ∇²_zz R·v = Σ_k e^{α_k} C_kᵀ(ψ'(t) s),
 *   ∂_{α_k}⟨∇_z R, v⟩ = e^{α_k} Σ_p ψ s,   ∂_{θ_ν}⟨∇_z R, v⟩ = −Σ_k e^{α_k} Σ_p ψ' t s,
 *   ∂_{c_k[a,b]}⟨∇_z R, v⟩ = e^{α_k} Σ_p (ψ'_p s_p (Ez)[p + (a, b)] + ψ_p (Ev)[p + (a, b)]),
 *   ∂_{α_k} R = e^{α_k} Σ φ,   ∂_{θ_ν} R = Σ_k e^{α_k} Σ ν²/φ,   ∂_{c_k[a,b]} R = e^{α_k} Σ_p ψ_p (Ez)[p + (a, b)].
 * Curvature: Σ_k e^{α_k} C_kᵀ diag(ψ') C_k ⪯ (1/ν) Eᵀ(Σ_k e^{α_k} V_kᵀV_k)E with V_k the 'valid' correlation on the
 * extended grid, whose V_kᵀV_k is a compression of the Toeplitz operator of symbol |ĉ_k(ω)|²; EᵀE is diagonal with
 * each pixel's multiplicity, at most 4 (2 per axis). So ‖∇²R‖ ≤ (4/ν) sup_ω Σ_k e^{α_k} |ĉ_k(ω)|² (`curvatureBound`);
 * the sup is bounded by its maximum on a 256 × 256 frequency grid plus the symbol's Lipschitz constant times the grid's
 * covering radius, and never by more than Σ_k e^{α_k} ‖c_k‖₁². The factor 4 is rarely approached: for the
 * step of FISTA a bound image geometry uses (`curvature`) sup_z ‖∇²R(z)‖ = (1/ν) λ_max(Σ_k e^{α_k} C_kᵀC_k)
 * (ψ' ≤ 1/ν), by power iteration warm-started from the last top eigenvector (Rayleigh quotient to relative change
 * 1e-6, times 1.02), capped by the bound: an estimate without certificate, about half the bound's FISTA iterations.
 * Start: the K lowest-frequency zero-mean DCT-II filters of the smallest odd support that has K of them (3 × 3 for
 * K ≤ 8), unit norm, centred; α_k = −3, θ_ν = −3.
 *
 * Cost: the correlations run as WebAssembly SIMD kernels (foe-kernels.ts; their JavaScript twins where SIMD is
 * missing), the same bits as plain loops; HVPs and the cross term reuse an image's responses c_k ⋆ z while θ's
 * filters and the image keep their values (the Hessian of a CG solve is taken at one z); and `curvature` computes the
 * frequency grid of the bound only when a lower bound on it (the symbol at the last grid's maximum) does not already
 * exceed the power-iteration estimate, so the minimum is the same number.
 *
 * @example fieldOfExperts({ filters: 8, size: 7 }).dimTheta // 8·49 + 8 + 1 = 401
 */
export function fieldOfExperts(options: FieldOfExpertsOptions = {}): Regularizer {
  const fn = 'fieldOfExperts';
  const K = options.filters ?? 8;
  const s = options.size ?? 5;
  const logWeight = options.logWeight ?? -3;
  const logSmoothing = options.logSmoothing ?? -3;
  const kappa = options.filterScale ?? 0.1;
  if (!(kappa > 0 && Number.isFinite(kappa))) throw new InputError(`filterScale must be a positive number, received ${String(kappa)}`, fn);
  if (!(Number.isInteger(K) && K >= 1 && K <= 48)) throw new InputError(`filters must be an integer in 1…48, received ${String(K)}`, fn);
  if (!(Number.isInteger(s) && s >= 3 && s <= 9 && s % 2 === 1)) throw new InputError(`size must be 3, 5, 7 or 9, received ${String(s)}`, fn);
  if (K > s * s - 1) throw new InputError(`filters = ${K} exceeds the ${s * s - 1} zero-mean filters of size ${s}`, fn);
  if (!Number.isFinite(logWeight)) throw new InputError(`logWeight must be a finite number, received ${String(logWeight)}`, fn);
  if (!Number.isFinite(logSmoothing)) throw new InputError(`logSmoothing must be a finite number, received ${String(logSmoothing)}`, fn);
  const s2 = s * s;
  const dimTheta = K * s2 + K + 1;
  const start = new Float64Array(dimTheta);
  dctFilters(s, K).forEach((f, k) => start.set(f.map((e) => e / kappa), k * s2));
  start.fill(logWeight, K * s2, K * s2 + K);
  start[dimTheta - 1] = logSmoothing;

  // curvature bound, cached for the last θ
  const lastTheta = new Float64Array(dimTheta).fill(NaN);
  let lastBound = NaN;
  /** Index j1·GRID + j2 of the largest symbol of the last grid (−1 before the first). */
  let lastArgmax = -1;
  const cosTable = Float64Array.from({ length: GRID * s }, (_, i) => Math.cos((2 * Math.PI * Math.floor(i / s) * (i % s)) / GRID));
  const sinTable = Float64Array.from({ length: GRID * s }, (_, i) => Math.sin((2 * Math.PI * Math.floor(i / s) * (i % s)) / GRID));
  const partRe = new Float64Array(GRID * s);
  const partIm = new Float64Array(GRID * s);
  const symbol = new Float64Array(GRID * GRID);
  const filter = new Float64Array(s2);
  const half = (s - 1) / 2;
  const norms = { l1: 0, moment: 0 };
  /** Filter k of θ (κ·θ_k) into `filter`, with its ℓ1 norm and its first absolute moment about the centre. */
  const loadFilter = (theta: Float64Array, k: number): { readonly l1: number; readonly moment: number } => {
    for (let t = 0; t < s2; t++) filter[t] = kappa * theta[k * s2 + t];
    let l1 = 0;
    let moment = 0;
    for (let a = 0; a < s; a++) for (let b = 0; b < s; b++) {
      l1 += Math.abs(filter[a * s + b]);
      moment += Math.abs(filter[a * s + b]) * Math.hypot(a - half, b - half);
    }
    norms.l1 = l1;
    norms.moment = moment;
    return norms;
  };
  const curvatureBound = (theta: Float64Array): number => {
    let same = true;
    for (let i = 0; i < dimTheta; i++) if (theta[i] !== lastTheta[i]) same = false;
    if (same) return lastBound;
    const nu = Math.exp(theta[dimTheta - 1]);
    symbol.fill(0);
    let l1Bound = 0;
    let lipschitz = 0;
    for (let k = 0; k < K; k++) {
      const weight = Math.exp(theta[K * s2 + k]);
      const c = filter;
      const { l1, moment } = loadFilter(theta, k);
      l1Bound += weight * l1 * l1;
      lipschitz += weight * 2 * l1 * moment;
      // partial sums over b for every frequency index j2: P[j2, a] = Σ_b c[a, b] e^{−i b ω_{j2}}
      for (let j = 0; j < GRID; j++) {
        for (let a = 0; a < s; a++) {
          let re = 0;
          let im = 0;
          for (let b = 0; b < s; b++) {
            re += c[a * s + b] * cosTable[j * s + b];
            im -= c[a * s + b] * sinTable[j * s + b];
          }
          partRe[j * s + a] = re;
          partIm[j * s + a] = im;
        }
      }
      for (let j1 = 0; j1 < GRID; j1++) {
        for (let j2 = 0; j2 < GRID; j2++) {
          let re = 0;
          let im = 0;
          for (let a = 0; a < s; a++) {
            const cr = cosTable[j1 * s + a];
            const ci = -sinTable[j1 * s + a];
            const pr = partRe[j2 * s + a];
            const pi = partIm[j2 * s + a];
            re += cr * pr - ci * pi;
            im += cr * pi + ci * pr;
          }
          symbol[j1 * GRID + j2] += weight * (re * re + im * im);
        }
      }
    }
    let gridMax = 0;
    for (let i = 0; i < symbol.length; i++) {
      if (symbol[i] > gridMax) lastArgmax = i;
      gridMax = Math.max(gridMax, symbol[i]);
    }
    lastBound = (MULTIPLICITY * Math.min(l1Bound, gridMax + lipschitz * RADIUS)) / nu;
    lastTheta.set(theta);
    return lastBound;
  };
  /**
   * Whether curvatureBound(θ) ≥ value, without the frequency grid when it can: the symbol at the frequency where
   * the last grid had its maximum, computed with the grid's own operations (the same bits as its grid entry), bounds
   * the grid's maximum from below, so (4/ν)·min(Σ e^α ‖c‖₁², that symbol + Lipschitz·radius) bounds the bound from
   * below (rounding is monotone); only when that falls short of `value` is the grid computed.
   */
  const boundAtLeast = (theta: Float64Array, value: number): boolean => {
    let same = true;
    for (let i = 0; i < dimTheta; i++) if (theta[i] !== lastTheta[i]) same = false;
    if (same || lastArgmax < 0) return curvatureBound(theta) >= value;
    const nu = Math.exp(theta[dimTheta - 1]);
    const j1 = Math.floor(lastArgmax / GRID);
    const j2 = lastArgmax % GRID;
    let l1Bound = 0;
    let lipschitz = 0;
    let at = 0;
    for (let k = 0; k < K; k++) {
      const weight = Math.exp(theta[K * s2 + k]);
      const c = filter;
      const { l1, moment } = loadFilter(theta, k);
      l1Bound += weight * l1 * l1;
      lipschitz += weight * 2 * l1 * moment;
      let re = 0;
      let im = 0;
      for (let a = 0; a < s; a++) {
        let pr = 0;
        let pi = 0;
        for (let b = 0; b < s; b++) {
          pr += c[a * s + b] * cosTable[j2 * s + b];
          pi -= c[a * s + b] * sinTable[j2 * s + b];
        }
        const cr = cosTable[j1 * s + a];
        const ci = -sinTable[j1 * s + a];
        re += cr * pr - ci * pi;
        im += cr * pi + ci * pr;
      }
      at += weight * (re * re + im * im);
    }
    if ((MULTIPLICITY * Math.min(l1Bound, at + lipschitz * RADIUS)) / nu >= value) return true;
    return curvatureBound(theta) >= value;
  };

  return {
    name: 'foe',
    dimTheta,
    initialTheta: () => Float64Array.from(start),
    curvatureBound,
    bind: (width, height) => {
      if (width < s || height < s) throw new InputError(`images of ${width}×${height} are smaller than the ${s}×${s} filters`, fn);
      return boundFoe(width, height, K, s, kappa, curvatureBound, boundAtLeast);
    },
    info: { regularizer: `field of experts, ${K} filters ${s}×${s}, experts e^α_k √((c_k ⋆ z)² + ν²)`, parameters: dimTheta, filters: K, filterSize: s, filterScale: kappa },
  };
}

/** How many images' filter responses c_k ⋆ z a bound Field of Experts keeps for its HVPs (a CG batch's images). */
const RESPONSE_CACHE_SLOTS = 8;

function boundFoe(
  width: number,
  height: number,
  K: number,
  s: number,
  kappa: number,
  familyBound: (theta: Float64Array) => number,
  familyBoundAtLeast: (theta: Float64Array, value: number) => boolean,
): PatchRegularizer {
  const s2 = s * s;
  const pad = (s - 1) / 2;
  // the image extended by `pad` pixels on each side by reflection; responses at every pixel of the image
  const we = width + 2 * pad;
  const he = height + 2 * pad;
  const nv = width * height;
  const rowMap = Int32Array.from({ length: he }, (_, i) => reflectIndex(i - pad, height) * width);
  const colMap = Int32Array.from({ length: we }, (_, j) => reflectIndex(j - pad, width));
  // the correlations run in WebAssembly SIMD over buffers of one memory (foe-kernels.ts); the same bits as loops
  const kern = new FoeKernels(width, height, K, s);
  const { ez, ev, eo, q, qRow, resp, x: xq } = kern;
  const qa = new Float64Array(nv);
  const alphaAt = K * s2;
  const nuAt = K * s2 + K;
  const dimTheta = K * s2 + K + 1;
  /** The filters κθ the kernels hold are those of this θ (by value). */
  const filtersOf = new Float64Array(alphaAt).fill(NaN);
  const useFilters = (theta: Float64Array) => {
    let same = true;
    for (let i = 0; i < alphaAt; i++) if (theta[i] !== filtersOf[i]) same = false;
    if (same) return;
    kern.setFilters(theta, kappa);
    filtersOf.set(theta.subarray(0, alphaAt));
  };

  /** dst ← E·src[so…], the reflect extension. */
  const extend = (src: Float64Array, so: number, dst: Float64Array) => {
    for (let i = 0; i < he; i++) {
      const ro = so + rowMap[i];
      const eoff = i * we;
      for (let j = 0; j < we; j++) dst[eoff + j] = src[ro + colMap[j]];
    }
  };
  /** dst[do…] += Eᵀ·ext (folds the reflected margins back onto their pixels). */
  const fold = (ext: Float64Array, dst: Float64Array, dOff: number) => {
    for (let i = 0; i < he; i++) {
      const ro = dOff + rowMap[i];
      const eoff = i * we;
      for (let j = 0; j < we; j++) dst[ro + colMap[j]] += ext[eoff + j];
    }
  };
  /** The adjoint's input: q[r, c] at its place in the zero-bordered grid of the kernels. */
  const qAt = (r: number) => (r + s - 1) * qRow + s - 1;

  /**
   * The responses c_k ⋆ z of all K filters (K × nv) of the image z[zo…] at θ's filters, from a cache of the last
   * RESPONSE_CACHE_SLOTS images keyed by value (the filters and the image): a CG solve multiplies by the Hessian at
   * the same z many times, and the outer step's cross term at that z again. ez holds E z on return.
   */
  const slots = Array.from({ length: RESPONSE_CACHE_SLOTS }, () => ({
    filters: new Float64Array(alphaAt).fill(NaN),
    z: new Float64Array(nv),
    t: null as Float64Array | null,
    /** φ²·φ = (t² + ν²)^{3/2} of the responses, for the ν² it was made with (NaN: not made). */
    cube: null as Float64Array | null,
    nu2: NaN,
  }));
  let nextSlot = 0;
  const responses = (theta: Float64Array, z: Float64Array, zo: number): (typeof slots)[number] & { t: Float64Array } => {
    useFilters(theta);
    extend(z, zo, ez);
    for (const slot of slots) {
      if (slot.t === null) continue;
      let same = true;
      for (let i = 0; i < alphaAt && same; i++) if (theta[i] !== slot.filters[i]) same = false;
      for (let p = 0; p < nv && same; p++) if (z[zo + p] !== slot.z[p]) same = false;
      if (same) return slot as typeof slot & { t: Float64Array };
    }
    const slot = slots[nextSlot];
    nextSlot = (nextSlot + 1) % RESPONSE_CACHE_SLOTS;
    slot.t ??= new Float64Array(K * nv);
    for (let k = 0; k < K; k++) {
      kern.correlate(k, ez);
      slot.t.set(resp, k * nv);
    }
    slot.filters.set(theta.subarray(0, alphaAt));
    slot.z.set(z.subarray(zo, zo + nv));
    slot.nu2 = NaN;
    return slot as typeof slot & { t: Float64Array };
  };
  /** The cached responses' (t² + ν²)^{3/2} as the HVP's denominator computes it, made once per image, θ and ν. */
  const cubes = (slot: ReturnType<typeof responses>, nu2: number): Float64Array => {
    if (slot.cube !== null && slot.nu2 === nu2) return slot.cube;
    slot.cube ??= new Float64Array(K * nv);
    const { t, cube } = slot;
    for (let i = 0; i < K * nv; i++) {
      const phi2 = t[i] * t[i] + nu2;
      cube[i] = phi2 * Math.sqrt(phi2);
    }
    slot.nu2 = nu2;
    return cube;
  };

  // curvature: power iteration on Σ_k e^{α_k} C_kᵀC_k, warm-started from the last top eigenvector, cached per θ
  const lastTheta = new Float64Array(dimTheta).fill(NaN);
  let lastCurvature = NaN;
  let u = Float64Array.from({ length: nv }, (_, i) => Math.sin(1 + 12.9898 * i));
  let au = new Float64Array(nv);
  const gram = (theta: Float64Array, x: Float64Array, out: Float64Array) => {
    useFilters(theta);
    extend(x, 0, ev);
    eo.fill(0);
    for (let k = 0; k < K; k++) {
      const wk = Math.exp(theta[alphaAt + k]);
      kern.correlate(k, ev);
      for (let r = 0; r < height; r++) for (let c = 0, o = qAt(r), p = r * width; c < width; c++) q[o + c] = wk * resp[p + c];
      kern.correlateT(k);
    }
    out.fill(0);
    fold(eo, out, 0);
  };
  const curvature = (theta: Float64Array): number => {
    let same = true;
    for (let i = 0; i < dimTheta; i++) if (theta[i] !== lastTheta[i]) same = false;
    if (same) return lastCurvature;
    let rho = 0;
    for (let it = 0; it < POWER_MAX_ITER; it++) {
      let norm = 0;
      for (let p = 0; p < nv; p++) norm += u[p] * u[p];
      norm = Math.sqrt(norm);
      for (let p = 0; p < nv; p++) u[p] /= norm;
      gram(theta, u, au);
      let next = 0;
      for (let p = 0; p < nv; p++) next += u[p] * au[p];
      [u, au] = [au, u];
      const done = Math.abs(next - rho) <= POWER_TOL * next;
      rho = next;
      if (done) break;
    }
    // min(family bound, estimate), the family bound computed only when it may be the smaller
    const estimate = (POWER_MARGIN * rho) / Math.exp(theta[nuAt]);
    lastCurvature = familyBoundAtLeast(theta, estimate) ? estimate : Math.min(familyBound(theta), estimate);
    lastTheta.set(theta);
    return lastCurvature;
  };

  return {
    width,
    height,
    curvature,
    value(theta, z, zo) {
      const nu2 = Math.exp(2 * theta[nuAt]);
      useFilters(theta);
      extend(z, zo, ez);
      let total = 0;
      for (let k = 0; k < K; k++) {
        kern.correlate(k, ez);
        let sum = 0;
        for (let p = 0; p < nv; p++) sum += Math.sqrt(resp[p] * resp[p] + nu2);
        total += Math.exp(theta[alphaAt + k]) * sum;
      }
      return total;
    },
    grad(theta, z, zo, out, oo, scale) {
      const nu2 = Math.exp(2 * theta[nuAt]);
      useFilters(theta);
      extend(z, zo, ez);
      eo.fill(0);
      for (let k = 0; k < K; k++) {
        const wk = scale * Math.exp(theta[alphaAt + k]);
        kern.correlate(k, ez);
        kern.psi(wk, nu2);
        kern.correlateT(k);
      }
      fold(eo, out, oo);
    },
    hvp(theta, z, zo, v, vo, out, oo, scale) {
      const nu2 = Math.exp(2 * theta[nuAt]);
      const cube = cubes(responses(theta, z, zo), nu2);
      extend(v, vo, ev);
      eo.fill(0);
      for (let k = 0; k < K; k++) {
        const wk = scale * Math.exp(theta[alphaAt + k]);
        const a = wk * nu2;
        kern.correlate(k, ev);
        for (let r = 0; r < height; r++) {
          for (let c = 0, o = qAt(r), p = r * width, d = k * nv + p; c < width; c++) q[o + c] = (a * resp[p + c]) / cube[d + c];
        }
        kern.correlateT(k);
      }
      fold(eo, out, oo);
    },
    cross(theta, z, zo, v, vo, out, scale) {
      const nu2 = Math.exp(2 * theta[nuAt]);
      const { t } = responses(theta, z, zo);
      extend(v, vo, ev);
      for (let k = 0; k < K; k++) {
        const wk = scale * Math.exp(theta[alphaAt + k]);
        kern.correlate(k, ev);
        let sAlpha = 0;
        let sNu = 0;
        for (let p = 0; p < nv; p++) {
          const tp = t[k * nv + p];
          const sp = resp[p];
          const phi2 = tp * tp + nu2;
          const phi = Math.sqrt(phi2);
          const psi = tp / phi;
          const dpsi = nu2 / (phi2 * phi);
          sAlpha += psi * sp;
          sNu += dpsi * tp * sp;
          xq[p] = wk * dpsi * sp;
          qa[p] = wk * psi;
        }
        out[alphaAt + k] += wk * sAlpha;
        out[nuAt] -= wk * sNu;
        kern.correlateFilter(ez, kappa, out, k * s2);
        xq.set(qa);
        kern.correlateFilter(ev, kappa, out, k * s2);
      }
    },
    gradTheta(theta, z, zo, out, scale) {
      const nu2 = Math.exp(2 * theta[nuAt]);
      useFilters(theta);
      extend(z, zo, ez);
      for (let k = 0; k < K; k++) {
        const wk = scale * Math.exp(theta[alphaAt + k]);
        kern.correlate(k, ez);
        let sPhi = 0;
        let sInv = 0;
        for (let p = 0; p < nv; p++) {
          const phi = Math.sqrt(resp[p] * resp[p] + nu2);
          sPhi += phi;
          sInv += 1 / phi;
          xq[p] = (wk * resp[p]) / phi;
        }
        out[alphaAt + k] += wk * sPhi;
        out[nuAt] += wk * nu2 * sInv;
        kern.correlateFilter(ez, kappa, out, k * s2);
      }
    },
  };
}
