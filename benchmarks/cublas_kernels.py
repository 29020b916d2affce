"""Which cuBLAS kernels torch.matmul runs for the benchmark's problems (names tell the tile
shape, cluster shape and schedule), with their launch grid and block, via torch.profiler.

    python3 benchmarks/cublas_kernels.py [--sizes 4096,8192,4096x4096x16384] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys

import torch
from torch.profiler import ProfilerActivity, profile


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="4096,8192")
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    torch.backends.cuda.matmul.allow_tf32 = True
    rows = []
    for part in args.sizes.split(","):
        dims = [int(x) for x in part.split("x")]
        m, n, k = dims * 3 if len(dims) == 1 else dims
        for dtype, tdt in (("tf32", torch.float32), ("bf16", torch.bfloat16), ("f16", torch.float16)):
            a = torch.randn(m, k, device="cuda", dtype=tdt)
            bt = torch.randn(n, k, device="cuda", dtype=tdt)
            variants = [("same-dtype out", lambda a=a, bt=bt: torch.matmul(a, bt.t()))]
            if dtype != "tf32":
                variants.append(("f32 out", lambda a=a, bt=bt: torch.mm(a, bt.t(), out_dtype=torch.float32)))
            for what, fn in variants:
                try:
                    for _ in range(3):
                        fn()
                    torch.cuda.synchronize()
                    with profile(activities=[ProfilerActivity.CUDA], record_shapes=False) as prof:
                        fn()
                        torch.cuda.synchronize()
                except Exception as e:  # noqa: BLE001 - an older torch without out_dtype
                    print(f"{dtype} {m}x{n}x{k} {what}: {type(e).__name__}: {e}", file=sys.stderr)
                    continue
                for ev in prof.events():
                    if ev.device_type.name != "CUDA":
                        continue
                    row = {"dtype": dtype, "m": m, "n": n, "k": k, "out": what, "kernel": ev.name,
                           "us": ev.device_time_total if hasattr(ev, "device_time_total") else None}
                    rows.append(row)
                    print(f"{dtype:4s} {m}x{n}x{k} {what:14s} {row['us'] or 0:8.1f} us  {ev.name}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
