// Child process of the soak specs (run as `node --expose-gc --import tsx soak-child.ts '<json args>'`, see
// spawn-soak.ts): a fresh process with no heap, JIT or tensor history of the test runner. SABA (batch 32) on the
// default logreg-hpo task through the streams `run`, with either the analytic oracles (heap sampled after a forced
// full GC) or the tfjs autodiff oracles (`tf.memory()` sampled); prints one JSON line.
import * as tf from '@tensorflow/tfjs';
import { buildProblem } from '@bilevel/cli';
import { initEngine, logregAutodiff } from '@bilevel/autodiff/tfjs';
import type { BilevelProblem } from '@bilevel/problems';
import { saba } from '@bilevel/solvers';
import { run } from '@bilevel/streams';
import type { SoakArgs, SoakResult, SoakSample } from './soak-types';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('soak-child: run node with --expose-gc');
const args = JSON.parse(process.argv[2] ?? '{}') as SoakArgs;
const analytic = buildProblem({ problem: 'logreg-hpo', reg: 'scalar', standardize: 'train', seed: 0 });

let problem: BilevelProblem = analytic;
let backend = 'float64 analytic';
let dispose = () => {};
if (args.oracles === 'autodiff') {
  const engine = await initEngine();
  backend = `tfjs-${engine.backend}`;
  const ad = logregAutodiff(analytic as Parameters<typeof logregAutodiff>[0], 'softplus');
  problem = ad.problem;
  dispose = ad.dispose;
}

const samples: SoakSample[] = [];
const t0 = performance.now();
const onSnapshot = (step: number) => {
  gc();
  const memory = tf.memory();
  samples.push({ step, heapUsed: process.memoryUsage().heapUsed, numTensors: memory.numTensors, numBytes: memory.numBytes, seconds: (performance.now() - t0) / 1000 });
};
let steps = 0;
await new Promise<void>((resolve, reject) =>
  run(problem, saba({ batchSize: 32 }), { maxIter: args.steps, maxSeconds: args.maxSeconds ?? Infinity, sampleEvery: args.every, seed: 0 }).subscribe({
    next: (s) => {
      steps = s.iteration;
      onSnapshot(s.iteration);
    },
    complete: resolve,
    error: reject,
  }),
);
const seconds = (performance.now() - t0) / 1000;
dispose();
const result: SoakResult = { oracles: args.oracles, backend, steps, every: args.every, seconds, samples, tensorsAfterDispose: tf.memory().numTensors };
console.log(JSON.stringify(result));
