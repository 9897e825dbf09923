// The main entry points load no @tensorflow module: tfjs (about 0.5 s of CPU and 20-50 MB at startup) is behind
// `@bilevel/autodiff/tfjs` and the CLI imports it only for --oracles autodiff. Each case runs in a fresh node process
// whose module-resolution hook records every URL resolved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const recorder = join(here, 'register-recorder.mjs');
/** A safety net only: each child ends by itself in a few seconds. */
const CHILD_TIMEOUT_MS = 120_000;

/** The URLs resolved by `node --import tsx --import <recorder> ...args` run in the repository's root. */
function resolvedBy(args: readonly string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'resolutions-'));
  const file = join(dir, 'urls.txt');
  try {
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--import', recorder, ...args], {
      cwd: repo,
      env: { ...process.env, RECORD_RESOLUTIONS: file },
      encoding: 'utf8',
      timeout: CHILD_TIMEOUT_MS,
      killSignal: 'SIGKILL',
    });
    assert.equal(child.status, 0, `the child failed (signal ${child.signal}): ${child.stderr}`);
    return readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const importing = (specifiers: readonly string[]) => ['--input-type=module', '-e', specifiers.map((s) => `await import(${JSON.stringify(s)});`).join('\n')];
const tensorflow = (urls: readonly string[]) => [...new Set(urls.filter((u) => u.includes('/@tensorflow/')))];

test('importing @bilevel/autodiff, @bilevel/solvers and @bilevel/streams loads no @tensorflow module', () => {
  const urls = resolvedBy(importing(['@bilevel/autodiff', '@bilevel/solvers', '@bilevel/streams']));

  assert.ok(urls.some((u) => u.endsWith('/libs/autodiff/src/tape/tape.ts')), 'the recorder saw the engine load');
  assert.ok(urls.some((u) => u.endsWith('/libs/autodiff/src/interop/load-layers-model.ts')), 'the recorder saw the tfjs model loader load');
  assert.deepEqual(tensorflow(urls), []);
});

test('importing @bilevel/autodiff/tfjs loads tfjs (the recorder sees it)', () => {
  const urls = resolvedBy(importing(['@bilevel/autodiff/tfjs']));

  assert.ok(tensorflow(urls).some((u) => u.includes('/@tensorflow/tfjs/')), `tfjs among ${urls.length} URLs`);
});

test('bilevel --help loads no @tensorflow module', () => {
  const urls = resolvedBy([join(repo, 'apps', 'bilevel', 'bin', 'bilevel.mjs'), '--help']);

  // --help loads the command definitions only (the run command itself is imported when it runs)
  assert.ok(urls.some((u) => u.endsWith('/apps/bilevel/src/main.ts')), 'the recorder saw the program load');
  assert.deepEqual(tensorflow(urls), []);
});
