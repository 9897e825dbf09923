// The import that reaches a package entry point (`@bilevel/linalg`, `@bilevel/autodiff/tfjs`), read from the nearest
// package.json's `exports`: the name the API reference gives that module (see typedoc-package-names.mjs).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

function packageOf(file) {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const path = join(dir, 'package.json');
    if (existsSync(path)) return { dir, json: JSON.parse(readFileSync(path, 'utf8')) };
  }
  return undefined;
}

/** The targets an `exports` entry may point at: a path, or the values of a conditions object (nested). */
function targets(entry) {
  if (typeof entry === 'string') return [entry];
  if (entry && typeof entry === 'object') return Object.values(entry).flatMap(targets);
  return [];
}

/** The import specifier whose `exports` entry points at `file`, or the package's name; undefined outside a package. */
export function importName(file) {
  const pkg = packageOf(file);
  if (!pkg?.json.name) return undefined;
  const exports = typeof pkg.json.exports === 'object' && pkg.json.exports !== null ? pkg.json.exports : {};
  for (const [subpath, entry] of Object.entries(exports)) {
    if (targets(entry).some((t) => resolve(pkg.dir, t) === resolve(file))) {
      return subpath === '.' ? pkg.json.name : `${pkg.json.name}/${relative('.', subpath)}`;
    }
  }
  return pkg.json.name;
}

/** The TypeScript sources an `exports` map points at: plain `.ts` paths, or the `@bilevel/source` condition. */
export function sourceTargets(exports) {
  if (typeof exports === 'string') return exports.endsWith('.ts') ? [exports] : [];
  if (exports === null || typeof exports !== 'object') return [];
  return Object.entries(exports).flatMap(([key, value]) =>
    key === 'types' || key === 'default' || key === 'import' || key === 'require' ? [] : sourceTargets(value),
  );
}

/** Every public entry point of the libraries under `root`/libs (paths relative to `root`), sorted. */
export function libraryEntryPoints(root) {
  return readdirSync(join(root, 'libs'))
    .filter((lib) => existsSync(join(root, 'libs', lib, 'package.json')))
    .flatMap((lib) => {
      const pkg = JSON.parse(readFileSync(join(root, 'libs', lib, 'package.json'), 'utf8'));
      return sourceTargets(pkg.exports).map((t) => relative(root, resolve(root, 'libs', lib, t)));
    })
    .sort();
}
