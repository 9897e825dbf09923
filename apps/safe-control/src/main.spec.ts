// End-to-end tests of `safe-control`, in process (fast) and once through the real bin/safe-control.mjs: train on PJ
// certifies and writes every file, verify round-trips them, simulate draws, the SVG baseline is unsafe, and every
// kind of bad input is one clear error with exit 2 and nothing written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Capture, CaptureUntil, cli } from './in-process-cli';
import { main } from './main';
import { EXIT } from './exit-codes';


const root = mkdtempSync(join(tmpdir(), 'safe-control-cli-'));
/** Fewer samples than the CLI's 100,000 keep the suite fast; the condition checks are the same. */
const SAMPLES = '20000';
/** Iteration budget: jointTraining certifies PJ in 31 iterations from the app's start with seed 0. */
const MAX_ITER = '60';
const trained = join(root, 'train');
const baseline = join(root, 'svg');
const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

test('train on PJ certifies and writes report, policy, certificate and the picture', async () => {
  const r = await cli(['train', '--system', 'pj', '--seed', '0', '--max-iter', MAX_ITER, '--samples', SAMPLES, '--out', trained, '--json']);
  assert.equal(r.code, EXIT.ok, r.stderr);
  assert.deepEqual(readdirSync(trained).sort(), ['certificate.json', 'phase.png', 'phase.svg', 'policy.json', 'report.json', 'train-config.json']);
  const report = json(join(trained, 'report.json'));
  assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').at(-1)!), report);
  assert.equal(report.certified, true);
  assert.equal(report.outcome, 'certified');
  assert.ok(report.cStar <= -1e-6, `c* = ${report.cStar}`);
  assert.match(report.verifier.method, /^sound \(after 20000 sampled states per condition\)$/);
  assert.equal(report.verifier.status, 'verified', 'proved by branch and bound');
  assert.deepEqual(report.verifier.sound.conditions.map((c: { name: string; status: string }) => [c.name, c.status]), [['initial', 'verified'], ['unsafe', 'verified'], ['derivative', 'verified']]);
  assert.equal(report.verifier.boxes.unknown, 0);
  assert.equal(report.verifier.samplesPerCondition, 20000);
  for (const c of report.verifier.conditions) assert.equal(c.violations, 0, c.name);
  assert.deepEqual([report.system, report.track, report.seed, report.baseline], ['pj', 'poly', 0, null]);
  assert.ok(report.iterations > 0 && report.iterations <= 60);
  assert.ok(report.seconds > 0);
  assert.deepEqual(report.trajectories.count, 20);
  assert.equal(report.trajectories.enteringUnsafe, 0);
  const policy = json(join(trained, 'policy.json'));
  assert.deepEqual([policy.format, policy.version, policy.system, policy.theta.length], ['safe-control.policy', 1, 'pj', 3]);
  assert.deepEqual(policy.theta, report.theta);
  const cert = json(join(trained, 'certificate.json'));
  assert.deepEqual([cert.format, cert.version, cert.system, cert.certificate, cert.cStar], ['safe-control.certificate', 1, 'pj', 'barrier', report.cStar]);
  const svg = readFileSync(join(trained, 'phase.svg'), 'utf8');
  assert.match(svg, /<svg/);
  assert.match(svg, /contour_marks/); // the level set B = 0 is drawn
  assert.deepEqual([...readFileSync(join(trained, 'phase.png')).subarray(1, 4)], [...Buffer.from('PNG')]);
  for (const line of r.stderr.trim().split('\n')) assert.doesNotThrow(() => JSON.parse(line), line);
});

test('verify round-trips the written files: certified, exit 0, verdict.json', async () => {
  const out = join(root, 'verdict');
  const r = await cli(['verify', '--system', 'pj', '--policy', join(trained, 'policy.json'), '--certificate', join(trained, 'certificate.json'), '--samples', SAMPLES, '--out', out]);
  assert.equal(r.code, EXIT.ok, r.stderr);
  assert.match(r.stdout, /pj: CERTIFIED/);
  const v = json(join(out, 'verdict.json'));
  assert.deepEqual([v.certified, v.status, v.violated, v.counterexample], [true, 'verified', null, null]);
  assert.equal(v.conditions.length, 3);
});

test('the SVG baseline is reported unsafe, with no certificate', async () => {
  const r = await cli(['train', '--system', 'pj', '--baseline', 'svg', '--max-iter', '150', '--out', baseline, '--log-level', 'warn']);
  assert.equal(r.code, EXIT.ok, r.stderr);
  const report = json(join(baseline, 'report.json'));
  assert.deepEqual([report.certified, report.baseline, report.unsafe, report.cStar, report.verifier], [false, 'svg', true, null, null]);
  assert.ok(report.trajectories.enteringUnsafe > 0);
  assert.ok(!existsSync(join(baseline, 'certificate.json')));
  assert.match(r.stdout, /UNSAFE/);
  assert.match(readFileSync(join(baseline, 'phase.svg'), 'utf8'), /unsafeTrajectories_marks/);
});

test('verify of the baseline policy against the certificate fails with a counterexample, exit 3', async () => {
  const r = await cli(['verify', '--system', 'pj', '--policy', join(baseline, 'policy.json'), '--certificate', join(trained, 'certificate.json'), '--samples', '5000']);
  assert.equal(r.code, EXIT.notCertified, r.stderr);
  assert.match(r.stdout, /NOT CERTIFIED \(sampled: falsified\): \w+ condition violated at \[-?\d/);
});

test('simulate writes the picture and the rollout summary', async () => {
  const out = join(root, 'sim');
  const r = await cli(['simulate', '--system', 'pj', '--policy', join(trained, 'policy.json'), '--certificate', join(trained, 'certificate.json'), '--trajectories', '7', '--out', out]);
  assert.equal(r.code, EXIT.ok, r.stderr);
  assert.deepEqual(readdirSync(out).sort(), ['phase.png', 'phase.svg', 'simulation.json']);
  const s = json(join(out, 'simulation.json'));
  assert.deepEqual([s.trajectories, s.enteringUnsafe], [7, 0]);
});

/** Writes a modified copy of a written file. */
function variant(name: string, from: string, edit: (doc: Record<string, unknown>) => unknown): string {
  const path = join(root, name);
  const result = edit(json(from));
  writeFileSync(path, typeof result === 'string' ? result : JSON.stringify(result));
  return path;
}

test('bad input: one clear error, exit 2, nothing written', async () => {
  const pol = join(trained, 'policy.json');
  const cer = join(trained, 'certificate.json');
  const notJson = join(root, 'not-json.json');
  writeFileSync(notJson, '{"format": "safe-control.policy", ');
  const nonEmpty = join(root, 'non-empty');
  mkdirSync(nonEmpty);
  writeFileSync(join(nonEmpty, 'keep.txt'), 'x');
  const cases: Array<[string, string[], RegExp]> = [
    ['unknown system', ['train', '--system', 'moon'], /--system: unknown system 'moon'; expected one of pj, pendulum, lane-keeping, cartpole, pj-paper, pendulum-paper, lane-keeping-paper, lane-keeping-paper-lyapunov, attitude, inverted-pendulum/],
    ['neural track on attitude', ['train', '--system', 'attitude', '--track', 'neural'], /--track neural: the neural track is set up for pj, inverted-pendulum and cartpole, received 'attitude'/],
    ['neural track with baseline', ['train', '--system', 'pj', '--track', 'neural', '--baseline', 'svg'], /--baseline: the baseline runs without a certificate/],
    ['unknown track', ['train', '--system', 'pj', '--track', 'sos'], /--track: expected poly or neural, received 'sos'/],
    ['no polynomial dynamics', ['train', '--system', 'cartpole'], /system 'cartpole' has no polynomial dynamics/],
    ['unknown baseline', ['train', '--system', 'pj', '--baseline', 'ppo'], /--baseline: expected svg, received 'ppo'/],
    ['non-empty --out', ['train', '--system', 'pj'], /folder is not empty/],
    ['bad seed', ['train', '--system', 'pj', '--seed', 'abc'], /expected an integer, received 'abc'/],
    ['negative max-iter', ['train', '--system', 'pj', '--max-iter', '-1'], /expected an integer ≥ 0/],
    ['zero trajectories', ['simulate', '--system', 'pj', '--policy', pol, '--trajectories', '0'], /expected an integer ≥ 1, received '0'/],
    ['missing file', ['verify', '--system', 'pj', '--policy', join(root, 'nope.json'), '--certificate', cer], /nope.json: cannot read the file \(no such file\)/],
    ['JSON parse error', ['verify', '--system', 'pj', '--policy', notJson, '--certificate', cer], /not-json.json: not valid JSON/],
    ['wrong system', ['verify', '--system', 'pendulum', '--policy', pol, '--certificate', cer], /policy.json: was written for system "pj", not 'pendulum'/],
    ['wrong format', ['verify', '--system', 'pj', '--policy', cer, '--certificate', cer], /format must be 'safe-control.policy'/],
    ['wrong theta size', ['verify', '--system', 'pj', '--policy', variant('short.json', pol, (d) => ({ ...d, theta: [1, 2] })), '--certificate', cer], /theta must hold 3 numbers, received 2/],
    ['non-finite theta', ['verify', '--system', 'pj', '--policy', variant('inf.json', pol, (d) => JSON.stringify(d).replace(/"theta":\[[^\]]*\]/, '"theta":[1e999,0,0]')), '--certificate', cer], /theta\[0\] must be a finite number, received Infinity/],
    ['empty certificate', ['verify', '--system', 'pj', '--policy', pol, '--certificate', variant('empty.json', cer, (d) => ({ ...d, terms: [] }))], /terms must be a non-empty array/],
    ['certificate sizes', ['verify', '--system', 'pj', '--policy', pol, '--certificate', variant('c3.json', cer, (d) => ({ ...d, terms: [{ exponents: [1, 0, 0], coefficient: 1 }] }))], /terms\[0\].exponents must hold 2 numbers/],
  ];
  for (const [name, args, message] of cases) {
    const out = name === 'non-empty --out' ? nonEmpty : join(root, `bad-${name.replace(/\W+/g, '-')}`);
    const r = await cli([...args, '--out', out]);
    assert.equal(r.code, EXIT.badInput, `${name}: exit ${r.code}, stderr ${r.stderr}`);
    assert.match(r.stderr, message, name);
    if (name !== 'non-empty --out') assert.ok(!existsSync(out), `${name}: ${out} was created`);
    assert.equal(r.stdout, '', name);
  }
  assert.deepEqual(readdirSync(nonEmpty), ['keep.txt']);
});

test('Ctrl-C stops training after the current step, saves what there is, exit 130', async () => {
  const out = join(root, 'interrupted');
  const before = process.listenerCount('SIGINT');
  const stdout = new Capture();
  // the signal comes when the log says iteration 3 is done (an event, not a delay a busy machine could outrun)
  const stderr = new CaptureUntil(/"iteration":3,[^\n]*"msg":"iteration"/, () => process.emit('SIGINT', 'SIGINT'));
  const running = main(['train', '--system', 'pj', '--baseline', 'svg', '--max-iter', '100000', '--out', out, '--log-level', 'debug'], { stdout, stderr, tty: false });
  const code = await running;
  assert.equal(code, EXIT.interrupted, stderr.text);
  assert.match(stderr.text, /received SIGINT: stopping after the current step/);
  const report = json(join(out, 'report.json'));
  assert.equal(report.outcome, 'interrupted');
  assert.ok(report.iterations >= 3 && report.iterations < 100000, `iterations ${report.iterations}`);
  assert.equal(process.listenerCount('SIGINT'), before, 'the handlers are removed');
});

test('the bin entry point runs simulate as a program', () => {
  const bin = fileURLToPath(new URL('../bin/safe-control.mjs', import.meta.url));
  const out = join(root, 'bin-sim');
  const r = spawnSync(process.execPath, [bin, 'simulate', '--system', 'pj', '--policy', join(trained, 'policy.json'), '--trajectories', '3', '--out', out, '--log-level', 'warn'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, EXIT.ok, r.stderr);
  assert.match(r.stdout, /pj: 0\/3 trajectories enter the unsafe set/);
  assert.ok(existsSync(join(out, 'phase.png')));
  const bad = spawnSync(process.execPath, [bin, 'train', '--system', 'moon'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(bad.status, EXIT.badInput);
  assert.match(bad.stderr, /^safe-control: error: --system: unknown system 'moon'/);
});
