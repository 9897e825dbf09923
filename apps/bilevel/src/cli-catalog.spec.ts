// The catalog that `bilevel --help` reads instead of the libraries holds exactly what they register and define.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEQ_BACKWARDS, ESTIMATORS, META_SOLVERS, SOLVERS, STANDALONE, STEP_RULES } from '@bilevel/solvers';
import type { SolverEntry } from '@bilevel/solvers';
import { DATA_CLEANING_DEFAULT_C } from '@bilevel/problems';
import { LOG_LEVELS } from '@bilevel/telemetry';
import {
  CHECKPOINT_SECONDS,
  DATA_CLEANING_C,
  DEQ_BACKWARD_NAMES,
  ESTIMATOR_NAMES,
  LOG_LEVEL_NAMES,
  META_PROBLEM_NAMES,
  META_SOLVER_HELP,
  PROBLEM_NAMES,
  RUN_MAX_ITER,
  RUN_MONITORS,
  SOLVER_HELP,
  STANDALONE_HELP,
  STEP_RULE_NAMES,
  SWEEP_MAX_RUNS,
  WORKER_MAX_RUN_ITER,
} from './cli-catalog';
import { PROBLEMS } from './build-problem';
import { META_PROBLEMS } from './meta/meta-setup';
import { DEFAULT_MAX_ITER } from './problem-defaults';
import { DEFAULT_CHECKPOINT_SECONDS } from './run-command';
import { DEFAULT_RUN_MONITORS } from './run-monitors';
import { DEFAULT_MAX_RUNS } from './sweep/sweep-engine';
import { MAX_RUN_ITER } from './bench/grid-spec';

const help = (registry: Readonly<Record<string, Pick<SolverEntry, 'name' | 'description'>>>) =>
  Object.entries(registry).map(([name, e]) => ({ name, description: e.description }));

test('the solvers of --help are the registered ones, in registry order, with their descriptions', () => {
  assert.deepEqual(SOLVER_HELP, help(SOLVERS));
  assert.deepEqual(STANDALONE_HELP, help(STANDALONE));
  assert.deepEqual(META_SOLVER_HELP, help(META_SOLVERS));
});

test('the choices of --estimator, --step-rule, --backward, --problem and --log-level are the registered ones', () => {
  assert.deepEqual(ESTIMATOR_NAMES, Object.keys(ESTIMATORS));
  assert.deepEqual(STEP_RULE_NAMES, Object.keys(STEP_RULES));
  assert.deepEqual(DEQ_BACKWARD_NAMES, [...DEQ_BACKWARDS]);
  assert.deepEqual(PROBLEM_NAMES, [...PROBLEMS]);
  assert.deepEqual(META_PROBLEM_NAMES, [...META_PROBLEMS]);
  assert.deepEqual(LOG_LEVEL_NAMES, [...LOG_LEVELS]);
});

test('the defaults that --help states are the ones the commands apply', () => {
  assert.equal(DATA_CLEANING_C, DATA_CLEANING_DEFAULT_C);
  assert.equal(RUN_MAX_ITER, DEFAULT_MAX_ITER);
  assert.equal(CHECKPOINT_SECONDS, DEFAULT_CHECKPOINT_SECONDS);
  assert.equal(RUN_MONITORS, DEFAULT_RUN_MONITORS);
  assert.equal(SWEEP_MAX_RUNS, DEFAULT_MAX_RUNS);
  assert.equal(WORKER_MAX_RUN_ITER, MAX_RUN_ITER);
});
