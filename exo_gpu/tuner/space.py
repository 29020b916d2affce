"""What the autotuner tries, and what `exo_gpu.matmul` runs when nothing is tuned.

A *problem* is (M, N, K, input dtype, C dtype, A's and B's layouts).  A *candidate* is a dict
of `exo_gpu.gemm()` keyword arguments.  `candidates(problem)` enumerates a small space around
the kernels that won the benchmarks (benchmarks/RESULTS.md: n256 with one m64 tile per
consumer and wait depth 0, n128 with two tiles, ping-pong, 1x2 clusters on big shapes) plus,
for shapes with fewer output tiles than SMs, narrower blocks and split-K.  Every candidate
gets the most ring stages that fit in shared memory.  Configurations whose accumulators
cannot fit the register budget are left out; the rest that our checks or the guard reject
are reported by the tuner, not timed.

`shape_class` buckets a problem's M, N and K to the nearest power of two (in log scale):
the tuner's cache holds one choice per class.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from exo_gpu.dialects.tma import smem_layout
from exo_gpu.dialects.warpgroup import SMEM_LIMIT

DTYPES = ("tf32", "bf16", "f16", "e4m3", "e5m2")
C_DTYPES = ("f32", "bf16", "f16")
ELEM_BYTES = {"tf32": 4, "bf16": 2, "f16": 2, "e4m3": 1, "e5m2": 1}
DEFAULT_SMS = 132  # H100 SXM / H200: the SM count assumed where no GPU is asked
SPACES = ("default", "quick")
SWIZZLE = 128  # bytes of one row of a ring slot's tile (the 128-byte swizzle span)
MAX_ACC_ELEMENTS = 384  # tiles_per_warpgroup * wgmma_n above this cannot fit the 232-register budget


@dataclass(frozen=True)
class Problem:
    """One GEMM to tune or run: C (M x N, c_dtype) = A (M x K) @ B (K x N), inputs of `dtype`;
    layout_a row = K contiguous, col = M contiguous; layout_b col = K contiguous, row = N
    contiguous (exo_gpu.gemm's layouts)."""

    m: int
    n: int
    k: int
    dtype: str
    c_dtype: str = "f32"
    layout_a: str = "row"
    layout_b: str = "col"

    def shape_class(self) -> str:
        return shape_class(self.m, self.n, self.k)

    def flops(self) -> float:
        return 2.0 * self.m * self.n * self.k


def _pow2(x: int) -> int:
    return 1 << max(0, round(math.log2(max(1, x))))


def shape_class(m: int, n: int, k: int) -> str:
    """M, N and K each rounded to the nearest power of two in log scale: "4096x16384x4096"."""
    return f"{_pow2(m)}x{_pow2(n)}x{_pow2(k)}"


def block_m(config: dict) -> int:
    """Rows of a block's output tile: 64 per m64 tile, times the consumers when they cooperate."""
    coop = config.get("schedule", "cooperative") == "cooperative"
    return 64 * config["tiles_per_warpgroup"] * (config.get("consumers", 2) if coop else 1)


def most_stages(bm: int, bn: int) -> int:
    """The most ring stages (2..8) whose slots (A's bm and B's bn rows of 128 bytes each) fit
    in shared memory with the ring's barriers; 0 when not even 2 fit."""
    slot = (bm + bn) * SWIZZLE
    fits = [s for s in range(2, 9) if smem_layout([("ab", s, slot)])[1] <= SMEM_LIMIT]
    return max(fits, default=0)


def tiles(p: Problem, bm: int, bn: int) -> int:
    """Output tiles of the problem with bm x bn blocks."""
    return math.ceil(p.m / bm) * math.ceil(p.n / bn)


def _config(p: Problem, n: int, t: int, w: int, schedule: str = "cooperative", **extra) -> dict:
    c = dict(dtype=p.dtype, wgmma_n=n, tiles_per_warpgroup=t, consumers=2, wait_depth=w, schedule=schedule,
             c_dtype=p.c_dtype, layout_a=p.layout_a, layout_b=p.layout_b, **extra)
    c["stages"] = most_stages(block_m(c), n) or 2
    return c


def candidates(p: Problem, sms: int = DEFAULT_SMS, space: str = "default") -> list[dict]:
    """The candidate schedules of problem `p` on a GPU of `sms` SMs (see the module docstring)."""
    if space == "quick":
        out = [_config(p, 256, 1, 0), _config(p, 128, 2, 1), _config(p, 128, 2, 1, "pingpong")]
        if tiles(p, 128, 256) >= 2 * sms:
            out.append(_config(p, 256, 1, 0, cluster_n=2))
        return _unique(out)
    shapes = [(n, t) for n in (128, 192, 256) for t in (1, 2) if n * t <= MAX_ACC_ELEMENTS]
    small = tiles(p, 128, 256) < sms
    if small:
        shapes = [(64, 1), (64, 2)] + shapes
    out = [_config(p, n, t, w, s) for n, t in shapes for w in (0, 1) for s in ("cooperative", "pingpong")]
    if tiles(p, 128, 256) >= 2 * sms:  # big shapes: pairs of blocks along N share A (TMA multicast)
        out += [_config(p, n, t, w, cluster_n=2) for n, t in shapes for w in (0, 1)]
    if tiles(p, 128, 128) < sms and p.c_dtype == "f32":  # few tiles: split K over more blocks
        block_k = SWIZZLE // ELEM_BYTES[p.dtype]
        out += [_config(p, 128, t, 1, split_k=s) for t in (1, 2) for s in (2, 4) if p.k >= 2 * s * block_k]
    return _unique(out)


def _unique(configs: list[dict]) -> list[dict]:
    seen, out = set(), []
    for c in configs:
        key = tuple(sorted(c.items()))
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def default_config(p: Problem, sms: int = DEFAULT_SMS) -> dict:
    """What `exo_gpu.matmul` runs when the tuner has not chosen: the benchmarks' fastest
    (n256, one m64 tile per consumer, wait depth 0) when the problem has at least a wave of
    128 x 256 tiles, else 128 x 128 blocks with wait depth 1."""
    if tiles(p, 128, 256) >= sms:
        return _config(p, 256, 1, 0)
    return _config(p, 128, 1, 1)


def label(config: dict) -> str:
    """A short name of a candidate: `n256 T1 C2 s4 w0`, then pp, x2 (1x2 cluster), 2x1, k4 (split-K), rs."""
    s = (f"n{config['wgmma_n']} T{config['tiles_per_warpgroup']} C{config.get('consumers', 2)} "
         f"s{config.get('stages', 4)} w{config.get('wait_depth', 1)}")
    if config.get("schedule") == "pingpong":
        s += " pp"
    if config.get("cluster_n", 1) > 1:
        s += f" x{config['cluster_n']}"
    if config.get("cluster_m", 1) > 1:
        s += f" {config['cluster_m']}x1"
    if config.get("split_k", 1) > 1:
        s += f" k{config['split_k']}"
    if config.get("a_in_registers"):
        s += " rs"
    return s
