import { linkSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { describeValue } from './describe-value';
import { encodeCheckpoint } from './checkpoint-encode';
import type { EncodeCheckpointOptions } from './checkpoint-encode';
import type { CheckpointValue } from './checkpoint-format';
import { writeFileAtomic } from './write-file-atomic';

/** Options of {@link writeCheckpoint}: those of `encodeCheckpoint` plus what to do with the previous file. */
export interface WriteCheckpointOptions extends EncodeCheckpointOptions {
  /** Keep the checkpoint being replaced as `path + '.prev'`. Default true. */
  keepPrevious?: boolean;
}

/**
 * Writes `state` as a checkpoint at `path`, crash-safely:
 * 1. the state is encoded in memory first (an unencodable state leaves the disk untouched);
 * 2. an existing `path` becomes `path + '.prev'`: hard-linked to a temporary name and renamed over the old
 *    `.prev`, so `path` itself never disappears; where hard links are unsupported it is renamed instead;
 * 3. the new bytes replace `path` through `writeFileAtomic` (temporary file, fsync, rename, fsync of the directory).
 * A crash at any moment therefore leaves a complete checkpoint at `path`, or (in the rename fallback only) at
 * `path + '.prev'`, which `readCheckpoint(path, { fallbackToPrevious: true })` finds.
 *
 * @returns the number of bytes written.
 * @example
 * writeCheckpoint('runs/saga-1/checkpoint.bin', state, { kind: 'bilevel-run', createdAt: new Date().toISOString(), meta: { iteration } });
 */
export function writeCheckpoint(path: string, state: CheckpointValue, options: WriteCheckpointOptions): number {
  if (typeof path !== 'string' || path.length === 0) {
    throw new TypeError(`writeCheckpoint: path is ${describeValue(path)}; expected a non-empty file path`);
  }
  const keepPrevious = options?.keepPrevious ?? true;
  if (typeof keepPrevious !== 'boolean') {
    throw new TypeError(`writeCheckpoint: options.keepPrevious is ${describeValue(keepPrevious)}; expected a boolean`);
  }
  const bytes = encodeCheckpoint(state, options);
  if (keepPrevious && isFile(path)) keepAsPrevious(path);
  writeFileAtomic(path, bytes);
  return bytes.length;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function keepAsPrevious(path: string): void {
  const prev = `${path}.prev`;
  const link = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.prev-link`);
  try {
    linkSync(path, link);
  } catch {
    // no hard links on this file system: move the current checkpoint aside (path is absent until the new one lands)
    try {
      renameSync(path, prev);
    } catch (err) {
      throw new Error(`writeCheckpoint: could not keep ${path} as ${prev} (${(err as Error).message}); nothing was changed`, { cause: err });
    }
    return;
  }
  try {
    renameSync(link, prev);
  } catch (err) {
    try {
      unlinkSync(link);
    } catch {
      // already gone
    }
    throw new Error(`writeCheckpoint: could not keep ${path} as ${prev} (${(err as Error).message}); nothing was changed`, { cause: err });
  }
}
