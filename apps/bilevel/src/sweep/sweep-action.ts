// The action of `bilevel sweep`: --status, the queue's secret, the dashboard and Ctrl-C around sweepCommand. main.ts
// imports this module when `sweep` runs, so that `--help` and a refused option do not load the sweep engine, the
// problems and the logger.
import { InputError } from '@bilevel/io';
import { createLogger } from '@bilevel/telemetry';
import { EXIT } from '../exit-codes';
import { readQueueSecret } from './queue/queue-secret';
import { readGridFile, sweepCommand } from './sweep-command';
import { checkRunCount, sweepJobs } from './sweep-engine';
import { sweepDashboardCli } from '../dashboard/dashboard-cli';

/** The options of `bilevel sweep` as commander parses them. */
export interface SweepCliOptions {
  readonly out?: string;
  readonly workers?: number;
  readonly maxRuns: number;
  readonly queue?: string;
  readonly queuePasswordFile?: string;
  readonly secretFile?: string;
  readonly queueName: string;
  readonly queueTimeout: number;
  readonly attempts: number;
  readonly status: boolean;
  readonly json: boolean;
  readonly dashboard: boolean;
  readonly dashboardLinger?: number;
}

/** Where `bilevel sweep` writes, and whether it handles signals (main's MainIo, resolved). */
export interface SweepActionIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly tty: boolean;
  readonly signals: boolean;
}

/** Runs `bilevel sweep <grid>` with the options commander parsed; returns the exit code. */
export async function sweepAction(grid: string, o: SweepCliOptions, io: SweepActionIo): Promise<number> {
  const { stdout, stderr, tty } = io;
  let code: number;
  const auth = o.queuePasswordFile !== undefined ? { passwordFile: o.queuePasswordFile } : {};
  if (o.status) {
    if (o.queue === undefined) throw new InputError('shows the runs of a queue; give --queue redis://HOST:PORT', '--status');
    const parsed = readGridFile(grid);
    checkRunCount(parsed, o.maxRuns, grid);
    // the queue client (BullMQ, ioredis) is loaded by the commands that use a queue only
    const { queueStatusCommand } = await import('./queue/queue-status');
    return queueStatusCommand({ queue: o.queue, ...auth, name: o.queueName, json: o.json }, sweepJobs(parsed), { stdout });
  }
  if (o.queue !== undefined && o.workers !== undefined) throw new InputError('the runs go to the queue\'s workers; --workers sizes the embedded pool', '--workers');
  const queue = o.queue;
  const secret = queue !== undefined ? readQueueSecret(o.secretFile !== undefined ? { secretFile: o.secretFile } : {}) : undefined;
  const controller = new AbortController();
  const stopFromPage = () => {
    stderr.write('\nstop from the dashboard: stopping; runs not finished rerun next time\n');
    controller.abort();
  };
  const dashboard = sweepDashboardCli({ dashboard: o.dashboard, dashboardLinger: o.dashboardLinger }, { stderr, stop: stopFromPage, signals: io.signals });
  const onSignal = (signal: string) => {
    stderr.write(`\nreceived ${signal}: stopping; runs not finished rerun next time (press again to exit at once)\n`);
    dashboard?.stopping();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    process.once('SIGINT', () => process.exit(EXIT.interrupted));
    process.once('SIGTERM', () => process.exit(EXIT.interrupted));
    controller.abort();
  };
  if (io.signals) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  const log = createLogger({ pretty: tty && !o.json, destination: stderr, level: 'info', name: 'bilevel-sweep' });
  const { QueueExecutor } = queue !== undefined ? await import('./queue/queue-executor') : { QueueExecutor: undefined };
  try {
    code = await sweepCommand(
      { grid, out: o.out, workers: o.workers, json: o.json, maxRuns: o.maxRuns },
      {
        stdout,
        stderr,
        progress: tty && !o.json,
        signal: controller.signal,
        ...(queue !== undefined && secret && QueueExecutor
          ? { openExecutor: () => QueueExecutor.open({ queue, ...auth, secret, name: o.queueName, attempts: o.attempts, timeoutMs: o.queueTimeout * 1000, log }) }
          : {}),
        ...(dashboard ? { dashboard: dashboard.request } : {}),
      },
    );
  } catch (err) {
    await dashboard?.fail(err instanceof InputError ? EXIT.badInput : EXIT.internal);
    throw err;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  await dashboard?.finish(code);
  return code;
}
