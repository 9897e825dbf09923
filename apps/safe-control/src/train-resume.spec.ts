// Checkpoints and --resume of `safe-control train` (issue 8): a training stopped by its budget or by Ctrl-C and
// resumed ends with the bits of the uninterrupted one (poly track through the LP's warm starts, neural track through
// Adam and the counterexample set); a corrupt checkpoint, a missing one and changed options are refused with exit 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Capture, cli } from './in-process-cli';
import { main } from './main';
import { EXIT } from './exit-codes';
import { TRAIN_FILES } from './train-checkpoint';

const root = mkdtempSync(join(tmpdir(), 'safe-control-resume-'));
const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
/** A JSON tree without its `seconds` fields (wall time differs between runs; nothing else may). */
const withoutTimes = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(withoutTimes) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'seconds').map(([k, x]) => [k, withoutTimes(x)])) : v;
/** A cheap sampled verifier: the verdicts are part of the trajectory (they stop it), their cost is not the point. */
const POLY = ['--system', 'pj', '--samples', '2000', '--trajectories', '3', '--log-level', 'warn'];
/** jointTraining certifies PJ at iteration 31 with seed 0 (main.spec.ts): the full run and the reference. */
const full = join(root, 'poly-full');

test('poly track: stopped at --max-iter 12, resumed to the end, θ and c* equal the uninterrupted run to the bit', async () => {
  const a = await cli(['train', ...POLY, '--out', full]);
  assert.equal(a.code, EXIT.ok, a.stderr);
  const part = join(root, 'poly-part');
  const b = await cli(['train', ...POLY, '--out', part, '--max-iter', '12']);
  assert.equal(b.code, EXIT.notCertified, b.stderr);
  assert.match(b.stdout, /checkpoint at iteration 12: continue with safe-control train --resume /);
  assert.ok(existsSync(join(part, TRAIN_FILES.config)) && existsSync(join(part, TRAIN_FILES.checkpoint)));
  const c = await cli(['train', '--resume', part, '--max-iter', '200', '--log-level', 'warn']);
  assert.equal(c.code, EXIT.ok, c.stderr);
  const ref = json(join(full, 'report.json'));
  const got = json(join(part, 'report.json'));
  assert.equal(got.iterations, ref.iterations);
  assert.deepEqual(got.theta, ref.theta, 'θ to the bit (JSON numbers round-trip doubles exactly)');
  assert.equal(got.cStar, ref.cStar);
  assert.deepEqual(got.resumedFrom.iteration, 12);
  // the verifier's verdicts reach report.json in the monitors' format, once each across the resume
  assert.equal(ref.monitors.findings.at(-1).monitor, 'certificate-verifier');
  assert.equal(ref.monitors.findings.at(-1).level, 'info');
  assert.deepEqual(got.monitors, ref.monitors);
  assert.match(a.stdout, /certificate-verifier\s+info\s+1\s+it 31: sound/);
  assert.deepEqual(json(join(part, 'certificate.json')).terms, json(join(full, 'certificate.json')).terms);
});

test('poly track: Ctrl-C writes a checkpoint and exits 130; --resume finishes with the uninterrupted bits', async () => {
  const out = join(root, 'poly-sigint');
  const stdout = new Capture();
  // JSON debug logs: interrupt once the 6th iteration is logged, whatever the machine's speed
  let sent = false;
  const stderr = new (class extends Capture {
    override _write(chunk: Buffer, enc: string, cb: () => void) {
      const m = /"iteration":(\d+)[^\n]*"msg":"iteration"/.exec(chunk.toString());
      if (!sent && m && Number(m[1]) >= 6) {
        sent = true;
        setImmediate(() => process.emit('SIGINT', 'SIGINT'));
      }
      super._write(chunk, enc, cb);
    }
  })();
  const code = await main(['train', ...POLY.slice(0, -2), '--log-level', 'debug', '--json', '--out', out], { stdout, stderr, tty: false });
  assert.equal(code, EXIT.interrupted, stderr.text.slice(-2000));
  const report = json(join(out, 'report.json'));
  assert.equal(report.outcome, 'interrupted');
  assert.ok(report.checkpoint.iteration >= 6 && report.checkpoint.iteration < 31, `checkpoint at ${report.checkpoint.iteration}`);
  const r = await cli(['train', '--resume', out, '--log-level', 'warn']);
  assert.equal(r.code, EXIT.ok, r.stderr);
  assert.deepEqual(json(join(out, 'report.json')).theta, json(join(full, 'report.json')).theta);
});

test('neural track: 2 steps + resume to 4 equal 4 uninterrupted steps (θ, ψ, verdict) to the bit', async () => {
  const args = ['--system', 'pj', '--track', 'neural', '--samples', '500', '--trajectories', '2', '--log-level', 'warn'];
  const a = join(root, 'neural-full');
  const b = join(root, 'neural-part');
  assert.equal((await cli(['train', ...args, '--out', a, '--max-iter', '4'])).code, EXIT.notCertified);
  assert.equal((await cli(['train', ...args, '--out', b, '--max-iter', '2'])).code, EXIT.notCertified);
  const r = await cli(['train', '--resume', b, '--max-iter', '4', '--log-level', 'warn']);
  assert.equal(r.code, EXIT.notCertified, r.stderr);
  const ra = json(join(a, 'report.json'));
  const rb = json(join(b, 'report.json'));
  assert.equal(rb.iterations, 4);
  assert.deepEqual(rb.theta, ra.theta);
  assert.deepEqual(withoutTimes(rb.verifier), withoutTimes(ra.verifier), 'the same verdict (timings aside)');
  assert.deepEqual(json(join(b, 'certificate.json')), json(join(a, 'certificate.json')), 'ψ to the bit');
});

test('resume refuses a corrupt checkpoint, a folder without one, and changed options (exit 2, one line)', async () => {
  const part = join(root, 'poly-corrupt');
  assert.equal((await cli(['train', ...POLY, '--out', part, '--max-iter', '2'])).code, EXIT.notCertified);
  const ckpt = join(part, TRAIN_FILES.checkpoint);
  const good = readFileSync(ckpt);
  const bad = Buffer.from(good);
  bad[bad.length >> 1] ^= 0x40;
  writeFileSync(ckpt, bad);
  rmSync(`${ckpt}.prev`, { force: true });
  const r = await cli(['train', '--resume', part]);
  assert.equal(r.code, EXIT.badInput);
  assert.match(r.stderr, /^safe-control: error: .*checkpoint\.bin: no usable checkpoint: .*checksum/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  // the defect is not repaired nor overwritten by the refused run
  assert.deepEqual(readFileSync(ckpt), bad);

  const empty = join(root, 'no-checkpoint');
  assert.equal((await cli(['train', ...POLY, '--out', empty, '--max-iter', '0', '--checkpoint-every', '0'])).code, EXIT.notCertified);
  rmSync(join(empty, TRAIN_FILES.checkpoint), { force: true });
  const n = await cli(['train', '--resume', empty]);
  assert.equal(n.code, EXIT.badInput);
  assert.match(n.stderr, /no checkpoint to resume from/);

  const o = await cli(['train', '--resume', part, '--seed', '3']);
  assert.equal(o.code, EXIT.badInput);
  assert.match(o.stderr, /^safe-control: error: --resume: a resumed training keeps its saved options; remove --seed\n$/);
  const m = await cli(['train', '--max-iter', '3']);
  assert.equal(m.code, EXIT.badInput);
  assert.match(m.stderr, /--system/);
});
