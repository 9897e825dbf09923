// What `bilevel --help` and a refused option load: the heavy packages (plots, the Redis queue, tfjs, HiGHS) are
// imported by the commands that use them, when they run, not at every start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/bilevel.mjs', import.meta.url));

/** Packages a start-up must not load (each costs 0.3–0.8 s of CPU to import). */
const HEAVY = ['vega', 'vega-lite', 'bullmq', 'ioredis', '@tensorflow/tfjs', 'highs'];

/** A module hook that writes every package resolved from node_modules to stderr as `@@load <name>`. */
const HOOK = `
export async function resolve(spec, ctx, next) {
  const r = await next(spec, ctx);
  const m = /\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(r.url);
  if (m) process.stderr.write('@@load ' + m[1] + '\\n');
  return r;
}`;
const REGISTER = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOK)}`)});`;

/** The packages loaded by `bilevel <args>` in a child process, and its exit code. */
function loadedBy(args: readonly string[]): { code: number | null; loaded: Set<string> } {
  const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`, BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  const loaded = new Set([...r.stderr.matchAll(/^@@load (.+)$/gm)].map((m) => m[1]!));
  return { code: r.status, loaded };
}

for (const args of [['--help'], ['run', '--solver', 'nope'], ['sweep', '--help']]) {
  test(`bilevel ${args.join(' ')} loads none of the heavy packages`, () => {
    const { code, loaded } = loadedBy(args);
    assert.ok(loaded.has('commander'), 'the hook sees the packages loaded');
    assert.equal(code, args.includes('nope') ? 2 : 0);
    assert.deepEqual(HEAVY.filter((p) => loaded.has(p)), []);
  });
}
