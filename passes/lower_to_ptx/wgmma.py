"""wgmma ops: mma_async (SS) and mma_async_rs (RS) keep their accumulator operands and
results (`!ptx.acc` ranges) and take shared-memory descriptors requested per ring slot
(`lower_to_ptx.smem_descriptors`); load_fragment_a -> ldmatrix.x4 at a requested lane address
(`lower_to_ptx.fragment_address`), its four registers standing for the fragment through an
unrealized cast; fence, commit_group, wait_group and undef_accumulator one to one.

`ExpandSmemDescriptors` and `ExpandFragmentAddress` then turn the requests into PTX, once
per block and slot, where the block first asks."""

from __future__ import annotations

from xdsl.dialects.builtin import IntegerAttr, UnrealizedConversionCastOp
from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern

from exo_gpu.dialects import ptx
from exo_gpu.dialects.attrs import int_value as _int
from exo_gpu.dialects.wgmma import (
    AccumulatorType,
    CommitGroupOp,
    FenceOp,
    LoadFragmentAOp,
    MmaAsyncOp,
    MmaAsyncRsOp,
    UndefAccumulatorOp,
    WaitGroupOp,
    accumulator_name,
)
from exo_gpu.passes.lower_to_ptx.state import (
    B32,
    B64,
    Emitter,
    FragmentAddressOp,
    FragmentLanesOp,
    KernelEnvOp,
    RoleEnvOp,
    SmemDescriptorsOp,
    enclosing,
    operands_lowered,
    rauw,
    replace,
)

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


def acc_type(ty: AccumulatorType) -> ptx.AccType:
    """The ptx register range of a wgmma accumulator: f32 elements, or f16 pairs packed f16x2."""
    element = "f16x2" if accumulator_name(ty.element) == "f16" else "f32"
    return ptx.AccType(ty.registers_per_thread, element=element)


def _b_tile(op: MmaAsyncOp | MmaAsyncRsOp) -> int:
    return 0 if op.b_tile is None else _int(op.b_tile)


def _offset(em: Emitter, desc: SSAValue, offset_bytes: int) -> SSAValue:
    """A descriptor `offset_bytes` further (its start address field counts 16 bytes)."""
    offset = offset_bytes >> 4
    return em.add(desc, offset, ".s64", B64) if offset else desc


class LowerMma(RewritePattern):
    """wgmma.mma_async -> ptx.wgmma_mma_async on the slot's descriptors (plus the op's byte
    offsets); scale-d an immediate unless the IR gives a run-time one; an MN-major operand
    prints imm-trans-a/b = 1."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: MmaAsyncOp, rewriter: PatternRewriter) -> None:
        if not operands_lowered(op):
            return
        ty = op.result.type
        assert isinstance(ty, AccumulatorType)
        trans = (0 if op.trans_a is None else _int(op.trans_a), 0 if op.trans_b is None else _int(op.trans_b))
        em = Emitter(op.location)
        request = em.emit(SmemDescriptorsOp(op.slot, trans, (op.a_ring.data, op.b_ring.data), _b_tile(op), op.a_slot))
        desc_a = _offset(em, request.results[0], _int(op.a_offset))
        desc_b = _offset(em, request.results[1], _int(op.b_offset))
        acc = [op.acc] if op.acc is not None else []
        scale = [op.scale_d_value] if op.scale_d_value is not None else []
        result = em.v(ptx.WgmmaMmaAsyncOp(
            operands=[acc, [desc_a], [desc_b], scale], result_types=[acc_type(ty)],
            properties={"dtype": op.dtype, "n": IntegerAttr(ty.n.data, 64), "scale_d": op.scale_d,
                        **{name: IntegerAttr(1, 64) for name, t in zip(("trans_a", "trans_b"), trans) if t}}))
        replace(rewriter, op, em, [result])


class LowerMmaRs(RewritePattern):
    """wgmma.mma_async_rs -> ptx.wgmma_mma_async_rs on the fragment's four registers and the
    slot's B descriptor."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: MmaAsyncRsOp, rewriter: PatternRewriter) -> None:
        if not operands_lowered(op):
            return
        ty = op.result.type
        assert isinstance(ty, AccumulatorType)
        em = Emitter(op.location)
        trans_b = op.transposed_b
        request = em.emit(SmemDescriptorsOp(op.slot, (0, trans_b), (op.b_ring.data, op.b_ring.data), _b_tile(op)))
        desc_b = _offset(em, request.results[1], _int(op.b_offset))
        acc = [op.acc] if op.acc is not None else []
        fragment = op.a.owner
        assert isinstance(fragment, UnrealizedConversionCastOp)
        result = em.v(ptx.WgmmaMmaAsyncRsOp(
            operands=[acc, list(fragment.inputs), [desc_b]], result_types=[ptx.AccType(ty.registers_per_thread)],
            properties={"dtype": op.dtype, "n": IntegerAttr(ty.n.data, 64), "scale_d": op.scale_d,
                        **({"trans_b": IntegerAttr(1, 64)} if trans_b else {})}))
        replace(rewriter, op, em, [result])


class LowerLoadFragmentA(RewritePattern):
    """wgmma.load_fragment_a -> ldmatrix.x4 of one RS wgmma's A fragment (layout:
    wgmma.load_fragment_a) at the lane's address for the slot and K offset, plus the m64 row
    block as an immediate offset."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: LoadFragmentAOp, rewriter: PatternRewriter) -> None:
        if not operands_lowered(op):
            return
        off = _int(op.a_offset)
        row_block, kb = off // 128 * 128, off % 128
        em = Emitter(op.location)
        request = em.emit(FragmentAddressOp(op.slot, kb, op.ring.data))
        load = em.emit(ptx.LdmatrixX4Op(request.results[0], row_block))
        fragment = em.emit(UnrealizedConversionCastOp.get(list(load.results), [op.result.type]))
        replace(rewriter, op, em, [fragment.results[0]])


class LowerWaitGroup(RewritePattern):
    """wgmma.wait_group -> ptx.wgmma_wait_group, whose results are its accumulators."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: WaitGroupOp, rewriter: PatternRewriter) -> None:
        if not operands_lowered(op):
            return
        accs = list(op.accumulators)
        em = Emitter(op.location)
        wait = em.emit(ptx.WgmmaWaitGroupOp(operands=[accs], result_types=[[a.type for a in accs]],
                                            properties={"pending": op.pending}))
        replace(rewriter, op, em, list(wait.results))


class LowerWgmmaOneToOne(RewritePattern):
    """wgmma.fence, commit_group and undef_accumulator: one PTX op each."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        em = Emitter(op.location)
        if isinstance(op, FenceOp):
            em.emit(ptx.WgmmaFenceOp())
        elif isinstance(op, CommitGroupOp):
            em.emit(ptx.WgmmaCommitGroupOp())
        elif isinstance(op, UndefAccumulatorOp):
            assert isinstance(op.result.type, AccumulatorType)
            em.emit(ptx.AccUndefOp(result_types=[acc_type(op.result.type)]))
        else:
            return
        replace(rewriter, op, em, [r for o in em.block.ops for r in o.results])


def _same_requests(op: Operation) -> list[Operation]:
    """The requests of `op`'s block asking what `op` asks (same slot and properties), in order."""
    block = op.parent_block()
    assert block is not None
    return [o for o in block.ops if type(o) is type(op) and list(o.operands) == list(op.operands)
            and o.properties == op.properties]


def _expand(rewriter: PatternRewriter, op: Operation, build) -> None:
    """Expand the first of `op`'s block's identical requests with `build(emitter)` (which
    returns the values asked for) and answer all of them with its values."""
    same = _same_requests(op)
    first = same[0]
    em = Emitter(first.location)
    values = build(em)
    for later in same[1:]:
        for old, new in zip(later.results, values, strict=True):
            rauw(rewriter, old, new)
        rewriter.erase(later)
    replace(rewriter, first, em, values)


class ExpandSmemDescriptors(RewritePattern):
    """The descriptors of this warpgroup's A tile (its rows of a cooperative tile) and of the
    B tile in a slot (A's in `a_slot` when given): the slot's shared address, 128-byte
    swizzle (`descriptor_bits`)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: SmemDescriptorsOp, rewriter: PatternRewriter) -> None:
        env, role = enclosing(op, KernelEnvOp), enclosing(op, RoleEnvOp)
        assert env is not None and role is not None
        trans = (_int(op.trans_a), _int(op.trans_b))

        def build(em: Emitter) -> list[SSAValue]:
            rows, split = role.owned_rows(env.get("block_m"))
            a_base = em.mad(role.index, rows * 128, env.smem) if split else env.smem
            a_ring, b_ring = env.ring(op.a_ring), env.ring(op.b_ring)
            a_slot = op.slot if op.a_slot is None else op.a_slot
            a_addr = em.mad(a_slot, a_ring.slot_bytes, em.add(a_base, a_ring.data) if a_ring.data else a_base)
            b_addr = em.mad(op.slot, b_ring.slot_bytes, em.add(env.smem, b_ring.data + _int(op.b_tile)))
            out = []
            for addr, mn_major in zip((a_addr, b_addr), trans):
                wide = em.v(ptx.CvtOp(".u64", ".u32", em.v(ptx.AndOp(".b32", addr, 0x3FFFF, B32())), B64()))
                field = em.v(ptx.ShrOp(".u64", wide, 4, B64()))
                out.append(em.v(ptx.OrOp(".b64", field, descriptor_bits(bool(mn_major), env.get("block_k")), B64())))
            return out

        _expand(rewriter, op, build)


class ExpandFragmentAddress(RewritePattern):
    """A lane's ldmatrix address for fragment K offset kb in a slot: lane l of warp w reads
    row 16w + l % 8 + 8 ((l / 8) % 2) of the m64 block, K chunk c = kb / 16 + l / 16, found at
    chunk c ^ (row % 8) of the 128-byte swizzled row; row % 8 = l % 8, and c ^ (l % 8) =
    (l / 16 ^ l % 8) ^ kb / 16 as kb / 16 is even (see `lower_to_ptx.fragment_lanes`)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: FragmentAddressOp, rewriter: PatternRewriter) -> None:
        env, lanes = enclosing(op, KernelEnvOp), enclosing(op, FragmentLanesOp)
        assert env is not None and lanes is not None

        def build(em: Emitter) -> list[SSAValue]:
            ring = env.ring(op.ring)
            row_addr = em.mad(op.slot, ring.slot_bytes, em.add(env.smem, lanes.rows))
            if ring.data:
                row_addr = em.add(row_addr, ring.data)
            return [em.add(row_addr, lanes.chunk(_int(op.kb)))]

        _expand(rewriter, op, build)
