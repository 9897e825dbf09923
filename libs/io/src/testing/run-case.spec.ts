// The checks of one fuzz case, on a fake program whose output each test chooses: what passes (a run, the help, bad
// input in one line naming what was wrong) and each problem the fuzzer must report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliOutput, CliUnderTest } from './cli-under-test';
import { runCase } from './run-case';
import { withUncaughtTrap } from './uncaught-trap';

/** A bound no case of these tests comes near (their fake runs take microseconds), except the CPU-time test's. */
const GENEROUS_CPU_MS = 60_000;

/** A fake `prog` whose every run gives `output` (or throws it when it is an Error), after `before` ran. */
function fake(output: CliOutput | Error, before: () => void = () => {}): CliUnderTest {
  return {
    name: 'prog',
    run: async () => {
      before();
      if (output instanceof Error) throw output;
      return output;
    },
    ok: 0,
    internal: 1,
    badInput: 2,
    documented: new Map([
      [0, 'ran'],
      [2, 'bad-input'],
      [3, 'diverged'],
    ]),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'io-run-case-'));
const out = join(dir, 'out');
test.after(() => rmSync(dir, { recursive: true, force: true }));

const check = (cli: CliUnderTest, argv: readonly string[], maxCpuMs = GENEROUS_CPU_MS) => withUncaughtTrap((uncaught) => runCase(cli, argv, out, maxCpuMs, uncaught));

test('a run, another documented code, the help: no problems, each its outcome', async () => {
  assert.deepEqual(await check(fake({ code: 0, stdout: 'done\n', stderr: '{"level":30,"msg":"log"}\n' }), ['run']).then((r) => [r.outcome, r.problems]), ['ran', []]);
  assert.deepEqual(await check(fake({ code: 3, stdout: '', stderr: '' }), ['run']).then((r) => [r.outcome, r.problems]), ['diverged', []]);
  assert.deepEqual(await check(fake({ code: 0, stdout: 'Usage: prog [options]\n', stderr: '' }), ['--help']).then((r) => [r.outcome, r.problems]), ['help', []]);
  // no command: commander prints the help to stderr with the bad-input code, and no error line
  assert.deepEqual(await check(fake({ code: 2, stdout: '', stderr: 'Usage: prog [options]\n' }), []).then((r) => [r.outcome, r.problems]), ['help', []]);
});

test('bad input in one line that names the option, the token or the file: no problems; commander\'s hints and indented items allowed', async () => {
  const cases: [string[], string][] = [
    [['run', '--max-iter', 'x'], "prog: error: option '--max-iter <n>' argument 'x' is invalid\n(run with --help for the options)\n"],
    [['runn'], "error: unknown command 'runn'\n(Did you mean run?)\n"],
    [['run', '--config', 'c.json'], 'prog: error: c.json: 2 problems in the configuration:\n  batch: too small\n  unknown key "x"\n'],
    [['run'], 'prog: error: /data/train.csv: line 3, expected 4 columns\n'],
    [['run', '٣'], 'prog: error: ٣: not a number\n'],
  ];
  for (const [argv, stderr] of cases) {
    const r = await check(fake({ code: 2, stdout: '', stderr }), argv);
    assert.deepEqual(r.problems, [], stderr);
    assert.equal(r.outcome, 'bad-input');
    assert.equal(r.errorLine, stderr.split('\n')[0]);
  }
});

test('each problem is reported: an internal error, an undocumented code, a throw, two error lines, an error naming nothing, the help without an error', async () => {
  // the outcome is the exit code's unless the run itself failed (a bad-input case keeps 'bad-input', with its problems)
  const problem = async (cli: CliUnderTest, argv: string[], pattern: RegExp, outcome = 'crash') => {
    const r = await check(cli, argv);
    assert.equal(r.outcome, outcome);
    assert.ok(r.problems.some((p) => pattern.test(p)), `${pattern} in ${JSON.stringify(r.problems)}`);
  };
  await problem(fake({ code: 1, stdout: '', stderr: 'TypeError: x is undefined\n    at f\n' }), ['run'], /^exit 1 \(internal error\): TypeError: x is undefined/);
  await problem(fake({ code: 7, stdout: '', stderr: '' }), ['run'], /^undocumented exit code 7$/);
  await problem(fake(new Error('boom')), ['run'], /^main threw: Error: boom/);
  await problem(fake({ code: 2, stdout: '', stderr: "prog: error: '--a' bad\nprog: error: '--b' bad\n" }), ['run', '--a', '--b'], /expected one error line, got 2 and 0 other lines/, 'bad-input');
  await problem(fake({ code: 2, stdout: '', stderr: "prog: error: '--a' bad\nstack trace line\n" }), ['run', '--a'], /expected one error line, got 1 and 1 other lines/, 'bad-input');
  const vague = await check(fake({ code: 2, stdout: '', stderr: 'prog: error: something was wrong\n' }), ['run', '--seed', '12']);
  assert.deepEqual(vague.problems, ['bad input: the error line names no option or token given: prog: error: something was wrong']);
  const helpOnly = await check(fake({ code: 2, stdout: '', stderr: 'Usage: prog run [options]\n' }), ['run', '--x']);
  assert.deepEqual(helpOnly.problems, ['bad input printed the help but no error line']);
});

test('bad input that wrote its output folder is a problem', async () => {
  const wrote = fake({ code: 2, stdout: '', stderr: "prog: error: '--x0' is not a number\n" }, () => {
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'trace.jsonl'), '{}\n');
  });
  const r = await check(wrote, ['run', '--x0', 'a']);
  assert.deepEqual(r.problems, [`bad input but ${out} was written: trace.jsonl`]);
  rmSync(out, { recursive: true, force: true });
});

test('an error nobody caught after the case settled is a problem of that case', async () => {
  const leaky = fake({ code: 0, stdout: '', stderr: '' }, () => {
    setImmediate(() => {
      throw new Error('thrown by a subscriber');
    });
  });
  const r = await check(leaky, ['run']);
  assert.equal(r.problems.length, 1);
  assert.match(r.problems[0], /^uncaught after the case: Error: thrown by a subscriber/);
});

test('the bound is on the CPU time of the case: a run that spins past it is a problem, and the time is reported', async () => {
  // spins until the process has used 40 ms of CPU: the same work whatever the machine's load
  const spin = () => {
    const start = process.cpuUsage();
    for (;;) {
      const used = process.cpuUsage(start);
      if (used.user + used.system >= 40_000) return;
    }
  };
  const busy = fake({ code: 0, stdout: '', stderr: '' }, spin);
  const over = await check(busy, ['run'], 20);
  assert.equal(over.problems.length, 1);
  assert.match(over.problems[0], /^took \d+ ms of CPU \(bound 20 ms; \d+ ms of wall time\)$/);
  assert.ok(over.cpuMs >= 40, `${over.cpuMs} ms`);
  const within = await check(busy, ['run']);
  assert.deepEqual(within.problems, []);
});
