import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fsErrorReason, InputError } from '@bilevel/io';
import type { CheckpointValue, Logger } from '@bilevel/telemetry';
import { readCheckpoint, WriteBackoff, writeCheckpoint, WriteError, writeFileAtomic } from '@bilevel/telemetry';
import type { TrainConfig } from './train-config';

/** The files of a training folder that `--resume` reads. */
export const TRAIN_FILES = { config: 'train-config.json', checkpoint: 'checkpoint.bin' } as const;
/** Kind tag of a training checkpoint (see `writeCheckpoint` of @bilevel/telemetry). */
export const TRAIN_CHECKPOINT_KIND = 'safe-control-train';
/** Default `--checkpoint-every`: a training shorter than this writes one only when it stops early or is interrupted. */
export const DEFAULT_TRAIN_CHECKPOINT_SECONDS = 60;
/** The options a resumed training may change (the others are the saved ones). */
export const RESUME_OPTIONS = ['resume', 'maxIter', 'maxSeconds', 'checkpointEvery', 'json', 'logLevel'] as const;

/** What `--resume DIR` continues from. */
export interface TrainResume {
  /** The training folder (absolute). */
  readonly dir: string;
  /** The saved state: what the track's driver put in it. */
  readonly state: Readonly<Record<string, CheckpointValue>>;
  /** The checkpoint file loaded (the `.prev` one when the latest was unusable). */
  readonly file: string;
  readonly fromPrevious: boolean;
}

/**
 * Writes train-config.json, the configuration `--resume` continues with; being the first file written, it also
 * proves that the folder takes writes before any work starts (a read-only or full disk is an InputError here).
 */
export function saveTrainConfig(dir: string, config: TrainConfig): void {
  try {
    writeFileAtomic(join(dir, TRAIN_FILES.config), JSON.stringify({ ...config, out: dir }, null, 2) + '\n');
  } catch (err) {
    throw new InputError(`cannot write to the output folder (${fsErrorReason(err)}); free space or choose another --out`, dir);
  }
}

/**
 * Reads what `--resume DIR` needs: the saved configuration and the latest usable checkpoint (the previous one when
 * the latest is corrupt or truncated). Every defect is one InputError naming the file; nothing is half-loaded.
 */
export function readTrainResume(dir: string): { config: TrainConfig; resume: TrainResume } {
  const abs = resolve(dir);
  const configPath = join(abs, TRAIN_FILES.config);
  const folder = statSync(abs, { throwIfNoEntry: false });
  if (!folder) throw new InputError('no such folder; expected the folder of a `safe-control train` run', `--resume ${dir}`);
  if (!folder.isDirectory()) throw new InputError('not a folder; expected the folder of a `safe-control train` run', `--resume ${dir}`);
  let config: TrainConfig;
  try {
    config = JSON.parse(readFileSync(configPath, 'utf8')) as TrainConfig;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? `no ${TRAIN_FILES.config}: not a folder written by \`safe-control train\`` : err instanceof SyntaxError ? `not valid JSON (${err.message})` : `unreadable training configuration (${fsErrorReason(err)})`;
    throw new InputError(why, configPath);
  }
  if (config === null || typeof config !== 'object' || typeof config.system !== 'string' || typeof config.track !== 'string') {
    throw new InputError('not a training configuration written by `safe-control train`', configPath);
  }
  const path = join(abs, TRAIN_FILES.checkpoint);
  if (!existsSync(path) && !existsSync(`${path}.prev`)) {
    throw new InputError('no checkpoint to resume from: the training wrote none (one is written every --checkpoint-every seconds, when it is interrupted and when it ends on its budget)', path);
  }
  let loaded;
  try {
    loaded = readCheckpoint(path, { kind: TRAIN_CHECKPOINT_KIND, fallbackToPrevious: true });
  } catch (err) {
    throw new InputError(`no usable checkpoint: ${(err as Error).message.replace(/^readCheckpoint: /, '')}`, path);
  }
  const state = loaded.state as Record<string, CheckpointValue> | null;
  if (state === null || typeof state !== 'object' || Array.isArray(state) || state.track !== config.track) {
    throw new InputError(`the checkpoint does not hold a ${config.track}-track training state`, loaded.path);
  }
  return { config: { ...config, out: abs }, resume: { dir: abs, state, file: loaded.path, fromPrevious: loaded.fromPrevious } };
}

/**
 * Writes training checkpoints every `every` seconds (wall clock) and on demand, keeping the previous one. A write
 * that fails (full disk, read-only folder) leaves the previous checkpoint intact and the training goes on; the
 * next periodic attempt backs off ({@link WriteBackoff}: every·2^k after k failures, at most 64·every) and each
 * kind of failure is warned about once (repeats go to the debug log).
 */
export class TrainCheckpointer {
  private readonly backoff: WriteBackoff | null;
  /** Checkpoints written by this process, and the iteration of the latest. */
  written = 0;
  iteration: number | null = null;
  /** Failed attempts. */
  failed = 0;
  readonly path: string;

  constructor(
    dir: string,
    private readonly every: number,
    private readonly log: Logger,
    /** The clock, in seconds (wall time by default). */
    private readonly now: () => number = () => performance.now() / 1000,
  ) {
    this.path = join(dir, TRAIN_FILES.checkpoint);
    this.backoff = every > 0 ? new WriteBackoff({ period: every, start: now() }) : null;
  }

  /** Whether a periodic checkpoint is due. */
  due(): boolean {
    return this.backoff?.due(this.now()) ?? false;
  }

  /** Writes `state` (atomically; the previous checkpoint becomes `.prev`); false when the write failed. */
  save(state: Record<string, CheckpointValue>, iteration: number): boolean {
    const now = this.now();
    try {
      writeCheckpoint(this.path, state, { kind: TRAIN_CHECKPOINT_KIND, createdAt: new Date().toISOString(), meta: { iteration } });
    } catch (err) {
      if (!(err instanceof WriteError)) throw err;
      this.failed++;
      const f = this.backoff?.failed(now, err);
      const fields = { err: err.message, code: err.code, file: this.path, iteration, failures: f?.failures ?? this.failed, ...(f ? { retryInSeconds: f.retryIn } : {}) };
      if (!f || f.newKind) this.log.warn(fields, 'could not write the checkpoint; the previous one (if any) is kept; later attempts back off');
      else this.log.debug(fields, 'could not write the checkpoint again');
      return false;
    }
    const ended = this.backoff?.succeeded(now) ?? 0;
    this.written++;
    this.iteration = iteration;
    if (ended > 0) this.log.info({ iteration, file: this.path, failedAttempts: ended }, 'checkpoint written again');
    else this.log.debug({ iteration, file: this.path }, 'checkpoint written');
    return true;
  }
}

/**
 * The output files of a training: each written atomically; the first that cannot be written (full disk, read-only
 * folder) is kept and the later ones are skipped, so that the command prints its result and then ends with
 * {@link OutputFiles.failure} as one line (exit `writeFailed`).
 */
export class OutputFiles {
  /** The first write that failed. */
  failure: WriteError | null = null;

  constructor(readonly dir: string) {}

  /** Writes `name` in the folder; false when it (or an earlier file) could not be written. */
  write(name: string, data: string | Uint8Array): boolean {
    if (this.failure) return false;
    try {
      writeFileAtomic(join(this.dir, name), data);
      return true;
    } catch (err) {
      if (!(err instanceof WriteError)) throw err;
      this.failure = err;
      return false;
    }
  }

  /**
   * Throws the one-line error of a failed write: the file and the cause, how the training ended, and the last good
   * checkpoint to continue from. Does nothing when every file was written.
   */
  throwIfFailed(at: { outcome: string; iterations: number; checkpoint: { file: string; iteration: number } | null }): void {
    const f = this.failure;
    if (!f) return;
    const cause = f.cause instanceof Error ? f.cause.message : f.code;
    const next = at.checkpoint
      ? `the last good checkpoint (iteration ${at.checkpoint.iteration}) is kept in ${at.checkpoint.file}: free space, then continue with safe-control train --resume ${this.dir}`
      : 'no checkpoint was written';
    throw new WriteError(f.path, `could not write ${f.path} (${cause}); the training ended (${at.outcome}) at iteration ${at.iterations}; ${next}`, { cause: f });
  }
}

/** The checkpoint a training leaves to continue from: its own latest, else the one it was resumed from. */
export function keptCheckpoint(checkpoints: TrainCheckpointer, resumedFrom: { file: string; iteration: number } | null): { file: string; iteration: number } | null {
  return checkpoints.iteration !== null ? { file: checkpoints.path, iteration: checkpoints.iteration } : resumedFrom;
}

/** A state tree without its `diagnostics` (what a step measured: not needed to continue, and not plain data). */
export function withoutDiagnostics<T extends object>(state: T): T {
  return { ...state, diagnostics: null };
}

/**
 * A state tree as a checkpoint takes it: object properties whose value is `undefined` (optional fields left out)
 * are dropped; typed arrays, arrays and plain values are kept as they are (shared, not copied).
 */
export function plainTree(value: unknown): CheckpointValue {
  if (value === undefined) return null;
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value as CheckpointValue;
  if (Array.isArray(value)) return value.map(plainTree);
  const out: Record<string, CheckpointValue> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = plainTree(v);
  return out;
}
