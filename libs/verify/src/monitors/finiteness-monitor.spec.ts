// The finiteness monitor: silent on a finite run; a NaN forced into x is named with its stream and index; a
// diverging run (DivergenceError) becomes a violation naming the stream, the variable and the oracle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastValueFrom, map, toArray } from 'rxjs';
import { quadraticProblem } from '@bilevel/problems';
import type { BilevelProblem } from '@bilevel/problems';
import { saba } from '@bilevel/solvers';
import { DivergenceError, run } from '@bilevel/streams';
import { finitenessMonitor } from './finiteness-monitor';
import type { Finding } from '@bilevel/streams';
import { monitorContext, MonitorViolationError, withMonitors } from '@bilevel/streams';
import { poisonedHvp } from './fixtures/poisoned-hvp';
import { forcedNanOuter } from './fixtures/forced-nan-outer';

const problem = quadraticProblem({ dimZ: 5, dimX: 3, nInner: 20, nOuter: 20, seed: 3 });
const good = saba({ batchSize: 4, innerStep: 0.2, outerStep: 0.05 });
const opts = { seed: 0, maxIter: 300, sampleEvery: 50 };

async function findingsOf(snapshots$: ReturnType<typeof run>, solver = good, strict = false, p: BilevelProblem = problem): Promise<{ findings: Finding[]; error?: unknown }> {
  const monitored = withMonitors(snapshots$, monitorContext(p, solver, opts), [finitenessMonitor()], { strict });
  const findings = lastValueFrom(monitored.findings$.pipe(toArray()));
  let error: unknown;
  await lastValueFrom(monitored.snapshots$).catch((e: unknown) => (error = e));
  return { findings: await findings, error };
}

test('silent on a finite run', async () => {
  const { findings, error } = await findingsOf(run(problem, good, opts));
  assert.equal(error, undefined);
  assert.deepEqual(findings, []);
});

test('a snapshot whose x is forced to NaN gives one violation naming x, the outer stream and the index', async () => {
  const forced$ = run(problem, good, opts).pipe(
    map((s) => {
      if (s.iteration < 150) return s;
      const x = Float64Array.from(s.x);
      x[2] = NaN;
      return { ...s, x };
    }),
  );
  const { findings, error } = await findingsOf(forced$);
  assert.equal(error, undefined, 'not strict: the run goes on');
  assert.equal(findings.length, 1, 'once per variable');
  const [f] = findings;
  assert.equal(f.level, 'violation');
  assert.equal(f.iteration, 150);
  assert.equal(f.variable, 'x');
  assert.equal(f.stream, 'outer');
  assert.equal(f.index, 2);
  assert.match(f.message, /x\[2\] = NaN/);
});

test('strict: the forced NaN ends the run with MonitorViolationError', async () => {
  const forced$ = run(problem, good, opts).pipe(map((s) => (s.iteration < 100 ? s : { ...s, z: Float64Array.from(s.z, () => Infinity) })));
  const { error } = await findingsOf(forced$, good, true);
  assert.ok(error instanceof MonitorViolationError);
  assert.equal(error.finding.variable, 'z');
  assert.equal(error.finding.iteration, 100);
});

test('a DivergenceError becomes a violation naming the stream, the variable and the NaN oracle, then propagates', async () => {
  const poisoned = poisonedHvp(problem, 7);
  const { findings, error } = await findingsOf(run(poisoned, good, opts), good, true, poisoned);
  assert.ok(error instanceof DivergenceError, 'the original error propagates, in strict mode too');
  assert.equal(findings.length, 1);
  const [f] = findings;
  assert.equal(f.level, 'violation');
  assert.equal(f.stream, 'linsys');
  assert.equal(f.variable, 'v');
  assert.equal(f.oracle, 'innerHvp');
  assert.match(f.message, /linsys stream produced a non-finite v .*innerHvp is non-finite/);
});

test('an outer step forced to write NaN is named: outer stream, x, oracles finite so the step produced it', async () => {
  const forced = forcedNanOuter(good, 40);
  const { findings, error } = await findingsOf(run(problem, forced, opts), forced);
  assert.ok(error instanceof DivergenceError);
  assert.equal(findings.length, 1);
  assert.equal(findings[0].stream, 'outer');
  assert.equal(findings[0].variable, 'x');
  assert.equal(findings[0].iteration, 40);
  assert.equal(findings[0].oracle, undefined);
  assert.match(findings[0].message, /outer stream produced a non-finite x at version 41.*the step itself produced it/);
});

test('huge steps: the divergence is named with its stream and variable', async () => {
  const wild = saba({ batchSize: 4, innerStep: 1e3, outerStep: 1e3 });
  const { findings, error } = await findingsOf(run(problem, wild, opts), wild);
  assert.ok(error instanceof DivergenceError);
  assert.equal(findings.length, 1);
  assert.equal(findings[0].stream, error.stream);
  assert.equal(findings[0].variable, error.variable);
});

test('options are validated', () => {
  assert.throws(() => finitenessMonitor({ every: 3 } as never), /finitenessMonitor: unknown option "every"/);
});
