// The lockfile of an empty project that installs the packed packages: npm then installs it offline, from the tarballs
// and the npm cache alone. An install from nothing resolves every range against the registry's package documents,
// which the cache does not hold after the repository's own lockfile install (npm fetched tarballs only); a lockfile
// names each package's version and integrity, so that npm needs the tarballs only, which are in the cache.
// The external packages are the repository's own, as its package-lock.json places them: the closure of the packed
// packages' dependencies (and required peers) under Node's resolution, walked through the repository's layout.

/** One entry of a lockfile's `packages` (v3). */
export interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
  peer?: boolean;
  [key: string]: unknown;
}

/** A packed package: its manifest and the tarball's file name and integrity (from `npm pack --json`). */
export interface PackedPackage {
  readonly manifest: { name: string; version: string } & Partial<Record<'dependencies' | 'peerDependencies', Record<string, string>>> & Record<string, unknown>;
  readonly tarball: string;
  readonly integrity: string;
}

/** The lock path that `name` resolves to from the package at `from` (a lock path, '' for the root), or undefined. */
function resolveIn(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (packages[candidate] && !packages[candidate].link) return candidate;
    if (!dir) return undefined;
    // up one level: drop the last `node_modules/<name>` (or a workspace folder such as libs/x)
    const up = dir.lastIndexOf('node_modules/');
    dir = up < 0 ? '' : dir.slice(0, up).replace(/\/$/, '');
  }
}

/**
 * The `package-lock.json` of a project at `projectName` that depends on every packed package (by its tarball, a path
 * relative to the project) and on `extra` packages of the repository's lock (`@types/node`, for instance).
 * `repoLock` is the repository's package-lock.json; `workspaceOf` maps a packed package's name to its folder there.
 */
export function consumerLock(
  repoLock: { packages: Record<string, LockEntry> },
  packed: readonly PackedPackage[],
  workspaceOf: ReadonlyMap<string, string>,
  extra: readonly string[],
  projectName: string,
): { lock: object; dependencies: Record<string, string> } {
  const repo = repoLock.packages;
  const ours = new Map(packed.map((p) => [p.manifest.name, p]));
  const out: Record<string, LockEntry> = {};
  const pending: { from: string; name: string; optional: boolean }[] = [];
  const dependencies: Record<string, string> = {};

  const required = (entry: LockEntry | PackedPackage['manifest']): { name: string; optional: boolean }[] => {
    const peersMeta = (entry.peerDependenciesMeta ?? {}) as Record<string, { optional?: boolean }>;
    return [
      ...Object.keys(entry.dependencies ?? {}).map((name) => ({ name, optional: false })),
      ...Object.keys((entry as LockEntry).optionalDependencies ?? {}).map((name) => ({ name, optional: true })),
      ...Object.keys(entry.peerDependencies ?? {}).filter((name) => !peersMeta[name]?.optional).map((name) => ({ name, optional: false })),
    ];
  };

  for (const p of packed) {
    const m = p.manifest;
    dependencies[m.name] = `file:${p.tarball}`;
    const entry: Record<string, unknown> = { version: m.version, resolved: `file:${p.tarball}`, integrity: p.integrity };
    for (const key of ['license', 'dependencies', 'peerDependencies', 'peerDependenciesMeta', 'bin', 'engines']) {
      if (m[key] !== undefined) entry[key] = m[key];
    }
    out[`node_modules/${m.name}`] = entry as LockEntry;
    const folder = workspaceOf.get(m.name);
    if (!folder) throw new Error(`consumerLock: no workspace folder for ${m.name}`);
    for (const dep of required(m)) if (!ours.has(dep.name)) pending.push({ from: folder, ...dep });
  }
  for (const name of extra) {
    pending.push({ from: '', name, optional: false });
    const entry = repo[`node_modules/${name}`];
    if (!entry?.version) throw new Error(`consumerLock: ${name} is not in the repository's lockfile`);
    dependencies[name] = entry.version;
  }

  const seen = new Set<string>();
  while (pending.length > 0) {
    const { from, name, optional } = pending.pop()!;
    const at = resolveIn(repo, from, name);
    if (!at) {
      if (optional) continue;
      throw new Error(`consumerLock: ${name}, needed by ${from || 'the project'}, is not in the repository's lockfile`);
    }
    if (seen.has(at)) continue;
    seen.add(at);
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = repo[at]!;
    // a package nested under a workspace folder of the repository sits at the top of the project
    const target = at.startsWith('node_modules/') ? at : at.slice(at.indexOf('node_modules/'));
    if (out[target] && out[target].version !== entry.version) throw new Error(`consumerLock: two versions of ${target}`);
    out[target] = entry;
    for (const dep of required(entry)) pending.push({ from: at, ...dep });
  }

  const sorted = Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
  return {
    lock: { name: projectName, lockfileVersion: 3, requires: true, packages: { '': { name: projectName, dependencies }, ...sorted } },
    dependencies,
  };
}
