#!/usr/bin/env python3
"""SABA compiled with numba: the second peer implementation that `npm run bench -- peer` times against ours.

The same algorithm, data, samplers, input and output as saba_numpy.py (whose docstring states the updates; its
BlockSampler, problem loaders and main loop are reused), written the way a competent numba user would: the whole
run between two checkpoints is one `@njit` function (no Python per iteration), the matrix products are `np.dot` on
the gathered minibatch (numba hands them to the BLAS numpy links, OpenBLAS here, one thread), the softmax, the
sigmoids and the SAGA memories are explicit loops, nothing is allocated per sample. The block sequences are drawn
before the run by the numpy peer's samplers (same generators, hence the same minibatches for the same seed; with
--replay, ours), so the compiled loop only reads them. Compilation happens before the timed part (one warm-up call
on a copy of the state) and is reported separately.

Python, numpy and numba versions go to the first JSON line; the checkpoints' format is saba_numpy.py's.
"""

import json
import os
import platform
import resource
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import saba_numpy as base  # noqa: E402  (the sibling file: samplers and data loading)

try:
    import numba
    from numba import njit
except ImportError as e:  # the TypeScript side checks first; this is the message when run by hand
    raise SystemExit(f"saba_numba: numba is not importable ({e}); on Debian: apt-get install python3-numba")


@njit(cache=False)
def _sigmoid(t):
    if t >= 0.0:
        return 1.0 / (1.0 + np.exp(-t))
    e = np.exp(t)
    return e / (1.0 + e)


@njit(cache=False)
def _softmax_rows(T):
    """In place: each row of T becomes softmax(row)."""
    for k in range(T.shape[0]):
        m = T[k, 0]
        for c in range(1, T.shape[1]):
            if T[k, c] > m:
                m = T[k, c]
        s = 0.0
        for c in range(T.shape[1]):
            e = np.exp(T[k, c] - m)
            T[k, c] = e
            s += e
        inv = 1.0 / s
        for c in range(T.shape[1]):
            T[k, c] *= inv


@njit(cache=False)
def _gather(M, idx, out):
    """out[k] = M[idx[k]] (the minibatch copied into a preallocated contiguous block)."""
    for k in range(idx.shape[0]):
        out[k, :] = M[idx[k], :]
    return out[: idx.shape[0]]


@njit(cache=False)
def _saga(rows, mean, w, j, q, d):
    """d = q - m_j + mean; mean += w_j (q - m_j); m_j = q (SagaMemory)."""
    r = rows[j]
    wj = w[j]
    for k in range(q.shape[0]):
        diff = q[k] - r[k]
        d[k] = diff + mean[k]
        mean[k] += wj * diff
        r[k] = q[k]


@njit(cache=False)
def dc_run(A, yA, B, yB, C, rho, gamma, z, v, x,
           g_rows, g_mean, h_rows, h_mean, o_rows, o_mean, c_values, c_mean,
           blocks_i, sizes_i, w_i, seq_i, blocks_h, sizes_h, w_h, seq_h,
           blocks_o, sizes_o, w_o, seq_o, blocks_c, sizes_c, w_c, seq_c, t0, t1):
    """Iterations t0 .. t1 - 1 of SABA on data hyper-cleaning; z, v, x updated in place (jacobi: all read iterate t)."""
    n, d = A.shape
    K = z.shape[0] // d
    bmax = max(blocks_i.shape[1], blocks_o.shape[1])
    Ab = np.empty((bmax, d))
    Ab2 = np.empty((bmax, d))
    q = np.empty(d * K)
    dz = np.empty(d * K)
    dh = np.empty(d * K)
    do = np.empty(d * K)
    qc = np.empty(bmax)
    dc = np.empty(bmax)
    z_new = np.empty(d * K)
    twoC = 2.0 * C
    for t in range(t0, t1):
        Z = z.reshape(d, K)
        V = v.reshape(d, K)
        # inner: D_z = SAGA[grad_z g_j](z_t, x_t)
        j = seq_i[t]
        idx = blocks_i[j, : sizes_i[j]]
        b = idx.shape[0]
        X = _gather(A, idx, Ab)
        P = np.dot(X, Z)
        _softmax_rows(P)
        for k in range(b):
            P[k, yA[idx[k]]] -= 1.0
            s = _sigmoid(x[idx[k]])
            for c in range(K):
                P[k, c] *= s
        G = np.dot(X.T, P)
        inv = 1.0 / b
        for p in range(d):
            for c in range(K):
                q[p * K + c] = G[p, c] * inv + twoC * Z[p, c]
        _saga(g_rows, g_mean, w_i, j, q, dz)
        # linear system: D_v = SAGA[hess_zz g_j v_t] + SAGA[grad_z f_i]
        j = seq_h[t]
        idx = blocks_h[j, : sizes_h[j]]
        b = idx.shape[0]
        X = _gather(A, idx, Ab)
        P = np.dot(X, Z)
        _softmax_rows(P)
        U = np.dot(X, V)
        for k in range(b):
            pu = 0.0
            for c in range(K):
                pu += P[k, c] * U[k, c]
            s = _sigmoid(x[idx[k]]) / b
            for c in range(K):
                U[k, c] = s * P[k, c] * (U[k, c] - pu)
        G = np.dot(X.T, U)
        for p in range(d):
            for c in range(K):
                q[p * K + c] = G[p, c] + twoC * V[p, c]
        _saga(h_rows, h_mean, w_h, j, q, dh)
        i = seq_o[t]
        idx = blocks_o[i, : sizes_o[i]]
        b = idx.shape[0]
        X = _gather(B, idx, Ab2)
        P = np.dot(X, Z)
        _softmax_rows(P)
        for k in range(b):
            P[k, yB[idx[k]]] -= 1.0
        G = np.dot(X.T, P)
        inv = 1.0 / b
        for p in range(d):
            for c in range(K):
                q[p * K + c] = G[p, c] * inv
        _saga(o_rows, o_mean, w_o, i, q, do)
        # outer: D_x = SAGA[hess_xz g_j v_t] on block j's own coordinates, the memory's mean elsewhere
        j = seq_c[t]
        idx = blocks_c[j, : sizes_c[j]]
        b = idx.shape[0]
        X = _gather(A, idx, Ab)
        P = np.dot(X, Z)
        _softmax_rows(P)
        U = np.dot(X, V)
        for k in range(b):
            s = -U[k, yA[idx[k]]]
            for c in range(K):
                s += P[k, c] * U[k, c]
            sg = _sigmoid(x[idx[k]])
            qc[k] = sg * (1.0 - sg) / b * s
        wj = w_c[j]
        for k in range(b):
            ii = idx[k]
            diff = qc[k] - c_values[ii]
            dc[k] = diff + c_mean[ii]
        # x_{t+1}: the mean before this block's update off the block (it does not change there), the direction on it
        x_old_b = np.empty(b)
        for k in range(b):
            x_old_b[k] = x[idx[k]]
        for ii in range(x.shape[0]):
            x[ii] -= gamma * c_mean[ii]
        for k in range(b):
            ii = idx[k]
            x[ii] = x_old_b[k] - gamma * dc[k]
            c_mean[ii] += wj * (qc[k] - c_values[ii])
            c_values[ii] = qc[k]
        # z and v last: every oracle above read iterate t
        for k in range(z.shape[0]):
            z_new[k] = z[k] - rho * dz[k]
        for k in range(v.shape[0]):
            v[k] = v[k] - rho * (dh[k] + do[k])
        z[:] = z_new


@njit(cache=False)
def _logistic_grad(M, y, z, idx, Xb, out):
    b = idx.shape[0]
    X = _gather(M, idx, Xb)
    t = np.dot(X, z)
    for k in range(b):
        yk = y[idx[k]]
        t[k] = -yk * _sigmoid(-yk * t[k]) / b
    out[:] = np.dot(X.T, t)


@njit(cache=False)
def logreg_run(A, yA, B, yB, scalar, rho, gamma, z, v, x,
               g_rows, g_mean, h_rows, h_mean, o_rows, o_mean, c_rows, c_mean, ox_rows, ox_mean,
               blocks_i, sizes_i, w_i, seq_i, blocks_h, sizes_h, w_h, seq_h,
               blocks_o, sizes_o, w_o, seq_o, blocks_c, sizes_c, w_c, seq_c,
               blocks_x, sizes_x, w_x, seq_x, t0, t1):
    """Iterations t0 .. t1 - 1 of SABA on L2-regularized logistic regression (scalar or per-feature e^x)."""
    dz_ = z.shape[0]
    dx_ = x.shape[0]
    bmax = max(blocks_i.shape[1], blocks_o.shape[1])
    Xb = np.empty((bmax, dz_))
    q = np.empty(dz_)
    dz = np.empty(dz_)
    dh = np.empty(dz_)
    do = np.empty(dz_)
    qx = np.empty(dx_)
    dc = np.empty(dx_)
    dox = np.zeros(dx_)
    qox = np.zeros(dx_)
    ex = np.empty(dz_)
    for t in range(t0, t1):
        for k in range(dz_):
            ex[k] = np.exp(x[0]) if scalar else np.exp(x[k])
        j = seq_i[t]
        _logistic_grad(A, yA, z, blocks_i[j, : sizes_i[j]], Xb, q)
        for k in range(dz_):
            q[k] += ex[k] * z[k]
        _saga(g_rows, g_mean, w_i, j, q, dz)
        j = seq_h[t]
        idx = blocks_h[j, : sizes_h[j]]
        b = idx.shape[0]
        X = _gather(A, idx, Xb)
        tz = np.dot(X, z)
        tv = np.dot(X, v)
        for k in range(b):
            tv[k] = _sigmoid(tz[k]) * _sigmoid(-tz[k]) * tv[k] / b
        q[:] = np.dot(X.T, tv)
        for k in range(dz_):
            q[k] += ex[k] * v[k]
        _saga(h_rows, h_mean, w_h, j, q, dh)
        i = seq_o[t]
        _logistic_grad(B, yB, z, blocks_o[i, : sizes_o[i]], Xb, q)
        _saga(o_rows, o_mean, w_o, i, q, do)
        j = seq_c[t]
        if scalar:
            s = 0.0
            for k in range(dz_):
                s += z[k] * v[k]
            qx[0] = np.exp(x[0]) * s
        else:
            for k in range(dx_):
                qx[k] = np.exp(x[k]) * z[k] * v[k]
        _saga(c_rows, c_mean, w_c, j, qx, dc)
        i = seq_x[t]
        _saga(ox_rows, ox_mean, w_x, i, qox, dox)  # grad_x F = 0: kept, as the numpy peer and the dense path do
        for k in range(dx_):
            x[k] = x[k] - gamma * (dc[k] + dox[k])
        for k in range(dz_):
            z[k] = z[k] - rho * dz[k]
            v[k] = v[k] - rho * (dh[k] + do[k])


def _sampler_arrays(s, iters):
    """A numpy-peer BlockSampler as arrays for the compiled loop: padded blocks, sizes, weights, `iters` block ids."""
    bmax = max(len(b) for b in s.blocks)
    blocks = np.zeros((s.n_blocks, bmax), dtype=np.int64)
    sizes = np.zeros(s.n_blocks, dtype=np.int64)
    for j, b in enumerate(s.blocks):
        blocks[j, : len(b)] = b
        sizes[j] = len(b)
    seq = np.array([s.next()[0] for _ in range(iters)], dtype=np.int64)
    return blocks, sizes, np.asarray(s.weights, dtype=np.float64), seq


class CompiledSaba:
    """The numpy peer's Saba state (samplers, memories, iterates) advanced by the compiled loops."""

    def __init__(self, p, h, seed, replay, max_iter):
        self.solver = base.Saba(p, h["batch"], h["innerStep"], h["outerStep"], seed, replay)
        s = self.solver.s
        self.samplers = {name: _sampler_arrays(s[name], max_iter) for name in base.SAMPLERS}
        self.p, self.h = p, h
        self.t = 0

    def _args(self, sv, t0, t1):
        p, h = self.p, self.h
        smp = self.samplers
        order = ("inner", "hvp", "outerZ", "cross") + (() if p.sparse_cross else ("outerX",))
        samplers = [a for name in order for a in smp[name]]
        if p.sparse_cross:
            return (p.A, p.yA, p.B, p.yB, float(p.C), h["innerStep"], h["outerStep"], sv.z, sv.v, sv.x,
                    sv.m_grad.rows, sv.m_grad.mean, sv.m_hvp.rows, sv.m_hvp.mean, sv.m_outer_z.rows, sv.m_outer_z.mean,
                    sv.m_cross.values, sv.m_cross.mean, *samplers, t0, t1)
        return (p.A, p.yA, p.B, p.yB, p.scalar, h["innerStep"], h["outerStep"], sv.z, sv.v, sv.x,
                sv.m_grad.rows, sv.m_grad.mean, sv.m_hvp.rows, sv.m_hvp.mean, sv.m_outer_z.rows, sv.m_outer_z.mean,
                sv.m_cross.rows, sv.m_cross.mean, sv.m_outer_x.rows, sv.m_outer_x.mean, *samplers, t0, t1)

    def compile(self):
        """Compiles the loop with one iteration on a throwaway copy of the state; returns the seconds it took."""
        import copy
        t0 = time.perf_counter()
        throwaway = copy.deepcopy(self.solver)
        run = dc_run if self.p.sparse_cross else logreg_run
        run(*self._args(throwaway, 0, min(1, len(self.samplers["inner"][3]))))
        return time.perf_counter() - t0

    def advance(self, iters):
        run = dc_run if self.p.sparse_cross else logreg_run
        run(*self._args(self.solver, self.t, self.t + iters))
        self.t += iters


def main():
    a = base.parse_args("SABA compiled with numba (tools/bench/peer/saba_numba.py)")
    with open(os.path.join(a.data, "header.json")) as f:
        h = json.load(f)
    p = base.load_problem(h, a.data)
    cs = CompiledSaba(p, h, a.seed, a.replay, a.max_iter)
    for name, s in cs.solver.s.items():
        if s.sequence is not None and len(s.sequence) < a.max_iter:
            raise SystemExit(f"saba_numba: the replayed {name} sequence has {len(s.sequence)} blocks, fewer than --max-iter {a.max_iter}")
    compile_seconds = cs.compile()
    versions = {"python": platform.python_version(), "numpy": np.__version__, "numba": numba.__version__}
    print(json.dumps({"versions": versions, "compileSeconds": compile_seconds}), flush=True)
    base.checkpoint_loop(cs.solver, a, cs.advance)
    return 0


if __name__ == "__main__":
    sys.exit(main())
