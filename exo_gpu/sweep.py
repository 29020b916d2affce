"""`exo-gpu sweep`: compile a grid of GEMM configurations through the full pipeline and the
guard, in parallel, and record what ptxas did with each.

Each configuration is compiled once per CUDA version.  A configuration our own checks reject
(verifiers, register or shared-memory budgets) never reaches ptxas and is counted as
`rejected` with its reason; one that ptxas assembles is `clean` when the guard finds nothing
(no serialization code, no extra DEPBAR, no extra gsb0, no local memory) and `failed` with
the guard's findings otherwise.
"""

from __future__ import annotations

import itertools
import json
import os
import statistics
import sys
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field

from exo_gpu.ptxas import guard, toolchain
from exo_gpu.errors import ExoGpuError

DTYPES = ("tf32", "f16", "bf16", "e4m3", "e5m2")

_N3 = (64, 128, 256)


def _features() -> list[dict]:
    """The options beyond the base kernel, each over dtypes, N, tiles and what it combines with."""
    grid: list[dict] = []
    base = dict(stages=4)
    # Ping-pong consumers (two warpgroups taking whole tiles in turn).
    grid += [dict(base, dtype=d, wgmma_n=n, tiles_per_warpgroup=t, consumers=2, wait_depth=w, schedule="pingpong")
             for d, n, t, w in itertools.product(DTYPES, (64, 128, 192, 256), (1, 2), (0, 1))]
    # C stored as bf16 or f16.
    grid += [dict(base, dtype=d, wgmma_n=n, tiles_per_warpgroup=t, c_dtype=c)
             for d, c, n, t in itertools.product(("tf32", "bf16", "f16"), ("bf16", "f16"), _N3, (1, 2))]
    # Split-K.
    grid += [dict(base, dtype=d, wgmma_n=n, tiles_per_warpgroup=t, split_k=k)
             for d, k, n, t in itertools.product(DTYPES, (2, 4), _N3, (1, 2))]
    # A from registers (RS wgmma).
    grid += [dict(base, dtype=d, wgmma_n=n, tiles_per_warpgroup=t, wait_depth=w, a_in_registers=True)
             for d, n, t, w in itertools.product(DTYPES, _N3, (1, 2), (0, 1))]
    # MN-major A and/or B (f16, bf16: wgmma's transpose bits).
    grid += [dict(base, dtype=d, wgmma_n=n, tiles_per_warpgroup=t, consumers=c, layout_a=la, layout_b=lb)
             for d, (la, lb), n, t, c in itertools.product(("bf16", "f16"), (("col", "col"), ("row", "row"), ("col", "row")),
                                                          _N3, (1, 2), (1, 2))]
    # f16 accumulators (f16 and fp8 inputs).
    grid += [dict(base, dtype=d, wgmma_n=n, tiles_per_warpgroup=t, wait_depth=w, accumulator="f16")
             for d, n, t, w in itertools.product(("f16", "e4m3", "e5m2"), _N3, (1, 2, 4), (0, 1))]
    # Clusters of two with TMA multicast, along N (A shared) and along M (B shared).
    grid += [dict(base, dtype=d, wgmma_n=n, tiles_per_warpgroup=t, **cluster)
             for d, cluster, n, t in itertools.product(DTYPES, ({"cluster_n": 2}, {"cluster_m": 2}), _N3, (1, 2))]
    return grid


# Named grids: lists of gemm() keyword sets.
GRIDS = {
    # Every dtype x a spread of wgmma N x 1..4 tiles x 1..2 consumers x wait depth 0/1, then
    # every other option (ping-pong, C type, split-K, A in registers, layouts, f16
    # accumulators, clusters) over dtypes, N and tiles.
    "default": [
        dict(dtype=d, wgmma_n=n, tiles_per_warpgroup=t, consumers=c, wait_depth=w, stages=4)
        for d, n, t, c, w in itertools.product(DTYPES, (8, 16, 32, 64, 96, 128, 192, 256), (1, 2, 3, 4), (1, 2), (0, 1))
    ] + _features(),
    # A handful for CI: one per dtype, plus one of each kind of rejection.
    "smoke": [
        *(dict(dtype=d, wgmma_n=64, tiles_per_warpgroup=2, consumers=2, wait_depth=1, stages=4) for d in DTYPES),
        dict(dtype="bf16", wgmma_n=256, tiles_per_warpgroup=2, consumers=2, wait_depth=1, stages=3),  # registers
        dict(dtype="bf16", wgmma_n=256, tiles_per_warpgroup=4, consumers=2, wait_depth=1, stages=4),  # smem
    ],
    # One configuration per option beyond the base kernel.
    "features": [
        dict(dtype="bf16", wgmma_n=128, tiles_per_warpgroup=2, schedule="pingpong"),
        dict(dtype="bf16", wgmma_n=256, tiles_per_warpgroup=1, wait_depth=0, c_dtype="bf16"),
        dict(dtype="tf32", wgmma_n=128, split_k=4),
        dict(dtype="f16", wgmma_n=128, a_in_registers=True),
        dict(dtype="bf16", wgmma_n=128, layout_a="col", layout_b="row"),
        dict(dtype="e4m3", wgmma_n=128, accumulator="f16"),
        dict(dtype="tf32", wgmma_n=128, cluster_n=2),
        dict(dtype="bf16", wgmma_n=128, cluster_m=2),
    ],
}


@dataclass
class Outcome:
    """What happened to one configuration with one ptxas."""

    config: dict
    cuda: str
    status: str  # clean | failed | rejected
    reason: str = ""
    ptxas: str = ""
    codes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    registers: int | None = None
    smem_bytes: int | None = None
    stack: int | None = None
    shape: dict = field(default_factory=dict)
    passes_seconds: float = 0.0
    assemble_seconds: float = 0.0


def load_grid(name_or_file: str) -> list[dict]:
    if name_or_file in GRIDS:
        return GRIDS[name_or_file]
    try:
        with open(name_or_file) as f:
            grid = json.load(f)
    except OSError as e:
        raise ExoGpuError(f"grid '{name_or_file}' is neither a named grid ({', '.join(GRIDS)}) "
                          f"nor a readable file ({e.strerror}); give one of those names or a JSON grid file") from None
    except json.JSONDecodeError as e:
        raise ExoGpuError(f"{name_or_file}: not JSON ({e.msg} at line {e.lineno}): a grid file is a "
                          "list of objects of exo_gpu.gemm() arguments") from None
    if not isinstance(grid, list) or not all(isinstance(c, dict) for c in grid):
        raise ExoGpuError(f"{name_or_file}: a grid file is a JSON list of objects of exo_gpu.gemm() arguments")
    if not grid:
        raise ExoGpuError(f"{name_or_file}: the grid is empty; list at least one object of exo_gpu.gemm() "
                          'arguments, e.g. [{"dtype": "bf16", "wgmma_n": 128}]')
    _check_keys(grid, name_or_file)
    return grid


def _check_keys(grid: list[dict], where: str) -> None:
    """Every key of every configuration is an exo_gpu.gemm() argument (a typo is not ignored)."""
    import inspect

    from exo_gpu.compiler import gemm

    known = set(inspect.signature(gemm).parameters)
    for i, config in enumerate(grid, 1):
        unknown = sorted(set(config) - known)
        if unknown:
            raise ExoGpuError(f"{where}: configuration {i} has unknown key(s) {', '.join(map(repr, unknown))}; fix: "
                              f"use exo_gpu.gemm() arguments ({', '.join(sorted(known))})")


def compile_one(config: dict, cuda: str) -> Outcome:
    """Compile one configuration (in a worker process)."""
    from exo_gpu.compiler import CompileError, compile, gemm
    from exo_gpu.errors import use_api_spelling

    use_api_spelling()  # a grid entry holds gemm() keywords, not flags
    try:
        result = compile(gemm(**config), cuda=cuda, downgrade=True)
    except TypeError as e:
        return Outcome(config, cuda, "rejected", f"bad configuration: {e}")
    except CompileError as e:
        return Outcome(config, cuda, "rejected", str(e).strip().splitlines()[0])
    except guard.PtxasError as e:
        return Outcome(config, cuda, "failed", f"ptxas: {e}")
    out = Outcome(config, cuda, "clean", ptxas=result.ptxas.version if result.ptxas else "",
                  smem_bytes=result.smem_bytes, passes_seconds=result.passes_seconds,
                  assemble_seconds=result.assemble_seconds)
    for report in result.reports:
        out.codes += [d.code for d in report.codes]
        out.failures += report.failures
        out.registers, out.stack = report.registers, report.stack
        out.shape = {k: v for k, v in asdict(report.shape).items() if k != "hgmma_lines"}
    if out.failures:
        out.status, out.reason = "failed", "; ".join(out.failures)
    return out


def run(grid: list[dict], versions: list[str], jobs: int, progress=sys.stderr) -> list[Outcome]:
    # Fetch every toolchain once, before the workers race for it; name versions exactly.
    versions = [toolchain.ptxas(v).version for v in versions]
    toolchain.nvdisasm()
    tasks = [(c, v) for v in versions for c in grid]
    outcomes: list[Outcome] = []
    counts: Counter[str] = Counter()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(compile_one, c, v) for c, v in tasks]
        for done, future in enumerate(as_completed(futures), 1):
            outcome = future.result()
            outcomes.append(outcome)
            counts[outcome.status] += 1
            if progress is not None:
                bar = "#" * (30 * done // len(tasks))
                progress.write(f"\r[{bar:<30}] {done}/{len(tasks)}  clean {counts['clean']}  "
                               f"rejected {counts['rejected']}  failed {counts['failed']}")
                progress.flush()
    if progress is not None:
        progress.write("\n")
    key = lambda o: (o.cuda, json.dumps(o.config, sort_keys=True))  # noqa: E731
    return sorted(outcomes, key=key)


def _reason_class(reason: str) -> str:
    for needle, label in (("setmaxnreg budget", "register budget (check-register-budget)"),
                          ("shared memory", "shared-memory budget"),
                          ("setmaxnreg budgets need", "register file"),
                          ("wgmma N", "illegal wgmma shape")):
        if needle in reason:
            return label
    return reason.split(":")[0]


# Labels of what a configuration uses beyond the base kernel (cooperative, K-major A and B,
# f32 accumulators and C, one block per cluster, A from shared memory, no split-K).
_FEATURES = (
    ("schedule", "pingpong", "ping-pong"),
    ("layout_a", "col", "MN-major A"),
    ("layout_b", "row", "MN-major B"),
    ("accumulator", "f16", "f16 accumulators"),
    ("a_in_registers", True, "A in registers"),
    ("cluster_n", 2, "cluster 1x2"),
    ("cluster_m", 2, "cluster 2x1"),
)


def features(config: dict) -> str:
    """What a configuration exercises, e.g. 'ping-pong', 'split-K 4', or 'base'."""
    out = [label for key, value, label in _FEATURES if config.get(key) == value]
    if config.get("split_k", 1) > 1:
        out.append(f"split-K {config['split_k']}")
    if config.get("c_dtype", "f32") != "f32":
        out.append(f"{config['c_dtype']} C")
    if config.get("wait_depth") == 0:
        out.append("wait depth 0")
    return " + ".join(out) or "base"


def summary(outcomes: list[Outcome], grid_name: str) -> str:
    """A Markdown summary: per CUDA version and dtype, and compile-time cost."""
    lines = [f"# Sweep `{grid_name}`: {len({json.dumps(o.config, sort_keys=True) for o in outcomes})} "
             f"configurations x {len({o.cuda for o in outcomes})} ptxas versions", "",
             "Generated by `exo-gpu sweep`; do not edit by hand.", "",
             "| ptxas | dtype | compiled | clean | failed | rejected | serialization codes | extra DEPBAR | local memory |",
             "|---|---|---|---|---|---|---|---|---|"]
    groups: dict[tuple[str, str], list[Outcome]] = defaultdict(list)
    for o in outcomes:
        groups[(o.cuda, o.config.get("dtype", "?"))].append(o)
    for (ptxas, dtype), group in sorted(groups.items()):
        compiled = [o for o in group if o.status != "rejected"]
        serial = sum(1 for o in compiled if any(c in guard.SERIALIZATION_CODES for c in o.codes))
        depbar = sum(1 for o in compiled if any("extra WARPGROUP.DEPBAR" in f for f in o.failures))
        local = sum(1 for o in compiled if any("local memory" in f for f in o.failures))
        lines.append(f"| {ptxas} | {dtype} | {len(compiled)} | {sum(o.status == 'clean' for o in group)} | "
                     f"{sum(o.status == 'failed' for o in group)} | {sum(o.status == 'rejected' for o in group)} | "
                     f"{serial} | {depbar} | {local} |")
    lines += ["", "By what the configurations exercise (all ptxas versions together):", "",
              "| features | configurations | compiled | clean | failed | rejected |", "|---|---|---|---|---|---|"]
    by_feature: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by_feature[features(o.config)].append(o)
    for label, group in sorted(by_feature.items()):
        configs = len({json.dumps(o.config, sort_keys=True) for o in group})
        lines.append(f"| {label} | {configs} | {sum(o.status != 'rejected' for o in group)} | "
                     f"{sum(o.status == 'clean' for o in group)} | {sum(o.status == 'failed' for o in group)} | "
                     f"{sum(o.status == 'rejected' for o in group)} |")
    lines += ["", "Rejected before ptxas, by reason:", ""]
    reasons = Counter(_reason_class(o.reason) for o in outcomes if o.status == "rejected")
    lines += [f"- {label}: {n}" for label, n in reasons.most_common()] or ["- none"]
    failed = [o for o in outcomes if o.status == "failed"]
    lines += ["", f"Failed after ptxas: {len(failed)}", ""]
    lines += [f"- `{json.dumps(o.config, sort_keys=True)}` (ptxas {o.cuda}): {o.reason}" for o in failed[:50]]
    timed = [o for o in outcomes if o.status != "rejected"]
    if timed:
        ours = statistics.median(o.passes_seconds for o in timed)
        theirs = statistics.median(o.assemble_seconds for o in timed)
        slower = sum(o.passes_seconds > o.assemble_seconds for o in timed)
        lines += ["", "Compile time per kernel (median): our passes and PTX printing "
                  f"{ours * 1000:.0f} ms; ptxas -v + nvdisasm + guard {theirs * 1000:.0f} ms; "
                  f"kernels where our passes took longer: {slower} of {len(timed)}."]
    return "\n".join(lines) + "\n"


MAX_JOBS = 1024


def main(args) -> int:
    """`exo-gpu sweep`: every argument and output path is checked before the first compile;
    the outputs are written whole (a bad path never loses an hour of results)."""
    from exo_gpu.output import check_writable, write

    if not 0 <= args.jobs <= MAX_JOBS:
        raise ExoGpuError(f"--jobs {args.jobs}: give 1..{MAX_JOBS} parallel compiles, or 0 for one per CPU")
    versions = [v.strip() for v in args.cuda.split(",") if v.strip()]
    if not versions:
        raise ExoGpuError(f"--cuda '{args.cuda}' names no version; give comma-separated versions, "
                          f"e.g. --cuda {toolchain.DEFAULT_CUDA},13.x")
    for flag, path in (("--json", args.json), ("--summary", args.summary)):
        if path == "-":
            raise ExoGpuError(f"{flag} -: the summary already goes to standard output; give a file name")
        check_writable(path, flag)
    grid = load_grid(args.grid)
    outcomes = run(grid, versions, args.jobs or os.cpu_count() or 1,
                   progress=sys.stderr if sys.stderr.isatty() else None)
    text = summary(outcomes, args.grid)
    if args.json:
        write(args.json, json.dumps({"grid": args.grid, "versions": versions,
                                     "outcomes": [asdict(o) for o in outcomes]}, indent=1), "--json")
    if args.summary:
        write(args.summary, text, "--summary")
    sys.stdout.write(text)
    if all(o.status == "rejected" for o in outcomes):
        first = outcomes[0]
        raise ExoGpuError(f"grid {args.grid}: every configuration was rejected before ptxas (the first: "
                          f"{first.reason}); fix the grid's arguments")
    return 0 if not any(o.status == "failed" for o in outcomes) else 1
