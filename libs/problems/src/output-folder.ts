import { accessSync, constants, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from './input-error';

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
 * after every input was validated, so that bad input leaves nothing behind.
 */
export function prepareOutDir(dir: string): string {
  checkOutDir(dir);
  const abs = resolve(dir);
  try {
    mkdirSync(abs, { recursive: true });
    accessSync(abs, constants.W_OK);
  } catch (err) {
    throw new InputError(`cannot create or write the output folder (${(err as NodeJS.ErrnoException).code ?? String(err)})`, `--out ${dir}`);
  }
  return abs;
}
