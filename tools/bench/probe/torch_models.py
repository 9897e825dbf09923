"""PyTorch float64 on one thread: gradient and Hessian-vector product of the models of `npm run bench -- models`.

Usage: python3 torch_models.py '<json>' with {"dir": ..., "reps": 21, "blockMs": 20, "only": [ids] | null}.
Reads the cases the benchmark wrote to dir (spec.json and data.bin, see model-cases.ts: weights, direction, images
and labels of each case, float64), builds each model from torch.nn.functional ops (x @ W + b, conv2d with padding 1,
relu, max_pool2d 2×2, cross_entropy with mean reduction: the same functions and layouts as the engine's tape), and
times, per case,
  gradient: torch.autograd.grad(loss(params), params)
  HVP:      g = torch.autograd.grad(loss(params), params, create_graph=True);
            torch.autograd.grad(sum(<g_i, v_i>), params)            (double backward)
each the median over `reps` blocks of at least `blockMs` ms of CPU time (time.process_time: time spent descheduled
on a busy machine does not count; time.perf_counter alongside), after a warm-up, the blocks of all cases interleaved.
Writes each case's gradient and HVP to dir/torch-<id>-grad.bin and -hvp.bin (float64, parameters concatenated in
order) for the benchmark's comparison with the engine. The caller sets OMP/OPENBLAS/MKL threads to 1;
torch.set_num_threads(1) is called as well. Prints one JSON line (medians and every block's figure, so that the
benchmark can pool the blocks of several runs).
"""
import json
import os
import platform
import sys
import time


def median(xs):
    s = sorted(xs)
    m = len(s) // 2
    return s[m] if len(s) % 2 else (s[m - 1] + s[m]) / 2


def dual_timer(fn, block_ms, warmup):
    for _ in range(warmup):
        fn()
    calls = 1
    while True:
        t0 = time.process_time()
        for _ in range(calls):
            fn()
        ms = (time.process_time() - t0) * 1000
        if ms >= block_ms or calls >= 1 << 20:
            break
        calls = -(-calls * block_ms // max(ms, 1e-3)) if ms >= block_ms / 4 else calls * 2
        calls = int(calls)

    def block():
        w0 = time.perf_counter()
        c0 = time.process_time()
        for _ in range(calls):
            fn()
        cpu = (time.process_time() - c0) / calls
        wall = (time.perf_counter() - w0) / calls
        return cpu, wall

    return calls, block


def loaded_blas():
    """The BLAS/LAPACK shared libraries this process has mapped (what torch's BLAS resolves to at run time)."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "blas" in line.lower() or "mkl" in line.lower()}
        return sorted(p for p in paths if p.startswith("/"))
    except OSError:
        return []


def build(torch, np, case, all_data):
    F = torch.nn.functional
    get = lambda e: torch.from_numpy(np.array(all_data[e["offset"] : e["offset"] + e["length"]]))
    params = [get(p["value"]).reshape(p["shape"]).requires_grad_(True) for p in case["params"]]
    direction = [get(p["direction"]).reshape(p["shape"]) for p in case["params"]]
    batch = case["batch"]
    labels = get(case["labels"]).long()
    if case["model"] == "mlp":
        x = get(case["images"]).reshape(batch, 784)

        def loss():
            W1, b1, W2, b2 = params
            h = F.relu(x @ W1 + b1)
            return F.cross_entropy(h @ W2 + b2, labels)

    else:
        x = get(case["images"]).reshape(batch, 1, 28, 28)

        def loss():
            h = x
            for l in range(4):
                h = F.max_pool2d(F.relu(F.conv2d(h, params[2 * l], params[2 * l + 1], padding=1)), 2)
            return F.cross_entropy(h.reshape(batch, -1) @ params[8] + params[9], labels)

    def grad():
        return torch.autograd.grad(loss(), params)

    def hvp():
        g = torch.autograd.grad(loss(), params, create_graph=True)
        s = sum((gi * vi).sum() for gi, vi in zip(g, direction))
        return torch.autograd.grad(s, params)

    return grad, hvp


def main():
    args = json.loads(sys.argv[1])
    reps, block_ms, folder = args["reps"], args["blockMs"], args["dir"]
    import numpy as np
    import torch

    torch.set_num_threads(1)
    spec = json.load(open(os.path.join(folder, "spec.json")))
    all_data = np.fromfile(os.path.join(folder, "data.bin"), dtype="<f8")
    only = args.get("only")
    cases = [c for c in spec["cases"] if not only or c["id"] in only]
    fns = [build(torch, np, c, all_data) for c in cases]
    out = []
    for c, (grad, hvp) in zip(cases, fns):
        files = {}
        for name, fn in (("grad", grad), ("hvp", hvp)):
            path = os.path.join(folder, f"torch-{c['id']}-{name}.bin")
            np.concatenate([t.detach().numpy().ravel() for t in fn()]).astype("<f8").tofile(path)
            files[name + "File"] = path
        out.append({"id": c["id"], **files})
    timers = [dual_timer(f, block_ms, 3) for pair in fns for f in pair]
    blocks = [[] for _ in timers]
    for _ in range(reps):
        for i, (_, block) in enumerate(timers):
            blocks[i].append(block())
    for i, row in enumerate(out):
        for j, name in enumerate(("grad", "hvp")):
            calls, _ = timers[2 * i + j]
            b = blocks[2 * i + j]
            row[name] = {
                "cpuMs": median([x[0] for x in b]) * 1e3,
                "wallMs": median([x[1] for x in b]) * 1e3,
                "reps": len(b),
                "callsPerBlock": calls,
                "cpuBlocksMs": [x[0] * 1e3 for x in b],
                "wallBlocksMs": [x[1] * 1e3 for x in b],
            }
    print(
        json.dumps(
            {
                "python": platform.python_version(),
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "loadedBlas": loaded_blas(),
                "cases": out,
            }
        )
    )


main()
