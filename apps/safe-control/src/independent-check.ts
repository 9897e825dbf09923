// Test support: an independent float64 check of what `safe-control verify` certifies for PJ and lane keeping,
// written apart from the verifier's code path (no @bilevel/control, no @bilevel/verify, no @bilevel/linalg) so that a
// bug shared with the verifier cannot hide: the systems are re-typed from ../shared/docs/anchors.md and the system
// definitions' terms, the files are parsed here, the polynomial is evaluated here, the sampler and the counterexample
// search (local search from the worst samples) are this file's own.

/** The conditions of a barrier certificate as the system defines them (never as a file states them). */
export interface IndependentSystem {
  readonly name: 'pj' | 'lane-keeping';
  readonly nx: number;
  readonly domain: { readonly lo: readonly number[]; readonly hi: readonly number[] };
  readonly initial: { readonly centre: readonly number[]; readonly radius: number };
  readonly unsafe: { readonly centre: readonly number[]; readonly radius: number };
  /** Ranges of the uncertain parameters (PJ's α₁, α₂; none for lane keeping). */
  readonly params: readonly { readonly lo: number; readonly hi: number }[];
  readonly dt: number;
  /** λ_B of the system's terms. */
  readonly lambdaB: number;
  readonly discrete: boolean;
  /** Continuous: f(x, u; α). Discrete: the successor x⁺ = A x + B u. */
  readonly map: (x: readonly number[], u: number, alpha: readonly number[]) => number[];
}

const LK_A = [
  [1, 0.019, 0.268, 0.0006],
  [0, 0.877, 0, -0.186],
  [0, 0.00017, 1, 0.0189],
  [0, 0.0164, 0, 0.892],
];
const LK_B = [0.0077, 0.718, 0.0032, 0.315];

/** PJ: ẋ₁ = α₁x₂, ẋ₂ = α₂x₁³ + u, α₁ ∈ [0.9, 1.1], α₂ ∈ [0.3, 0.37], on [−2, 2]²; λ_B = −4. */
export const PJ_INDEPENDENT: IndependentSystem = {
  name: 'pj',
  nx: 2,
  domain: { lo: [-2, -2], hi: [2, 2] },
  initial: { centre: [1.5, 0], radius: 0.5 },
  unsafe: { centre: [-0.8, -1], radius: 0.5 },
  params: [
    { lo: 0.9, hi: 1.1 },
    { lo: 0.3, hi: 0.37 },
  ],
  dt: 0.1,
  lambdaB: -4,
  discrete: false,
  map: (x, u, a) => [a[0] * x[1], a[1] * x[0] * x[0] * x[0] + u],
};

/** Lane keeping: x⁺ = A_d x + B_d u (Δt = 0.02) on [−3, 3]⁴; λ_B = −4 (decay factor 0.92). */
export const LANE_KEEPING_INDEPENDENT: IndependentSystem = {
  name: 'lane-keeping',
  nx: 4,
  domain: { lo: [-3, -3, -3, -3], hi: [3, 3, 3, 3] },
  initial: { centre: [0.4, 2, 0.5, 0], radius: 0.2 },
  unsafe: { centre: [2, 2, 0, 1], radius: 1 },
  params: [],
  dt: 0.02,
  lambdaB: -4,
  discrete: true,
  map: (x, u) => LK_A.map((row, i) => row.reduce((s, a, j) => s + a * x[j], 0) + LK_B[i] * u),
};

/** One condition's worst point: `value` > 0 (beyond the tolerance) means the condition fails there. */
export interface IndependentWorst {
  readonly condition: 'initial' | 'unsafe' | 'derivative';
  readonly value: number;
  readonly point: readonly number[];
  /** Where it was found: among the samples, or by the local search from them. */
  readonly by: 'samples' | 'search';
}

/** What {@link independentCheck} found. */
export interface IndependentResult {
  readonly holds: boolean;
  /** The worst point of each condition. */
  readonly worst: readonly IndependentWorst[];
}

/** Float slack of the check: the verifier proves the conditions for the real numbers; float64 evaluation errs by ulps. */
export const INDEPENDENT_TOLERANCE = 1e-9;

/** mulberry32: a small seeded generator of uniform numbers in [0, 1), this file's own. */
function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The policy u(x) of a policy.json of kind 'feature' and degree 1: u = [θ₀ +] Σ θ_i x_i. */
function readPolicy(doc: Record<string, unknown>, nx: number): (x: readonly number[]) => number {
  if (doc.kind !== 'feature' || doc.degree !== 1 || typeof doc.constant !== 'boolean' || !Array.isArray(doc.theta)) {
    throw new Error(`independentCheck: only linear feature policies are checked, received kind ${String(doc.kind)}, degree ${String(doc.degree)}`);
  }
  const theta = doc.theta as number[];
  const off = doc.constant ? 1 : 0;
  if (theta.length !== nx + off) throw new Error(`independentCheck: theta must hold ${nx + off} numbers, received ${theta.length}`);
  return (x) => x.reduce((s, v, i) => s + theta[off + i] * v, off ? theta[0] : 0);
}

/** B(x) and ∇B(x) of a certificate.json's terms Σ c·Π x_i^e_i. */
function readCertificate(doc: Record<string, unknown>, nx: number): { value: (x: readonly number[]) => number; gradient: (x: readonly number[]) => number[] } {
  const terms = (doc.terms as { exponents: number[]; coefficient: number }[]).map((t) => ({ e: t.exponents, c: t.coefficient }));
  for (const t of terms) if (t.e.length !== nx) throw new Error('independentCheck: exponents of the wrong length');
  const value = (x: readonly number[]) => terms.reduce((s, t) => s + t.c * t.e.reduce((p, k, i) => p * x[i] ** k, 1), 0);
  const gradient = (x: readonly number[]) =>
    x.map((_, j) => terms.reduce((s, t) => (t.e[j] === 0 ? s : s + t.c * t.e[j] * t.e.reduce((p, k, i) => p * (i === j ? x[i] ** (k - 1) : x[i] ** k), 1)), 0));
  return { value, gradient };
}

/**
 * Checks, in float64, the conditions of the system (`sys`, with the system's λ_B; the file's stated terms are
 * ignored) for the policy and certificate documents (parsed JSON): B ≤ 0 on X₀, B > 0 on Xᵤ, and on the domain box
 * ∇B·f(x, π(x); α) − λ_B B ≤ 0 for all α in range (continuous) or B(x⁺) − (1 + Δt λ_B) B(x) ≤ 0 (discrete), at
 * `samples` uniform points per condition and at the best point of a counterexample search: a compass search that
 * maximizes the condition's left-hand side from the `starts` worst samples, inside the set (projection on the ball,
 * clamping to the box and the parameter ranges). Holds when no value exceeds {@link INDEPENDENT_TOLERANCE}.
 */
export function independentCheck(
  sys: IndependentSystem,
  policyDoc: Record<string, unknown>,
  certificateDoc: Record<string, unknown>,
  options: { readonly samples?: number; readonly starts?: number; readonly seed?: number } = {},
): IndependentResult {
  const samples = options.samples ?? 100_000;
  const starts = options.starts ?? 20;
  const next = uniform(options.seed ?? 1);
  const u = readPolicy(policyDoc, sys.nx);
  const B = readCertificate(certificateDoc, sys.nx);
  const n = sys.nx;
  const gauss = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const inBall = (ball: IndependentSystem['initial']) => (): number[] => {
    const d = Array.from({ length: n }, gauss);
    const norm = Math.hypot(...d) || 1;
    const r = ball.radius * next() ** (1 / n);
    return d.map((v, i) => ball.centre[i] + (r * v) / norm);
  };
  const projectBall = (ball: IndependentSystem['initial']) => (p: number[]): number[] => {
    const d = p.map((v, i) => v - ball.centre[i]);
    const norm = Math.hypot(...d);
    return norm <= ball.radius ? p : d.map((v, i) => ball.centre[i] + (v * ball.radius) / norm);
  };
  const lo = [...sys.domain.lo, ...sys.params.map((p) => p.lo)];
  const hi = [...sys.domain.hi, ...sys.params.map((p) => p.hi)];
  const inBox = (): number[] => lo.map((l, i) => l + (hi[i] - l) * next());
  const clampBox = (p: number[]): number[] => p.map((v, i) => Math.min(hi[i], Math.max(lo[i], v)));
  const factor = 1 + sys.dt * sys.lambdaB;
  const derivative = (p: number[]): number => {
    const x = p.slice(0, n);
    const alpha = p.slice(n);
    const image = sys.map(x, u(x), alpha);
    if (sys.discrete) return B.value(image) - factor * B.value(x);
    const g = B.gradient(x);
    return g.reduce((s, gi, i) => s + gi * image[i], 0) - sys.lambdaB * B.value(x);
  };
  const conditions: Array<{ name: IndependentWorst['condition']; draw: () => number[]; project: (p: number[]) => number[]; lhs: (p: number[]) => number; scale: number[] }> = [
    { name: 'initial', draw: inBall(sys.initial), project: projectBall(sys.initial), lhs: (x) => B.value(x), scale: new Array<number>(n).fill(sys.initial.radius) },
    // B > 0 on Xᵤ: −B < 0; the check allows −B ≤ tolerance only through B > 0 below
    { name: 'unsafe', draw: inBall(sys.unsafe), project: projectBall(sys.unsafe), lhs: (x) => -B.value(x), scale: new Array<number>(n).fill(sys.unsafe.radius) },
    { name: 'derivative', draw: inBox, project: clampBox, lhs: derivative, scale: lo.map((l, i) => (hi[i] - l) / 2) },
  ];
  const worst: IndependentWorst[] = [];
  let holds = true;
  for (const c of conditions) {
    const best: Array<{ p: number[]; v: number }> = [];
    for (let s = 0; s < samples; s++) {
      const p = c.draw();
      const v = c.lhs(p);
      if (best.length < starts || v > best[best.length - 1].v || Number.isNaN(v)) {
        best.push({ p, v: Number.isNaN(v) ? Infinity : v });
        best.sort((a, b) => b.v - a.v);
        if (best.length > starts) best.pop();
      }
    }
    let top: IndependentWorst = { condition: c.name, value: best[0].v, point: best[0].p, by: 'samples' };
    for (const start of best) {
      let p = start.p;
      let v = start.v;
      let step = 0.25;
      for (let it = 0; it < 400 && step > 1e-9; it++) {
        let moved = false;
        for (let i = 0; i < p.length && !moved; i++) {
          for (const sign of [1, -1]) {
            const q = [...p];
            q[i] += sign * step * c.scale[i];
            const qp = c.project(q);
            const w = c.lhs(qp);
            if (w > v || Number.isNaN(w)) {
              p = qp;
              v = Number.isNaN(w) ? Infinity : w;
              moved = true;
              break;
            }
          }
        }
        if (!moved) step /= 2;
      }
      if (v > top.value) top = { condition: c.name, value: v, point: p, by: 'search' };
    }
    worst.push(top);
    const fails = c.name === 'unsafe' ? !(top.value < 0) : !(top.value <= INDEPENDENT_TOLERANCE * (1 + Math.abs(B.value(top.point.slice(0, n)))));
    if (fails) holds = false;
  }
  return { holds, worst };
}
