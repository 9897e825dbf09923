import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { SweepJob } from '../sweep-types';
import { EXIT } from '../../exit-codes';
import { checkQueueName, DEFAULT_QUEUE_NAME, QUEUE_PREFIX } from './queue-protocol';
import type { RedisAuthSource } from './redis-url';
import { checkRedis, redisConnection, resolveRedisTarget } from './redis-url';

/** Job states as BullMQ reports them, and `unknown` for a run not (or no longer) in the queue. */
export const RUN_STATES = ['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed', 'waiting-children', 'unknown'] as const;
export type RunState = (typeof RUN_STATES)[number];

/** One run of the sweep as the queue sees it. */
export interface RunStatus {
  readonly key: string;
  readonly id: string;
  readonly state: RunState;
  /** Worker that holds or held the run (`host:pid`). */
  readonly worker?: string;
  /** Times a worker started it (a dead worker's start counts). */
  readonly starts?: number;
  readonly failedReason?: string;
  /**
   * An active run whose lock has expired: its worker stopped renewing it (killed, frozen, cut off), and the run
   * waits for a live worker's stalled-run check to put it back on the queue.
   */
  readonly lockExpired?: boolean;
}

/** What `bilevel sweep GRID --queue URL --status` shows. */
export interface QueueStatus {
  readonly url: string;
  readonly name: string;
  /** Jobs of every sweep in the queue, by state. */
  readonly queueCounts: Readonly<Record<string, number>>;
  /** This sweep's runs by state (every state listed, zeros included). */
  readonly sweepCounts: Readonly<Record<RunState, number>>;
  /** Active runs of this sweep whose worker stopped renewing the lock. */
  readonly lockExpired: number;
  readonly runs: readonly RunStatus[];
}

/** Options of {@link queueStatus}. */
export interface QueueStatusOptions extends RedisAuthSource {
  /** `redis://HOST:PORT[/DB]` (`--queue`). */
  readonly queue: string;
  /** [{@link DEFAULT_QUEUE_NAME}] */
  readonly name?: string;
}

/** Jobs read per batch. */
const BATCH = 200;

/**
 * The state of a sweep's runs in its queue: the queue's counts by state (all sweeps) and, for each run of this
 * sweep (its job id is the run key), its state, its worker, how many times it started and, for an active run,
 * whether its lock expired (its worker stopped renewing it: see {@link RunStatus.lockExpired}). The runs are read
 * from `jobs` in batches, as they come. Read-only.
 */
export async function queueStatus(options: QueueStatusOptions, jobs: Iterable<SweepJob>): Promise<QueueStatus> {
  const target = resolveRedisTarget(options.queue, options);
  const name = checkQueueName(options.name ?? DEFAULT_QUEUE_NAME);
  await checkRedis(target);
  const queue = new Queue(name, { connection: redisConnection(target), prefix: QUEUE_PREFIX, skipMetasUpdate: true });
  queue.on('error', () => undefined); // checked just above; a failure mid-way rejects the calls below
  const locks = new Redis({ ...(redisConnection(target) as object), lazyConnect: true, maxRetriesPerRequest: 1 });
  locks.on('error', () => undefined);
  try {
    await locks.connect();
    const queueCounts = await queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed');
    const runs: RunStatus[] = [];
    const readBatch = async (batch: readonly SweepJob[]) => {
      const found = await Promise.all(batch.map(async (job) => {
        const j = await queue.getJob(job.key);
        const state = j ? ((await j.getState()) as RunState) : ('unknown' as const);
        // BullMQ's lock of an active job: <prefix>:<queue>:<id>:lock, renewed by its worker every lockMs / 2
        const lockExpired = state === 'active' && (await locks.pttl(queue.toKey(`${job.key}:lock`))) < 0;
        return { job: j, state, lockExpired };
      }));
      for (const [k, { job, state, lockExpired }] of found.entries()) {
        runs.push({
          key: batch[k].key,
          id: batch[k].spec.id,
          state: (RUN_STATES as readonly string[]).includes(state) ? state : 'unknown',
          ...(job?.processedBy ? { worker: job.processedBy } : {}),
          ...(job ? { starts: job.attemptsStarted } : {}),
          ...(job?.failedReason ? { failedReason: job.failedReason } : {}),
          ...(lockExpired ? { lockExpired } : {}),
        });
      }
    };
    let batch: SweepJob[] = [];
    for (const job of jobs) {
      batch.push(job);
      if (batch.length === BATCH) {
        await readBatch(batch);
        batch = [];
      }
    }
    if (batch.length) await readBatch(batch);
    const sweepCounts = Object.fromEntries(RUN_STATES.map((s) => [s, 0])) as Record<RunState, number>;
    for (const r of runs) sweepCounts[r.state]++;
    return { url: target.url, name, queueCounts, sweepCounts, lockExpired: runs.filter((r) => r.lockExpired).length, runs };
  } finally {
    locks.disconnect();
    await queue.close();
  }
}

/**
 * The status as text: one line of this sweep's counts, one of the queue's, then a table of the runs that are not
 * completed (all of them with `all`), the active ones first.
 */
export function formatQueueStatus(status: QueueStatus, options: { readonly all?: boolean } = {}): string {
  const counts = (c: Readonly<Record<string, number>>) => Object.entries(c).filter(([, n]) => n > 0).map(([s, n]) => `${s} ${n}`).join(', ') || 'none';
  const lines = [
    `queue ${status.name} at ${status.url}`,
    `this sweep (${status.runs.length} runs): ${counts(status.sweepCounts)}`,
    `whole queue: ${counts(status.queueCounts)}`,
  ];
  if (status.lockExpired > 0) {
    lines.push(`${status.lockExpired} active run(s) whose worker stopped renewing its lock (killed or frozen): a live worker's stalled-run check puts them back on the queue`);
  }
  const order = (s: RunState) => ['active', 'failed', 'waiting', 'prioritized', 'delayed', 'unknown', 'completed'].indexOf(s);
  const shown = status.runs.filter((r) => options.all || r.state !== 'completed').sort((a, b) => order(a.state) - order(b.state));
  if (shown.length) {
    const stateOf = (r: RunStatus) => (r.lockExpired ? `${r.state} (lock expired: worker silent)` : r.state);
    const rows = [['run', 'state', 'starts', 'worker', 'key'], ...shown.map((r) => [r.id, stateOf(r), String(r.starts ?? 0), r.worker ?? '', r.key.slice(0, 12)])];
    const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
    lines.push('', ...rows.map((row) => row.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()));
    for (const r of shown) if (r.failedReason) lines.push(`  ${r.id}: ${r.failedReason}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * `bilevel sweep GRID --queue URL --status`: prints {@link formatQueueStatus}, or with `json` the status as one
 * JSON line. Returns 0.
 */
export async function queueStatusCommand(
  options: QueueStatusOptions & { readonly json?: boolean; readonly all?: boolean },
  jobs: Iterable<SweepJob>,
  io: { readonly stdout?: NodeJS.WritableStream } = {},
): Promise<number> {
  const status = await queueStatus(options, jobs);
  const stdout = io.stdout ?? process.stdout;
  stdout.write(options.json ? `${JSON.stringify(status)}\n` : formatQueueStatus(status, { all: options.all }));
  return EXIT.ok;
}
