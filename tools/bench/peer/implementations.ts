import type { Peer } from './run-peer';

/** One implementation the peer benchmark times: a peer process and its thread budget. */
export interface Implementation {
  /** Key of its figures in the JSON result: the peer's name, or `<peer>-<N>t` for a Python peer at a matched budget. */
  readonly id: string;
  readonly peer: Peer;
  /** Threads it may use: 1 for loop and streams, N for the threads driver, the BLAS threads of a Python peer. */
  readonly threads: number;
  /** Whether it is one of our drivers (loop, streams, threads) rather than a Python peer. */
  readonly ours: boolean;
  /** Its name in the tables. */
  readonly label: string;
}

/** Options of {@link implementations}. */
export interface ImplementationsOptions {
  /** The peer processes to run, in order (the threads driver and numba only where wanted and available). */
  readonly peers: readonly Peer[];
  /** BLAS threads of the Python peers. */
  readonly blasThreads: number;
  /** Threads of our threads driver (2 or 3; ignored when `peers` has no threads driver). */
  readonly ourThreads: number;
}

const OUR_LABELS = { loop: 'toolkit (runLoop)', streams: 'toolkit (RxJS streams)' } as const;

/**
 * The implementations to time: each peer of `peers` at its thread budget (loop and streams on one thread, the
 * threads driver on `ourThreads`, the Python peers on `blasThreads` BLAS threads), and, when the threads driver runs
 * and `ourThreads` differs from `blasThreads`, each Python peer once more at `ourThreads` BLAS threads (id
 * `numba-2t`…), so that every budget of ours meets the peers at the same budget in the same run.
 */
export function implementations(options: ImplementationsOptions): Implementation[] {
  const { peers, blasThreads, ourThreads } = options;
  const withThreads = peers.includes('threads');
  const python = (peer: Peer, threads: number, id: string): Implementation => ({
    id,
    peer,
    threads,
    ours: false,
    label: threads === 1 ? peer : `${peer} (${threads} BLAS threads)`,
  });
  return peers.flatMap((peer): Implementation[] => {
    if (peer === 'loop' || peer === 'streams') return [{ id: peer, peer, threads: 1, ours: true, label: OUR_LABELS[peer] }];
    if (peer === 'threads') return [{ id: peer, peer, threads: ourThreads, ours: true, label: `toolkit (streams on ${ourThreads} threads)` }];
    const base = python(peer, blasThreads, peer);
    return withThreads && ourThreads !== blasThreads ? [base, python(peer, ourThreads, `${peer}-${ourThreads}t`)] : [base];
  });
}
