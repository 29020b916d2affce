"""Compile the benchmark GEMM configs to cubins (pinned ptxas) plus a manifest, for
`benchmarks/check_gpu.py` and `benchmarks/gemm_bench.py` to run on a GPU machine that has no xDSL.

    .venv/bin/python benchmarks/build_cubins.py [--out .gpu_build] [--set bench|tune|all|seed|diag]
                                                [--cuda 12.3] [--strict] [--ptx]

Writes OUT/<kernel>.cubin and OUT/manifest.json (--ptx: OUT/<kernel>.ptx too).  Each config
lists the stages to try, most first: a config whose ring does not fit shared memory, or whose
registers do not fit the budget (compile raises), falls back to the next, and a config with
no stage count that compiles is skipped with a message (--strict: an error).

Variants:
  clean       the default pipeline (peeled k = 0, immediate scale-d): a healthy wgmma pipeline.
  serialized  "schedule{scale_d=runtime},..." (run-time scale-d predicate, unpeeled): ptxas
              12.3 serializes every wgmma (C7515), assembled anyway with the guard downgraded,
              so the price of serialization can be measured next to the clean kernel.
A config may also name a raster group (rows of blocks launched together by the 1-D grouped
raster; the compiler's default is 8) and a ptxas version other than --cuda.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path


from xdsl.dialects.builtin import ModuleOp

from exo_gpu import compiler
from exo_gpu.dialects.warpgroup import DEFAULT_RASTER_GROUP
from exo_gpu.errors import ExoGpuError
from exo_gpu.passes import DEFAULT_PIPELINE
from exo_gpu.gpu.runtime import KernelInfo

SERIALIZED_PIPELINE = "schedule{scale_d=runtime},insert-syncs,lower-to-ptx,tie-loop-carried,assign-registers,check-register-budget,emit-ptx"
PIPELINES = {"clean": DEFAULT_PIPELINE, "serialized": SERIALIZED_PIPELINE}


@dataclass(frozen=True)
class Config:
    dtype: str
    n: int  # wgmma_n = block_n
    tiles: int  # m64 tiles per consumer warpgroup
    consumers: int
    stages: tuple[int, ...]  # to try, most first
    wait_depth: int = 1
    accumulate: bool = False
    raster: int | None = None  # None: the compiler's default (DEFAULT_RASTER_GROUP)
    variant: str = "clean"  # or "serialized"
    cuda: str | None = None  # None: --cuda
    role: str = "tune"  # seed | main | tune | variant | check: how the benchmark reports it
    cluster: int = 1  # blocks per cluster along N (A multicast)
    schedule: str = "cooperative"  # or pingpong
    c_dtype: str = "f32"  # C's element type in memory
    split_k: int = 1  # K ranges per output tile, added into C atomically (split-K)
    a_in_registers: bool = False  # RS wgmma: A fragments loaded into registers
    accumulator: str = "f32"  # wgmma accumulator type (f16: f16/fp8 inputs)
    layout_a: str = "row"  # A in global memory: row (K-major) or col (M-major)
    layout_b: str = "col"  # B in global memory: col (K-major) or row (N-major)
    cluster_m: int = 1  # blocks per cluster along M (B multicast)

    @property
    def block_m(self) -> int:
        return 64 * self.tiles * (self.consumers if self.schedule == "cooperative" else 1)

    def name(self, stages: int, cuda: str, default_cuda: str) -> str:
        """compiler.gemm's default name, plus _r<G> (raster group), _ser (serialized),
        _p<ptxas> (a ptxas other than the default) and _acc (C +=)."""
        s = f"gemm_{self.dtype}_m{self.block_m}n{self.n}_c{self.consumers}_s{stages}_w{self.wait_depth}"
        if self.schedule == "pingpong":
            s += "_pp"
        if self.c_dtype != "f32":
            s += f"_c{self.c_dtype}"
        if self.raster is not None:
            s += f"_r{self.raster}"
        if self.cluster > 1:
            s += f"_x{self.cluster}"
        if self.cluster_m > 1:
            s += f"_xm{self.cluster_m}"
        if self.split_k > 1:
            s += f"_k{self.split_k}"
        if self.a_in_registers:
            s += "_rs"
        s += ("_acol" if self.layout_a == "col" else "") + ("_brow" if self.layout_b == "row" else "")
        if self.accumulator != "f32":
            s += f"_acc{self.accumulator}"
        if self.variant == "serialized":
            s += "_ser"
        if cuda != default_cuda:
            s += "_p" + cuda.replace(".", "")
        return s + ("_acc" if self.accumulate else "")


def C(dtype, n, tiles, consumers, stages, **kw) -> Config:
    return Config(dtype, n, tiles, consumers, tuple(stages) if isinstance(stages, (tuple, list)) else (stages,), **kw)


SEED = [
    C("tf32", 96, 2, 2, 4, role="seed"),
    C("tf32", 128, 2, 2, 4, role="seed"),
]
MAIN = [
    C("bf16", 128, 2, 2, 4, role="main"),
    C("bf16", 256, 1, 2, (4, 3), role="main"),
    C("f16", 128, 2, 2, 4, role="main"),
    # The fastest of runs 2-8: n256, one m64 tile per warpgroup, wait depth 0; bf16 also
    # writing the bf16 C that cuBLAS writes.
    C("tf32", 256, 1, 2, 4, wait_depth=0, role="main"),
    C("bf16", 256, 1, 2, 4, wait_depth=0, role="main"),
    C("bf16", 256, 1, 2, 4, wait_depth=0, role="main", c_dtype="bf16"),
]
# The serialized twins of the clean kernels above (same config, run-time scale-d).
SERIALIZED = [
    C("tf32", 128, 2, 2, 4, variant="serialized", role="variant"),
    C("tf32", 96, 2, 2, 4, variant="serialized", role="variant"),
    C("bf16", 128, 2, 2, 4, variant="serialized", role="variant"),
    C("bf16", 256, 1, 2, 4, variant="serialized", role="variant"),
]
# Variations for speed: stages, wait depth, raster group, one tile per warpgroup, wider N.
TUNE = [
    C("tf32", 128, 2, 2, 3),
    C("tf32", 96, 2, 2, 5),
    C("tf32", 128, 2, 2, 4, wait_depth=0),
    C("tf32", 128, 2, 2, 4, raster=1),
    C("tf32", 128, 2, 2, 4, raster=4),
    C("tf32", 128, 2, 2, 4, raster=16),
    C("tf32", 128, 1, 2, (6, 5)),
    C("tf32", 256, 1, 2, (4, 3)),
    C("tf32", 192, 2, 2, (4, 3)),
    C("bf16", 128, 2, 2, 3),
    C("bf16", 128, 2, 2, 4, wait_depth=0),
    C("bf16", 128, 2, 2, 4, raster=1),
    C("bf16", 128, 2, 2, 4, raster=4),
    C("bf16", 128, 2, 2, 4, raster=16),
    C("bf16", 256, 1, 2, 4, raster=16),
    C("bf16", 256, 1, 2, 4, wait_depth=0),
    C("bf16", 128, 1, 2, (6, 5)),
    C("bf16", 192, 2, 2, (4, 3)),
    C("bf16", 256, 2, 1, (4, 3)),  # one consumer, two m64 tiles of n256 (256 accumulator regs: may not fit)
    # After run 1 (wait depth 0 helped n256 T1): n256 T1 with w0 and other rasters, f16 and tf32 too.
    C("bf16", 256, 1, 2, 4, wait_depth=0, raster=1),
    C("bf16", 256, 1, 2, 4, wait_depth=0, raster=4),
    C("bf16", 256, 1, 2, 4, wait_depth=0, raster=16),
    C("bf16", 256, 1, 2, 4, wait_depth=0, cuda="13.5"),
    C("tf32", 256, 1, 2, 4, wait_depth=0),
    C("tf32", 256, 1, 2, 4, raster=1),
    C("f16", 256, 1, 2, 4),
    C("f16", 256, 1, 2, 4, wait_depth=0),
    # The same configs through a CUDA 13 ptxas.
    C("tf32", 128, 2, 2, 4, cuda="13.5"),
    C("bf16", 128, 2, 2, 4, cuda="13.5"),
    C("bf16", 256, 1, 2, 4, cuda="13.5"),
]
CHECK = [C("tf32", 128, 2, 2, 4, accumulate=True, role="check")]  # the C += epilogue (correctness)

# The fastest configuration of each dtype (n256, one m64 tile per warpgroup, wait depth 0),
# and the seed-shaped bf16 kernel, timed persistent and with one block per tile.
PERSIST = [
    C("bf16", 256, 1, 2, 4, wait_depth=0, role="main"),
    C("tf32", 256, 1, 2, 4, wait_depth=0, role="main"),
    C("f16", 256, 1, 2, 4, wait_depth=0, role="main"),
    C("bf16", 128, 2, 2, 4, role="main"),
]
# 20 configurations over every dtype (fp8 included), N from 8 to 256, 1 to 4 tiles per
# warpgroup, 1 or 2 consumers, wait depth 0 and 1, C +=: for correctness on the GPU.
SPAN = [
    C("tf32", 96, 2, 2, 4, role="check"),
    C("tf32", 128, 2, 2, 4, wait_depth=0, role="check"),
    C("tf32", 64, 1, 1, 4, role="check"),
    C("tf32", 256, 1, 2, 4, wait_depth=0, role="check"),
    C("tf32", 32, 4, 2, (4, 3), role="check"),
    C("bf16", 256, 1, 2, 4, wait_depth=0, role="check"),
    C("bf16", 128, 2, 2, 4, role="check"),
    C("bf16", 8, 1, 1, 2, wait_depth=0, role="check"),
    C("bf16", 192, 1, 2, 4, role="check"),
    C("bf16", 64, 3, 2, 4, role="check"),
    C("f16", 128, 2, 2, 4, role="check"),
    C("f16", 256, 1, 2, 4, wait_depth=0, role="check"),
    C("f16", 16, 1, 1, 4, wait_depth=0, role="check"),
    C("f16", 128, 2, 2, 4, accumulate=True, role="check"),
    C("e4m3", 128, 2, 2, 4, role="check"),
    C("e4m3", 256, 1, 2, 4, wait_depth=0, role="check"),
    C("e4m3", 64, 1, 1, 4, wait_depth=0, role="check"),
    C("e5m2", 128, 2, 2, 4, role="check"),
    C("e5m2", 256, 1, 2, 4, wait_depth=0, role="check"),
    C("e5m2", 32, 2, 1, 4, role="check"),
]
# Clusters of 2 blocks along N sharing A by TMA multicast, beside their single-block twins.
CLUSTER = [
    C("bf16", 128, 2, 2, 4, role="main", cluster=2),
    C("bf16", 256, 1, 2, 4, wait_depth=0, role="main", cluster=2),
    C("tf32", 128, 2, 2, 4, role="main", cluster=2),
    C("tf32", 256, 1, 2, 4, wait_depth=0, role="main", cluster=2),
    C("f16", 256, 1, 2, 4, wait_depth=0, role="main", cluster=2),
    C("bf16", 128, 2, 2, 4, role="main"),
    C("bf16", 256, 1, 2, 4, wait_depth=0, role="main"),
    C("tf32", 128, 2, 2, 4, role="seed"),
    C("tf32", 256, 1, 2, 4, wait_depth=0, role="main"),
]
# Split-K: S K ranges per output tile, added into C with atomic adds (C zeroed by the
# runtime, or C += with accumulate); for tall-K problems with few output tiles.  With
# their unsplit twins for timing.
SPLITK = [
    C("bf16", 128, 2, 2, 4, role="check", split_k=2),
    C("bf16", 128, 2, 2, 4, role="check", split_k=4),
    C("bf16", 256, 1, 2, 4, wait_depth=0, role="check", split_k=4),
    C("tf32", 128, 2, 2, 4, role="check", split_k=2),
    C("tf32", 64, 1, 1, 4, role="check", split_k=16),
    C("f16", 128, 2, 2, 4, accumulate=True, role="check", split_k=3),
    C("e4m3", 128, 2, 2, 4, role="check", split_k=2),
    C("bf16", 128, 2, 2, 4, role="check", split_k=2, cluster=2),
    C("bf16", 128, 2, 2, 4, role="main"),
    C("bf16", 256, 1, 2, 4, wait_depth=0, role="main"),
]
# Ping-pong: each consumer warpgroup owns whole tiles (64 * tiles rows) and the two take
# turns, one's epilogue under the other's K loop; beside the fastest cooperative kernels.
PINGPONG = [
    C("bf16", 128, 2, 2, (6, 5, 4), role="main", schedule="pingpong"),
    C("bf16", 128, 2, 2, (6, 5, 4), wait_depth=0, role="main", schedule="pingpong"),
    C("bf16", 256, 1, 2, (5, 4), role="main", schedule="pingpong"),
    C("bf16", 256, 1, 2, (5, 4), wait_depth=0, role="main", schedule="pingpong"),
    C("bf16", 192, 2, 2, (5, 4), role="main", schedule="pingpong"),
    C("bf16", 128, 2, 2, (6, 5, 4), role="main", schedule="pingpong", cluster=2),
    C("tf32", 128, 2, 2, (6, 5, 4), role="main", schedule="pingpong"),
    C("tf32", 256, 1, 2, (5, 4), role="main", schedule="pingpong"),
    C("tf32", 192, 2, 2, (5, 4), role="main", schedule="pingpong"),
    C("f16", 128, 2, 2, (6, 5, 4), role="main", schedule="pingpong"),
    C("e4m3", 128, 2, 2, (6, 5, 4), role="check", schedule="pingpong"),
    C("bf16", 256, 1, 2, 4, wait_depth=0, role="main"),
    C("tf32", 256, 1, 2, 4, wait_depth=0, role="main"),
    C("bf16", 128, 2, 2, 4, role="main"),
]
# C stored as bf16 or f16 (what cuBLAS writes for bf16/f16 inputs): half the epilogue's bytes.
HALF_C = [
    C("bf16", 256, 1, 2, 4, wait_depth=0, role="main", c_dtype="bf16"),
    C("bf16", 128, 2, 2, 4, role="main", c_dtype="bf16"),
    C("bf16", 256, 1, 2, 4, wait_depth=0, role="main", cluster=2, c_dtype="bf16"),
    C("f16", 256, 1, 2, 4, wait_depth=0, role="main", c_dtype="f16"),
    C("bf16", 256, 1, 2, 4, wait_depth=0, role="main"),
    C("tf32", 128, 2, 2, 4, accumulate=True, role="check", c_dtype="bf16"),
    C("f16", 64, 1, 1, 4, accumulate=True, role="check", c_dtype="f16"),
]
# A from registers (RS wgmma) over every dtype, wait depth, tile and consumer count, with
# ping-pong, a cluster, split-K and a bf16 C: correctness on the GPU.
RS = [
    C("bf16", 256, 1, 2, 4, role="check", a_in_registers=True),
    C("bf16", 128, 2, 2, 4, role="check", a_in_registers=True),
    C("f16", 128, 2, 2, 4, wait_depth=0, role="check", a_in_registers=True),
    C("f16", 64, 1, 1, 4, role="check", a_in_registers=True),
    C("tf32", 128, 2, 2, 4, role="check", a_in_registers=True),
    C("tf32", 64, 1, 1, 4, wait_depth=0, role="check", a_in_registers=True),
    C("e4m3", 128, 1, 2, 4, role="check", a_in_registers=True),
    C("e5m2", 64, 2, 1, 4, role="check", a_in_registers=True),
    C("bf16", 128, 2, 2, 4, role="check", a_in_registers=True, schedule="pingpong"),
    C("bf16", 128, 2, 2, 4, role="check", a_in_registers=True, cluster=2),
    C("bf16", 128, 2, 2, 4, role="check", a_in_registers=True, split_k=2),
    C("bf16", 256, 1, 2, 4, role="main", a_in_registers=True, c_dtype="bf16"),
]
# Clusters of 2 blocks along M sharing B (2x1), beside their 1x2 and single-block twins.
CLUSTER_2X1 = [
    C("bf16", 128, 2, 2, 4, role="main", cluster_m=2),
    C("bf16", 256, 1, 2, 4, wait_depth=0, role="main", cluster_m=2),
    C("tf32", 128, 2, 2, 4, role="main", cluster_m=2),
    C("tf32", 256, 1, 2, 4, wait_depth=0, role="main", cluster_m=2),
    C("bf16", 128, 2, 2, 4, role="main", cluster=2),
    C("bf16", 256, 1, 2, 4, wait_depth=0, role="main", cluster=2),
    C("bf16", 128, 2, 2, 4, role="main"),
    C("bf16", 256, 1, 2, 4, wait_depth=0, role="main"),
    C("tf32", 128, 2, 2, 4, role="seed"),
]
# The options of issue 5 together: MN-major layouts, f16 accumulation and 2x1 clusters, each
# also combined with ping-pong, split-K, A in registers, a 1x2 cluster or a half C.
GENERAL = [
    C("tf32", 128, 2, 2, 4, role="check"),
    C("tf32", 256, 1, 2, (5, 4), role="check", schedule="pingpong"),
    C("bf16", 256, 1, 2, 4, wait_depth=0, role="check", c_dtype="bf16"),
    C("bf16", 128, 2, 2, (6, 5, 4), role="check", schedule="pingpong", layout_a="col", layout_b="row"),
    C("bf16", 256, 1, 2, 4, role="check", layout_a="col"),
    C("f16", 128, 2, 2, 4, role="check", layout_b="row"),
    C("f16", 64, 1, 1, 4, wait_depth=0, role="check", layout_a="col", layout_b="row"),
    C("bf16", 128, 2, 2, 4, role="check", layout_a="col", layout_b="row", cluster=2),
    C("f16", 128, 2, 2, 4, role="check", layout_a="col", layout_b="row", split_k=2),
    C("f16", 128, 2, 2, (6, 5, 4), role="check", layout_a="col", schedule="pingpong", c_dtype="f16"),
    C("bf16", 128, 2, 2, 4, role="check", cluster_m=2),
    C("tf32", 256, 1, 2, 4, wait_depth=0, role="check", cluster_m=2),
    C("bf16", 128, 1, 1, 4, role="check", cluster_m=2),
    C("e4m3", 64, 1, 2, 4, role="check", cluster_m=2),
    C("bf16", 128, 2, 2, 4, role="check", cluster_m=2, split_k=4),
    C("tf32", 128, 2, 2, 4, role="check", cluster_m=2, a_in_registers=True),
    C("f16", 128, 2, 2, 4, role="check", accumulator="f16"),
    C("f16", 256, 2, 2, 3, role="check", accumulator="f16"),
    C("e4m3", 256, 2, 2, 3, role="check", accumulator="f16"),
    C("e5m2", 128, 1, 1, 4, wait_depth=0, role="check", accumulator="f16"),
    C("f16", 128, 2, 2, (6, 5, 4), role="check", schedule="pingpong", accumulator="f16"),
    C("e5m2", 128, 2, 2, (6, 5, 4), role="check", schedule="pingpong"),
    C("f16", 128, 2, 2, 4, role="check", accumulator="f16", layout_a="col", layout_b="row", cluster_m=1, cluster=2),
]
SETS = {
    "general": GENERAL,
    "rs": RS,
    "splitk": SPLITK,
    "halfc": HALF_C,
    "pingpong": PINGPONG,
    "cluster": CLUSTER,
    "cluster2x1": CLUSTER_2X1,
    "span": SPAN,
    "persist": SEED + PERSIST + SERIALIZED[:2] + CHECK,
    "seed": SEED,
    "bench": SEED + MAIN + SERIALIZED + CHECK,
    "tune": TUNE,
    "all": SEED + MAIN + SERIALIZED + TUNE + CHECK,
    # Smaller or simpler pipelines, to corner a wrong result: one consumer, one tile,
    # no wgmma left in flight (wait_depth 0), narrow N.
    "diag": [
        C("tf32", 128, 1, 1, 2, wait_depth=0, role="check"),
        C("tf32", 64, 1, 1, 4, role="check"),
        C("bf16", 64, 1, 2, 4, role="check"),
        C("tf32", 128, 2, 2, 4, wait_depth=0, role="check"),
    ],
}


def tile_module(cfg: Config, stages: int, name: str) -> ModuleOp:
    """The tile IR of one config: what compiler.gemm builds, plus a raster group."""
    return compiler.gemm(cfg.dtype, wgmma_n=cfg.n, tiles_per_warpgroup=cfg.tiles, consumers=cfg.consumers,
                         stages=stages, wait_depth=cfg.wait_depth, accumulate_c=cfg.accumulate, name=name,
                         raster_group=cfg.raster if cfg.raster is not None else DEFAULT_RASTER_GROUP,
                         cluster_n=cfg.cluster, schedule=cfg.schedule, c_dtype=cfg.c_dtype, split_k=cfg.split_k,
                         a_in_registers=cfg.a_in_registers, cluster_m=cfg.cluster_m,
                         accumulator=cfg.accumulator, layout_a=cfg.layout_a, layout_b=cfg.layout_b)


def build_one(cfg: Config, out: Path, default_cuda: str, strict: bool, write_ptx: bool) -> dict | None:
    cuda = cfg.cuda or default_cuda
    errors = []
    for stages in cfg.stages:
        name = cfg.name(stages, cuda, default_cuda)
        try:
            module = tile_module(cfg, stages, name)
            # The serialized variant is built to fail the guard: always downgrade it.
            result = compiler.compile(module, PIPELINES[cfg.variant], cuda=cuda,
                                      downgrade=(cfg.variant == "serialized") or not strict)
        except ExoGpuError as e:
            errors.append(f"stages {stages}: {str(e).splitlines()[0]}")
            continue
        break
    else:
        msg = f"{cfg.dtype} n{cfg.n} T{cfg.tiles} C{cfg.consumers} {cfg.variant}: nothing compiled: " + "; ".join(errors)
        if strict:
            raise SystemExit(msg)
        print(f"SKIP {msg}", file=sys.stderr)
        return None
    for e in errors:
        print(f"  {name}: fell back after {e}", file=sys.stderr)
    smem_ir = result.smem_bytes  # what the IR's rings declare (compile() leaves `module` as it was)
    report = result.reports[0] if result.reports else None
    shape = report.shape if report else None
    info = KernelInfo.for_gemm(
        name, cfg.dtype, cfg.n, cfg.tiles, cfg.consumers, stages, wait_depth=cfg.wait_depth,
        accumulate_c=cfg.accumulate, cluster=cfg.cluster, schedule=cfg.schedule, c_dtype=cfg.c_dtype, split_k=cfg.split_k, a_in_registers=cfg.a_in_registers, cluster_m=cfg.cluster_m,
        accumulator=cfg.accumulator, layout_a=cfg.layout_a, layout_b=cfg.layout_b, cubin=f"{name}.cubin", registers=report.registers if report else None,
        ptxas=result.ptxas.version if result.ptxas else None, warnings=list(result.warnings),
        variant=cfg.variant, pipeline=PIPELINES[cfg.variant],
        raster_group=cfg.raster if cfg.raster is not None else DEFAULT_RASTER_GROUP,
        role=cfg.role, stages_tried=list(cfg.stages),
        guard_ok=bool(report.ok) if report else None,
        serializing_codes=sorted({d.code for d in report.codes if d.serializing}) if report else [],
        sass={"hgmma": shape.hgmma, "hgmma_gsb0": shape.hgmma_gsb0, "arrive": shape.arrive,
              "depbar": shape.depbar, "ldl": shape.ldl, "stl": shape.stl} if shape else None,
        spill_bytes=(report.spill_stores + report.spill_loads) if report else None)
    if info.smem_bytes != smem_ir:
        raise SystemExit(f"{name}: runtime computes {info.smem_bytes} bytes of shared memory, the IR says {smem_ir}")
    assert result.cubin is not None
    (out / f"{name}.cubin").write_bytes(result.cubin)
    if write_ptx:
        (out / f"{name}.ptx").write_text(result.ptx)
    s = info.extra["sass"] or {}
    print(f"{name}: {len(result.cubin)} B cubin, smem {info.smem_bytes} B, {info.extra.get('registers')} regs, "
          f"ptxas {info.extra['ptxas']}, SASS {s.get('hgmma')} HGMMA / {s.get('hgmma_gsb0')} gsb0 / "
          f"{s.get('depbar')} DEPBAR" + (f"  warnings: {len(result.warnings)}" if result.warnings else ""))
    return info.to_dict()


def build(out: Path, cuda: str, strict: bool, configs=SETS["bench"], write_ptx: bool = False) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    kernels, skipped = [], []
    for cfg in configs:
        d = build_one(cfg, out, cuda, strict, write_ptx)
        if d is None:
            skipped.append(f"{cfg}")
        elif any(k["name"] == d["name"] for k in kernels):
            continue  # the same kernel reached from two sets
        else:
            kernels.append(d)
    ptxas_versions = sorted({k["ptxas"] for k in kernels if k.get("ptxas")})
    manifest = {"ptxas": ptxas_versions[0] if len(ptxas_versions) == 1 else ptxas_versions,
                "cuda": cuda, "kernels": kernels, "skipped": skipped}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / ".gpu_build"))
    ap.add_argument("--cuda", default="12.3", help="pinned ptxas version (default 12.3)")
    ap.add_argument("--set", choices=sorted(SETS), default="bench", help="which configs (default bench)")
    ap.add_argument("--strict", action="store_true", help="guard findings are errors (serialized variant excepted)")
    ap.add_argument("--ptx", action="store_true", help="also write each kernel's PTX")
    args = ap.parse_args(argv)
    manifest = build(Path(args.out), args.cuda, args.strict, SETS[args.set], args.ptx)
    print(f"{len(manifest['kernels'])} kernels -> {args.out}/manifest.json (ptxas {manifest['ptxas']}); "
          f"{len(manifest['skipped'])} configs skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
