"""Loops and the ring position: warpgroup.tile_loop -> a ptx.loop over the block's tiles (or
split-K work units) whose body starts with the tile's `lower_to_ptx.tile` context (its
(m, n) block, ring base and K range) and, taking turns, a `lower_to_ptx.turn` context;
warpgroup.k_loop -> a ptx.loop carrying (k, slot, phase) and the accumulators, with `unroll`
copies of the body; warpgroup.ring_slot, await_turn, pass_turn and mma_turn; arith.constant and
arith.cmpi on i32."""

from __future__ import annotations

from xdsl.dialects import arith
from xdsl.ir import Block, Region, SSAValue
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern
from xdsl.utils.exceptions import DiagnosticException

from exo_gpu.dialects import ptx
from exo_gpu.dialects import warpgroup as wg
from exo_gpu.dialects.attrs import int_value as _int
from exo_gpu.passes.lower_to_ptx.kernel import raster, tile_counts
from exo_gpu.dialects.wgmma import StoreAccumulatorOp
from exo_gpu.passes.lower_to_ptx.state import (
    B32,
    B64,
    BatchEnvOp,
    BatchTileEnvOp,
    Emitter,
    KernelEnvOp,
    RoleEnvOp,
    TileEnvOp,
    TurnEnvOp,
    enclosing,
    inline,
    operands_lowered,
    rauw,
    replace,
)


def ring_position(em: Emitter, position: SSAValue, stages: int) -> tuple[SSAValue, SSAValue]:
    """(slot, phase) of ring position `position`."""
    slot = em.v(ptx.RemOp(".u32", position, stages, B32()))
    phase = em.v(ptx.AndOp(".b32", em.v(ptx.DivOp(".u32", position, stages, B32())), 1, B32()))
    return slot, phase


def k_blocks(em: Emitter, env: KernelEnvOp, k_size: SSAValue) -> SSAValue:
    block_k = env.get("block_k")
    return em.v(ptx.DivOp(".u32", em.add(k_size, block_k - 1), block_k, B32()))


def _tile_body(em: Emitter, env: KernelEnvOp, op: wg.TileLoopOp, tile: SSAValue, base: SSAValue,
               grid: dict[str, SSAValue]) -> SSAValue:
    """The start of a tile's iteration: leave when past the last tile (work unit), then the
    tile's context; returns the ring position of the next tile's first K block."""
    rows, cols, tiles, nk = grid["rows"], grid["cols"], grid["tiles"], grid["nk"]
    if op.split == 1:
        em.emit(ptx.BreakIfOp(operands=[em.v(ptx.SetpOp("ge", ".u32", tile, tiles))]))
        if "per_batch" in grid:  # batched: GEMM b = tile / tiles per GEMM (causal: tile mod batches)
            tile = _batch_tile(em, env, op, tile, grid)
        m_block, n_block = raster(em, env, tile, rows, cols)
        if op.is_causal:  # the K blocks at or left of the tile's last row; the longest tiles first
            m_block = em.v(ptx.SubOp(".u32", em.v(ptx.SubOp(".u32", rows, m_block, B32())), 1, B32()))
            last = em.v(ptx.MulLoOp(".u32", em.add(m_block, 1), env.get("block_m"), B32()))
            nk = em.v(ptx.MinOp(".u32", nk, k_blocks(em, env, last), B32()))
        end = em.add(base, nk)
        em.emit(TileEnvOp(m_block, n_block, base, op.k_size, nk, ordinal=grid.get("ordinal")))
        return end
    unit, splits = tile, grid["splits"]
    em.emit(ptx.BreakIfOp(operands=[em.v(ptx.SetpOp("ge", ".u32", unit, grid["units"]))]))
    s = em.v(ptx.DivOp(".u32", unit, tiles, B32()))
    m_block, n_block = raster(em, env, em.v(ptx.RemOp(".u32", unit, tiles, B32())), rows, cols)
    first = em.v(ptx.MulLoOp(".u32", s, nk, B32()))
    k_begin = em.v(ptx.DivOp(".u32", first, splits, B32()))
    k_end = em.v(ptx.DivOp(".u32", em.add(first, nk), splits, B32()))
    count = em.v(ptx.SubOp(".u32", k_end, k_begin, B32()))
    end = em.add(base, count)
    em.emit(TileEnvOp(m_block, n_block, base, op.k_size, count, k_begin))
    return end


def _batch_tile(em: Emitter, env: KernelEnvOp, op: wg.TileLoopOp, tile: SSAValue,
                grid: dict[str, SSAValue]) -> SSAValue:
    """A batched kernel's tile: GEMM b = tile / per_batch, whose A rows start at b * M and B
    rows at b * N in their stacked tensor maps (a `lower_to_ptx.batch_tile` context; for
    attention also its K/V rows (b / kv_group) * K) and whose C is C + b * M * N elements (the
    loop's uses of C are rewired); returns the tile within GEMM b.  Causal, the tiles are
    walked longest first over every batch entry: b = tile mod batches, tile / batches within
    it (the causal flip then makes rank r the r-th longest row of tiles)."""
    if op.is_causal:
        b = em.v(ptx.RemOp(".u32", tile, grid["batches"], B32()))
        within = em.v(ptx.DivOp(".u32", tile, grid["batches"], B32()))
    else:
        b = em.v(ptx.DivOp(".u32", tile, grid["per_batch"], B32()))
        within = em.v(ptx.RemOp(".u32", tile, grid["per_batch"], B32()))
    a_rows = em.v(ptx.MulLoOp(".u32", b, op.m_size, B32()))
    kv_rows = None
    if env.get("kv_group"):
        head = em.v(ptx.DivOp(".u32", b, env.get("kv_group"), B32())) if env.get("kv_group") > 1 else b
        kv_rows = em.v(ptx.MulLoOp(".u32", head, op.k_size, B32()))
    em.emit(BatchTileEnvOp(a_rows, em.v(ptx.MulLoOp(".u32", b, op.n_size, B32())), kv_rows))
    stores = [s for s in op.walk() if isinstance(s, StoreAccumulatorOp)]
    if stores:  # the consumers: C of GEMM b
        c = stores[0].c
        c_bytes = {"f32": 4, "bf16": 2, "f16": 2}[stores[0].c_element]
        elements = em.v(ptx.MulWideOp(".u32", a_rows, op.n_size, B64()))
        offset = em.v(ptx.ShlOp(".b64", elements, c_bytes.bit_length() - 1, B64()))
        batch_c = em.v(ptx.AddOp(".s64", c, offset, B64()))
        for use in list(c.uses):
            if op.is_ancestor(use.operation):
                use.operation.operands[use.index] = batch_c
    return within


class LowerTileLoop(RewritePattern):
    """warpgroup.tile_loop -> ptx.loop over tiles t = block index, + grid size, ... carrying
    (t, ring position of its first K block).  Taking turns, warpgroup r of the role starts at
    the block's tile r, ring position r * nk, and turn r is named barrier 1 + r.  Split-K: over
    work units u (split u / T of tile u mod T) while u < T * min(S, nk), the unit's K range
    [s*nk/S', (s+1)*nk/S') never empty."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: wg.TileLoopOp, rewriter: PatternRewriter) -> None:
        env, role = enclosing(op, KernelEnvOp), enclosing(op, RoleEnvOp)
        turns = op.turn_count
        if env is None or (turns > 1 and role is None) or not operands_lowered(op):
            return
        em = Emitter(op.location)
        rows, cols = tile_counts(em, env, op.m_size, op.n_size)
        grid = {"rows": rows, "cols": cols, "tiles": em.v(ptx.MulLoOp(".u32", rows, cols, B32())),
                "nk": k_blocks(em, env, op.k_size)}
        if (batch := enclosing(op, BatchEnvOp)) is not None:  # batch x tiles, batch-major
            grid["per_batch"], grid["batches"] = grid["tiles"], batch.count
            grid["tiles"] = em.v(ptx.MulLoOp(".u32", grid["tiles"], batch.count, B32()))
        first, count = ("%clusterid.x", "%nclusterid.x") if env.cluster > 1 else ("%ctaid.x", "%nctaid.x")
        step = em.v(ptx.MovOp(".u32", count, B32()))
        first_tile = em.v(ptx.MovOp(".u32", first, B32()))
        if turns == 1:
            inits = [first_tile, em.v(ptx.MovOp(".u32", 0, B32()))]
        else:  # warpgroup r of the role starts at the block's tile r, ring position r * nk
            inits = [em.mad(role.index, step, first_tile), em.v(ptx.MulLoOp(".u32", role.index, grid["nk"], B32()))]
            # Named barrier 1 + r is warpgroup r's turn; the next turn is (r + 1) mod turns's.
            mine = em.add(role.index, 1)
            barriers = (mine, em.add(em.v(ptx.RemOp(".u32", mine, turns, B32())), 1))
        if op.split > 1:  # work units (tile, split): S' = min(S, nk) splits, so none is empty
            grid["splits"] = em.v(ptx.MinOp(".u32", grid["nk"], op.split, B32()))
            grid["units"] = em.v(ptx.MulLoOp(".u32", grid["tiles"], grid["splits"], B32()))
        counted = any(isinstance(inner, wg.TileOrdinalOp) for inner in op.walk())
        if counted:  # the tiles this warpgroup ran before: a third carried value
            inits.append(em.v(ptx.MovOp(".u32", 0, B32())))
        body = Emitter(op.location, Block(arg_types=[a.type for a in inits]))
        tile, base = body.block.args[:2]
        if counted:
            grid["ordinal"] = body.block.args[2]
        end = _tile_body(body, env, op, tile, base, grid)
        if turns > 1:
            body.emit(TurnEnvOp.create(operands=[tile, first_tile, step, grid["tiles"], *barriers]))
        if isinstance(op.body.block.last_op, wg.YieldOp):
            rewriter.erase(op.body.block.last_op)
        inline(rewriter, op.body.block, body.block, [base, end])
        more = [body.add(grid["ordinal"], 1)] if counted else []
        if turns == 1:
            body.emit(ptx.NextOp(body.add(tile, step), end, *more))
        else:
            jump = body.v(ptx.MulLoOp(".u32", step, turns, B32()))
            body.emit(ptx.NextOp(body.add(tile, jump), body.mad(grid["nk"], turns - 1, end), *more))
        em.emit(ptx.LoopOp(inits, Region(body.block)))
        replace(rewriter, op, em)


def _k_count(em: Emitter, env: KernelEnvOp, tile: TileEnvOp | None, op: wg.KLoopOp) -> SSAValue:
    """The K loop's block count: its tile's, when it walks the tile loop's K."""
    if tile is not None and tile.k_size is not None and tile.k_size is op.k_size:
        assert tile.nk is not None
        return tile.nk
    if tile is not None and tile.k_begin is not None:
        raise DiagnosticException(f"lower-to-ptx: k_loop at {op.location} in a split-K tile_loop must walk "
                                  "the tile_loop's K (its k_size operand)")
    return k_blocks(em, env, op.k_size)


class LowerKLoop(RewritePattern):
    """warpgroup.k_loop -> ptx.loop carrying (k, slot, phase) and the iter_args (the ring
    position is the tile's base + k); `unroll = U` copies of the body, each copy's values in
    their own registers, with a break before each copy."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: wg.KLoopOp, rewriter: PatternRewriter) -> None:
        env = enclosing(op, KernelEnvOp)
        if env is None or not operands_lowered(op):
            return
        tile = enclosing(op, TileEnvOp)
        start, stages = _int(op.start), _int(op.stages)
        em = Emitter(op.location)
        nk = _k_count(em, env, tile, op)
        base = tile.k_base if tile is not None else None
        part, tail = op.range_part, op.tail_blocks
        if part != "all":  # nk - T, clamped at 0 (unsigned)
            cut = em.v(ptx.SubOp(".u32", em.v(ptx.MaxOp(".u32", nk, tail, B32())), tail, B32()))
        if part == "but_last":
            nk = cut
        if part == "last":  # k from max(start, nk - T)
            k0 = cut
            if start:
                k0 = em.v(ptx.MaxOp(".u32", k0, start, B32()))
            first = list(ring_position(em, k0 if base is None else em.add(base, k0), stages))
        elif base is None:  # one tile per thread block: ring position = k
            k0 = em.v(ptx.MovOp(".u32", start, B32()))
            first = [em.v(ptx.MovOp(".u32", start % stages, B32())),
                     em.v(ptx.MovOp(".u32", (start // stages) % 2, B32()))]
        else:
            k0 = em.v(ptx.MovOp(".u32", start, B32()))
            first = list(ring_position(em, em.add(base, start), stages))
        inits = [k0, *first, *op.iter_args]
        body = Emitter(op.location, Block(arg_types=[a.type for a in inits]))
        current = list(body.block.args)
        yield_op = op.body.block.last_op
        assert isinstance(yield_op, wg.YieldOp)
        for copy in range(op.unroll_factor):
            k = current[0]
            body.emit(ptx.BreakIfOp(operands=[body.v(ptx.SetpOp("ge", ".u32", k, nk))]))
            mapping = dict(zip(op.body.block.args, current))
            for inner in list(op.body.block.ops)[:-1]:
                body.block.add_op(inner.clone(mapping))
            k1 = body.add(k, 1)
            s1, p1 = ring_position(body, k1 if base is None else body.add(base, k1), stages)
            current = [k1, s1, p1, *(mapping.get(v, v) for v in yield_op.values)]
        body.emit(ptx.NextOp(*current))
        loop = ptx.LoopOp(inits, Region(body.block))
        em.emit(loop)
        replace(rewriter, op, em, loop.res[3:])


class LowerTileOrdinal(RewritePattern):
    """warpgroup.tile_ordinal -> the tile loop's count of this warpgroup's earlier tiles."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: wg.TileOrdinalOp, rewriter: PatternRewriter) -> None:
        tile = enclosing(op, TileEnvOp)
        if tile is None or tile.ordinal is None:
            return
        rauw(rewriter, op.result, tile.ordinal)
        rewriter.erase(op)


class LowerRingSlot(RewritePattern):
    """warpgroup.ring_slot -> (p mod stages, (p / stages) mod 2), p = position - back."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: wg.RingSlotOp, rewriter: PatternRewriter) -> None:
        if not operands_lowered(op):
            return
        em = Emitter(op.location)
        position = op.position
        if op.steps_back:
            position = em.v(ptx.SubOp(".u32", position, op.steps_back, B32()))
        replace(rewriter, op, em, ring_position(em, position, _int(op.stages)))


class LowerPrevSlot(RewritePattern):
    """warpgroup.prev_slot -> (slot + stages - 1) mod stages, and the phase, flipped when the
    slot is 0 (the ring wrapped)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: wg.PrevSlotOp, rewriter: PatternRewriter) -> None:
        if not operands_lowered(op):
            return
        stages = _int(op.stages)
        em = Emitter(op.location)
        prev = em.v(ptx.RemOp(".u32", em.add(op.slot, stages - 1), stages, B32()))
        wrapped = em.v(ptx.SetpOp("eq", ".u32", op.slot, 0))
        flipped = em.v(ptx.XorOp(".b32", op.phase, 1, B32()))
        replace(rewriter, op, em, [prev, em.v(ptx.SelpOp(flipped, op.phase, wrapped))])


class LowerTurns(RewritePattern):
    """await_turn: wait on this warpgroup's turn barrier, except on the block's first tile;
    pass_turn: arrive on the next warpgroup's if the block has a next tile."""

    def match_and_rewrite(self, op, rewriter: PatternRewriter) -> None:
        if not isinstance(op, (wg.AwaitTurnOp, wg.PassTurnOp)) or (turn := enclosing(op, TurnEnvOp)) is None:
            return
        em = Emitter(op.location)
        if isinstance(op, wg.AwaitTurnOp):
            cond, mode, barrier = em.v(ptx.SetpOp("ne", ".u32", turn.tile, turn.first)), "sync", turn.mine
        else:
            more = em.v(ptx.SetpOp("lt", ".u32", em.add(turn.tile, turn.step), turn.tiles))
            cond, mode, barrier = more, "arrive", turn.next
        em.emit(ptx.IfOp(cond, em.nested(lambda inner: inner.emit(ptx.NamedBarrierOp(mode, barrier, 256)))))
        replace(rewriter, op, em)


class LowerMmaTurns(RewritePattern):
    """warpgroup.mma_turn: named barrier 1 + r is consumer warpgroup r's turn (as for tiles taken
    in turn; a kernel has one or the other).  await: bar.sync on its own barrier; pass:
    bar.arrive on the next warpgroup's; start: the last warpgroup arrives on warpgroup 0's."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: wg.MmaTurnOp, rewriter: PatternRewriter) -> None:
        if (role := enclosing(op, RoleEnvOp)) is None:
            return
        em, count = Emitter(op.location), _int(role.count)
        threads = 128 * count
        if op.action.data == "await":
            em.emit(ptx.NamedBarrierOp("sync", em.add(role.index, 1), threads))
        elif op.action.data == "pass":
            following = em.v(ptx.RemOp(".u32", em.add(role.index, 1), count, B32()))
            em.emit(ptx.NamedBarrierOp("arrive", em.add(following, 1), threads))
        else:
            def first_turn(inner: Emitter) -> None:
                inner.emit(ptx.NamedBarrierOp("arrive", inner.v(ptx.MovOp(".u32", 1, B32())), threads))

            last = em.v(ptx.SetpOp("eq", ".u32", role.index, count - 1))
            em.emit(ptx.IfOp(last, em.nested(first_turn)))
        replace(rewriter, op, em)


class LowerScalars(RewritePattern):
    """arith.constant -> mov.u32; arith.cmpi -> setp.cmp.u32; arith.addi / muli on i32 ->
    add.u32 / mul.lo.u32 (attention's mask bases)."""

    PREDICATES = {0: "eq", 1: "ne", 6: "lt", 7: "le", 8: "gt", 9: "ge"}
    BINARY = {arith.AddiOp: ptx.AddOp, arith.MuliOp: ptx.MulLoOp}

    def match_and_rewrite(self, op, rewriter: PatternRewriter) -> None:
        kinds = (arith.ConstantOp, arith.CmpiOp, arith.AddiOp, arith.MuliOp)
        if not isinstance(op, kinds) or enclosing(op, KernelEnvOp) is None:
            return
        if not operands_lowered(op):
            return
        em = Emitter(op.location)
        if isinstance(op, arith.ConstantOp):
            replace(rewriter, op, em, [em.v(ptx.MovOp(".u32", op.value.value.data, B32()))])
            return
        if type(op) in self.BINARY:
            replace(rewriter, op, em, [em.v(self.BINARY[type(op)](".u32", op.lhs, op.rhs, B32()))])
            return
        cmp = self.PREDICATES.get(op.predicate.value.data)
        if cmp is None:
            raise DiagnosticException(f"lower-to-ptx: arith.cmpi predicate {op.predicate.value.data} is not supported")
        replace(rewriter, op, em, [em.v(ptx.SetpOp(cmp, ".u32", op.lhs, op.rhs))])
