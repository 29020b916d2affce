"""Test-only: fused epilogues put into a scheduled GEMM by hand, without the tile front end.

`with_epilogue(module, name)` takes the IR after `schedule` (or `schedule,insert-syncs`) and
puts the fragment ops of epilogue `name` before every store_accumulator (after the final
wait_group, which insert-syncs puts before the first reader of the accumulators)
(bias and C tiles are read through the kernel's C pointer: what matters here is the code,
not the values).  `EPILOGUES` names each one.
"""

from __future__ import annotations

from collections.abc import Callable

from xdsl.dialects import arith
from xdsl.dialects.builtin import FloatAttr, IntegerAttr, ModuleOp, f32, i32
from xdsl.ir import Operation, SSAValue
from xdsl.rewriter import InsertPoint, Rewriter

from exo_gpu.dialects.fragment import (
    FragBinaryOp,
    FragIotaOp,
    FragLoadTileOp,
    FragLoadVectorOp,
    FragReduceOp,
    FragSelectOp,
    FragSplatOp,
    FragUnaryOp,
    TileOriginOp,
)
from exo_gpu.dialects.wgmma import StoreAccumulatorOp


class _Epilogue:
    """Builds fragment ops before one store_accumulator."""

    def __init__(self, store: StoreAccumulatorOp):
        self.store = store
        self.acc = store.acc
        self.ty = store.acc.type

    def add(self, op: Operation) -> Operation:
        Rewriter.insert_op(op, InsertPoint.before(self.store))
        return op

    def const(self, value: float) -> SSAValue:
        return self.add(arith.ConstantOp(FloatAttr(value, f32))).results[0]

    def splat(self, value: float) -> SSAValue:
        return self.add(FragSplatOp(self.const(value), self.ty)).results[0]

    def origin(self) -> TileOriginOp:
        return self.add(TileOriginOp(self.store.row_offset.value.data))  # type: ignore[return-value]

    def binary(self, kind: str, x: SSAValue, y: SSAValue) -> SSAValue:
        return self.add(FragBinaryOp(kind, x, y)).results[0]

    def unary(self, kind: str, x: SSAValue) -> SSAValue:
        return self.add(FragUnaryOp(kind, x)).results[0]

    def vector(self, along: str, dtype: str = "f32") -> SSAValue:
        o = self.origin()
        base, n = (o.col, self.store.n) if along == "col" else (o.row, self.store.m)
        return self.add(FragLoadVectorOp(self.store.c, base, n, self.ty, along, dtype)).results[0]

    def tile(self, dtype: str = "f32") -> SSAValue:
        o = self.origin()
        s = self.store
        return self.add(FragLoadTileOp(s.c, o.row, o.col, s.n, s.m, s.n, self.ty, dtype)).results[0]


def _alpha_beta(e: _Epilogue, dtype: str) -> SSAValue:
    scaled = e.binary("mul", e.acc, e.splat(1.5))
    return e.binary("add", scaled, e.binary("mul", e.tile(dtype), e.splat(0.5)))


def _softmax_numerator(e: _Epilogue) -> SSAValue:
    """exp2(x - rowmax(x)) / rowsum(...): reductions and row-vector broadcasts."""
    shifted = e.binary("sub", e.acc, e.add(FragReduceOp("max", e.acc)).results[0])
    p = e.unary("exp2", shifted)
    return e.binary("div", p, e.add(FragReduceOp("sum", p)).results[0])


def _chain(e: _Epilogue) -> SSAValue:
    """Every binary kind with a splat, then every unary kind."""
    x = e.acc
    for kind, value in (("add", 1.0), ("sub", 2.0), ("mul", 3.0), ("div", 4.0), ("max", -5.0)):
        x = e.binary(kind, x, e.splat(value))
    for kind in ("neg", "exp2", "tanh", "relu", "gelu", "silu"):
        x = e.unary(kind, x)
    return x


def _gelu_composed(e: _Epilogue) -> SSAValue:
    """GELU as a tile program spells it: muls, adds and a tanh on splat constants."""
    x = e.acc
    cube = e.binary("mul", e.binary("mul", x, x), x)
    inner = e.binary("add", x, e.binary("mul", e.splat(0.044715), cube))
    t = e.unary("tanh", e.binary("mul", e.splat(0.7978845608), inner))
    return e.binary("mul", e.binary("mul", e.splat(0.5), x), e.binary("add", e.splat(1.0), t))


def _row_vectors(e: _Epilogue) -> SSAValue:
    """Ops on row vectors: x * max(tanh(rowmax(x) - rowsum(x) / rowmax(8)), rowmax(x))."""
    m = e.add(FragReduceOp("max", e.acc)).results[0]
    s = e.add(FragReduceOp("sum", e.acc)).results[0]
    eight = e.add(FragReduceOp("max", e.splat(8.0))).results[0]  # a reduction of a splat: no range
    scale = e.unary("tanh", e.binary("sub", m, e.binary("div", s, eight)))
    return e.binary("mul", e.acc, e.binary("max", scale, m))


def _reduce_then_scale(e: _Epilogue) -> SSAValue:
    """x / rowmax(exp2(x)): the exp2 is computed inside the reduction, and x is then free to
    be overwritten by the division."""
    return e.binary("div", e.acc, e.add(FragReduceOp("max", e.unary("exp2", e.acc))).results[0])


def _masked_softmax(e: _Epilogue) -> SSAValue:
    """Causal and edge masks before a row softmax: -inf where the column is past the row
    (indices within the tile) or past N (global), then exp2(x - rowmax) / rowsum."""
    o = e.origin()
    zero = e.add(arith.ConstantOp(IntegerAttr(0, i32))).results[0]
    rows = e.add(FragIotaOp(zero, e.ty, 0)).results[0]
    local_cols = e.add(FragIotaOp(zero, e.ty, 1)).results[0]
    cols = e.add(FragIotaOp(o.col, e.ty, 1)).results[0]
    ninf = e.splat(float("-inf"))
    causal = e.add(FragSelectOp("le", local_cols, rows, e.acc, ninf, e.ty)).results[0]
    n = e.add(FragSplatOp(e.store.n, e.ty)).results[0]  # N, an i32 size, as f32
    masked = e.add(FragSelectOp("lt", cols, n, causal, ninf, e.ty)).results[0]
    return _softmax_of(e, masked)


def _softmax_of(e: _Epilogue, x: SSAValue) -> SSAValue:
    p = e.unary("exp2", e.binary("sub", x, e.add(FragReduceOp("max", x)).results[0]))
    return e.binary("div", p, e.add(FragReduceOp("sum", p)).results[0])


EPILOGUES: dict[str, Callable[[_Epilogue], SSAValue]] = {
    "relu": lambda e: e.unary("relu", e.acc),
    "gelu": lambda e: e.unary("gelu", e.acc),
    "silu": lambda e: e.unary("silu", e.acc),
    "bias_col": lambda e: e.binary("add", e.acc, e.vector("col")),
    "bias_row": lambda e: e.binary("add", e.vector("row"), e.acc),
    "bias_col_bf16_gelu": lambda e: e.unary("gelu", e.binary("add", e.acc, e.vector("col", "bf16"))),
    "alpha_beta": lambda e: _alpha_beta(e, "f32"),
    "alpha_beta_bf16": lambda e: _alpha_beta(e, "bf16"),
    "alpha_beta_f16": lambda e: _alpha_beta(e, "f16"),
    "softmax": _softmax_numerator,
    "chain": _chain,
    "gelu_composed": _gelu_composed,
    "row_vectors": _row_vectors,
    "reduce_then_scale": _reduce_then_scale,
    "masked_softmax": _masked_softmax,
}


def with_epilogue(module: ModuleOp, name: str) -> ModuleOp:
    """`module` (after schedule) with epilogue `name` before every store."""
    for store in [op for op in module.walk() if isinstance(op, StoreAccumulatorOp)]:
        e = _Epilogue(store)
        store.operands = [EPILOGUES[name](e), *store.operands[1:]]
    module.verify()
    return module
