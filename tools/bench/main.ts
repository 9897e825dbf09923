// `npm run bench`: the solver × problem × seed grid (the same as `npx bilevel bench`; `-- --full` for the complete
// grid). `npm run bench -- <name> [--option value]`: one of the focused benchmarks below; each prints its figures
// and writes them to bench-results/<name>.json. `npm run bench -- all`: every focused benchmark, then the grid.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { benchGrid, benchSweepPool } from '@bilevel/cli';
import { benchControl } from './control';
import { benchDashboard } from './dashboard';
import { benchDataCleaning } from './datacleaning';
import { benchFewshot } from './fewshot';
import { benchDeq } from './deq';
import { benchImaging } from './imaging';
import { benchLogreg } from './logreg';
import { benchMulticlass } from './multiclass';
import { benchPeer } from './peer';
import { benchKernels } from './kernels';
import { benchMemory } from './memory';
import { benchAutodiff } from './autodiff';
import { benchModels } from './models';
import { benchMonitors } from './monitors';
import { benchTape } from './tape';
import { benchModelProblem } from './model-problem';
import { benchSolvers } from './solvers';
import { benchTensorKernels } from './tensor-kernels';

const BENCHES: Record<string, (args: Record<string, number>) => Promise<{ rows: Record<string, unknown>[] } & Record<string, unknown>>> = {
  logreg: benchLogreg,
  solvers: benchSolvers,
  multiclass: benchMulticlass,
  datacleaning: benchDataCleaning,
  deq: benchDeq,
  imaging: benchImaging,
  fewshot: benchFewshot,
  control: benchControl,
  dashboard: benchDashboard,
  peer: benchPeer,
  kernels: benchKernels,
  'tensor-kernels': benchTensorKernels,
  memory: benchMemory,
  autodiff: benchAutodiff,
  monitors: benchMonitors,
  tape: benchTape,
  models: benchModels,
  'model-problem': benchModelProblem,
  grid: benchGrid,
  sweep: benchSweepPool,
};

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

const { names, args } = parseArgs(process.argv.slice(2));
const selected = names.length === 0 ? ['grid'] : names.includes('all') ? [...Object.keys(BENCHES).filter((n) => n !== 'grid'), 'grid'] : names;
for (const name of selected) {
  if (!BENCHES[name]) {
    console.error(`bench: unknown benchmark "${name}"; expected one of ${Object.keys(BENCHES).join(', ')}, or all`);
    process.exit(2);
  }
}
for (const name of selected) {
  const result = await BENCHES[name](args);
  const machine = { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, date: new Date().toISOString() };
  console.log(`\n${name}:`);
  console.table(result.rows);
  console.log(JSON.stringify(result)); // the last stdout line: the whole result as JSON
  mkdirSync('bench-results', { recursive: true });
  writeFileSync(`bench-results/${name}.json`, JSON.stringify({ ...result, machine }, null, 2) + '\n');
}
