// End-to-end tests of `safe-control --track neural`, in process: train on PJ certifies with a barrier MLP proved by
// branch and bound and writes every file, verify re-proves them, a tampered barrier is refused, and malformed neural
// files are one clear error with exit 2. (The inverted pendulum run is left to the CLI: ~12 s more.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Capture, CaptureUntil, cli } from './in-process-cli';
import { main } from './main';
import { PJ } from '@bilevel/control';
import { EXIT } from './exit-codes';
import { readNeuralCertificateFile } from './neural-certificate-file';


const root = mkdtempSync(join(tmpdir(), 'safe-control-neural-'));
const trained = join(root, 'train');
/** Sampled states per condition: enough to see a tampered bias, few enough to keep the suite short. */
const SAMPLES = '2000';
/** Iteration budget: the neural track certifies PJ from seed 0 in 24 steps (libs/control's slow test: 23 outer steps). */
const MAX_ITER = '40';
const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const pol = join(trained, 'policy.json');
const cer = join(trained, 'certificate.json');

test('train --track neural on PJ certifies by branch and bound and writes report, policy, neural certificate, picture', async () => {
  const r = await cli(['train', '--system', 'pj', '--track', 'neural', '--seed', '0', '--max-iter', MAX_ITER, '--samples', SAMPLES, '--trajectories', '5', '--out', trained, '--json']);
  assert.equal(r.code, EXIT.ok, r.stderr);
  assert.deepEqual(readdirSync(trained).sort(), ['certificate.json', 'phase.png', 'phase.svg', 'policy.json', 'report.json', 'train-config.json']);
  const report = json(join(trained, 'report.json'));
  assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').at(-1)!), report);
  assert.deepEqual([report.system, report.track, report.certified, report.outcome, report.baseline], ['pj', 'neural', true, 'certified', null]);
  assert.ok(report.iterations > 0 && report.iterations <= 40, `iterations ${report.iterations}`);
  assert.ok(report.seconds > 0 && report.verifications >= 1 && report.verifyBoxes >= report.verifier.boxes);
  assert.equal(report.verifier.status, 'verified');
  const sound = report.verifier.sound.conditions;
  assert.deepEqual(sound.map((c: { name: string; status: string }) => [c.name, c.status]), [['initial', 'verified'], ['unsafe', 'verified'], ['decrease', 'verified'], ['stay', 'verified']]);
  for (const c of sound) assert.ok(c.boxesProcessed >= 1 && c.boxesUnresolved === 0, c.name);
  assert.equal(sound.reduce((a: number, c: { boxesProcessed: number }) => a + c.boxesProcessed, 0), report.verifier.boxes);
  for (const c of report.verifier.conditions) assert.equal(c.violations, 0, `sampled ${c.name}`);
  assert.equal(report.trajectories.enteringUnsafe, 0);
  // the falsifications met on the way are counterexamples found and used, not violations of the certified result
  assert.equal(report.monitors.counts.violation, 0);
  assert.ok(report.monitors.counts.counterexample >= 1, JSON.stringify(report.monitors.counts));
  for (const f of report.monitors.findings.filter((x: { level: string }) => x.level === 'counterexample')) assert.match(f.message, /^verifyBarrier: counterexample found and used: \w+ fails at \[/);
  assert.match(report.property, /^no trajectory of the Euler closed loop .* ever reaches Xᵤ/);
  const policy = json(pol);
  assert.deepEqual([policy.kind, policy.theta], ['feature', report.theta]);
  const cert = json(cer);
  assert.deepEqual([cert.format, cert.version, cert.kind, cert.certificate, cert.sizes, cert.domain], ['safe-control.certificate', 1, 'neural', 'barrier', [2, 8, 1], { lo: [-3, -3], hi: [3, 3] }]);
  assert.deepEqual(cert.layers.map((l: { weights: number[]; bias: number[] }) => [l.weights.length, l.bias.length]), [[16, 8], [8, 1]]);
  assert.match(readFileSync(join(trained, 'phase.svg'), 'utf8'), /contour_marks/); // B = 0 drawn
  assert.deepEqual([...readFileSync(join(trained, 'phase.png')).subarray(1, 4)], [...Buffer.from('PNG')]);
  for (const line of r.stderr.trim().split('\n')) assert.doesNotThrow(() => JSON.parse(line), line);
});

test('verify re-proves the written neural certificate: exit 0, verdict.json with boxes per condition', async () => {
  const out = join(root, 'verdict');
  const r = await cli(['verify', '--system', 'pj', '--policy', pol, '--certificate', cer, '--samples', SAMPLES, '--out', out]);
  assert.equal(r.code, EXIT.ok, r.stderr);
  assert.match(r.stdout, /pj: CERTIFIED \(sound \(verifyBarrier, after 2000 sampled states per condition\): verified\)/);
  const v = json(join(out, 'verdict.json'));
  assert.deepEqual([v.kind, v.certified, v.status, v.violated, v.counterexample], ['neural', true, 'verified', null, null]);
  assert.deepEqual(v.sound.conditions.map((c: { status: string }) => c.status), ['verified', 'verified', 'verified', 'verified']);
  const sim = join(root, 'sim');
  const s = await cli(['simulate', '--system', 'pj', '--policy', pol, '--certificate', cer, '--trajectories', '3', '--out', sim, '--log-level', 'warn']);
  assert.equal(s.code, EXIT.ok, s.stderr);
  assert.match(readFileSync(join(sim, 'phase.svg'), 'utf8'), /contour_marks/);
});

/** Writes a modified copy of the written certificate. */
function variant(name: string, edit: (doc: Record<string, unknown>) => unknown): string {
  const path = join(root, name);
  const result = edit(json(cer));
  writeFileSync(path, typeof result === 'string' ? result : JSON.stringify(result));
  return path;
}
/** The certificate with its output bias raised by `delta` (B + delta: the initial condition B ≤ 0 breaks first). */
const raised = (name: string, delta: number) =>
  variant(name, (d) => {
    const layers = d.layers as { weights: number[]; bias: number[] }[];
    return { ...d, layers: [...layers.slice(0, -1), { ...layers.at(-1)!, bias: [layers.at(-1)!.bias[0] + delta] }] };
  });

test('a tampered neural certificate is refused: by the samples (B + 1) and by branch and bound alone (one sample)', async () => {
  const big = await cli(['verify', '--system', 'pj', '--policy', pol, '--certificate', raised('tampered.json', 1), '--samples', SAMPLES]);
  assert.equal(big.code, EXIT.notCertified, big.stderr);
  assert.match(big.stdout, /NOT CERTIFIED \(sampled: falsified\): initial condition violated at \[/);
  // a raise by 0.5 breaks B ≤ 0 on part of X₀; with one sample per condition the proof has to find it
  const out = join(root, 'verdict-small');
  const small = await cli(['verify', '--system', 'pj', '--policy', pol, '--certificate', raised('tampered-small.json', 0.5), '--samples', '1', '--seed', '3', '--out', out]);
  assert.equal(small.code, EXIT.notCertified, small.stderr);
  const v = json(join(out, 'verdict.json'));
  assert.equal(v.certified, false);
  assert.equal(v.violated, 'initial');
  assert.match(v.method, /^sound/, 'the single sample misses the violated part of X₀ (seed 3), so branch and bound must find it');
  assert.deepEqual([v.sound.certified, v.sound.conditions.length, v.sound.conditions[0].status], [false, 1, 'falsified']);
  const x = Float64Array.from(v.counterexample as number[]);
  const { barrier, psi } = readNeuralCertificateFile(join(root, 'tampered-small.json'), PJ);
  assert.ok(Math.hypot(x[0] - PJ.initial.centre[0], x[1] - PJ.initial.centre[1]) <= PJ.initial.radius + 1e-12, `counterexample ${x} outside X₀`);
  assert.ok(barrier.forward(psi, x) > 0, `B(${x}) = ${barrier.forward(psi, x)} does not violate B ≤ 0`);
});

test('bad neural files and options: one clear error, exit 2, nothing written', async () => {
  const sizes = variant('sizes.json', (d) => ({ ...d, sizes: [2, 9, 1] }));
  const wrongNx = variant('nx.json', (d) => ({ ...d, sizes: [3, 8, 1] }));
  const inf = variant('inf.json', (d) => JSON.stringify(d).replace(/"weights":\[[-\d.e]+/, '"weights":[1e999'));
  const kind = variant('kind.json', (d) => ({ ...d, kind: 'quadratic' }));
  const system = variant('system.json', (d) => ({ ...d, system: 'inverted-pendulum' }));
  const domain = variant('domain.json', (d) => ({ ...d, domain: { lo: [-1, -1], hi: [1, 1] } }));
  const cells = variant('cells.json', (d) => ({ ...d, verification: { maxBoxes: 20000, cells: 0 } }));
  const mlp = join(root, 'mlp.json');
  writeFileSync(mlp, JSON.stringify({ format: 'safe-control.policy', version: 1, system: 'pj', kind: 'mlp', nx: 2, nu: 1, sizes: [2, 8, 2], activation: 'tanh', squash: 15, theta: [] }));
  const cases: Array<[string, string[], RegExp]> = [
    ['wrong layer sizes', ['--certificate', sizes], /sizes.json: layers\[0\].weights must hold 18 numbers, received 16/],
    ['wrong input size', ['--certificate', wrongNx], /nx.json: sizes must be \[2, hidden widths/],
    ['non-finite weight', ['--certificate', inf], /inf.json: layers\[0\].weights\[0\] must be a finite number, received Infinity/],
    ['wrong kind', ['--certificate', kind], /kind.json: kind must be 'polynomial' \(or 'neural'/],
    ['wrong system', ['--certificate', system], /system.json: was written for system "inverted-pendulum", not 'pj'/],
    ['domain not the system one', ['--certificate', domain], /domain.json: domain is \{"lo":\[-1,-1\],"hi":\[1,1\]\} in the file, but the system 'pj' defines \{"lo":\[-3,-3\],"hi":\[3,3\]\}/],
    ['budget not the verifier one', ['--certificate', cells], /cells.json: verification.cells is 0 in the file, but the verifier \(its own budget\) defines 12/],
    ['mlp policy sizes', ['--policy', mlp, '--certificate', cer], /mlp.json: sizes must be \[2, hidden widths .*, 1\], received \[2,8,2\]/],
  ];
  for (const [name, args, message] of cases) {
    const out = join(root, `bad-${name.replace(/\W+/g, '-')}`);
    const r = await cli(['verify', '--system', 'pj', ...(args[0] === '--policy' ? [] : ['--policy', pol]), ...args, '--out', out]);
    assert.equal(r.code, EXIT.badInput, `${name}: exit ${r.code}, stderr ${r.stderr}`);
    assert.match(r.stderr, message, name);
    assert.ok(!existsSync(out), `${name}: ${out} was created`);
    assert.equal(r.stdout, '', name);
  }
});

test('Ctrl-C stops a neural run on the inverted pendulum after the current step, saves the MLP policy, exit 130', async () => {
  const out = join(root, 'interrupted');
  const stdout = new Capture();
  // the signal comes when the log says the first step is done (an event, not a delay)
  const stderr = new CaptureUntil(/"iteration":1,[^\n]*"msg":"iteration"/, () => process.emit('SIGINT', 'SIGINT'));
  const running = main(['train', '--system', 'inverted-pendulum', '--track', 'neural', '--samples', '500', '--trajectories', '3', '--out', out, '--log-level', 'debug'], { stdout, stderr, tty: false });
  const code = await running;
  assert.equal(code, EXIT.interrupted, stderr.text);
  const report = json(join(out, 'report.json'));
  assert.deepEqual([report.outcome, report.certified, report.track, report.policy], ['interrupted', false, 'neural', 'mlp']);
  assert.ok(report.iterations < 60, `iterations ${report.iterations}`);
  const policy = json(join(out, 'policy.json'));
  assert.deepEqual([policy.kind, policy.sizes, policy.squash], ['mlp', [2, 8, 1], 15]);
  assert.equal(json(join(out, 'certificate.json')).kind, 'neural');
});
