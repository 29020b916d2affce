"""The shared-memory ring: tma.load -> cp.async.bulk.tensor (multicast in a cluster) into the
slot, completing on its full barrier; mbarrier.wait -> a try_wait.parity spin loop;
mbarrier.arrive (lagged, or on every CTA of the cluster), arrive_expect_tx and
fence_proxy_async."""

from __future__ import annotations

from xdsl.dialects.builtin import IntegerAttr, StringAttr
from xdsl.ir import SSAValue
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern
from xdsl.utils.exceptions import DiagnosticException

from exo_gpu.dialects import ptx
from exo_gpu.dialects.attrs import int_value as _int
from exo_gpu.dialects.tma import ArriveExpectTxOp, ArriveOp, FenceProxyAsyncOp, LoadOp, WaitOp
from exo_gpu.passes.lower_to_ptx.state import (
    B32,
    PRED,
    BatchTileEnvOp,
    Emitter,
    KernelEnvOp,
    TileEnvOp,
    enclosing,
    operands_lowered,
    replace,
)

WAIT_LABEL = "$L_wait_"  # numbered 1, 2, ... in program order once the kernel is lowered


def barrier_address(em: Emitter, env: KernelEnvOp, ring: StringAttr, slot: SSAValue, barrier: str) -> SSAValue:
    """The address of the full (or empty) barrier of `slot` of `ring`."""
    place = env.ring(ring)
    addr = em.mad(slot, 8, env.ring_bars(ring))
    return addr if barrier == "full" else em.add(addr, 8 * place.stages)


class LowerWait(RewritePattern):
    """mbarrier.wait -> spin on try_wait.parity of the slot's barrier (an empty barrier with
    the phase flipped: a fresh barrier counts as having completed phase "-1")."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: WaitOp, rewriter: PatternRewriter) -> None:
        if (env := enclosing(op, KernelEnvOp)) is None or not operands_lowered(op):
            return
        em = Emitter(op.location)
        addr = barrier_address(em, env, op.ring, op.slot, op.barrier.data)
        parity = op.phase
        if op.barrier.data == "empty":
            parity = em.v(ptx.XorOp(".b32", parity, 1, B32()))
        label = ptx.LabelOp(properties={"label": StringAttr(WAIT_LABEL)})
        again = f"{WAIT_LABEL}{id(label)}"  # unique until renumbered (number_wait_labels)
        label.properties["label"] = StringAttr(again)
        em.emit(label)
        ready = em.v(ptx.MbarrierTryWaitParityOp(operands=[addr, parity], result_types=[PRED()]))
        em.emit(ptx.BraOp(operands=[ready], properties={
            "target": StringAttr(again), "negate": IntegerAttr(1, 64), "uniform": IntegerAttr(0, 64)}))
        replace(rewriter, op, em)


def _arrive_cluster(em: Emitter, env: KernelEnvOp, empty: SSAValue, peers: int) -> None:
    """Arrive on this slot's empty barrier in every block of the cluster, once per warp (its
    wait_group has retired the groups for all its lanes)."""

    def remote_arrivals(inner: Emitter) -> None:
        for rank in range(peers):
            rank_value = inner.v(ptx.MovOp(".u32", rank, B32()))
            remote = inner.v(ptx.MapaOp(operands=[empty, rank_value], result_types=[B32()]))
            inner.emit(ptx.MbarrierArriveClusterOp(operands=[remote]))

    lane0 = em.v(ptx.SetpOp("eq", ".u32", em.v(ptx.AndOp(".b32", env.tid, 31, B32())), 0))
    em.emit(ptx.IfOp(lane0, em.nested(remote_arrivals)))


class LowerArrive(RewritePattern):
    """mbarrier.arrive -> arrive on the empty barrier of the slot `lag` before (from K block
    `lag` on, when k is given)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: ArriveOp, rewriter: PatternRewriter) -> None:
        if (env := enclosing(op, KernelEnvOp)) is None or not operands_lowered(op):
            return
        lag, stages = _int(op.lag), env.ring(op.ring).stages

        def release(em: Emitter) -> None:
            slot = op.slot
            if lag:
                slot = em.v(ptx.RemOp(".u32", em.add(slot, stages - lag), stages, B32()))
            peers = 1 if op.cluster is None else _int(op.cluster)
            if peers == 1:
                full = barrier_address(em, env, op.ring, slot, "full")
                em.emit(ptx.MbarrierArriveOp(operands=[full], properties={"offset": IntegerAttr(8 * stages, 64)}))
            else:
                _arrive_cluster(em, env, barrier_address(em, env, op.ring, slot, "empty"), peers)

        em = Emitter(op.location)
        if op.k is None:
            release(em)
        else:
            em.emit(ptx.IfOp(em.v(ptx.SetpOp("ge", ".u32", op.k, lag)), em.nested(release)))
        replace(rewriter, op, em)


class LowerArriveExpectTx(RewritePattern):
    """mbarrier.arrive_expect_tx -> on the slot's full barrier."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: ArriveExpectTxOp, rewriter: PatternRewriter) -> None:
        if (env := enclosing(op, KernelEnvOp)) is None or not operands_lowered(op):
            return
        em = Emitter(op.location)
        addr = barrier_address(em, env, op.ring, op.slot, "full")
        em.emit(ptx.MbarrierArriveExpectTxOp(operands=[addr], properties={"bytes": op.bytes}))
        replace(rewriter, op, em)


class LowerFenceProxyAsync(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: FenceProxyAsyncOp, rewriter: PatternRewriter) -> None:
        if enclosing(op, KernelEnvOp) is None:
            return
        em = Emitter(op.location)
        em.emit(ptx.FenceProxyAsyncOp())
        replace(rewriter, op, em)


class LowerTmaLoad(RewritePattern):
    """tma.load -> cp.async.bulk.tensor.2d of the current tile's A (or B) box at K block k
    (split-K: k_begin + k) into the slot of its ring; in a cluster, this block's part of the box,
    multicast to every block of the cluster.  A KV box: rows k * block_k + row_offset of the
    batch entry's K/V matrix, 64 columns at col_offset."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: LoadOp, rewriter: PatternRewriter) -> None:
        env, tile = enclosing(op, KernelEnvOp), enclosing(op, TileEnvOp)
        if env is None or tile is None or not operands_lowered(op):
            return
        em = Emitter(op.location)
        ring = env.ring(op.ring)
        dst = em.mad(op.slot, ring.slot_bytes, em.add(env.smem, ring.data) if ring.data else env.smem)
        if op.operand.data == "KV":
            c0, c1 = _kv_box(em, env, op)
            mbar = barrier_address(em, env, op.ring, op.slot, "full")
            em.emit(ptx.CpAsyncBulkTensor2dOp(operands=[[dst], [op.tensor_map], [c0], [c1], [mbar], []],
                                              properties={"dst_offset": op.smem_offset}))
            replace(rewriter, op, em)
            return
        is_a = op.operand.data == "A"
        k = op.k if tile.k_begin is None else em.add(op.k, tile.k_begin)  # split-K: the unit's K blocks
        k0 = em.v(ptx.MulLoOp(".u32", k, env.get("block_k"), B32()))
        if op.col_offset is not None:
            k0 = em.add(k0, _int(op.col_offset))
        first_row = em.v(ptx.MulLoOp(".u32", tile.m_block if is_a else tile.n_block,
                                     env.get("block_m") if is_a else env.get("block_n"), B32()))
        if (batch := enclosing(op, BatchTileEnvOp)) is not None:  # GEMM b's rows of the stacked A (B)
            first_row = em.add(first_row, batch.a_rows if is_a else batch.b_rows)
        row = em.add(first_row, _int(op.row_offset))
        mbar = barrier_address(em, env, op.ring, op.slot, "full")
        mask: list[SSAValue] = []
        parts = 1 if op.multicast is None else _int(op.multicast)
        if parts > 1:  # this block's part of the box, delivered to every block of the cluster
            if op.mn_major:  # split along K: block_k / parts rows of 128 bytes each
                part_rows = env.get("block_k") // parts
                k0 = em.v(ptx.MadLoOp(".u32", env.rank, part_rows, k0, B32()))
            else:
                part_rows = _int(op.box_rows) // parts
                row = em.v(ptx.MadLoOp(".u32", env.rank, part_rows, row, B32()))
            dst = em.v(ptx.MadLoOp(".u32", env.rank, part_rows * 128, dst, B32()))
            mask = [em.v(ptx.MovOp(".b16", (1 << parts) - 1, ptx.B16Type.unallocated()))]
        # The box's coordinates, innermost (contiguous) first: (k, row) for a K-major operand,
        # (row, k) for an MN-major one (its tensor map is K rows of M or N elements).
        c0, c1 = (row, k0) if op.mn_major else (k0, row)
        em.emit(ptx.CpAsyncBulkTensor2dOp(operands=[[dst], [op.tensor_map], [c0], [c1], [mbar], mask],
                                          properties={"dst_offset": op.smem_offset}))
        replace(rewriter, op, em)


def _kv_box(em: Emitter, env: KernelEnvOp, op: LoadOp) -> tuple[SSAValue, SSAValue]:
    """(column, row) of a KV box: column col_offset, row kv_rows + k * block_k + row_offset."""
    batch = enclosing(op, BatchTileEnvOp)
    if batch is None or batch.kv_rows is None:
        raise DiagnosticException(f"lower-to-ptx: the KV load at {op.location} needs a batched kernel with "
                                  "kv_group (attention)")
    row = em.mad(op.k, env.get("block_k"), batch.kv_rows)
    row = em.add(row, _int(op.row_offset))
    col = em.v(ptx.MovOp(".u32", 0 if op.col_offset is None else _int(op.col_offset), B32()))
    return col, row
