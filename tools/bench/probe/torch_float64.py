"""PyTorch and numpy float64 timings of the tensor kernels' cases, on one thread (`npm run bench -- tensor-kernels`).

Usage: python3 torch_float64.py '<json>' with {"reps": 7, "blockMs": 20, "cases": [...]}, each case
  {"kind": "matmul", "m": .., "n": .., "k": .., "transA": bool, "transB": bool}  (A stored k × m when transA,
      B stored n × k when transB, as in TensorKernels.matmul), or
  {"kind": "conv2d" | "conv2dInputGrad" | "conv2dFilterGrad", "shape": {batch, inChannels, ...}}.
Prints one JSON line: versions, the BLAS each library reports, and per case the median CPU seconds per call
(time.process_time: time spent descheduled on a busy machine does not count) over `reps` blocks of about `blockMs` ms (after a warm-up and a calibration of the calls per block), for torch and numpy
(null where the library is missing or, for numpy, has no such operation). The caller sets OMP/OPENBLAS/MKL threads
to 1; torch.set_num_threads(1) is called as well. Matrix products write into a preallocated output (out=), the
library's fastest form; convolutions are torch.nn.functional.conv2d and aten.convolution_backward, what autograd
calls, float64 on the CPU (slow_conv2d: im2col and a BLAS product).
"""
import json
import platform
import sys
import time


def median(xs):
    s = sorted(xs)
    m = len(s) // 2
    return s[m] if len(s) % 2 else (s[m - 1] + s[m]) / 2


def time_call(fn, reps, block_ms):
    for _ in range(3):
        fn()
    calls = 1
    while True:
        t0 = time.process_time()
        for _ in range(calls):
            fn()
        ms = (time.process_time() - t0) * 1000
        if ms >= block_ms / 2 or calls >= 1 << 20:
            calls = max(1, round(calls * block_ms / max(ms, 1e-3)))
            break
        calls *= 2
    blocks = []
    for _ in range(reps):
        t0 = time.process_time()
        for _ in range(calls):
            fn()
        blocks.append((time.process_time() - t0) / calls)
    return median(blocks)


def out_size(n, pad, k, stride):
    return (n + 2 * pad - k) // stride + 1


def torch_case(torch, case):
    if case["kind"] == "matmul":
        m, n, k = case["m"], case["n"], case["k"]
        a = torch.randn(k, m, dtype=torch.float64).t() if case["transA"] else torch.randn(m, k, dtype=torch.float64)
        b = torch.randn(n, k, dtype=torch.float64).t() if case["transB"] else torch.randn(k, n, dtype=torch.float64)
        c = torch.empty(m, n, dtype=torch.float64)
        return lambda: torch.mm(a, b, out=c)
    s = case["shape"]
    oh = out_size(s["height"], s["padH"], s["kernelH"], s["strideH"])
    ow = out_size(s["width"], s["padW"], s["kernelW"], s["strideW"])
    x = torch.randn(s["batch"], s["inChannels"], s["height"], s["width"], dtype=torch.float64)
    w = torch.randn(s["outChannels"], s["inChannels"], s["kernelH"], s["kernelW"], dtype=torch.float64)
    g = torch.randn(s["batch"], s["outChannels"], oh, ow, dtype=torch.float64)
    stride, padding = [s["strideH"], s["strideW"]], [s["padH"], s["padW"]]
    if case["kind"] == "conv2d":
        return lambda: torch.nn.functional.conv2d(x, w, stride=stride, padding=padding)
    mask = [True, False, False] if case["kind"] == "conv2dInputGrad" else [False, True, False]
    return lambda: torch.ops.aten.convolution_backward(g, x, w, None, stride, padding, [1, 1], False, [0, 0], 1, mask)


def numpy_case(np, case):
    if case["kind"] != "matmul":
        return None
    rng = np.random.default_rng(0)
    m, n, k = case["m"], case["n"], case["k"]
    a = rng.standard_normal((k, m)).T if case["transA"] else rng.standard_normal((m, k))
    b = rng.standard_normal((n, k)).T if case["transB"] else rng.standard_normal((k, n))
    c = np.empty((m, n))
    return lambda: np.matmul(a, b, out=c)


def torch_blas(torch):
    for part in torch.__config__.show().replace("\n", ",").split(","):
        if "BLAS_INFO" in part:
            return part.strip()
    return "unknown"


def numpy_blas(np):
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version', '')}".strip()
    except Exception:  # numpy < 2 prints its configuration instead
        info = getattr(np.__config__, "blas_opt_info", None) or getattr(np.__config__, "blas_ilp64_opt_info", None) or {}
        return ",".join(info.get("libraries", [])) or "unknown"


def loaded_blas():
    """The BLAS/LAPACK shared libraries this process has mapped (what `generic` BLAS resolves to at run time)."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "blas" in line.lower() or "mkl" in line.lower()}
        return sorted(p for p in paths if p.startswith("/"))
    except OSError:
        return []


def main():
    args = json.loads(sys.argv[1])
    reps, block_ms = args["reps"], args["blockMs"]
    result = {"python": platform.python_version(), "torch": None, "numpy": None, "torchBlas": None, "numpyBlas": None, "rows": []}
    try:
        import torch

        torch.set_num_threads(1)
        torch.manual_seed(0)
        result["torch"] = torch.__version__
        result["torchBlas"] = torch_blas(torch)
    except ImportError:
        torch = None
    try:
        import numpy as np

        result["numpy"] = np.__version__
        result["numpyBlas"] = numpy_blas(np)
    except ImportError:
        np = None
    for case in args["cases"]:
        row = {"torch": None, "numpy": None}
        if torch is not None:
            with torch.no_grad():
                row["torch"] = time_call(torch_case(torch, case), reps, block_ms)
        fn = numpy_case(np, case) if np is not None else None
        if fn is not None:
            row["numpy"] = time_call(fn, reps, block_ms)
        result["rows"].append(row)
    result["loadedBlas"] = loaded_blas()
    print(json.dumps(result))


main()
