// `npm run bench -- <name>`: prints benchmark figures and writes them to bench-results/<name>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { benchControl } from './control';
import { benchDataCleaning } from './datacleaning';
import { benchImaging } from './imaging';
import { benchLogreg } from './logreg';
import { benchMulticlass } from './multiclass';
import { benchSolvers } from './solvers';

const BENCHES: Record<string, (args: Record<string, number>) => Promise<{ rows: Record<string, unknown>[] } & Record<string, unknown>>> = {
  logreg: benchLogreg,
  solvers: benchSolvers,
  multiclass: benchMulticlass,
  datacleaning: benchDataCleaning,
  imaging: benchImaging,
  control: benchControl,
};

function parseArgs(argv: string[]): { names: string[]; args: Record<string, number> } {
  const names: string[] = [];
  const args: Record<string, number> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const value = Number(argv[++i]);
      if (!Number.isFinite(value)) throw new Error(`bench: ${a} needs a number, received ${argv[i]}`);
      args[a.slice(2)] = value;
    } else names.push(a);
  }
  return { names, args };
}

const { names, args } = parseArgs(process.argv.slice(2));
const selected = names.length ? names : Object.keys(BENCHES);
for (const name of selected) {
  if (!BENCHES[name]) {
    console.error(`bench: unknown benchmark "${name}"; expected one of ${Object.keys(BENCHES).join(', ')}`);
    process.exit(2);
  }
}
for (const name of selected) {
  const result = await BENCHES[name](args);
  const machine = { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, date: new Date().toISOString() };
  console.log(`\n${name}: ${JSON.stringify({ ...result, rows: undefined })}`);
  console.table(result.rows);
  mkdirSync('bench-results', { recursive: true });
  writeFileSync(`bench-results/${name}.json`, JSON.stringify({ ...result, machine }, null, 2) + '\n');
}
