"""Check and time prebuilt GEMM cubins on a GPU (needs numpy and cuda-python, not xDSL).

    python3 benchmarks/check_gpu.py [DIR] [--only NAME] [--sizes M,N,K;...] [--time-sizes 4096,8192]
                                    [--runs 20] [--no-timing] [--torch] [--json FILE]

DIR (default .gpu_build, made by benchmarks/build_cubins.py) holds *.cubin and manifest.json.
For each kernel, in its own subprocess (a hang or a sticky CUDA error then costs that kernel
alone): correctness on fresh random-normal data at each size (rel err ||out-ref||/||ref|| vs a
float64 reference; output poisoned with NaN first; any NaN fails; split-K kernels, whose
launch zeroes C, are also run on all-ones inputs and every element must be exactly K), then the median of
`--runs` event-timed launches at each timing size.  `--torch` adds torch.matmul in the same
dtype as a baseline.  Prints a table last; writes every number to --json (default
$OUT/gpu_results.json when $OUT is set).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path


import numpy as np


def _import_runtime():
    """exo_gpu.gpu.runtime without exo_gpu/__init__.py, which imports the compiler and so xDSL
    (absent on the GPU machine): register the package by its path, then import the module."""
    try:
        import xdsl  # noqa: F401
    except ImportError:
        import types

        pkg = types.ModuleType("exo_gpu")
        pkg.__path__ = [str(Path(__file__).resolve().parents[1] / "exo_gpu")]
        sys.modules.setdefault("exo_gpu", pkg)
    from exo_gpu.gpu import runtime

    return runtime


rt = _import_runtime()

# Sizes checked for every kernel: tile multiples, non-multiples of every tile dimension,
# a K shorter than one K block, and a large square.  K keeps rows 16-byte aligned
# (K * elem_bytes % 16 == 0): 1000 and 40 do for tf32 (4 B) and 16-bit (2 B) alike.
# An odd N (777 x 1001) takes the checked epilogue in every block (st.global.v2 needs even N).
DEFAULT_SIZES = [(1024, 1024, 1024), (1000, 1000, 1000), (129, 200, 40), (64, 96, 8), (777, 1001, 520),
                 (4096, 4096, 4096)]
DEFAULT_TIME_SIZES = [4096]
PER_KERNEL_TIMEOUT_S = 240


def _parse_sizes(text: str) -> list[tuple[int, int, int]]:
    out = []
    for part in text.replace(" ", "").split(";"):
        if part:
            m, n, k = (int(x) for x in part.split(","))
            out.append((m, n, k))
    return out


def load_manifest(directory: Path) -> list[rt.KernelInfo]:
    path = directory / "manifest.json"
    if not path.exists():
        raise SystemExit(f"{path} not found: run benchmarks/build_cubins.py (here, with xDSL) and carry {directory}")
    return [rt.KernelInfo.from_dict(d) for d in json.loads(path.read_text())["kernels"]]


def driver_string() -> str:
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=20, check=False)
        return out.stdout.strip().splitlines()[0] if out.returncode == 0 and out.stdout.strip() else "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


# -- one kernel, in this process --------------------------------------------------------------
def run_one(directory: Path, info: rt.KernelInfo, sizes, time_sizes, runs: int, seed: int | None,
            tf32_map: str = "tfloat32") -> dict:
    rng = np.random.default_rng(seed)
    result: dict = {"kernel": info.name, "label": info.label(), "info": info.to_dict(), "checks": [], "timings": [],
                    "tf32_map": tf32_map}
    try:
        kernel = rt.load((directory / info.extra.get("cubin", f"{info.name}.cubin")).read_bytes(), info=info)
        result["registers_loaded"] = kernel.registers
        for m, n, k in sizes:
            if (k * info.elem_bytes) % 16:
                k = -(-k * info.elem_bytes // 16) * 16 // info.elem_bytes
            t0 = time.perf_counter()
            c = rt.check_gemm(kernel, m, n, k, rng=rng, tf32_map=tf32_map)
            d = asdict(c)
            d["seconds"] = time.perf_counter() - t0
            result["checks"].append(d)
            print(c.line(), flush=True)
        for s in time_sizes:
            t = rt.time_gemm(kernel, s, s, s, runs=runs, rng=rng)
            result["timings"].append(asdict(t))
            print(f"{info.label():28s} {s}^3: median {t.median_ms:.3f} ms (min {t.min_ms:.3f}, max {t.max_ms:.3f}) "
                  f"= {t.tflops:.1f} TFLOP/s", flush=True)
    except rt.CudaError as e:
        result["error"] = str(e)
        print(f"{info.label():28s} CudaError: {e}", flush=True)
    return result


def torch_baseline(dtypes, time_sizes, runs: int) -> list[dict]:
    import torch

    torch.backends.cuda.matmul.allow_tf32 = True
    out = []
    tdt = {"tf32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}
    for dtype in dtypes:
        for s in time_sizes:
            a = torch.randn(s, s, device="cuda", dtype=tdt[dtype])
            bt = torch.randn(s, s, device="cuda", dtype=tdt[dtype])
            ref = torch.matmul(a.double(), bt.double().T)
            rel = float(torch.linalg.norm(torch.matmul(a, bt.T).double() - ref) / torch.linalg.norm(ref))
            del ref
            for _ in range(3):
                torch.matmul(a, bt.T)
            torch.cuda.synchronize()
            times = []
            for _ in range(runs):
                e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                e0.record()
                torch.matmul(a, bt.T)
                e1.record()
                e1.synchronize()
                times.append(e0.elapsed_time(e1))
            med = float(np.median(times))
            out.append({"label": f"torch.matmul {dtype}", "m": s, "n": s, "k": s, "median_ms": med,
                        "tflops": 2.0 * s ** 3 / (med * 1e-3) / 1e12, "rel_err": rel})
            print(f"torch.matmul {dtype} {s}^3: median {med:.3f} ms = {out[-1]['tflops']:.1f} TFLOP/s, "
                  f"rel_err {rel:.2e}", flush=True)
    return out


# -- the driver: one subprocess per kernel ---------------------------------------------------
def _child(args, name: str | None, torch_dtypes: str | None = None) -> dict | list | None:
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"exo_gpu_check_{os.getpid()}_{name or 'torch'}.json"
    cmd = [sys.executable, os.path.abspath(__file__), str(args.dir), "--child-json", str(tmp),
           "--sizes", ";".join(",".join(map(str, s)) for s in args.sizes),
           "--time-sizes", ",".join(map(str, args.time_sizes)), "--runs", str(args.runs)]
    if args.seed is not None:
        cmd += ["--seed", str(args.seed)]
    cmd += ["--only", name] if name else ["--torch-only", torch_dtypes or ""]
    if args.no_timing:
        cmd.append("--no-timing")
    cmd += ["--tf32-map", args.tf32_map]
    try:
        proc = subprocess.run(cmd, timeout=PER_KERNEL_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        print(f"{name}: timed out after {PER_KERNEL_TIMEOUT_S} s", flush=True)
        return {"kernel": name, "error": f"timed out after {PER_KERNEL_TIMEOUT_S} s", "checks": [], "timings": []}
    if not tmp.exists():
        return {"kernel": name, "error": f"child exited {proc.returncode} with no result", "checks": [], "timings": []}
    data = json.loads(tmp.read_text())
    tmp.unlink()
    return data


def nan_cell(check: dict) -> str:
    """NaN elements left; for split-K, "NaN/uncovered" (all-ones run: elements not exactly K)."""
    uncovered = check.get("uncovered")
    return f"{check['unwritten']}" + (f"/{uncovered}" if uncovered is not None else "")


def print_table(device: str, results: list[dict], baseline: list[dict]) -> None:
    print()
    print(f"== {device}")
    print(f"{'kernel':28s} {'M':>5s} {'N':>5s} {'K':>5s}  {'rel_err':>9s}  {'thresh':>6s}  {'max/rms':>7s}  "
          f"{'NaN':>6s}  {'trunc-ref':>9s}  result")
    for r in results:
        if r.get("error") and not r["checks"]:
            print(f"{r.get('label', r['kernel']):28s} ERROR: {r['error']}")
        for c in r["checks"]:
            exact = c.get("rel_err_exact_inputs")
            print(f"{c['label']:28s} {c['m']:5d} {c['n']:5d} {c['k']:5d}  {c['rel_err']:9.2e}  {c['threshold']:6.0e}  "
                  f"{c['max_err_rms']:7.1e}  {nan_cell(c):>6s}  {(f'{exact:9.2e}' if exact is not None else '-'):>9s}  "
                  f"{'ok' if c['passed'] else 'FAIL'}")
        if r.get("error") and r["checks"]:
            print(f"{r['label']:28s} ERROR after {len(r['checks'])} checks: {r['error']}")
    rows = [t for r in results for t in r["timings"]] + baseline
    if rows:
        print()
        print(f"{'kernel':28s} {'size':>6s}  {'median ms':>9s}  {'TFLOP/s':>7s}")
        for t in rows:
            extra = f"  (rel_err {t['rel_err']:.2e})" if "rel_err" in t else ""
            print(f"{t['label']:28s} {t['m']:6d}  {t['median_ms']:9.3f}  {t['tflops']:7.1f}{extra}")
    failed = sum(not c["passed"] for r in results for c in r["checks"]) + sum(bool(r.get("error")) for r in results)
    print(f"\n{'ALL PASSED' if not failed else f'{failed} FAILURES/ERRORS'}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", nargs="?", default=str(Path(__file__).resolve().parents[1] / ".gpu_build"))
    ap.add_argument("--only", help="run this kernel in this process (no subprocess)")
    ap.add_argument("--dtype", help="only the kernels of this dtype")
    ap.add_argument("--tf32-map", choices=["float32", "tfloat32"], default="tfloat32",
                    help="tensor-map data type for tf32 kernels (default TFLOAT32, the runtime's default)")
    ap.add_argument("--sizes", type=_parse_sizes, default=DEFAULT_SIZES, help="M,N,K;M,N,K;...")
    ap.add_argument("--time-sizes", type=lambda s: [int(x) for x in s.split(",") if x], default=DEFAULT_TIME_SIZES)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=None, help="default: fresh random data every run")
    ap.add_argument("--no-timing", action="store_true")
    ap.add_argument("--torch", action="store_true", help="also time torch.matmul per dtype (baseline)")
    ap.add_argument("--json", help="write all results here (default $OUT/gpu_results.json if $OUT is set)")
    ap.add_argument("--child-json", help=argparse.SUPPRESS)
    ap.add_argument("--torch-only", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.dir = Path(args.dir)
    if args.no_timing:
        args.time_sizes = []
    infos = load_manifest(args.dir)
    if args.dtype:
        infos = [i for i in infos if i.dtype == args.dtype]

    if args.torch_only is not None:  # child: the torch baseline
        data = torch_baseline([d for d in args.torch_only.split(",") if d], args.time_sizes, args.runs)
        Path(args.child_json).write_text(json.dumps(data))
        return 0
    if args.only:
        match = [i for i in infos if i.name == args.only]
        if not match:
            raise SystemExit(f"no kernel '{args.only}' in {args.dir}/manifest.json: {', '.join(i.name for i in infos)}")
        result = run_one(args.dir, match[0], args.sizes, args.time_sizes, args.runs, args.seed, args.tf32_map)
        if args.child_json:
            Path(args.child_json).write_text(json.dumps(result))
            return 0
        try:
            device = f"{rt.init().line()}; nvidia-smi: {driver_string()}"
        except rt.CudaError as e:
            device = f"? ({e})"
        print_table(device, [result], [])
        return 0 if not result.get("error") and all(c["passed"] for c in result["checks"]) else 1

    try:
        device = f"{rt.init().line()}; nvidia-smi: {driver_string()}"
    except rt.CudaError as e:
        print(f"check_gpu: {e}", file=sys.stderr)
        return 2
    print(f"device: {device}; tf32 tensor maps: {args.tf32_map.upper()}", flush=True)
    results = [_child(args, info.name) for info in infos]
    baseline = []
    if args.torch and args.time_sizes:
        dtypes = sorted({i.dtype for i in infos}, key=["tf32", "f16", "bf16"].index)
        got = _child(args, None, ",".join(dtypes))
        baseline = got if isinstance(got, list) else []
    print_table(device, results, baseline)
    out = args.json or (os.path.join(os.environ["OUT"], "gpu_results.json") if os.environ.get("OUT") else None)
    if out:
        Path(out).write_text(json.dumps({"device": device, "results": results, "torch": baseline}, indent=1))
    ok = all(not r.get("error") and all(c["passed"] for c in r["checks"]) for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
