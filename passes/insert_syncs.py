"""`insert-syncs`: every synchronisation of the warp-specialized pipeline, and nothing else.

A *stage* is a maximal run of consecutive wgmma.mma_async ops in one block reading the same
ring slot.  Guarantees on the output:
- consumers: before each stage, an mbarrier wait for the slot to be full and a wgmma.fence
  (so any earlier register access, wgmma or not, is ordered before the stage); after it,
  wgmma.commit_group, then wgmma.wait_group N (N = the kernel's wait_depth) through which the
  stage's accumulators flow, then an arrive on the empty barrier of the slot whose groups
  that wait retired (N K blocks back; skipped in iterations with no such block), in every
  CTA of the cluster when A or B is multicast;
- in a tile_loop with turns (ping-pong), an await_turn before the tile's first stage and a
  pass_turn right after its K loop has issued every wgmma (before the final wait below), so
  the consumer warpgroups wait on and read the ring one at a time, in tile order;
- after the last K loop of a block, an unconditional wgmma.wait_group 0 in straight-line code,
  so the epilogue reads only retired accumulators; inside a tile_loop, then the release of
  the slots the loop's lagging arrives left (the next tile's loads wait for them);
- producers: before each K block's bulk loads, a wait for the slot to be empty and an
  arrive-expect-tx announcing the bytes of all the block's loads.
With A in registers a stage also holds its wgmma.load_fragment_a ops, all before its first
wgmma: the full-slot wait precedes the loads and the wgmma.fence follows them.  An A
fragment must not be rewritten while a wgmma that reads it is in flight, so with wait depth
N > 0 a K loop that loads fragments gets `unroll = N + 1`: lowered with N + 1 copies of its
body, K block k writes the registers of block k - N - 1, which the wait_group N after block
k - 1 retired.
Outside a K loop the slot must come from a ring_slot of the tile_loop's base (the tile's
first K block) or be a constant c < stages (a peeled iteration of a kernel without a
tile_loop, phase 0).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, i32
from xdsl.ir import Block, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import DiagnosticException

from exo_gpu.dialects import warpgroup as wg
from exo_gpu.dialects.attrs import int_value as _int
from exo_gpu.dialects.tma import ArriveExpectTxOp, ArriveOp, LoadOp, WaitOp
from exo_gpu.dialects.wgmma import (
    CommitGroupOp,
    FenceOp,
    LoadFragmentAOp,
    MmaAsyncOp,
    MmaAsyncRsOp,
    WaitGroupOp,
)
from exo_gpu.passes.levels import expect_level


def _runs(block: Block, kind: type[Operation]) -> list[list[Operation]]:
    """Maximal runs of consecutive `kind` ops in `block` that use the same slot."""
    runs: list[list[Operation]] = []
    current: list[Operation] = []
    for op in block.ops:
        if isinstance(op, kind) and (not current or current[0].slot == op.slot):  # type: ignore[attr-defined]
            current.append(op)
            continue
        if current:
            runs.append(current)
        current = [op] if isinstance(op, kind) else []
    if current:
        runs.append(current)
    return runs


class _Ring:
    """Where a slot value comes from: a K loop's block argument, or a peeled constant."""

    def __init__(self, stages: int):
        self.stages = stages

    def phase_and_index(self, slot: SSAValue, before: Operation) -> tuple[SSAValue, int | None]:
        owner = slot.owner
        if isinstance(owner, Block) and isinstance(loop := owner.parent_op(), wg.KLoopOp) and slot is loop.slot:
            return loop.phase, None
        if isinstance(owner, wg.RingSlotOp):
            position = owner.position
            if not (isinstance(position.owner, Block) and isinstance(position.owner.parent_op(), wg.TileLoopOp)
                    and position is position.owner.parent_op().base):  # type: ignore[union-attr]
                raise DiagnosticException(f"{before.name} at {before.location}: a ring_slot read by a stage "
                                          "must be of its tile_loop's base (the tile's first K block)")
            return owner.phase, 0
        if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
            index = owner.value.value.data
            if not 0 <= index < self.stages:
                raise DiagnosticException(f"ring slot {index} outside a K loop is not a peeled iteration "
                                          f"(stages = {self.stages})")
            zero = arith.ConstantOp(IntegerAttr(0, i32))
            zero.location = before.location
            before.parent_block().insert_op_before(zero, before)
            return zero.result, index
        raise DiagnosticException(
            f"{before.name} at {before.location}: its ring slot is neither a warpgroup.k_loop slot "
            "nor a constant, so its barrier phase is unknown")


def _insert(ops: list[Operation], anchor: Operation, after: bool = False) -> None:
    block = anchor.parent_block()
    for op in ops:
        op.location = anchor.location
    if after:
        block.insert_ops_after(ops, anchor)
    else:
        block.insert_ops_before(ops, anchor)


_MMAS = (MmaAsyncOp, MmaAsyncRsOp)
_STAGE_OPS = (LoadFragmentAOp, MmaAsyncOp, MmaAsyncRsOp)


def _sync_consumer_stage(stage: list[Operation], ring: _Ring, depth: int, cluster: int) -> None:
    first, last = stage[0], stage[-1]
    mmas = [op for op in stage if isinstance(op, _MMAS)]
    if not mmas:
        raise DiagnosticException(f"{first.name} at {first.location}: an A fragment load with no wgmma after it "
                                  "in its stage: load A fragments only for the wgmmas of the same K block")
    late = next((op for op in stage[stage.index(mmas[0]):] if isinstance(op, LoadFragmentAOp)), None)
    if late is not None:
        raise DiagnosticException(
            f"{late.name} at {late.location}: an A fragment load after the stage's first wgmma would write "
            "registers inside the stage: load every A fragment of a K block before its first wgmma")
    phase, index = ring.phase_and_index(first.slot, first)  # type: ignore[attr-defined]
    # The full-slot wait comes before the fragment loads read the slot; the fence after them,
    # so the wgmmas see the registers they wrote.
    _insert([WaitOp(first.slot, phase, "full")], first)  # type: ignore[attr-defined]
    _insert([FenceOp()], mmas[0])
    # The accumulators this stage leaves behind: results not consumed by a later mma of it.
    in_stage = set(stage)
    live = [op.result for op in mmas  # type: ignore[attr-defined]
            if not any(use.operation in in_stage for use in op.result.uses)]  # type: ignore[attr-defined]
    wait = WaitGroupOp(depth, live)
    after: list[Operation] = [CommitGroupOp(), wait]
    if index is not None:  # a peeled iteration: release only a slot that exists
        if index - depth >= 0:
            after.append(ArriveOp(first.slot, depth, cluster=cluster))  # type: ignore[attr-defined]
    else:
        loop = first.slot.owner.parent_op()  # type: ignore[attr-defined]
        guard_k = loop.k if _int(loop.start) < depth else None  # early iterations have nothing to release
        after.append(ArriveOp(first.slot, depth, guard_k, cluster=cluster))  # type: ignore[attr-defined]
    _insert(after, last, after=True)
    _reroute_through(wait)


def _reroute_through(wait: WaitGroupOp) -> None:
    """Every later use of an accumulator now reads the wait's result instead."""
    for old, new in zip(wait.accumulators, wait.results_):
        old.replace_uses_with_if(new, lambda use: use.operation is not wait)


def _final_wait(loop: wg.KLoopOp, depth: int, stages: int, cluster: int) -> None:
    """wait_group 0 after the loop; in a tile_loop, also release the slots of the tile's last
    `depth` K blocks, which the loop's lagging arrives have not released (the next tile's
    loads need them)."""
    wait = WaitGroupOp(0, list(loop.res))
    tiles = loop.parent_op()
    turns = isinstance(tiles, wg.TileLoopOp) and tiles.turn_count > 1
    ops: list[Operation] = [*([wg.PassTurnOp()] if turns else []), wait]
    if depth and isinstance(tiles, wg.TileLoopOp):
        end = wg.RingSlotOp(tiles.end, stages)
        ops += [end, ArriveOp(end.slot, depth, cluster=cluster)]
    _insert(ops, loop, after=True)
    _reroute_through(wait)


def _unroll_for_fragments(block: Block, depth: int) -> None:
    """A K loop whose stages load A fragments is unrolled depth + 1 times, so that the
    registers of K block k are not written again before the wait_group that retires its
    wgmmas (depth K blocks later): each copy of the body has its own fragment registers."""
    for loop in [op for op in block.ops if isinstance(op, wg.KLoopOp)]:
        if depth and any(isinstance(op, LoadFragmentAOp) for op in loop.body.block.ops):
            loop.unroll = IntegerAttr(max(loop.unroll_factor, depth + 1), 64)


def insert_syncs(kernel: wg.KernelOp) -> None:
    ring = _Ring(_int(kernel.stages))
    depth = _int(kernel.wait_depth)
    for role in kernel.roles():
        blocks = list(role.walk_blocks())
        for block in blocks:
            if role.role.data == "consumer":
                for stage in _runs(block, _STAGE_OPS):  # type: ignore[arg-type]
                    _sync_consumer_stage(stage, ring, depth, kernel.cluster_size)
                _unroll_for_fragments(block, depth)
            else:
                for loads in _runs(block, LoadOp):
                    first = loads[0]
                    phase, _ = ring.phase_and_index(first.slot, first)  # type: ignore[attr-defined]
                    nbytes = sum(_int(op.bytes) for op in loads)  # type: ignore[attr-defined]
                    _insert([WaitOp(first.slot, phase, "empty"), ArriveExpectTxOp(first.slot, nbytes)], first)  # type: ignore[attr-defined]
            if role.role.data == "consumer":
                loops = [op for op in block.ops if isinstance(op, wg.KLoopOp)]
                if loops:
                    _final_wait(loops[-1], depth, ring.stages, kernel.cluster_size)
                tiles = block.parent_op()
                if isinstance(tiles, wg.TileLoopOp) and tiles.turn_count > 1 and block.first_op is not None:
                    _insert([wg.AwaitTurnOp()], block.first_op)


@dataclass(frozen=True)
class InsertSyncsPass(ModulePass):
    """Insert fences, commit/wait groups and ring mbarrier operations (module docstring)."""

    name = "insert-syncs"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        expect_level(op, "insert-syncs", "warpgroup")
        for kernel in [k for k in op.walk() if isinstance(k, wg.KernelOp)]:
            insert_syncs(kernel)
