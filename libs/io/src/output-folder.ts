import { accessSync, constants, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InputError } from './input-error';
import { fsErrorReason } from './fs-error-reason';

/** The default output folder of a command-line run: runs/<time>-<first>-<second>. */
export function defaultOutDir(first: string, second: string): string {
  return join('runs', `${new Date().toISOString().replace(/[:.]/g, '-')}-${first}-${second}`);
}

/**
 * Refuses an output folder that exists and is a file or a non-empty folder (an earlier run is never overwritten),
 * without creating anything: for validating `--out` before a long run. Errors are {@link InputError}s at `--out DIR`.
 */
export function checkOutDir(dir: string): void {
  const abs = resolve(dir);
  if (!existsSync(abs)) return;
  let entries: string[];
  try {
    entries = readdirSync(abs);
  } catch {
    throw new InputError('exists and is not a folder', `--out ${dir}`);
  }
  if (entries.length > 0) throw new InputError('folder is not empty; choose a new folder so no earlier run is overwritten', `--out ${dir}`);
}

/**
 * {@link checkOutDir}, then creates the folder and checks that it is writable; returns its absolute path. Call only
 * after every input was validated, so that bad input leaves nothing behind. A folder that refuses writes (read-only
 * file system, no permission) is reported as "not writable", naming the folder that refuses: Node's recursive
 * mkdir reports ENOENT there.
 */
export function prepareOutDir(dir: string): string {
  checkOutDir(dir);
  const abs = resolve(dir);
  try {
    mkdirSync(abs, { recursive: true });
    accessSync(abs, constants.W_OK);
  } catch (err) {
    const refusing = notWritable(abs);
    const why = refusing ? `: ${refusing.dir === abs ? 'it' : refusing.dir} is not writable (${refusing.reason})` : ` (${fsErrorReason(err)})`;
    throw new InputError(`cannot create or write the output folder${why}`, `--out ${dir}`);
  }
  return abs;
}

/**
 * Throws an {@link InputError} at `where` when the existing folder `dir` refuses writes (a read-only file system,
 * no permission): for a command that continues in a folder it did not create (`--resume`), before any work.
 */
export function checkWritableDir(dir: string, where: string): void {
  const refusing = notWritable(resolve(dir));
  if (refusing) throw new InputError(`${refusing.dir} is not writable (${refusing.reason}); nothing was written`, where);
}

/** The nearest existing folder on the way to `abs` (itself included) when it refuses writes, with the reason. */
function notWritable(abs: string): { dir: string; reason: string } | undefined {
  let dir = abs;
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  try {
    accessSync(dir, constants.W_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EROFS' && code !== 'EACCES' && code !== 'EPERM') return undefined;
    return { dir, reason: `${code}: ${REASONS[code]}` };
  }
}

const REASONS: Record<string, string> = { EROFS: 'read-only file system', EACCES: 'permission denied', EPERM: 'operation not permitted' };
