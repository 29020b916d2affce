"""fp8 GEMM with per-tensor scales: exo_gpu.matmul against torch._scaled_mm (cuBLASLt).

One process on a Hopper GPU:

    python3 benchmarks/fp8_bench.py [--shapes 4096,8192,2048,8192x8192x1024] [--dtype e4m3]
        [--rounds 40] [--candidates quick|none] [--cuda system] [--json PATH]

For each shape M x N x K, A (M x K) row-major and B (K x N) column-major (B = W.t() of a
row-major N x K W, torch._scaled_mm's layout), fp8 inputs, float32 one-element scales on the
GPU, a bfloat16 D = (scale_a * scale_b) * (A @ B):

  1. correctness first, on fresh random inputs (|x| in [0.25, 4], either sign: never zeros)
     and random scales: every exo-gpu kernel (the one exo_gpu.matmul picks, and each candidate
     schedule) and cuBLASLt against a float64 reference computed on the GPU,
     ||D - ref|| / ||ref|| <= 1e-2, no NaN, no element off by more than 50 x 1e-2 x rms(ref);
     the same on an odd shape (777 x 1000 x 528) once, before the first shape.  A kernel
     that fails is not timed;
  2. `rounds` rounds, each running every kernel once in a fresh shuffled order; before each
     sample a 256 MiB buffer is zeroed (L2 is cold) and the GPU sleeps ~0.2 ms (so the
     host's call overhead does not land between the events), then CUDA events on the
     current stream bracket the call alone.  Reported: the median (and min) in ms, TFLOP/s =
     2 M N K / median, and % of cuBLASLt.

cuBLASLt runs twice: `torch._scaled_mm(a, b, scale_a, scale_b, out_dtype=torch.bfloat16)` (its
default, use_fast_accum=False, which promotes partial sums to full f32 every few K steps), and
with use_fast_accum=True (accumulation in the tensor core's own f32 accumulator, as the wgmma
kernels of exo-gpu do): that is the like-for-like peer, and "% of cuBLASLt" in the table is
against it; the default's TFLOP/s and % are in the JSON and the table too.

Candidates (--candidates quick): the tuner's quick space for the problem (tuner.space), plus
n256 with wait depth 1 and n128 x 2 tiles with wait depth 0 (--candidates default: the tuner's
whole default space, split-K left out); each compiles once (the pinned
or system ptxas, checked by the guard), is checked, then timed; "best" is the fastest that
passed.  Writes a JSON document (--json) with the versions (torch, CUDA, driver, cuBLAS, GPU,
ptxas, exo-gpu) and every measurement; prints a table.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import shuffled_rounds, smi  # noqa: E402  (a sibling script's module)

FLUSH_BYTES = 256 << 20
TOLERANCE = 1e-2
ELEMENT_FACTOR = 50
ODD_SHAPE = (777, 1000, 528)  # M and N not multiples of any tile; K a multiple of 16 (TMA's 16-byte stride)
DEFAULT_SHAPES = "4096x4096x4096,8192x8192x8192,2048x2048x2048,8192x8192x1024"
TORCH_FP8 = {"e4m3": "float8_e4m3fn", "e5m2": "float8_e5m2"}
CUBLAS, CUBLAS_FAST = "cuBLASLt", "cuBLASLt fast-accum"


def parse_shapes(text: str) -> list[tuple[int, int, int]]:
    """`4096,8192x8192x1024` -> [(4096, 4096, 4096), (8192, 8192, 1024)] (one size: a cube)."""
    shapes = []
    for item in (s.strip() for s in text.split(",")):
        if not item:
            continue
        parts = item.lower().split("x")
        if len(parts) not in (1, 3) or not all(p.isdigit() and int(p) > 0 for p in parts):
            raise ValueError(f"bad shape {item!r}: write N (a cube) or MxNxK with positive integers")
        m, n, k = (int(parts[0]),) * 3 if len(parts) == 1 else tuple(int(p) for p in parts)
        if k % 16:
            raise ValueError(f"shape {item}: K = {k} must be a multiple of 16 (fp8 rows of whole 16-byte units, "
                             "as TMA and cuBLASLt need)")
        shapes.append((m, n, k))
    if not shapes:
        raise ValueError("no shapes given")
    return shapes


def candidate_configs(m: int, n: int, k: int, dtype: str, sms: int, which: str) -> list[dict]:
    """exo_gpu.matmul config= dicts (schedule arguments only) to try besides its own choice."""
    if which == "none":
        return []
    from exo_gpu.tuner import space

    p = space.Problem(m, n, k, dtype, "bf16", "row", "col")
    base = space.candidates(p, sms, which)
    extra = []
    for c in base if which == "quick" else ():
        if c["wgmma_n"] == 256 and c["tiles_per_warpgroup"] == 1 and c.get("cluster_n", 1) == 1 \
                and c["schedule"] == "cooperative":
            extra.append({**c, "wait_depth": 1})
        if c["wgmma_n"] == 128 and c["tiles_per_warpgroup"] == 2 and c["schedule"] == "cooperative":
            extra.append({**c, "wait_depth": 0})
    fixed = ("dtype", "c_dtype", "layout_a", "layout_b")
    out, seen = [], set()
    for c in base + extra:
        if c.get("split_k", 1) != 1:  # the scales apply to the whole sum: no split-K
            continue
        c = {key: v for key, v in c.items() if key not in fixed}
        key = tuple(sorted(c.items()))
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def check(d, ref) -> dict:
    """Relative error of `d` against the float64 `ref`, and whether it passes."""
    diff = d.double() - ref
    norm = float(ref.norm())
    rel = float(diff.norm()) / norm if norm else math.inf
    rms = norm / math.sqrt(ref.numel())
    worst = float(diff.abs().max())
    ok = bool(not d.isnan().any()) and rel <= TOLERANCE and worst <= ELEMENT_FACTOR * TOLERANCE * rms
    return {"rel_err": rel, "max_abs_err_over_rms": worst / rms if rms else math.inf, "ok": ok}


# -- the GPU side (torch imported only here) ------------------------------------------------------
def inputs(torch, m: int, n: int, k: int, dtype: str, seed: int):
    """Fresh A (M x K, row-major), B (K x N, column-major) and scales; no element is zero."""
    gen = torch.Generator(device="cuda").manual_seed(seed)
    fp8 = getattr(torch, TORCH_FP8[dtype])

    def values(rows, cols):
        x = torch.rand(rows, cols, device="cuda", generator=gen) * 3.75 + 0.25
        sign = torch.randint(0, 2, (rows, cols), device="cuda", generator=gen) * 2 - 1
        return (x * sign).to(fp8)

    a, w = values(m, k), values(n, k)
    sa = torch.rand(1, device="cuda", generator=gen) * 1.5 + 0.25
    sb = torch.rand(1, device="cuda", generator=gen) * 1.5 + 0.25
    return a, w.t(), sa, sb


def implementations(torch, a, b, sa, sb, configs: dict, cuda: str, cache) -> dict:
    """{name: a function of no arguments returning D} for exo-gpu's kernels and cuBLASLt."""
    import exo_gpu

    def ours(config):
        return lambda: exo_gpu.matmul(a, b, scale_a=sa, scale_b=sb, out_dtype=torch.bfloat16, config=config,
                                      cuda=cuda, cache=cache)

    def scaled_mm(fast: bool):
        def run():
            d = torch._scaled_mm(a, b, scale_a=sa, scale_b=sb, out_dtype=torch.bfloat16, use_fast_accum=fast)
            return d[0] if isinstance(d, tuple) else d  # torch < 2.5 returned (D, amax)
        return run

    impls = {name: ours(config) for name, config in configs.items()}
    impls[CUBLAS] = scaled_mm(False)
    impls[CUBLAS_FAST] = scaled_mm(True)
    return impls


def kernel_configs(torch, a, b, candidates: list[dict], cuda: str, cache) -> tuple[dict, str, dict]:
    """({name: config or None}, the default's name, {name: compile error}) for exo-gpu: the
    kernel exo_gpu.matmul picks (config None) and the candidates that compile to another kernel."""
    from exo_gpu.errors import ExoGpuError
    from exo_gpu.gpu import matmul as mm
    from exo_gpu.tuner import space

    spec = mm._torch_spec(a, b, torch.bfloat16, None, cuda, cache, "scale_a")
    default = f"exo default [{spec.info.label()}]"
    configs, names, failed = {default: None}, {spec.info.name}, {}
    for c in candidates:
        name = f"exo {space.label(c)}"
        try:
            info = mm._torch_spec(a, b, torch.bfloat16, c, cuda, cache, "scale_a").info
        except ExoGpuError as e:
            failed[name] = str(e)
            continue
        if info.name not in names:
            names.add(info.name)
            configs[name] = c
    return configs, default, failed


def check_all(torch, impls: dict, a, b, sa, sb) -> dict:
    """Each implementation's check against float64 (a run-time error, e.g. cuBLASLt refusing
    e5m2 x e5m2, is recorded as a failed check with its message)."""
    ref = float(sa) * float(sb) * (a.double() @ b.double())
    out = {}
    for name, fn in impls.items():
        try:
            d = fn()
            torch.cuda.synchronize()
        except RuntimeError as e:
            out[name] = {"ok": False, "rel_err": math.inf, "error": str(e).strip().splitlines()[0][:300]}
            continue
        out[name] = check(d, ref)
    del ref
    return out


def bench_shape(torch, shape, args, candidates, flush, seed: int) -> dict:
    m, n, k = shape
    a, b, sa, sb = inputs(torch, m, n, k, args.dtype, seed)
    configs, default, failed = kernel_configs(torch, a, b, candidates, args.cuda, args.cache)
    impls = implementations(torch, a, b, sa, sb, configs, args.cuda, args.cache)
    checks = check_all(torch, impls, a, b, sa, sb)
    timed = {name: fn for name, fn in impls.items() if checks[name]["ok"]}
    times = shuffled_rounds(torch, timed, args.rounds, flush)
    flops = 2.0 * m * n * k
    row = {"m": m, "n": n, "k": k, "dtype": args.dtype, "out_dtype": "bf16", "scales": [float(sa), float(sb)],
           "default": default, "configs": {name: c for name, c in configs.items()}, "compile_failed": failed,
           "checks": checks, "kernels": {}}
    for name, ts in times.items():
        med = statistics.median(ts)
        row["kernels"][name] = {"median_ms": med, "min_ms": min(ts), "tflops": flops / (med * 1e-3) / 1e12}
    ours = [name for name in row["kernels"] if name.startswith("exo ")]
    row["best"] = min(ours, key=lambda x: row["kernels"][x]["median_ms"]) if ours else None
    for name in ours:
        for peer, key in ((CUBLAS_FAST, "pct_of_cublaslt_fast_accum"), (CUBLAS, "pct_of_cublaslt")):
            if peer in row["kernels"]:
                row["kernels"][name][key] = 100.0 * row["kernels"][name]["tflops"] / row["kernels"][peer]["tflops"]
    return row


def odd_check(torch, args, candidates) -> dict:
    """Every kernel on the odd shape (edges of tiles in M and N) against float64."""
    m, n, k = ODD_SHAPE
    a, b, sa, sb = inputs(torch, m, n, k, args.dtype, 12345)
    configs, _, failed = kernel_configs(torch, a, b, candidates, args.cuda, args.cache)
    impls = implementations(torch, a, b, sa, sb, configs, args.cuda, args.cache)
    impls = {name: fn for name, fn in impls.items() if not name.startswith(CUBLAS)}  # cuBLASLt needs N % 16 == 0
    return {"shape": list(ODD_SHAPE), "checks": check_all(torch, impls, a, b, sa, sb), "compile_failed": failed}


# -- report ---------------------------------------------------------------------------------------
def versions(torch, cuda: str) -> dict:
    import exo_gpu
    from exo_gpu.gpu import runtime
    from exo_gpu.ptxas import toolchain

    info = runtime.init(0)
    meta = {"gpu": torch.cuda.get_device_name(), "sms": info.sm_count, "driver": smi("driver_version"),
            "cuda_driver_api": info.driver_version, "torch": torch.__version__, "torch_cuda": torch.version.cuda,
            "exo_gpu": getattr(exo_gpu, "__version__", "?"), "python": platform.python_version(), "cuda": cuda}
    try:
        meta["ptxas"] = toolchain.ptxas(cuda).version
    except Exception as e:  # noqa: BLE001 - informative only
        meta["ptxas"] = f"? ({type(e).__name__})"
    get = getattr(torch._C, "_cuda_getCublasVersion", None)
    meta["cublas"] = int(get()) if get is not None else None
    return meta


def table(rows: list[dict]) -> str:
    """One line per shape: the default kernel, the best, both cuBLASLt runs, and percentages."""
    head = (f"{'shape':>18}  {'exo default':>11}  {'exo best':>9}  {'best kernel':<22}  {CUBLAS_FAST:>19}  "
            f"{CUBLAS:>9}  {'default %':>9}  {'best %':>7}  {'best % (no fast)':>16}")
    lines = [head, "-" * len(head)]
    for r in rows:
        kern = r["kernels"]

        def tf(name):
            return f"{kern[name]['tflops']:.1f}" if name in kern else "-"

        def pct(name, key):
            return f"{kern[name][key]:.1f}%" if name in kern and key in kern[name] else "-"

        best = r.get("best")
        lines.append(f"{r['m']}x{r['n']}x{r['k']}".rjust(18) + f"  {tf(r['default']):>11}  {tf(best):>9}  "
                     f"{(best or '-')[4:26]:<22}  {tf(CUBLAS_FAST):>19}  {tf(CUBLAS):>9}  "
                     f"{pct(r['default'], 'pct_of_cublaslt_fast_accum'):>9}  "
                     f"{pct(best, 'pct_of_cublaslt_fast_accum'):>7}  {pct(best, 'pct_of_cublaslt'):>16}")
    lines.append("TFLOP/s = 2MNK / median; % of cuBLASLt with use_fast_accum=True (the same accumulation as exo-gpu's "
                 "wgmma); the last column against torch._scaled_mm's default")
    return "\n".join(lines)


def failures(odd: dict, rows: list[dict]) -> list[str]:
    """exo-gpu's failed checks (cuBLASLt's are reported, not counted: it is the peer)."""
    def why(c):
        return c.get("error") or f"rel err {c['rel_err']:.2e}"

    bad = [f"odd {odd['shape']}: {name} {why(c)}" for name, c in odd["checks"].items()
           if not c["ok"] and name.startswith("exo ")]
    for r in rows:
        bad += [f"{r['m']}x{r['n']}x{r['k']}: {name} {why(c)}" for name, c in r["checks"].items()
                if not c["ok"] and name.startswith("exo ")]
    return bad


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 epilog="Needs a Hopper GPU, torch with float8 and torch._scaled_mm, and exo-gpu "
                                        "(xDSL and a ptxas: --cuda system is the machine's).")
    ap.add_argument("--shapes", default=DEFAULT_SHAPES, help=f"N or MxNxK, comma-separated (default {DEFAULT_SHAPES})")
    ap.add_argument("--dtype", default="e4m3", choices=sorted(TORCH_FP8), help="fp8 input type (default e4m3)")
    ap.add_argument("--rounds", type=int, default=40, help="timed rounds, shuffled (default 40)")
    ap.add_argument("--candidates", default="quick", choices=("quick", "default", "none"),
                    help="schedules to try besides exo_gpu.matmul's own choice: the tuner's quick space and two "
                         "more (default), its whole default space (20-32, about a minute more of compiles), none")
    ap.add_argument("--cuda", default="system", help="ptxas of exo-gpu's compiles (default system: the machine's)")
    ap.add_argument("--cache", help="tune cache folder (default: exo-gpu's)")
    ap.add_argument("--json", help="write the JSON document here")
    args = ap.parse_args(argv)
    try:
        shapes = parse_shapes(args.shapes)
    except ValueError as e:
        ap.error(str(e))
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    try:
        import torch
    except ImportError:
        print("fp8_bench: needs torch (with CUDA and torch._scaled_mm)", file=sys.stderr)
        return 2
    if not torch.cuda.is_available() or not hasattr(torch, "_scaled_mm"):
        print("fp8_bench: needs a CUDA GPU and torch._scaled_mm", file=sys.stderr)
        return 2
    started = time.time()
    meta = versions(torch, args.cuda)
    flush = torch.empty(FLUSH_BYTES, dtype=torch.uint8, device="cuda")
    odd = odd_check(torch, args, candidate_configs(*ODD_SHAPE, args.dtype, meta["sms"], args.candidates))
    print(f"odd shape {ODD_SHAPE}: " + ", ".join(f"{name} {c['rel_err']:.1e}{'' if c['ok'] else ' FAIL'}"
                                                for name, c in odd["checks"].items()), flush=True)
    rows = []
    for i, shape in enumerate(shapes):
        cands = candidate_configs(*shape, args.dtype, meta["sms"], args.candidates)
        row = bench_shape(torch, shape, args, cands, flush, seed=1000 + i)
        rows.append(row)
        best = row["best"]
        print(f"{shape}: best {best} {row['kernels'][best]['tflops']:.1f} TFLOP/s" if best else f"{shape}: none passed",
              flush=True)
    meta.update(rounds=args.rounds, seconds=round(time.time() - started, 1), date=time.strftime("%Y-%m-%d %H:%M:%S"),
                command=" ".join(sys.argv))
    doc = {"meta": meta, "odd_shape": odd, "rows": rows, "failures": failures(odd, rows)}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1)
    print(f"{meta['gpu']}, driver {meta['driver']}, torch {meta['torch']} (CUDA {meta['torch_cuda']}), "
          f"cuBLAS {meta['cublas']}, ptxas {meta['ptxas']}, {args.dtype} -> bf16, median of {args.rounds} rounds")
    print(table(rows))
    for r in rows:
        for name, c in r["checks"].items():
            if not c["ok"] and not name.startswith("exo "):
                print(f"peer not timed at {r['m']}x{r['n']}x{r['k']}: {name}: {c.get('error') or c['rel_err']}")
    for line in doc["failures"]:
        print("CHECK FAILED:", line)
    return 1 if doc["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
