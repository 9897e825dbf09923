import { saba } from '@bilevel/solvers';
import type { Rebuilt } from '@bilevel/streams';
import { runLoop } from '@bilevel/streams';
import type { PeerTaskName } from './peer-problem';
import { loadPeerProblem, peerSteps } from './peer-problem';

/** What the `threads` driver of toolkit-child.ts hands each worker thread (plain data, structured-cloneable). */
export interface PeerRebuildArgs {
  readonly name: PeerTaskName;
  /** Fashion-MNIST folder of the data-cleaning task; null: the bundled subset (unused for logreg-hpo). */
  readonly dir: string | null;
  /**
   * Iterations of an untimed warm-up in the worker (runLoop, seed 1000, the timed run's checkpoint spacing) before it
   * says ready, so that its JIT and WebAssembly tiers settle as the main thread's do in its own warm-up: each run of
   * `run` starts fresh workers, which would otherwise run the first timed iterations cold. 0: none.
   */
  readonly warmupIter: number;
  /** Checkpoint spacing of the warm-up (the timed run's). */
  readonly every: number;
}

/**
 * The problem and SABA of a peer task as toolkit-child.ts builds them on the main thread (`loadPeerProblem(name,
 * dir)`, peer-task.ts's `peerProblem` without the CLI's modules, and `saba(peerSteps(name))`), rebuilt in a worker
 * thread of `run(…, { threads, rebuild })`;
 * then the worker's warm-up, and a full garbage collection when `gc` is exposed (the child runs with --expose-gc),
 * so that the warm-up's garbage is not marked during the timed run.
 */
export async function rebuildPeer(args: PeerRebuildArgs): Promise<Rebuilt> {
  const problem = await loadPeerProblem(args.name, args.dir ?? undefined);
  const solver = saba(peerSteps(args.name));
  if (args.warmupIter > 0) {
    const sink = new Float64Array(problem.dimX + 2 * problem.dimZ);
    // two runs of half the iterations (two runs' counting wrappers), as toolkit-child.ts warms up: after one, the
    // timed run's new wrappers deoptimize the steps that inlined the first run's ("wrong call target")
    for (let w = 0; w < 2; w++) {
      runLoop(problem, solver, { maxIter: Math.ceil(args.warmupIter / 2), sampleEvery: args.every, seed: 1_000 + w }, (s) => {
        sink.set(s.x);
        sink.set(s.z, problem.dimX);
        sink.set(s.v, problem.dimX + problem.dimZ);
      });
      // free this run's prefaulted SAGA tables before the next run (or the timed one) allocates its own
      (globalThis as { gc?: () => void }).gc?.();
    }
  }
  return { problem, solver };
}
