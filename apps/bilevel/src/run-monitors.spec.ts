import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding } from '@bilevel/streams';
import { InputError } from '@bilevel/io';
import { endOfRunWarning, FAR_FROM_H_STAR, NO_MONITORS, runMonitors } from './run-monitors';

const theorem: Finding = { level: 'violation', monitor: 'theorem', iteration: 0, message: 'ρ = 0.1 breaks ρ ≤ 1/(3·L_max)' };
const nan: Finding = { level: 'violation', monitor: 'finiteness', iteration: 7, message: 'x[0] is NaN' };

test('runMonitors: finiteness and theorem by default, none for --no-monitor, an unknown name is bad input', () => {
  const byDefault = runMonitors(undefined, 'logreg-hpo');
  assert.deepEqual(byDefault.monitors.map((m) => m.name), ['finiteness', 'theorem']);
  assert.deepEqual([...byDefault.quiet], ['finiteness', 'theorem']);
  assert.deepEqual(runMonitors(NO_MONITORS).monitors, []);
  assert.deepEqual(runMonitors(undefined, 'deq').monitors, []);
  const named = runMonitors('progress', 'logreg-hpo');
  assert.deepEqual(named.monitors.map((m) => m.name), ['progress']);
  assert.deepEqual([...named.quiet], []);
  assert.throws(() => runMonitors('nope'), (err: unknown) => err instanceof InputError && /--monitor: unknown monitor "nope"/.test(err.message));
});

test('endOfRunWarning: far from h*, with the first violation as the likely cause', () => {
  const w = endOfRunWarning({ monitored: true, status: 'finished', relativeSuboptimality: 1.32, findings: [theorem] });
  assert.equal(w, 'warning: the run ended far from h*: relative suboptimality 1.32; the theorem monitor found: ρ = 0.1 breaks ρ ≤ 1/(3·L_max) (more iterations or other steps may help; --no-monitor silences this line)');
});

test("endOfRunWarning: without a violation, the first warning is the likely cause (the theorem's sufficient bound missed)", () => {
  const step: Finding = {
    level: 'warning',
    monitor: 'theorem',
    iteration: 0,
    message: "soba.innerStep: the step exceeds the theorem's sufficient bound ρ_t ≤ 1/L_max (0.100 > 0.0102): convergence not guaranteed by the theorem",
  };
  const w = endOfRunWarning({ monitored: true, status: 'finished', relativeSuboptimality: 1.32, findings: [step] });
  assert.equal(w, `warning: the run ended far from h*: relative suboptimality 1.32; the theorem monitor found: ${step.message} (more iterations or other steps may help; --no-monitor silences this line)`);
  assert.match(endOfRunWarning({ monitored: true, status: 'finished', relativeSuboptimality: 1.32, findings: [step, theorem] })!, /found: ρ = 0\.1 breaks/, 'a violation comes first');
});

test('endOfRunWarning: nothing for a run near h*, a diverged or interrupted one, or with the monitors off', () => {
  assert.equal(endOfRunWarning({ monitored: true, status: 'finished', relativeSuboptimality: FAR_FROM_H_STAR / 2, findings: [theorem] }), undefined);
  assert.equal(endOfRunWarning({ monitored: true, status: 'diverged', relativeSuboptimality: 5, findings: [] }), undefined);
  assert.equal(endOfRunWarning({ monitored: true, status: 'interrupted', relativeSuboptimality: 5, findings: [] }), undefined);
  assert.equal(endOfRunWarning({ monitored: false, status: 'finished', relativeSuboptimality: 5, findings: [nan] }), undefined);
});

test('endOfRunWarning: a non-finite value, a NaN suboptimality, or without h* an h that ended above its start', () => {
  assert.match(endOfRunWarning({ monitored: true, status: 'finished', findings: [nan, theorem] })!, /^warning: a value stopped being finite \(x\[0\] is NaN\); the theorem monitor found/);
  assert.match(endOfRunWarning({ monitored: true, status: 'finished', relativeSuboptimality: NaN, findings: [] })!, /relative suboptimality NaN/);
  assert.match(endOfRunWarning({ monitored: true, status: 'finished', firstValue: 0.5, lastValue: 0.9, findings: [] })!, /h ended above where it started \(0\.500000 → 0\.900000\)/);
  assert.equal(endOfRunWarning({ monitored: true, status: 'finished', firstValue: 0.5, lastValue: 0.4, findings: [] }), undefined);
});
