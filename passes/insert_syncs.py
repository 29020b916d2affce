"""`insert-syncs`: every synchronisation of the warp-specialized pipeline, and nothing else.

A *stage* is a maximal run of consecutive wgmma.mma_async ops in one block reading the same
slot; the rings it reads are those its wgmmas (and A fragment loads) name, each ring one
operand stream with its own full and empty barriers.  Guarantees on the output:
- consumers: before each stage, for each ring it reads that no earlier stage of its block
  read at that slot (in the order they are first read), an mbarrier wait for that ring's
  slot to be full, then a wgmma.fence (so any earlier register access, wgmma or not, is
  ordered before the stage); after it, wgmma.commit_group: each stage is one group;
- a stage whose accumulators only wgmmas read (the same chain, or the next K block through
  the loop) is followed by wgmma.wait_group N (N = the kernel's wait_depth) through which
  they flow, then, for each ring it is the block's last stage to read, an arrive on the
  empty barrier of the slot whose groups that wait retired (N K blocks back; skipped in
  iterations with no such block), in every CTA of the cluster for a ring the cluster shares
  (`multicast` on its mbarrier.ring);
- a stage whose accumulators another op of the block reads (a fragment op, a store: chained
  groups, as attention's S = Q K^T before its softmax) gets its own wait depth: a
  wgmma.wait_group right before that op, leaving in flight exactly the stages issued since,
  and the release of its rings' slot right after it;
- in a tile_loop with turns (ping-pong), an await_turn before the tile's first stage and a
  pass_turn right after its K loop has issued every wgmma (before the final wait below), so
  the consumer warpgroups wait on and read the ring one at a time, in tile order;
- after the last K loop of a block, an unconditional wgmma.wait_group 0 in straight-line code,
  so the epilogue reads only retired accumulators; inside a tile_loop, then the release of
  the slots the loop's lagging arrives left (the next tile's loads wait for them);
- producers: before the first of each K block's bulk loads into a ring, a wait for that
  ring's slot to be empty and an arrive-expect-tx announcing the bytes of all the block's
  loads into that ring.
With A in registers a stage also holds its wgmma.load_fragment_a ops, all before its first
wgmma: the full-slot wait precedes the loads and the wgmma.fence follows them.
A wgmma may read A at a slot of its own (`a_slot`: a ring advancing once per tile, as
attention's Q, at a ring_slot of warpgroup.tile_ordinal): that ring's slot is waited for
before the K loop and released after the loop's final wait_group.  An A
fragment must not be rewritten while a wgmma that reads it is in flight, so with wait depth
N > 0 a K loop that loads fragments gets `unroll = N + 1`: lowered with N + 1 copies of its
body, K block k writes the registers of block k - N - 1, which the wait_group N after block
k - 1 retired.
Outside a K loop the slot must come from a ring_slot of the tile_loop's base (the tile's
first K block) or be a constant c < stages of every ring it indexes (a peeled iteration of a
kernel without a tile_loop, phase 0).
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
    AccumulatorType,
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


def _rings_of(ops: list[Operation]) -> list[str]:
    """The rings `ops` read or load into, in the order first named."""
    names: list[str] = []
    for op in ops:
        for name in wg.ring_names(op):
            if name not in names:
                names.append(name)
    return names


class _Rings:
    """The kernel's rings' stages, and where a slot value comes from: a K loop's block
    argument, a ring_slot of a tile_loop's base, or a peeled constant."""

    def __init__(self, kernel: wg.KernelOp):
        self.stages = {ring.shape[0]: ring.shape[1] for ring in kernel.rings()}
        self.sharing = {ring.shape[0]: ring.sharing for ring in kernel.rings()}

    def phase_and_index(self, slot: SSAValue, before: Operation, rings: list[str]) -> tuple[SSAValue, int | None]:
        owner = slot.owner
        if isinstance(owner, Block) and isinstance(loop := owner.parent_op(), wg.KLoopOp) and slot is loop.slot:
            return loop.phase, None
        if isinstance(owner, wg.PrevSlotOp):  # K block k - 1 of a K loop
            return owner.prev_phase, None
        if isinstance(owner, wg.RingSlotOp):
            position = owner.position
            tiles = position.owner.parent_op() if isinstance(position.owner, Block) else None
            of_tile = isinstance(tiles, wg.TileLoopOp) and (position is tiles.base or position is tiles.end)
            if not of_tile and not isinstance(position.owner, wg.TileOrdinalOp):
                raise DiagnosticException(f"{before.name} at {before.location}: a ring_slot read by a stage "
                                          "must be of its tile_loop's base or end (a K block of the tile) or of "
                                          "warpgroup.tile_ordinal (a ring advancing once per tile)")
            return owner.phase, 0
        if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
            index = owner.value.value.data
            stages = min(self.stages.get(name, 0) for name in rings)
            if not 0 <= index < stages:
                raise DiagnosticException(f"ring slot {index} outside a K loop is not a peeled iteration "
                                          f"(stages = {stages})")
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


@dataclass
class _Stage:
    """One stage of a consumer block: its ops, the rings whose full barrier it waits for (those
    no earlier stage of the block read at this slot) and those it releases (those no later
    stage of the block reads at this slot)."""

    ops: list[Operation]
    waits: list[str]
    releases: list[str]


def _ring_slots(op: Operation) -> list[tuple[str, SSAValue]]:
    """(ring, slot) of each ring `op` reads or loads into."""
    if isinstance(op, MmaAsyncOp):
        return op.ring_slots()
    return [(name, op.slot) for name in wg.ring_names(op)]  # type: ignore[attr-defined]


def _own_rings(stage_ops: list[Operation]) -> list[str]:
    """The rings the stage reads at its own slot, in the order first named (a ring read at a
    slot of its own, once per tile, is the K loop's: `_wait_tile_rings`)."""
    slot = stage_ops[0].slot  # type: ignore[attr-defined]
    names: list[str] = []
    for op in stage_ops:
        for name, at in _ring_slots(op):
            if at is slot and name not in names:
                names.append(name)
    return names


def _plan_stages(block: Block) -> list[_Stage]:
    runs = _runs(block, _STAGE_OPS)  # type: ignore[arg-type]
    stages = [_Stage(run, [], []) for run in runs]
    waited: set[tuple[SSAValue, str]] = set()
    for stage in stages:
        slot = stage.ops[0].slot  # type: ignore[attr-defined]
        stage.waits = [name for name in _own_rings(stage.ops) if (slot, name) not in waited]
        waited.update((slot, name) for name in stage.waits)
    released: set[tuple[SSAValue, str]] = set()
    for stage in reversed(stages):
        slot = stage.ops[0].slot  # type: ignore[attr-defined]
        stage.releases = [name for name in _own_rings(stage.ops) if (slot, name) not in released]
        released.update((slot, name) for name in stage.releases)
    return stages


def _outer_reads(op: Operation) -> list[tuple[str, SSAValue]]:
    """(ring, slot) that the wgmmas of `op` (a wgmma, or a K loop's) read at a slot of their
    own (A's `a_slot`)."""
    found: list[tuple[str, SSAValue]] = []
    for inner in ([op] if isinstance(op, MmaAsyncOp) else op.walk()):
        if isinstance(inner, MmaAsyncOp):
            found += [(name, slot) for name, slot in inner.ring_slots() if slot is not inner.slot]
    return found


def _tile_ring_reads(block: Block) -> tuple[dict[tuple[str, SSAValue], Operation], Operation | None]:
    """The (ring, slot) pairs that wgmmas of the block (or of its K loops) read at a slot of
    their own (A's `a_slot`: a ring advancing once per tile, attention's Q), each with the
    first op reading it, and the last such op.  A K loop's body is seen from its block."""
    first: dict[tuple[str, SSAValue], Operation] = {}
    last: Operation | None = None
    if isinstance(block.parent_op(), wg.KLoopOp):
        return first, last
    for op in list(block.ops):
        reads = _outer_reads(op) if isinstance(op, (MmaAsyncOp, wg.KLoopOp)) else []
        for pair in reads:
            first.setdefault(pair, op)
        last = op if reads else last
    return first, last


def _wait_tile_rings(block: Block, rings: _Rings) -> None:
    """Wait for each tile ring's slot to be full before the first op reading it (before the
    stages are synchronised, so the wait comes before that stage's wgmma.fence: no branch
    between a fence and its wgmmas)."""
    for (name, slot), op in _tile_ring_reads(block)[0].items():
        phase, _ = rings.phase_and_index(slot, op, [name])
        _insert([WaitOp(name, slot, phase, "full")], op)


def _release_tile_rings(block: Block, rings: _Rings) -> None:
    """Release each tile ring's slot after the first wait_group following the last op reading it."""
    first, last = _tile_ring_reads(block)
    if last is None:
        return
    final = last.next_op
    while final is not None and not isinstance(final, WaitGroupOp):
        final = final.next_op
    assert final is not None, "a wait_group after the last wgmma reading a tile's ring"
    _insert([ArriveOp(name, slot, 0, cluster=rings.sharing[name]) for name, slot in first], final, after=True)


def _first_reader(values: list[SSAValue], after: Operation) -> Operation | None:
    """The first op of `after`'s block, after it, that reads one of `values` other than a wgmma
    (which orders itself behind the in-flight wgmmas on its accumulator), a wait_group, or a
    k_loop or yield carrying it into the next K block's wgmmas; an op nested in a later op of
    the block counts as that op."""
    block = after.parent_block()
    readers: set[Operation] = set()
    for value in values:
        for use in value.uses:
            op: Operation | None = use.operation
            if isinstance(op, (*_MMAS, WaitGroupOp, wg.YieldOp, wg.KLoopOp)):
                continue
            while op is not None and op.parent_block() is not block:
                op = op.parent_op()
            if op is not None:
                readers.add(op)
    op = after.next_op
    while op is not None and op not in readers:
        op = op.next_op
    return op


def _sync_consumer_stage(stage: _Stage, later: list[_Stage], rings: _Rings, depth: int) -> None:
    """Waits, fence, commit, wait_group and releases of one stage (module docstring).  Its
    accumulators go through a wait_group: right after the commit with `depth` groups left in
    flight when only wgmmas (or the next iteration) read them, releasing its rings' slot
    `depth` K blocks back; or, when a non-wgmma op of the block reads them, right before that
    op with as many groups left in flight as stages issued since (its own wait depth),
    releasing its rings' slot at once."""
    ops = stage.ops
    first, last = ops[0], ops[-1]
    mmas = [op for op in ops if isinstance(op, _MMAS)]
    if not mmas:
        raise DiagnosticException(f"{first.name} at {first.location}: an A fragment load with no wgmma after it "
                                  "in its stage: load A fragments only for the wgmmas of the same K block")
    late = next((op for op in ops[ops.index(mmas[0]):] if isinstance(op, LoadFragmentAOp)), None)
    if late is not None:
        raise DiagnosticException(
            f"{late.name} at {late.location}: an A fragment load after the stage's first wgmma would write "
            "registers inside the stage: load every A fragment of a K block before its first wgmma")
    slot = first.slot  # type: ignore[attr-defined]
    phase, index = rings.phase_and_index(slot, first, _rings_of(ops))
    # The full-slot waits come before the fragment loads read the slot; the fence after them,
    # so the wgmmas see the registers they wrote.
    _insert([WaitOp(name, slot, phase, "full") for name in stage.waits], first)
    _insert([FenceOp()], mmas[0])
    live = _live_results(ops)
    reader = _first_reader(live, last)
    if reader is not None:  # retire this group before the read, later ones may stay in flight
        block = last.parent_block()
        position = {op: i for i, op in enumerate(block.ops)}  # type: ignore[union-attr]
        pending = sum(1 for other in later if position[other.ops[-1]] < position[reader])
        wait = WaitGroupOp(pending, live)
        _insert([CommitGroupOp()], last, after=True)
        _insert([wait, *_releases(stage, slot, 0, index, None, rings)], reader)
        _reroute_through(wait)
        return
    wait = WaitGroupOp(depth, live)
    guard_k = None
    if index is None:
        loop = slot.owner.parent_op()
        guard_k = loop.k if _int(loop.start) < depth else None  # early iterations have nothing to release
    _insert([CommitGroupOp(), wait, *_releases(stage, slot, depth, index, guard_k, rings)], last, after=True)
    _reroute_through(wait)


def _releases(stage: _Stage, slot: SSAValue, lag: int, index: int | None, guard_k, rings: _Rings) -> list[Operation]:
    """The arrives releasing the stage's rings' slot `lag` K blocks back (in a peeled iteration,
    only a slot that exists), in every CTA of the cluster for a ring the cluster shares."""
    if index is not None and index - lag < 0:
        return []
    return [ArriveOp(name, slot, lag, guard_k, cluster=rings.sharing[name]) for name in stage.releases]


def _reroute_through(wait: WaitGroupOp) -> None:
    """Every later use of an accumulator now reads the wait's result instead."""
    for old, new in zip(wait.accumulators, wait.results_):
        old.replace_uses_with_if(new, lambda use: use.operation is not wait)


def _live_results(ops: list[Operation]) -> list[SSAValue]:
    """The accumulators a stage leaves behind: its wgmmas' results no later wgmma of it reads."""
    in_stage = set(ops)
    return [op.result for op in ops if isinstance(op, _MMAS)  # type: ignore[attr-defined]
            and not any(use.operation in in_stage for use in op.result.uses)]  # type: ignore[attr-defined]


def _lagged_rings(block: Block) -> list[str]:
    """The rings of `block` (a K loop's body, not synchronised yet) released `depth` K blocks
    late: those of stages whose accumulators only wgmmas read (the others release theirs at
    once, after their own wait_group)."""
    names: list[str] = []
    for stage in _plan_stages(block):
        if _first_reader(_live_results(stage.ops), stage.ops[-1]) is None:
            names += [name for name in stage.releases if name not in names]
    return names


def _final_wait(loop: wg.KLoopOp, depth: int, rings: _Rings) -> None:
    """wait_group 0 after the loop; in a tile_loop, also release the slots of the tile's last
    `depth` K blocks of every ring the loop releases late (`_lagged_rings`), which its lagging
    arrives have not released (the next tile's loads need them)."""
    wait = WaitGroupOp(0, [r for r in loop.res if isinstance(r.type, AccumulatorType)])  # not row vectors
    tiles = loop.parent_op()
    turns = isinstance(tiles, wg.TileLoopOp) and tiles.turn_count > 1
    ops: list[Operation] = [*([wg.PassTurnOp()] if turns else []), wait]
    names = _lagged_rings(loop.body.block)
    if depth and isinstance(tiles, wg.TileLoopOp) and names:
        end = wg.RingSlotOp(tiles.end, _int(loop.stages))
        ops += [end, *(ArriveOp(name, end.slot, depth, cluster=rings.sharing[name]) for name in names)]
    _insert(ops, loop, after=True)
    _reroute_through(wait)


def _unroll_for_fragments(block: Block, depth: int) -> None:
    """A K loop whose stages load A fragments is unrolled depth + 1 times, so that the
    registers of K block k are not written again before the wait_group that retires its
    wgmmas (depth K blocks later): each copy of the body has its own fragment registers."""
    for loop in [op for op in block.ops if isinstance(op, wg.KLoopOp)]:
        if depth and any(isinstance(op, LoadFragmentAOp) for op in loop.body.block.ops):
            loop.unroll = IntegerAttr(max(loop.unroll_factor, depth + 1), 64)


def _sync_producer_loads(loads: list[Operation], rings: _Rings) -> None:
    """Before the first load into each ring: wait for its slot to be empty, and announce the
    bytes every load of the run brings into it."""
    slot = loads[0].slot  # type: ignore[attr-defined]
    names = _rings_of(loads)
    phase, _ = rings.phase_and_index(slot, loads[0], names)
    for name in names:
        mine = [op for op in loads if wg.ring_names(op) == (name,)]
        nbytes = sum(_int(op.bytes) for op in mine)  # type: ignore[attr-defined]
        _insert([WaitOp(name, slot, phase, "empty"), ArriveExpectTxOp(name, slot, nbytes)], mine[0])


def insert_syncs(kernel: wg.KernelOp) -> None:
    rings = _Rings(kernel)
    depth = _int(kernel.wait_depth)
    for role in kernel.roles():
        blocks = list(role.walk_blocks())
        for block in blocks:
            if role.role.data == "consumer":
                _wait_tile_rings(block, rings)
                stages = _plan_stages(block)
                for i, stage in enumerate(stages):
                    _sync_consumer_stage(stage, stages[i + 1:], rings, depth)
                _unroll_for_fragments(block, depth)
            else:
                for loads in _runs(block, LoadOp):
                    _sync_producer_loads(loads, rings)
            if role.role.data == "consumer":
                loops = [op for op in block.ops if isinstance(op, wg.KLoopOp)]
                if loops:
                    _final_wait(loops[-1], depth, rings)
                _release_tile_rings(block, rings)
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
