import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '@bilevel/problems';
import type { CheckpointValue, Logger } from '@bilevel/telemetry';
import { readCheckpoint, writeCheckpoint, writeFileAtomic } from '@bilevel/telemetry';
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
    throw new InputError(`cannot write to the output folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); free space or choose another --out`, dir);
  }
}

/**
 * Reads what `--resume DIR` needs: the saved configuration and the latest usable checkpoint (the previous one when
 * the latest is corrupt or truncated). Every defect is one InputError naming the file; nothing is half-loaded.
 */
export function readTrainResume(dir: string): { config: TrainConfig; resume: TrainResume } {
  const abs = resolve(dir);
  const configPath = join(abs, TRAIN_FILES.config);
  let config: TrainConfig;
  try {
    config = JSON.parse(readFileSync(configPath, 'utf8')) as TrainConfig;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? `no ${TRAIN_FILES.config}: not a folder written by \`safe-control train\`` : `unreadable training configuration (${(err as Error).message})`, configPath);
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

/** Writes training checkpoints every `every` seconds (wall clock) and on demand, keeping the previous one. */
export class TrainCheckpointer {
  private last = performance.now();
  /** Checkpoints written by this process, and the iteration of the latest. */
  written = 0;
  iteration: number | null = null;
  readonly path: string;

  constructor(
    dir: string,
    private readonly every: number,
    private readonly log: Logger,
  ) {
    this.path = join(dir, TRAIN_FILES.checkpoint);
  }

  /** Whether a periodic checkpoint is due. */
  due(): boolean {
    return this.every > 0 && (performance.now() - this.last) / 1000 >= this.every;
  }

  /**
   * Writes `state` (atomically; the previous checkpoint becomes `.prev`). A full disk or a vanished folder is a
   * warning: the previous checkpoint is intact and the training goes on.
   */
  save(state: Record<string, CheckpointValue>, iteration: number): boolean {
    this.last = performance.now();
    try {
      writeCheckpoint(this.path, state, { kind: TRAIN_CHECKPOINT_KIND, createdAt: new Date().toISOString(), meta: { iteration } });
      this.written++;
      this.iteration = iteration;
      this.log.debug({ iteration, file: this.path }, 'checkpoint written');
      return true;
    } catch (err) {
      this.log.warn({ err: (err as Error).message, file: this.path }, 'could not write the checkpoint; the previous one (if any) is kept');
      return false;
    }
  }
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
