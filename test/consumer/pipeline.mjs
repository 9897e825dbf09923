// A user's program, run by plain `node` in an empty project where the packed packages were installed (see
// ../src/packages/consumer.spec.ts): one import of the toolkit, a problem, a pipeline composed from parts, a run under
// the default monitors. Prints one JSON line; exits 1 when the run did not converge.
import { lastValueFrom } from 'rxjs';
import {
  DEFAULT_MONITORS,
  constantStep,
  monitorContext,
  nrm2,
  quadraticProblem,
  run,
  safeSabaOptions,
  sagaEstimator,
  singleLoop,
  withMonitors,
} from '@bilevel/toolkit';

const problem = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 32, nOuter: 32, seed: 3 });
const { batchSize, innerStep, outerStep } = safeSabaOptions(problem);
const solver = singleLoop({
  name: 'consumer',
  citation: 'SABA (Dagréou et al., NeurIPS 2022) from its parts',
  inner: { estimator: sagaEstimator(), step: constantStep(innerStep), batchSize },
  linsys: { estimator: sagaEstimator(), step: constantStep(innerStep), batchSize },
  outer: { estimator: sagaEstimator(), step: constantStep(outerStep), batchSize },
});
const options = { maxIter: 20_000, sampleEvery: 5000 };
const findings = [];
const { snapshots$, findings$ } = withMonitors(run(problem, solver, options), monitorContext(problem, solver, options), DEFAULT_MONITORS);
findings$.subscribe((f) => findings.push(`${f.level} ${f.monitor}: ${f.message}`));
const last = await lastValueFrom(snapshots$);
const g0 = nrm2(problem.hypergradient(new Float64Array(3)).grad);
const g = nrm2(problem.hypergradient(last.x).grad);
const violations = findings.filter((f) => f.startsWith('violation'));
console.log(JSON.stringify({ iteration: last.iteration, g0, g, violations }));
process.exitCode = last.iteration === options.maxIter && g < 1e-3 * g0 && violations.length === 0 ? 0 : 1;
