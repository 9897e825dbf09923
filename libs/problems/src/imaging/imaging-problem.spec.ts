import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nrm2, Rng } from '@bilevel/linalg';
import { InputError } from '@bilevel/io';
import { bundledImagePaths } from './bundled-images';
import { encodeGrayPng } from './encode-gray-png';
import { imagingProblem } from './imaging-problem';
import type { ImagingProblem } from './imaging-problem';

/** Central differences, h = 1e-6, on O(1) quantities: agreement to ~1e-9 relative; 1e-6 leaves room. */
const FD_TOL = 1e-6;

/**
 * Small problems: 16×16 patches, one per bundled training image (6 samples), no held-out set; deblurring with a
 * ridge of 1e-2 (condition number ~3e3 instead of ~3e4 at the default 1e-3, so exact solves stay fast).
 */
const small = (task: 'denoise' | 'deblur', regularizer: 'tv' | 'foe') =>
  imagingProblem({ task, regularizer, patchSize: 16, patchesPerImage: 1, heldOut: [], ...(regularizer === 'foe' ? { filters: 3 } : {}), ...(task === 'deblur' ? { ridge: 1e-2 } : {}) });

function perturbed(problem: ImagingProblem, seed: number) {
  const rng = Rng.fromSeed(seed);
  const x = problem.startingPoint();
  if (problem.regularizer.name === 'tv') x.set([-2, -4]);
  for (let i = 0; i < x.length; i++) x[i] += 0.2 * rng.normal();
  const z = Float64Array.from(problem.train.observed, (e) => e + 0.05 * rng.normal());
  const v = rng.normals(new Float64Array(problem.dimZ));
  return { x, z, v };
}

const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, e, i) => s + e * b[i], 0);
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-10, Math.abs(a), Math.abs(b));

test('imaging oracles: batch means of per-image kernels that agree with central differences (denoise/deblur × tv/foe)', () => {
  for (const [task, reg] of [['denoise', 'tv'], ['deblur', 'tv'], ['denoise', 'foe'], ['deblur', 'foe']] as const) {
    const problem = small(task, reg);
    const { x, z, v } = perturbed(problem, 1);
    const batch = Int32Array.of(4, 0, 2);
    const n = problem.dimZ;
    const h = 1e-6;
    const at = (s: number) => Float64Array.from(z, (e, i) => e + s * h * v[i]);
    const g = new Float64Array(n);
    problem.innerGradZ(z, x, batch, g);
    assert.ok(rel(dot(g, v), (problem.innerValue(at(1), x, batch) - problem.innerValue(at(-1), x, batch)) / (2 * h)) < FD_TOL, `${task}/${reg}: ∇_z g`);
    const hv = new Float64Array(n);
    const gp = new Float64Array(n);
    const gm = new Float64Array(n);
    problem.innerHvp(z, x, v, batch, hv);
    problem.innerGradZ(at(1), x, batch, gp);
    problem.innerGradZ(at(-1), x, batch, gm);
    const fdH = gp.map((e, i) => (e - gm[i]) / (2 * h));
    assert.ok(nrm2(hv.map((e, i) => e - fdH[i])) < FD_TOL * nrm2(hv), `${task}/${reg}: HVP`);
    problem.outerGradZ(z, x, batch, g);
    assert.ok(rel(dot(g, v), (problem.outerValue(at(1), x, batch) - problem.outerValue(at(-1), x, batch)) / (2 * h)) < FD_TOL, `${task}/${reg}: ∇_z f`);
    problem.outerHvp(z, x, v, batch, hv);
    assert.ok(nrm2(hv.map((e, i) => e - (2 / 3) * (batch.includes(Math.floor(i / problem.P)) ? v[i] : 0))) === 0, 'outer HVP = (2/|B|)v on the batch');
    const cross = new Float64Array(problem.dimX);
    const gx = new Float64Array(problem.dimX);
    problem.innerCross(z, x, v, batch, cross);
    problem.innerGradX(z, x, batch, gx);
    for (const k of [0, 1, problem.dimX - 1]) {
      const xp = Float64Array.from(x);
      const xm = Float64Array.from(x);
      xp[k] += h;
      xm[k] -= h;
      problem.innerGradZ(z, xp, batch, gp);
      problem.innerGradZ(z, xm, batch, gm);
      assert.ok(rel(cross[k], dot(gp.map((e, i) => (e - gm[i]) / (2 * h)), v)) < FD_TOL, `${task}/${reg}: cross ${k}`);
      assert.ok(rel(gx[k], (problem.innerValue(z, xp, batch) - problem.innerValue(z, xm, batch)) / (2 * h)) < FD_TOL, `${task}/${reg}: ∇_x g ${k}`);
    }
    problem.outerGradX(z, x, batch, gx);
    assert.ok(gx.every((e) => e === 0));
  }
});

test('imaging oracles separate over images: a batch touches only its blocks, and is the mean of its single-image oracles', () => {
  const problem = small('denoise', 'tv');
  const { x, z, v } = perturbed(problem, 2);
  const P = problem.P;
  const mean = new Float64Array(problem.dimZ);
  const one = new Float64Array(problem.dimZ);
  const batch = Int32Array.of(1, 5);
  for (const oracle of ['innerGradZ', 'outerGradZ'] as const) {
    problem[oracle](z, x, batch, mean);
    for (let i = 0; i < problem.dimZ; i++) if (![1, 5].includes(Math.floor(i / P))) assert.equal(mean[i], 0);
    const sum = new Float64Array(problem.dimZ);
    for (const j of batch) {
      problem[oracle](z, x, Int32Array.of(j), one);
      for (let i = 0; i < one.length; i++) sum[i] += one[i] / 2;
    }
    assert.ok(nrm2(sum.map((e, i) => e - mean[i])) < 1e-15 * (1 + nrm2(mean)), oracle);
  }
  const hv = new Float64Array(problem.dimZ);
  const vOut = Float64Array.from(v, (e, i) => ([1, 5].includes(Math.floor(i / P)) ? e : 1e6)); // other blocks are never read
  problem.innerHvp(z, x, v, batch, mean);
  problem.innerHvp(z, x, vOut, batch, hv);
  assert.deepEqual(hv, mean);
});

test('imaging evaluation: solveInner to ‖∇G‖ ≤ 1e-10, hypergradient = central differences of h, constants bound the Hessian', () => {
  for (const [task, reg] of [['denoise', 'tv'], ['deblur', 'tv'], ['denoise', 'foe']] as const) {
    const problem = small(task, reg);
    const x = perturbed(problem, 3).x;
    const hg = problem.hypergradient(x);
    assert.ok(hg.innerGradNorm <= 1e-10, `${task}/${reg}: ‖∇G‖ = ${hg.innerGradNorm}`);
    assert.equal(problem.solveInner(x, { z0: hg.z }).iterations, 0);
    const h = 1e-4;
    for (const k of [0, problem.dimX - 1]) {
      const xp = Float64Array.from(x);
      const xm = Float64Array.from(x);
      xp[k] += h;
      xm[k] -= h;
      const value = (xx: Float64Array) => problem.hypergradient(xx, { z0: hg.z, tol: 1e-13 }).value;
      const fd = (value(xp) - value(xm)) / (2 * h);
      // truncation ~h²|h'''|/6 ≈ 1e-9; an inner solve to ‖∇G‖ ≤ 1e-13 is within n·1e-13 of z*: ~1e-8 on the quotient
      assert.ok(rel(hg.grad[k], fd) < 1e-6, `${task}/${reg}: ∂h/∂x_${k} = ${hg.grad[k]} vs ${fd}`);
    }
    // v* solves ∇²G v = −∇_z F
    const hv = new Float64Array(problem.dimZ);
    const b = new Float64Array(problem.dimZ);
    problem.innerHvp(hg.z, x, hg.v, problem.fullInner, hv);
    problem.outerGradZ(hg.z, x, problem.fullOuter, b);
    assert.ok(nrm2(hv.map((e, i) => e + b[i])) <= 1e-10 * nrm2(b));
    // L bounds the largest eigenvalue of ∇²G (power iteration), μ the smallest (μ·‖u‖² ≤ uᵀ∇²G u for random u)
    const { L, mu } = problem.innerConstants(x);
    let u = Rng.fromSeed(9).normals(new Float64Array(problem.dimZ));
    let lambda = 0;
    for (let it = 0; it < 100; it++) {
      problem.innerHvp(hg.z, x, u, problem.fullInner, hv);
      lambda = nrm2(hv) / nrm2(u);
      u = hv.map((e) => e / lambda);
      assert.ok(dot(u, hv) / dot(u, u) >= mu * (1 - 1e-12));
    }
    assert.ok(lambda <= L, `${task}/${reg}: λ_max ${lambda} > L ${L}`);
  }
});

test('imaging defaults: 54 bundled 32×32 training patches, 6 held-out 96×96 images, σ = 0.1 (≈ 20 dB), TV from (−5, −5)', () => {
  const problem = imagingProblem();
  assert.deepEqual([problem.name, problem.nInner, problem.nOuter, problem.dimZ, problem.dimX], ['denoise', 54, 54, 54 * 1024, 2]);
  assert.deepEqual([problem.heldOut?.count, problem.heldOut?.width], [6, 96]);
  assert.deepEqual(Array.from(problem.startingPoint()), [-5, -5]);
  // E[MSE] = σ² = 0.01 → 20 dB; 55k draws put the measured value within ±0.05 dB
  assert.ok(Math.abs(Number(problem.info.psnrTrainObserved) - 20) < 0.05, String(problem.info.psnrTrainObserved));
  assert.equal(problem.metrics(problem.startingPoint(), problem.train.observed).psnrTrain, problem.trainPsnr(problem.train.observed));
  // the seed fixes the noise
  assert.deepEqual(imagingProblem({ seed: 0, patchSize: 48 }).train.observed.subarray(0, 10), imagingProblem({ seed: 0, patchSize: 48 }).train.observed.subarray(0, 10));
  assert.notDeepEqual(imagingProblem({ seed: 1, patchSize: 48 }).train.observed.subarray(0, 10), imagingProblem({ seed: 0, patchSize: 48 }).train.observed.subarray(0, 10));
  assert.equal(imagingProblem({ task: 'deblur', regularizer: 'foe', patchSize: 48 }).dimX, 8 * 25 + 8 + 1);
});

test('imaging metrics: held-out PSNR at θ rises from the noisy level for a reasonable TV weight', () => {
  const problem = imagingProblem({ patchSize: 48, patchesPerImage: 1, heldOut: bundledImagePaths('heldout').slice(0, 2) });
  const noisy = Number(problem.info.psnrHeldOutObserved);
  const m = problem.metrics(Float64Array.of(-2, -5), problem.solveInner(Float64Array.of(-2, -5), { tol: 1e-8 }).z);
  // the grid search of the benchmark puts the best held-out PSNR near (−2, −5…−7): ≥ 5 dB above the noisy input
  assert.ok(m.psnrHeldOut > noisy + 5 && m.psnrTrain > Number(problem.info.psnrTrainObserved) + 5, JSON.stringify({ noisy, ...m }));
});

test('imagingProblem: options and files are validated up front with located InputErrors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'imaging-'));
  try {
    const bad: [object, RegExp][] = [
      [{ task: 'inpaint' }, /imagingProblem: task must be "denoise" or "deblur", received "inpaint"/],
      [{ regularizer: 'tgv' }, /imagingProblem: regularizer must be "tv" or "foe", received "tgv"/],
      [{ filters: 4 }, /imagingProblem: filters and filterSize apply to the Field of Experts/],
      [{ sigma: -0.1 }, /imagingProblem: sigma must be a non-negative number, received -0.1/],
      [{ task: 'deblur', ridge: 0 }, /imagingProblem: the gaussian-blur operator is not injective/],
      [{ train: [join(dir, 'none.png')] }, /none\.png: cannot read data file \(no such file\)/],
      [{ train: [dir] }, /: the folder holds no \.png, \.jpg or \.jpeg file/],
      [{ train: [] }, /train: no image given/],
      [{ patchSize: 200 }, /camera-train\.png: image of 96×96 is smaller than one 200×200 patch/],
    ];
    for (const [options, message] of bad) assert.throws(() => imagingProblem(options), (err: unknown) => err instanceof InputError && message.test(err.message), JSON.stringify(options));
    // a folder of images is read in name order
    writeFileSync(join(dir, 'b.png'), encodeGrayPng(20, 20, new Float64Array(400).fill(0.25)));
    writeFileSync(join(dir, 'a.png'), encodeGrayPng(20, 20, new Float64Array(400).fill(0.75)));
    writeFileSync(join(dir, 'notes.txt'), 'not an image');
    const p = imagingProblem({ train: [dir], heldOut: [], patchSize: 0, sigma: 0 });
    assert.deepEqual([p.nInner, p.train.clean[0], p.train.clean[400]], [2, 191 / 255, 64 / 255]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
