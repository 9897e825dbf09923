import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The temporary folder of a fuzz run's fixtures (see {@link fixtureFolder}). */
export interface FixtureFolder {
  /** The folder, under the system's temporary folder. */
  readonly root: string;
  /** An empty folder in it. */
  readonly emptyDir: string;
  /** A folder in it that holds a file. */
  readonly fullDir: string;
  /** Where the cases' `--out` folders go (one fresh name per case). */
  readonly outRoot: string;
  /** Writes a file of the folder; returns its path. */
  readonly file: (name: string, content: string | Uint8Array) => string;
}

/** 512 bytes of no format at all: the garbage a path-valued option is given. */
export const GARBAGE_BYTES: Uint8Array = Uint8Array.from({ length: 512 }, (_, i) => (i * 151 + 7) & 255);

/** A fresh temporary folder (named `prefix` and a random suffix) with an empty folder, a full folder and `out/`. */
export function fixtureFolder(prefix: string): FixtureFolder {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const file = (name: string, content: string | Uint8Array) => {
    const path = join(root, name);
    writeFileSync(path, content);
    return path;
  };
  const emptyDir = join(root, 'empty-dir');
  const fullDir = join(root, 'full-dir');
  mkdirSync(emptyDir);
  mkdirSync(fullDir);
  writeFileSync(join(fullDir, 'keep.txt'), 'x');
  const outRoot = join(root, 'out');
  mkdirSync(outRoot);
  return { root, emptyDir, fullDir, outRoot, file };
}
