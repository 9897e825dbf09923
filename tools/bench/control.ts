import loadHighs from 'highs';
import { CertificateLp, FeaturePolicy, getSystem, jointTraining } from '@bilevel/control';

/** Starting θ per system (PJ: the affine controller u = θ₀ + θ₁x₁ + θ₂x₂ of the spec; others: zero policy). */
const SETUPS: Record<string, { constant: boolean; theta0?: number[]; maxIter: number }> = {
  pj: { constant: true, theta0: [0, -2, -2], maxIter: 60 },
  'lane-keeping': { constant: false, maxIter: 80 },
  pendulum: { constant: false, maxIter: 80 },
};

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * `npm run bench -- control [--repeats 3]`: the polynomial track (Handelman LP on HiGHS, joint policy update) on PJ,
 * lane keeping and the pendulum: iterations to c* ≤ 0, seconds per iteration (LP solve + rollouts + the update;
 * median per iteration and overall), LP size. The paper reported 0.58 s per iteration on PJ with an LP in Python.
 */
export async function benchControl(args: { repeats?: number } = {}) {
  const repeats = args.repeats ?? 3;
  const highs = await loadHighs();
  const rows: Record<string, unknown>[] = [];
  for (const [name, setup] of Object.entries(SETUPS)) {
    const sys = getSystem(name);
    const perRepeat: { iterations: number; seconds: number; perIter: number[]; cStar: number; rows: number; cols: number; certified: boolean }[] = [];
    for (let r = 0; r < repeats; r++) {
      const pi = new FeaturePolicy(sys.nx, sys.nu, { constant: setup.constant });
      const t0 = performance.now();
      const lp = new CertificateLp(sys, pi, highs);
      const run = jointTraining(sys, pi, lp);
      let s = run.init(setup.theta0 ? Float64Array.from(setup.theta0) : new Float64Array(pi.nTheta));
      const perIter: number[] = [];
      while (!s.done && s.iteration < setup.maxIter) {
        const t1 = performance.now();
        s = run.step(s);
        perIter.push((performance.now() - t1) / 1000);
      }
      const sol = s.diagnostics?.solution;
      perRepeat.push({ iterations: s.iteration, seconds: (performance.now() - t0) / 1000, perIter, cStar: s.diagnostics?.cStar ?? NaN, rows: sol?.rows ?? 0, cols: sol?.columns ?? 0, certified: s.outcome === 'certified' });
      lp.dispose();
    }
    const all = perRepeat.flatMap((p) => p.perIter);
    const first = perRepeat[0];
    rows.push({
      system: name,
      certified: perRepeat.every((p) => p.certified),
      iterations: first.iterations,
      'c*': +first.cStar.toFixed(4),
      'LP rows × cols': `${first.rows} × ${first.cols}`,
      's/iteration (median)': +median(all).toFixed(4),
      's/iteration (mean, first LP included)': +(perRepeat.reduce((t, p) => t + p.seconds, 0) / perRepeat.reduce((t, p) => t + Math.max(1, p.perIter.length), 0)).toFixed(4),
      'total s (median of repeats)': +median(perRepeat.map((p) => p.seconds)).toFixed(2),
      ...(name === 'pj' ? { 'speed-up vs paper 0.58 s': +(0.58 / median(all)).toFixed(1) } : {}),
    });
  }
  return { benchmark: 'control', task: `polynomial track, joint training from the SETUPS start, ${repeats} repeats`, rows };
}
