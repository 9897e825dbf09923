// A user's TypeScript, type-checked against the installed packages' declarations with the strictest settings a user
// may have (tsconfig.nodenext.json, tsconfig.bundler.json: strict, noUncheckedIndexedAccess,
// exactOptionalPropertyTypes, skipLibCheck false). It imports every package's entry point but the certified-control
// ones (consumer-control.ts), so that every declaration file they reach is checked, and uses the toolkit's values so that their types must come through (an unresolved
// import would make them `any` or `unknown` and fail the assignments below).
import { lastValueFrom } from 'rxjs';
import type { Observable } from 'rxjs';
import {
  constantStep,
  DEFAULT_MONITORS,
  monitorContext,
  quadraticProblem,
  run,
  safeSabaOptions,
  sagaEstimator,
  singleLoop,
  withMonitors,
} from '@bilevel/toolkit';
import type { BilevelProblem, Finding, Monitor, Snapshot, Solver } from '@bilevel/toolkit';
import type * as linalg from '@bilevel/linalg';
import type * as io from '@bilevel/io';
import type * as ioTesting from '@bilevel/io/testing';
import type * as problems from '@bilevel/problems';
import type * as autodiff from '@bilevel/autodiff';
import type * as solvers from '@bilevel/solvers';
import type * as streams from '@bilevel/streams';
import type * as verify from '@bilevel/verify';
import type * as telemetry from '@bilevel/telemetry';
import type * as dashboard from '@bilevel/dashboard';
import type * as cli from '@bilevel/cli';

export type Surfaces = [typeof linalg, typeof io, typeof ioTesting, typeof problems, typeof autodiff, typeof solvers, typeof streams, typeof verify, typeof telemetry, typeof dashboard, typeof cli];

const problem = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 32, nOuter: 32, seed: 3 });
export const contract: BilevelProblem = problem;
const steps: { batchSize: number; innerStep: number; outerStep: number } = safeSabaOptions(problem);
const solver: Solver = singleLoop({
  name: 'consumer',
  citation: 'SABA from its parts',
  inner: { estimator: sagaEstimator(), step: constantStep(steps.innerStep), batchSize: steps.batchSize },
  linsys: { estimator: sagaEstimator(), step: constantStep(steps.innerStep), batchSize: steps.batchSize },
  outer: { estimator: sagaEstimator(), step: constantStep(steps.outerStep), batchSize: steps.batchSize },
});
const options = { maxIter: 1000 };
const monitors: readonly Monitor[] = DEFAULT_MONITORS;
const monitored: { snapshots$: Observable<Snapshot>; findings$: Observable<Finding> } = withMonitors(run(problem, solver, options), monitorContext(problem, solver, options), monitors);
const last: Snapshot = await lastValueFrom(monitored.snapshots$);
const first: number | undefined = last.x[0]; // noUncheckedIndexedAccess: an index may be out of range
export const x0: number = first ?? Number.NaN;
