import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { InputError } from '@bilevel/io';
import type { DashboardJson, DashboardMeta, DashboardSink } from '@bilevel/dashboard';
import { finiteOrNull } from '@bilevel/dashboard';

/** Most bytes read from the trace per poll (a long trace is replayed over several polls, the page kept responsive). */
const MAX_READ_BYTES = 4 * 2 ** 20;

/** A trace line as `bilevel run` writes it: an evaluated row, or a monitor's finding. */
interface TraceLine {
  readonly iter?: number;
  readonly solverSeconds?: number;
  readonly value?: number;
  readonly hypergradNorm?: number;
  readonly relativeSuboptimality?: number;
  readonly oracleCalls?: number;
  readonly metrics?: Record<string, number>;
  readonly finding?: { level: string; monitor: string; iteration: number; message: string; value?: number; bound?: number; stream?: string };
}

/** A run folder followed by the dashboard: {@link RunReplay.poll} sends what was appended since the last poll. */
export interface RunReplay {
  readonly meta: DashboardMeta;
  /** Reads the lines appended to the trace and, once it exists, the summary; true once the run has ended. */
  poll(): boolean;
}

function readJson(path: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InputError(`cannot read ${what} (${(err as Error).message})`, path);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InputError(`${what} holds no JSON object`, path);
  return value as Record<string, unknown>;
}

/**
 * Replays a folder written by `bilevel run` to a dashboard: its configuration (run-config.json) as the heading, each
 * evaluated row of trace.jsonl as a point (h, h − h* when the summary gives h*, ‖∇h‖, the relative suboptimality and
 * the problem's metrics), each finding, and once summary.json is written, the end. A running run is followed: each
 * {@link RunReplay.poll} reads only the complete lines appended since the last one (a line being written waits for
 * the next poll). The live samples of the three streams are not in the trace: a replay shows the evaluated rows.
 * An InputError when the folder is not a run folder.
 */
export function replayRun(dir: string, sink: DashboardSink): RunReplay {
  const abs = resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new InputError('no such folder; expected a folder written by `bilevel run`', dir);
  const configPath = join(abs, 'run-config.json');
  if (!existsSync(configPath)) throw new InputError('no run-config.json: not a folder written by `bilevel run`', abs);
  const config = readJson(configPath, 'the run configuration');
  const tracePath = join(abs, 'trace.jsonl');
  const summaryPath = join(abs, 'summary.json');
  const field = (k: string) => (typeof config[k] === 'string' || typeof config[k] === 'number' ? (config[k] as string | number) : undefined);
  const meta: DashboardMeta = {
    kind: 'run',
    title: `${field('problem') ?? 'run'} · ${field('solver') ?? '?'} · seed ${field('seed') ?? 0} (replay)`,
    fields: Object.fromEntries(
      Object.entries({ schedule: field('schedule'), 'max iterations': field('maxIter'), 'evaluated every': field('evalEvery'), folder: abs }).filter(([, v]) => v !== undefined),
    ) as Record<string, string | number>,
    controls: { stop: false, pause: false },
  };
  sink({ type: 'meta', meta });
  // a run that has ended gives h* at once: its rows are drawn as h − h*
  let hStar: number | undefined;
  let ended = false;
  let offset = 0;
  let partial = '';
  // a character cut by a read (the writer mid-line, or the read's size) is completed by the next one
  const decoder = new StringDecoder('utf8');
  let lineNumber = 0;
  const end = () => {
    const summary = readJson(summaryPath, 'the run summary');
    const status = typeof summary.status === 'string' ? summary.status : 'ended';
    sink({
      type: 'state',
      patch: {
        status: 'ended',
        outcome: status,
        failed: status !== 'finished' && status !== 'interrupted',
        notice: `replayed from ${abs}`,
        ...(typeof summary.iterations === 'number' ? { iteration: summary.iterations } : {}),
        ...(typeof summary.solverSeconds === 'number' ? { solverSeconds: summary.solverSeconds } : {}),
      },
    });
    ended = true;
  };
  if (existsSync(summaryPath)) {
    const h = readJson(summaryPath, 'the run summary').hStar;
    if (typeof h === 'number') hStar = h;
  }
  sink({ type: 'state', patch: { status: 'running', schedule: field('schedule') ?? null, maxIter: field('maxIter') ?? null, hStar: hStar ?? null, notice: `following ${tracePath}` } });

  const line = (text: string) => {
    lineNumber++;
    if (text.trim() === '') return;
    let l: TraceLine;
    try {
      l = JSON.parse(text) as TraceLine;
    } catch (err) {
      throw new InputError(`line ${lineNumber} is not JSON (${(err as Error).message})`, tracePath);
    }
    if (l.finding) {
      const f = l.finding;
      sink({ type: 'item', list: 'findings', item: { level: f.level, monitor: f.monitor, iteration: f.iteration, message: f.message, value: finiteOrNull(f.value), bound: finiteOrNull(f.bound), stream: f.stream ?? null } });
      return;
    }
    if (typeof l.iter !== 'number') return;
    const metrics: Record<string, number | null> = Object.fromEntries(Object.entries(l.metrics ?? {}).map(([k, v]) => [`m:${k}`, finiteOrNull(v)]));
    sink({
      type: 'point',
      series: 'eval',
      point: {
        iter: l.iter,
        t: finiteOrNull(l.solverSeconds),
        h: finiteOrNull(l.value),
        gap: hStar !== undefined && l.value !== undefined ? finiteOrNull(l.value - hStar) : null,
        rel: finiteOrNull(l.relativeSuboptimality),
        grad: finiteOrNull(l.hypergradNorm),
        calls: finiteOrNull(l.oracleCalls),
        ...metrics,
      },
    });
    sink({ type: 'state', patch: { iteration: l.iter, ...(typeof l.solverSeconds === 'number' ? { solverSeconds: l.solverSeconds } : {}) } as Record<string, DashboardJson> });
  };

  return {
    meta,
    poll() {
      if (ended) return true;
      // the summary is written after the trace is closed: once it exists, the trace is complete
      const complete = existsSync(summaryPath);
      if (existsSync(tracePath)) {
        const fd = openSync(tracePath, 'r');
        try {
          const size = fstatSync(fd).size;
          if (size < offset) throw new InputError(`the trace shrank from ${offset} to ${size} bytes while it was followed`, tracePath);
          const n = Math.min(size - offset, MAX_READ_BYTES);
          if (n > 0) {
            const buf = Buffer.alloc(n);
            const read = readSync(fd, buf, 0, n, offset);
            offset += read;
            const lines = (partial + decoder.write(buf.subarray(0, read))).split('\n');
            partial = lines.pop() ?? '';
            for (const l of lines) line(l);
          }
          if (offset < size) return false; // more to read at the next poll
        } finally {
          closeSync(fd);
        }
      }
      if (complete) {
        if (partial.trim() !== '') line(partial);
        partial = '';
        end();
      }
      return ended;
    },
  };
}
