import { closeSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { describeValue } from './describe-value';
import { errorMessage, WriteError } from './write-error';

/**
 * Replaces the file at `path` with `data` atomically: the bytes go to a temporary file in the same directory
 * (`.<name>.<pid>.<random>.tmp`), which is fsynced and then renamed over the target. Readers see either the old
 * file or the complete new one, never a half-written target; on failure the temporary file is removed and the
 * target is left untouched, and the error is a {@link WriteError} (a full disk, a read-only folder…) naming the
 * target. An existing target's permission bits are kept. The directory is fsynced afterwards
 * where the platform allows it, so the rename itself survives a power loss.
 *
 * Synchronous by design: it is used for small end-of-run artefacts (summary JSON, plots) by a CLI program.
 * Written here rather than taken from the `write-file-atomic` package, which is not a dependency of this repo;
 * that package could replace it.
 *
 * @example
 * writeFileAtomic('runs/soba-1/summary.json', JSON.stringify(summary, null, 2));
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  if (typeof path !== 'string' || path.length === 0) {
    throw new TypeError(`writeFileAtomic: path is ${describeValue(path)}; expected a non-empty file path`);
  }
  if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
    throw new TypeError(`writeFileAtomic: data is ${describeValue(data)}; expected a string or a Uint8Array`);
  }
  const tmp = writeTemporaryFile(path, data);
  try {
    renameSync(tmp, path);
  } catch (err) {
    removeQuietly(tmp);
    throw new WriteError(path, `writeFileAtomic: could not replace ${path} (${errorMessage(err)}); the target was left unchanged`, { cause: err });
  }
  fsyncDirectory(dirname(path));
}

/**
 * Writes `data` to a new temporary file beside `path` (`.<name>.<pid>.<random>.tmp`, the permission bits of an
 * existing `path`), fsynced, and returns its path; the caller renames it into place. On failure the temporary file
 * is removed and a {@link WriteError} naming `path` is thrown ("the target was left unchanged").
 */
export function writeTemporaryFile(path: string, data: string | Uint8Array): string {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const mode = existingMode(path);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', mode ?? 0o666);
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    removeQuietly(tmp);
    throw new WriteError(path, `writeFileAtomic: could not replace ${path} (${errorMessage(err)}); the target was left unchanged`, { cause: err });
  }
  return tmp;
}

/** Removes a file if it exists; a file that is gone already (or cannot be removed) is not an error here. */
export function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // never created, gone already, or in a folder that refuses it: nothing more to do
  }
}

/** The permission bits of an existing regular file at `path`, or undefined. */
function existingMode(path: string): number | undefined {
  try {
    const st = statSync(path);
    return st.isFile() ? st.mode & 0o7777 : undefined;
  } catch {
    return undefined;
  }
}

/** Best effort: directories cannot be opened for fsync on every platform (Windows), and that is acceptable. */
export function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // not supported here
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
