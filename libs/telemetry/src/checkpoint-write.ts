import { linkSync, readdirSync, renameSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { describeValue } from './describe-value';
import { encodeCheckpoint } from './checkpoint-encode';
import type { EncodeCheckpointOptions } from './checkpoint-encode';
import type { CheckpointValue } from './checkpoint-format';
import { errorCode, errorMessage, WriteError } from './write-error';
import { fsyncDirectory, removeQuietly, writeFileAtomic, writeTemporaryFile } from './write-file-atomic';

/** Options of {@link writeCheckpoint}: those of `encodeCheckpoint` plus what to do with the previous file. */
export interface WriteCheckpointOptions extends EncodeCheckpointOptions {
  /** Keep the checkpoint being replaced as `path + '.prev'`. Default true. */
  keepPrevious?: boolean;
}

/**
 * Writes `state` as a checkpoint at `path`, crash-safely, and never leaving a stray file behind:
 * 1. the state is encoded in memory first (an unencodable state leaves the disk untouched);
 * 2. the new bytes go to a temporary file beside `path`, fsynced: a full disk or a read-only folder fails here,
 *    the temporary file is removed and nothing else changed (`path` and `path + '.prev'` are as they were);
 * 3. with `keepPrevious` and an existing `path`: `path` gets a second, temporary name (a hard link), the new file
 *    is renamed over `path`, and that second name is renamed over `path + '.prev'`: so `path` never disappears,
 *    and `path` and `.prev` are always two different files. Where hard links are unsupported the current file is
 *    renamed to `.prev` instead (then `path` is absent for a moment, which `fallbackToPrevious` covers);
 * 4. the directory is fsynced.
 * A crash at any moment therefore leaves a complete checkpoint at `path`, or (in the rename fallback only) at
 * `path + '.prev'`, which `readCheckpoint(path, { fallbackToPrevious: true })` finds. Temporary files and links
 * that a killed process left beside `path` are removed by the next write. While a checkpoint is written the disk
 * holds three of them (latest, previous, new): a full disk fails in step 2, before the other two are touched.
 * Failures are {@link WriteError}s naming `path`.
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
  removeLeftovers(path);
  if (!keepPrevious || !isFile(path)) {
    writeFileAtomic(path, bytes);
    return bytes.length;
  }
  const tmp = writeTemporaryFile(path, bytes);
  try {
    replaceKeepingPrevious(path, tmp);
  } finally {
    removeQuietly(tmp);
  }
  fsyncDirectory(dirname(path));
  return bytes.length;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Lands the complete file `tmp` at `path` and keeps the file it replaces as `path + '.prev'` (see step 3). */
function replaceKeepingPrevious(path: string, tmp: string): void {
  const prev = `${path}.prev`;
  const link = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.prev-link`);
  const failed = (err: unknown, what: string): WriteError =>
    new WriteError(path, `writeCheckpoint: could not replace ${path} (${errorMessage(err)}); ${what}`, { cause: err });
  let linked = true;
  try {
    linkSync(path, link);
  } catch {
    linked = false;
  }
  if (!linked) {
    // no hard links on this file system: move the current checkpoint aside (path is absent until the new one lands)
    try {
      renameSync(path, prev);
    } catch (err) {
      throw failed(err, 'the checkpoint and its previous one were left unchanged');
    }
    try {
      renameSync(tmp, path);
    } catch (err) {
      try {
        renameSync(prev, path);
      } catch {
        // the latest checkpoint stays at .prev, where fallbackToPrevious finds it
      }
      throw failed(err, 'the latest checkpoint was kept');
    }
    return;
  }
  try {
    try {
      renameSync(tmp, path);
    } catch (err) {
      throw failed(err, 'the checkpoint and its previous one were left unchanged');
    }
    try {
      // (if .prev is already a second name of the replaced file, as an older version left it, this does nothing)
      renameSync(link, prev);
    } catch {
      // the new checkpoint landed; the previous one could not take the .prev name, which keeps an older checkpoint
    }
  } finally {
    removeQuietly(link);
  }
}

/** Pattern of the temporary names next to a checkpoint: `.<name>.<pid>.<12 hex>.tmp|prev-link`. */
const LEFTOVER = /^\.(.+)\.(\d+)\.[0-9a-f]{12}\.(tmp|prev-link)$/;

/** Removes temporary files and links that a process which no longer runs left beside `path`. */
function removeLeftovers(path: string): void {
  const name = basename(path);
  let entries: string[];
  try {
    entries = readdirSync(dirname(path));
  } catch {
    return;
  }
  for (const entry of entries) {
    const m = LEFTOVER.exec(entry);
    if (!m || m[1] !== name || Number(m[2]) === process.pid || isRunning(Number(m[2]))) continue;
    removeQuietly(join(dirname(path), entry));
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errorCode(err) === 'EPERM';
  }
}
