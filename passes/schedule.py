"""`schedule`: a GEMM-shaped tile.kernel -> a warp-specialized warpgroup.kernel of tma, mbarrier
and wgmma ops.  An attention-shaped one (two tile.mma in its K loop) is recognised by
exo_gpu.passes.tile_match_attention and built by exo_gpu.passes.schedule_attention.

The program is recognised by `exo_gpu.passes.tile_match` (a K loop of A and B tile loads
feeding tile.mma, an epilogue, a store; anything else is a located error saying what is
supported) and read as a `GemmPlan`: the block shape from its tile types, the layouts from
its tensors, the rest from `#tile.schedule` (`stages` absent: the most that fit in shared
memory).  The kernel records its ABI (`abi` attribute, see exo_gpu.passes.gemm_plan) and the
resolved schedule (`schedule` attribute).  Epilogue ops become wgmma fragment ops before
each store (exo_gpu.passes.schedule_epilogue).  A batched program (rank-3 tensors, the
batch index from tile.program_id) gives a `batched` kernel walking batch x tiles.

Guarantees on its output:
- both roles walk the thread block's output tiles in a warpgroup.tile_loop (persistent
  when the grid is smaller than the number of tiles), the ring carrying on across tiles;
- the rings (`rings` in the schedule): "shared", one ring "ab" whose slot holds A's
  block_m x block_k tile then B's block_n x block_k tile, with one full and one empty barrier
  per slot (a stage reads both, so one wait and one release cover them); or "per_operand",
  ring "a" for A's tiles and ring "b" for B's, each with its own barriers (a stage waits for
  and releases each); a ring is shared by the cluster when one of its operands is multicast;
- one producer warpgroup (warpgroup 0) loads A and B blocks into their rings, one box of A per
  consumer warpgroup and one box of B per K block; with cluster_n = 2 the A boxes are
  multicast, each block of the pair loading half; with cluster_m = 2 the B box is, the same way;
- cooperative schedule: `consumers` consumer warpgroups each own block_m / consumers rows of
  C as m64 accumulator tiles, each an SSA value of type !wgmma.accumulator<m64nN, f32> (f16
  with `accumulate = "f16"` and an f16 accumulator tile);
- ping-pong schedule: the consumers' tile_loop has turns = 2: each consumer warpgroup owns
  every row of the block's tiles it runs, taking tiles in turn (insert-syncs orders the
  turns), so one warpgroup's epilogue runs under the other's K loop;
- with split_k = S > 1 both tile_loops walk (tile, split) work units (split_k on the
  tile_loop), each K loop covering its unit's K range, and the epilogue adds each partial
  tile into C with atomic adds (store_accumulator's atomic_add); S = 1 builds today's IR;
- the K loop's iteration 0 is peeled, so every wgmma's scale-d is an immediate: 0 for the
  first instruction of each tile (D is not read), 1 after.  With `scale_d=runtime` the
  loop is not peeled and passes scale-d as a run-time predicate (k != 0): a deliberately fragile form
  kept to reproduce the users' failure and measure what ptxas does with it;
- with `a_in_registers`, each K block first loads every A fragment of the stage from the
  ring into registers (wgmma.load_fragment_a, one per RS wgmma), then issues the RS wgmmas
  (wgmma.mma_async_rs) that read them; B stays in shared memory;
- an MN-major operand (layout_a = col, layout_b = row; f16/bf16) is loaded as 128-byte
  swizzle atoms, one box of 64 M (or N) elements by block_k rows of K per m64 tile of A (per
  64 columns of B), each atom block_k * 128 bytes after the previous; its wgmma has
  trans_a (trans_b) = 1 and steps K by 16 rows of 128 bytes (2048 bytes), not 32 bytes;
- no synchronisation: `insert-syncs` adds every fence, commit, wait and mbarrier operation.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from xdsl.context import Context
from xdsl.dialects import arith
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, StringAttr, i32, i64
from xdsl.ir import Block, Region
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import DiagnosticException

from exo_gpu.dialects import tile
from exo_gpu.dialects import warpgroup as wg
from exo_gpu.dialects.tma import LoadOp, RingOp, TensorMapType
from exo_gpu.dialects.wgmma import (
    ACCUMULATORS,
    WGMMA_TABLE,
    AccumulatorType,
    LoadFragmentAOp,
    MmaAsyncOp,
    MmaAsyncRsOp,
    StoreAccumulatorOp,
    UndefAccumulatorOp,
)
from exo_gpu.passes.gemm_plan import GemmPlan, to_attr
from exo_gpu.passes.schedule_attention import build_attention_kernel
from exo_gpu.passes.schedule_epilogue import translate
from exo_gpu.passes.tile_match import match, where
from exo_gpu.passes.tile_match_attention import attention_shaped, match_attention
from exo_gpu.passes.levels import expect_level

SWIZZLE_BYTES = 128  # one row of a 128-byte-swizzled tile
M_TILE = 64  # rows of one wgmma accumulator tile



def k_step_bytes(dtype: str, mn_major: bool) -> int:
    """Bytes from one wgmma's K slice of a 128-byte-swizzled tile to the next: K-major, k
    elements along a 128-byte row (32 bytes); MN-major, k rows of 128 bytes (2048 bytes
    for f16/bf16), which keeps every slice on a 1024-byte swizzle-pattern boundary."""
    kind = WGMMA_TABLE[dtype]
    return kind.k * (SWIZZLE_BYTES if mn_major else kind.bytes)


@dataclass(frozen=True)
class _Rings:
    """Which ring holds A's and B's tiles, and where B's tile starts in its ring's slot."""

    a: str = "a"
    b: str = "b"
    b_base: int = 0


def _mma_stage(accs, slot, dtype: str, n: int, tiles: int, block_k: int, first: bool, scale_d_value=None,
               trans_a: int = 0, trans_b: int = 0, acc_type: AccumulatorType | None = None,
               rings: _Rings = _Rings()):
    """The wgmma.mma_async ops of one K block: for each tile, block_k / k instructions.  An
    m64 tile of A is 64 rows (K-major) or block_k rows (MN-major) of 128 bytes: 8192 bytes
    either way for block_k = 64."""
    kind = WGMMA_TABLE[dtype]
    acc_type = acc_type if acc_type is not None else AccumulatorType(64, n)
    tile_bytes = (block_k if trans_a else M_TILE) * SWIZZLE_BYTES
    a_step, b_step = k_step_bytes(dtype, bool(trans_a)), k_step_bytes(dtype, bool(trans_b))
    ops, out = [], []
    for t in range(tiles):
        acc = accs[t] if accs is not None else None
        for kk in range(block_k // kind.k):
            scale_d = 0 if (first and kk == 0) else 1
            runtime = scale_d_value if kk == 0 else None  # only a tile's first mma may skip D
            mma = MmaAsyncOp(
                acc if scale_d or runtime is not None else None, slot, acc_type, dtype,
                a_offset=t * tile_bytes + kk * a_step,
                b_offset=kk * b_step, scale_d=scale_d, scale_d_value=runtime, trans_a=trans_a, trans_b=trans_b,
                rings=(rings.a, rings.b), b_tile=rings.b_base)
            ops.append(mma)
            acc = mma.result
        out.append(acc)
    return ops, out


def _rs_stage(accs, slot, dtype: str, n: int, tiles: int, block_k: int, first: bool, rings: _Rings = _Rings()):
    """The ops of one K block with A from registers: every A fragment of the stage first
    (wgmma.load_fragment_a), then the RS wgmmas that read them, so that one wgmma.fence after
    the loads orders all of them before the stage."""
    kind = WGMMA_TABLE[dtype]
    per_tile = block_k // kind.k
    loads = [[LoadFragmentAOp(slot, dtype, t * M_TILE * SWIZZLE_BYTES + kk * kind.k * kind.bytes, ring=rings.a)
              for kk in range(per_tile)] for t in range(tiles)]
    ops: list = [op for row in loads for op in row]
    out = []
    for t in range(tiles):
        acc = accs[t] if accs is not None else None
        for kk in range(per_tile):
            scale_d = 0 if (first and kk == 0) else 1
            mma = MmaAsyncRsOp(acc if scale_d else None, slot, loads[t][kk].result, AccumulatorType(64, n), dtype,
                               b_offset=kk * kind.k * kind.bytes, scale_d=scale_d, b_ring=rings.b, b_tile=rings.b_base)
            ops.append(mma)
            acc = mma.result
        out.append(acc)
    return ops, out


def build_kernel(gemm: GemmPlan) -> wg.KernelOp:
    """The warp-specialized warpgroup.kernel of `gemm` (see the module docstring)."""
    dtype = gemm.dtype
    runtime_scale_d = gemm.runtime_scale_d
    block_m, block_n, block_k = gemm.block_m, gemm.block_n, gemm.block_k
    consumers, stages, tiles = gemm.consumers, gemm.stages, gemm.tiles_per_warpgroup
    owners = gemm.owners  # consumer warpgroups splitting a tile's rows
    turns = consumers // owners  # consumer warpgroups taking tiles in turn
    rows_per_wg = M_TILE * tiles
    trans_a, trans_b = int(gemm.layout_a == "col"), int(gemm.layout_b == "row")
    atom = SWIZZLE_BYTES // WGMMA_TABLE[dtype].bytes  # MN elements of one MN-major swizzle atom
    atom_bytes = block_k * SWIZZLE_BYTES  # one MN-major atom: block_k rows of 128 bytes
    if trans_a and atom * block_k * WGMMA_TABLE[dtype].bytes != M_TILE * SWIZZLE_BYTES:
        raise DiagnosticException(f"{gemm.what}: an M-major A needs 64-element swizzle atoms "
                                  f"of block_k rows to fill an m64 tile ({dtype} has {atom})")
    a_slot = block_m * SWIZZLE_BYTES
    b_slot = block_n // atom * atom_bytes if trans_b else block_n * SWIZZLE_BYTES
    acc_type = AccumulatorType(M_TILE, block_n, ACCUMULATORS[gemm.accumulator])
    loc = gemm.location
    rings = _Rings("ab", "ab", a_slot) if gemm.rings == "shared" else _Rings()

    entry = Block(arg_types=[TensorMapType(), TensorMapType(), i64, i32, i32, i32, *([i32] if gemm.batched else [])])
    a_map, b_map, c_ptr, m_size, n_size, k_size = entry.args[:6]

    # Producer: for each tile, one K loop of bulk loads.
    split = gemm.split_k
    producer_tiles = wg.TileLoopOp(m_size, n_size, k_size, split_k=split)
    loads = wg.KLoopOp(k_size, [], start=0, block_k=block_k, stages=stages)
    lb = loads.body.block
    for c in range(owners):
        if trans_a:  # one 64 x block_k atom per m64 tile
            for t in range(tiles):
                row = c * rows_per_wg + t * M_TILE
                lb.add_op(LoadOp(a_map, loads.slot, loads.k, rings.a, "A", row, row * SWIZZLE_BYTES, M_TILE,
                                 M_TILE * SWIZZLE_BYTES, multicast=gemm.cluster_n, major="mn"))
            continue
        lb.add_op(LoadOp(a_map, loads.slot, loads.k, rings.a, "A", c * rows_per_wg, c * rows_per_wg * SWIZZLE_BYTES,
                         rows_per_wg, rows_per_wg * SWIZZLE_BYTES, multicast=gemm.cluster_n))
    if trans_b:  # one atom per `atom` columns of B
        for j in range(block_n // atom):
            lb.add_op(LoadOp(b_map, loads.slot, loads.k, rings.b, "B", j * atom, rings.b_base + j * atom_bytes, atom,
                             atom_bytes, major="mn"))
    else:
        lb.add_op(LoadOp(b_map, loads.slot, loads.k, rings.b, "B", 0, rings.b_base, block_n, b_slot,
                         multicast=gemm.cluster_m))
    lb.add_op(wg.YieldOp())
    producer_tiles.body.block.add_ops([loads, wg.YieldOp()])
    producer = wg.RoleOp("producer", 0, 1, gemm.producer_maxnreg, Region(Block([producer_tiles])))

    # Consumers: for each tile, peeled K block 0, then the loop over K blocks 1.. carrying the
    # accumulators, then the epilogue.
    consumer_tiles = wg.TileLoopOp(m_size, n_size, k_size, turns=turns, split_k=split)
    cb = consumer_tiles.body.block
    first_slot = wg.RingSlotOp(consumer_tiles.base, stages)
    cb.add_op(first_slot)
    if runtime_scale_d:
        # Not peeled: the loop starts at K block 0 with undefined accumulators and
        # scale-d = (k != 0) as a run-time predicate.
        accs = []
        for _ in range(tiles):
            undef = UndefAccumulatorOp(acc_type)
            cb.add_op(undef)
            accs.append(undef.result)
        start = 0
    else:
        # Iteration 0, peeled: each tile's first wgmma has scale-d = 0.
        if gemm.a_in_registers:
            first_ops, accs = _rs_stage(None, first_slot.slot, dtype, block_n, tiles, block_k, first=True, rings=rings)
        else:
            first_ops, accs = _mma_stage(None, first_slot.slot, dtype, block_n, tiles, block_k, first=True,
                                         trans_a=trans_a, trans_b=trans_b, acc_type=acc_type, rings=rings)
        cb.add_ops(first_ops)
        start = 1
    loop = wg.KLoopOp(k_size, accs, start=start, block_k=block_k, stages=stages)
    body = loop.body.block
    scale_d_value = None
    if runtime_scale_d:
        zero = arith.ConstantOp(IntegerAttr(0, i32))
        ne = arith.CmpiOp(loop.k, zero.result, "ne")
        body.add_ops([zero, ne])
        scale_d_value = ne.result
    if gemm.a_in_registers:
        ops, out = _rs_stage(list(loop.carried), loop.slot, dtype, block_n, tiles, block_k, first=False, rings=rings)
    else:
        ops, out = _mma_stage(list(loop.carried), loop.slot, dtype, block_n, tiles, block_k, first=False,
                              scale_d_value=scale_d_value, trans_a=trans_a, trans_b=trans_b,
                              acc_type=acc_type, rings=rings)
    body.add_ops(ops)
    body.add_op(wg.YieldOp(*out))
    cb.add_op(loop)
    for t in range(tiles):
        cb.add_op(StoreAccumulatorOp(loop.res[t], c_ptr, m_size, n_size, t * M_TILE, gemm.accumulate_c,
                                     gemm.c_dtype, atomic_add=split > 1))
    cb.add_op(wg.YieldOp())
    consumer = wg.RoleOp("consumer", 1, consumers, gemm.consumer_maxnreg, Region(Block([consumer_tiles])))

    # empty[s] counts the consumers of a slot: one arrival per thread, or for a ring shared by the
    # cluster (multicast), one per consumer warp of every block of the cluster (their producers
    # all write slot s).  With turns, one warpgroup consumes each slot position.
    def ring(name: str, slot_bytes: int, sharing: int) -> RingOp:
        empty_count = (128 if sharing == 1 else 4 * sharing) * owners
        return RingOp(name, stages, slot_bytes, 1, empty_count, multicast=sharing)

    entry.add_ops([*(ring(*r) for r in gemm.ring_slots()), producer, consumer])
    kernel = wg.KernelOp.create(
        properties={
            "sym_name": StringAttr(gemm.name), "dtype": StringAttr(dtype),
            "threads": IntegerAttr(128 * (consumers + 1), 64), "block_m": IntegerAttr(block_m, 64),
            "block_n": IntegerAttr(block_n, 64), "block_k": IntegerAttr(block_k, 64),
            "wait_depth": IntegerAttr(gemm.wait_depth, 64),
            "raster_group": IntegerAttr(gemm.raster_group, 64),
            **({"cluster": IntegerAttr(gemm.cluster_n, 64)} if gemm.cluster_n > 1 else {}),
            **({"cluster_m": IntegerAttr(gemm.cluster_m, 64)} if gemm.cluster_m > 1 else {}),
            **({"batched": IntegerAttr(1, 64)} if gemm.batched else {}),
        },
        regions=[Region(entry)])
    kernel.attributes["abi"] = to_attr({**gemm.abi(), "smem_bytes": kernel.smem_bytes})  # the rings' layout
    located = dict(gemm.op_locations)
    for op in kernel.walk():
        op.location = located.get(_source_of(op), loc)
    return kernel


def _source_of(op) -> str:
    """Which op of a tile program `op` comes from: 'A' or 'B' (its loads), 'mma', 'store' or ''."""
    if isinstance(op, LoadOp):
        return op.operand.data
    if isinstance(op, (MmaAsyncOp, MmaAsyncRsOp, LoadFragmentAOp)):
        return "mma"
    return "store" if isinstance(op, StoreAccumulatorOp) else ""


def schedule_kernel(kernel: tile.KernelOp, runtime_scale_d: bool = False) -> wg.KernelOp:
    """The warpgroup kernel of a GEMM-shaped tile program (see exo_gpu.passes.tile_match); its
    schedule, with `stages` resolved to the most that fit when absent, is recorded on it."""
    found = match(kernel)
    plan = found.plan
    if kernel.schedule_value.overlap:
        raise DiagnosticException(f"{where(kernel)}{plan.what}: schedule overlap = true runs attention's softmax "
                                  "under its P V; a GEMM has no softmax: drop it")
    if runtime_scale_d:
        plan = replace(plan, runtime_scale_d=True)
    if kernel.schedule_value.stages is None:
        plan = replace(plan, stages=plan.most_stages() or 2)  # 0: none fit; check() says so below
    if (why := plan.check()) is not None:
        raise DiagnosticException(f"{where(kernel)}{plan.what}: {why}")
    if found.epilogue and plan.split_k > 1:
        raise DiagnosticException(f"{where(found.epilogue[0])}{plan.what}: split_k = {plan.split_k} adds partial "
                                  "tiles into C, so only a plain or C += epilogue combines with it: use split_k = 1")
    built = build_kernel(plan)
    if found.epilogue:
        translate(built, found, kernel)
    resolved = kernel.schedule_value.replace(stages=plan.stages, scale_d="runtime" if plan.runtime_scale_d
                                             else kernel.schedule_value.scale_d)
    built.attributes["schedule"] = tile.ScheduleAttr.from_schedule(resolved, full=True)
    return built


def schedule_attention(kernel: tile.KernelOp) -> wg.KernelOp:
    """The warpgroup kernel of an attention-shaped tile program (exo_gpu.passes.tile_match_attention,
    exo_gpu.passes.schedule_attention), its resolved schedule recorded on it."""
    plan = match_attention(kernel)
    built = build_attention_kernel(plan)
    resolved = kernel.schedule_value.replace(stages=plan.stages, maxnreg=(plan.consumer_maxnreg, plan.producer_maxnreg))
    built.attributes["schedule"] = tile.ScheduleAttr.from_schedule(resolved, full=True)
    return built


@dataclass(frozen=True)
class SchedulePass(ModulePass):
    """Lower every GEMM-shaped tile.kernel to a warp-specialized warpgroup.kernel (see module docstring)."""

    name = "schedule"

    scale_d: str = "immediate"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.scale_d not in ("immediate", "runtime"):
            raise DiagnosticException(f"schedule: scale-d must be 'immediate' or 'runtime', got '{self.scale_d}'")
        expect_level(op, "schedule", "tile")
        for source in list(op.walk()):
            if not isinstance(source, tile.KernelOp):
                continue
            if attention_shaped(source):
                kernel = schedule_attention(source)
            else:
                kernel = schedule_kernel(source, runtime_scale_d=self.scale_d == "runtime")
            source.parent_block().insert_op_before(kernel, source)
            source.parent_block().erase_op(source)

