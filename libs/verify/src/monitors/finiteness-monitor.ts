import type { BilevelProblem } from '@bilevel/problems';
import type { StreamName } from '@bilevel/solvers';
import { DivergenceError } from '@bilevel/streams';
import type { Snapshot } from '@bilevel/streams';
import { knownKeys } from '../validate-options';
import type { Finding, Monitor } from '@bilevel/streams';

const NAME = 'finiteness';
const OWNER = { z: 'inner', v: 'linsys', x: 'outer' } as const satisfies Record<'z' | 'v' | 'x', StreamName>;

/** The oracles each stream calls, in the order a step calls them. */
const ORACLES: Record<StreamName, readonly ('innerGradZ' | 'innerHvp' | 'outerGradZ' | 'innerCross' | 'outerGradX')[]> = {
  inner: ['innerGradZ'],
  linsys: ['innerHvp', 'outerGradZ'],
  outer: ['innerCross', 'outerGradX'],
};

function firstNonFinite(a: Float64Array): number {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return i;
  return -1;
}

/**
 * The first of `stream`'s oracles whose full-batch output at (z, v, x) has a non-finite entry: since an oracle's
 * output is a mean over its batch, a sample giving NaN or ±∞ shows in the full-batch mean. Undefined when every
 * output is finite (then the step itself overflowed), or when an oracle throws.
 */
export function nonFiniteOracle(problem: BilevelProblem, stream: StreamName, z: Float64Array, v: Float64Array, x: Float64Array): { oracle: string; index: number } | undefined {
  for (const oracle of ORACLES[stream]) {
    const out = new Float64Array(oracle === 'innerCross' || oracle === 'outerGradX' ? problem.dimX : problem.dimZ);
    try {
      if (oracle === 'innerGradZ') problem.innerGradZ(z, x, problem.fullInner, out);
      else if (oracle === 'innerHvp') problem.innerHvp(z, x, v, problem.fullInner, out);
      else if (oracle === 'outerGradZ') problem.outerGradZ(z, x, problem.fullOuter, out);
      else if (oracle === 'innerCross') problem.innerCross(z, x, v, problem.fullInner, out);
      else problem.outerGradX(z, x, problem.fullOuter, out);
    } catch {
      return undefined;
    }
    const index = firstNonFinite(out);
    if (index >= 0) return { oracle, index };
  }
  return undefined;
}

/**
 * Finiteness of every iterate and oracle output. Guarantees: a snapshot whose z, v or x holds NaN or ±∞ gives one
 * `violation` naming the variable, its stream and the first bad index (once per variable); a run that ends with a
 * {@link DivergenceError} (the streams check every iterate they publish) gives a `violation` naming the stream,
 * the variable and, when one of that stream's oracles is non-finite on the full batch at the last finite state,
 * the oracle (otherwise the step itself produced it from finite oracle outputs, and the message says so). Silent on a
 * finite run. Cost: one pass over z, v, x per snapshot.
 *
 * @example withMonitors(run(p, s, o), monitorContext(p, s, o), [finitenessMonitor()])
 */
export function finitenessMonitor(options: Record<string, never> = {}): Monitor {
  knownKeys('finitenessMonitor', options, []);
  return {
    name: NAME,
    description: 'every iterate z, v, x and oracle output is finite; the first non-finite value names its stream, variable and oracle',
    start: (ctx) => {
      const reported = { z: false, v: false, x: false };
      return {
        onSnapshot(s: Snapshot) {
          const found: Finding[] = [];
          for (const w of ['z', 'v', 'x'] as const) {
            if (reported[w]) continue;
            const index = firstNonFinite(s[w]);
            if (index < 0) continue;
            reported[w] = true;
            found.push({
              level: 'violation',
              monitor: NAME,
              iteration: s.iteration,
              message: `${w}[${index}] = ${s[w][index]} (the ${OWNER[w]} stream's variable)`,
              value: s[w][index],
              stream: OWNER[w],
              variable: w,
              index,
            });
          }
          return found;
        },
        onError(err: unknown) {
          if (!(err instanceof DivergenceError)) return [];
          const last = err.lastFinite;
          const bad = nonFiniteOracle(ctx.problem, err.stream, last.z, last.v, last.x);
          const cause = bad
            ? `: ${bad.oracle} is non-finite on the full batch at the last finite state (entry ${bad.index})`
            : ': its oracles are finite on the full batch at the last finite state, so the step itself produced it (step sizes too large?)';
          return [
            {
              level: 'violation',
              monitor: NAME,
              iteration: last.iteration,
              message: `the ${err.stream} stream produced a non-finite ${err.variable} at version ${err.version}${cause}`,
              stream: err.stream,
              variable: err.variable,
              ...(bad ? { oracle: bad.oracle } : {}),
            },
          ];
        },
      };
    },
  };
}
