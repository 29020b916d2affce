"""Kernel, roles and the ring's initialisation: warpgroup.kernel -> ptx.entry (its prologue
leaves a `lower_to_ptx.kernel` context), warpgroup.role -> a branch on the warpgroup index
with setmaxnreg (leaving a `lower_to_ptx.role` context and, with A fragments, the lanes'
`lower_to_ptx.fragment_lanes`), mbarrier.ring -> mbarrier.init by thread 0.  Also the
raster of tiles over the launch, shared with the tile loop."""

from __future__ import annotations

from xdsl.dialects.builtin import ArrayAttr, IntAttr, IntegerAttr, StringAttr
from xdsl.ir import Block, Region, SSAValue
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern

from exo_gpu.dialects import ptx
from exo_gpu.dialects import warpgroup as wg
from exo_gpu.dialects.attrs import int_value as _int
from exo_gpu.dialects.tma import RingOp, TensorMapType
from exo_gpu.dialects.wgmma import LoadFragmentAOp
from exo_gpu.passes.lower_to_ptx.state import (
    B32,
    B64,
    F32,
    BatchEnvOp,
    Emitter,
    FragmentLanesOp,
    KernelEnvOp,
    RoleEnvOp,
    TileEnvOp,
    enclosing,
    inline,
    replace,
)

SMEM_SYMBOL = "exo_smem"


# PTX parameter type and register type of each extra kernel argument's type (a batched
# kernel's batch count, the epilogue's pointers, sizes and scalars).
EXTRA_PARAMS = {"i64": (".u64", B64), "i32": (".u32", B32), "f32": (".f32", F32)}


def params_of(name: str, extra: list | tuple = ()) -> list[tuple[str, str]]:
    """(PTX parameter name, declaration) of a GEMM entry, in order: A and B tensor maps, C, M,
    N, K, then one per `extra` argument type (i64 pointers, i32 sizes, f32 scalars), named
    {name}_param_<position>."""
    extras = [(f"{name}_param_{6 + i}", f".param .align 64 .b8 {name}_param_{6 + i}[128]" if _is_map(t)
               else f".param {EXTRA_PARAMS[str(t)][0]} {name}_param_{6 + i}") for i, t in enumerate(extra)]
    return [
        (f"{name}_param_a", f".param .align 64 .b8 {name}_param_a[128]"),
        (f"{name}_param_b", f".param .align 64 .b8 {name}_param_b[128]"),
        (f"{name}_param_c", f".param .u64 {name}_param_c"),
        (f"{name}_param_m", f".param .u32 {name}_param_m"),
        (f"{name}_param_n", f".param .u32 {name}_param_n"),
        (f"{name}_param_k", f".param .u32 {name}_param_k"),
        *extras,
    ]


def _is_map(ty) -> bool:
    return isinstance(ty, TensorMapType)


def _map_address(em: Emitter, pname: str) -> SSAValue:
    """The generic address of a tensor-map parameter."""
    addr = em.v(ptx.MovOp(".u64", pname, B64()))
    return em.v(ptx.CvtaParamOp(operands=[addr], result_types=[B64()]))


def tile_counts(em: Emitter, env: KernelEnvOp, m: SSAValue, n: SSAValue) -> tuple[SSAValue, SSAValue]:
    """Rows and columns of the launch's tiles; with a cluster, a tile is a cluster's
    `cluster_n` blocks along N (1x2) or `cluster_m` blocks along M (2x1)."""
    span = env.get("block_n") * env.get("cluster_n")
    height = env.get("block_m") * env.get("cluster_m")
    rows = em.v(ptx.DivOp(".u32", em.add(m, height - 1), height, B32()))
    cols = em.v(ptx.DivOp(".u32", em.add(n, span - 1), span, B32()))
    return rows, cols


def raster(em: Emitter, env: KernelEnvOp, pid: SSAValue, rows: SSAValue, cols: SSAValue) -> tuple[SSAValue, SSAValue]:
    """(m, n) block of tile `pid` of a rows x cols launch (see tile_counts): groups of
    `raster` block rows, each walked column by column, so tiles running at the same time
    share A and B tiles."""
    group_rows = env.get("raster")
    width = em.v(ptx.MulLoOp(".u32", cols, group_rows, B32()))
    group = em.v(ptx.DivOp(".u32", pid, width, B32()))
    first_row = em.v(ptx.MulLoOp(".u32", group, group_rows, B32()))
    height = em.v(ptx.MinOp(".u32", em.v(ptx.SubOp(".u32", rows, first_row, B32())), group_rows, B32()))
    local = em.v(ptx.RemOp(".u32", pid, width, B32()))
    m_block = em.add(first_row, em.v(ptx.RemOp(".u32", local, height, B32())))
    n_block = em.v(ptx.DivOp(".u32", local, height, B32()))
    if env.get("cluster_n") > 1:  # the cluster's tile is `cluster_n` blocks along N: this one is `rank`
        n_block = em.v(ptx.MadLoOp(".u32", n_block, env.get("cluster_n"), env.rank, B32()))
    if env.get("cluster_m") > 1:  # the cluster's tile is `cluster_m` blocks along M: this one is `rank`
        m_block = em.v(ptx.MadLoOp(".u32", m_block, env.get("cluster_m"), env.rank, B32()))
    return m_block, n_block


def _kernel_shape(kernel: wg.KernelOp) -> dict[str, int]:
    return {"block_m": _int(kernel.block_m), "block_n": _int(kernel.block_n), "block_k": _int(kernel.block_k),
            "threads": _int(kernel.threads), "raster": kernel.raster, "cluster_n": kernel.cluster_n_size,
            "cluster_m": kernel.cluster_m_size, "kv_group": kernel.group}


def _prologue(em: Emitter, kernel: wg.KernelOp, params: list[tuple[str, str]]) -> tuple[KernelEnvOp, list[SSAValue]]:
    """Thread values, the shared-memory base and the rings' places, and the kernel arguments
    from the params."""
    shape = _kernel_shape(kernel)
    tid = em.v(ptx.MovOp(".u32", "%tid.x", B32()))
    rank = em.v(ptx.MovOp(".u32", "%cluster_ctarank", B32())) if kernel.cluster_size > 1 else None
    warpgroup = em.v(ptx.ShrOp(".u32", tid, 7, B32()))
    raw = em.v(ptx.MovOp(".u32", SMEM_SYMBOL, B32()))
    smem = em.v(ptx.AndOp(".b32", em.add(raw, 1023), -1024, B32()))
    places = kernel.smem_layout()[0]
    bars = [em.add(smem, place.bars) for place in places.values()]  # each ring's barriers
    args: list[SSAValue] = []
    for pname, _ in params[:2]:  # tensor maps: the generic address of the parameter
        args.append(_map_address(em, pname))
    c = em.v(ptx.LdParamOp(".u64", params[2][0], B64()))
    args.append(em.v(ptx.CvtaToGlobalOp(operands=[c], result_types=[B64()])))
    args += [em.v(ptx.LdParamOp(".u32", pname, B32())) for pname, _ in params[3:6]]
    for (pname, _), arg in zip(params[6:], kernel.body.block.args[6:]):  # batch count, epilogue operands
        if _is_map(arg.type):  # attention's V
            args.append(_map_address(em, pname))
            continue
        ty, reg = EXTRA_PARAMS[str(arg.type)]
        value = em.v(ptx.LdParamOp(ty, pname, reg()))
        if ty == ".u64":
            value = em.v(ptx.CvtaToGlobalOp(operands=[value], result_types=[B64()]))
        args.append(value)
    env = KernelEnvOp([tid, warpgroup, smem], bars, rank, shape, places)
    em.emit(env)
    if kernel.is_batched:
        em.emit(BatchEnvOp.create(operands=[args[6]]))
    return env, args


class LowerKernel(RewritePattern):
    """warpgroup.kernel -> ptx.entry: parameters (A and B tensor maps by value, the C pointer,
    M, N, K), `.maxntid` = threads, the ring's dynamic shared memory, the cluster size; the
    body's ops follow the prologue, then (cluster) a cluster barrier and `ret`.  Without a
    tile loop, the block's tile is its index's, rastered (a `lower_to_ptx.tile` context)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: wg.KernelOp, rewriter: PatternRewriter) -> None:
        name = op.sym_name.data
        smem_bytes = op.smem_bytes  # from the ring declarations, before the body moves
        params = params_of(name, [a.type for a in op.body.block.args[6:]])
        em = Emitter(op.location)
        env, args = _prologue(em, op, params)
        if not any(isinstance(inner, wg.TileLoopOp) for inner in op.walk()):
            pid = em.v(ptx.MovOp(".u32", "%clusterid.x" if env.cluster > 1 else "%ctaid.x", B32()))
            em.emit(TileEnvOp(*raster(em, env, pid, *tile_counts(em, env, args[3], args[4]))))
        body = em.block
        inline(rewriter, op.body.block, body, args)
        tail = Emitter(op.location, body)
        if env.cluster > 1:  # no block leaves while its peers may still write to it
            tail.emit(ptx.BarrierClusterOp())
        tail.emit(ptx.RetOp())
        entry = ptx.EntryOp.create(
            properties={"sym_name": StringAttr(name), "params": ArrayAttr([StringAttr(d) for _, d in params]),
                        "maxntid": IntegerAttr(_int(op.threads), 64), "smem_bytes": IntegerAttr(smem_bytes, 64),
                        **({"cluster": IntegerAttr(env.cluster, 64)} if env.cluster > 1 else {})},
            attributes={"abi": op.attributes["abi"]} if "abi" in op.attributes else {},  # for the host
            regions=[Region(body)])
        done = Emitter(op.location)
        done.emit(entry)
        replace(rewriter, op, done)


class LowerRing(RewritePattern):
    """mbarrier.ring -> thread 0 initialises every slot's full and empty barrier; after the
    last ring of the kernel, a fence and a block (cluster) barrier: no thread, here or in a
    peer block, uses a barrier before it exists."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: RingOp, rewriter: PatternRewriter) -> None:
        if (env := enclosing(op, KernelEnvOp)) is None:
            return
        em = Emitter(op.location)
        place = env.ring(op.ring)
        first = em.v(ptx.SetpOp("eq", ".u32", env.tid, 0))
        last = list(env.rings.data)[-1] == op.ring.data  # the kernel's last ring declaration

        def body(inner: Emitter) -> None:
            bars = env.ring_bars(op.ring)
            for s in range(place.stages):
                inner.emit(ptx.MbarrierInitOp(operands=[bars], properties={
                    "offset": IntegerAttr(8 * s, 64), "count": op.full_count}))
                inner.emit(ptx.MbarrierInitOp(operands=[bars], properties={
                    "offset": IntegerAttr(8 * (place.stages + s), 64), "count": op.empty_count}))
            if last:
                inner.emit(ptx.FenceMbarrierInitOp())

        em.emit(ptx.IfOp(first, em.nested(body)))
        if last:
            em.emit(ptx.BarrierClusterOp() if env.cluster > 1 else ptx.BarSyncOp())
        replace(rewriter, op, em)


def _fragment_lanes(em: Emitter, env: KernelEnvOp, role_env: RoleEnvOp, role: wg.RoleOp) -> None:
    """Per thread, once per consumer role: its ldmatrix row (bytes into the A tile) and its
    swizzled K chunk (bytes into the row) for each fragment K offset the role loads."""
    kbs = sorted({_int(op.a_offset) % 128 for op in role.walk() if isinstance(op, LoadFragmentAOp)})
    if not kbs:
        return
    lane = em.v(ptx.AndOp(".b32", role_env.local_tid, 31, B32()))
    warp = em.v(ptx.ShrOp(".u32", role_env.local_tid, 5, B32()))
    row = em.v(ptx.AndOp(".b32", lane, 7, B32()))  # l % 8
    half = em.v(ptx.AndOp(".b32", lane, 8, B32()))  # 8 ((l / 8) % 2)
    row = em.mad(warp, 16, em.add(row, half))
    rows, split = role_env.owned_rows(env.get("block_m"))
    if split:  # cooperative: this warpgroup's rows of the tile
        row = em.mad(role_env.index, rows, row)
    frag_rows = em.v(ptx.ShlOp(".b32", row, 7, B32()))
    chunk = em.v(ptx.XorOp(".b32", em.v(ptx.ShrOp(".u32", lane, 4, B32())),
                           em.v(ptx.AndOp(".b32", lane, 7, B32())), B32()))
    base = em.v(ptx.ShlOp(".b32", chunk, 4, B32()))
    chunks = [base if kb == 0 else em.v(ptx.XorOp(".b32", base, kb, B32())) for kb in kbs]
    em.emit(FragmentLanesOp.create(operands=[frag_rows, *chunks],
                                   properties={"kbs": ArrayAttr([IntAttr(kb) for kb in kbs])}))


class LowerRole(RewritePattern):
    """warpgroup.role -> a branch on the warpgroup index that first sets the role's register
    budget with setmaxnreg (inc above the block's entry share, dec below), then runs the
    role's ops (a producer's on one elected thread) and returns (outside a cluster)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: wg.RoleOp, rewriter: PatternRewriter) -> None:
        if (env := enclosing(op, KernelEnvOp)) is None:
            return
        em = Emitter(op.location)
        first, count = _int(op.first_warpgroup), _int(op.num_warpgroups)
        if count == 1:
            cond = em.v(ptx.SetpOp("eq", ".u32", env.warpgroup, first))
        else:
            above = em.v(ptx.SetpOp("ge", ".u32", env.warpgroup, first))
            cond = em.v(ptx.SetpOp("lt", ".u32", env.warpgroup, first + count, above))
        # Registers per thread at entry: the block's share of the register file, at most 255.
        entry_budget = min(255, 65536 // env.get("threads")) // 8 * 8
        action = "inc" if _int(op.maxnreg) > entry_budget else "dec"
        body = Emitter(op.location)
        body.emit(ptx.SetmaxnregOp(properties={"action": StringAttr(action), "count": op.maxnreg}))
        local_tid = body.v(ptx.AndOp(".b32", env.tid, 127, B32()))
        index = body.v(ptx.SubOp(".u32", env.warpgroup, first, B32()))
        # Ping-pong: the role's tile loop takes turns, each warpgroup owning whole tiles.
        turns = max((t.turn_count for t in op.walk() if isinstance(t, wg.TileLoopOp)), default=1)
        role_env = RoleEnvOp.create(operands=[local_tid, index], properties={
            "count": IntegerAttr(count, 64), "turns": IntegerAttr(turns, 64)})
        body.emit(role_env)
        if op.role.data == "consumer":
            _fragment_lanes(body, env, role_env, op)
        target = body.block
        if op.role.data == "producer":
            elected = body.v(ptx.SetpOp("eq", ".u32", local_tid, 0))
            target = Block()
            body.emit(ptx.IfOp(elected, Region(target)))
        inline(rewriter, op.body.block, target)
        if env.cluster == 1:  # in a cluster every thread meets at the final cluster barrier
            body.emit(ptx.RetOp())
        em.emit(ptx.IfOp(cond, Region(body.block)))
        replace(rewriter, op, em)
