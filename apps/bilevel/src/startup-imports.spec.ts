// What `bilevel --help`, `--version` and a refused option load: commander, the option definitions and the small I/O
// library, nothing else. The solvers, problems, streams, rxjs, zod, pino, tfjs, the plots, the Redis queue and HiGHS
// are imported by the commands that use them, when they run (a --help that loaded them cost ~0.8 s of CPU).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/bilevel.mjs', import.meta.url));

/** The packages a start-up may load: the program's own, commander, @bilevel/io, and tsx (which runs a checkout). */
const ALLOWED = new Set(['@bilevel/cli', 'commander', '@bilevel/io', 'tsx', 'esbuild', 'get-tsconfig', 'resolve-pkg-maps']);

/** Packages named for the message when they appear (each costs 0.1–0.8 s of CPU to import). */
const HEAVY = ['rxjs', 'zod', 'pino', 'fast-check', '@tensorflow/tfjs', 'vega', 'vega-lite', 'highs', 'bullmq', 'ioredis', '@bilevel/solvers', '@bilevel/problems', '@bilevel/streams', '@bilevel/telemetry'];

/**
 * A module hook that writes every module resolved to stderr as `@@load <package>`: the package of a node_modules
 * file, `@bilevel/<name>` for a file of the repository's libs/ or apps/ (a checkout loads the sources).
 */
const HOOK = `
const APPS = { bilevel: 'cli' };
export async function resolve(spec, ctx, next) {
  const r = await next(spec, ctx);
  const dep = /\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(r.url);
  const own = /\\/(libs|apps)\\/([^/]+)\\/(?:src|dist|bin)\\//.exec(r.url);
  if (dep) process.stderr.write('@@load ' + dep[1] + '\\n');
  else if (own) process.stderr.write('@@load @bilevel/' + (own[1] === 'apps' ? APPS[own[2]] ?? own[2] : own[2]) + '\\n');
  return r;
}`;
const REGISTER = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOK)}`)});`;

/** The modules resolved by `bilevel <args>` in a child process (one entry per resolution), and its exit code. */
function loadedBy(args: readonly string[]): Promise<{ code: number | null; loads: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`, BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const safety = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', (err) => {
      clearTimeout(safety);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(safety);
      resolve({ code, loads: [...stderr.matchAll(/^@@load (.+)$/gm)].map((m) => m[1]!) });
    });
  });
}

const CASES: readonly (readonly [args: readonly string[], code: number])[] = [
  [['--help'], 0],
  [['--version'], 0],
  [['run', '--help'], 0],
  [['run', '--solver', 'nope'], 2],
  [['run', '--no-such-option'], 2],
  [['run', '--max-iter', '-3'], 2],
  [['sweep', '--help'], 0],
  [['worker', '--help'], 0],
  [['bench', '--help'], 0],
  [['score', '--help'], 0],
  [['dashboard', '--help'], 0],
];
const MEMORY_BUDGET_ARGS = ['run', '--memory-budget', '3 apples'];

/** Children started at once: the command lines are independent, and most of each is the program's start. */
const AT_ONCE = 4;
const started = new Map<string, Promise<{ code: number | null; loads: string[] }>>();
let running = 0;
const queued: (() => void)[] = [];

/** The outcome of `bilevel <args>`: every command line of this file is started on the first call, AT_ONCE at a time. */
function outcomeOf(args: readonly string[]): Promise<{ code: number | null; loads: string[] }> {
  if (started.size === 0) {
    for (const a of [...CASES.map(([c]) => c), MEMORY_BUDGET_ARGS]) {
      const slot = new Promise<void>((go) => (running < AT_ONCE ? (running++, go()) : queued.push(go)));
      const outcome = slot.then(() => loadedBy(a)).finally(() => (queued.length > 0 ? queued.shift()!() : running--));
      outcome.catch(() => undefined); // awaited (and reported) by its own test
      started.set(JSON.stringify(a), outcome);
    }
  }
  return started.get(JSON.stringify(args))!;
}

for (const [args, exit] of CASES) {
  test(`bilevel ${args.join(' ')} loads commander, the option definitions and @bilevel/io only`, async () => {
    const { code, loads } = await outcomeOf(args);
    assert.equal(code, exit);
    assert.ok(loads.includes('commander') && loads.includes('@bilevel/cli'), 'the hook sees the modules loaded');
    const packages = new Set(loads);
    assert.deepEqual(HEAVY.filter((p) => packages.has(p)), [], 'heavy packages loaded');
    assert.deepEqual([...packages].filter((p) => !ALLOWED.has(p)), [], 'packages loaded besides commander, @bilevel/io and the program');
  });
}

test('a given --memory-budget loads its parser (@bilevel/problems), and a bad size is refused by commander', async () => {
  const { code, loads } = await outcomeOf(MEMORY_BUDGET_ARGS);
  assert.equal(code, 2);
  assert.ok(loads.includes('@bilevel/problems'));
  assert.ok(!loads.includes('@bilevel/solvers') && !loads.includes('rxjs'));
});
