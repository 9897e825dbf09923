import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '@bilevel/telemetry';
import type { RunResult } from '../bench/execute-run';
import type { Grid } from '../bench/grid-spec';
import { runKey } from './run-key';
import type { SweepJob } from './sweep-types';

/** Folder of the runs inside a sweep folder. */
export const RUNS_FOLDER = 'runs';
/** The grid of the last sweep into a folder. */
export const GRID_FILE = 'grid.json';

const KEY_PATTERN = /^[0-9a-f]{64}$/;

/**
 * The runs of a sweep folder, content-addressed: `<out>/runs/<key>/spec.json` (the {@link RunSpec}) and
 * `<out>/runs/<key>/result.json` (its {@link RunResult}), each written atomically when the run's result arrives, and `<out>/grid.json`, the grid of
 * the latest sweep. A run is complete when its result.json parses, names a spec whose key is the folder's and has
 * status `finished` or `diverged`; a missing or corrupt result, or one with status `error`, leaves the run pending,
 * so the next sweep into the folder runs it again. Sweeps of different grids may share a folder: runs they have in
 * common are run once.
 */
export class RunStore {
  /** Absolute path of the sweep folder. */
  readonly dir: string;

  constructor(dir: string) {
    if (typeof dir !== 'string' || dir.length === 0) throw new TypeError(`RunStore: dir is ${JSON.stringify(dir)}; expected a folder path`);
    this.dir = resolve(dir);
  }

  /** `<out>/runs/<key>`. */
  runDir(key: string): string {
    if (!KEY_PATTERN.test(key)) throw new RangeError(`RunStore.runDir: key is ${JSON.stringify(key)}; expected 64 lowercase hex digits (runKey)`);
    return join(this.dir, RUNS_FOLDER, key);
  }

  /** Records the grid of this sweep in `<out>/grid.json` (replacing an earlier sweep's). */
  writeGrid(grid: Grid): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileAtomic(join(this.dir, GRID_FILE), JSON.stringify(grid, null, 1) + '\n');
  }

  /** Writes `spec.json` of a job (creating its folder). */
  writeSpec(job: SweepJob): void {
    const dir = this.runDir(job.key);
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(join(dir, 'spec.json'), JSON.stringify(job.spec, null, 1) + '\n');
  }

  /**
   * Writes `spec.json` and then `result.json` of a job (a run's folder appears when its result arrives, so a sweep
   * of many runs writes nothing per run before they execute); the result must be of the job's spec.
   */
  writeResult(job: SweepJob, result: RunResult): void {
    if (result.id !== job.spec.id) throw new RangeError(`RunStore.writeResult: result.id is "${result.id}"; expected the job's "${job.spec.id}"`);
    this.writeSpec(job);
    writeFileAtomic(join(this.runDir(job.key), 'result.json'), JSON.stringify(result) + '\n');
  }

  /**
   * The stored result of a run, if its result.json parses and belongs to the folder (the key of its spec is the
   * folder's key); undefined when missing, corrupt or misplaced. Any status, `error` included.
   */
  read(key: string): RunResult | undefined {
    let text: string;
    try {
      text = readFileSync(join(this.runDir(key), 'result.json'), 'utf8');
    } catch {
      return undefined;
    }
    let result: RunResult;
    try {
      result = JSON.parse(text) as RunResult;
      if (result === null || typeof result !== 'object' || result.spec === null || typeof result.spec !== 'object' || !Array.isArray(result.points)) return undefined;
      if (runKey(result.spec) !== key) return undefined;
    } catch {
      return undefined;
    }
    return result;
  }

  /** Whether the run needs no new execution: a valid result with status `finished` or `diverged`. */
  complete(key: string): boolean {
    const status = this.read(key)?.status;
    return status === 'finished' || status === 'diverged';
  }
}
