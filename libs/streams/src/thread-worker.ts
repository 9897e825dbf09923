// The worker-thread side of runThreads and ThreadPool: rebuilds the problem and solver from their ThreadSource once,
// says ready, then serves runs one after the other. For each run (a message from the main thread) it initializes its
// streams' parts, says bound, then steps them each time the main thread bumps the run's generation counter
// (Atomics), reading iterate t and writing iterate t + 1 in shared memory, until the main thread posts the exit
// operation; it then says idle and waits for the next run.
import { parentPort, workerData } from 'node:worker_threads';
import type { Rebuilt, WorkerMessage, WorkerRun, WorkerStart } from './thread-layout';
import { bindParts, COUNT_KEYS, CTL, OP, OWN, rebuiltIdentity, writeReport } from './thread-layout';

/** Spins this many loads before sleeping on the counter (a step is ~0.1–2 ms: a short spin saves a wake-up). */
const SPIN = 4000;

const post = (m: WorkerMessage) => parentPort!.postMessage(m);

async function main(): Promise<void> {
  const { source } = workerData as WorkerStart;
  let rebuilt: Rebuilt;
  try {
    const mod = (await import(source.module)) as Record<string, unknown>;
    const fn = mod[source.name];
    if (typeof fn !== 'function') throw new Error(`${source.module} has no exported function "${source.name}"`);
    rebuilt = await (fn as (args: unknown) => Rebuilt | Promise<Rebuilt>)(source.args);
  } catch (err) {
    post({ error: (err as Error).message ?? String(err), phase: 'rebuild' });
    return;
  }
  parentPort!.on('message', (m: { run?: WorkerRun }) => {
    if (m.run) serve(rebuilt, m.run);
  });
  post({ ready: true });
}

/** One run: binds this worker's streams, steps them on each generation until the exit operation. */
function serve(rebuilt: Rebuilt, data: WorkerRun): void {
  let parts: ReturnType<typeof bindParts>;
  try {
    parts = bindParts(rebuilt.problem, rebuilt.solver, data.seed, data.streams);
  } catch (err) {
    post({ error: (err as Error).message ?? String(err), phase: 'bind', run: data.id });
    return;
  }
  const ctl = new Int32Array(data.ctl);
  const vars = {
    z: [new Float64Array(data.vars.z, 0, data.vars.z.byteLength / 16), new Float64Array(data.vars.z, data.vars.z.byteLength / 2)],
    v: [new Float64Array(data.vars.v, 0, data.vars.v.byteLength / 16), new Float64Array(data.vars.v, data.vars.v.byteLength / 2)],
    x: [new Float64Array(data.vars.x, 0, data.vars.x.byteLength / 16), new Float64Array(data.vars.x, data.vars.x.byteLength / 2)],
  };
  const reads = [0, 1].map((p) => ({ z: vars.z[p], v: vars.v[p], x: vars.x[p] }));
  const counts = Object.fromEntries(data.streams.map((s) => [s, new Float64Array(data.counts[s])]));
  // the run's generation starts at 0 and moves once every worker said bound (or earlier, to cancel the run)
  let seen = 0;
  post({ bound: true, run: data.id, identity: rebuiltIdentity(rebuilt.problem, rebuilt.solver) });
  for (;;) {
    let spins = 0;
    while (Atomics.load(ctl, CTL.gen) === seen) {
      if (++spins > SPIN) Atomics.wait(ctl, CTL.gen, seen);
    }
    seen = Atomics.load(ctl, CTL.gen);
    const op = Atomics.load(ctl, CTL.op);
    if (op === OP.exit) {
      post({ idle: true, run: data.id });
      return;
    }
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
