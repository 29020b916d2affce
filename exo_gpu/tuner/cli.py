"""`exo-gpu tune`: the autotuner on the command line (see exo_gpu.tuner.tune).

  exo-gpu tune --m M --n N --k K --dtype D [--c-dtype C] [--layout-a row|col] [--layout-b col|row]
               [--jobs J] [--scheduler tcp://HOST:PORT|local:N] [--cache DIR] [--cuda V]
               [--space default|quick] [--runs R] [--compile-only] [--progress] [--json]

Prints the table of candidates tried (config, compile status, registers, check, median time,
TFLOP/s; `*` marks the one kept) and a summary line, or with --json one JSON document; the
progress bars go to stderr (on a TTY, or always with --progress).
"""

from __future__ import annotations

import argparse
import json
import sys

from exo_gpu.tuner import space
from exo_gpu.tuner.tune import tune


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--m", type=int, required=True, help="rows of A and C")
    ap.add_argument("--n", type=int, required=True, help="columns of B and C")
    ap.add_argument("--k", type=int, required=True, help="the reduced dimension")
    ap.add_argument("--dtype", default="bf16", help=f"input type: {', '.join(space.DTYPES)} (default bf16)")
    ap.add_argument("--c-dtype", help="C's type: f32, bf16, f16 (default: f32 for tf32, the input type for "
                    "bf16/f16, bf16 for fp8)")
    ap.add_argument("--layout-a", default="row", help="A in memory: row (K contiguous, default) or col (M contiguous)")
    ap.add_argument("--layout-b", default="col", help="B in memory: col (K contiguous, default) or row (N contiguous)")
    ap.add_argument("--jobs", type=int, help="local compile processes (default: one per CPU)")
    ap.add_argument("--scheduler", help="compile on Dask: a scheduler address tcp://HOST:PORT, or local:N for a "
                    "LocalCluster of N workers")
    ap.add_argument("--cache", help="tune cache folder (default $EXO_GPU_TUNE_CACHE or ~/.cache/exo-gpu/tune)")
    ap.add_argument("--cuda", default=None, help="pinned ptxas version (default 12.3; 13.x = newest; system)")
    ap.add_argument("--space", default="default", help=f"candidate space: {', '.join(space.SPACES)}")
    ap.add_argument("--runs", type=int, default=20, help="timed samples per candidate (default 20)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed launches first (default 3)")
    ap.add_argument("--seed", type=int, default=0, help="random inputs' seed")
    ap.add_argument("--compile-only", action="store_true", help="stop after compiling (no GPU; nothing cached)")
    ap.add_argument("--progress", action="store_true", help="progress bars on stderr even when it is not a TTY")
    ap.add_argument("--json", action="store_true", help="print one JSON document instead of the table")


def run(args) -> int:
    from exo_gpu.ptxas import toolchain

    result = tune(args.m, args.n, args.k, args.dtype, c_dtype=args.c_dtype, layout_a=args.layout_a,
                  layout_b=args.layout_b, jobs=args.jobs, scheduler=args.scheduler, cache=args.cache,
                  cuda=args.cuda or toolchain.DEFAULT_CUDA, space_name=args.space, runs=args.runs,
                  warmup=args.warmup, seed=args.seed, compile_only=args.compile_only,
                  progress=True if args.progress else None)
    if args.json:
        print(json.dumps(result.to_json(), indent=1))
    else:
        print(result.table())
    ok = any(r["status"] == "ok" for r in result.rows) if args.compile_only else result.best is not None
    if not ok:
        what = "compiled clean" if args.compile_only else "passed its check on the GPU"
        print(f"exo-gpu: error: no candidate {what}; see the table's notes for why, and fix: try another "
              "--space or --cuda", file=sys.stderr)
    return 0 if ok else 1
