"""Attention correctness on the GPU: every head dim x causal x dtype x GQA, compiled here with
the given toolkit, run on fresh random inputs and compared with a float64 reference
(exo_gpu.gpu.attention.check): for bf16 sequence lengths 1, 17, 1000, 4097 and 2049 with
16 heads (more tiles than blocks: each block runs several), for f16 1000.

    python3 benchmarks/attention_check.py --cuda system [--out DIR]

Prints one line per run and writes attention_check.json; exits non-zero if any run fails.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import exo_gpu
from exo_gpu.attention_api import HEAD_DIMS, SCHEDULES
from exo_gpu.gpu.attention import check

CASES = [(1, 2, 1), (1, 2, 17), (2, 4, 1000), (1, 2, 4097), (2, 8, 2049)]  # (batch, heads, seq)
F16_CASES = [(2, 4, 1000)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cuda", default="system")
    parser.add_argument("--out", default=".")
    parser.add_argument("--dtypes", default="bf16,f16")
    parser.add_argument("--schedules", default=",".join(SCHEDULES), help="schedules to check, by name: "
                        + ", ".join(SCHEDULES))
    parser.add_argument("--head-dims", default=",".join(map(str, HEAD_DIMS)))
    args = parser.parse_args()
    rows, failed = [], 0
    head_dims = [int(d) for d in args.head_dims.split(",")]
    configs = [(dtype, d, causal, group, name) for name in args.schedules.split(",")
               for dtype in args.dtypes.split(",") for d in head_dims for causal in (False, True) for group in (1, 2)]
    for dtype, d, causal, group, name in configs:
        result = exo_gpu.compile_attention(d, dtype, causal, group, **SCHEDULES[name], cuda=args.cuda)
        for b, h, s in CASES if dtype == "bf16" else F16_CASES:
            r = check(result.cubin, result.abi, b, h, h // group, s, d, causal, dtype=dtype, seed=s + d)
            print(f"{dtype} G{group} {name:<16} {r.line()}", flush=True)
            failed += not r.passed
            rows.append({"dtype": dtype, "kv_group": group, "schedule": name, **r.__dict__})
    with open(os.path.join(args.out, "attention_check.json"), "w") as f:
        json.dump({"cuda": args.cuda, "ptxas": str(result.ptxas), "rows": rows, "failed": failed}, f, indent=1)
    print(f"{len(rows) - failed}/{len(rows)} passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
