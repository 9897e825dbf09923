import { Rng } from '@bilevel/linalg';
import type { Box, ControlSystem } from '@bilevel/control';
import { sampleBall } from '@bilevel/control';
import type { CertificatePlotCertificate, CertificatePlotRegion, CertificatePlotTrajectory } from '@bilevel/telemetry';
import { certificatePlotSvg, svgToPng } from '@bilevel/telemetry';
import type { ClosedLoopTrajectory } from './closed-loop';

/** Grid points per axis of the certificate's sampled values. */
const GRID = 121;
/** Points of the initial ball on which a Lyapunov function's drawn level is taken. */
const LEVEL_SAMPLES = 2000;

/** A certificate the picture can draw: anything evaluable at a state (a Polynomial, or a barrier MLP wrapped). */
export interface PlottedCertificate {
  evaluate(x: Float64Array): number;
}

/** What the picture shows besides the trajectories. */
export interface PhasePictureInput {
  readonly system: ControlSystem;
  readonly trajectories: readonly ClosedLoopTrajectory[];
  /** The certificate (barrier B or Lyapunov V), or null (baseline, simulate without certificate). */
  readonly certificate: PlottedCertificate | null;
  /** The state box drawn (its first two coordinates) [the system's domain]; the neural track's verified domain. */
  readonly box?: Box;
  readonly counterexample?: Float64Array | null;
  readonly title: string;
  readonly subtitle: readonly string[];
}

/** The picture and a sentence on the projection used (null for 2-D systems). */
export interface PhasePicture {
  readonly svg: string;
  readonly png: Uint8Array;
  readonly projection: string | null;
}

/**
 * The phase-plane picture of a run via @bilevel/telemetry's certificatePlotSvg: the state box, the initial and unsafe
 * balls, the domain ball (dashed) when the system has one, the certificate's level set from a GRID × GRID grid of its
 * values — {B = 0} for a barrier; for a Lyapunov function the level {V = max of V over the initial ball} (estimated on
 * LEVEL_SAMPLES points), the sublevel set that contains the initial set — and the trajectories, those that enter the
 * unsafe set flagged. For nx > 2 the picture is the plane of the first two states: sets and trajectories are
 * projected (a ball's projection is the disc of the same radius), and B is the slice through the initial set's
 * centre in the other coordinates; the returned `projection` says so and the caller puts it in the subtitle.
 */
export async function phasePicture(input: PhasePictureInput): Promise<PhasePicture> {
  const { system: sys } = input;
  const nx = sys.nx;
  const projection =
    nx > 2
      ? `projection on (${sys.stateNames[0]}, ${sys.stateNames[1]}); certificate sliced at ${sys.stateNames
          .slice(2)
          .map((n, i) => `${n} = ${sys.initial.centre[i + 2]}`)
          .join(', ')} (the initial set's centre)`
      : null;
  const ball = (b: { centre: readonly number[]; radius: number }): CertificatePlotRegion => ({ kind: 'ball', centre: [b.centre[0], b.centre[1]], radius: b.radius });
  const drawn = input.box ?? sys.domain;
  const box = { lower: [drawn.lo[0], drawn.lo[1]] as const, upper: [drawn.hi[0], drawn.hi[1]] as const };
  let certificate: CertificatePlotCertificate | undefined;
  if (input.certificate !== null) {
    const b = input.certificate;
    const x = Float64Array.from(sys.initial.centre);
    const values = new Float64Array(GRID * GRID);
    for (let j = 0; j < GRID; j++) {
      for (let i = 0; i < GRID; i++) {
        x[0] = box.lower[0] + (i * (box.upper[0] - box.lower[0])) / (GRID - 1);
        x[1] = box.lower[1] + (j * (box.upper[1] - box.lower[1])) / (GRID - 1);
        values[j * GRID + i] = b.evaluate(x);
      }
    }
    if (sys.certificate === 'barrier') certificate = { nx: GRID, ny: GRID, values, level: 0, label: 'B(x) = 0' };
    else {
      const level = Math.max(...sampleBall(sys.initial.centre, sys.initial.radius, LEVEL_SAMPLES, Rng.fromSeed(0)).map((p) => b.evaluate(p)));
      certificate = { nx: GRID, ny: GRID, values, level, label: `V(x) = ${level.toPrecision(3)} (max on initial set)` };
    }
  }
  const trajectories: CertificatePlotTrajectory[] = input.trajectories.map((t) => {
    const steps = t.xs.length / nx;
    const points = new Float64Array(2 * Math.max(steps, 2));
    for (let k = 0; k < steps; k++) {
      points[2 * k] = t.xs[k * nx];
      points[2 * k + 1] = t.xs[k * nx + 1];
    }
    if (steps < 2) points.set(points.subarray(0, 2), 2); // a one-state (diverged at once) trajectory drawn as a dot
    return { points, entersUnsafe: t.unsafeStep >= 0 };
  });
  const svg = await certificatePlotSvg(
    {
      box,
      stateNames: [sys.stateNames[0], sys.stateNames[1]],
      initialSet: ball(sys.initial),
      unsafeSet: sys.unsafe ? ball(sys.unsafe) : [],
      ...(sys.domainBall ? { domain: ball(sys.domainBall) } : {}),
      ...(certificate ? { certificate } : {}),
      trajectories,
      ...(input.counterexample ? { counterexamples: [[input.counterexample[0], input.counterexample[1]] as [number, number]] } : {}),
    },
    { title: input.title, subtitle: projection ? [...input.subtitle, projection] : [...input.subtitle] },
  );
  return { svg, png: svgToPng(svg), projection };
}
