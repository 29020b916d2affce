"""`tile.gemm`: a GEMM kernel described by its output tiles, the highest level of IR.

`tile.gemm` says *what* is computed, C[M,N] (+)= A[M,K] @ B[K,N], for problem sizes M, N, K
passed to the kernel at run time, and how the output is tiled (block_m x block_n, with K
consumed block_k at a time) and how a thread block is organised (consumer warpgroups,
pipeline stages, wait depth).  With `cluster_n = 2`, pairs of blocks along N form a
thread-block cluster that loads each A tile once, half by each block, multicast to both;
with `cluster_m = 2`, pairs of blocks along M share each B tile the same way (not both).
With `split_k = S > 1` (split-K), the K blocks of each output tile are divided into S
contiguous ranges computed by different work units, which add their partial sums into C
with atomic adds (the host zeroes C first unless it accumulates into C).
`accumulator = "f16"` makes wgmma accumulate in packed f16 registers (f16, e4m3 and e5m2
inputs only), half the registers of f32; C is still written as f32.
`schedule` lowers it to warpgroup/tma/mbarrier/wgmma IR.
"""

from __future__ import annotations

from xdsl.dialects.builtin import IntegerAttr, StringAttr
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    opt_prop_def,
    prop_def,
    traits_def,
)
from xdsl.traits import SymbolOpInterface
from xdsl.utils.exceptions import VerifyException

from exo_gpu.dialects.attrs import int_value as _int
from exo_gpu.dialects.warpgroup import DEFAULT_RASTER_GROUP, MAX_SPLIT_K
from exo_gpu.dialects.wgmma import WGMMA_TABLE, check_accumulator, check_shape

LAYOUTS = ("row", "col")
SUPPORTED_DTYPES = ("tf32", "f16", "bf16", "e4m3", "e5m2")
SCHEDULES = ("cooperative", "pingpong")
C_DTYPES = ("f32", "bf16", "f16")  # element types of C in global memory



@irdl_op_definition
class GemmOp(IRDLOperation):
    """A GEMM kernel over output tiles.

    A is M x K, B is K x N, C is M x N row-major, f32 unless `c_dtype` says bf16 or f16
    (the f32 accumulators rounded to nearest-even when stored); `layout_a`/`layout_b` say
    whether A and B are row- or column-major in global memory.  Row-major A and column-major
    B are K-major (every wgmma type); column-major A (M contiguous) and row-major B (N
    contiguous) are MN-major, read through wgmma's transpose bits, so f16 and bf16 only, and a
    row-major B needs block_n to be a whole number of 128-byte swizzle atoms (64 elements).
    Each thread block computes block_m x block_n tiles of C with `consumers` consumer
    warpgroups and one producer warpgroup loading A/B blocks of block_k into a ring of
    `stages` shared-memory slots.  `schedule` says how the consumers share a tile:
    `cooperative` (each owns block_m / consumers rows of every tile, as m64 accumulator
    tiles) or `pingpong` (each owns whole tiles, taking turns: one runs its K loop while the
    other runs its epilogue).
    """

    name = "tile.gemm"

    sym_name = prop_def(StringAttr)
    dtype = prop_def(StringAttr)
    layout_a = prop_def(StringAttr)
    layout_b = prop_def(StringAttr)
    block_m = prop_def(IntegerAttr)
    block_n = prop_def(IntegerAttr)
    block_k = prop_def(IntegerAttr)
    consumers = prop_def(IntegerAttr)
    stages = prop_def(IntegerAttr)
    wait_depth = prop_def(IntegerAttr)
    consumer_maxnreg = prop_def(IntegerAttr)
    producer_maxnreg = prop_def(IntegerAttr)
    accumulate_c = prop_def(IntegerAttr)
    raster_group = opt_prop_def(IntegerAttr)  # rows of blocks launched together (default 8)
    cluster_n = opt_prop_def(IntegerAttr)  # CTAs of a cluster along N, sharing A by TMA multicast (1)
    schedule = opt_prop_def(StringAttr)  # cooperative (default) | pingpong
    c_dtype = opt_prop_def(StringAttr)  # f32 (default) | bf16 | f16
    split_k = opt_prop_def(IntegerAttr)  # K ranges per output tile, reduced into C by atomic adds (1)
    a_in_registers = opt_prop_def(IntegerAttr)  # 1: RS wgmma, A fragments loaded from the ring into registers (0)
    cluster_m = opt_prop_def(IntegerAttr)  # CTAs of a cluster along M, sharing B by TMA multicast (1)
    accumulator = opt_prop_def(StringAttr)  # wgmma accumulator type: "f32" (when absent) or "f16"

    traits = traits_def(SymbolOpInterface())

    def __init__(self, *, name: str, dtype: str, block_m: int, block_n: int, block_k: int,
                 consumers: int, stages: int, wait_depth: int = 1, layout_a: str = "row",
                 layout_b: str = "col", consumer_maxnreg: int = 232, producer_maxnreg: int = 40,
                 accumulate_c: bool = False, raster_group: int = DEFAULT_RASTER_GROUP, cluster_n: int = 1,
                 schedule: str = "cooperative", c_dtype: str = "f32", split_k: int = 1,
                 a_in_registers: bool = False, cluster_m: int = 1, accumulator: str = "f32"):
        i = lambda v: IntegerAttr(v, 64)  # noqa: E731
        optional = {"cluster_m": i(cluster_m)} if cluster_m != 1 else {}
        super().__init__(properties={
            "sym_name": StringAttr(name), "dtype": StringAttr(dtype),
            "layout_a": StringAttr(layout_a), "layout_b": StringAttr(layout_b),
            "block_m": i(block_m), "block_n": i(block_n), "block_k": i(block_k),
            "consumers": i(consumers), "stages": i(stages), "wait_depth": i(wait_depth),
            "consumer_maxnreg": i(consumer_maxnreg), "producer_maxnreg": i(producer_maxnreg),
            "accumulate_c": i(int(accumulate_c)), "raster_group": i(raster_group), "cluster_n": i(cluster_n),
            **({"schedule": StringAttr(schedule)} if schedule != "cooperative" else {}),
            **({"c_dtype": StringAttr(c_dtype)} if c_dtype != "f32" else {}),
            **({"split_k": i(split_k)} if split_k != 1 else {}),  # absent: 1, today's IR unchanged
            **({"a_in_registers": i(1)} if a_in_registers else {}),
            **optional,
            # f32 is the default and is left implicit, so f32 kernels' IR is unchanged.
            **({"accumulator": StringAttr(accumulator)} if accumulator != "f32" else {}),
        })

    # Derived quantities, used by `schedule`.
    @property
    def raster(self) -> int:
        return DEFAULT_RASTER_GROUP if self.raster_group is None else _int(self.raster_group)

    @property
    def cluster(self) -> int:
        return 1 if self.cluster_n is None else _int(self.cluster_n)

    @property
    def consumer_schedule(self) -> str:
        return "cooperative" if self.schedule is None else self.schedule.data

    @property
    def c_element(self) -> str:
        return "f32" if self.c_dtype is None else self.c_dtype.data

    @property
    def owners(self) -> int:
        """Consumer warpgroups that split a tile's rows: all of them (cooperative) or one (pingpong)."""
        return 1 if self.consumer_schedule == "pingpong" else _int(self.consumers)

    @property
    def split(self) -> int:
        return 1 if self.split_k is None else _int(self.split_k)

    @property
    def a_regs(self) -> bool:
        """A comes from registers (RS wgmma) instead of a shared-memory descriptor."""
        return self.a_in_registers is not None and _int(self.a_in_registers) != 0

    @property
    def cluster_m_size(self) -> int:
        return 1 if self.cluster_m is None else _int(self.cluster_m)


    @property
    def acc(self) -> str:
        """The accumulator type's spelling: 'f32' or 'f16'."""
        return "f32" if self.accumulator is None else self.accumulator.data

    @property
    def tiles_per_warpgroup(self) -> int:
        return _int(self.block_m) // (64 * self.owners)

    def verify_(self) -> None:
        dtype = self.dtype.data
        if dtype not in WGMMA_TABLE:
            raise VerifyException(f"dtype '{dtype}' is not a wgmma input type "
                                  f"(expected one of {', '.join(SUPPORTED_DTYPES)})")
        if dtype not in SUPPORTED_DTYPES:
            raise VerifyException(f"dtype '{dtype}' is not supported yet "
                                  f"(supported: {', '.join(SUPPORTED_DTYPES)})")
        kind = WGMMA_TABLE[dtype]
        if (why := check_accumulator(dtype, self.acc)) is not None:
            raise VerifyException(why)
        for what in ("layout_a", "layout_b"):
            if getattr(self, what).data not in LAYOUTS:
                raise VerifyException(f"{what} must be 'row' or 'col', got '{getattr(self, what).data}'")
        if not kind.transpose and (self.layout_a.data != "row" or self.layout_b.data != "col"):
            raise VerifyException(
                f"{dtype} wgmma reads A and B K-major only: use layout_a = row and layout_b = col "
                f"(got layout_a = {self.layout_a.data}, layout_b = {self.layout_b.data})")
        atom = 128 // kind.bytes  # MN elements of one 128-byte swizzle atom
        if self.layout_b.data == "row" and _int(self.block_n) % atom:
            raise VerifyException(
                f"layout_b = row (N-major B) loads B in {atom}-column swizzle atoms: block_n must be a multiple "
                f"of {atom}, got {_int(self.block_n)}")
        consumers = _int(self.consumers)
        if consumers not in (1, 2):
            raise VerifyException(f"consumers must be 1 or 2, got {consumers}")
        if self.c_element not in C_DTYPES:
            raise VerifyException(f"c_dtype must be one of {', '.join(C_DTYPES)}, got '{self.c_element}'")
        if self.consumer_schedule not in SCHEDULES:
            raise VerifyException(f"schedule must be one of {', '.join(SCHEDULES)}, got '{self.consumer_schedule}'")
        if self.consumer_schedule == "pingpong" and consumers != 2:
            raise VerifyException(f"schedule = pingpong alternates two consumer warpgroups: use consumers = 2, got {consumers}")
        block_m, owners = _int(self.block_m), self.owners
        if block_m <= 0 or block_m % (64 * owners):
            what = "consumers" if owners > 1 else "1 (pingpong: one warpgroup owns a tile)"
            raise VerifyException(f"block_m = {block_m} must be a multiple of 64 * {what} = {64 * owners}")
        if not 1 <= self.tiles_per_warpgroup <= 4:
            raise VerifyException(f"block_m = {block_m} gives {self.tiles_per_warpgroup} m64 tiles per "
                                  "consumer warpgroup; 1 to 4 are supported")
        if (why := check_shape(dtype, 64, _int(self.block_n))) is not None:
            raise VerifyException(f"block_n = {_int(self.block_n)}: {why}")
        if _int(self.block_k) * kind.bytes != 128:
            raise VerifyException(f"block_k must span 128 bytes (the swizzle width): {128 // kind.bytes} "
                                  f"for {dtype}, got {_int(self.block_k)}")
        if not 2 <= _int(self.stages) <= 8:
            raise VerifyException(f"stages must be in 2..8, got {_int(self.stages)}")
        if self.raster < 1:
            raise VerifyException(f"raster_group must be at least 1, got {self.raster}")
        if self.cluster not in (1, 2):
            raise VerifyException(f"cluster_n must be 1 or 2, got {self.cluster}")
        if self.cluster_m_size not in (1, 2):
            raise VerifyException(f"cluster_m must be 1 or 2, got {self.cluster_m_size}")
        if self.cluster_m_size > 1 and self.cluster > 1:
            raise VerifyException("a 2x2 cluster (cluster_m = 2 and cluster_n = 2) is not supported: "
                                  "use cluster_m = 2 (B multicast) or cluster_n = 2 (A multicast), not both")
        if self.cluster_m_size > 1 and (_int(self.block_n) % self.cluster_m_size
                                        or _int(self.block_n) // self.cluster_m_size % 8):
            raise VerifyException(
                f"cluster_m = 2 splits B's block_n = {_int(self.block_n)} rows in two halves, each a multiple "
                f"of 8 rows (the 128-byte swizzle atom): use a block_n that is a multiple of 16")
        if _int(self.wait_depth) not in (0, 1):
            raise VerifyException(f"wait_depth must be 0 or 1, got {_int(self.wait_depth)}")
        if not 1 <= self.split <= MAX_SPLIT_K:
            raise VerifyException(f"split_k must be in 1..{MAX_SPLIT_K} (K ranges per output tile), got {self.split}")
        if self.split > 1 and self.c_element != "f32":
            raise VerifyException(f"split_k = {self.split} adds partial tiles into C with f32 atomics: "
                                  f"use c_dtype = f32 (got {self.c_element})")
        if self.split > 1 and self.consumer_schedule == "pingpong":
            raise VerifyException(f"split_k = {self.split} is not supported with schedule = pingpong: "
                                  "use schedule = cooperative")
        if self.a_in_registers is not None and _int(self.a_in_registers) not in (0, 1):
            raise VerifyException(f"a_in_registers must be 0 or 1, got {_int(self.a_in_registers)}")
        if self.acc == "f16" and (self.c_element != "f32" or self.split > 1 or self.a_regs):
            raise VerifyException("accumulator = f16 is stored to an f32 C by the plain epilogue only: use "
                                  "c_dtype = f32, split_k = 1 and A from shared memory with it")
        if self.cluster_m_size > 1 and self.layout_b.data != "col":
            raise VerifyException("cluster_m = 2 multicasts halves of a K-major B tile: use layout_b = col "
                                  f"(got {self.layout_b.data})")
        if self.a_regs and (self.layout_a.data != "row" or self.layout_b.data != "col"):
            raise VerifyException("a_in_registers loads K-major A fragments and takes a K-major B: "
                                  f"use layout_a = row and layout_b = col (got {self.layout_a.data}, {self.layout_b.data})")

