// The worker-thread side of runThreads: rebuilds the problem and solver from their ThreadSource, initializes its
// streams' parts, then steps them each time the main thread bumps the generation counter (Atomics), reading iterate t
// and writing iterate t + 1 in shared memory.
import { parentPort, workerData } from 'node:worker_threads';
import type { Rebuilt, WorkerData } from './thread-layout';
import { bindParts, COUNT_KEYS, CTL, OP, OWN, writeReport } from './thread-layout';

/** Spins this many loads before sleeping on the counter (a step is ~0.1–2 ms: a short spin saves a wake-up). */
const SPIN = 4000;

async function main(): Promise<void> {
  const data = workerData as WorkerData;
  let rebuilt: Rebuilt;
  try {
    const mod = (await import(data.source.module)) as Record<string, unknown>;
    const fn = mod[data.source.name];
    if (typeof fn !== 'function') throw new Error(`${data.source.module} has no exported function "${data.source.name}"`);
    rebuilt = await (fn as (args: unknown) => Rebuilt | Promise<Rebuilt>)(data.source.args);
  } catch (err) {
    parentPort!.postMessage({ error: (err as Error).message ?? String(err) });
    return;
  }
  const parts = bindParts(rebuilt.problem, rebuilt.solver, data.seed, data.streams);
  const ctl = new Int32Array(data.ctl);
  const vars = {
    z: [new Float64Array(data.vars.z, 0, data.vars.z.byteLength / 16), new Float64Array(data.vars.z, data.vars.z.byteLength / 2)],
    v: [new Float64Array(data.vars.v, 0, data.vars.v.byteLength / 16), new Float64Array(data.vars.v, data.vars.v.byteLength / 2)],
    x: [new Float64Array(data.vars.x, 0, data.vars.x.byteLength / 16), new Float64Array(data.vars.x, data.vars.x.byteLength / 2)],
  };
  const reads = [0, 1].map((p) => ({ z: vars.z[p], v: vars.v[p], x: vars.x[p] }));
  const counts = Object.fromEntries(data.streams.map((s) => [s, new Float64Array(data.counts[s])]));
  // read the generation before saying ready: the main thread bumps it as soon as every worker is ready
  let seen = Atomics.load(ctl, CTL.gen);
  parentPort!.postMessage({ ready: true });
  for (;;) {
    let spins = 0;
    while (Atomics.load(ctl, CTL.gen) === seen) {
      if (++spins > SPIN) Atomics.wait(ctl, CTL.gen, seen);
    }
    seen = Atomics.load(ctl, CTL.gen);
    const op = Atomics.load(ctl, CTL.op);
    if (op === OP.exit) return;
    try {
      if (op === OP.step) {
        const t = Atomics.load(ctl, CTL.tick);
        const p = t & 1;
        for (const s of data.streams) {
          const aux = parts[s]!.step(reads[p], t, vars[OWN[s]][p ^ 1]);
          if (aux !== undefined) throw new Error(`the ${s} part of ${rebuilt.solver.name} publishes data beside its iterate, which threads do not carry`);
          const shared = counts[s];
          const own = parts[s]!.counts;
          for (let i = 0; i < COUNT_KEYS.length; i++) shared[i] = own[COUNT_KEYS[i]];
        }
      } else if (op === OP.report) {
        writeReport(data.report, JSON.stringify(Object.fromEntries(data.streams.flatMap((s) => (parts[s]!.diagnostics ? [[s, parts[s]!.diagnostics()]] : [])))));
      }
    } catch (err) {
      writeReport(data.report, (err as Error).message ?? String(err));
      Atomics.store(ctl, CTL.error, 1);
    }
    Atomics.add(ctl, CTL.done, 1);
    Atomics.notify(ctl, CTL.done);
  }
}

void main();
