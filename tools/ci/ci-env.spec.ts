// CI must run every test of the submitted code. Nx's cache lives in the user's home and is shared by every clone on
// the machine, so a fresh clone's CI run could "pass" by replaying another checkout's results. These tests read the
// environment .ci/run really uses (by sourcing .ci/env.sh in bash, as .ci/run does) and check that it turns Nx's
// cache off for reading and points its writes inside the checkout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The environment after `.ci/run`'s own setup lines, with NX variables cleared beforehand. */
function ciEnvironment(): Record<string, string> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NX_')));
  const out = execFileSync('bash', ['-c', '. .ci/env.sh && env -0'], { cwd: root, env: clean, encoding: 'utf8' });
  return Object.fromEntries(out.split('\0').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

test('.ci/run sources .ci/env.sh before installing or testing', () => {
  const script = readFileSync(join(root, '.ci', 'run'), 'utf8').split('\n');
  const sourced = script.findIndex((l) => /^\. \.ci\/env\.sh$/.test(l.trim()));
  assert.ok(sourced > 0, '.ci/run sources .ci/env.sh');
  const firstWork = script.findIndex((l) => /^npm (install|test)/.test(l.trim()));
  assert.ok(firstWork > sourced, 'before npm install and npm test');
});

test('the CI environment skips the shared Nx cache and keeps its own cache inside the checkout', () => {
  const env = ciEnvironment();
  assert.equal(env.NX_SKIP_NX_CACHE, 'true', 'no task result is read from a cache');
  assert.equal(env.NX_DAEMON, 'false');
  assert.equal(env.NX_NO_CLOUD, 'true');
  const cacheDir = env.NX_CACHE_DIRECTORY;
  assert.ok(cacheDir, 'NX_CACHE_DIRECTORY is set');
  const rel = relative(root, cacheDir);
  assert.ok(!rel.startsWith('..') && rel !== '', `the cache folder ${cacheDir} lies inside the checkout ${root}`);
  // and git ignores it, so a CI run leaves the checkout clean
  // (git check-ignore exits 0 when the path is ignored; execFileSync throws otherwise)
  execFileSync('git', ['check-ignore', '-q', '--no-index', `${rel}/x`], { cwd: root, stdio: 'ignore' });
});
