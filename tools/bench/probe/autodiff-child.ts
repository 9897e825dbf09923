// Child process of `benchAutodiff` (run as `node --import tsx autodiff-child.ts '<json args>'`): SABA on the default
// logreg task with the tfjs autodiff oracles for `iters` steps under the V8 CPU profiler (started after a warm-up, so
// module loading and compilation stay out of it), the profile written to `profilePath` as a `.cpuprofile`.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { initEngine, logregAutodiff } from '@bilevel/autodiff/tfjs';
import { buildProblem } from '@bilevel/cli';
import { LogregHpo } from '@bilevel/problems';
import { saba } from '@bilevel/solvers';
import { runLoop } from '@bilevel/streams';

/** Arguments of the child run. */
export interface AutodiffChildArgs {
  readonly iters: number;
  readonly profilePath: string;
}

const args = JSON.parse(process.argv[2] ?? '{}') as AutodiffChildArgs;
const engine = await initEngine();
const analytic = buildProblem({ problem: 'logreg-hpo', reg: 'scalar', standardize: 'train', seed: 0 });
if (!(analytic instanceof LogregHpo)) throw new Error('autodiff-child: expected a LogregHpo');
const ad = logregAutodiff(analytic, 'softplus');
runLoop(ad.problem, saba({ batchSize: 32 }), { maxIter: 50, sampleEvery: 50, seed: 1 });
const session = new Session();
session.connect();
const post = (method: string, params: object = {}) =>
  new Promise<unknown>((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
await post('Profiler.enable');
await post('Profiler.setSamplingInterval', { interval: 100 });
await post('Profiler.start');
const last = runLoop(ad.problem, saba({ batchSize: 32 }), { maxIter: args.iters, sampleEvery: args.iters, seed: 0 });
const { profile } = (await post('Profiler.stop')) as { profile: unknown };
session.disconnect();
writeFileSync(args.profilePath, JSON.stringify(profile));
ad.dispose();
console.log(JSON.stringify({ backend: engine.backend, iters: args.iters, usPerIter: (last.solverSeconds * 1e6) / args.iters }));
