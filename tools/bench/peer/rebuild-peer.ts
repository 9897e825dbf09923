import { saba } from '@bilevel/solvers';
import type { Rebuilt } from '@bilevel/streams';
import type { PeerTaskName } from './peer-problem';
import { loadPeerProblem, peerSteps } from './peer-problem';

/** What the `threads` driver of toolkit-child.ts hands each worker thread (plain data, structured-cloneable). */
export interface PeerRebuildArgs {
  readonly name: PeerTaskName;
  /** Fashion-MNIST folder of the data-cleaning task; null: the bundled subset (unused for logreg-hpo). */
  readonly dir: string | null;
}

/**
 * The problem and SABA of a peer task as toolkit-child.ts builds them on the main thread (`loadPeerProblem(name,
 * dir)`, peer-task.ts's `peerProblem` without the CLI's modules, and `saba(peerSteps(name))`), rebuilt once in each
 * worker thread of the child's ThreadPool. The workers warm up through the pool's own warm-up runs, on the code
 * path of the timed run.
 */
export async function rebuildPeer(args: PeerRebuildArgs): Promise<Rebuilt> {
  const problem = await loadPeerProblem(args.name, args.dir ?? undefined);
  return { problem, solver: saba(peerSteps(args.name)) };
}
