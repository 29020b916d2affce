"""Forward attention on the GPU: exo-gpu's kernel against torch's scaled_dot_product_attention
with the cuDNN backend and with the flash backend, in one process.

    python3 benchmarks/attention_bench.py --cuda system --out DIR [--seqs 512,1024,...] [--rounds 20]
                                          [--schedules plain,overlap,pingpong,pingpong+overlap]

For each head dim (64, 128, 256), causal or not, and sequence length S (16k tokens per batch:
B = 16384 / S; H = 2048 / D heads), every implementation runs on the same bf16 tensors:
first a check of exo-gpu's O against cuDNN's (max |diff| / max |ref|), then `rounds` rounds in
shuffled order, each sample after a 256 MiB write that evicts L2 and a 0.2 ms GPU sleep (so
the host's launch overhead does not count), CUDA events around the call.  exo-gpu runs each
attention schedule asked for (exo_gpu.attention_api.SCHEDULES: plain, overlap = true, kind =
"pingpong", both), each an implementation "exo-gpu <schedule>".  TFLOP/s = 4 B H S^2 D /
median (halved when causal).  Writes attention_bench.json and (with matplotlib)
attention_bench.png.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import shuffled_rounds  # noqa: E402  (a sibling script's module)

STYLES = ("r-o", "m-d", "g-v", "c-p")  # the exo-gpu schedules' lines, in order

def _sdpa(backend_name: str):
    import torch
    from torch.nn.attention import SDPBackend, sdpa_kernel

    backend = getattr(SDPBackend, backend_name)

    def run(q, k, v, causal):
        with sdpa_kernel(backend):
            return torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)
    return run


def bench_case(d: int, causal: bool, seq: int, rounds: int, cuda: str, flush, schedules: list[str]) -> dict:
    import torch

    import exo_gpu
    from exo_gpu.attention_api import SCHEDULES

    b, h = max(1, 16384 // seq), 2048 // d
    gen = torch.Generator(device="cuda").manual_seed(seq * 7 + d + causal)
    q, k, v = (torch.randn((b, h, seq, d), device="cuda", dtype=torch.bfloat16, generator=gen) for _ in range(3))
    exo = [f"exo-gpu {name}" for name in schedules]
    impls = {f"exo-gpu {name}": (lambda opts: lambda: exo_gpu.attention(q, k, v, causal=causal, cuda=cuda,
                                                                        **opts)[0])(SCHEDULES[name])
             for name in schedules}
    impls["cudnn"] = lambda: _sdpa("CUDNN_ATTENTION")(q, k, v, causal)
    impls["flash"] = lambda: _sdpa("FLASH_ATTENTION")(q, k, v, causal)
    ref = impls["cudnn"]().float()
    errs = {name: float((impls[name]().float() - ref).abs().max() / ref.abs().max()) for name in exo}
    times = shuffled_rounds(torch, impls, rounds, flush)  # after a warm-up call each (exo-gpu compiles there)
    flops = 4.0 * b * h * seq * seq * d / (2 if causal else 1)
    row = {"head_dim": d, "causal": causal, "seq": seq, "batch": b, "heads": h, "max_rel_diff_vs_cudnn": errs}
    for name, ts in times.items():
        med = statistics.median(ts)
        row[name] = {"median_ms": med, "min_ms": min(ts), "tflops": flops / (med * 1e-3) / 1e12}
    for name in exo:
        row[name]["pct_of_cudnn"] = 100.0 * row[name]["tflops"] / row["cudnn"]["tflops"]
        row[name]["pct_of_flash"] = 100.0 * row[name]["tflops"] / row["flash"]["tflops"]
    return row


def plot(rows: list[dict], meta: dict, path: str) -> None:
    """TFLOP/s against sequence length, one panel per (head dim, causal)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = sorted({(r["head_dim"], r["causal"]) for r in rows})
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.8), squeeze=False)
    for ax, (d, causal) in zip(axes[0], panels):
        mine = [r for r in rows if r["head_dim"] == d and r["causal"] == causal]
        seqs = [r["seq"] for r in mine]
        exo = [name for name in mine[0] if name.startswith("exo-gpu ")]
        for name, style in (*zip(exo, STYLES), ("cudnn", "k-s"), ("flash", "b--^")):
            ax.plot(seqs, [r[name]["tflops"] for r in mine], style, label=name)
        ax.set_xscale("log", base=2)
        ax.set_xticks(seqs)
        ax.set_xticklabels([str(s) for s in seqs], fontsize=7)
        ax.set_title(f"D={d} {'causal' if causal else 'non-causal'}", fontsize=9)
        ax.set_xlabel("sequence length (16k tokens per batch)")
        ax.set_ylabel("TFLOP/s")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(f"forward attention, bf16, {meta['gpu']}, torch {meta['torch']}, cuDNN {meta['cudnn']}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cuda", default="system", help="exo-gpu's toolkit (system: the machine's)")
    parser.add_argument("--out", default=".", help="folder for attention_bench.json")
    parser.add_argument("--seqs", default="512,1024,2048,4096,8192,16384")
    parser.add_argument("--head-dims", default="64,128,256")
    parser.add_argument("--causal", default="0,1")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--schedules", default="plain,overlap", help="exo-gpu's schedules, by name (plain, "
                        "overlap, pingpong, pingpong+overlap)")
    args = parser.parse_args()
    schedules = args.schedules.split(",")
    import torch

    flush = torch.empty(256 << 20, dtype=torch.uint8, device="cuda")
    rows = []
    started = time.time()
    for d in (int(x) for x in args.head_dims.split(",")):
        for causal in (bool(int(x)) for x in args.causal.split(",")):
            for seq in (int(x) for x in args.seqs.split(",")):
                row = bench_case(d, causal, seq, args.rounds, args.cuda, flush, schedules)
                rows.append(row)
                mine = "  ".join(f"{name} {row['exo-gpu ' + name]['tflops']:6.1f} "
                                 f"({row['exo-gpu ' + name]['pct_of_cudnn']:5.1f}%)" for name in schedules)
                print(f"D{d:4d} {'causal' if causal else 'full  '} S{seq:6d}  {mine}  "
                      f"cudnn {row['cudnn']['tflops']:6.1f}  flash {row['flash']['tflops']:6.1f} TFLOP/s (% of cuDNN)  "
                      f"diff {max(row['max_rel_diff_vs_cudnn'].values()):.1e}", flush=True)
    meta = {"gpu": torch.cuda.get_device_name(), "torch": torch.__version__, "cudnn": torch.backends.cudnn.version(),
            "cuda": args.cuda, "rounds": args.rounds, "date": time.strftime("%Y-%m-%d"),
            "seconds": round(time.time() - started, 1), "command": " ".join(sys.argv)}
    with open(os.path.join(args.out, "attention_bench.json"), "w") as f:
        json.dump({"meta": meta, "rows": rows}, f, indent=1)
    try:
        plot(rows, meta, os.path.join(args.out, "attention_bench.png"))
    except ImportError:
        print("no matplotlib: no plot", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
