"""GEMM benchmark of prebuilt exo-gpu cubins against cuBLAS, with the methodology of Exo-GPU's
own suite (akeley98/sporkbench; see ../shared/docs/wgmma-facts.md).  Runs on the GPU machine:
needs torch (cuBLAS, events, float64 reference), numpy and cuda-python, not xDSL.

    python3 benchmarks/gemm_bench.py DIR [--sizes 2048,4096,8192,MxNxK] [--dtypes tf32,bf16,f16]
        [--rounds 100] [--warmup 3] [--passed CHECK_JSON] [--roles seed,main,variant,tune]
        [--only NAME,...] [--out DIR] [--tag NAME]

DIR (made by benchmarks/build_cubins.py) holds *.cubin and manifest.json.  For each problem
size (M = N = K, or M x N x K):
  1. warm-up rounds (--warmup), each on fresh random-normal inputs (torch.randn, never zeros)
     of every dtype: every kernel (ours and cuBLAS) runs once in shuffled order into an output
     poisoned with NaN, and is checked against a float64 reference computed on the GPU:
     ||out - ref|| / ||ref|| <= 1e-3 (tf32) or 1e-2 (bf16, f16), no NaN, and no element off by
     more than 50x the threshold times rms(ref).  A kernel that fails any check is not timed.
  2. --rounds timed rounds: each round runs every kernel of the size once, in a fresh shuffled
     order; before each sample a --flush-mb buffer (default 256 MB, over 5x the H100's 50 MB
     L2) is zeroed, then a pair of CUDA events on torch's current stream brackets the kernel
     alone.  Our kernels are launched through exo_gpu.gpu.runtime on that same stream, so they
     never overlap torch's work.  Each round starts with a ~1 ms device sleep so the host
     enqueues ahead of the device and no launch gap lands inside an event pair.
  3. the outputs of the last timed sample are checked again against the last reference.
Reported per kernel: mean of the middle 50% of the sorted samples (the middle 50 of 100) in
ms and TFLOP/s = 2 M N K / t, with min, max, median and stdev of all samples.

cuBLAS is torch.matmul(A, Bt.T) in the same dtype (tf32: float32 inputs with
torch.backends.cuda.matmul.allow_tf32 = True; its output is float32, bf16 or f16), plus, where
torch supports it, torch.mm(..., out_dtype=torch.float32) for bf16/f16 ("cuBLAS f32out": the
same float32 C that our kernels write).

Writes OUT/gemm_bench[_TAG].json (device, driver, CUDA, ptxas, torch and cuBLAS versions,
every kernel's config and checks, all samples), OUT/gemm_bench[_TAG].png (TFLOP/s against
problem size, ours against cuBLAS, one panel per dtype) and OUT/gemm_bench[_TAG].txt (the
full table); prints the full table, then a short summary last.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import math
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import smi  # noqa: E402  (a sibling script's module)

ROOT = Path(__file__).resolve().parents[1]

DEFAULT_SIZES = [2048, 4096, 8192]
DTYPES = ("tf32", "bf16", "f16")
TOLERANCE = {"tf32": 1e-3, "f16": 1e-2, "bf16": 1e-2}
ELEMENT_FACTOR = 50
SLEEP_CYCLES = 2_000_000  # ~1 ms at 1.98 GHz: the host enqueues a round while the device sleeps


def _import_runtime():
    """exo_gpu.gpu.runtime without exo_gpu/__init__.py (which imports the compiler and xDSL)."""
    try:
        import xdsl  # noqa: F401
    except ImportError:
        import types

        pkg = types.ModuleType("exo_gpu")
        pkg.__path__ = [str(ROOT / "exo_gpu")]
        sys.modules.setdefault("exo_gpu", pkg)
    from exo_gpu.gpu import runtime

    return runtime


# -- statistics (pure; tested without a GPU) --------------------------------------------------
def middle_mean(samples: list[float], keep: float = 0.5) -> float:
    """Mean of the middle `keep` fraction of the sorted samples (the middle 50 of 100)."""
    s = sorted(samples)
    n = len(s)
    if n == 0:
        return float("nan")
    drop = round(n * (1 - keep) / 2)
    mid = s[drop:n - drop] or s
    return sum(mid) / len(mid)


def summarize(samples_ms: list[float], m: int, n: int, k: int) -> dict:
    flop = 2.0 * m * n * k
    mid = middle_mean(samples_ms)
    return {
        "samples": len(samples_ms),
        "mid50_mean_ms": mid,
        "median_ms": statistics.median(samples_ms) if samples_ms else float("nan"),
        "min_ms": min(samples_ms) if samples_ms else float("nan"),
        "max_ms": max(samples_ms) if samples_ms else float("nan"),
        "stdev_ms": statistics.stdev(samples_ms) if len(samples_ms) > 1 else 0.0,
        "tflops": flop / (mid * 1e-3) / 1e12 if mid > 0 else float("nan"),
        "tflops_best": flop / (min(samples_ms) * 1e-3) / 1e12 if samples_ms else float("nan"),
        "tflops_worst": flop / (max(samples_ms) * 1e-3) / 1e12 if samples_ms else float("nan"),
    }


def kernel_label(d: dict) -> str:
    """A short label of a manifest entry: dtype nN T C s w, raster, variant, ptxas."""
    s = (f"{d['dtype']} n{d['wgmma_n']} T{d['tiles_per_warpgroup']} C{d['consumers']} s{d['stages']} "
         f"w{d.get('wait_depth', 1)}")
    if d.get("raster_group") not in (None, 8):
        s += f" r{d['raster_group']}"
    if d.get("variant") == "serialized":
        s += " SER"
    p = d.get("ptxas") or ""
    if p and not p.startswith("12.3"):
        s += f" p{'.'.join(p.split('.')[:2])}"
    if d.get("cluster", 1) > 1:
        s += f" x{d['cluster']}"
    if d.get("cluster_m", 1) > 1:
        s += f" {d['cluster_m']}x1"
    if d.get("schedule") == "pingpong":
        s += " pp"
    if d.get("c_dtype", "f32") != "f32":
        s += f" C:{d['c_dtype']}"
    if d.get("tag"):  # an A/B comparison's build, e.g. "old"
        s += f" [{d['tag']}]"
    if d.get("split_k", 1) > 1:  # split-K (its launches include clearing C)
        s += f" k{d['split_k']}"
    if d.get("a_in_registers"):
        s += " rs"
    if d.get("accumulate_c"):
        s += " +C"
    return s


# -- environment ------------------------------------------------------------------------------
def _dist_versions(prefixes) -> dict:
    import importlib.metadata as md

    found = {}
    for dist in md.distributions():
        name = (dist.metadata.get("Name") or "").lower()
        if any(name.startswith(p) for p in prefixes):
            found[name] = dist.version
    return found


def environment(torch, rt, manifest: dict) -> dict:
    props = torch.cuda.get_device_properties(0)
    env = {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host": platform.node(),
        "card": torch.cuda.get_device_name(0),
        "sm_count": props.multi_processor_count,
        "l2_bytes": getattr(props, "L2_cache_size", None),
        "nvidia_smi": smi("name,driver_version,memory.total,clocks.max.sm,clocks.max.mem,power.limit"),
        "driver_version": smi("driver_version"),
        "torch": torch.__version__,
        "torch_cuda": torch.version.cuda,
        "cublas_packages": _dist_versions(("nvidia-cublas",)),
        "cuda_python": _dist_versions(("cuda-bindings", "cuda-python")),
        "numpy": np.__version__,
        "python": platform.python_version(),
        "ptxas": manifest.get("ptxas"),
        "allow_tf32": True,
        "allow_bf16_reduced_precision_reduction":
            bool(getattr(torch.backends.cuda.matmul, "allow_bf16_reduced_precision_reduction", False)),
        "allow_fp16_reduced_precision_reduction":
            bool(getattr(torch.backends.cuda.matmul, "allow_fp16_reduced_precision_reduction", False)),
    }
    with contextlib.suppress(Exception):  # informative only
        env["torch_compiled_cuda"] = int(torch._C._cuda_getCompiledVersion())
    with contextlib.suppress(Exception):  # the cuBLAS library torch loaded, e.g. 130100
        env["cublas_runtime"] = int(torch._C._cuda_getCublasVersion()) if hasattr(torch._C, "_cuda_getCublasVersion") else None
    try:
        dev = rt.init()
        env["cuda_driver_api"] = dev.driver_version
        env["device_line"] = dev.line()
    except Exception as e:  # noqa: BLE001
        env["cuda_driver_api"] = f"? ({e})"
    return env


# -- the kernels --------------------------------------------------------------------------------
class Ours:
    kind = "ours"

    def __init__(self, rt, kernel, info, label: str, persistent: bool = True):
        self.rt, self.kernel, self.info, self.label = rt, kernel, info, label
        self.persistent = persistent  # one block per SM walking tiles, or one block per tile
        self.dtype = info.dtype
        self.threshold = info.threshold  # per K: the input type's tolerance, or C's rounding if larger
        self.launches: dict = {}  # size -> (GemmLaunch, C tensor)

    def setup(self, torch, size: tuple, a, bt):
        m, n, k = size
        c_type = {"f32": torch.float32, "bf16": torch.bfloat16, "f16": torch.float16}[self.info.c_dtype]
        c = torch.empty((m, n), dtype=c_type, device="cuda")
        launch = self.rt.GemmLaunch(self.kernel, m, n, k, a_ptr=a.data_ptr(), b_ptr=bt.data_ptr(), c_ptr=c.data_ptr(),
                                    persistent=self.persistent)
        self.launches[size] = (launch, c)

    def out(self, size):
        return self.launches[size][1]

    def run(self, torch, size: tuple, stream: int):
        self.launches[size][0].launch(stream)

    def teardown(self, size):
        launch, _ = self.launches.pop(size)
        launch.free()


class Cublas:
    kind = "cublas"

    def __init__(self, dtype: str, f32out: bool = False):
        self.dtype, self.f32out = dtype, f32out
        self.label = f"cuBLAS {dtype}" + (" f32out" if f32out else "")
        self.threshold = lambda k: TOLERANCE[dtype]
        self.info = None
        self.bufs: dict = {}

    def setup(self, torch, size: tuple, a, bt):
        out_dtype = torch.float32 if self.f32out else a.dtype
        self.bufs[size] = (a, bt, torch.empty((size[0], size[1]), dtype=out_dtype, device="cuda"))

    def out(self, size):
        return self.bufs[size][2]

    def run(self, torch, size: tuple, stream: int):
        a, bt, c = self.bufs[size]
        if self.f32out:
            torch.mm(a, bt.t(), out_dtype=torch.float32, out=c)
        else:
            torch.matmul(a, bt.t(), out=c)

    def teardown(self, size):
        self.bufs.pop(size, None)


def f32out_supported(torch) -> bool:
    try:
        a = torch.randn(64, 64, device="cuda", dtype=torch.bfloat16)
        c = torch.empty(64, 64, device="cuda", dtype=torch.float32)
        torch.mm(a, a.t(), out_dtype=torch.float32, out=c)
        torch.cuda.synchronize()
        return bool(torch.allclose(c, (a.float() @ a.float().t()), rtol=1e-2, atol=1e-1))
    except Exception as e:  # noqa: BLE001 - an older torch: no such variant
        print(f"(torch.mm out_dtype=float32 unsupported here: {type(e).__name__}: {str(e)[:100]})", flush=True)
        return False


# -- correctness --------------------------------------------------------------------------------
def compare(torch, out, ref, threshold: float) -> dict:
    """exo_gpu.gpu.runtime.compare on the GPU: rel err, NaN count, max |err| / rms(ref), passed."""
    nans = int(torch.isnan(out).sum().item())
    diff = out.double() - ref
    norm_ref = float(torch.linalg.norm(ref))
    norm_diff = float(torch.linalg.norm(diff))
    rel = norm_diff / norm_ref if norm_ref else norm_diff
    absd = diff.abs()
    finite = absd[~torch.isnan(absd)]
    max_abs = float(finite.max()) if finite.numel() else float("nan")
    del diff, absd, finite
    rms = norm_ref / math.sqrt(ref.numel()) if ref.numel() else 0.0
    max_rms = max_abs / rms if rms else max_abs
    passed = (nans == 0 and math.isfinite(rel) and rel <= threshold and math.isfinite(max_rms)
              and max_rms <= ELEMENT_FACTOR * threshold)
    return {"rel_err": rel if math.isfinite(rel) else None, "nan": nans, "max_abs_err": max_abs,
            "max_err_rms": max_rms if math.isfinite(max_rms) else None, "threshold": threshold, "passed": passed}


def torch_dtype(torch, dtype: str):
    return {"tf32": torch.float32, "bf16": torch.bfloat16, "f16": torch.float16}[dtype]


# -- one problem size ---------------------------------------------------------------------------
def size_label(size: tuple) -> str:
    m, n, k = size
    return f"{m}^3" if m == n == k else f"{m}x{n}x{k}"


def parse_sizes(text: str) -> list[tuple[int, int, int]]:
    """"2048,4096,4096x4096x16384" -> [(2048,)*3, (4096,)*3, (4096, 4096, 16384)]."""
    out = []
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        dims = [int(x) for x in part.lower().split("x")]
        if len(dims) == 1:
            dims *= 3
        if len(dims) != 3:
            raise SystemExit(f"bad size '{part}': use S or MxNxK")
        out.append(tuple(dims))
    return out


def bench_size(torch, rt, kernels: list, size: tuple, args, log) -> dict:
    dtypes = sorted({k.dtype for k in kernels}, key=DTYPES.index)
    gen = torch.Generator(device="cuda")
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "little")
    mm, nn, kk = size
    label = size_label(size)
    gen.manual_seed(seed + 3 * mm + 5 * nn + 7 * kk)
    inputs = {d: (torch.empty((mm, kk), dtype=torch_dtype(torch, d), device="cuda"),
                  torch.empty((nn, kk), dtype=torch_dtype(torch, d), device="cuda")) for d in dtypes}
    for k in kernels:
        k.setup(torch, size, *inputs[k.dtype])
    flush = torch.empty(args.flush_mb * 2 ** 20, dtype=torch.uint8, device="cuda")
    stream = torch.cuda.current_stream().cuda_stream
    order_rng = random.Random(seed)
    checks: dict[str, list] = {k.label: [] for k in kernels}
    refs = {}

    def fresh_inputs():
        for d in dtypes:
            a, bt = inputs[d]
            # randn into float32 then cast (torch.randn with a generator is float; bf16/f16 cast rounds)
            a.copy_(torch.randn(a.shape, generator=gen, device="cuda", dtype=torch.float32))
            bt.copy_(torch.randn(bt.shape, generator=gen, device="cuda", dtype=torch.float32))
            refs[d] = a.double() @ bt.double().t()

    # 1. warm-up rounds that check.
    alive = list(kernels)
    for w in range(args.warmup):
        fresh_inputs()
        order = alive[:]
        order_rng.shuffle(order)
        for k in order:
            out = k.out(size)
            out.fill_(float("nan"))
            torch.cuda.synchronize()
            k.run(torch, size, stream)
            if k.kind == "ours":
                rt.synchronize(k.label)  # a hang is reported, not waited on forever
            torch.cuda.synchronize()
            c = compare(torch, out, refs[k.dtype], k.threshold(kk))
            c["round"] = w
            checks[k.label].append(c)
            if not c["passed"]:
                log(f"  CHECK FAILED {k.label} {label} warm-up {w}: {c}")
        alive = [k for k in alive if all(c["passed"] for c in checks[k.label])]
    failed = [k.label for k in kernels if k not in alive]

    # 2. timed rounds.
    samples: dict[str, list[float]] = {k.label: [] for k in alive}
    events = {k.label: [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True))
                        for _ in range(args.rounds)] for k in alive}
    t0 = time.perf_counter()
    for r in range(args.rounds):
        order = alive[:]
        order_rng.shuffle(order)
        if args.sleep_cycles:
            torch.cuda._sleep(args.sleep_cycles)
        for k in order:
            flush.zero_()
            e0, e1 = events[k.label][r]
            e0.record()
            k.run(torch, size, stream)
            e1.record()
        torch.cuda.synchronize()
    wall = time.perf_counter() - t0
    for k in alive:
        samples[k.label] = [e0.elapsed_time(e1) for e0, e1 in events[k.label]]

    # 3. the last timed outputs, checked again.
    for k in alive:
        c = compare(torch, k.out(size), refs[k.dtype], k.threshold(kk))
        c["round"] = "after-timing"
        checks[k.label].append(c)
        if not c["passed"]:
            log(f"  CHECK FAILED after timing {k.label} {label}: {c}")

    result = {"size": label, "m": mm, "n": nn, "k": kk, "seed": seed, "rounds": args.rounds, "warmup": args.warmup, "flush_mb": args.flush_mb,
              "timed_wall_s": wall, "failed": failed, "kernels": {}}
    for k in kernels:
        entry = {"kind": k.kind, "dtype": k.dtype, "checks": checks[k.label],
                 "passed": bool(checks[k.label]) and all(c["passed"] for c in checks[k.label])}
        if k.label in samples:
            entry["samples_ms"] = samples[k.label]
            entry.update(summarize(samples[k.label], mm, nn, kk))
        result["kernels"][k.label] = entry
    for k in kernels:
        k.teardown(size)
    del flush
    torch.cuda.empty_cache()
    return result


# -- reporting ------------------------------------------------------------------------------------
def baseline_label(dtype: str) -> str:
    return f"cuBLAS {dtype}"


def table_rows(results: list[dict], meta: dict) -> list[str]:
    lines = []
    hdr = (f"{'kernel':34s} {'role':7s} {'size':>15s} {'mid50 ms':>9s} {'TFLOP/s':>8s} {'%cuBLAS':>8s} "
           f"{'min ms':>8s} {'max ms':>8s} {'sd ms':>7s} {'rel_err':>8s}  check")
    for res in results:
        size = res["size"]
        for dtype in DTYPES:
            ks = {lab: e for lab, e in res["kernels"].items() if e["dtype"] == dtype}
            if not ks:
                continue
            lines.append("")
            lines.append(f"== {dtype} {size}")
            lines.append(hdr)
            base = ks.get(baseline_label(dtype), {}).get("tflops")
            for lab, e in sorted(ks.items(), key=lambda kv: -(kv[1].get("tflops") or 0)):
                rel = max((c["rel_err"] or float("inf")) for c in e["checks"]) if e["checks"] else float("nan")
                role = meta.get(lab, {}).get("role", "cublas" if e["kind"] == "cublas" else "")
                if "tflops" not in e:
                    lines.append(f"{lab:34s} {role:7s} {size:>15s} {'-':>9s} {'-':>8s} {'-':>8s} {'':>8s} {'':>8s} "
                                 f"{'':>7s} {rel:8.1e}  {'ok' if e['passed'] else 'FAIL'}")
                    continue
                pct = f"{100 * e['tflops'] / base:7.1f}%" if base else "      -"
                lines.append(f"{lab:34s} {role:7s} {size:>15s} {e['mid50_mean_ms']:9.4f} {e['tflops']:8.1f} {pct:>8s} "
                             f"{e['min_ms']:8.4f} {e['max_ms']:8.4f} {e['stdev_ms']:7.4f} {rel:8.1e}  "
                             f"{'ok' if e['passed'] else 'FAIL'}")
    return lines


def summary_rows(results: list[dict], meta: dict) -> list[str]:
    """Best of ours vs cuBLAS per (dtype, size); the seed configs; serialized vs clean."""
    lines = [f"{'dtype':5s} {'size':>15s} {'cuBLAS':>7s} {'best ours':>9s} {'%':>6s}  best config"]
    for res in results:
        for dtype in DTYPES:
            ks = {lab: e for lab, e in res["kernels"].items() if e["dtype"] == dtype and "tflops" in e}
            base = ks.get(baseline_label(dtype), {}).get("tflops")
            ours = {lab: e for lab, e in ks.items() if e["kind"] == "ours" and meta.get(lab, {}).get("variant") != "serialized"}
            if not ours:
                continue
            best = max(ours, key=lambda lab: ours[lab]["tflops"])
            pct = 100 * ours[best]["tflops"] / base if base else float("nan")
            lines.append(f"{dtype:5s} {res['size']:>15s} {base or float('nan'):7.1f} {ours[best]['tflops']:9.1f} "
                         f"{pct:5.1f}%  {best}")
    lines.append("")
    lines.append("serialized vs clean (same config), TFLOP/s:")
    for res in results:
        for lab, e in res["kernels"].items():
            if meta.get(lab, {}).get("variant") != "serialized" or "tflops" not in e:
                continue
            clean = lab.replace(" SER", "")
            ce = res["kernels"].get(clean, {})
            if "tflops" in ce:
                lines.append(f"  {clean:30s} {res['size']:>15s}: clean {ce['tflops']:7.1f}  serialized {e['tflops']:7.1f}  "
                             f"slowdown {ce['tflops'] / e['tflops']:.2f}x")
    bad = [(res["size"], lab) for res in results for lab, e in res["kernels"].items() if not e["passed"]]
    lines.append("")
    lines.append("ALL CHECKS PASSED" if not bad else f"CHECK FAILURES: {bad}")
    return lines


def plot(results: list[dict], meta: dict, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dtypes = [d for d in DTYPES if any(e["dtype"] == d for r in results for e in r["kernels"].values())]
    fig, axes = plt.subplots(1, len(dtypes), figsize=(6 * len(dtypes), 4.8), squeeze=False)
    square = all(r["m"] == r["n"] == r["k"] for r in results)
    sizes = [r["m"] for r in results] if square else list(range(len(results)))
    for ax, dtype in zip(axes[0], dtypes):
        labels = sorted({lab for r in results for lab, e in r["kernels"].items() if e["dtype"] == dtype})

        def series(lab):
            return [r["kernels"].get(lab, {}).get("tflops", float("nan")) for r in results]

        best = []
        for r in results:
            vals = [e["tflops"] for lab, e in r["kernels"].items()
                    if e["dtype"] == dtype and e["kind"] == "ours" and "tflops" in e
                    and meta.get(lab, {}).get("variant") != "serialized"]
            best.append(max(vals) if vals else float("nan"))
        for lab in labels:
            m = meta.get(lab, {})
            if lab.startswith("cuBLAS"):
                ax.plot(sizes, series(lab), "k-" if "f32out" not in lab else "k--", lw=2.5, marker="s", label=lab)
            elif m.get("variant") == "serialized":
                ax.plot(sizes, series(lab), ":", lw=1.5, marker="x", label=lab)
            elif m.get("role") in ("seed", "main"):
                ax.plot(sizes, series(lab), "-", lw=1.3, marker="o", label=lab)
            else:
                ax.plot(sizes, series(lab), "-", lw=0.7, color="0.75")
        ax.plot(sizes, best, "r-", lw=2.5, marker="o", label="ours: best config", alpha=0.7)
        if square:
            ax.set_xscale("log", base=2)
        ax.set_xticks(sizes)
        ax.set_xticklabels([str(s) for s in sizes] if square else [r["size"] for r in results],
                           rotation=0 if square else 20, fontsize=8)
        ax.set_xlabel("M = N = K" if square else "M x N x K")
        ax.set_ylabel("TFLOP/s (mean of middle 50 samples)")
        ax.set_title(f"{dtype}")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# -- main -------------------------------------------------------------------------------------------
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", nargs="?", default=str(ROOT / ".gpu_build"))
    ap.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="S (= SxSxS) or MxNxK, comma-separated")
    ap.add_argument("--dtypes", default="tf32,bf16,f16")
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--flush-mb", type=int, default=256)
    ap.add_argument("--sleep-cycles", type=int, default=SLEEP_CYCLES)
    ap.add_argument("--roles", default="seed,main,variant,tune", help="manifest roles to include")
    ap.add_argument("--only", help="comma-separated kernel names (manifest 'name') to include")
    ap.add_argument("--passed", help="check_gpu.py's JSON: time only kernels that passed there")
    ap.add_argument("--no-f32out", action="store_true", help="skip cuBLAS with float32 output")
    ap.add_argument("--also-one-block-per-tile", action="store_true",
                    help="also time the seed and main kernels launched with one block per tile (not persistent)")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--out", default=os.environ.get("OUT") or ".")
    ap.add_argument("--tag", default="")
    args = ap.parse_args(argv)

    rt = _import_runtime()
    import torch

    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    torch.zeros(1, device="cuda")  # torch makes the primary context first; the runtime shares it
    directory = Path(args.dir)
    manifest = json.loads((directory / "manifest.json").read_text())
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = "gemm_bench" + (f"_{args.tag}" if args.tag else "")
    text_log: list[str] = []

    def log(line: str = ""):
        print(line, flush=True)
        text_log.append(line)

    dtypes = [d for d in args.dtypes.split(",") if d]
    roles = set(args.roles.split(","))
    passed_names = None
    if args.passed and Path(args.passed).exists():
        data = json.loads(Path(args.passed).read_text())
        passed_names = {r["kernel"] for r in data["results"]
                        if not r.get("error") and r.get("checks") and all(c["passed"] for c in r["checks"])}
    env = environment(torch, rt, manifest)
    log(f"{env['card']}, driver {env['driver_version']}, torch {env['torch']} (CUDA {env['torch_cuda']}), "
        f"cuBLAS {env['cublas_packages']}, ptxas {env['ptxas']}")

    kernels, meta, skipped = [], {}, []
    for d in manifest["kernels"]:
        if d["dtype"] not in dtypes or d.get("accumulate_c") or d.get("role", "tune") not in roles:
            continue
        if args.only and d["name"] not in args.only.split(","):
            continue
        if passed_names is not None and d["name"] not in passed_names:
            skipped.append(f"{d['name']}: did not pass check_gpu")
            continue
        info = rt.KernelInfo.from_dict(d)
        label = kernel_label(d)
        try:
            kernel = rt.load((directory / d.get("cubin", f"{d['name']}.cubin")).read_bytes(), info=info)
        except rt.CudaError as e:
            skipped.append(f"{d['name']}: {e}")
            continue
        kernels.append(Ours(rt, kernel, info, label))
        meta[label] = {**d, "label": label, "registers_loaded": kernel.registers, "persistent": True}
        if args.also_one_block_per_tile and d.get("role") in ("main", "seed"):
            kernels.append(Ours(rt, kernel, info, label + " 1/tile", persistent=False))
            meta[label + " 1/tile"] = {**d, "label": label + " 1/tile", "registers_loaded": kernel.registers,
                                       "persistent": False}
    for s in skipped:
        log(f"skipped {s}")
    f32out = not args.no_f32out and f32out_supported(torch)
    for d in dtypes:
        if any(k.dtype == d for k in kernels):
            kernels.append(Cublas(d))
            meta[f"cuBLAS {d}"] = {"label": f"cuBLAS {d}", "role": "cublas"}
            if f32out and d != "tf32":
                kernels.append(Cublas(d, f32out=True))
                meta[f"cuBLAS {d} f32out"] = {"label": f"cuBLAS {d} f32out", "role": "cublas"}
    log(f"{sum(k.kind == 'ours' for k in kernels)} of our kernels, {sum(k.kind == 'cublas' for k in kernels)} cuBLAS")

    results = []
    for size in parse_sizes(args.sizes):
        t0 = time.perf_counter()
        res = bench_size(torch, rt, kernels, size, args, log)
        results.append(res)
        log(f"size {size_label(size)} done in {time.perf_counter() - t0:.1f} s ({res['timed_wall_s']:.1f} s timed)")
        Path(out_dir / f"{stem}.json").write_text(json.dumps(
            {"env": env, "args": vars(args), "kernels": meta, "skipped": skipped, "results": results}, indent=1))
    env["nvidia_smi_after"] = smi("clocks.sm,clocks.mem,temperature.gpu,power.draw")
    (out_dir / f"{stem}.json").write_text(json.dumps(
        {"env": env, "args": vars(args), "kernels": meta, "skipped": skipped, "results": results}, indent=1))
    try:
        plot(results, meta, out_dir / f"{stem}.png",
             f"{env['card']}, driver {env['driver_version']}, torch {env['torch']}, ptxas {env['ptxas']}; "
             f"mean of middle 50 of {args.rounds} samples, L2 flushed")
    except Exception as e:  # noqa: BLE001 - the numbers matter more than the picture
        log(f"plot failed: {type(e).__name__}: {e}")
    table = table_rows(results, meta)
    summary = summary_rows(results, meta)
    (out_dir / f"{stem}.txt").write_text("\n".join(text_log + table + [""] + summary) + "\n")
    print("\n".join(table))
    print()
    print("\n".join(summary))
    return 0 if all(e["passed"] for r in results for e in r["kernels"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
