import { lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { bundledDataPath } from '@bilevel/problems';
import { InputError } from '@bilevel/io';
import type { RunSpec } from '../../bench/expand-grid';

/** The folder of the data bundled with the toolkit (libs/problems/data): always readable by a worker. */
export function bundledDataRoot(): string {
  return dirname(bundledDataPath('breast_cancer.csv'));
}

/** A data root: the folder as given (absolute) and its real path. */
export interface DataRoot {
  readonly given: string;
  readonly real: string;
}

/** The path fields of a grid row's problem config, and what each names. */
const PATH_FIELDS: readonly (readonly ['train' | 'val' | 'data', 'file' | 'folder'])[] = [
  ['train', 'file'],
  ['val', 'file'],
  ['data', 'folder'],
];

/**
 * The folders a worker reads data from (`--data-root`, repeatable), each resolved to its real path, plus the bundled
 * data, which is always allowed. A root that is missing or not a folder is an InputError naming `--data-root`.
 *
 * @example
 * const roots = resolveDataRoots(['/srv/datasets']); // [/srv/datasets, …/libs/problems/data]
 */
export function resolveDataRoots(dirs: readonly string[] = []): DataRoot[] {
  const roots: DataRoot[] = [];
  for (const dir of [...dirs, bundledDataRoot()]) {
    const given = resolve(dir);
    let real: string;
    try {
      real = realpathSync(given);
      if (!statSync(real).isDirectory()) throw new Error('not a folder');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new InputError(`not a folder (${code === 'ENOENT' ? 'no such folder' : (code ?? (err as Error).message)}); expected a folder of data files`, `--data-root ${dir}`);
    }
    if (!roots.some((r) => r.real === real)) roots.push({ given, real });
  }
  return roots;
}

/** Whether `path` is `root` or lies inside it (both absolute and normalized). */
function inside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** A run's data path that this worker may not read; the message names the field and the path, never any content. */
export class DataPathError extends InputError {}

/**
 * A run's spec with its data paths (`train`, `val`: files; `data`: a folder) confined to the worker's data roots:
 * each path, resolved against the worker's working folder, must lie under a root as written, and its real path
 * (every symbolic link followed) under a root's real path; a file must be a regular file, a folder a folder whose
 * entries' real paths stay under the roots too (the loaders open fixed names inside it). Returns the spec with
 * the real paths, so what is read is what was checked. Any failure (outside, missing, unreadable, a device, a
 * link out) is one {@link DataPathError} with the same wording, so a refusal tells nothing about files outside the
 * roots. Paths left out mean the bundled data, which is always allowed.
 */
export function confineDataPaths(spec: RunSpec, roots: readonly DataRoot[]): RunSpec {
  const config: Record<string, unknown> = { ...spec.problem.config };
  for (const [field, kind] of PATH_FIELDS) {
    const path = config[field];
    if (path === undefined) continue;
    const refuse = () =>
      new DataPathError(`${JSON.stringify(path)} is not a readable ${kind} under this worker's data roots (${roots.map((r) => r.given).join(', ')}; see bilevel worker --data-root)`, `problem.config.${field}`);
    if (typeof path !== 'string') throw refuse();
    const absolute = resolve(path);
    if (!roots.some((r) => inside(absolute, r.given) || inside(absolute, r.real))) throw refuse();
    let real: string;
    try {
      real = realpathSync(absolute);
    } catch {
      throw refuse();
    }
    const allowed = (p: string) => roots.some((r) => inside(p, r.real));
    if (!allowed(real)) throw refuse();
    try {
      const stat = statSync(real);
      if (kind === 'file' ? !stat.isFile() : !stat.isDirectory()) throw refuse();
      if (kind === 'folder') {
        for (const entry of readdirSync(real)) {
          const p = join(real, entry);
          if (lstatSync(p).isSymbolicLink()) {
            let target: string;
            try {
              target = realpathSync(p);
            } catch {
              continue; // a dangling link opens nothing
            }
            if (!allowed(target)) throw refuse();
          }
        }
      }
    } catch (err) {
      if (err instanceof DataPathError) throw err;
      throw refuse();
    }
    config[field] = real;
  }
  return { ...spec, problem: { ...spec.problem, config: config as RunSpec['problem']['config'] } };
}
