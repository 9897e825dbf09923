#!/usr/bin/env python3
"""SABA in plain numpy: the peer implementation that `npm run bench -- peer` (tools/bench/peer.ts) times against ours.

SABA, the Stochastic Average Bilevel Algorithm (Dagreou, Ablin, Vaiter, Moreau, "A framework for bilevel
optimization that enables stochastic and global variance reduction algorithms", NeurIPS 2022), written the
straightforward way: a plain Python loop over iterations, each oracle one vectorized numpy expression, no numba, no
compiled extension. It mirrors libs/solvers/src/saba.ts under the jacobi schedule (libs/streams/src/run-loop.ts):
every iteration the three updates read iterate t of (z, v, x):

    D_z = SAGA[grad_z g_j]                         z <- z - rho D_z
    D_v = SAGA[hess_zz g_j v] + SAGA[grad_z f_i]   v <- v - rho D_v
    D_x = SAGA[hess_xz g_j v] + SAGA[grad_x f_i]   x <- x - gamma D_x

Each SAGA memory keeps one row per minibatch block (SagaMemory: d = q - m_j + mean, mean += w_j (q - m_j),
m_j <- q, w_j = |block j| / n, rows start at zero). Blocks are contiguous pieces of a seeded permutation of the
samples, ceil(n / b) blocks whose sizes differ by at most one, visited once per epoch in an order drawn afresh each
epoch (libs/linalg/src/block-sampler.ts); each of the five quantities has its own sampler. With one outer weight per
training sample (data cleaning) the cross term of block j lives on block j's coordinates, so its memory keeps one
number per sample (BlockSparseSagaMemory; the same iterates as the dense table), and grad_x F = 0 is skipped, as
saba.ts does.

Problems (the matrices come from TypeScript, already standardized, see tools/bench/peer/export-problem.ts):
  logreg-hpo    G(z, x) = (1/n) sum log(1 + exp(-y_j a_j.z)) + 1/2 sum_k e^{x_k} z_k^2,   F(z) = same loss on B
  datacleaning  G(z, x) = (1/n) sum sigma(x_i) CE(z^T a_i, y_i) + C ||z||^2,                 F(z) = (1/m) sum CE(z^T b_j, y_j)
with z stored pixel-major (z[p*10 + c]) for data cleaning, as in libs/problems/src/data-cleaning.ts.

Input: a folder with header.json and raw little-endian float64 / int32 files (read with numpy.fromfile).
Output: on stdout, JSON lines: first {"versions": ...}, then one {"iter", "seconds", "cpuSeconds", ["x"]} per
checkpoint (iteration 0 and every --every iterations; "seconds" is the solver's wall time and "cpuSeconds" the
process CPU time spent in it, both excluding this I/O; "x" inline when it has at most 64 entries), last
{"peakRssMB"} (the process's peak resident memory); x, z, v of every checkpoint are appended as float64 to --out,
in that order. saba_numba.py reuses the samplers, the loaders and this output.
With --replay DIR the samplers take their sample order and block sequence from DIR (written by TypeScript from our
own samplers), so both implementations see the same minibatches and their iterates can be compared closely.
"""

import argparse
import json
import os
import platform
import resource
import sys
import time

import numpy as np

SAMPLERS = ("inner", "hvp", "outerZ", "cross", "outerX")


def sigmoid(t):
    """sigma(t) = 1 / (1 + e^-t), stable for every finite t."""
    return np.exp(-np.logaddexp(0.0, -t))


class BlockSampler:
    """Minibatches as contiguous blocks of a shuffled sample order; a fresh block order every epoch."""

    def __init__(self, n, batch, rng, order=None, sequence=None):
        b = min(batch, n)
        nb = -(-n // b)
        self.order = rng.permutation(n) if order is None else order.astype(np.intp)
        base, extra = divmod(n, nb)
        sizes = base + (np.arange(nb) < extra)
        starts = np.concatenate(([0], np.cumsum(sizes)))
        self.blocks = [self.order[starts[j]:starts[j + 1]] for j in range(nb)]
        self.weights = sizes / n
        self.n_blocks = nb
        self.rng = rng
        self.sequence = sequence
        self.t = 0
        self.block_order = rng.permutation(nb)

    def next(self):
        if self.sequence is not None:
            j = int(self.sequence[self.t])
        else:
            j = int(self.block_order[self.t % self.n_blocks])
            if (self.t + 1) % self.n_blocks == 0:
                self.block_order = self.rng.permutation(self.n_blocks)
        self.t += 1
        return j, self.blocks[j]


class SagaMemory:
    """One row per block: d = q - m_j + mean, then mean += w_j (q - m_j), m_j <- q."""

    def __init__(self, weights, dim):
        self.w = weights
        self.rows = np.zeros((len(weights), dim))
        self.mean = np.zeros(dim)

    def direction(self, j, q):
        diff = q - self.rows[j]
        d = diff + self.mean
        self.mean += self.w[j] * diff
        self.rows[j] = q
        return d


class BlockSparseSagaMemory:
    """The cross term of a per-sample weight: block j's row is zero off its own coordinates, so one number each."""

    def __init__(self, weights, dim):
        self.w = weights
        self.values = np.zeros(dim)
        self.mean = np.zeros(dim)

    def direction(self, j, idx, q):
        diff = q - self.values[idx]
        d = diff + self.mean[idx]
        self.mean[idx] += self.w[j] * diff
        self.values[idx] = q
        return d


class LogregHpo:
    """L2 selection for binary logistic regression, scalar (one e^x) or per-feature weights."""

    sparse_cross = False

    def __init__(self, h, folder):
        n, m, d = h["n"], h["m"], h["d"]
        self.A = read(folder, "A", np.float64, (n, d))
        self.yA = read(folder, "yA", np.float64, (n,))
        self.B = read(folder, "B", np.float64, (m, d))
        self.yB = read(folder, "yB", np.float64, (m,))
        self.scalar = h["reg"] == "scalar"
        self.n, self.m, self.dim_z, self.dim_x = n, m, d, h["dimX"]

    def _loss_grad(self, M, y, z, idx):
        Mb = M[idx]
        yb = y[idx]
        w = -yb * sigmoid(-yb * (Mb @ z)) / len(idx)
        return Mb.T @ w

    def inner_grad_z(self, z, x, idx):
        return self._loss_grad(self.A, self.yA, z, idx) + np.exp(x) * z

    def inner_hvp(self, z, x, v, idx):
        Ab = self.A[idx]
        t = Ab @ z
        w = sigmoid(t) * sigmoid(-t) * (Ab @ v) / len(idx)
        return Ab.T @ w + np.exp(x) * v

    def inner_cross(self, z, x, v, idx):
        zv = z * v
        return np.exp(x) * zv.sum() if self.scalar else np.exp(x) * zv

    def outer_grad_z(self, z, x, idx):
        return self._loss_grad(self.B, self.yB, z, idx)

    def outer_grad_x(self, z, x, idx):
        return np.zeros(self.dim_x)


class DataCleaning:
    """Data hyper-cleaning: a linear 10-class softmax model, one weight sigma(x_i) per training sample."""

    sparse_cross = True

    def __init__(self, h, folder):
        n, m, d = h["n"], h["m"], h["d"]
        self.K = h["classes"]
        self.A = read(folder, "A", np.float64, (n, d))
        self.yA = read(folder, "yA", np.int32, (n,))
        self.B = read(folder, "B", np.float64, (m, d))
        self.yB = read(folder, "yB", np.int32, (m,))
        self.C = h["C"]
        self.n, self.m, self.d = n, m, d
        self.dim_z, self.dim_x = d * self.K, n

    @staticmethod
    def _softmax(T):
        E = np.exp(T - T.max(axis=1, keepdims=True))
        return E / E.sum(axis=1, keepdims=True)

    def inner_grad_z(self, z, x, idx):
        Ab = self.A[idx]
        Z = z.reshape(self.d, self.K)
        P = self._softmax(Ab @ Z)
        P[np.arange(len(idx)), self.yA[idx]] -= 1.0
        W = sigmoid(x[idx])[:, None] * P
        return (Ab.T @ W / len(idx) + 2.0 * self.C * Z).ravel()

    def inner_hvp(self, z, x, v, idx):
        Ab = self.A[idx]
        P = self._softmax(Ab @ z.reshape(self.d, self.K))
        V = v.reshape(self.d, self.K)
        PU = P * (Ab @ V)
        S = PU - P * PU.sum(axis=1, keepdims=True)
        W = (sigmoid(x[idx]) / len(idx))[:, None] * S
        return (Ab.T @ W + 2.0 * self.C * V).ravel()

    def inner_cross_on_batch(self, z, x, v, idx):
        Ab = self.A[idx]
        P = self._softmax(Ab @ z.reshape(self.d, self.K))
        U = Ab @ v.reshape(self.d, self.K)
        s = (P * U).sum(axis=1) - U[np.arange(len(idx)), self.yA[idx]]
        sg = sigmoid(x[idx])
        return sg * (1.0 - sg) / len(idx) * s

    def outer_grad_z(self, z, x, idx):
        Bb = self.B[idx]
        P = self._softmax(Bb @ z.reshape(self.d, self.K))
        P[np.arange(len(idx)), self.yB[idx]] -= 1.0
        return (Bb.T @ P / len(idx)).ravel()


def read(folder, name, dtype, shape):
    a = np.fromfile(os.path.join(folder, name + ".bin"), dtype=np.dtype(dtype).newbyteorder("<"))
    if a.size != int(np.prod(shape)):
        raise SystemExit(f"saba_numpy: {name}.bin holds {a.size} values, expected {shape}")
    return a.reshape(shape).astype(dtype, copy=False)


class Saba:
    """The three SABA updates over explicit state; step() advances (z, v, x) by one jacobi iteration."""

    def __init__(self, p, batch, rho, gamma, seed, replay=None):
        # = default_rng(seed).spawn(5) of numpy >= 1.25, spelled so that older numpy (Debian's, numba's) runs it too
        rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(SAMPLERS))]
        sizes = {"inner": p.n, "hvp": p.n, "outerZ": p.m, "cross": p.n, "outerX": p.m}

        def sampler(k, name):
            if replay is None:
                return BlockSampler(sizes[name], batch, rngs[k])
            order = np.fromfile(os.path.join(replay, name + ".order.bin"), dtype="<i4")
            seq = np.fromfile(os.path.join(replay, name + ".sequence.bin"), dtype="<i4")
            return BlockSampler(sizes[name], batch, rngs[k], order, seq)

        self.s = {name: sampler(k, name) for k, name in enumerate(SAMPLERS)}
        dz, dx = p.dim_z, p.dim_x
        self.m_grad = SagaMemory(self.s["inner"].weights, dz)
        self.m_hvp = SagaMemory(self.s["hvp"].weights, dz)
        self.m_outer_z = SagaMemory(self.s["outerZ"].weights, dz)
        if p.sparse_cross:
            self.m_cross = BlockSparseSagaMemory(self.s["cross"].weights, dx)
        else:
            self.m_cross = SagaMemory(self.s["cross"].weights, dx)
            self.m_outer_x = SagaMemory(self.s["outerX"].weights, dx)
        self.p, self.rho, self.gamma = p, rho, gamma
        self.z, self.v, self.x = np.zeros(dz), np.zeros(dz), np.zeros(dx)

    def step(self):
        p, s, rho, gamma = self.p, self.s, self.rho, self.gamma
        z, v, x = self.z, self.v, self.x
        # inner: z_{t+1} = z_t - rho SAGA[grad_z g_j](z_t, x_t)
        j, idx = s["inner"].next()
        z_new = z - rho * self.m_grad.direction(j, p.inner_grad_z(z, x, idx))
        # linear system: v_{t+1} = v_t - rho (SAGA[hess_zz g_j v_t] + SAGA[grad_z f_i])
        j, idx = s["hvp"].next()
        dh = self.m_hvp.direction(j, p.inner_hvp(z, x, v, idx))
        i, idx_o = s["outerZ"].next()
        v_new = v - rho * (dh + self.m_outer_z.direction(i, p.outer_grad_z(z, x, idx_o)))
        # outer: x_{t+1} = x_t - gamma (SAGA[hess_xz g_j v_t] + SAGA[grad_x f_i])
        j, idx = s["cross"].next()
        if p.sparse_cross:
            d = self.m_cross.direction(j, idx, p.inner_cross_on_batch(z, x, v, idx))
            x_new = x - gamma * self.m_cross.mean
            x_new[idx] = x[idx] - gamma * d
        else:
            dc = self.m_cross.direction(j, p.inner_cross(z, x, v, idx))
            i, idx_o = s["outerX"].next()
            x_new = x - gamma * (dc + self.m_outer_x.direction(i, p.outer_grad_x(z, x, idx_o)))
        self.z, self.v, self.x = z_new, v_new, x_new


def parse_args(description):
    """The command line shared by both peers (this file and saba_numba.py)."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--data", required=True, help="folder with header.json and the raw matrices")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--max-iter", type=int, required=True)
    ap.add_argument("--every", type=int, required=True, help="checkpoint every this many iterations")
    ap.add_argument("--out", required=True, help="file the checkpoints' x, z, v are written to (float64)")
    ap.add_argument("--replay", default=None, help="folder with the samplers' orders and block sequences")
    a = ap.parse_args()
    if a.max_iter < 0 or a.every < 1:
        raise SystemExit(f"saba peer: --max-iter must be >= 0 and --every >= 1, received {a.max_iter}, {a.every}")
    return a


def load_problem(h, folder):
    problems = {"logreg-hpo": LogregHpo, "datacleaning": DataCleaning}
    if h["problem"] not in problems:
        raise SystemExit(f"saba peer: problem {h['problem']!r} is not one of {sorted(problems)}")
    return problems[h["problem"]](h, folder)


def peak_rss_mb():
    """Peak resident memory of this process so far, MB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def checkpoint_loop(solver, a, advance):
    """Runs `advance(k)` (k iterations of the solver) up to --max-iter, with a checkpoint at 0 and every --every
    iterations: its x, z, v appended to --out, a JSON line with the iteration, the solver's wall seconds and process
    CPU seconds so far (this I/O excluded). Last line: the peak resident memory."""
    with open(a.out, "wb") as out:

        def checkpoint(t, seconds, cpu):
            for w in (solver.x, solver.z, solver.v):
                out.write(np.ascontiguousarray(w, dtype="<f8").tobytes())
            rec = {"iter": t, "seconds": seconds, "cpuSeconds": cpu}
            if solver.x.size <= 64:
                rec["x"] = solver.x.tolist()
            print(json.dumps(rec), flush=True)

        seconds = 0.0
        cpu = 0.0
        t = 0
        checkpoint(0, 0.0, 0.0)
        while t < a.max_iter:
            k = min(a.max_iter, t + a.every) - t
            t0 = time.perf_counter()
            c0 = time.process_time()
            advance(k)
            cpu += time.process_time() - c0
            seconds += time.perf_counter() - t0
            t += k
            checkpoint(t, seconds, cpu)
    print(json.dumps({"peakRssMB": peak_rss_mb()}), flush=True)


def main():
    a = parse_args(__doc__.split("\n")[0])
    with open(os.path.join(a.data, "header.json")) as f:
        h = json.load(f)
    p = load_problem(h, a.data)
    solver = Saba(p, h["batch"], h["innerStep"], h["outerStep"], a.seed, a.replay)
    for name, s in solver.s.items():
        if s.sequence is not None and len(s.sequence) < a.max_iter:
            raise SystemExit(f"saba_numpy: the replayed {name} sequence has {len(s.sequence)} blocks, fewer than --max-iter {a.max_iter}")
    print(json.dumps({"versions": {"python": platform.python_version(), "numpy": np.__version__}}), flush=True)

    def advance(k):
        for _ in range(k):
            solver.step()

    checkpoint_loop(solver, a, advance)
    return 0


if __name__ == "__main__":
    sys.exit(main())
