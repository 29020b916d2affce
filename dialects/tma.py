"""The `tma` and `mbarrier` dialects: bulk tensor loads into the shared-memory ring, and the
barriers that say when a ring slot is full (loads landed) or empty (consumers are done).

The ring has `stages` slots; slot s holds A's block_m x block_k tile and B's block_n x block_k
tile, both 128-byte swizzled, and two mbarriers: full[s] (one arrival with the expected
transaction bytes, completed by the loads) and empty[s] (one arrival per consumer thread).
"""

from __future__ import annotations

from xdsl.dialects.builtin import IntegerAttr, StringAttr, i32
from xdsl.ir import Dialect, ParametrizedAttribute, TypeAttribute
from xdsl.irdl import (
    IRDLOperation,
    irdl_attr_definition,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
)
from xdsl.utils.exceptions import VerifyException

from exo_gpu.dialects.attrs import int_value as _int

OPERANDS = ("A", "B")
MAJORS = ("k", "mn")
BARRIERS = ("full", "empty")



@irdl_attr_definition
class TensorMapType(ParametrizedAttribute, TypeAttribute):
    """A CUtensorMap kernel parameter describing a 2-D, 128-byte-swizzled global tensor."""

    name = "tma.tensor_map"


@irdl_op_definition
class LoadOp(IRDLOperation):
    """Bulk tensor load of a box of `box_rows` rows x block_k elements of operand A or B,
    at K block `k` and rows `row_offset` past the thread block's first row of that operand,
    into ring slot `slot` at `smem_offset` bytes into the slot's operand tile.  Completes
    `bytes` transaction bytes on the slot's full barrier.  With `multicast` = n, the CTA of
    cluster rank r loads the r-th of n equal parts of the box (rows and smem offset moved
    by r * box_rows / n) into that place in every CTA of the cluster, so each CTA still
    receives the whole box: `bytes` counts it whole.

    With `major` = "mn" the operand is MN-major in global memory (A column-major, B
    row-major: the tensor map's rows are K and its contiguous dimension M or N): the box is
    box_rows MN elements (128 bytes, one swizzle atom) by block_k rows of K, landing as
    block_k rows of 128 bytes; a multicast then splits it along K (rows and smem offset moved
    by r * block_k / n rows of 128 bytes)."""

    name = "tma.load"

    tensor_map = operand_def(TensorMapType)
    slot = operand_def(i32)
    k = operand_def(i32)
    operand = prop_def(StringAttr)
    row_offset = prop_def(IntegerAttr)
    smem_offset = prop_def(IntegerAttr)
    box_rows = prop_def(IntegerAttr)
    bytes = prop_def(IntegerAttr)
    multicast = opt_prop_def(IntegerAttr)  # CTAs of the cluster sharing the box (1 when absent)
    major = opt_prop_def(StringAttr)  # "k" (absent) or "mn": which dimension is contiguous in global memory

    def __init__(self, tensor_map, slot, k, operand: str, row_offset: int, smem_offset: int,
                 box_rows: int, nbytes: int, multicast: int = 1, major: str = "k"):
        i = lambda v: IntegerAttr(v, 64)  # noqa: E731
        props = {"operand": StringAttr(operand), "row_offset": i(row_offset),
                 "smem_offset": i(smem_offset), "box_rows": i(box_rows), "bytes": i(nbytes)}
        if multicast > 1:
            props["multicast"] = i(multicast)
        if major != "k":
            props["major"] = StringAttr(major)
        super().__init__(operands=[tensor_map, slot, k], properties=props)

    @property
    def mn_major(self) -> bool:
        return self.major is not None and self.major.data == "mn"

    def verify_(self) -> None:
        if self.operand.data not in OPERANDS:
            raise VerifyException(f"operand must be A or B, got '{self.operand.data}'")
        if not 1 <= _int(self.box_rows) <= 256:
            raise VerifyException(f"a TMA box has at most 256 rows, got {_int(self.box_rows)}")
        if self.major is not None and self.major.data not in MAJORS:
            raise VerifyException(f"major must be 'k' or 'mn', got '{self.major.data}'")
        if _int(self.smem_offset) % 1024:
            raise VerifyException("a 128-byte-swizzled TMA destination must be 1024-byte aligned")
        parts = 1 if self.multicast is None else _int(self.multicast)
        if parts > 1 and (_int(self.box_rows) % parts or _int(self.box_rows) // parts % 8):
            raise VerifyException(
                f"a box of {_int(self.box_rows)} rows multicast by {parts} CTAs must split into parts of a multiple "
                "of 8 rows (1024-byte-aligned 128-byte-swizzle atoms)")


@irdl_op_definition
class InitRingOp(IRDLOperation):
    """Thread 0 initialises the full and empty mbarriers of every ring slot, then the whole
    block synchronises so no thread uses a barrier before it exists."""

    name = "mbarrier.init_ring"

    stages = prop_def(IntegerAttr)
    full_count = prop_def(IntegerAttr)
    empty_count = prop_def(IntegerAttr)

    def __init__(self, stages: int, full_count: int, empty_count: int):
        i = lambda v: IntegerAttr(v, 64)  # noqa: E731
        super().__init__(properties={"stages": i(stages), "full_count": i(full_count),
                                     "empty_count": i(empty_count)})


@irdl_op_definition
class WaitOp(IRDLOperation):
    """Spin until the `barrier` (full or empty) of ring slot `slot` completes the phase
    `phase`.  Empty barriers are waited on with the opposite parity, so a fresh ring
    reads as empty."""

    name = "mbarrier.wait"

    slot = operand_def(i32)
    phase = operand_def(i32)
    barrier = prop_def(StringAttr)

    def __init__(self, slot, phase, barrier: str):
        super().__init__(operands=[slot, phase], properties={"barrier": StringAttr(barrier)})

    def verify_(self) -> None:
        if self.barrier.data not in BARRIERS:
            raise VerifyException(f"barrier must be full or empty, got '{self.barrier.data}'")


@irdl_op_definition
class ArriveOp(IRDLOperation):
    """Arrive on the empty barrier of the slot used `lag` K blocks before slot `slot`: the
    consumer releases a slot once the wgmma groups reading it have retired.  With the
    optional K block index `k`, the arrive happens only when k >= lag (a loop whose first
    iterations have no slot `lag` blocks back).  With `cluster` = n, on the barrier of
    every CTA of the cluster, once per warp (lane 0): their producers' multicasts write this
    CTA's slot too."""

    name = "mbarrier.arrive"

    slot = operand_def(i32)
    k = opt_operand_def(i32)
    lag = prop_def(IntegerAttr)
    cluster = opt_prop_def(IntegerAttr)  # arrive on this slot's empty barrier in every CTA (1)

    def __init__(self, slot, lag: int, k=None, cluster: int = 1):
        props = {"lag": IntegerAttr(lag, 64)}
        if cluster > 1:
            props["cluster"] = IntegerAttr(cluster, 64)
        super().__init__(operands=[slot, [k] if k is not None else []], properties=props)


@irdl_op_definition
class ArriveExpectTxOp(IRDLOperation):
    """Arrive on the full barrier of `slot`, announcing `bytes` of bulk loads to come."""

    name = "mbarrier.arrive_expect_tx"

    slot = operand_def(i32)
    bytes = prop_def(IntegerAttr)

    def __init__(self, slot, nbytes: int):
        super().__init__(operands=[slot], properties={"bytes": IntegerAttr(nbytes, 64)})


@irdl_op_definition
class FenceProxyAsyncOp(IRDLOperation):
    """`fence.proxy.async.shared::cta`: makes generic-proxy shared-memory writes of this
    thread visible to the async proxy (TMA, wgmma) that reads them next."""

    name = "mbarrier.fence_proxy_async"


Tma = Dialect("tma", [LoadOp], [TensorMapType])
Mbarrier = Dialect("mbarrier", [InitRingOp, WaitOp, ArriveOp, ArriveExpectTxOp, FenceProxyAsyncOp], [])
