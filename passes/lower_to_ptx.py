"""`lower-to-ptx`: warpgroup/tma/mbarrier/wgmma IR -> the `ptx` dialect.

Every op becomes the PTX instructions that implement it, with values in unassigned PTX
registers (`assign-registers` names them).  Guarantees:
- each warpgroup.kernel becomes one ptx.entry with parameters (A and B tensor maps by value,
  the C pointer, M, N, K), `.maxntid` = threads and dynamic shared memory for the ring,
  launched on a 1-D grid of ceil(M / block_m) * ceil(N / block_n) blocks (see `raster`);
  in a cluster of two (along N or M), `.reqnctapercluster 2, 1, 1`, tiles walked per
  cluster and the CTA of rank r taking block r of its cluster's pair;
- a split-K tile loop walks work units u (split u / T of tile u mod T, T tiles) while
  u < T * min(S, nk), computes the unit's K range [s*nk/S', (s+1)*nk/S') (S' = min(S, nk),
  never empty), runs its K loops over that range (tma loads add k_begin to k) and advances
  the ring by the range's length; its epilogue adds into C with red.relaxed.gpu.global.add.f32;
- each role becomes a branch on the warpgroup index that first sets the role's register
  budget with setmaxnreg, then runs the role's code (a producer's on one elected thread);
- a tile loop becomes a ptx.loop over tiles (block index, then + grid size) carrying the
  ring position; a K loop becomes a ptx.loop carrying (k, slot, phase) and its accumulators;
- wgmma ops keep their accumulator operands and results, and scale-d stays an immediate
  unless the IR gave a run-time one; an f32 accumulator becomes N/2 f32 registers
  (`!ptx.acc<N/2>`), an f16 one N/4 packed f16x2 registers (`!ptx.acc<N/4, f16x2>`);
- the epilogue writes C; an f16 accumulator's registers are unpacked (mov.b32 {lo, hi})
  and converted (cvt.f32.f16) first, on the unchecked, checked and C += paths alike;
- shared-memory descriptors (128-byte swizzle, K-major or MN-major) are derived from the
  ring slot; an MN-major operand's wgmma prints imm-trans-a/b = 1;
- an A fragment load becomes one ldmatrix.x4 from the swizzled A tile, an RS wgmma takes its
  four registers; a K loop with `unroll = U` becomes a ptx.loop with U copies of the body,
  each copy's values in their own registers, with a break before each copy;
- ptx ops already in the kernel (lower-fragments' epilogue code) are carried over with their
  operands' lowerings, a builtin.unrealized_conversion_cast stands for its operand's
  lowering, and wgmma.tile_origin becomes the C row and column of the tile's element (0, 0);
- every PTX op carries the location of the IR op it came from (for `.loc`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith
from xdsl.dialects.builtin import ArrayAttr, IntegerAttr, ModuleOp, StringAttr
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import DiagnosticException

from exo_gpu.dialects import ptx
from exo_gpu.dialects import warpgroup as wg
from exo_gpu.dialects.attrs import int_value as _int
from exo_gpu.dialects.fragment import LANE_COLUMNS, QUAD, WARP_ROWS, TileOriginOp, register_of
from exo_gpu.dialects.tma import (
    ArriveExpectTxOp,
    ArriveOp,
    FenceProxyAsyncOp,
    InitRingOp,
    LoadOp,
    WaitOp,
)
from exo_gpu.dialects.wgmma import (
    AccumulatorType,
    CommitGroupOp,
    FenceOp,
    LoadFragmentAOp,
    MmaAsyncOp,
    MmaAsyncRsOp,
    StoreAccumulatorOp,
    UndefAccumulatorOp,
    WaitGroupOp,
    accumulator_name,
)
from exo_gpu.passes.lower_fragments import pass_through

SMEM_SYMBOL = "exo_smem"
SWIZZLE_128B = 1 << 62  # descriptor layout type 1: 128-byte swizzle
SBO_1024 = (1024 >> 4) << 32  # stride between 8-row core-matrix groups: 8 rows x 128 bytes
LBO_UNUSED = 1 << 16  # leading-dimension byte offset: ignored for swizzled K-major tiles


def descriptor_bits(mn_major: bool, block_k: int) -> int:
    """The constant fields of a 128-byte-swizzled operand's wgmma smem descriptor (the start
    address, bits 0-13, is or-ed in per slot; base offset 0: every tile and K slice starts on
    a 1024-byte swizzle-pattern boundary).

    K-major (rows of 128 bytes of K, 8-row groups 1024 bytes apart): SBO (bits 32-45) =
    1024 >> 4, the stride between 8-row groups along M/N; LBO (bits 16-29) unused, 1.
    MN-major (PTX ISA "Matrix Descriptor Format" / CUTLASS make_gmma_desc<Major::MN>, B128:
    ((8,n),(8,k)):((1,LBO),(8,SBO)) in 16-byte units): each swizzle atom is 64 M/N elements
    (128 bytes) by block_k rows of K; SBO = 1024 >> 4, the stride between groups of 8 K rows,
    and LBO = block_k * 128 >> 4, the stride between atoms along M/N."""
    if not mn_major:
        return SWIZZLE_128B | SBO_1024 | LBO_UNUSED
    return SWIZZLE_128B | SBO_1024 | ((block_k * 128) >> 4) << 16

B32, B64, PRED = ptx.B32Type.unallocated, ptx.B64Type.unallocated, ptx.PredType.unallocated


def acc_type(ty: AccumulatorType) -> ptx.AccType:
    """The ptx register range of a wgmma accumulator: f32 elements, or f16 pairs packed f16x2."""
    element = "f16x2" if accumulator_name(ty.element) == "f16" else "f32"
    return ptx.AccType(ty.registers_per_thread, element=element)



def params_of(name: str) -> list[tuple[str, str]]:
    """(PTX parameter name, declaration) of a GEMM entry, in order."""
    return [
        (f"{name}_param_a", f".param .align 64 .b8 {name}_param_a[128]"),
        (f"{name}_param_b", f".param .align 64 .b8 {name}_param_b[128]"),
        (f"{name}_param_c", f".param .u64 {name}_param_c"),
        (f"{name}_param_m", f".param .u32 {name}_param_m"),
        (f"{name}_param_n", f".param .u32 {name}_param_n"),
        (f"{name}_param_k", f".param .u32 {name}_param_k"),
    ]


class _KernelLowering:
    """Lowers one warpgroup.kernel; `emit` appends to the block being filled."""

    def __init__(self, kernel: wg.KernelOp):
        self.kernel = kernel
        self.name = kernel.sym_name.data
        self.stages = _int(kernel.stages)
        self.block_m, self.block_n, self.block_k = (_int(kernel.block_m), _int(kernel.block_n), _int(kernel.block_k))
        self.a_slot, self.b_slot = _int(kernel.a_slot_bytes), _int(kernel.b_slot_bytes)
        self.values: dict[SSAValue, SSAValue] = {}
        self.block: Block = Block()
        self.loc = kernel.location
        self.labels = 0
        self.role: wg.RoleOp | None = None
        self.cluster = kernel.cluster_size  # CTAs of the cluster
        self.cluster_n, self.cluster_m = kernel.cluster_n_size, kernel.cluster_m_size
        self.turns = 1  # warpgroups of the current role taking tiles in turn (its tile_loop's turns)

    # -- helpers -------------------------------------------------------------------------
    def emit(self, op: Operation) -> Operation:
        op.location = self.loc
        self.block.add_op(op)
        return op

    def v(self, op: Operation) -> SSAValue:
        return self.emit(op).results[0]

    def label(self, what: str) -> str:
        self.labels += 1
        return f"$L_{what}_{self.labels}"

    def fill(self, block: Block, fill: Callable[[], None]) -> Block:
        """Run `fill` with `block` as the block being emitted into."""
        outer, self.block = self.block, block
        fill()
        self.block = outer
        return block

    def nested(self, fill: Callable[[], None]) -> Region:
        return Region(self.fill(Block(), fill))

    def add(self, a, b, ty=".u32", rt=B32):
        return self.v(ptx.AddOp(ty, a, b, rt()))

    def mad(self, a, b, c):
        return self.v(ptx.MadLoOp(".u32", a, b, c, B32()))

    # -- kernel --------------------------------------------------------------------------
    def lower(self) -> ptx.EntryOp:
        params = params_of(self.name)
        block = Block()

        def prologue():
            args = self.kernel.body.block.args
            self.tid = self.v(ptx.MovOp(".u32", "%tid.x", B32()))
            if self.cluster > 1:
                self.rank = self.v(ptx.MovOp(".u32", "%cluster_ctarank", B32()))
            self.warpgroup = self.v(ptx.ShrOp(".u32", self.tid, 7, B32()))
            raw = self.v(ptx.MovOp(".u32", SMEM_SYMBOL, B32()))
            self.smem = self.v(ptx.AndOp(".b32", self.add(raw, 1023), -1024, B32()))
            self.bars = self.add(self.smem, self.stages * (self.a_slot + self.b_slot))
            for arg, (pname, _) in zip(args[:2], params[:2]):
                addr = self.v(ptx.MovOp(".u64", pname, B64()))
                self.values[arg] = self.v(ptx.CvtaParamOp(operands=[addr], result_types=[B64()]))
            c = self.v(ptx.LdParamOp(".u64", params[2][0], B64()))
            self.values[args[2]] = self.v(ptx.CvtaToGlobalOp(operands=[c], result_types=[B64()]))
            for arg, (pname, _) in zip(args[3:], params[3:]):
                self.values[arg] = self.v(ptx.LdParamOp(".u32", pname, B32()))
            self.k_base: SSAValue | None = None  # ring position of the current tile's K block 0
            self.k_begin: SSAValue | None = None  # split-K: the work unit's first K block
            # (K, ceil(K / block_k)) of the enclosing tile loop
            self.tile_k_blocks: tuple[SSAValue, SSAValue] | None = None
            if not any(isinstance(op, wg.TileLoopOp) for op in self.kernel.walk()):
                pid = self.v(ptx.MovOp(".u32", "%clusterid.x" if self.cluster > 1 else "%ctaid.x", B32()))
                self.m_block, self.n_block = self.raster(pid, *self.tile_counts(args[3], args[4]))
            for op in self.kernel.body.block.ops:
                self.lower_op(op)
            if self.cluster > 1:  # no block leaves while its peers may still write to it
                self.emit(ptx.BarrierClusterOp())
            self.emit(ptx.RetOp())

        self.fill(block, prologue)
        threads = _int(self.kernel.threads)
        return ptx.EntryOp.create(
            properties={"sym_name": StringAttr(self.name), "params": ArrayAttr([StringAttr(d) for _, d in params]),
                        "maxntid": IntegerAttr(threads, 64), "smem_bytes": IntegerAttr(self.kernel.smem_bytes, 64),
                        **({"cluster": IntegerAttr(self.cluster, 64)} if self.cluster > 1 else {})},
            regions=[Region(block)])

    def tile_counts(self, m_arg: SSAValue, n_arg: SSAValue) -> tuple[SSAValue, SSAValue]:
        """Rows and columns of the launch's tiles; with a cluster, a tile is a cluster's
        `cluster_n` blocks along N (1x2) or `cluster_m` blocks along M (2x1)."""
        span = self.block_n * self.cluster_n
        height = self.block_m * self.cluster_m
        rows = self.v(ptx.DivOp(".u32", self.add(self.values[m_arg], height - 1), height, B32()))
        cols = self.v(ptx.DivOp(".u32", self.add(self.values[n_arg], span - 1), span, B32()))
        return rows, cols

    def raster(self, pid: SSAValue, rows: SSAValue, cols: SSAValue) -> tuple[SSAValue, SSAValue]:
        """(m, n) block of tile `pid` of a rows x cols launch (see tile_counts): groups of
        `raster_group` block rows, each walked column by column, so tiles running at the same
        time share A and B tiles."""
        group_rows = self.kernel.raster
        width = self.v(ptx.MulLoOp(".u32", cols, group_rows, B32()))
        group = self.v(ptx.DivOp(".u32", pid, width, B32()))
        first_row = self.v(ptx.MulLoOp(".u32", group, group_rows, B32()))
        height = self.v(ptx.MinOp(".u32", self.v(ptx.SubOp(".u32", rows, first_row, B32())), group_rows, B32()))
        local = self.v(ptx.RemOp(".u32", pid, width, B32()))
        m_block = self.add(first_row, self.v(ptx.RemOp(".u32", local, height, B32())))
        n_block = self.v(ptx.DivOp(".u32", local, height, B32()))
        if self.cluster_n > 1:  # the cluster's tile is `cluster_n` blocks along N: this one is `rank`
            n_block = self.v(ptx.MadLoOp(".u32", n_block, self.cluster_n, self.rank, B32()))
        if self.cluster_m > 1:  # the cluster's tile is `cluster_m` blocks along M: this one is `rank`
            m_block = self.v(ptx.MadLoOp(".u32", m_block, self.cluster_m, self.rank, B32()))
        return m_block, n_block

    def lower_block(self, block: Block) -> None:
        for op in block.ops:
            self.lower_op(op)

    def lower_op(self, op: Operation) -> None:
        outer_loc, self.loc = self.loc, op.location
        try:
            handler = _HANDLERS.get(type(op))
            if handler is None and pass_through(self.values, self.emit, op):  # lower-fragments' output
                return
            if handler is None:
                raise DiagnosticException(f"lower-to-ptx: no lowering for '{op.name}' at {op.location}")
            handler(self, op)
        finally:
            self.loc = outer_loc

    # -- ops -----------------------------------------------------------------------------
    def init_ring(self, op: InitRingOp) -> None:
        first = self.v(ptx.SetpOp("eq", ".u32", self.tid, 0))

        def body():
            for s in range(self.stages):
                self.emit(ptx.MbarrierInitOp(operands=[self.bars], properties={
                    "offset": IntegerAttr(8 * s, 64), "count": op.full_count}))
                self.emit(ptx.MbarrierInitOp(operands=[self.bars], properties={
                    "offset": IntegerAttr(8 * (self.stages + s), 64), "count": op.empty_count}))
            self.emit(ptx.FenceMbarrierInitOp())

        self.emit(ptx.IfOp(first, self.nested(body)))
        # No thread, here or in a peer block, uses a barrier before it is initialised.
        self.emit(ptx.BarrierClusterOp() if self.cluster > 1 else ptx.BarSyncOp())

    def role(self, op: wg.RoleOp) -> None:
        first, count = _int(op.first_warpgroup), _int(op.num_warpgroups)
        if count == 1:
            cond = self.v(ptx.SetpOp("eq", ".u32", self.warpgroup, first))
        else:
            above = self.v(ptx.SetpOp("ge", ".u32", self.warpgroup, first))
            cond = self.v(ptx.SetpOp("lt", ".u32", self.warpgroup, first + count, above))
        # Registers per thread at entry: the block's share of the register file, at most 255.
        entry_budget = min(255, 65536 // _int(self.kernel.threads)) // 8 * 8
        action = "inc" if _int(op.maxnreg) > entry_budget else "dec"

        def body():
            self.role = op
            self.emit(ptx.SetmaxnregOp(properties={"action": StringAttr(action), "count": op.maxnreg}))
            self.local_tid = self.v(ptx.AndOp(".b32", self.tid, 127, B32()))
            self.role_index = self.v(ptx.SubOp(".u32", self.warpgroup, first, B32()))
            self.desc_cache: dict[tuple, tuple[SSAValue, SSAValue]] = {}
            self.frag_rows: SSAValue | None = None  # this lane's ldmatrix row in the A tile, bytes
            self.frag_chunks: dict[int, SSAValue] = {}  # K bytes -> this lane's swizzled chunk, bytes
            self.frag_cache: dict[tuple[int, SSAValue, int], SSAValue] = {}
            # Ping-pong: the role's tile loop takes turns, each warpgroup owning whole tiles.
            self.turns = max((t.turn_count for t in op.walk() if isinstance(t, wg.TileLoopOp)), default=1)
            if op.role.data == "consumer":
                self.fragment_lanes(op)
            if op.role.data == "producer":
                elected = self.v(ptx.SetpOp("eq", ".u32", self.local_tid, 0))
                self.emit(ptx.IfOp(elected, self.nested(lambda: self.lower_block(op.body.block))))
            else:
                self.lower_block(op.body.block)
            if self.cluster == 1:  # in a cluster every thread meets at the final cluster barrier
                self.emit(ptx.RetOp())
            self.role = None

        self.emit(ptx.IfOp(cond, self.nested(body)))

    def ring_position(self, position: SSAValue, stages: int) -> tuple[SSAValue, SSAValue]:
        """(slot, phase) of ring position `position`."""
        slot = self.v(ptx.RemOp(".u32", position, stages, B32()))
        phase = self.v(ptx.AndOp(".b32", self.v(ptx.DivOp(".u32", position, stages, B32())), 1, B32()))
        return slot, phase

    def k_blocks(self, k_size: SSAValue) -> SSAValue:
        return self.v(ptx.DivOp(".u32", self.add(k_size, self.block_k - 1), self.block_k, B32()))

    def tile_loop(self, op: wg.TileLoopOp) -> None:
        rows, cols = self.tile_counts(op.m_size, op.n_size)
        tiles = self.v(ptx.MulLoOp(".u32", rows, cols, B32()))
        nk = self.k_blocks(self.values[op.k_size])
        first, count = ("%clusterid.x", "%nclusterid.x") if self.cluster > 1 else ("%ctaid.x", "%nctaid.x")
        step = self.v(ptx.MovOp(".u32", count, B32()))
        first_tile = self.v(ptx.MovOp(".u32", first, B32()))
        turns = op.turn_count
        if turns == 1:
            inits = [first_tile, self.v(ptx.MovOp(".u32", 0, B32()))]
        else:  # warpgroup r of the role starts at the block's tile r, ring position r * nk
            inits = [self.mad(self.role_index, step, first_tile), self.v(ptx.MulLoOp(".u32", self.role_index, nk, B32()))]
            # Named barrier 1 + r is warpgroup r's turn; the next turn is (r + 1) mod turns's.
            mine = self.add(self.role_index, 1)
            self.turn_barriers = (mine, self.add(self.v(ptx.RemOp(".u32", mine, turns, B32())), 1))
        loop = ptx.LoopOp(inits, Region(Block(arg_types=[a.type for a in inits])))
        tile, base = loop.body.block.args
        outer = (self.m_block, self.n_block, self.k_base, self.tile_k_blocks) if hasattr(self, "m_block") else None
        outer_k_begin = self.k_begin
        split = op.split
        if split > 1:  # work units (tile, split): S' = min(S, nk) splits, so none is empty
            splits = self.v(ptx.MinOp(".u32", nk, split, B32()))
            units = self.v(ptx.MulLoOp(".u32", tiles, splits, B32()))

        def body():
            if split == 1:
                self.emit(ptx.BreakIfOp(operands=[self.v(ptx.SetpOp("ge", ".u32", tile, tiles))]))
                self.m_block, self.n_block = self.raster(tile, rows, cols)
                self.k_base, self.tile_k_blocks = base, (op.k_size, nk)
                end = self.add(base, nk)
            else:
                unit = tile
                self.emit(ptx.BreakIfOp(operands=[self.v(ptx.SetpOp("ge", ".u32", unit, units))]))
                s = self.v(ptx.DivOp(".u32", unit, tiles, B32()))
                self.m_block, self.n_block = self.raster(self.v(ptx.RemOp(".u32", unit, tiles, B32())), rows, cols)
                first = self.v(ptx.MulLoOp(".u32", s, nk, B32()))
                self.k_begin = self.v(ptx.DivOp(".u32", first, splits, B32()))
                k_end = self.v(ptx.DivOp(".u32", self.add(first, nk), splits, B32()))
                count = self.v(ptx.SubOp(".u32", k_end, self.k_begin, B32()))
                self.k_base, self.tile_k_blocks = base, (op.k_size, count)
                end = self.add(base, count)
            if turns > 1:
                self.turn_tiles = (tile, first_tile, step, tiles)
            self.values[op.base], self.values[op.end] = base, end
            for inner in op.body.block.ops:
                if not isinstance(inner, wg.YieldOp):
                    self.lower_op(inner)
            if turns == 1:
                self.emit(ptx.NextOp(self.add(tile, step), end))
            else:
                jump = self.v(ptx.MulLoOp(".u32", step, turns, B32()))
                self.emit(ptx.NextOp(self.add(tile, jump), self.mad(nk, turns - 1, end)))

        self.fill(loop.body.block, body)
        self.emit(loop)
        if outer is not None:
            self.m_block, self.n_block, self.k_base, self.tile_k_blocks = outer
        self.k_begin = outer_k_begin

    def await_turn(self, op: wg.AwaitTurnOp) -> None:
        """Wait on this warpgroup's turn barrier, except on the block's first tile."""
        tile, first, _, _ = self.turn_tiles
        waits = self.v(ptx.SetpOp("ne", ".u32", tile, first))
        barrier = self.turn_barriers[0]
        self.emit(ptx.IfOp(waits, self.nested(lambda: self.emit(ptx.NamedBarrierOp("sync", barrier, 256)))))

    def pass_turn(self, op: wg.PassTurnOp) -> None:
        """Arrive on the next warpgroup's turn barrier if the block has a next tile."""
        tile, _, step, tiles = self.turn_tiles
        more = self.v(ptx.SetpOp("lt", ".u32", self.add(tile, step), tiles))
        barrier = self.turn_barriers[1]
        self.emit(ptx.IfOp(more, self.nested(lambda: self.emit(ptx.NamedBarrierOp("arrive", barrier, 256)))))

    def owned_rows(self) -> tuple[int, bool]:
        """Rows of a tile one consumer warpgroup owns, and whether the role's warpgroups split
        the tile's rows (cooperative) rather than taking whole tiles in turn (ping-pong)."""
        split = self.turns == 1
        count = _int(self.role.num_warpgroups) if split else 1  # type: ignore[union-attr]
        return self.block_m // count, split

    def ring_slot(self, op: wg.RingSlotOp) -> None:
        self.values[op.slot], self.values[op.phase] = self.ring_position(self.values[op.position], _int(op.stages))

    def k_loop(self, op: wg.KLoopOp) -> None:
        start, stages = _int(op.start), _int(op.stages)
        # Inside a tile loop over the same K, the tile's K block count is computed there already.
        if self.tile_k_blocks is not None and self.tile_k_blocks[0] is op.k_size:
            nk = self.tile_k_blocks[1]
        elif self.k_begin is not None:
            raise DiagnosticException(f"lower-to-ptx: k_loop at {op.location} in a split-K tile_loop must walk "
                                      "the tile_loop's K (its k_size operand)")
        else:
            nk = self.k_blocks(self.values[op.k_size])
        base = self.k_base
        k0 = self.v(ptx.MovOp(".u32", start, B32()))
        if base is None:  # one tile per thread block: ring position = k
            first = [self.v(ptx.MovOp(".u32", start % stages, B32())),
                     self.v(ptx.MovOp(".u32", (start // stages) % 2, B32()))]
        else:
            first = list(self.ring_position(self.add(base, start), stages))
        inits = [k0, *first]
        inits += [self.values[a] for a in op.iter_args]
        loop = ptx.LoopOp(inits, Region(Block(arg_types=[a.type for a in inits])))
        args = loop.body.block.args

        def body():
            k, slot, phase = args[:3]
            for old, new in zip(op.body.block.args, args):
                self.values[old] = new
            # `unroll` copies of the body, each with its own registers; the loop may leave
            # before any copy (the carried accumulators are one register range throughout).
            for copy in range(op.unroll_factor):
                done = self.v(ptx.SetpOp("ge", ".u32", k, nk))
                self.emit(ptx.BreakIfOp(operands=[done]))
                for inner in op.body.block.ops:
                    if isinstance(inner, wg.YieldOp):
                        k1 = self.add(k, 1)
                        s1, p1 = self.ring_position(k1 if base is None else self.add(base, k1), stages)
                        carried = [self.values[v] for v in inner.values]
                        if copy + 1 == op.unroll_factor:
                            self.emit(ptx.NextOp(k1, s1, p1, *carried))
                        else:
                            k, slot, phase = k1, s1, p1
                            for old, new in zip(op.body.block.args, [k, slot, phase, *carried]):
                                self.values[old] = new
                    else:
                        self.lower_op(inner)

        self.fill(loop.body.block, body)
        self.emit(loop)
        for old, new in zip(op.res, loop.res[3:]):
            self.values[old] = new

    def constant(self, op: arith.ConstantOp) -> None:
        self.values[op.result] = self.v(ptx.MovOp(".u32", op.value.value.data, B32()))

    def cmpi(self, op: arith.CmpiOp) -> None:
        predicates = {0: "eq", 1: "ne", 6: "lt", 7: "le", 8: "gt", 9: "ge"}
        cmp = predicates.get(op.predicate.value.data)
        if cmp is None:
            raise DiagnosticException(f"lower-to-ptx: arith.cmpi predicate {op.predicate.value.data} is not supported")
        self.values[op.result] = self.v(ptx.SetpOp(cmp, ".u32", self.values[op.lhs], self.values[op.rhs]))

    def barrier_address(self, slot: SSAValue, barrier: str) -> SSAValue:
        addr = self.mad(self.values[slot], 8, self.bars)
        return addr if barrier == "full" else self.add(addr, 8 * self.stages)

    def wait(self, op: WaitOp) -> None:
        addr = self.barrier_address(op.slot, op.barrier.data)
        parity = self.values[op.phase]
        if op.barrier.data == "empty":  # a fresh barrier counts as having completed phase "-1"
            parity = self.v(ptx.XorOp(".b32", parity, 1, B32()))
        again = self.label("wait")
        self.emit(ptx.LabelOp(properties={"label": StringAttr(again)}))
        ready = self.v(ptx.MbarrierTryWaitParityOp(operands=[addr, parity], result_types=[PRED()]))
        self.emit(ptx.BraOp(operands=[ready], properties={
            "target": StringAttr(again), "negate": IntegerAttr(1, 64), "uniform": IntegerAttr(0, 64)}))

    def arrive(self, op: ArriveOp) -> None:
        lag = _int(op.lag)

        def release():
            slot = self.values[op.slot]
            if lag:
                slot = self.v(ptx.RemOp(".u32", self.add(slot, self.stages - lag), self.stages, B32()))
            addr = self.mad(slot, 8, self.bars)
            peers = 1 if op.cluster is None else _int(op.cluster)
            if peers == 1:
                self.emit(ptx.MbarrierArriveOp(operands=[addr], properties={"offset": IntegerAttr(8 * self.stages, 64)}))
                return
            empty = self.add(addr, 8 * self.stages)

            def remote_arrivals():  # the empty barrier of this slot in every block of the cluster
                for rank in range(peers):
                    rank_value = self.v(ptx.MovOp(".u32", rank, B32()))
                    remote = self.v(ptx.MapaOp(operands=[empty, rank_value], result_types=[B32()]))
                    self.emit(ptx.MbarrierArriveClusterOp(operands=[remote]))

            # One arrival per warp: its wait_group has retired the groups for all its lanes.
            lane0 = self.v(ptx.SetpOp("eq", ".u32", self.v(ptx.AndOp(".b32", self.tid, 31, B32())), 0))
            self.emit(ptx.IfOp(lane0, self.nested(remote_arrivals)))

        if op.k is None:
            release()
        else:
            self.emit(ptx.IfOp(self.v(ptx.SetpOp("ge", ".u32", self.values[op.k], lag)), self.nested(release)))

    def arrive_expect_tx(self, op: ArriveExpectTxOp) -> None:
        addr = self.barrier_address(op.slot, "full")
        self.emit(ptx.MbarrierArriveExpectTxOp(operands=[addr], properties={"bytes": op.bytes}))

    def tma_load(self, op: LoadOp) -> None:
        slot = self.values[op.slot]
        is_a = op.operand.data == "A"
        region = self.smem if is_a else self.add(self.smem, self.stages * self.a_slot)
        dst = self.mad(slot, self.a_slot if is_a else self.b_slot, region)
        k = self.values[op.k]
        if self.k_begin is not None:  # split-K: k counts the work unit's K blocks
            k = self.add(k, self.k_begin)
        k0 = self.v(ptx.MulLoOp(".u32", k, self.block_k, B32()))
        first_row = self.v(ptx.MulLoOp(".u32", self.m_block if is_a else self.n_block,
                                       self.block_m if is_a else self.block_n, B32()))
        row = self.add(first_row, _int(op.row_offset))
        mbar = self.barrier_address(op.slot, "full")
        mask: list[SSAValue] = []
        parts = 1 if op.multicast is None else _int(op.multicast)
        if parts > 1:  # this block's part of the box, delivered to every block of the cluster
            if op.mn_major:  # split along K: block_k / parts rows of 128 bytes each
                part_rows = self.block_k // parts
                k0 = self.v(ptx.MadLoOp(".u32", self.rank, part_rows, k0, B32()))
            else:
                part_rows = _int(op.box_rows) // parts
                row = self.v(ptx.MadLoOp(".u32", self.rank, part_rows, row, B32()))
            dst = self.v(ptx.MadLoOp(".u32", self.rank, part_rows * 128, dst, B32()))
            mask = [self.v(ptx.MovOp(".b16", (1 << parts) - 1, ptx.B16Type.unallocated()))]
        # The box's coordinates, innermost (contiguous) first: (k, row) for a K-major operand,
        # (row, k) for an MN-major one (its tensor map is K rows of M or N elements).
        c0, c1 = (row, k0) if op.mn_major else (k0, row)
        self.emit(ptx.CpAsyncBulkTensor2dOp(
            operands=[[dst], [self.values[op.tensor_map]], [c0], [c1], [mbar], mask],
            properties={"dst_offset": op.smem_offset}))

    def descriptors(self, slot: SSAValue, trans: tuple[int, int] = (0, 0)) -> tuple[SSAValue, SSAValue]:
        """64-bit smem descriptors of this warpgroup's A tile and the B tile in `slot`
        (`trans`: whether A, B are MN-major, see `descriptor_bits`)."""
        key = (id(self.block), self.values[slot], trans)
        if key in self.desc_cache:
            return self.desc_cache[key]
        s = self.values[slot]
        rows, split = self.owned_rows()
        a_base = self.mad(self.role_index, rows * 128, self.smem) if split else self.smem
        a_addr = self.mad(s, self.a_slot, a_base)
        b_addr = self.mad(s, self.b_slot, self.add(self.smem, self.stages * self.a_slot))
        out = []
        for addr, mn_major in zip((a_addr, b_addr), trans):
            wide = self.v(ptx.CvtOp(".u64", ".u32", self.v(ptx.AndOp(".b32", addr, 0x3FFFF, B32())), B64()))
            field = self.v(ptx.ShrOp(".u64", wide, 4, B64()))
            out.append(self.v(ptx.OrOp(".b64", field, descriptor_bits(bool(mn_major), self.block_k), B64())))
        self.desc_cache[key] = (out[0], out[1])
        return out[0], out[1]

    def fence_proxy_async(self, op: FenceProxyAsyncOp) -> None:
        self.emit(ptx.FenceProxyAsyncOp())

    def fence(self, op: FenceOp) -> None:
        self.emit(ptx.WgmmaFenceOp())

    def mma(self, op: MmaAsyncOp) -> None:
        ty = op.result.type
        assert isinstance(ty, AccumulatorType)
        trans = (0 if op.trans_a is None else _int(op.trans_a), 0 if op.trans_b is None else _int(op.trans_b))
        desc_a, desc_b = self.descriptors(op.slot, trans)
        a_off, b_off = _int(op.a_offset) >> 4, _int(op.b_offset) >> 4
        if a_off:
            desc_a = self.add(desc_a, a_off, ".s64", B64)
        if b_off:
            desc_b = self.add(desc_b, b_off, ".s64", B64)
        acc = [self.values[op.acc]] if op.acc is not None else []
        scale = [self.values[op.scale_d_value]] if op.scale_d_value is not None else []
        self.values[op.result] = self.v(ptx.WgmmaMmaAsyncOp(
            operands=[acc, [desc_a], [desc_b], scale], result_types=[acc_type(ty)],
            properties={"dtype": op.dtype, "n": IntegerAttr(ty.n.data, 64), "scale_d": op.scale_d,
                        **{name: IntegerAttr(1, 64) for name, t in zip(("trans_a", "trans_b"), trans) if t}}))

    def load_fragment_a(self, op: LoadFragmentAOp) -> None:
        """ldmatrix.x4 of one RS wgmma's A fragment (layout: wgmma.load_fragment_a).  Lane l of
        warp w reads row 16w + l % 8 + 8 ((l / 8) % 2) of the m64 block, K chunk
        c = kb / 16 + l / 16 (kb = the fragment's K byte offset), found at chunk c ^ (row % 8)
        of the 128-byte swizzled row; row % 8 = l % 8, and c ^ (l % 8) = (l / 16 ^ l % 8) ^ kb / 16
        as kb / 16 is even."""
        off = _int(op.a_offset)
        row_block, kb = off // 128 * 128, off % 128
        assert self.frag_rows is not None
        key = (id(self.block), self.values[op.slot], kb)
        if key not in self.frag_cache:
            row_addr = self.mad(self.values[op.slot], self.a_slot, self.add(self.smem, self.frag_rows))
            self.frag_cache[key] = self.add(row_addr, self.frag_chunks[kb])
        load = self.emit(ptx.LdmatrixX4Op(self.frag_cache[key], row_block))
        self.values[op.result] = load.results  # type: ignore[assignment]

    def fragment_lanes(self, role: wg.RoleOp) -> None:
        """Per thread, once per consumer role: its ldmatrix row (bytes into the A tile) and its
        swizzled K chunk (bytes into the row) for each fragment K offset the role loads."""
        kbs = sorted({_int(op.a_offset) % 128 for op in role.walk() if isinstance(op, LoadFragmentAOp)})
        if not kbs:
            return
        lane = self.v(ptx.AndOp(".b32", self.local_tid, 31, B32()))
        warp = self.v(ptx.ShrOp(".u32", self.local_tid, 5, B32()))
        row = self.v(ptx.AndOp(".b32", lane, 7, B32()))  # l % 8
        half = self.v(ptx.AndOp(".b32", lane, 8, B32()))  # 8 ((l / 8) % 2)
        row = self.mad(warp, 16, self.add(row, half))
        rows, split = self.owned_rows()
        if split:  # cooperative: this warpgroup's rows of the tile
            row = self.mad(self.role_index, rows, row)
        self.frag_rows = self.v(ptx.ShlOp(".b32", row, 7, B32()))
        chunk = self.v(ptx.XorOp(".b32", self.v(ptx.ShrOp(".u32", lane, 4, B32())),
                                 self.v(ptx.AndOp(".b32", lane, 7, B32())), B32()))
        base = self.v(ptx.ShlOp(".b32", chunk, 4, B32()))
        for kb in kbs:
            self.frag_chunks[kb] = base if kb == 0 else self.v(ptx.XorOp(".b32", base, kb, B32()))

    def mma_rs(self, op: MmaAsyncRsOp) -> None:
        ty = op.result.type
        assert isinstance(ty, AccumulatorType)
        _, desc_b = self.descriptors(op.slot)
        b_off = _int(op.b_offset) >> 4
        if b_off:
            desc_b = self.add(desc_b, b_off, ".s64", B64)
        acc = [self.values[op.acc]] if op.acc is not None else []
        a = list(self.values[op.a])  # type: ignore[call-overload]
        self.values[op.result] = self.v(ptx.WgmmaMmaAsyncRsOp(
            operands=[acc, a, [desc_b]], result_types=[ptx.AccType(ty.registers_per_thread)],
            properties={"dtype": op.dtype, "n": IntegerAttr(ty.n.data, 64), "scale_d": op.scale_d}))

    def undef(self, op: UndefAccumulatorOp) -> None:
        ty = op.result.type
        assert isinstance(ty, AccumulatorType)
        self.values[op.result] = self.v(ptx.AccUndefOp(result_types=[acc_type(ty)]))

    def commit(self, op: CommitGroupOp) -> None:
        self.emit(ptx.WgmmaCommitGroupOp())

    def wait_group(self, op: WaitGroupOp) -> None:
        accs = [self.values[a] for a in op.accumulators]
        w = self.emit(ptx.WgmmaWaitGroupOp(operands=[accs], result_types=[[a.type for a in accs]],
                                                  properties={"pending": op.pending}))
        for old, new in zip(op.results_, w.results):
            self.values[old] = new

    def tile_origin(self, op: TileOriginOp) -> None:
        """Row and column in C of element (0, 0) of the tile that store_accumulator with the
        same row_offset writes (the same arithmetic as `store`, without the thread's part)."""
        rows, split = self.owned_rows()
        block_row = self.v(ptx.MulLoOp(".u32", self.m_block, self.block_m, B32()))
        row = self.mad(self.role_index, rows, block_row) if split else block_row
        self.values[op.row] = self.add(row, _int(op.row_offset))
        self.values[op.col] = self.v(ptx.MulLoOp(".u32", self.n_block, self.block_n, B32()))

    def store(self, op: StoreAccumulatorOp) -> None:
        """The accumulator fragment of thread t (warp w, lane l) holds, for each n8 chunk j,
        C[row, col..col+1] in elements 4j, 4j+1 and C[row+8, col..col+1] in 4j+2, 4j+3, with
        row = 16w + l/4 and col = 8j + 2(l%4) (an f16 accumulator packs elements 2r and 2r + 1
        in the low and high halves of register r: the same layout).  A block inside C with an even N stores pairs
        with no checks (st.global.v2.f32, or for a bf16/f16 C one st.global.b32 of the pair
        packed by cvt.rn); an edge block (or C +=) checks every element.  With atomic_add
        (split-K) each element is added into C by red.global.add.f32, unchecked inside C and
        checked at an edge."""
        ty = op.acc.type
        assert isinstance(ty, AccumulatorType)
        acc, c = self.values[op.acc], self.values[op.c]
        m, n = self.values[op.m], self.values[op.n]
        rows, split = self.owned_rows()
        chunks = ty.n.data // 8
        warp = self.v(ptx.ShrOp(".u32", self.local_tid, 5, B32()))
        lane = self.v(ptx.AndOp(".b32", self.local_tid, 31, B32()))
        block_row = self.v(ptx.MulLoOp(".u32", self.m_block, self.block_m, B32()))
        row = self.mad(self.role_index, rows, block_row) if split else block_row
        row = self.mad(warp, WARP_ROWS, self.add(row, _int(op.row_offset)))  # fragment.thread_origin
        row = self.add(row, self.v(ptx.ShrOp(".u32", lane, 2, B32())))
        block_col = self.v(ptx.MulLoOp(".u32", self.n_block, self.block_n, B32()))
        col = self.mad(self.v(ptx.AndOp(".b32", lane, QUAD - 1, B32())), LANE_COLUMNS, block_col)
        half_c = None if op.c_element == "f32" else op.c_element  # C of bf16 or f16: 2 bytes
        packed = accumulator_name(ty.element) == "f16"  # elements 2r and 2r + 1 in register r
        if packed and (half_c is not None or op.atomic):
            raise DiagnosticException(f"lower-to-ptx: {op.name} at {op.location}: an f16 accumulator is stored "
                                      "to an f32 C only (no bf16/f16 C, no split-K atomics)")
        size = 4 if half_c is None else 2

        def row_address(r: SSAValue, extra: SSAValue | None = None) -> SSAValue:
            start = self.v(ptx.MulWideOp(".u32", r, n, B64()))
            column = col if extra is None else self.add(col, extra)
            start = self.v(ptx.AddOp(".s64", start, self.v(ptx.CvtOp(".u64", ".u32", column, B64())), B64()))
            return self.v(ptx.AddOp(".s64", self.v(ptx.ShlOp(".b64", start, size.bit_length() - 1, B64())), c, B64()))

        # A bf16/f16 C with an even number of n8 chunks: lanes 2i and 2i + 1 swap packed pairs
        # so that each writes 4 contiguous halves (8 bytes) and a warp's store fills whole
        # 32-byte sectors (2-byte pairs would write half of each).
        swap = half_c is not None and chunks % 2 == 0

        def unpacked(element: int) -> tuple[SSAValue, SSAValue]:
            """Elements `element` and `element + 1` of an f16 accumulator as f32 registers."""
            halves = self.emit(ptx.UnpackF16x2Op(acc, element // 2))
            return tuple(self.v(ptx.CvtOp(".f32", ".f16", h, ptx.F32Type.unallocated())) for h in halves.results)

        def pairs():
            odd = self.v(ptx.SetpOp("ne", ".u32", self.v(ptx.AndOp(".b32", lane, 1, B32())), 0)) if swap else None
            for half in range(2):
                r = self.add(row, 8 * half)
                if half_c is None:
                    addr = row_address(r)
                    for j in range(chunks):
                        if packed:
                            self.emit(ptx.StGlobalV2F32ValuesOp(addr, 32 * j, *unpacked(register_of(j, half, 0))))
                        else:
                            self.emit(ptx.StGlobalV2F32Op(addr, 32 * j, acc, register_of(j, half, 0)))
                    continue
                if not swap:
                    addr = row_address(r)
                    for j in range(chunks):
                        self.emit(ptx.StGlobalBitsOp(addr, 16 * j, self.v(ptx.CvtPackHalf2Op(half_c, acc, register_of(j, half, 0)))))
                    continue
                # Chunks j, j + 1 hold columns 8j + 2q (+1) and 8j + 8 + 2q (+1) of lane q.  An
                # even lane keeps its chunk-j pair and takes its partner's (columns 8j + 2q ..
                # 8j + 2q + 3); an odd lane keeps its chunk-(j + 1) pair and takes its partner's
                # (columns 8j + 2q + 6 .. + 9): one butterfly shuffle of what the other needs.
                addr = row_address(r, extra=self.v(ptx.SelpOp(self.v(ptx.MovOp(".u32", 6, B32())),
                                                              self.v(ptx.MovOp(".u32", 0, B32())), odd)))
                for j in range(0, chunks, 2):
                    mine = self.v(ptx.CvtPackHalf2Op(half_c, acc, register_of(j, half, 0)))
                    next_ = self.v(ptx.CvtPackHalf2Op(half_c, acc, register_of(j + 1, half, 0)))
                    got = self.v(ptx.ShflBflyOp(self.v(ptx.SelpOp(mine, next_, odd)), 1))
                    lo, hi = self.v(ptx.SelpOp(got, mine, odd)), self.v(ptx.SelpOp(next_, got, odd))
                    self.emit(ptx.StGlobalV2B32Op(addr, 2 * 8 * j, lo, hi))

        def store_element(addr, offset, ok, element, value=None):
            """C[.] (+)= accumulator element (or `value`, an f32 register holding it), rounded to
            C's type, where `ok` holds."""
            if half_c is None:
                value, elem = (acc, element) if value is None else (value, None)
                if _int(op.accumulate_c):
                    # Define the register first: a predicated load alone leaves it
                    # live around the tile loop, and ptxas then spills 128 of them.
                    zero = self.v(ptx.MovOp(".b32", 0, ptx.F32Type.unallocated()))
                    old = self.v(ptx.LdGlobalF32Op(addr, offset, ok, zero))
                    value, elem = self.v(ptx.AddF32Op(old, value, elem)), None
                self.emit(ptx.StGlobalF32Op(addr, offset, value, ok, elem))
                return
            if _int(op.accumulate_c):
                zero = self.v(ptx.MovOp(".b16", 0, ptx.B16Type.unallocated()))
                old = self.v(ptx.CvtFromHalfOp(half_c, self.v(ptx.LdGlobalB16Op(addr, offset, ok, zero))))
                rounded = self.v(ptx.CvtToHalfOp(half_c, self.v(ptx.AddF32Op(old, acc, element))))
            else:
                rounded = self.v(ptx.CvtToHalfOp(half_c, acc, element))
            self.emit(ptx.StGlobalBitsOp(addr, offset, rounded, ok))

        def checked():
            for half in range(2):
                r = self.add(row, 8 * half)
                row_ok = self.v(ptx.SetpOp("lt", ".u32", r, m))
                addr = row_address(r)
                for j in range(chunks):
                    pair = unpacked(register_of(j, half, 0)) if packed else (None, None)
                    for e in range(2):  # columns computed where used: few registers live
                        ok = self.v(ptx.SetpOp("lt", ".u32", self.add(col, 8 * j + e), n, row_ok))
                        store_element(addr, size * (8 * j + e), ok, register_of(j, half, e), pair[e])

        if op.atomic:
            def reduce(guarded: bool):
                for half in range(2):
                    r = self.add(row, 8 * half)
                    row_ok = self.v(ptx.SetpOp("lt", ".u32", r, m)) if guarded else None
                    addr = row_address(r)
                    for j in range(chunks):
                        for e in range(2):
                            ok = (self.v(ptx.SetpOp("lt", ".u32", self.add(col, 8 * j + e), n, row_ok))
                                  if guarded else None)
                            self.emit(ptx.RedGlobalAddF32Op(addr, 4 * (8 * j + e), acc, ok, register_of(j, half, e)))

            rows_in = self.v(ptx.SetpOp("le", ".u32", self.add(block_row, self.block_m), m))
            inside = self.v(ptx.SetpOp("le", ".u32", self.add(block_col, self.block_n), n, rows_in))
            self.emit(ptx.IfOp(inside, self.nested(lambda: reduce(False))))
            self.emit(ptx.IfOp(inside, self.nested(lambda: reduce(True)), negate=True))
            return
        if _int(op.accumulate_c):
            checked()
            return
        rows_in = self.v(ptx.SetpOp("le", ".u32", self.add(block_row, self.block_m), m))
        cols_in = self.v(ptx.SetpOp("le", ".u32", self.add(block_col, self.block_n), n, rows_in))
        # Pair stores need N even (8-byte f32 pairs, 4-byte half pairs); swapped half stores
        # (8 bytes of 4 halves) need N a multiple of 4.
        interior = self.v(ptx.SetpOp("eq", ".u32", self.v(ptx.AndOp(".b32", n, 3 if swap else 1, B32())), 0, cols_in))
        self.emit(ptx.IfOp(interior, self.nested(pairs)))
        self.emit(ptx.IfOp(interior, self.nested(checked), negate=True))


_HANDLERS: dict[type[Operation], Callable[[_KernelLowering, Operation], None]] = {
    InitRingOp: _KernelLowering.init_ring,
    wg.RoleOp: _KernelLowering.role,
    wg.KLoopOp: _KernelLowering.k_loop,
    wg.TileLoopOp: _KernelLowering.tile_loop,
    wg.RingSlotOp: _KernelLowering.ring_slot,
    wg.AwaitTurnOp: _KernelLowering.await_turn,
    wg.PassTurnOp: _KernelLowering.pass_turn,
    arith.ConstantOp: _KernelLowering.constant,
    arith.CmpiOp: _KernelLowering.cmpi,
    WaitOp: _KernelLowering.wait,
    ArriveOp: _KernelLowering.arrive,
    ArriveExpectTxOp: _KernelLowering.arrive_expect_tx,
    LoadOp: _KernelLowering.tma_load,
    FenceProxyAsyncOp: _KernelLowering.fence_proxy_async,
    FenceOp: _KernelLowering.fence,
    MmaAsyncOp: _KernelLowering.mma,
    LoadFragmentAOp: _KernelLowering.load_fragment_a,
    MmaAsyncRsOp: _KernelLowering.mma_rs,
    UndefAccumulatorOp: _KernelLowering.undef,
    CommitGroupOp: _KernelLowering.commit,
    WaitGroupOp: _KernelLowering.wait_group,
    StoreAccumulatorOp: _KernelLowering.store,
    TileOriginOp: _KernelLowering.tile_origin,
}  # type: ignore[dict-item]


@dataclass(frozen=True)
class LowerToPtxPass(ModulePass):
    """Replace every warpgroup.kernel by a ptx.entry (module docstring)."""

    name = "lower-to-ptx"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for kernel in [k for k in op.walk() if isinstance(k, wg.KernelOp)]:
            entry = _KernelLowering(kernel).lower()
            entry.location = kernel.location
            kernel.parent_block().insert_op_before(entry, kernel)
            kernel.parent_block().erase_op(kernel)
