// `npm run bench`: the solver × problem × seed grid (the same as `npx bilevel bench`; `-- --full` for the complete
// grid). `npm run bench -- <name> [--option value]`: one of the focused benchmarks below; each prints its figures
// and writes them to bench-results/<name>.json. `npm run bench -- all`: every focused benchmark, then the grid.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
type Bench = (args: Record<string, number>) => Promise<{ rows: Record<string, unknown>[] } & Record<string, unknown>>;

/**
 * The benchmarks by name, each with what it measures; a benchmark's module (tfjs, PyTorch peers, Redis…) is imported
 * when it runs, so that `--help` and a misspelt name answer at once.
 */
const BENCHES: Record<string, { readonly about: string; readonly load: () => Promise<Bench> }> = {
  logreg: { about: 'µs per SOBA and SABA iteration on the default task, through the streams and a plain loop', load: async () => (await import('./logreg')).benchLogreg },
  solvers: { about: 'every registered solver on the default task: time and oracle calls to a target suboptimality', load: async () => (await import('./solvers')).benchSolvers },
  multiclass: { about: 'multiclass-hpo on digits, wine and iris: held-out test error per split seed', load: async () => (await import('./multiclass')).benchMulticlass },
  datacleaning: { about: 'data hyper-cleaning on Fashion-MNIST (full data from ../shared/data when present)', load: async () => (await import('./datacleaning')).benchDataCleaning },
  deq: { about: 'deep equilibrium backward passes: SHINE, SHINE-OPA, JFB against the exact pass', load: async () => (await import('./deq')).benchDeq },
  imaging: { about: 'learned image regularizers (TV, Field of Experts; isgd, MAID): held-out PSNR and computation', load: async () => (await import('./imaging')).benchImaging },
  foe: { about: 'one isgd step of Field of Experts denoising: CPU µs, current kernels against the baseline\'s in one run; oracle GFLOP/s vs peak', load: async () => (await import('./foe')).benchFoe },
  fewshot: { about: 'meta-learning on Omniglot: iMAML, FOMAML, Reptile, ESJ-S', load: async () => (await import('./fewshot')).benchFewshot },
  control: { about: 'certified control: CPU seconds per joint training step and LP solve, sound re-verification', load: async () => (await import('./control')).benchControl },
  dashboard: { about: 'overhead of the live dashboard on a run (target ≤ 3%)', load: async () => (await import('./dashboard')).benchDashboard },
  peer: { about: 'SABA against Python peers (NumPy, Numba): µs per iteration, time to targets, peak memory', load: async () => (await import('./peer')).benchPeer },
  threads: { about: 'SABA (jacobi) on 1, 2 and 3 threads: wall and process CPU time per iteration, speed-up, bit identity', load: async () => (await import('./threads')).benchThreads },
  kernels: { about: 'Float64Array kernels against the machine\'s measured peaks (GFLOP/s, GB/s)', load: async () => (await import('./kernels')).benchKernels },
  'tensor-kernels': { about: 'tape engine tensor kernels (JS, wasm, SIMD) against PyTorch', load: async () => (await import('./tensor-kernels')).benchTensorKernels },
  memory: { about: 'allocations per loop step, and data cleaning\'s peak memory against its arrays', load: async () => (await import('./memory')).benchMemory },
  autodiff: { about: 'tfjs autodiff oracles (--oracles autodiff) against the analytic ones', load: async () => (await import('./autodiff')).benchAutodiff },
  monitors: { about: 'cost of the default monitors on the default task (target ≤ 1.05)', load: async () => (await import('./monitors')).benchMonitors },
  startup: { about: 'start-up of bilevel/safe-control --help, --version and a refused option from the built dist/: wall, CPU, modules', load: async () => (await import('./startup')).benchStartup },
  tape: { about: 'float64 tape oracles (--oracles tape) against the analytic ones', load: async () => (await import('./tape')).benchTape },
  models: { about: 'model engine (SIMD/JS), tfjs and PyTorch: gradients and HVPs of an MLP and a convnet', load: async () => (await import('./models')).benchModels },
  'model-problem': { about: 'modelProblem against the hand-written logistic task', load: async () => (await import('./model-problem')).benchModelProblem },
  grid: { about: 'the solver × problem × seed grid, as `bilevel bench` (--full: the complete grid, about an hour)', load: async () => (await import('@bilevel/cli')).benchGrid },
  sweep: { about: 'the sweep engine on a pool of worker processes', load: async () => (await import('@bilevel/cli')).benchSweepPool },
};

/** What `npm run bench -- --help` prints. */
const HELP = `Usage: npm run bench -- [name…] [--option value…]

Without a name: the solver × problem × seed grid (5 seeds, a few minutes; the same as \`npx bilevel bench\`).
With names: those benchmarks, one after the other; "all": every benchmark, then the grid. Each prints a table and
its result as JSON on the last stdout line, and writes bench-results/<name>.json.
Options are passed to the benchmark as numbers (a flag without a value is 1), e.g. --seeds 3, --full.

Benchmarks:
${Object.entries(BENCHES).map(([name, b]) => `  ${name.padEnd(15)} ${b.about}`).join('\n')}
`;

function parseArgs(argv: string[]): { names: string[]; args: Record<string, number> } {
  const names: string[] = [];
  const args: Record<string, number> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      // a flag without a value (`--full`) means 1
      if (i + 1 >= argv.length || argv[i + 1].startsWith('--')) {
        args[a.slice(2)] = 1;
        continue;
      }
      const value = Number(argv[++i]);
      if (!Number.isFinite(value)) throw new Error(`bench: ${a} needs a number, received ${argv[i]}`);
      args[a.slice(2)] = value;
    } else names.push(a);
  }
  return { names, args };
}

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write(HELP);
  process.exit(0);
}
const { names, args } = parseArgs(argv);
const selected = names.length === 0 ? ['grid'] : names.includes('all') ? [...Object.keys(BENCHES).filter((n) => n !== 'grid'), 'grid'] : names;
for (const name of selected) {
  if (!BENCHES[name]) {
    console.error(`bench: unknown benchmark "${name}"; expected one of ${Object.keys(BENCHES).join(', ')}, or all (npm run bench -- --help describes them)`);
    process.exit(2);
  }
}
for (const name of selected) {
  const result = await (await BENCHES[name]!.load())(args);
  const machine = { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, date: new Date().toISOString() };
  console.log(`\n${name}:`);
  console.table(result.rows);
  console.log(JSON.stringify(result)); // the last stdout line: the whole result as JSON
  mkdirSync('bench-results', { recursive: true });
  writeFileSync(`bench-results/${name}.json`, JSON.stringify({ ...result, machine }, null, 2) + '\n');
}
