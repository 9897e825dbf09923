// What `safe-control --help`, `--version` and a refused option load: commander, the option definitions and the small
// I/O library (and, for `train`, the dashboard host of the thread that runs it), nothing else. The control library,
// HiGHS, rxjs, zod, pino and the plots are imported by the commands that use them, when they run (a --help that
// loaded them cost ~1 s of CPU).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EXIT } from './exit-codes';

const BIN = fileURLToPath(new URL('../bin/safe-control.mjs', import.meta.url));

/** The packages a start-up may load: the program's own, commander, @bilevel/io, and tsx (which runs a checkout). */
const ALLOWED = new Set(['@bilevel/safe-control', 'commander', '@bilevel/io', 'tsx', 'esbuild', 'get-tsconfig', 'resolve-pkg-maps']);

/** Packages named for the message when they appear (each costs 0.1–0.8 s of CPU to import). */
const HEAVY = ['rxjs', 'zod', 'pino', 'highs', 'vega', 'vega-lite', '@tensorflow/tfjs', '@bilevel/control', '@bilevel/verify', '@bilevel/telemetry', '@bilevel/streams'];

/**
 * A module hook that writes every module resolved to stderr as `@@load <package>`: the package of a node_modules
 * file, `@bilevel/<name>` for a file of the repository's libs/ or apps/ (a checkout loads the sources).
 */
const HOOK = `
export async function resolve(spec, ctx, next) {
  const r = await next(spec, ctx);
  const dep = /\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(r.url);
  const own = /\\/(?:libs|apps)\\/([^/]+)\\/(?:src|dist|bin)\\//.exec(r.url);
  if (dep) process.stderr.write('@@load ' + dep[1] + '\\n');
  else if (own) process.stderr.write('@@load @bilevel/' + own[1] + '\\n');
  return r;
}`;
const REGISTER = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOK)}`)});`;

/** The modules resolved by `safe-control <args>` in a child process (its threads included), and its exit code. */
function loadedBy(args: readonly string[]): { code: number | null; loads: string[] } {
  const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`, BIN, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    killSignal: 'SIGKILL',
  });
  return { code: r.status, loads: [...r.stderr.matchAll(/^@@load (.+)$/gm)].map((m) => m[1]!) };
}

const CASES: readonly (readonly [args: readonly string[], code: number])[] = [
  [['--help'], EXIT.ok],
  [['--version'], EXIT.ok],
  [['verify', '--help'], EXIT.ok],
  [['simulate', '--help'], EXIT.ok],
  [['verify', '--no-such-option'], EXIT.badInput],
  [['simulate', '--system', 'pj', '--policy', 'p.json', '--trajectories', '-1'], EXIT.badInput],
  [['train', '--help'], EXIT.ok],
  [['train', '--nope'], EXIT.badInput],
];

for (const [args, exit] of CASES) {
  test(`safe-control ${args.join(' ')} loads commander, the option definitions and @bilevel/io only`, () => {
    const { code, loads } = loadedBy(args);
    assert.equal(code, exit);
    assert.ok(loads.includes('commander') && loads.includes('@bilevel/safe-control'), 'the hook sees the modules loaded');
    const packages = new Set(loads);
    assert.deepEqual(HEAVY.filter((p) => packages.has(p)), [], 'heavy packages loaded');
    // train runs in a worker thread whose host thread serves --dashboard's page: it loads the dashboard server
    const allowed = args[0] === 'train' ? new Set([...ALLOWED, '@bilevel/dashboard']) : ALLOWED;
    assert.deepEqual([...packages].filter((p) => !allowed.has(p)), [], 'packages loaded besides commander, @bilevel/io and the program');
  });
}
