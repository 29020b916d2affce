"""The `tma` and `mbarrier` dialects: bulk tensor loads into shared-memory rings, and the
barriers that say when a ring slot is full (loads landed) or empty (consumers are done).

A kernel declares one ring per loaded operand stream (`mbarrier.ring`, named: "a", "b", ...).
Ring r has `stages` slots of `slot_bytes` each (one 128-byte-swizzled tile of its operand per
K block) and two mbarriers per slot: full[s] (one arrival with the expected transaction
bytes, completed by the loads) and empty[s] (the consumers' arrivals).  Every op that loads
into, waits on, releases or reads a slot names its ring, so a stage of wgmmas waits for
exactly the operands it reads and releases each as soon as the groups reading it retire.

Shared memory is laid out from the ring declarations alone (`smem_layout`): the rings' slots
in declaration order, then their barriers, 1 KiB of slack to align the base; the kernel's
shared-memory size, the host's launch and the lowering all read it from there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

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

OPERANDS = ("A", "B", "KV")
MAJORS = ("k", "mn")
BARRIERS = ("full", "empty")
RING_NAME = re.compile(r"[a-z][a-z0-9_]*")
MAX_STAGES = 8
SMEM_ALIGN = 1024  # slack for aligning the dynamic shared memory base (128-byte swizzle)


@dataclass(frozen=True)
class RingPlace:
    """Where ring `name` lives in shared memory: `data` (its slots, slot s at data + s *
    slot_bytes) and `bars` (full[stages] then empty[stages], 8 bytes each), in bytes from
    the aligned base."""

    name: str
    stages: int
    slot_bytes: int
    data: int
    bars: int


def smem_layout(rings: Iterable[tuple[str, int, int]]) -> tuple[dict[str, RingPlace], int]:
    """The places of rings given as (name, stages, slot_bytes) in declaration order, and the
    dynamic shared memory they need: every ring's slots, then every ring's barriers, plus
    SMEM_ALIGN bytes so the base can be rounded up to 1024."""
    rings = list(rings)
    places, data = {}, 0
    bars = sum(stages * slot for _, stages, slot in rings)
    for name, stages, slot in rings:
        places[name] = RingPlace(name, stages, slot, data, bars)
        data += stages * slot
        bars += 16 * stages
    return places, bars + SMEM_ALIGN


def _ring_prop(name: str) -> StringAttr:
    return StringAttr(name)


def check_ring_name(name: str) -> None:
    if not RING_NAME.fullmatch(name):
        raise VerifyException(f"ring name '{name}' must be a lower-case identifier such as \"a\" or \"b\"")



@irdl_attr_definition
class TensorMapType(ParametrizedAttribute, TypeAttribute):
    """A CUtensorMap kernel parameter describing a 2-D, 128-byte-swizzled global tensor."""

    name = "tma.tensor_map"


@irdl_op_definition
class LoadOp(IRDLOperation):
    """Bulk tensor load of a box of `box_rows` rows x block_k elements of operand A or B,
    at K block `k` and rows `row_offset` past the thread block's first row of that operand,
    into slot `slot` of ring `ring` at `smem_offset` bytes into the slot.  Completes
    `bytes` transaction bytes on the slot's full barrier.  With `multicast` = n, the CTA of
    cluster rank r loads the r-th of n equal parts of the box (rows and smem offset moved
    by r * box_rows / n) into that place in every CTA of the cluster, so each CTA still
    receives the whole box: `bytes` counts it whole.

    With `major` = "mn" the operand is MN-major in global memory (A column-major, B
    row-major: the tensor map's rows are K and its contiguous dimension M or N): the box is
    box_rows MN elements (128 bytes, one swizzle atom) by block_k rows of K, landing as
    block_k rows of 128 bytes; a multicast then splits it along K (rows and smem offset moved
    by r * block_k / n rows of 128 bytes).

    Operand "KV" (attention's K and V streams) walks rows instead of columns: the box is
    box_rows rows starting at row k * block_k + row_offset of the current batch entry's
    K/V matrix (rows (batch / kv_group) * K of the stacked map) by 64 columns at `col_offset`
    (128 bytes, one swizzle atom), landing as box_rows rows of 128 bytes whichever way the
    wgmma then reads it.  `col_offset` (0 when absent) also moves A's box along K."""

    name = "tma.load"

    tensor_map = operand_def(TensorMapType)
    slot = operand_def(i32)
    k = operand_def(i32)
    ring = prop_def(StringAttr)
    operand = prop_def(StringAttr)
    row_offset = prop_def(IntegerAttr)
    smem_offset = prop_def(IntegerAttr)
    box_rows = prop_def(IntegerAttr)
    bytes = prop_def(IntegerAttr)
    multicast = opt_prop_def(IntegerAttr)  # CTAs of the cluster sharing the box (1 when absent)
    major = opt_prop_def(StringAttr)  # "k" (absent) or "mn": which dimension is contiguous in global memory
    col_offset = opt_prop_def(IntegerAttr)  # elements added to the box's contiguous coordinate (0)

    def __init__(self, tensor_map, slot, k, ring: str, operand: str, row_offset: int, smem_offset: int,
                 box_rows: int, nbytes: int, multicast: int = 1, major: str = "k", col_offset: int = 0):
        i = lambda v: IntegerAttr(v, 64)  # noqa: E731
        props = {"operand": StringAttr(operand), "row_offset": i(row_offset),
                 "smem_offset": i(smem_offset), "box_rows": i(box_rows), "bytes": i(nbytes)}
        if multicast > 1:
            props["multicast"] = i(multicast)
        if major != "k":
            props["major"] = StringAttr(major)
        if col_offset:
            props["col_offset"] = i(col_offset)
        props["ring"] = _ring_prop(ring)
        super().__init__(operands=[tensor_map, slot, k], properties=props)

    @property
    def mn_major(self) -> bool:
        return self.major is not None and self.major.data == "mn"

    def verify_(self) -> None:
        check_ring_name(self.ring.data)
        if self.operand.data not in OPERANDS:
            raise VerifyException(f"operand must be A (rows of the tile's M block), B (of its N block) or KV "
                                  f"(rows of K block k), got '{self.operand.data}'")
        if self.col_offset is not None and (_int(self.col_offset) < 0 or _int(self.col_offset) % 8):
            raise VerifyException(f"col_offset must be a non-negative multiple of 8 elements (16 bytes), "
                                  f"got {_int(self.col_offset)}")
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
class RingOp(IRDLOperation):
    """Declares ring `ring` of the kernel: `stages` slots of `slot_bytes` bytes (a multiple
    of 1024, the 128-byte swizzle's alignment), each with a full barrier expecting
    `full_count` arrivals and an empty barrier expecting `empty_count`.  With `multicast` = n
    the ring is shared by the n CTAs of the cluster (its tiles arrive by multicast from each
    of them), so its consumers release a slot in every CTA of the cluster.  Lowered: thread 0
    initialises the barriers, and after the kernel's last ring declaration the whole block
    (cluster) synchronises so no thread uses a barrier before it exists."""

    name = "mbarrier.ring"

    ring = prop_def(StringAttr)
    stages = prop_def(IntegerAttr)
    slot_bytes = prop_def(IntegerAttr)
    full_count = prop_def(IntegerAttr)
    empty_count = prop_def(IntegerAttr)
    multicast = opt_prop_def(IntegerAttr)  # CTAs of the cluster sharing the ring (1 when absent)

    def __init__(self, ring: str, stages: int, slot_bytes: int, full_count: int, empty_count: int,
                 multicast: int = 1):
        i = lambda v: IntegerAttr(v, 64)  # noqa: E731
        super().__init__(properties={"ring": _ring_prop(ring), "stages": i(stages), "slot_bytes": i(slot_bytes),
                                     "full_count": i(full_count), "empty_count": i(empty_count),
                                     **({"multicast": i(multicast)} if multicast > 1 else {})})

    @property
    def sharing(self) -> int:
        """CTAs of the cluster sharing the ring (1: this CTA's own)."""
        return 1 if self.multicast is None else _int(self.multicast)

    @property
    def shape(self) -> tuple[str, int, int]:
        """(name, stages, slot_bytes), as smem_layout takes it."""
        return self.ring.data, _int(self.stages), _int(self.slot_bytes)

    def verify_(self) -> None:
        check_ring_name(self.ring.data)
        name, stages, slot = self.shape
        if not 1 <= stages <= MAX_STAGES:
            raise VerifyException(f"ring '{name}': stages must be in 1..{MAX_STAGES}, got {stages}")
        if slot <= 0 or slot % 1024:
            raise VerifyException(f"ring '{name}': slot_bytes must be a positive multiple of 1024 "
                                  f"(128-byte-swizzled tiles are 1024-byte aligned), got {slot}")
        if _int(self.full_count) < 1 or _int(self.empty_count) < 1:
            raise VerifyException(f"ring '{name}': barrier arrival counts must be at least 1")


@irdl_op_definition
class WaitOp(IRDLOperation):
    """Spin until the `barrier` (full or empty) of slot `slot` of ring `ring` completes the
    phase `phase`.  Empty barriers are waited on with the opposite parity, so a fresh ring
    reads as empty."""

    name = "mbarrier.wait"

    slot = operand_def(i32)
    phase = operand_def(i32)
    ring = prop_def(StringAttr)
    barrier = prop_def(StringAttr)

    def __init__(self, ring: str, slot, phase, barrier: str):
        super().__init__(operands=[slot, phase], properties={"barrier": StringAttr(barrier), "ring": _ring_prop(ring)})

    def verify_(self) -> None:
        check_ring_name(self.ring.data)
        if self.barrier.data not in BARRIERS:
            raise VerifyException(f"barrier must be full or empty, got '{self.barrier.data}'")


@irdl_op_definition
class ArriveOp(IRDLOperation):
    """Arrive on the empty barrier of ring `ring`'s slot used `lag` K blocks before `slot`: the
    consumer releases a slot once the wgmma groups reading it have retired.  With the
    optional K block index `k`, the arrive happens only when k >= lag (a loop whose first
    iterations have no slot `lag` blocks back).  With `cluster` = n, on the barrier of
    every CTA of the cluster, once per warp (lane 0): their producers' multicasts write this
    CTA's slot too."""

    name = "mbarrier.arrive"

    slot = operand_def(i32)
    k = opt_operand_def(i32)
    ring = prop_def(StringAttr)
    lag = prop_def(IntegerAttr)
    cluster = opt_prop_def(IntegerAttr)  # arrive on this slot's empty barrier in every CTA (1)

    def __init__(self, ring: str, slot, lag: int, k=None, cluster: int = 1):
        props = {"lag": IntegerAttr(lag, 64)}
        if cluster > 1:
            props["cluster"] = IntegerAttr(cluster, 64)
        props["ring"] = _ring_prop(ring)
        super().__init__(operands=[slot, [k] if k is not None else []], properties=props)

    def verify_(self) -> None:
        check_ring_name(self.ring.data)


@irdl_op_definition
class ArriveExpectTxOp(IRDLOperation):
    """Arrive on the full barrier of ring `ring`'s slot `slot`, announcing `bytes` of bulk
    loads to come."""

    name = "mbarrier.arrive_expect_tx"

    slot = operand_def(i32)
    ring = prop_def(StringAttr)
    bytes = prop_def(IntegerAttr)

    def __init__(self, ring: str, slot, nbytes: int):
        super().__init__(operands=[slot], properties={"bytes": IntegerAttr(nbytes, 64), "ring": _ring_prop(ring)})

    def verify_(self) -> None:
        check_ring_name(self.ring.data)


@irdl_op_definition
class FenceProxyAsyncOp(IRDLOperation):
    """`fence.proxy.async.shared::cta`: makes generic-proxy shared-memory writes of this
    thread visible to the async proxy (TMA, wgmma) that reads them next."""

    name = "mbarrier.fence_proxy_async"


Tma = Dialect("tma", [LoadOp], [TensorMapType])
Mbarrier = Dialect("mbarrier", [RingOp, WaitOp, ArriveOp, ArriveExpectTxOp, FenceProxyAsyncOp], [])
