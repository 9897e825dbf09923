import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError, MAX_OPTIONS_FILE_BYTES, readJsonFile } from '@bilevel/io';
import type { RunState } from '@bilevel/streams';
import { readCheckpoint } from '@bilevel/telemetry';
import type { RunConfig } from './run-config';
import { CHECKPOINT_KIND, RUN_FILES } from './run-folder';

/** A run to continue: its folder, and what its checkpoint holds (see {@link readResume}). */
export interface ResumeInfo {
  readonly dir: string;
  readonly state: RunState;
  readonly trace: { readonly bytes: number; readonly lines: number };
  /** The program's own numbers kept in the checkpoint (`RunCheckpointsOptions.extra`); empty for older checkpoints. */
  readonly extra: Readonly<Record<string, number>>;
  /** The checkpoint file loaded (the `.prev` one when the latest was unusable). */
  readonly file: string;
  readonly fromPrevious: boolean;
}

/**
 * Reads what `--resume DIR` needs: the saved configuration and the latest usable checkpoint (the previous one
 * when the latest is corrupt or truncated, said in `fromPrevious`). Every defect is an InputError naming the file.
 */
export function readResume(dir: string): { config: Omit<RunConfig, 'json' | 'progress'>; resume: ResumeInfo } {
  const abs = resolve(dir);
  const configPath = join(abs, RUN_FILES.config);
  if (!existsSync(configPath)) throw new InputError('no run-config.json: not a folder written by `bilevel run`', configPath);
  // the shared reader of user JSON files: a regular file, size-capped, and no "__proto__" key (the keys are copied onto
  // the options)
  const config = readJsonFile(configPath, { what: 'run configuration', maxBytes: MAX_OPTIONS_FILE_BYTES }) as Omit<RunConfig, 'json' | 'progress'>;
  if (config === null || typeof config !== 'object' || typeof config.problem !== 'string') throw new InputError('not a run configuration written by `bilevel run`', configPath);
  const checkpointPath = join(abs, RUN_FILES.checkpoint);
  if (!existsSync(checkpointPath) && !existsSync(`${checkpointPath}.prev`)) {
    throw new InputError('no checkpoint to resume from: the run wrote none (one is written every --checkpoint-every seconds of solver time, and when it is interrupted)', checkpointPath);
  }
  let loaded;
  try {
    loaded = readCheckpoint(checkpointPath, { kind: CHECKPOINT_KIND, fallbackToPrevious: true });
  } catch (err) {
    throw new InputError(`no usable checkpoint: ${(err as Error).message.replace(/^readCheckpoint: /, '')}`, checkpointPath);
  }
  const st = loaded.state as { run?: RunState; trace?: { bytes: number; lines: number }; extra?: Record<string, unknown> };
  if (!st || typeof st !== 'object' || !st.run || !st.trace || typeof st.trace.bytes !== 'number' || typeof st.trace.lines !== 'number') {
    throw new InputError('the checkpoint does not hold a run state and a trace position', loaded.path);
  }
  const extra: Record<string, number> = {};
  if (st.extra !== undefined && st.extra !== null && typeof st.extra === 'object') {
    for (const [k, v] of Object.entries(st.extra)) if (typeof v === 'number' && Number.isFinite(v)) extra[k] = v;
  }
  return { config, resume: { dir: abs, state: st.run, trace: st.trace, extra, file: loaded.path, fromPrevious: loaded.fromPrevious } };
}
