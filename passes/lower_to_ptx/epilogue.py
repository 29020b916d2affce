"""The epilogue: wgmma.store_accumulator -> stores of the accumulator fragment into C.

The accumulator fragment of thread t (warp w, lane l) holds, for each n8 chunk j,
C[row, col..col+1] in elements 4j, 4j+1 and C[row+8, col..col+1] in 4j+2, 4j+3, with
row = 16w + l/4 and col = 8j + 2(l%4) (an f16 accumulator packs elements 2r and 2r + 1 in
the low and high halves of register r: the same layout).  A block inside C with an even N
stores pairs with no checks (st.global.v2.f32, or for a bf16/f16 C one st.global.b32 of the
pair packed by cvt.rn); an edge block (or C +=) checks every element.  With atomic_add
(split-K) each element is added into C by red.global.add.f32, unchecked inside C and checked
at an edge.  An f16 accumulator's registers are unpacked (mov.b32 {lo, hi}) and converted
(cvt.f32.f16) first.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects.builtin import UnrealizedConversionCastOp
from xdsl.ir import SSAValue
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern
from xdsl.utils.exceptions import DiagnosticException

from exo_gpu.dialects import ptx
from exo_gpu.dialects.attrs import int_value as _int
from exo_gpu.dialects.fragment import TileOriginOp
from exo_gpu.dialects.fragment_pack import StoreRowsOp
from exo_gpu.dialects.wgmma import StoreAccumulatorOp
from exo_gpu.passes.lower_to_ptx.state import (
    rauw,
    B32,
    B64,
    BatchTileEnvOp,
    Emitter,
    KernelEnvOp,
    RoleEnvOp,
    TileEnvOp,
    enclosing,
    is_lowered,
    operands_lowered,
    replace,
)


@dataclass
class FragmentStore:
    """What one store_accumulator writes: its accumulator, C, the thread's first row and
    column, and C's element type."""

    op: StoreAccumulatorOp
    acc: SSAValue
    row: SSAValue
    col: SSAValue
    block_row: SSAValue
    block_col: SSAValue
    lane: SSAValue
    chunks: int
    half_c: str | None  # C of bf16 or f16: 2 bytes
    packed: bool  # an f16 accumulator: elements 2r and 2r + 1 in register r

    @property
    def size(self) -> int:
        return 4 if self.half_c is None else 2

    @property
    def swap(self) -> bool:
        """A bf16/f16 C with an even number of n8 chunks: lanes 2i and 2i + 1 swap packed
        pairs so that each writes 4 contiguous halves (8 bytes) and a warp's store fills
        whole 32-byte sectors (2-byte pairs would write half of each)."""
        return self.half_c is not None and self.chunks % 2 == 0


def fragment_store(em: Emitter, op: StoreAccumulatorOp, env: KernelEnvOp, role: RoleEnvOp,
                   tile: TileEnvOp) -> FragmentStore:
    """This thread's first row and column of C in the current tile (the fragment layout in
    the module docstring), for the rows of `op`'s accumulator (its row_offset)."""
    acc_ty = op.acc.type
    assert isinstance(acc_ty, ptx.AccType)
    packed = acc_ty.is_f16x2
    n = acc_ty.count.data * (4 if packed else 2)
    rows, split = role.owned_rows(env.get("block_m"))
    warp = em.v(ptx.ShrOp(".u32", role.local_tid, 5, B32()))
    lane = em.v(ptx.AndOp(".b32", role.local_tid, 31, B32()))
    block_row = em.v(ptx.MulLoOp(".u32", tile.m_block, env.get("block_m"), B32()))
    row = em.mad(role.index, rows, block_row) if split else block_row
    row = em.mad(warp, 16, em.add(row, _int(op.row_offset)))
    row = em.add(row, em.v(ptx.ShrOp(".u32", lane, 2, B32())))
    block_col = em.v(ptx.MulLoOp(".u32", tile.n_block, env.get("block_n"), B32()))
    col = em.mad(em.v(ptx.AndOp(".b32", lane, 3, B32())), 2, block_col)
    half_c = None if op.c_element == "f32" else op.c_element
    if packed and (half_c is not None or op.atomic):
        raise DiagnosticException(f"lower-to-ptx: {op.name} at {op.location}: an f16 accumulator is stored "
                                  "to an f32 C only (no bf16/f16 C, no split-K atomics)")
    return FragmentStore(op, op.acc, row, col, block_row, block_col, lane, n // 8, half_c, packed)


def _row_address(em: Emitter, f: FragmentStore, r: SSAValue, extra: SSAValue | None = None) -> SSAValue:
    start = em.v(ptx.MulWideOp(".u32", r, f.op.n, B64()))
    column = f.col if extra is None else em.add(f.col, extra)
    start = em.v(ptx.AddOp(".s64", start, em.v(ptx.CvtOp(".u64", ".u32", column, B64())), B64()))
    return em.v(ptx.AddOp(".s64", em.v(ptx.ShlOp(".b64", start, f.size.bit_length() - 1, B64())), f.op.c, B64()))


def _unpacked(em: Emitter, f: FragmentStore, element: int) -> tuple[SSAValue, SSAValue]:
    """Elements `element` and `element + 1` of an f16 accumulator as f32 registers."""
    halves = em.emit(ptx.UnpackF16x2Op(f.acc, element // 2))
    lo, hi = (em.v(ptx.CvtOp(".f32", ".f16", h, ptx.F32Type.unallocated())) for h in halves.results)
    return lo, hi


def _swapped_pairs(em: Emitter, f: FragmentStore, r: SSAValue, half: int, odd: SSAValue) -> None:
    """Chunks j, j + 1 hold columns 8j + 2q (+1) and 8j + 8 + 2q (+1) of lane q.  An even lane
    keeps its chunk-j pair and takes its partner's (columns 8j + 2q .. 8j + 2q + 3); an odd
    lane keeps its chunk-(j + 1) pair and takes its partner's (columns 8j + 2q + 6 .. + 9): one
    butterfly shuffle of what the other needs."""
    assert f.half_c is not None
    addr = _row_address(em, f, r, extra=em.v(ptx.SelpOp(em.v(ptx.MovOp(".u32", 6, B32())),
                                                        em.v(ptx.MovOp(".u32", 0, B32())), odd)))
    for j in range(0, f.chunks, 2):
        mine = em.v(ptx.CvtPackHalf2Op(f.half_c, f.acc, 4 * j + 2 * half))
        next_ = em.v(ptx.CvtPackHalf2Op(f.half_c, f.acc, 4 * (j + 1) + 2 * half))
        got = em.v(ptx.ShflBflyOp(em.v(ptx.SelpOp(mine, next_, odd)), 1))
        lo, hi = em.v(ptx.SelpOp(got, mine, odd)), em.v(ptx.SelpOp(next_, got, odd))
        em.emit(ptx.StGlobalV2B32Op(addr, 2 * 8 * j, lo, hi))


def _pairs(em: Emitter, f: FragmentStore) -> None:
    """An interior block: unchecked stores of adjacent pairs of C."""
    odd = em.v(ptx.SetpOp("ne", ".u32", em.v(ptx.AndOp(".b32", f.lane, 1, B32())), 0)) if f.swap else None
    for half in range(2):
        r = em.add(f.row, 8 * half)
        if f.half_c is None:
            addr = _row_address(em, f, r)
            for j in range(f.chunks):
                if f.packed:
                    em.emit(ptx.StGlobalV2F32ValuesOp(addr, 32 * j, *_unpacked(em, f, 4 * j + 2 * half)))
                else:
                    em.emit(ptx.StGlobalV2F32Op(addr, 32 * j, f.acc, 4 * j + 2 * half))
        elif not f.swap:
            addr = _row_address(em, f, r)
            for j in range(f.chunks):
                em.emit(ptx.StGlobalBitsOp(addr, 16 * j, em.v(ptx.CvtPackHalf2Op(f.half_c, f.acc, 4 * j + 2 * half))))
        else:
            assert odd is not None
            _swapped_pairs(em, f, r, half, odd)


def _store_element(em: Emitter, f: FragmentStore, addr: SSAValue, offset: int, ok: SSAValue, element: int,
                   value: SSAValue | None = None) -> None:
    """C[.] (+)= accumulator element (or `value`, an f32 register holding it), rounded to C's
    type, where `ok` holds."""
    accumulate = _int(f.op.accumulate_c)
    if f.half_c is None:
        value, elem = (f.acc, element) if value is None else (value, None)
        if accumulate:
            # Define the register first: a predicated load alone leaves it
            # live around the tile loop, and ptxas then spills 128 of them.
            zero = em.v(ptx.MovOp(".b32", 0, ptx.F32Type.unallocated()))
            old = em.v(ptx.LdGlobalF32Op(addr, offset, ok, zero))
            value, elem = em.v(ptx.AddF32Op(old, value, elem)), None
        em.emit(ptx.StGlobalF32Op(addr, offset, value, ok, elem))
        return
    if accumulate:
        zero = em.v(ptx.MovOp(".b16", 0, ptx.B16Type.unallocated()))
        old = em.v(ptx.CvtFromHalfOp(f.half_c, em.v(ptx.LdGlobalB16Op(addr, offset, ok, zero))))
        rounded = em.v(ptx.CvtToHalfOp(f.half_c, em.v(ptx.AddF32Op(old, f.acc, element))))
    else:
        rounded = em.v(ptx.CvtToHalfOp(f.half_c, f.acc, element))
    em.emit(ptx.StGlobalBitsOp(addr, offset, rounded, ok))


def _checked(em: Emitter, f: FragmentStore) -> None:
    """An edge block (or C +=): every element checked against M and N."""
    for half in range(2):
        r = em.add(f.row, 8 * half)
        row_ok = em.v(ptx.SetpOp("lt", ".u32", r, f.op.m))
        addr = _row_address(em, f, r)
        for j in range(f.chunks):
            pair = _unpacked(em, f, 4 * j + 2 * half) if f.packed else (None, None)
            for e in range(2):  # columns computed where used: few registers live
                ok = em.v(ptx.SetpOp("lt", ".u32", em.add(f.col, 8 * j + e), f.op.n, row_ok))
                _store_element(em, f, addr, f.size * (8 * j + e), ok, 4 * j + 2 * half + e, pair[e])


def _reduce(em: Emitter, f: FragmentStore, guarded: bool) -> None:
    """Split-K: every element added into C (checked at an edge)."""
    for half in range(2):
        r = em.add(f.row, 8 * half)
        row_ok = em.v(ptx.SetpOp("lt", ".u32", r, f.op.m)) if guarded else None
        addr = _row_address(em, f, r)
        for j in range(f.chunks):
            for e in range(2):
                ok = em.v(ptx.SetpOp("lt", ".u32", em.add(f.col, 8 * j + e), f.op.n, row_ok)) if guarded else None
                em.emit(ptx.RedGlobalAddF32Op(addr, 4 * (8 * j + e), f.acc, ok, 4 * j + 2 * half + e))


class LowerStoreAccumulator(RewritePattern):
    """wgmma.store_accumulator -> the stores of the current tile's fragment (module docstring)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: StoreAccumulatorOp, rewriter: PatternRewriter) -> None:
        env, role, tile = enclosing(op, KernelEnvOp), enclosing(op, RoleEnvOp), enclosing(op, TileEnvOp)
        if env is None or role is None or tile is None or not operands_lowered(op):
            return
        em = Emitter(op.location)
        f = fragment_store(em, op, env, role, tile)
        m, n = op.m, op.n
        if op.atomic:
            rows_in = em.v(ptx.SetpOp("le", ".u32", em.add(f.block_row, env.get("block_m")), m))
            inside = em.v(ptx.SetpOp("le", ".u32", em.add(f.block_col, env.get("block_n")), n, rows_in))
            em.emit(ptx.IfOp(inside, em.nested(lambda inner: _reduce(inner, f, False))))
            em.emit(ptx.IfOp(inside, em.nested(lambda inner: _reduce(inner, f, True)), negate=True))
        elif _int(op.accumulate_c):
            _checked(em, f)
        else:
            rows_in = em.v(ptx.SetpOp("le", ".u32", em.add(f.block_row, env.get("block_m")), m))
            cols_in = em.v(ptx.SetpOp("le", ".u32", em.add(f.block_col, env.get("block_n")), n, rows_in))
            # Pair stores need N even (8-byte f32 pairs, 4-byte half pairs); swapped half stores
            # (8 bytes of 4 halves) need N a multiple of 4.
            even = em.v(ptx.AndOp(".b32", n, 3 if f.swap else 1, B32()))
            interior = em.v(ptx.SetpOp("eq", ".u32", even, 0, cols_in))
            em.emit(ptx.IfOp(interior, em.nested(lambda inner: _pairs(inner, f))))
            em.emit(ptx.IfOp(interior, em.nested(lambda inner: _checked(inner, f)), negate=True))
        replace(rewriter, op, em)


class LowerTileOrigin(RewritePattern):
    """wgmma.tile_origin -> the row and column in C of element (0, 0) of the tile that
    store_accumulator with the same row_offset writes (its arithmetic, without the thread's
    part)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: TileOriginOp, rewriter: PatternRewriter) -> None:
        env, role, tile = enclosing(op, KernelEnvOp), enclosing(op, RoleEnvOp), enclosing(op, TileEnvOp)
        if env is None or role is None or tile is None:
            return
        em = Emitter(op.location)
        rows, split = role.owned_rows(env.get("block_m"))
        block_row = em.v(ptx.MulLoOp(".u32", tile.m_block, env.get("block_m"), B32()))
        row = em.mad(role.index, rows, block_row) if split else block_row
        row = em.add(row, _int(op.row_offset))
        col = em.v(ptx.MulLoOp(".u32", tile.n_block, env.get("block_n"), B32()))
        replace(rewriter, op, em, [row, col])


class LowerStoreRows(RewritePattern):
    """wgmma.store_rows -> in lane 0 of each quad, st.global.f32 of its two rows' values at
    element (batch rows +) row of the pointer, each guarded by row < m."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: StoreRowsOp, rewriter: PatternRewriter) -> None:
        env, role, tile = enclosing(op, KernelEnvOp), enclosing(op, RoleEnvOp), enclosing(op, TileEnvOp)
        pair = op.value.owner
        if env is None or role is None or tile is None or not is_lowered(op.ptr) or not is_lowered(op.m) \
                or not isinstance(pair, UnrealizedConversionCastOp) or len(pair.inputs) != 2:
            return
        em = Emitter(op.location)
        rows, split = role.owned_rows(env.get("block_m"))
        lane = em.v(ptx.AndOp(".b32", role.local_tid, 31, B32()))
        row = em.v(ptx.MulLoOp(".u32", tile.m_block, env.get("block_m"), B32()))
        row = em.mad(role.index, rows, row) if split else row
        row = em.mad(em.v(ptx.ShrOp(".u32", role.local_tid, 5, B32())), 16, em.add(row, _int(op.row_offset)))
        row = em.add(row, em.v(ptx.ShrOp(".u32", lane, 2, B32())))
        first = row
        if (batch := enclosing(op, BatchTileEnvOp)) is not None:
            first = em.add(row, batch.a_rows)
        index = em.v(ptx.MulWideOp(".u32", first, 4, B64()))
        addr = em.v(ptx.AddOp(".s64", index, op.ptr, B64()))
        quad0 = em.v(ptx.SetpOp("eq", ".u32", em.v(ptx.AndOp(".b32", lane, 3, B32())), 0))
        for half, value in enumerate(pair.inputs):
            r = row if half == 0 else em.add(row, 8)
            ok = em.v(ptx.SetpOp("lt", ".u32", r, op.m, quad0))
            em.emit(ptx.StGlobalF32Op(addr, 32 * half, value, ok, None))
        replace(rewriter, op, em)


class FoldFragmentCasts(RewritePattern):
    """The casts lower-fragments leaves between its PTX and the not-yet-lowered values (an
    accumulator seen as its !ptx.acc range, an i32, i64 or f32 seen as a register): once the
    input is PTX, its users read the input itself."""

    def match_and_rewrite(self, op, rewriter: PatternRewriter) -> None:
        if not isinstance(op, UnrealizedConversionCastOp) or len(op.inputs) != 1 or len(op.outputs) != 1:
            return
        source = op.inputs[0]
        if not isinstance(source.type, (ptx.PtxRegisterType, ptx.AccType)):
            return
        rauw(rewriter, op.outputs[0], source)
        rewriter.erase(op)
