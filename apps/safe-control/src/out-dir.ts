import { accessSync, constants, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '@bilevel/problems';

/** The default output folder: runs/<time>-<command>-<system>. */
export function defaultOutDir(command: string, system: string): string {
  return join('runs', `${new Date().toISOString().replace(/[:.]/g, '-')}-${command}-${system}`);
}

/**
 * Refuses an output folder that exists and is not empty (an earlier run is never overwritten), then creates it.
 * Call only after every input was validated, so that bad input leaves nothing behind.
 */
export function prepareOutDir(dir: string): string {
  const abs = resolve(dir);
  if (existsSync(abs)) {
    let entries: string[];
    try {
      entries = readdirSync(abs);
    } catch {
      throw new InputError('exists and is not a folder', `--out ${dir}`);
    }
    if (entries.length > 0) throw new InputError('folder is not empty; choose a new folder so no earlier run is overwritten', `--out ${dir}`);
  }
  try {
    mkdirSync(abs, { recursive: true });
    accessSync(abs, constants.W_OK);
  } catch (err) {
    throw new InputError(`cannot create or write the output folder (${(err as NodeJS.ErrnoException).code ?? String(err)})`, `--out ${dir}`);
  }
  return abs;
}

/** The same check without creating anything: for validating --out before a long run. */
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
