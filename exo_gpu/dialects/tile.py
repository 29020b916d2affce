"""The `tile` dialect: a GEMM kernel described by its output tiles, the highest level of IR.

`tile.gemm` says *what* is computed, C[M,N] (+)= A[M,K] @ B[K,N], for problem sizes M, N, K
passed to the kernel at run time, and how the output is tiled (block_m x block_n, with K
consumed block_k at a time) and how a thread block is organised (consumer warpgroups,
pipeline stages, wait depth).  With `cluster_n = 2`, pairs of blocks along N form a
thread-block cluster that loads each A tile once, half by each block, multicast to both.
`accumulator = "f16"` makes wgmma accumulate in packed f16 registers (f16, e4m3 and e5m2
inputs only), half the registers of f32; C is still written as f32.
`schedule` lowers it to warpgroup/tma/mbarrier/wgmma IR.
"""

from __future__ import annotations

from xdsl.dialects.builtin import IntegerAttr, StringAttr
from xdsl.ir import Dialect
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
from exo_gpu.dialects.warpgroup import DEFAULT_RASTER_GROUP
from exo_gpu.dialects.wgmma import WGMMA_TABLE, check_accumulator, check_shape

LAYOUTS = ("row", "col")
SUPPORTED_DTYPES = ("tf32", "f16", "bf16", "e4m3", "e5m2")



@irdl_op_definition
class GemmOp(IRDLOperation):
    """A GEMM kernel over output tiles.

    A is M x K, B is K x N, C is M x N row-major f32; `layout_a`/`layout_b` say whether A and B
    are row- or column-major in global memory.  Each thread block computes one
    block_m x block_n tile of C with `consumers` consumer warpgroups, each owning
    block_m / consumers rows as m64 accumulator tiles, and one producer warpgroup loading
    A/B blocks of block_k into a ring of `stages` shared-memory slots.
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
    accumulator = opt_prop_def(StringAttr)  # wgmma accumulator type: "f32" (when absent) or "f16"

    traits = traits_def(SymbolOpInterface())

    def __init__(self, *, name: str, dtype: str, block_m: int, block_n: int, block_k: int,
                 consumers: int, stages: int, wait_depth: int = 1, layout_a: str = "row",
                 layout_b: str = "col", consumer_maxnreg: int = 232, producer_maxnreg: int = 40,
                 accumulate_c: bool = False, raster_group: int = DEFAULT_RASTER_GROUP, cluster_n: int = 1,
                 accumulator: str = "f32"):
        i = lambda v: IntegerAttr(v, 64)  # noqa: E731
        super().__init__(properties={
            "sym_name": StringAttr(name), "dtype": StringAttr(dtype),
            "layout_a": StringAttr(layout_a), "layout_b": StringAttr(layout_b),
            "block_m": i(block_m), "block_n": i(block_n), "block_k": i(block_k),
            "consumers": i(consumers), "stages": i(stages), "wait_depth": i(wait_depth),
            "consumer_maxnreg": i(consumer_maxnreg), "producer_maxnreg": i(producer_maxnreg),
            "accumulate_c": i(int(accumulate_c)), "raster_group": i(raster_group), "cluster_n": i(cluster_n),
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
    def acc(self) -> str:
        """The accumulator type's spelling: 'f32' or 'f16'."""
        return "f32" if self.accumulator is None else self.accumulator.data

    @property
    def tiles_per_warpgroup(self) -> int:
        return _int(self.block_m) // (64 * _int(self.consumers))

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
        consumers = _int(self.consumers)
        if consumers not in (1, 2):
            raise VerifyException(f"consumers must be 1 or 2, got {consumers}")
        block_m = _int(self.block_m)
        if block_m <= 0 or block_m % (64 * consumers):
            raise VerifyException(f"block_m = {block_m} must be a multiple of 64 * consumers = {64 * consumers}")
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
        if _int(self.wait_depth) not in (0, 1):
            raise VerifyException(f"wait_depth must be 0 or 1, got {_int(self.wait_depth)}")


Tile = Dialect("tile", [GemmOp], [])
