import { join } from 'node:path';
import { checkWritableDir, defaultOutDir, InputError, prepareOutDir } from '@bilevel/io';
import { writeFileAtomic } from '@bilevel/telemetry';
import type { ResumeInfo } from './read-resume';

/** File names inside a run folder (`bilevel run`, every problem). */
export const RUN_FILES = { config: 'run-config.json', checkpoint: 'checkpoint.bin', trace: 'trace.jsonl' } as const;

/** Kind tag of a run's checkpoint file: `--resume` refuses any other. */
export const CHECKPOINT_KIND = 'bilevel-run';

/** Default `--checkpoint-every`: a run shorter than this never writes one, a longer one loses at most this much. */
export const DEFAULT_CHECKPOINT_SECONDS = 60;

/** The configuration as saved in the run folder, for `--resume` (no terminal-dependent fields: `json`, `progress`). */
export function persistableConfig(config: { readonly json: boolean; readonly progress: boolean }): Record<string, unknown> {
  const { json: _json, progress: _progress, ...rest } = config;
  return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
}

/** What {@link prepareRunFolder} needs. */
export interface RunFolderOptions {
  /** A resumed run writes into its own folder, which must still take writes. */
  readonly resume?: ResumeInfo;
  /** `--out`; default `runs/<time>-<problem>-<solver>`. */
  readonly out?: string;
  readonly problem: string;
  readonly solver: string;
  /** The configuration saved as run-config.json ({@link persistableConfig}). */
  readonly config: Record<string, unknown>;
}

/**
 * The run's output folder, ready before any work starts: a resumed run's own folder (checked writable), else a new
 * or empty one holding run-config.json, whose write is also the proof that the folder takes writes. A folder that
 * refuses is an InputError naming it, with nothing half-written.
 */
export function prepareRunFolder(options: RunFolderOptions): string {
  const { resume } = options;
  if (resume) {
    checkWritableDir(resume.dir, '--resume');
    return resume.dir;
  }
  const outDir = prepareOutDir(options.out ?? defaultOutDir(options.problem, options.solver));
  try {
    writeFileAtomic(join(outDir, RUN_FILES.config), JSON.stringify(options.config, null, 2) + '\n');
  } catch (err) {
    throw new InputError(`cannot write to the output folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); free space or choose another --out`, outDir);
  }
  return outDir;
}
