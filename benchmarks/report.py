"""Markdown tables from gemm_bench.py's JSON files (for benchmarks/RESULTS.md).

    python3 benchmarks/report.py RUN.json [RUN2.json ...] [--full] [--sweep]

Per run: best of ours against cuBLAS per dtype and size, the seed configs, serialized against
clean; --full adds every kernel of every size; with two or more runs, the kernels common to
the first two are compared (run-to-run spread).  --sweep: one table of all kernels per shape.
Needs only the standard library.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

DTYPES = ("tf32", "bf16", "f16")


def _checks(e: dict) -> str:
    rels = [c["rel_err"] for c in e["checks"] if c.get("rel_err") is not None]
    ok = e["passed"]
    return f"{max(rels):.1e} {'ok' if ok else 'FAIL'}" if rels else ("ok" if ok else "FAIL")


def _ours(res: dict, meta: dict, dtype: str, clean_only: bool = True) -> dict:
    return {lab: e for lab, e in res["kernels"].items()
            if e["dtype"] == dtype and e["kind"] == "ours" and "tflops" in e
            and not (clean_only and meta.get(lab, {}).get("variant") == "serialized")}


def summary(run: dict) -> list[str]:
    meta = run["kernels"]
    out = [("| dtype | M=N=K | cuBLAS TFLOP/s | cuBLAS f32-out TFLOP/s | best ours TFLOP/s | % of cuBLAS | "
            "% of cuBLAS f32-out | best config | seed n128 T2 | seed n128 % |"),
           "|---|---|---|---|---|---|---|---|---|---|"]
    for dtype in DTYPES:
        for res in run["results"]:
            ours = _ours(res, meta, dtype)
            if not ours:
                continue
            base = res["kernels"].get(f"cuBLAS {dtype}", {}).get("tflops")
            base32 = res["kernels"].get(f"cuBLAS {dtype} f32out", {}).get("tflops")
            best = max(ours, key=lambda lab: ours[lab]["tflops"])
            t = ours[best]["tflops"]
            seed_lab = next((lab for lab in ours if lab == f"{dtype} n128 T2 C2 s4 w1"), None)
            seed = ours[seed_lab]["tflops"] if seed_lab else None
            out.append(f"| {dtype} | {res['size']} | {base:.1f} | {f'{base32:.1f}' if base32 else '-'} | {t:.1f} | "
                       f"**{100 * t / base:.1f}%** | {f'{100 * t / base32:.1f}%' if base32 else '-'} | {best} | "
                       f"{f'{seed:.1f}' if seed else '-'} | {f'{100 * seed / base:.1f}%' if seed else '-'} |")
    return out


def seeds(run: dict) -> list[str]:
    meta = run["kernels"]
    out = ["| kernel | size | mid-50 mean ms | TFLOP/s | % of cuBLAS tf32 | min / max ms | stdev ms | max rel err, check |",
           "|---|---|---|---|---|---|---|---|"]
    for lab in ("tf32 n96 T2 C2 s4 w1", "tf32 n128 T2 C2 s4 w1"):
        for res in run["results"]:
            e = res["kernels"].get(lab)
            if not e or "tflops" not in e:
                continue
            base = res["kernels"]["cuBLAS tf32"]["tflops"]
            out.append(f"| {lab} ({meta[lab]['name']}) | {res['size']} | {e['mid50_mean_ms']:.4f} | {e['tflops']:.1f} | "
                       f"{100 * e['tflops'] / base:.1f}% | {e['min_ms']:.4f} / {e['max_ms']:.4f} | {e['stdev_ms']:.4f} | "
                       f"{_checks(e)} |")
    return out


def serialized(run: dict) -> list[str]:
    meta = run["kernels"]
    out = ["| config | size | clean TFLOP/s | serialized TFLOP/s | slowdown (time ratio) | serialized check |",
           "|---|---|---|---|---|---|"]
    for res in run["results"]:
        for lab, e in res["kernels"].items():
            if meta.get(lab, {}).get("variant") != "serialized" or "tflops" not in e:
                continue
            clean = res["kernels"].get(lab.replace(" SER", ""), {})
            if "tflops" in clean:
                out.append(f"| {lab.replace(' SER', '')} | {res['size']} | {clean['tflops']:.1f} | {e['tflops']:.1f} | "
                           f"{clean['tflops'] / e['tflops']:.2f}x | {_checks(e)} |")
    return out


def full(run: dict) -> list[str]:
    meta = run["kernels"]
    out = []
    for res in run["results"]:
        for dtype in DTYPES:
            ks = {lab: e for lab, e in res["kernels"].items() if e["dtype"] == dtype}
            if not ks:
                continue
            base = ks.get(f"cuBLAS {dtype}", {}).get("tflops")
            out += ["", f"**{dtype} {res['size']}**", "",
                    "| kernel | role | mid-50 mean ms | TFLOP/s | % of cuBLAS | min ms | max ms | stdev ms | max rel err, check |",
                    "|---|---|---|---|---|---|---|---|---|"]
            for lab, e in sorted(ks.items(), key=lambda kv: -(kv[1].get("tflops") or 0)):
                role = meta.get(lab, {}).get("role", "")
                if "tflops" not in e:
                    out.append(f"| {lab} | {role} | - | - | - | - | - | - | {_checks(e)} |")
                    continue
                out.append(f"| {lab} | {role} | {e['mid50_mean_ms']:.4f} | {e['tflops']:.1f} | "
                           f"{100 * e['tflops'] / base:.1f}% | {e['min_ms']:.4f} | {e['max_ms']:.4f} | "
                           f"{e['stdev_ms']:.4f} | {_checks(e)} |")
    return out


def sweep(run: dict) -> list[str]:
    labels = sorted({lab for r in run["results"] for lab in r["kernels"]},
                    key=lambda lab: (DTYPES.index(lab.split()[1] if lab.startswith("cuBLAS") else lab.split()[0]),
                                     not lab.startswith("cuBLAS"), lab))
    out = ["| kernel | " + " | ".join(r["size"] for r in run["results"]) + " |",
           "|---|" + "---|" * len(run["results"])]
    for lab in labels:
        cells = []
        for r in run["results"]:
            e = r["kernels"].get(lab)
            if not e or "tflops" not in e:
                cells.append("-")
                continue
            base = r["kernels"].get(f"cuBLAS {e['dtype']}", {}).get("tflops")
            cells.append(f"{e['tflops']:.1f}" + ("" if lab.startswith("cuBLAS") else f" ({100 * e['tflops'] / base:.1f}%)"))
        out.append(f"| {lab} | " + " | ".join(cells) + " |")
    return out


def _shape(res: dict) -> tuple:
    """(M, N, K) of a result (early JSON files gave only an int size, M = N = K)."""
    if "m" in res:
        return res["m"], res["n"], res["k"]
    return (int(res["size"]),) * 3


def spread(a: dict, b: dict) -> list[str]:
    out = ["| kernel | size | run A TFLOP/s | run B TFLOP/s | B/A |", "|---|---|---|---|---|"]
    for ra in a["results"]:
        rb = next((r for r in b["results"] if _shape(r) == _shape(ra)), None)
        if rb is None:
            continue
        for lab, ea in sorted(ra["kernels"].items()):
            eb = rb["kernels"].get(lab)
            if eb and "tflops" in ea and "tflops" in eb:
                out.append(f"| {lab} | {ra['size']} | {ea['tflops']:.1f} | {eb['tflops']:.1f} | {eb['tflops'] / ea['tflops']:.3f} |")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--sweep", action="store_true")
    args = ap.parse_args(argv)
    runs = [json.loads(Path(p).read_text()) for p in args.runs]
    for path, run in zip(args.runs, runs):
        env = run["env"]
        print(f"### {Path(path).name}: {env['card']}, driver {env['driver_version']}, torch {env['torch']} "
              f"(CUDA {env['torch_cuda']}), cuBLAS {env.get('cublas_packages')}, {env['date_utc']}\n")
        if args.sweep:
            print("\n".join(sweep(run)) + "\n")
            continue
        print("\n".join(summary(run)) + "\n")
        print("\n".join(seeds(run)) + "\n")
        print("\n".join(serialized(run)) + "\n")
        if args.full:
            print("\n".join(full(run)) + "\n")
    if len(runs) >= 2 and not args.sweep:
        print("### run-to-run\n")
        print("\n".join(spread(runs[0], runs[1])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
