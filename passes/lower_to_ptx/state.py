"""The state of lower-to-ptx, kept in the IR: small `lower_to_ptx.*` ops that the pattern
lowering an enclosing op leaves in the block it builds, carrying the SSA values (and the few
constants) that the patterns lowering the ops nested in it need.  A pattern finds them by
looking up its op's enclosing blocks (`enclosing`); the lowering erases them once every op is
lowered.  Two of them are requests rather than context: `smem_descriptors` and
`fragment_address` stand for PTX that several wgmma ops of one block share, expanded once per
block (at the first request) when all of them are known.

Also here: `Emitter`, which builds the PTX ops replacing one op (all at that op's location),
and `replace`, which puts them in its place.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from xdsl.dialects.builtin import (
    ArrayAttr,
    DictionaryAttr,
    IntAttr,
    IntegerAttr,
    LocationAttr,
    StringAttr,
    UnrealizedConversionCastOp,
)
from xdsl.ir import Block, Dialect, Operation, Region, SSAValue
from xdsl.irdl import (
    AttrSizedOperandSegments,
    IRDLOperation,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    prop_def,
    result_def,
    var_operand_def,
)
from xdsl.pattern_rewriter import PatternRewriter
from xdsl.rewriter import InsertPoint

from exo_gpu.dialects import ptx
from exo_gpu.dialects.tma import RingPlace

B32, B64, PRED = ptx.B32Type.unallocated, ptx.B64Type.unallocated, ptx.PredType.unallocated
F32 = ptx.F32Type.unallocated


def _int(attr: IntegerAttr) -> int:
    return attr.value.data


def _prop(v: int) -> IntegerAttr:
    return IntegerAttr(v, 64)


class EnvOp(IRDLOperation):
    """Context left by the lowering of an enclosing op (no results; erased at the end)."""


@irdl_op_definition
class KernelEnvOp(EnvOp):
    """The kernel's thread values: `tid` (%tid.x), `warpgroup` (tid / 128), `smem` (the
    1024-byte-aligned base of dynamic shared memory), `bars` (the address of each ring's
    barriers, in the order of `rings`) and, in a cluster, `rank` (%cluster_ctarank); its shape
    (block, cluster, raster) and `rings`: each ring's place in shared memory, {name: [stages,
    slot_bytes, data, bars]} (exo_gpu.dialects.tma.smem_layout)."""

    name = "lower_to_ptx.kernel"
    tid = operand_def(ptx.B32Type)
    warpgroup = operand_def(ptx.B32Type)
    smem = operand_def(ptx.B32Type)
    bars = var_operand_def(ptx.B32Type)
    rank = opt_operand_def(ptx.B32Type)
    rings = prop_def(DictionaryAttr)
    block_m = prop_def(IntegerAttr)
    block_n = prop_def(IntegerAttr)
    block_k = prop_def(IntegerAttr)
    threads = prop_def(IntegerAttr)
    raster = prop_def(IntegerAttr)
    cluster_n = prop_def(IntegerAttr)
    cluster_m = prop_def(IntegerAttr)
    kv_group = prop_def(IntegerAttr)  # attention's query heads per K/V head (0: not attention)

    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    def __init__(self, values: Sequence[SSAValue], bars: Sequence[SSAValue], rank: SSAValue | None,
                 shape: dict[str, int], rings: dict[str, RingPlace]):
        places = DictionaryAttr({name: ArrayAttr([_prop(p.stages), _prop(p.slot_bytes), _prop(p.data), _prop(p.bars)])
                                 for name, p in rings.items()})
        super().__init__(operands=[*values, bars, [rank] if rank is not None else []],
                         properties={"rings": places, **{k: _prop(v) for k, v in shape.items()}})

    def get(self, name: str) -> int:
        return _int(getattr(self, name))

    def ring(self, name: StringAttr | str) -> RingPlace:
        """The place of ring `name` (verified declared by warpgroup.kernel)."""
        key = name.data if isinstance(name, StringAttr) else name
        stages, slot, data, bars = (_int(v) for v in self.rings.data[key].data)  # type: ignore[union-attr]
        return RingPlace(key, stages, slot, data, bars)

    def ring_bars(self, name: StringAttr | str) -> SSAValue:
        """The address of ring `name`'s barriers (full[stages], then empty[stages])."""
        key = name.data if isinstance(name, StringAttr) else name
        return self.bars[list(self.rings.data).index(key)]

    @property
    def cluster(self) -> int:
        return self.get("cluster_n") * self.get("cluster_m")


@irdl_op_definition
class RoleEnvOp(EnvOp):
    """A role's thread values: `local_tid` (tid % 128) and `index` (its warpgroup among the
    role's); `first`/`count`: its warpgroups; `turns`: how many take tiles in turn (its tile
    loop's turns, 1 without)."""

    name = "lower_to_ptx.role"
    local_tid = operand_def(ptx.B32Type)
    index = operand_def(ptx.B32Type)
    count = prop_def(IntegerAttr)
    turns = prop_def(IntegerAttr)

    def owned_rows(self, block_m: int) -> tuple[int, bool]:
        """Rows of a tile one warpgroup owns, and whether the role's warpgroups split the
        tile's rows (cooperative) rather than taking whole tiles in turn (ping-pong)."""
        split = _int(self.turns) == 1
        return block_m // (_int(self.count) if split else 1), split


@irdl_op_definition
class FragmentLanesOp(EnvOp):
    """Per consumer thread: `rows`, its ldmatrix row (bytes into the A tile), and for each
    fragment K byte offset of `kbs`, its swizzled 16-byte chunk (bytes into the row)."""

    name = "lower_to_ptx.fragment_lanes"
    rows = operand_def(ptx.B32Type)
    chunks = var_operand_def(ptx.B32Type)
    kbs = prop_def(ArrayAttr[IntAttr])

    def chunk(self, kb: int) -> SSAValue:
        return self.chunks[[k.data for k in self.kbs.data].index(kb)]


@irdl_op_definition
class TileEnvOp(EnvOp):
    """The current output tile: its (m, n) block; in a tile loop also `k_base` (ring position
    of its first K block), `k_size` and `nk` (its K and K block count) and, split-K,
    `k_begin` (the work unit's first K block)."""

    name = "lower_to_ptx.tile"
    m_block = operand_def(ptx.B32Type)
    n_block = operand_def(ptx.B32Type)
    k_base = opt_operand_def(ptx.B32Type)
    k_size = opt_operand_def(ptx.B32Type)
    nk = opt_operand_def(ptx.B32Type)
    k_begin = opt_operand_def(ptx.B32Type)
    ordinal = opt_operand_def(ptx.B32Type)  # tiles this warpgroup ran before (warpgroup.tile_ordinal)
    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    def __init__(self, m_block: SSAValue, n_block: SSAValue, k_base: SSAValue | None = None,
                 k_size: SSAValue | None = None, nk: SSAValue | None = None, k_begin: SSAValue | None = None,
                 ordinal: SSAValue | None = None):
        optional = ([v] if v is not None else [] for v in (k_base, k_size, nk, k_begin, ordinal))
        super().__init__(operands=[m_block, n_block, *optional])


@irdl_op_definition
class BatchEnvOp(EnvOp):
    """A batched kernel's batch count (its 7th parameter), left by the kernel's prologue."""

    name = "lower_to_ptx.batch"
    count = operand_def(ptx.B32Type)


@irdl_op_definition
class BatchTileEnvOp(EnvOp):
    """The current tile's GEMM of a batched kernel: the first rows of its A (b * M) and of its
    B (b * N) in their stacked tensor maps, and for attention (kv_group) its K/V rows."""

    name = "lower_to_ptx.batch_tile"
    a_rows = operand_def(ptx.B32Type)
    b_rows = operand_def(ptx.B32Type)
    kv_rows = opt_operand_def(ptx.B32Type)  # attention: (b / kv_group) * K, its K/V matrix's first row

    def __init__(self, a_rows: SSAValue, b_rows: SSAValue, kv_rows: SSAValue | None = None):
        super().__init__(operands=[a_rows, b_rows, [kv_rows] if kv_rows is not None else []])


@irdl_op_definition
class TurnEnvOp(EnvOp):
    """Tiles taken in turn: the current `tile`, the block's `first` tile, the `step` between a
    block's tiles, the tile count, and the named barriers of this warpgroup's turn (`mine`) and
    of the next one's (`next`)."""

    name = "lower_to_ptx.turn"
    tile = operand_def(ptx.B32Type)
    first = operand_def(ptx.B32Type)
    step = operand_def(ptx.B32Type)
    tiles = operand_def(ptx.B32Type)
    mine = operand_def(ptx.B32Type)
    next = operand_def(ptx.B32Type)


@irdl_op_definition
class SmemDescriptorsOp(IRDLOperation):
    """Request: the 64-bit shared-memory descriptors of this warpgroup's A tile in slot `slot`
    of ring `a_ring` and of the B tile in that slot of ring `b_ring` (`trans_a`/`trans_b`:
    MN-major), shared by the wgmmas of one block; with `a_slot`, A's tile is in that slot."""

    name = "lower_to_ptx.smem_descriptors"
    slot = operand_def(ptx.B32Type)
    a_slot = opt_operand_def(ptx.B32Type)
    trans_a = prop_def(IntegerAttr)
    trans_b = prop_def(IntegerAttr)
    a_ring = prop_def(StringAttr)
    b_ring = prop_def(StringAttr)
    b_tile = prop_def(IntegerAttr)  # where B's tile starts in its ring's slot
    desc_a = result_def(ptx.B64Type)
    desc_b = result_def(ptx.B64Type)

    def __init__(self, slot: SSAValue, trans: tuple[int, int], rings: tuple[str, str], b_tile: int = 0,
                 a_slot: SSAValue | None = None):
        super().__init__(operands=[slot, [a_slot] if a_slot is not None else []], result_types=[B64(), B64()],
                         properties={"trans_a": _prop(trans[0]), "trans_b": _prop(trans[1]),
                                     "a_ring": StringAttr(rings[0]), "b_ring": StringAttr(rings[1]),
                                     "b_tile": _prop(b_tile)})


@irdl_op_definition
class FragmentAddressOp(IRDLOperation):
    """Request: this lane's ldmatrix address in the A tile of slot `slot` of ring `ring`, at
    fragment K byte offset `kb`, shared by the fragment loads of one block."""

    name = "lower_to_ptx.fragment_address"
    slot = operand_def(ptx.B32Type)
    kb = prop_def(IntegerAttr)
    ring = prop_def(StringAttr)
    result = result_def(ptx.B32Type)

    def __init__(self, slot: SSAValue, kb: int, ring: str):
        super().__init__(operands=[slot], result_types=[B32()], properties={"kb": _prop(kb), "ring": StringAttr(ring)})


LowerToPtxState = Dialect("lower_to_ptx", [KernelEnvOp, RoleEnvOp, FragmentLanesOp, TileEnvOp, TurnEnvOp,
                                            BatchEnvOp, BatchTileEnvOp,
                                            SmemDescriptorsOp, FragmentAddressOp])

EnvT = TypeVar("EnvT", bound=IRDLOperation)


def enclosing(op: Operation, kind: type[EnvT]) -> EnvT | None:
    """The nearest `kind` context op in a block enclosing `op` (None: not lowered that far)."""
    block = op.parent_block()
    while block is not None:
        for candidate in block.ops:
            if isinstance(candidate, kind):
                return candidate
        parent = block.parent_op()
        block = parent.parent_block() if parent is not None else None
    return None


def is_lowered(value: SSAValue) -> bool:
    """Whether `value` is PTX already (a register, or the registers of an A fragment)."""
    return (isinstance(value.type, (ptx.PtxRegisterType, ptx.AccType))
            or isinstance(value.owner, UnrealizedConversionCastOp))


def operands_lowered(op: Operation) -> bool:
    return all(is_lowered(v) for v in op.operands)


@dataclass
class Emitter:
    """Builds the PTX ops of one lowering, all at `loc`, into `block`."""

    loc: LocationAttr
    block: Block = field(default_factory=Block)

    def emit(self, op: Operation) -> Operation:
        op.location = self.loc
        self.block.add_op(op)
        return op

    def v(self, op: Operation) -> SSAValue:
        return self.emit(op).results[0]

    def add(self, a: SSAValue, b: SSAValue | int, ty: str = ".u32", rt=B32) -> SSAValue:
        return self.v(ptx.AddOp(ty, a, b, rt()))

    def mad(self, a: SSAValue, b: SSAValue | int, c: SSAValue) -> SSAValue:
        return self.v(ptx.MadLoOp(".u32", a, b, c, B32()))

    def nested(self, fill: Callable[[Emitter], object]) -> Region:
        """A region of ops built by `fill` at the same location."""
        inner = Emitter(self.loc)
        fill(inner)
        return Region(inner.block)

    def take(self) -> list[Operation]:
        ops = list(self.block.ops)
        for op in ops:
            op.detach()
        return ops


def rauw(rewriter: PatternRewriter, old: SSAValue, new: SSAValue) -> None:
    """Replace `old` by `new` everywhere, without carrying `old`'s name over to `new` (PTX
    values stay unnamed)."""
    hint = new.name_hint
    rewriter.replace_all_uses_with(old, new)
    new.name_hint = hint


def replace(rewriter: PatternRewriter, op: Operation, em: Emitter, results: Sequence[SSAValue] = ()) -> None:
    """Put the ops built in `em` where `op` is, its results replaced by `results`, and erase it."""
    rewriter.insert(em.take(), InsertPoint.before(op))
    for old, new in zip(op.results, results, strict=True):
        rauw(rewriter, old, new)
    rewriter.erase(op)


def inline(rewriter: PatternRewriter, block: Block, into: Block, args: Sequence[SSAValue] = ()) -> None:
    """Move the ops of `block` to the end of `into`, its arguments replaced by `args`."""
    for old, new in zip(block.args, args, strict=True):
        rauw(rewriter, old, new)
    rewriter.inline_block(block, InsertPoint.at_end(into))
