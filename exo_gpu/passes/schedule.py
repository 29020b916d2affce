"""`schedule`: tile.gemm -> a warp-specialized warpgroup.kernel of tma, mbarrier and wgmma ops.

Guarantees on its output:
- both roles walk the thread block's output tiles in a warpgroup.tile_loop (persistent
  when the grid is smaller than the number of tiles), the ring carrying on across tiles;
- one producer warpgroup (warpgroup 0) loads A and B blocks into the ring, one box of A per
  consumer warpgroup and one box of B per K block; with cluster_n = 2 the A boxes are
  multicast, each block of the pair loading half;
- `consumers` consumer warpgroups each own block_m / consumers rows of C as m64 accumulator
  tiles, each an SSA value of type !wgmma.accumulator<m64nN, f32> (f16 with the tile.gemm's
  `accumulator = "f16"`);
- the K loop's iteration 0 is peeled, so every wgmma's scale-d is an immediate: 0 for the
  first instruction of each tile (D is not read), 1 after.  With `scale_d=runtime` the
  loop is not peeled and passes scale-d as a run-time predicate (k != 0): a deliberately fragile form
  kept to reproduce the users' failure and measure what ptxas does with it;
- no synchronisation: `insert-syncs` adds every fence, commit, wait and mbarrier operation.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, StringAttr, i32, i64
from xdsl.ir import Block, Region
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import DiagnosticException

from exo_gpu.dialects import tile
from exo_gpu.dialects import warpgroup as wg
from exo_gpu.dialects.attrs import int_value as _int
from exo_gpu.dialects.tma import InitRingOp, LoadOp, TensorMapType
from exo_gpu.dialects.wgmma import (
    ACCUMULATORS,
    WGMMA_TABLE,
    AccumulatorType,
    MmaAsyncOp,
    StoreAccumulatorOp,
    UndefAccumulatorOp,
)

SWIZZLE_BYTES = 128  # one row of a 128-byte-swizzled tile
M_TILE = 64  # rows of one wgmma accumulator tile



def _mma_stage(accs, slot, dtype: str, n: int, tiles: int, block_k: int, first: bool, scale_d_value=None,
               acc_type: AccumulatorType | None = None):
    """The wgmma.mma_async ops of one K block: for each tile, block_k / k instructions."""
    kind = WGMMA_TABLE[dtype]
    acc_type = acc_type if acc_type is not None else AccumulatorType(64, n)
    ops, out = [], []
    for t in range(tiles):
        acc = accs[t] if accs is not None else None
        for kk in range(block_k // kind.k):
            scale_d = 0 if (first and kk == 0) else 1
            runtime = scale_d_value if kk == 0 else None  # only a tile's first mma may skip D
            mma = MmaAsyncOp(
                acc if scale_d or runtime is not None else None, slot, acc_type, dtype,
                a_offset=t * M_TILE * SWIZZLE_BYTES + kk * kind.k * kind.bytes,
                b_offset=kk * kind.k * kind.bytes,
                scale_d=scale_d, scale_d_value=runtime)
            ops.append(mma)
            acc = mma.result
        out.append(acc)
    return ops, out


def schedule_gemm(gemm: tile.GemmOp, runtime_scale_d: bool = False) -> wg.KernelOp:
    dtype = gemm.dtype.data
    if gemm.layout_a.data != "row" or gemm.layout_b.data != "col":
        raise DiagnosticException(
            f"tile.gemm @{gemm.sym_name.data}: layout_a = {gemm.layout_a.data}, layout_b = {gemm.layout_b.data} "
            "needs MN-major (transposed) shared-memory tiles, which schedule does not build yet: "
            "use layout_a = row, layout_b = col (K-major A and B)")
    block_m, block_n, block_k = _int(gemm.block_m), _int(gemm.block_n), _int(gemm.block_k)
    consumers, stages, tiles = _int(gemm.consumers), _int(gemm.stages), gemm.tiles_per_warpgroup
    rows_per_wg = M_TILE * tiles
    acc_type = AccumulatorType(M_TILE, block_n, ACCUMULATORS[gemm.acc])
    a_slot, b_slot = block_m * SWIZZLE_BYTES, block_n * SWIZZLE_BYTES
    loc = gemm.location

    entry = Block(arg_types=[TensorMapType(), TensorMapType(), i64, i32, i32, i32])
    a_map, b_map, c_ptr, m_size, n_size, k_size = entry.args

    # Producer: for each tile, one K loop of bulk loads.
    producer_tiles = wg.TileLoopOp(m_size, n_size, k_size)
    loads = wg.KLoopOp(k_size, [], start=0, block_k=block_k, stages=stages)
    lb = loads.body.block
    for c in range(consumers):
        lb.add_op(LoadOp(a_map, loads.slot, loads.k, "A", c * rows_per_wg, c * rows_per_wg * SWIZZLE_BYTES,
                         rows_per_wg, rows_per_wg * SWIZZLE_BYTES, multicast=gemm.cluster))
    lb.add_op(LoadOp(b_map, loads.slot, loads.k, "B", 0, 0, block_n, b_slot))
    lb.add_op(wg.YieldOp())
    producer_tiles.body.block.add_ops([loads, wg.YieldOp()])
    producer = wg.RoleOp("producer", 0, 1, _int(gemm.producer_maxnreg), Region(Block([producer_tiles])))

    # Consumers: for each tile, peeled K block 0, then the loop over K blocks 1.. carrying the
    # accumulators, then the epilogue.
    consumer_tiles = wg.TileLoopOp(m_size, n_size, k_size)
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
        first_ops, accs = _mma_stage(None, first_slot.slot, dtype, block_n, tiles, block_k, first=True,
                                     acc_type=acc_type)
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
    ops, out = _mma_stage(list(loop.carried), loop.slot, dtype, block_n, tiles, block_k, first=False,
                          scale_d_value=scale_d_value, acc_type=acc_type)
    body.add_ops(ops)
    body.add_op(wg.YieldOp(*out))
    cb.add_op(loop)
    for t in range(tiles):
        cb.add_op(StoreAccumulatorOp(loop.res[t], c_ptr, m_size, n_size, t * M_TILE, bool(_int(gemm.accumulate_c))))
    cb.add_op(wg.YieldOp())
    consumer = wg.RoleOp("consumer", 1, consumers, _int(gemm.consumer_maxnreg), Region(Block([consumer_tiles])))

    # empty[s] counts the consumers: one arrival per thread, or in a cluster, one per consumer
    # warp of every block of the cluster (their producers all write slot s).
    empty_count = 128 * consumers if gemm.cluster == 1 else 4 * consumers * gemm.cluster
    entry.add_ops([InitRingOp(stages, 1, empty_count), producer, consumer])
    kernel = wg.KernelOp.create(
        properties={
            "sym_name": StringAttr(gemm.sym_name.data), "dtype": StringAttr(dtype),
            "threads": IntegerAttr(128 * (consumers + 1), 64), "block_m": IntegerAttr(block_m, 64),
            "block_n": IntegerAttr(block_n, 64), "block_k": IntegerAttr(block_k, 64),
            "stages": IntegerAttr(stages, 64), "a_slot_bytes": IntegerAttr(a_slot, 64),
            "b_slot_bytes": IntegerAttr(b_slot, 64),
            "wait_depth": IntegerAttr(_int(gemm.wait_depth), 64),
            "raster_group": IntegerAttr(gemm.raster, 64),
            **({"cluster": IntegerAttr(gemm.cluster, 64)} if gemm.cluster > 1 else {}),
        },
        regions=[Region(entry)])
    for op in kernel.walk():
        op.location = loc
    return kernel


@dataclass(frozen=True)
class SchedulePass(ModulePass):
    """Lower every tile.gemm to a warp-specialized warpgroup.kernel (see module docstring)."""

    name = "schedule"

    scale_d: str = "immediate"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.scale_d not in ("immediate", "runtime"):
            raise DiagnosticException(f"schedule: scale-d must be 'immediate' or 'runtime', got '{self.scale_d}'")
        for gemm in list(op.walk()):
            if isinstance(gemm, tile.GemmOp):
                kernel = schedule_gemm(gemm, runtime_scale_d=self.scale_d == "runtime")
                gemm.parent_block().insert_op_before(kernel, gemm)
                gemm.parent_block().erase_op(gemm)

