"""`exo_gpu.tune(m, n, k, dtype, ...)` / `exo-gpu tune`: pick the fastest schedule of a GEMM.

1. enumerate candidate schedules (`space.candidates`, or the caller's list);
2. compile them in parallel on the CPU through the litmus executor (local processes by
   default, Dask given a scheduler address or `local:N`); those our checks or the guard
   reject are reported, not timed (`compile_stage`);
3. on the GPU, check each against float64 and time it, cold L2, CUDA events, median; one
   worker process per visible GPU (`gpu_stage`);
4. keep the fastest that passed and store it in the tune cache, keyed by (GPU, dtype, C
   dtype, layouts, shape class, ptxas version) (`cache`), where `exo_gpu.matmul` finds it.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import asdict, dataclass, field

from exo_gpu.errors import ExoGpuError, check_bool, check_choice, check_int, is_cli, option
from exo_gpu.ptxas import toolchain
from exo_gpu.tuner import cache as tune_cache
from exo_gpu.tuner import compile_stage, gpu_stage, space


class TuneError(ExoGpuError):
    """Bad tuner input, or no GPU for the timing stage: one line naming the input and the fix."""


DEFAULT_C_DTYPE = {"tf32": "f32", "bf16": "bf16", "f16": "f16", "e4m3": "bf16", "e5m2": "bf16"}


@dataclass
class TuneResult:
    """What a tune tried and chose."""

    problem: space.Problem
    key: tune_cache.TuneKey | None  # None with compile_only
    rows: list[dict]  # one per candidate: config, label, status, reason, registers, check, times
    best: dict | None  # the winning row, or None
    cache_file: str | None = None
    executor: str = ""
    gpus: list[str] = field(default_factory=list)
    compile_seconds: float = 0.0
    gpu_seconds: float = 0.0

    def to_json(self) -> dict:
        return {"problem": asdict(self.problem), "shape_class": self.problem.shape_class(),
                "key": asdict(self.key) if self.key else None, "best": self.best, "cache_file": self.cache_file,
                "executor": self.executor, "gpus": self.gpus, "compile_seconds": round(self.compile_seconds, 3),
                "gpu_seconds": round(self.gpu_seconds, 3), "rows": self.rows}

    def table(self) -> str:
        """The candidates tried, one line each; `*` marks the one kept."""
        head = f"{'':1} {'#':>3}  {'config':<24} {'compile':<9} {'regs':>4}  {'check':<14} {'median ms':>9}  {'TFLOP/s':>7}  note"
        lines = [head]
        for r in self.rows:
            mark = "*" if self.best is not None and r["index"] == self.best["index"] else " "
            check = r.get("check") or "-"
            if r.get("rel_err") is not None:
                check += f" {r['rel_err']:.1e}"
            ms = f"{r['median_ms']:.4f}" if r.get("median_ms") is not None else "-"
            tf = f"{r['tflops']:.1f}" if r.get("tflops") is not None else "-"
            note = (r.get("reason") or "")[:100]
            lines.append(f"{mark} {r['index']:>3}  {r['label']:<24} {r['status']:<9} {r.get('registers') or '-':>4}  "
                         f"{check:<14} {ms:>9}  {tf:>7}  {note}")
        p = self.problem
        summary = (f"{p.m}x{p.n}x{p.k} {p.dtype} -> {p.c_dtype} (A {p.layout_a}, B {p.layout_b}, class "
                   f"{p.shape_class()}): {len(self.rows)} candidates, "
                   f"{sum(r['status'] == 'ok' for r in self.rows)} compiled clean in {self.compile_seconds:.1f} s "
                   f"({self.executor})")
        if self.gpus:
            summary += f", {sum(r.get('check') == 'ok' for r in self.rows)} passed the check on " \
                       f"{len(self.gpus)} GPU(s) in {self.gpu_seconds:.1f} s"
        if self.best is not None and self.best.get("median_ms") is not None:
            summary += (f"; best {self.best['label']}: {self.best['median_ms']:.4f} ms, "
                        f"{self.best['tflops']:.1f} TFLOP/s")
        if self.cache_file:
            summary += f"; cached in {self.cache_file}"
        return "\n".join(lines + [summary])


def _progress(total: int, desc: str, force: bool | None):
    """A tqdm bar on stderr: shown on a TTY, or always with force=True (or EXO_GPU_PROGRESS)."""
    if force is False:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    show = force or sys.stderr.isatty() or bool(os.environ.get("EXO_GPU_PROGRESS"))
    return tqdm(total=total, desc=desc, file=sys.stderr, unit="kernel", disable=not show, leave=True)


def check_problem(m, n, k, dtype, c_dtype, layout_a, layout_b) -> space.Problem:
    """The problem from the caller's arguments, or a TuneError naming the bad one."""
    try:
        for name, value in (("m", m), ("n", n), ("k", k)):
            check_int(name, value, 1, 2**31 - 1, "rows/columns of the GEMM")
        check_choice("dtype", dtype, space.DTYPES)
        check_choice("c_dtype", c_dtype, space.C_DTYPES)
        check_choice("layout_a", layout_a, ("row", "col"))
        check_choice("layout_b", layout_b, ("row", "col"))
    except ExoGpuError as e:
        raise TuneError(str(e)) from None
    if dtype not in ("bf16", "f16") and (layout_a, layout_b) != ("row", "col"):
        raise TuneError(f"{dtype} wgmma reads A and B K-major only: use {option('layout_a', 'row')} and "
                        f"{option('layout_b', 'col')}")
    eb = space.ELEM_BYTES[dtype]
    for what, size, needs in (("k", k, layout_a == "row" or layout_b == "col"), ("m", m, layout_a == "col"),
                              ("n", n, layout_b == "row")):
        if needs and (size * eb) % 16:
            raise TuneError(f"{option(what, size)} gives {size * eb}-byte rows of a {dtype} operand; TMA needs a "
                            f"multiple of 16 bytes; fix: pad {what} to a multiple of {16 // eb}")
    return space.Problem(m, n, k, dtype, c_dtype, layout_a, layout_b)


def _gpus() -> tuple[list[str], str, int]:
    """(CUDA_VISIBLE_DEVICES values, GPU name, SMs) for the timing stage, or TuneError."""
    from exo_gpu.gpu.runtime import CudaError

    instead = "--compile-only" if is_cli() else "compile_only=True"
    try:
        gpus = gpu_stage.visible_gpus()
        name, cc = gpu_stage.gpu_name(0), gpu_stage.compute_capability(0)
        sms = gpu_stage.sm_count(0)
    except CudaError as e:
        raise TuneError(f"no GPU for the timing stage ({e}); fix: run on a machine with a Hopper GPU, or pass "
                        f"{instead} to compile the candidates only") from None
    if cc[0] != 9:
        raise TuneError(f"the GPU {name} is sm_{cc[0]}{cc[1]}, not Hopper (sm_90a): the kernels cannot run there; fix: "
                        f"run on an H100/H200, or pass {instead}")
    return gpus, name, sms


def _row(c: dict) -> dict:
    return {"index": c["index"], "config": c["config"], "label": space.label(c["config"]), "status": c["status"],
            "reason": c["reason"], "registers": c["registers"], "ptxas": c["ptxas"],
            "compile_seconds": round(c["seconds"], 3), "check": None, "rel_err": None, "median_ms": None,
            "min_ms": None, "tflops": None}


def tune(m: int, n: int, k: int, dtype: str = "bf16", *, c_dtype: str | None = None, layout_a: str = "row",
         layout_b: str = "col", jobs: int | None = None, scheduler=None, cache: str | None = None,
         cuda: str = toolchain.DEFAULT_CUDA, ptxas: str | None = None, space_name: str = "default",
         candidates: list[dict] | None = None, runs: int = 20, warmup: int = 3, seed: int = 0,
         compile_only: bool = False, progress: bool | None = None) -> TuneResult:
    """Tune the GEMM C (M x N, c_dtype) = A (M x K) @ B (K x N) of `dtype` inputs (see the
    module docstring).  jobs: local compile processes (default: one per CPU); scheduler: a
    Dask address or "local:N"; cache: the tune cache folder; candidates: gemm() keyword dicts
    to try instead of the space; compile_only: stop after the compile stage (no GPU, nothing
    cached).  progress: None = a bar on a TTY, True = always, False = never."""
    c_dtype = DEFAULT_C_DTYPE.get(dtype, "f32") if c_dtype is None else c_dtype
    problem = check_problem(m, n, k, dtype, c_dtype, layout_a, layout_b)
    jobs = (os.cpu_count() or 1) if jobs is None else jobs
    try:
        check_int("jobs", jobs, 1, 4096, "compile processes")
        check_int("runs", runs, 1, 100000, "timed samples")
        check_int("warmup", warmup, 0, 100000, "untimed launches")
        check_choice("space", space_name, space.SPACES)
        check_bool("compile_only", compile_only)
    except ExoGpuError as e:
        raise TuneError(str(e)) from None
    folder = None if compile_only else str(tune_cache.check_folder(cache, create=False))
    gpus, gpu, sms = ([], "", space.DEFAULT_SMS) if compile_only else _gpus()
    configs = candidates if candidates is not None else space.candidates(problem, sms, space_name)
    if not configs or not all(isinstance(c, dict) for c in configs):
        raise TuneError("no candidates to try: give a non-empty list of dicts of exo_gpu.gemm() arguments")
    # the problem's types and layouts, whatever a given candidate says: the choice is cached under them
    fixed = dict(dtype=dtype, c_dtype=c_dtype, layout_a=layout_a, layout_b=layout_b)
    configs = [{**c, **fixed} for c in configs]
    version = toolchain.ptxas(cuda, ptxas).version
    rows, compile_seconds, executor_name = _compile(configs, cuda, ptxas, jobs, scheduler, progress)
    result = TuneResult(problem, None, rows, None, executor=executor_name, compile_seconds=compile_seconds)
    if compile_only:
        _keep_best(result, None)
        return result
    result.key = tune_cache.TuneKey(gpu, dtype, c_dtype, layout_a, layout_b, problem.shape_class(), version)
    result.gpus = gpus
    _measure(result, problem, gpus, runs, warmup, seed, progress)
    _keep_best(result, folder)
    return result


def _compile(configs, cuda, ptxas, jobs, scheduler, progress) -> tuple[list[dict], float, str]:
    from exo_gpu.ptxas.litmus.executor import make_executor

    executor = make_executor(jobs, scheduler)
    bar = _progress(len(configs), "compiling", progress)
    start = time.perf_counter()
    try:
        compiled = compile_stage.compile_all(configs, cuda, executor, ptxas,
                                             (lambda r: bar.update(1)) if bar is not None else None)
    finally:
        executor.close()
        if bar is not None:
            bar.close()
    seconds = time.perf_counter() - start
    rows = [_row(c) for c in compiled]
    for row, c in zip(rows, compiled):
        row["_cubin"], row["_info"] = c["cubin"], c["info"]
    return rows, seconds, executor.name


def _measure(result: TuneResult, problem: space.Problem, gpus, runs, warmup, seed, progress) -> None:
    ok = [{"index": r["index"], "cubin": r["_cubin"], "info": r["_info"]} for r in result.rows if r["status"] == "ok"]
    bar = _progress(len(ok), f"timing on {len(gpus)} GPU(s)", progress)
    start = time.perf_counter()
    try:
        measured = gpu_stage.measure_all(ok, problem.m, problem.n, problem.k, gpus, runs, warmup, seed,
                                         (lambda r: bar.update(1)) if bar is not None else None)
    finally:
        if bar is not None:
            bar.close()
    result.gpu_seconds = time.perf_counter() - start
    for row in result.rows:
        got = measured.get(row["index"])
        if got is not None:
            row.update(check=got["check"], rel_err=got["rel_err"], median_ms=got["median_ms"],
                       min_ms=got["min_ms"], tflops=got["tflops"], device=got["device"])
            if got["reason"]:
                row["reason"] = got["reason"]


def _keep_best(result: TuneResult, folder: str | None) -> None:
    """Choose the fastest row that passed its check, store it, drop the cubins from the rows."""
    passed = [r for r in result.rows if r.get("check") == "ok" and r.get("median_ms") is not None]
    best = min(passed, key=lambda r: r["median_ms"]) if passed else None
    if best is not None and result.key is not None:
        entry = {"config": best["config"], "label": best["label"], "median_ms": best["median_ms"],
                 "tflops": best["tflops"], "problem": asdict(result.problem), "info": best["_info"],
                 "cubin": best["_cubin"], "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                 "tried": [{k: v for k, v in r.items() if not k.startswith("_")} for r in result.rows]}
        result.cache_file = str(tune_cache.store(result.key, entry, folder))
        from exo_gpu.gpu.matmul import clear_cache

        clear_cache()
    for r in result.rows:
        r.pop("_cubin", None)
        r.pop("_info", None)
    result.best = best
