"""`lower-fragments`: wgmma fragment ops (dialects/fragment.py) -> ptx instructions per
accumulator register, run right before `lower-to-ptx`.

Why a pass of its own, before lower-to-ptx: the fragment ops need nothing of the kernel's
lowering state (only %tid.x, which they read themselves), so they lower by plain rewrite
patterns, one family per op kind, in the MLIR style of progressive lowering: ptx ops appear
inside the warpgroup kernel, joined to the still-unlowered values by
`builtin.unrealized_conversion_cast` (a !wgmma.accumulator seen as its `!ptx.acc` range, an
i32 as a `!ptx.b32`, ...).  lower-to-ptx then carries ptx ops over unchanged and maps each
cast's result to its operand's lowering (`pass_through`, its one hook).  The only op left
for lower-to-ptx is `wgmma.tile_origin`, which needs the block's position.

Guarantees:
- every element of a fragment is computed in its own registers: element i of a result reads
  only element i of its fragment operands (and the two row values of a row vector), so a
  result may overwrite an operand's range element by element, in place;
- a result takes the range of an accumulator it reads (directly or through virtual ops) that
  nothing reads afterwards, else a fresh range (`ptx.acc_fresh`, counted in the role's
  register budget by assign-registers, like any accumulator range);
- "virtual" values get no range: splats and loads read only by elementwise ops and
  reductions, and elementwise ops read by exactly one of those.  Their value is computed per element
  where it is used, right before the instruction that needs it, in f32 temporaries that
  live for a few instructions: a chain of single-use ops (GELU spelled as muls, adds and a
  tanh; alpha * acc + beta * C with C loaded) is one pass over the registers, C costing no
  range.  A load read by several ops is read again for each (a vector: each distinct row or
  column once per reader), which costs loads, not registers;
- loads are masked element by element (`@p ld.global`, 0 elsewhere) at the vector's length
  or the tile's (m, n); bf16/f16 elements are widened exactly (cvt.f32.bf16/f16);
- frag_reduce combines each thread's elements of its two rows, then the 4 lanes of a quad
  by `shfl.sync.bfly` 1 and 2; a row vector is two f32 registers per thread (elementwise
  ops on row vectors compute those two);
- frag_fma is one fma.rn.f32 per element;
- an elementwise op of splats only (scale_a * scale_b) is the same in every element: it is
  computed once per rewrite, not once per register; wgmma.load_scalar is one ld.global.f32;
- gelu and silu expand to the formulas of wgmma.frag_unary; exp2, log2, tanh are the .approx
  instructions; div is div.rn.f32; frag_select is setp.CMP.f32 then selp.f32; frag_iota
  is the element's row or column (plus its base) converted by cvt.rn.f32.u32.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith
from xdsl.dialects.builtin import Float32Type, FloatAttr, ModuleOp, UnrealizedConversionCastOp
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.utils.exceptions import DiagnosticException

from exo_gpu.dialects import ptx
from exo_gpu.dialects import ptx_float as pf
from exo_gpu.dialects.fragment import (
    ELEMENTWISE,
    HALF_ROWS,
    LANE_COLUMNS,
    LOAD_DTYPES,
    QUAD,
    WARP_ROWS,
    FragBinaryOp,
    FragFmaOp,
    FragIotaOp,
    FragLoadTileOp,
    FragLoadVectorOp,
    FragReduceOp,
    FragSelectOp,
    FragSplatOp,
    FragUnaryOp,
    LoadScalarOp,
    RowVectorType,
    register_offset,
)
from exo_gpu.dialects.fragment_pack import FragPackAOp, packed_elements
from exo_gpu.dialects.wgmma import AccumulatorType, StoreAccumulatorOp
from exo_gpu.dialects.warpgroup import KLoopOp
from exo_gpu.passes.levels import expect_level
from exo_gpu.passes.lower_fragments_loops import carry_as_scalars, fold_split_casts

B32, B64, F32 = ptx.B32Type.unallocated, ptx.B64Type.unallocated, ptx.F32Type.unallocated
LOG2E = 1.4426950408889634
GELU_K0, GELU_K1 = 0.7978845608028654, 0.044715
LEAVES = (FragSplatOp, FragLoadVectorOp, FragLoadTileOp, FragIotaOp)  # no fragment operands
FRAGMENT_OPS = (*ELEMENTWISE, *LEAVES, FragReduceOp, FragPackAOp)

Source = tuple[SSAValue, int | None]  # an f32 register (None) or element i of a range


# -------------------------------------------------------------------------- which values get ranges


def is_virtual(value: SSAValue) -> bool:
    """Whether `value` is computed per element where it is used instead of in a range: a
    splat or a load read only by elementwise ops and reductions, or an elementwise op read
    by one of those."""
    op = value.owner
    if isinstance(value.type, RowVectorType) or not isinstance(op, (*LEAVES, *ELEMENTWISE)):
        return False
    users = [use.operation for use in value.uses]
    if not users or not all(isinstance(u, (*ELEMENTWISE, FragReduceOp)) for u in users):
        return False
    return not isinstance(op, ELEMENTWISE) or len(users) == 1  # a splat or load is read again per user


def root(op: Operation) -> Operation:
    """The op whose lowering computes elementwise `op`: itself, or for a virtual op, the
    first op up its chain of (single) users that gets a range."""
    while isinstance(op, ELEMENTWISE) and is_virtual(op.results[0]):
        op = next(iter(op.results[0].uses)).operation
    return op


def leaves(op: Operation) -> list[SSAValue]:
    """The accumulator values with ranges that `op` reads, directly or through virtual ops."""
    found: list[SSAValue] = []
    for x in op.operands:
        if not isinstance(x.type, AccumulatorType):
            continue
        if not is_virtual(x):
            found.append(x)
        elif isinstance(x.owner, ELEMENTWISE):
            found.extend(leaves(x.owner))
    return list(dict.fromkeys(found))


def _overwritable(value: SSAValue, op: Operation) -> bool:
    """Whether `op` may write its result over `value`'s range: every other reader of
    `value` is part of `op`'s computation (a virtual op that `op` computes, per element,
    before writing that element), a virtual op whose user was lowered already (dead now), or
    a cast to its range read only before `op` in its block (lowered ops that already read it)."""
    for use in value.uses:
        user = use.operation
        if user is op or (isinstance(user, ELEMENTWISE) and is_virtual(user.results[0]) and root(user) is op):
            continue
        if isinstance(user, ELEMENTWISE) and not user.results[0].uses:  # computed by a lowered op, dead now
            continue
        if not isinstance(user, UnrealizedConversionCastOp):
            return False
        for result in user.results:
            for later in result.uses:
                reader = later.operation
                if reader.parent_block() is not op.parent_block() or not reader.is_before_in_block(op):
                    return False
    return True


def in_place_operand(op: Operation) -> SSAValue | None:
    """An accumulator value that `op` reads and whose range its result may overwrite."""
    return next((x for x in leaves(op) if _overwritable(x, op)), None)


# -------------------------------------------------------------------------- emitting


class _Emitter:
    """Inserts ptx ops before one fragment op (with its location) and remembers, for this
    one rewrite, what it computed: thread coordinates, constants, loads, casts."""

    def __init__(self, rewriter: PatternRewriter, anchor: Operation):
        self.rewriter, self.anchor = rewriter, anchor
        self.memo: dict[object, object] = {}
        self.chain: dict[SSAValue, SSAValue] = {}  # an operand being overwritten -> its range now

    def __call__(self, op: Operation) -> Operation:
        op.location = self.anchor.location
        self.rewriter.insert(op, InsertPoint.before(self.anchor))
        return op

    def v(self, op: Operation) -> SSAValue:
        return self(op).results[0]

    def once(self, key: object, make):
        if key not in self.memo:
            self.memo[key] = make()
        return self.memo[key]

    def const(self, value: float) -> SSAValue:
        return self.once(("const", value), lambda: self.v(pf.FConstOp(value)))

    def thread(self) -> tuple[SSAValue, SSAValue]:
        """(row, column) of this thread's register 0 in the m64 tile (fragment.thread_origin)."""
        def make():
            tid = self.v(ptx.MovOp(".u32", "%tid.x", B32()))
            lane = self.v(ptx.AndOp(".b32", tid, 31, B32()))
            warp = self.v(ptx.AndOp(".b32", self.v(ptx.ShrOp(".u32", tid, 5, B32())), 3, B32()))
            quad_row = self.v(ptx.ShrOp(".u32", lane, QUAD.bit_length() - 1, B32()))
            row = self.v(ptx.MadLoOp(".u32", warp, WARP_ROWS, quad_row, B32()))
            col = self.v(ptx.MulLoOp(".u32", self.v(ptx.AndOp(".b32", lane, QUAD - 1, B32())), LANE_COLUMNS, B32()))
            return row, col
        return self.once("thread", make)

    def scalar(self, value: SSAValue, ty: Attribute) -> SSAValue:
        """`value` (i32, i64, f32) as a ptx register of type `ty`."""
        owner = value.owner
        if isinstance(owner, UnrealizedConversionCastOp) and len(owner.inputs) == 1 \
                and isinstance(owner.inputs[0].type, type(ty)):
            return owner.inputs[0]
        return self.once(("cast", value), lambda: self.v(UnrealizedConversionCastOp.get([value], [ty])))

    def range_of(self, value: SSAValue) -> SSAValue:
        """The !ptx.acc range holding accumulator `value` (as overwritten so far)."""
        if value in self.chain:
            return self.chain[value]
        owner = value.owner
        if isinstance(owner, UnrealizedConversionCastOp) and len(owner.inputs) == 1 \
                and isinstance(owner.inputs[0].type, ptx.AccType):
            return owner.inputs[0]
        ty = value.type
        assert isinstance(ty, AccumulatorType)
        return self.scalar(value, ptx.AccType(ty.registers_per_thread))

    def zero_fallback(self, dtype: str) -> SSAValue:
        """A fresh zero for one guarded load to fall back on (its register is the load's)."""
        if dtype == "f32":
            return self.v(pf.FConstOp(0.0))
        return self.v(ptx.MovOp(".b16", 0, ptx.B16Type.unallocated()))

    def load(self, addr: SSAValue, offset: int, ok: SSAValue, dtype: str) -> SSAValue:
        """One guarded element load, widened to f32 (0 where `ok` is false)."""
        if dtype == "f32":
            return self.v(ptx.LdGlobalF32Op(addr, offset, ok, self.zero_fallback(dtype)))
        bits = self.v(ptx.LdGlobalB16Op(addr, offset, ok, self.zero_fallback(dtype)))
        return self.v(ptx.CvtFromHalfOp(dtype, bits))

    def address(self, ptr: SSAValue, index: SSAValue, size: int) -> SSAValue:
        """ptr + index * size (index a 64-bit element count)."""
        scaled = self.v(ptx.ShlOp(".b64", index, size.bit_length() - 1, B64()))
        return self.v(ptx.AddOp(".s64", scaled, self.scalar(ptr, B64()), B64()))


# -------------------------------------------------------------------------- elements


def element(e: _Emitter, value: SSAValue, i: int) -> Source:
    """Element `i` of fragment (or row vector) `value`, as an instruction source."""
    owner = value.owner
    if isinstance(value.type, RowVectorType):
        if isinstance(owner, FragSplatOp):
            return e.scalar(owner.value, F32()), None
        assert isinstance(owner, UnrealizedConversionCastOp), "row vectors are lowered before their users"
        return owner.inputs[(i // 2) % 2], None
    if isinstance(owner, FragSplatOp):
        if isinstance(owner.value.type, Float32Type):
            return e.scalar(owner.value, F32()), None
        return e.once(("index", owner), lambda: e.v(ptx.CvtOp(".rn.f32", ".u32", e.scalar(owner.value, B32()), F32()))), None
    if isinstance(owner, FragLoadVectorOp):
        return vector_element(e, owner, i), None
    if isinstance(owner, FragLoadTileOp):
        return tile_element(e, owner, i), None
    if isinstance(owner, FragIotaOp):
        return iota_element(e, owner, i), None
    if is_virtual(value):
        assert isinstance(owner, ELEMENTWISE)
        if is_uniform(value):  # the same in every element (a product of scales): computed once
            return e.once(("uniform", owner), lambda: compute(e, owner, 0, None)), None
        return compute(e, owner, i, None), None
    return e.range_of(value), i


def is_uniform(value: SSAValue) -> bool:
    """Whether every element of fragment `value` is one scalar: a splat, or a virtual
    elementwise op of such values."""
    op = value.owner
    if isinstance(op, FragSplatOp):
        return isinstance(value.type, AccumulatorType)
    return isinstance(op, ELEMENTWISE) and is_virtual(value) and all(is_uniform(x) for x in op.operands)


def vector_element(e: _Emitter, op: FragLoadVectorOp, i: int) -> SSAValue:
    dtype, along = op.dtype.data, op.along.data
    size = LOAD_DTYPES[dtype]
    d = register_offset(i)[1 if along == "col" else 0]

    def first():  # this thread's first index into the vector, and its address
        t_row, t_col = e.thread()
        index = e.v(ptx.AddOp(".u32", e.scalar(op.base, B32()), t_col if along == "col" else t_row, B32()))
        wide = e.v(ptx.CvtOp(".u64", ".u32", index, B64()))
        return index, e.address(op.ptr, wide, size)

    def load():
        index, addr = e.once(("vector", op), first)
        at = index if d == 0 else e.v(ptx.AddOp(".u32", index, d, B32()))
        ok = e.v(ptx.SetpOp("lt", ".u32", at, e.scalar(op.n_valid, B32())))
        return e.load(addr, d * size, ok, dtype)

    return e.once(("vector", op, d), load)


def tile_element(e: _Emitter, op: FragLoadTileOp, i: int) -> SSAValue:
    dtype = op.dtype.data
    size = LOAD_DTYPES[dtype]
    dr, dc = register_offset(i)
    half = dr // HALF_ROWS

    def row(h: int):  # (address of the row's first element of this thread, row in range)
        t_row, t_col = e.thread()
        col = e.once(("tile col", op), lambda: e.v(ptx.AddOp(".u32", e.scalar(op.col0, B32()), t_col, B32())))
        r = e.once(("tile first row", op), lambda: e.v(ptx.AddOp(".u32", e.scalar(op.row0, B32()), t_row, B32())))
        if h:
            r = e.v(ptx.AddOp(".u32", r, HALF_ROWS, B32()))
        ok = e.v(ptx.SetpOp("lt", ".u32", r, e.scalar(op.m, B32())))
        start = e.v(ptx.MulWideOp(".u32", r, e.scalar(op.ld, B32()), B64()))
        start = e.v(ptx.AddOp(".s64", start, e.v(ptx.CvtOp(".u64", ".u32", col, B64())), B64()))
        return e.address(op.ptr, start, size), ok

    def column():
        col = e.memo[("tile col", op)]
        return col if dc == 0 else e.v(ptx.AddOp(".u32", col, dc, B32()))

    addr, row_ok = e.once(("tile row", op, half), lambda: row(half))
    col = e.once(("tile column", op, dc), column)
    ok = e.v(ptx.SetpOp("lt", ".u32", col, e.scalar(op.n, B32()), row_ok))
    return e.load(addr, dc * size, ok, dtype)


def iota_element(e: _Emitter, op: FragIotaOp, i: int) -> SSAValue:
    dim = op.dim.value.data
    d = register_offset(i)[dim]

    def index():
        first = e.once(("iota", op), lambda: e.v(ptx.AddOp(".u32", e.scalar(op.base, B32()), e.thread()[dim], B32())))
        at = first if d == 0 else e.v(ptx.AddOp(".u32", first, d, B32()))
        return e.v(ptx.CvtOp(".rn.f32", ".u32", at, F32()))

    return e.once(("iota", op, d), index)


BINARY = {"add": pf.FAddOp, "sub": pf.FSubOp, "mul": pf.FMulOp, "div": pf.FDivOp, "max": pf.FMaxOp}
SIMPLE_UNARY = {"neg": pf.FNegOp, "exp2": pf.Ex2Op, "log2": pf.Lg2Op, "tanh": pf.TanhOp}


def compute(e: _Emitter, op: Operation, i: int, dest: tuple[SSAValue, int] | None) -> SSAValue:
    """Element `i` of elementwise `op`: written into `dest` (a range, element i) and the
    range returned, or into a fresh f32 register, returned."""
    srcs = [element(e, x, i) for x in op.operands]
    if isinstance(op, FragSelectOp):
        a, b, x, y = srcs
        return e.v(pf.FSelpOp(x, y, e.v(pf.FSetpOp(op.kind.data, a, b)), dest=dest))
    if isinstance(op, FragBinaryOp):
        return e.v(BINARY[op.kind.data](*srcs, dest=dest))
    if isinstance(op, FragFmaOp):
        return e.v(pf.FmaOp(*srcs, dest=dest))
    assert isinstance(op, FragUnaryOp)
    (x,) = srcs
    kind = op.kind.data
    if kind in SIMPLE_UNARY:
        return e.v(SIMPLE_UNARY[kind](x, dest=dest))
    if kind == "relu":
        return e.v(pf.FMaxOp(x, (e.const(0.0), None), dest=dest))

    def f(cls, *args: Source | SSAValue) -> Source:
        return e.v(cls(*[a if isinstance(a, tuple) else (a, None) for a in args])), None

    if kind == "gelu":  # 0.5 x (1 + tanh(k0 x (1 + k1 x^2))) = h + h t, h = 0.5 x
        t = f(pf.FMulOp, x, x)
        t = f(pf.FmaOp, t, e.const(GELU_K1), e.const(1.0))
        t = f(pf.FMulOp, t, x)
        t = f(pf.TanhOp, f(pf.FMulOp, t, e.const(GELU_K0)))
        h = f(pf.FMulOp, x, e.const(0.5))
        return e.v(pf.FmaOp(h, t, h, dest=dest))
    assert kind == "silu"  # x / (1 + 2^(-x log2 e))
    t = f(pf.Ex2Op, f(pf.FMulOp, x, e.const(-LOG2E)))
    t = f(pf.RcpOp, f(pf.FAddOp, t, e.const(1.0)))
    return e.v(pf.FMulOp(x, t, dest=dest))


# -------------------------------------------------------------------------- patterns


def _materialize(op: Operation, rewriter: PatternRewriter) -> None:
    """Replace fragment op `op` by its elements computed into a range (module docstring)."""
    ty = op.results[0].type
    assert isinstance(ty, AccumulatorType)
    e = _Emitter(rewriter, op)
    target = in_place_operand(op) if isinstance(op, ELEMENTWISE) else None
    current = e.range_of(target) if target is not None else e.v(pf.AccFreshOp(ty.registers_per_thread))
    for i in range(ty.registers_per_thread):
        if target is not None:
            e.chain[target] = current
        if isinstance(op, ELEMENTWISE):
            current = compute(e, op, i, (current, i))
        else:
            current = e.v(pf.FMovOp(element(e, op.results[0], i), dest=(current, i)))
    back = UnrealizedConversionCastOp.get([current], [ty])
    back.location = op.location
    rewriter.replace(op, back, [back.results[0]])


def _row_values(op: Operation, rewriter: PatternRewriter) -> None:
    """Replace elementwise `op` on row vectors by its two rows' values (registers 0 and 2 of
    a fragment are in the thread's first and second row)."""
    e = _Emitter(rewriter, op)
    cast = UnrealizedConversionCastOp.get([compute(e, op, i, None) for i in (0, 2)], [op.results[0].type])
    cast.location = op.location
    rewriter.replace(op, cast, [cast.results[0]])


class LowerElementwise(RewritePattern):
    """frag_binary / frag_unary with a range (module docstring), or with a row vector result
    (two registers); virtual ones stay for their user, which computes them per element."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, ELEMENTWISE):
            return
        if isinstance(op.results[0].type, RowVectorType):
            _row_values(op, rewriter)
        elif not is_virtual(op.results[0]):
            _materialize(op, rewriter)


class LowerLeaf(RewritePattern):
    """frag_splat / frag_load_vector / frag_load_tile / frag_iota read by an op that is not a
    fragment op (a store): its elements moved into a fresh range.  A row vector splat read
    by such an op (a loop's starting value): its two rows' values, the scalar twice."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, LEAVES) or not op.results[0].uses or is_virtual(op.results[0]):
            return
        if isinstance(op.results[0].type, RowVectorType):
            e = _Emitter(rewriter, op)
            scalar = element(e, op.results[0], 0)[0]
            cast = UnrealizedConversionCastOp.get([scalar, scalar], [op.results[0].type])
            cast.location = op.location
            rewriter.replace(op, cast, [cast.results[0]])
            return
        _materialize(op, rewriter)


class LowerPackA(RewritePattern):
    """frag_pack_a: four cvt.rn.bf16x2.f32 (f16x2) of the accumulator's element pairs
    (dialects/fragment_pack.py), standing for the fragment through a cast as an ldmatrix's
    registers do."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: FragPackAOp, rewriter: PatternRewriter) -> None:
        e = _Emitter(rewriter, op)
        chunk = op.chunk.value.data
        half = op.result.type.dtype.data  # type: ignore[union-attr]
        source = e.range_of(op.x)  # a pack is no elementwise reader: its operand has a range
        regs = [e.v(ptx.CvtPackHalf2Op(half, source, packed_elements(chunk, r)[0])) for r in range(4)]
        cast = UnrealizedConversionCastOp.get(regs, [op.result.type])
        cast.location = op.location
        rewriter.replace(op, cast, [cast.results[0]])


class LowerReduce(RewritePattern):
    """frag_reduce: per thread over its elements of each of its two rows, then across the
    quad by two butterfly shuffles; the row vector is a cast of the two totals."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, FragReduceOp):
            return
        ty = op.x.type
        assert isinstance(ty, AccumulatorType)
        e = _Emitter(rewriter, op)
        combine = pf.FMaxOp if op.kind.data == "max" else pf.FAddOp
        totals = []
        for half in range(2):
            items = [element(e, op.x, i) for i in range(ty.registers_per_thread) if (i // 2) % 2 == half]
            total = e.v(combine(items[0], items[1]))
            for item in items[2:]:
                total = e.v(combine((total, None), item))
            for mask in (1, 2):  # the 4 lanes of a quad share the row
                total = e.v(combine((total, None), (e.v(pf.ShflBflyF32Op(total, mask)), None)))
            totals.append(total)
        cast = UnrealizedConversionCastOp.get(totals, [op.result.type])
        cast.location = op.location
        rewriter.replace(op, cast, [cast.results[0]])


class LowerLoadScalar(RewritePattern):
    """wgmma.load_scalar -> one ld.global.f32 (unguarded: the scale exists) from the
    pointer at the op's byte offset, standing for the f32 through a cast."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: LoadScalarOp, rewriter: PatternRewriter) -> None:
        e = _Emitter(rewriter, op)
        value = e.v(ptx.LdGlobalF32Op(e.scalar(op.ptr, B64()), op.offset.value.data, None))
        back = UnrealizedConversionCastOp.get([value], [op.result.type])
        back.location = op.location
        rewriter.replace(op, back, [back.results[0]])


class LowerF32Constant(RewritePattern):
    """arith.constant of f32 (alpha, beta, GELU's constants) -> ptx.fconst."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if isinstance(op, arith.ConstantOp) and isinstance(op.result.type, Float32Type):
            value = op.value
            assert isinstance(value, FloatAttr)
            const = pf.FConstOp(float(value.value.data))
            back = UnrealizedConversionCastOp.get([const.result], [op.result.type])
            const.location = back.location = op.location
            rewriter.replace(op, [const, back], [back.results[0]])


def _erase_dead(module: ModuleOp) -> None:
    """Erase virtual fragment ops and casts that no lowered op reads any more."""
    changed = True
    while changed:
        changed = False
        for op in reversed(list(module.walk())):
            if isinstance(op, (*FRAGMENT_OPS, UnrealizedConversionCastOp, pf.FConstOp)) \
                    and not any(r.uses for r in op.results):
                Rewriter.erase_op(op)
                changed = True


@dataclass(frozen=True)
class LowerFragmentsPass(ModulePass):
    """Lower wgmma fragment ops to ptx instructions per register (module docstring)."""

    name = "lower-fragments"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        expect_level(op, "lower-fragments", "synced")
        for store in op.walk():
            if isinstance(store, StoreAccumulatorOp) and store.atomic and isinstance(store.acc.owner, FRAGMENT_OPS):
                raise DiagnosticException(
                    f"lower-fragments: the store at {store.location} adds split-K partial sums into C, and an "
                    "epilogue on a partial sum is not the epilogue of the sum: use split_k = 1 with an epilogue")
        for loop in [o for o in op.walk() if isinstance(o, KLoopOp)]:
            carry_as_scalars(loop)
        patterns = [LowerF32Constant(), LowerLoadScalar(), LowerReduce(), LowerElementwise(), LowerLeaf(), LowerPackA()]
        PatternRewriteWalker(GreedyRewritePatternApplier(patterns), apply_recursively=False).rewrite_module(op)
        fold_split_casts(op)
        _erase_dead(op)
        left = next((o for o in op.walk() if isinstance(o, FRAGMENT_OPS)), None)
        if left is not None:
            raise DiagnosticException(f"lower-fragments: {left.name} at {left.location} was not lowered")


# -------------------------------------------------------------------------- lower-to-ptx's hook


def pass_through(values: dict[SSAValue, SSAValue], emit, op: Operation) -> bool:
    """For lower-to-ptx: carry a ptx op over with its operands' lowerings (recording its
    results in `values`), or map a cast's result to its operand's lowering.  False if `op`
    is neither."""
    if isinstance(op, UnrealizedConversionCastOp):
        if len(op.inputs) != 1 or len(op.outputs) != 1:
            raise DiagnosticException(f"lower-to-ptx: a {len(op.inputs)} to {len(op.outputs)} cast at "
                                      f"{op.location} is still read: run lower-fragments first")
        if op.inputs[0] not in values:
            raise DiagnosticException(f"lower-to-ptx: the cast at {op.location} reads a value with no lowering")
        values[op.outputs[0]] = values[op.inputs[0]]
        return True
    if isinstance(op, FRAGMENT_OPS):
        raise DiagnosticException(f"lower-to-ptx: {op.name} at {op.location} is a fragment op: "
                                  "run lower-fragments before lower-to-ptx")
    if op.dialect_name() != "ptx":
        return False
    new = emit(op.clone(value_mapper=values))
    for old, result in zip(op.results, new.results):
        values[old] = result
    return True
