"""Host overhead of `exo_gpu.matmul` against `torch.matmul` on torch tensors (issue 12: within
5 us at 1024^3).  Needs a Hopper GPU, torch, cuda-python and exo-gpu (xDSL and a ptxas for the
first call's compile, unless the tune cache holds the kernel).

    python3 benchmarks/matmul_overhead.py [--size 1024] [--dtypes bf16,f16,tf32] [--calls 500]
                                          [--repeats 7] [--cuda system] [--cache DIR] [--json OUT]

A is row-major and B column-major (B = Bt.T, as benchmarks/gemm_bench.py calls cuBLAS),
the layout every input type reads.  For each dtype, after warm-up calls (the first compiles and loads the kernel):

* enqueue_us: the GPU is held busy by a long torch.cuda._sleep, then `calls` back-to-back
  calls are made and the host time until the last one returns is divided by `calls`: the
  host cost of one call, with no waiting on the GPU inside it (the launch queue never fills);
* wall_us: `calls` back-to-back calls and one synchronize at the end, divided by `calls`
  (host and device overlapped: the larger of the host cost and the kernel time);
* gpu_us: the kernel time, CUDA events around `calls` calls;
* exo launch_us: only the cached launch (tensor maps already encoded): one cuLaunchKernel
  through cuda-python, plus the Python around it.

Each figure is the median over `repeats` repetitions; `out=None` (a new output per call, as
torch.matmul allocates one) and `out=` given (both exo_gpu.matmul and torch.matmul(out=)).
Prints one JSON document (and writes it to --json OUT).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time

import torch

import exo_gpu
from exo_gpu.gpu import matmul as mm

TORCH = {"tf32": torch.float32, "bf16": torch.bfloat16, "f16": torch.float16}
SLEEP_CYCLES = 200_000_000  # ~0.1 s on a 1.98 GHz H200: longer than any enqueue loop here


def _enqueue_us(fn, calls: int) -> float:
    torch.cuda._sleep(SLEEP_CYCLES)
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    took = time.perf_counter() - start
    torch.cuda.synchronize()
    return took / calls * 1e6


def _wall_us(fn, calls: int) -> float:
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    torch.cuda.synchronize()
    return (time.perf_counter() - start) / calls * 1e6


def _gpu_us(fn, calls: int) -> float:
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    torch.cuda.synchronize()
    start.record()
    for _ in range(calls):
        fn()
    stop.record()
    stop.synchronize()
    return start.elapsed_time(stop) / calls * 1e3


def _median(measure, fn, calls: int, repeats: int) -> float:
    return statistics.median(measure(fn, calls) for _ in range(repeats))


def bench(dtype: str, size: int, calls: int, repeats: int, cuda: str, cache) -> dict:
    t = TORCH[dtype]
    a = torch.randn(size, size, device="cuda", dtype=t)
    b = torch.randn(size, size, device="cuda", dtype=t).T  # K contiguous (column-major): every dtype reads it
    out = torch.empty(size, size, device="cuda", dtype=t)
    fns = {
        "exo": lambda: exo_gpu.matmul(a, b, cuda=cuda, cache=cache),
        "torch": lambda: torch.matmul(a, b),
        "exo_out": lambda: exo_gpu.matmul(a, b, out, cuda=cuda, cache=cache),
        "torch_out": lambda: torch.matmul(a, b, out=out),
        "exo_launch_only": mm.launcher(a, b, out, cuda=cuda, cache=cache),
    }
    ref = a.double() @ b.double()
    c = exo_gpu.matmul(a, b, cuda=cuda, cache=cache)
    torch.cuda.synchronize()
    rel = float((c.double() - ref).norm() / ref.norm())
    for fn in fns.values():  # warm-up: compiles, loads, cuBLAS heuristics
        for _ in range(20):
            fn()
    torch.cuda.synchronize()
    row = {"dtype": dtype, "size": size, "calls": calls, "repeats": repeats, "rel_err_vs_float64": rel,
           "kernel": c_label(a, b, cuda, cache)}
    for name, fn in fns.items():
        row[name] = {"enqueue_us": _median(_enqueue_us, fn, calls, repeats),
                     "wall_us": _median(_wall_us, fn, calls, repeats),
                     "gpu_us": _median(_gpu_us, fn, calls, repeats)}
    row["enqueue_delta_us"] = row["exo"]["enqueue_us"] - row["torch"]["enqueue_us"]
    row["enqueue_delta_out_us"] = row["exo_out"]["enqueue_us"] - row["torch_out"]["enqueue_us"]
    row["within_5us"] = row["enqueue_delta_us"] <= 5.0
    return row


def c_label(a, b, cuda: str, cache) -> str:
    """The label of the kernel exo_gpu.matmul(a, b) runs."""
    return mm._torch_spec(a, b, None, None, cuda, cache).info.label()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--dtypes", default="bf16,f16,tf32")
    ap.add_argument("--calls", type=int, default=500)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--cuda", default="system", help="ptxas for the first call's compile (default: system)")
    ap.add_argument("--cache", help="tune cache folder (default: exo-gpu's)")
    ap.add_argument("--json", help="also write the JSON here")
    args = ap.parse_args(argv)
    torch.backends.cuda.matmul.allow_tf32 = True
    rows = [bench(d.strip(), args.size, args.calls, args.repeats, args.cuda, args.cache)
            for d in args.dtypes.split(",") if d.strip()]
    doc = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "python": platform.python_version(),
           "exo_gpu": exo_gpu.__version__, "rows": rows}
    text = json.dumps(doc, indent=1)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    for r in rows:
        print(f"{r['dtype']} {r['size']}^3 [{r['kernel']}]: enqueue exo {r['exo']['enqueue_us']:.2f} us vs torch "
              f"{r['torch']['enqueue_us']:.2f} us (delta {r['enqueue_delta_us']:+.2f}; with out= "
              f"{r['enqueue_delta_out_us']:+.2f}); launch only {r['exo_launch_only']['enqueue_us']:.2f} us; "
              f"gpu exo {r['exo']['gpu_us']:.1f} us, torch {r['torch']['gpu_us']:.1f} us; rel err {r['rel_err_vs_float64']:.1e}",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
