import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Median of a list. */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Preloaded into each timed child: writes the process's CPU time (user + system, all threads) to stderr at exit. */
const PRELOAD = `
process.on('exit', () => {
  const c = process.cpuUsage();
  process.stderr.write('@@startup ' + JSON.stringify({ cpu: (c.user + c.system) / 1e6 }) + '\\n');
});
`;

/** A resolve hook that writes each module URL, to count the modules and list the packages (a run of its own). */
const LIST = `export async function resolve(s, c, next) { const r = await next(s, c); process.stderr.write('@@load ' + r.url + '\\n'); return r; }`;
const LIST_PRELOAD = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(LIST)}`)});`;

/** The program of `app` (bilevel or safe-control) from its compiled dist/, with `args`, as an installed package runs. */
function entry(app: string, args: readonly string[]): string {
  const main = new URL(`apps/${app}/dist/main.js`, `file://${root}`).href;
  return `const { main } = await import(${JSON.stringify(main)}); process.exitCode = await main(${JSON.stringify(args)});`;
}

interface Case {
  readonly label: string;
  readonly app?: string;
  readonly args: readonly string[];
}

const CASES: readonly Case[] = [
  { label: 'node -e 0 (baseline)', args: [] },
  { label: 'bilevel --help', app: 'bilevel', args: ['--help'] },
  { label: 'bilevel --version', app: 'bilevel', args: ['--version'] },
  { label: 'bilevel run --solver nope', app: 'bilevel', args: ['run', '--solver', 'nope'] },
  { label: 'bilevel run --help', app: 'bilevel', args: ['run', '--help'] },
  { label: 'safe-control --help', app: 'safe-control', args: ['--help'] },
  { label: 'safe-control verify --nope', app: 'safe-control', args: ['verify', '--nope'] },
];

function spawn(c: Case, preload: string): { wall: number; stderr: string; status: number | null } {
  const code = c.app ? entry(c.app, c.args) : '0';
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(preload)}`, '--input-type=module', '-e', code], {
    cwd: root,
    encoding: 'utf8',
    // the compiled packages, as an outside project resolves them (no tsx, no source condition)
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && k !== 'TSX_TSCONFIG_PATH')),
    timeout: 120_000,
    killSignal: 'SIGKILL',
  });
  return { wall: (performance.now() - t0) / 1000, stderr: r.stderr, status: r.status };
}

/**
 * `npm run bench -- startup`: the start-up of `bilevel --help`, `--version`, a refused option and `safe-control
 * --help` from the compiled JavaScript (apps/{bilevel,safe-control}/dist, built by `npm run build`), as an installed
 * package runs: each in a fresh node process, `reps` times; wall and process CPU seconds (user + system, median) and
 * the modules it resolves, with the packages among them. CPU time is the figure that holds on a shared machine; the
 * target is under 1 s of wall time on an idle one (npx adds its own ~0.5 s).
 */
export async function benchStartup(args: { reps?: number } = {}) {
  const reps = Math.max(1, args.reps ?? 5);
  for (const app of ['bilevel', 'safe-control']) {
    if (!existsSync(`${root}apps/${app}/dist/main.js`)) throw new Error(`bench startup: apps/${app}/dist/main.js is missing; run npm run build first`);
  }
  const rows: Record<string, unknown>[] = [];
  for (const c of CASES) {
    const listed = spawn(c, LIST_PRELOAD);
    const urls = [...listed.stderr.matchAll(/^@@load (.+)$/gm)].map((m) => m[1]!);
    const packages = new Set(urls.map((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1] ?? /\/(?:libs|apps)\/([^/]+)\//.exec(u)?.[1]).filter((p): p is string => p !== undefined));
    const walls: number[] = [];
    const cpus: number[] = [];
    for (let r = 0; r < reps; r++) {
      const run = spawn(c, PRELOAD);
      const m = /^@@startup (.+)$/m.exec(run.stderr);
      if (!m) throw new Error(`bench startup: ${c.label} reported no CPU time (exit ${run.status}):\n${run.stderr}`);
      walls.push(run.wall);
      cpus.push((JSON.parse(m[1]!) as { cpu: number }).cpu);
    }
    rows.push({
      command: c.label,
      exit: listed.status,
      'wall s': +median(walls).toFixed(3),
      'cpu s': +median(cpus).toFixed(3),
      modules: urls.length,
      packages: [...packages].sort().join(' '),
    });
  }
  return { reps, rows };
}
