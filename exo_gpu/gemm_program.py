"""The GEMM tile program that `exo_gpu.gemm(...)` builds (TILE_SPEC's "GEMM as a tile program").

    tile.kernel @name(%a: A, %b: B, %c: C) grid(%c tiles BMxBN) schedule #tile.schedule<...> {
      %i, %j = tile.program_id
      %acc = scf.for %kk = 0 to ceildiv(dim(%a, 1), BK) iter_args(%acc0 = 0.0) {
        %r = tile.mma (tile.load %a[%i, %kk]), (tile.load %b[%kk, %j]), %acc0
      }
      [C += : %v = tile.add %acc, (tile.load %c[%i, %j])]
      [scaled: %v = (splat(tile.load_scalar %scale_a[0]) * splat(tile.load_scalar %scale_b[0])) * %v]
      [%v = tile.cast %v to C's type]
      tile.store %v, %c[%i, %j]
    }

The options map onto the program: the input type onto A's and B's element types (tf32: f32
tensors and `precision = "tf32"`), layout_a/layout_b onto their contiguous dimensions (row A
and col B are K-major), c_dtype onto C's element type, accumulate_c onto the C += epilogue,
scaled onto two more arguments, one-element f32 tensors %scale_a and %scale_b read in the
epilogue (torch._scaled_mm's per-tensor scales, kept in device memory), accumulator onto the
accumulator tile's type; the rest goes to `#tile.schedule`.
"""

from __future__ import annotations

from xdsl.dialects import arith, scf
from xdsl.dialects.builtin import IndexType, IntegerAttr
from xdsl.ir import Block, Region

from exo_gpu.dialects import tile
from exo_gpu.dialects.tile import Schedule, TensorType, TileType


def _index(value: int) -> arith.ConstantOp:
    return arith.ConstantOp(IntegerAttr(value, IndexType()))


def gemm_program(name: str, dtype: str, block_m: int, block_n: int, block_k: int, schedule: Schedule, *,
                 layout_a: str = "row", layout_b: str = "col", c_dtype: str = "f32",
                 accumulate_c: bool = False, accumulator: str = "f32", scaled: bool = False) -> tile.KernelOp:
    """The tile.kernel of one GEMM configuration (see the module docstring)."""
    element = "f32" if dtype == "tf32" else dtype
    a_type = TensorType(element, 2, 1 if layout_a == "row" else 0)
    b_type = TensorType(element, 2, 0 if layout_b == "col" else 1)
    c_type = TensorType(c_dtype, 2)
    types, names = [a_type, b_type, c_type], ["a", "b", "c"]
    if scaled:
        types, names = types + [TensorType("f32", 1)] * 2, names + ["scale_a", "scale_b"]
    kernel = tile.KernelOp(name, types, 2, [block_m, block_n], schedule, names)
    a, b, c = kernel.args[:3]
    acc_type = TileType([block_m, block_n], accumulator)
    pid = tile.ProgramIdOp(2)
    i, j = pid.ids
    k = tile.DimOp(a, 1)
    c_bk, c0, c1 = _index(block_k), _index(0), _index(1)
    nk = arith.CeilDivUIOp(k.result, c_bk.result)
    zero = tile.ConstantOp(0.0, acc_type)
    body = Block(arg_types=[IndexType(), acc_type])
    kk, acc0 = body.args
    x = tile.LoadOp(a, [i, kk], TileType([block_m, block_k], element))
    y = tile.LoadOp(b, [kk, j], TileType([block_k, block_n], element))
    mma = tile.MmaOp(x.result, y.result, acc0, "tf32" if dtype == "tf32" else None)
    body.add_ops([x, y, mma, scf.YieldOp(mma.result)])
    loop = scf.ForOp(c0.result, nk.result, c1.result, [zero.result], Region(body))
    ops = [pid, k, c_bk, c0, c1, nk, zero, loop]
    value = loop.res[0]
    if accumulate_c:
        old = tile.LoadOp(c, [i, j], TileType([block_m, block_n], c_dtype))
        ops.append(old)
        addend = old.result
        if c_dtype != accumulator:  # widen a bf16/f16 C to the accumulator's type
            widen = tile.CastOp(addend, acc_type)
            ops.append(widen)
            addend = widen.result
        add = tile.AddOp(value, addend)
        ops.append(add)
        value = add.result
    if scaled:
        value = _scale(ops, kernel.args[3], kernel.args[4], c0.result, acc_type, value)
    if c_dtype != accumulator:
        cast = tile.CastOp(value, TileType([block_m, block_n], c_dtype))
        ops.append(cast)
        value = cast.result
    ops += [tile.StoreOp(value, c, [i, j]), tile.ReturnOp()]
    kernel.body.block.add_ops(ops)
    for v, hint in ((i, "i"), (j, "j"), (k.result, "k"), (nk.result, "nk"), (zero.result, "zero"), (kk, "kk"),
                    (acc0, "acc0"), (c_bk.result, f"c{block_k}"), (c0.result, "c0"),
                    (c1.result, "c1"), (x.result, "x"), (y.result, "y"), (mma.result, "r"), (loop.res[0], "acc")):
        v.name_hint = hint
    return kernel


def _scale(ops: list, scale_a, scale_b, c0, acc_type: TileType, value):
    """Append (splat(scale_a[0]) * splat(scale_b[0])) * value to `ops`; the result."""
    sa, sb = tile.LoadScalarOp(scale_a, [c0]), tile.LoadScalarOp(scale_b, [c0])
    ta, tb = tile.SplatOp(sa.result, acc_type), tile.SplatOp(sb.result, acc_type)
    scale = tile.MulOp(ta.result, tb.result)
    scaled = tile.MulOp(scale.results[0], value)
    ops += [sa, sb, ta, tb, scale, scaled]
    for v, hint in ((sa.result, "sa"), (sb.result, "sb"), (scale.results[0], "scale"), (scaled.results[0], "v")):
        v.name_hint = hint
    return scaled.results[0]
