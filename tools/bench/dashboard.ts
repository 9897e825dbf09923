import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { DashboardSession } from '@bilevel/dashboard';
import { openDashboard } from '@bilevel/dashboard';
import type { RunDashboardRequest } from '@bilevel/cli';
import { runCommand, runDashboard, runMeta } from '@bilevel/cli';
import { createLogger } from '@bilevel/telemetry';

/** Median of a list. */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Idle pages: one separate process, started once, that opens the event stream of each address written to its stdin
 * and reads it to its end, doing nothing else (as a browser tab left open); it writes the bytes read per stream.
 */
const CLIENT = `
import { createInterface } from 'node:readline';
for await (const url of createInterface({ input: process.stdin })) {
  void (async () => {
    const res = await fetch(url.replace('/?token=', '/events?token='));
    let bytes = 0;
    for await (const chunk of res.body) bytes += chunk.length;
    process.stdout.write(bytes + '\\n');
  })();
}
`;

/** The idle-page process and the byte counts it reported. */
interface PageProcess {
  readonly child: ReturnType<typeof spawn>;
  readonly reports: number[];
}

function startPages(): PageProcess {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CLIENT], { stdio: ['pipe', 'pipe', 'inherit'] });
  const reports: number[] = [];
  let buffered = '';
  child.stdout?.on('data', (c: Buffer) => {
    buffered += c.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const l of lines) reports.push(Number(l));
  });
  return { child, reports };
}

/** 'plain again' is an A/A control: its ratio to 'plain' is the noise of the machine, the floor of any overhead. */
type Variant = 'plain' | 'plain again' | 'dashboard, no page' | 'dashboard, idle page';
const VARIANTS: readonly Variant[] = ['plain', 'plain again', 'dashboard, no page', 'dashboard, idle page'];
const withDashboard = (v: Variant) => v === 'dashboard, no page' || v === 'dashboard, idle page';

/** The 20th and 80th percentiles of a list (nearest rank). */
function band(xs: number[]): [number, number] {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))];
  return [+at(0.2).toFixed(4), +at(0.8).toFixed(4)];
}

interface Measured {
  readonly variant: Variant;
  /** Solver seconds per 1000 iterations (the summary's solverSeconds: time inside the steps). */
  readonly solverMsPerKIter: number;
  /** Process CPU seconds and wall seconds of the whole run (evaluations, trace and dashboard included). */
  readonly cpu: number;
  readonly wall: number;
  /** Event-stream bytes the page received. */
  readonly pageBytes?: number;
  readonly messages?: number;
  readonly pushes?: number;
  /** CPU milliseconds the run's thread spent in the dashboard's calls (onYield samples, evaluated rows, findings). */
  readonly dashboardMs?: number;
  readonly solverMs: number;
}

const quiet = new Writable({ write: (_c, _e, cb) => cb() });

async function once(pages: PageProcess, variant: Variant, iters: number, seed: number): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-dashboard-'));
  let session: DashboardSession | undefined;
  const reported = pages.reports.length;
  const request: RunDashboardRequest = {
    async start(info) {
      session = await openDashboard({ meta: runMeta(info), stderr: quiet, linger: 0 });
      const s = session;
      if (variant === 'dashboard, idle page') {
        pages.child.stdin?.write(`${s.url}\n`);
        // the run starts once the page is connected (a bench, not a test: polling is fine here)
        while (s.connections === 0) await new Promise((r) => setTimeout(r, 5));
      }
      const d = runDashboard(s.sink, info, { hold: () => s.hold() });
      const timed =
        <A extends unknown[], R>(f: (...a: A) => R) =>
        (...a: A): R => {
          // CPU time, not wall time: on a loaded machine a call's wall time includes the moments it was descheduled
          const c0 = process.cpuUsage();
          try {
            return f(...a);
          } finally {
            const c = process.cpuUsage(c0);
            dashboardMs += (c.user + c.system) / 1000;
          }
        };
      return { onYield: timed(d.onYield), evaluated: timed(d.evaluated), finding: timed(d.finding), ended: d.ended };
    },
  };
  let dashboardMs = 0;
  const stdout = new Writable({ write: (_c, _e, cb) => cb() });
  const log = createLogger({ level: 'fatal', destination: stdout });
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  let summary = '';
  const capture = new Writable({
    write: (c, _e, cb) => {
      summary += c.toString();
      cb();
    },
  });
  const code = await runCommand(
    { problem: 'logreg-hpo', seed, maxIter: iters, out: join(dir, 'run'), json: true, progress: false, checkpointEvery: 0, standardize: 'train' },
    { stdout: capture, log, ...(withDashboard(variant) ? { dashboard: request } : {}) },
  );
  const wall = (performance.now() - w0) / 1000;
  const c = process.cpuUsage(c0);
  if (code !== 0) throw new Error(`bench dashboard: the run exited ${code}`);
  const s = session;
  const counts = s ? { messages: s.hub.messages, pushes: s.hub.pushes } : {};
  await s?.finish({});
  if (variant === 'dashboard, idle page') while (pages.reports.length === reported) await new Promise((r) => setTimeout(r, 5));
  rmSync(dir, { recursive: true, force: true });
  const parsed = JSON.parse(summary.trim().split('\n').at(-1) ?? '{}') as { solverSeconds: number; iterations: number };
  return {
    variant,
    solverMsPerKIter: (parsed.solverSeconds * 1e6) / parsed.iterations,
    solverMs: parsed.solverSeconds * 1000,
    ...(withDashboard(variant) ? { dashboardMs } : {}),
    cpu: (c.user + c.system) / 1e6,
    wall,
    ...(variant === 'dashboard, idle page' ? { pageBytes: pages.reports[reported] } : {}),
    ...counts,
  };
}

/**
 * `npm run bench -- dashboard`: the cost of `bilevel run --dashboard` on the default task (logreg-hpo, SABA,
 * batch 32, 50,000 iterations, evaluated every 500), in process through the CLI's own runCommand: a plain run, a run
 * with the dashboard open and no page, a run with an idle page attached (a separate process reading the event
 * stream, as a browser tab left open), and a second plain run (an A/A control: the machine's noise). Each repetition runs the three back to back, their order rotating; the
 * overhead is the median over repetitions of the per-repetition ratio to the plain run of (a) solver seconds per
 * iteration (time inside the steps: the hot path the dashboard must not slow), (b) process CPU and (c) wall time
 * of the whole run (sampling, hub and event stream included; evaluations and reference the same for all); and the
 * CPU time the run's thread spent in the dashboard's own calls per solver second (timed around them: the direct cost,
 * free of the machine's noise; the pushes to the page, at most 4 a second, are in the CPU and wall ratios only). Target of the issue: ≤ 3 %.
 */
export async function benchDashboard(args: { iters?: number; reps?: number } = {}) {
  const iters = args.iters ?? 50_000;
  const reps = Math.max(3, args.reps ?? 6);
  const pages = startPages();
  const byVariant = new Map<Variant, Measured[]>(VARIANTS.map((v) => [v, []]));
  try {
    // warm-up: let the JIT settle on every path
    for (const v of VARIANTS) await once(pages, v, Math.min(iters, 10_000), 99);
    for (let r = 0; r < reps; r++) {
      for (let k = 0; k < VARIANTS.length; k++) {
        const v = VARIANTS[(k + r) % VARIANTS.length];
        byVariant.get(v)?.push(await once(pages, v, iters, r));
      }
    }
  } finally {
    pages.child.kill();
  }
  const plain = byVariant.get('plain') ?? [];
  const ratios = (v: Variant, key: 'solverMsPerKIter' | 'cpu' | 'wall') => +median((byVariant.get(v) ?? []).map((m, i) => m[key] / plain[i][key])).toFixed(4);
  const rows = VARIANTS.map((v) => {
    const ms = byVariant.get(v) ?? [];
    return {
      variant: v,
      'solver ms / 1000 iter (median)': +median(ms.map((m) => m.solverMsPerKIter)).toFixed(2),
      'ratio solver time / plain': ratios(v, 'solverMsPerKIter'),
      'ratio solver time, 20-80%': band((byVariant.get(v) ?? []).map((m, i) => m.solverMsPerKIter / plain[i].solverMsPerKIter)).join(' – '),
      'ratio cpu / plain': ratios(v, 'cpu'),
      'ratio wall / plain': ratios(v, 'wall'),
      'cpu s (median)': +median(ms.map((m) => m.cpu)).toFixed(3),
      'wall s (median)': +median(ms.map((m) => m.wall)).toFixed(3),
      ...(withDashboard(v) ? { 'dashboard cpu ms / solver s (median)': +median(ms.map((m) => (m.dashboardMs ?? 0) / (m.solverMs / 1000))).toFixed(3), 'messages (median)': median(ms.map((m) => m.messages ?? 0)), 'pushes (median)': median(ms.map((m) => m.pushes ?? 0)) } : {}),
      ...(v === 'dashboard, idle page' ? { 'page bytes (median)': median(ms.map((m) => m.pageBytes ?? 0)) } : {}),
    };
  });
  return {
    benchmark: 'dashboard',
    task: 'bilevel run (runCommand): logreg-hpo, SABA batch 32, evaluated every 500; dashboard sampling 10/s, pushes ≤ 4/s',
    iters,
    reps,
    'overhead solver time, idle page (median ratio)': ratios('dashboard, idle page', 'solverMsPerKIter'),
    'overhead wall, idle page (median ratio)': ratios('dashboard, idle page', 'wall'),
    'overhead cpu, idle page (median ratio)': ratios('dashboard, idle page', 'cpu'),
    'overhead solver time, no page (median ratio)': ratios('dashboard, no page', 'solverMsPerKIter'),
    'noise: plain again / plain, solver time (median ratio)': ratios('plain again', 'solverMsPerKIter'),
    'noise band (20-80% of plain again / plain)': band((byVariant.get('plain again') ?? []).map((m, i) => m.solverMsPerKIter / plain[i].solverMsPerKIter)),
    'dashboard calls on the run thread, idle page (cpu ms per solver s, median)': +median((byVariant.get('dashboard, idle page') ?? []).map((m) => (m.dashboardMs ?? 0) / (m.solverMs / 1000))).toFixed(3),
    target: 1.03,
    rows,
  };
}
