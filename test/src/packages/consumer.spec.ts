// The packages as an outside project gets them: every workspace package is built (npm run build) and packed, the
// tarballs are installed into an empty temporary project offline (from the tarballs and the npm cache, through the
// lockfile of consumer-lock.ts), then
//   (a) plain `node` runs a user's ESM program (../../consumer/pipeline.mjs): one import of @bilevel/toolkit, a
//       problem, a composed pipeline, a monitored run that must converge; and the `bilevel` program runs from the
//       compiled JavaScript;
//   (b) tsc type-checks a user's TypeScript (../../consumer/consumer.ts) against the installed declarations with
//       NodeNext and with Bundler resolution, strict, noUncheckedIndexedAccess, exactOptionalPropertyTypes and
//       skipLibCheck false.
// TensorFlow.js is an optional peer that the project does not install: a module of the packages that loaded it
// would fail the program.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { consumerLock } from './consumer-lock';
import type { LockEntry, PackedPackage } from './consumer-lock';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const sources = join(repo, 'test', 'consumer');
/** A safety net per child process only: the whole test takes a few minutes on a loaded machine. */
const CHILD_TIMEOUT_MS = 15 * 60_000;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** The environment of an outside project: none of the repository's dev settings (tsx's tsconfig, npm's script env). */
function outsideEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([k]) => k !== 'TSX_TSCONFIG_PATH' && k !== 'NODE_OPTIONS' && !k.toLowerCase().startsWith('npm_')),
  );
}

function sh(command: string, args: readonly string[], cwd: string): SpawnSyncReturns<string> {
  const r = spawnSync(command, args, { cwd, env: outsideEnv(), encoding: 'utf8', timeout: CHILD_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return r;
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what} failed (exit ${r.status}, signal ${r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

let dir = '';
let project = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'bilevel-consumer-'));
  project = join(dir, 'project');
  mkdirSync(project);
  ok(sh(process.execPath, [join(repo, 'tools', 'build-packages.mjs')], repo), 'npm run build');

  const repoLock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const workspaces = new Map<string, string>();
  for (const [path, entry] of Object.entries(repoLock.packages)) {
    if (path !== '' && !path.includes('node_modules') && /^(libs|apps)\//.test(path)) workspaces.set(String(entry.name), path);
  }
  const packs = join(dir, 'packs');
  mkdirSync(packs);
  const packed = JSON.parse(
    ok(sh(npm, ['pack', '--json', '--pack-destination', packs, ...[...workspaces.values()].flatMap((w) => ['-w', w])], repo), 'npm pack'),
  ) as { name: string; filename: string; integrity: string }[];
  assert.deepEqual(packed.map((p) => p.name).sort(), [...workspaces.keys()].sort(), 'every library and app is packed');
  const tarballs: PackedPackage[] = packed.map((p) => ({
    manifest: JSON.parse(readFileSync(join(repo, workspaces.get(p.name)!, 'package.json'), 'utf8')) as PackedPackage['manifest'],
    tarball: `../packs/${p.filename}`,
    integrity: p.integrity,
  }));
  const { lock, dependencies } = consumerLock(repoLock, tarballs, workspaces, ['@types/node'], 'consumer');
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies }, null, 2)}\n`);
  writeFileSync(join(project, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
  for (const file of ['pipeline.mjs', 'consumer.ts', 'consumer-control.ts', 'tsconfig.nodenext.json', 'tsconfig.bundler.json', 'tsconfig.control.json']) copyFileSync(join(sources, file), join(project, file));
  ok(sh(npm, ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], project), 'npm install --offline');
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the installed packages hold JavaScript, declarations and source maps, and no TensorFlow.js', () => {
  const toolkit = join(project, 'node_modules', '@bilevel', 'toolkit', 'dist');
  for (const file of ['index.js', 'index.d.ts', 'index.js.map']) assert.ok(existsSync(join(toolkit, file)), file);
  assert.ok(!existsSync(join(project, 'node_modules', '@bilevel', 'solvers', 'src')), 'no TypeScript sources are shipped');
  assert.ok(!existsSync(join(project, 'node_modules', '@tensorflow')), 'tfjs is an optional peer: not installed');
});

test('(a) plain node runs a pipeline composed from one import of the toolkit, to convergence', () => {
  const out = ok(sh(process.execPath, ['pipeline.mjs'], project), 'node pipeline.mjs');
  const result = JSON.parse(out.trim().split('\n').at(-1)!) as { iteration: number; g0: number; g: number; violations: string[] };
  assert.equal(result.iteration, 20_000);
  assert.ok(result.g < 1e-3 * result.g0, `‖∇h‖ ${result.g0} → ${result.g}`);
  assert.deepEqual(result.violations, []);
});

test('(a) the installed bilevel program runs from the compiled JavaScript: --help, a refused option, a short run', () => {
  const bin = join(project, 'node_modules', '.bin', 'bilevel');
  const help = sh(bin, ['--help'], project);
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^Usage: bilevel/);
  const refused = sh(bin, ['run', '--no-such-option'], project);
  assert.equal(refused.status, 2, refused.stderr);
  assert.match(refused.stderr, /unknown option '--no-such-option'/);
  const out = join(dir, 'run');
  const run = sh(bin, ['run', '--max-iter', '200', '--eval-every', '100', '--out', out, '--json'], project);
  assert.equal(run.status, 0, run.stderr);
  assert.equal((JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { iterations: number }).iterations, 200);
});

const TYPE_CHECKS = {
  nodenext: 'every package but the certified-control ones, NodeNext resolution',
  bundler: 'every package but the certified-control ones, Bundler resolution',
  control: '@bilevel/control and @bilevel/safe-control, NodeNext resolution, without the DOM library (no type of HiGHS in their declarations)',
};
for (const [config, what] of Object.entries(TYPE_CHECKS)) {
  test(`(b) a TypeScript consumer type-checks against the declarations: ${what} (strict, noUncheckedIndexedAccess, exactOptionalPropertyTypes, skipLibCheck false)`, () => {
    const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = sh(process.execPath, [tsc, '-p', `tsconfig.${config}.json`], project);
    assert.equal(r.status, 0, `tsc found errors:\n${r.stdout}${r.stderr}`);
  });
}
