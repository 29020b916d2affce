"""Values of a kernel being built, and the tile operations on them.

Each Python object wraps one SSA value of the tile IR under construction: `Tile` (a
`!tile.tile`, with arithmetic operators), `Index` (an `index`, with +, -, *, //), `Scalar` (an
f32/i32 kernel argument) and `Tensor` (a `!tile.tensor` argument).  Every operation appends
one op at the builder's insertion point and verifies it at once: an illegal shape or type
raises `KernelError` naming the user's file:line.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from xdsl.dialects import arith
from xdsl.dialects.builtin import FileLineColLoc, IndexType, IntAttr, IntegerAttr, StringAttr
from xdsl.ir import Operation, SSAValue
from xdsl.utils.exceptions import VerifyException

from exo_gpu.dialects import tile
from exo_gpu.dialects.tile.types import TensorType, TileType, element_name, element_type, is_float
from exo_gpu.errors import ExoGpuError

_HERE = os.path.dirname(os.path.abspath(__file__))


class KernelError(ExoGpuError):
    """An illegal tile program written in Python: the message starts with the user's file:line."""


def user_location() -> tuple[str, int]:
    """The innermost stack frame outside exo_gpu.lang: where the user's code is."""
    frame = sys._getframe(1)
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _HERE:
        frame = frame.f_back
    if frame is None:
        return "<unknown>", 0
    return frame.f_code.co_filename, frame.f_lineno


def fail(message: str) -> KernelError:
    file, line = user_location()
    return KernelError(f"{file}:{line}: {message}")


class Builder:
    """The insertion point stack of the kernel being built (one at a time, module-global)."""

    current: Builder | None = None

    def __init__(self) -> None:
        self.blocks: list = []
        self.ends: list[Operation] = []  # per block: its terminator; new ops go before it
        self.constants: list[dict] = []  # per block: index constant value -> SSA value

    @staticmethod
    def get() -> Builder:
        if Builder.current is None:
            raise fail("tile operations are only available inside a function decorated with @tl.kernel")
        return Builder.current

    def push(self, block, end: Operation) -> None:
        """Build into `block`, before its terminator `end` (a placeholder until the block is done)."""
        block.add_op(end)
        self.blocks.append(block)
        self.ends.append(end)
        self.constants.append({})

    def pop(self) -> Operation:
        """Stop building into the innermost block; its terminator is returned."""
        self.blocks.pop()
        self.constants.pop()
        return self.ends.pop()

    def insert(self, op: Operation) -> None:
        self.blocks[-1].insert_op_before(op, self.ends[-1])

    def add(self, op: Operation) -> Operation:
        """Append `op` to the current block, locate it at the user's line and verify it."""
        file, line = user_location()
        op.location = FileLineColLoc(StringAttr(file), IntAttr(line), IntAttr(1))
        self.insert(op)
        try:
            op.verify(verify_nested_ops=False)
        except VerifyException as e:
            raise KernelError(f"{file}:{line}: {str(e).strip().splitlines()[0]}") from None
        return op

    def index_constant(self, value: int) -> SSAValue:
        """An `arith.constant value : index`, reused from this block or an enclosing one."""
        for cache in reversed(self.constants):
            if value in cache:
                return cache[value]
        self.constants[-1][value] = self.add(arith.ConstantOp(IntegerAttr(value, IndexType()))).results[0]
        return self.constants[-1][value]


def _add(op: Operation) -> Operation:
    return Builder.get().add(op)


class Value:
    """A wrapper of one SSA value of the kernel being built."""

    def __init__(self, value: SSAValue):
        self.value = value

    @property
    def type(self):
        return self.value.type


class Index(Value):
    """An `index` value (program ids, tensor sizes, loop counters) with + - * // and cdiv."""

    def _binary(self, other, op_class, reverse=False) -> Index:
        a, b = self.value, to_index(other)
        if reverse:
            a, b = b, a
        return Index(_add(op_class(a, b)).results[0])

    def __add__(self, other):
        return self._binary(other, arith.AddiOp)

    def __radd__(self, other):
        return self._binary(other, arith.AddiOp, True)

    def __sub__(self, other):
        return self._binary(other, arith.SubiOp)

    def __rsub__(self, other):
        return self._binary(other, arith.SubiOp, True)

    def __mul__(self, other):
        return self._binary(other, arith.MuliOp)

    def __rmul__(self, other):
        return self._binary(other, arith.MuliOp, True)

    def __floordiv__(self, other):
        return self._binary(other, arith.DivUIOp)


def to_index(v) -> SSAValue:
    if isinstance(v, Index):
        return v.value
    if isinstance(v, int) and not isinstance(v, bool):
        return Builder.get().index_constant(v)
    raise fail(f"expected an index (a program id, a size, a loop counter or an int), got {v!r}")


def cdiv(a, b) -> Index:
    """ceil(a / b) of two indices (`arith.ceildivui`)."""
    return Index(_add(arith.CeilDivUIOp(to_index(a), to_index(b))).results[0])


class _TileArithmetic:
    """`+ - * /` that build elementwise tile ops (numbers and scalars are splat to the tile's
    shape); shared by Scalar and Tile."""

    def __add__(self, other):
        return _tile_binary(self, other, tile.AddOp)

    def __radd__(self, other):
        return _tile_binary(other, self, tile.AddOp)

    def __sub__(self, other):
        return _tile_binary(self, other, tile.SubOp)

    def __rsub__(self, other):
        return _tile_binary(other, self, tile.SubOp)

    def __mul__(self, other):
        return _tile_binary(self, other, tile.MulOp)

    def __rmul__(self, other):
        return _tile_binary(other, self, tile.MulOp)

    def __truediv__(self, other):
        return _tile_binary(self, other, tile.DivOp)

    def __rtruediv__(self, other):
        return _tile_binary(other, self, tile.DivOp)


class Scalar(_TileArithmetic, Value):
    """An f32 or i32 scalar kernel argument; in tile arithmetic it is splat to the tile's shape."""

    def _tile_like(self, t: Tile) -> Tile:
        return splat(self, t.shape, element_name(t.element) or "f32")


class Tile(_TileArithmetic, Value):
    """A `!tile.tile` value: `+ - * /` (with tiles, numbers or scalars), unary `-`,
    `< <= > >=` (i1 tiles), `.to(dtype)`, `.exp2()`, `.tanh()`, `.max(dim)`, `.sum(dim)`."""

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.type.shape

    @property
    def element(self):
        return self.value.type.element

    @property
    def dtype(self) -> str:
        return element_name(self.element) or str(self.element)

    def __neg__(self):
        return Tile(_add(tile.NegOp(self.value)).results[0])

    def __lt__(self, other):
        return compare("lt", self, other)

    def __le__(self, other):
        return compare("le", self, other)

    def __gt__(self, other):
        return compare("gt", self, other)

    def __ge__(self, other):
        return compare("ge", self, other)

    def __bool__(self):
        raise fail("a tile has no truth value while the kernel is built: use tl.where(mask, x, y)")

    def to(self, dtype: str) -> Tile:
        return cast(self, dtype)

    def exp2(self) -> Tile:
        return exp2(self)

    def log2(self) -> Tile:
        return log2(self)

    def tanh(self) -> Tile:
        return tanh(self)

    def max(self, dim: int) -> Tile:
        return reduce("max", self, dim)

    def sum(self, dim: int) -> Tile:
        return reduce("sum", self, dim)


def _as_tile(v, like: Tile) -> Tile:
    """A number or scalar as a tile of `like`'s shape and type; a tile as is."""
    if isinstance(v, Tile):
        return v
    if isinstance(v, Scalar):
        return v._tile_like(like)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return full(like.shape, v, like.dtype)
    raise fail(f"cannot use {v!r} in tile arithmetic: use a tile, a number or a scalar argument")


def _tile_binary(a, b, op_class) -> Tile:
    like = a if isinstance(a, Tile) else b
    if not isinstance(like, Tile):
        raise fail("tile arithmetic needs at least one tile operand")
    x = _as_tile(a, like)
    y = _as_tile(b, like)
    return Tile(_add(op_class(x.value, y.value)).results[0])


def _dtype(dtype) -> str:
    name = dtype if isinstance(dtype, str) else element_name(dtype)
    try:
        element_type(name)
    except (ValueError, TypeError):
        raise fail(f"unknown element type {dtype!r}: use one of f32, f16, bf16, e4m3, e5m2, i32, i1") from None
    return name


def tile_type(shape: Sequence[int], dtype) -> TileType:
    """`!tile.tile<shape x dtype>`, or KernelError at the user's line if illegal."""
    if isinstance(shape, int):
        shape = (shape,)
    try:
        return TileType(tuple(shape), _dtype(dtype) if isinstance(dtype, str) else dtype)
    except VerifyException as e:
        raise fail(str(e)) from None


def full(shape: Sequence[int], value: float | int, dtype: str = "f32") -> Tile:
    """A tile of `shape` with every element `value` (`tile.constant`)."""
    t = tile_type(shape, dtype)
    try:
        op = tile.ConstantOp(value, t)
    except ValueError as e:
        raise fail(str(e)) from None
    return Tile(_add(op).results[0])


def zeros(shape: Sequence[int], dtype: str = "f32") -> Tile:
    """A tile of zeros (the usual accumulator start)."""
    return full(shape, 0.0 if is_float(element_type(_dtype(dtype))) else 0, dtype)


def splat(scalar: Scalar | Index, shape: Sequence[int], dtype: str | None = None) -> Tile:
    """A tile of one scalar: f32 scalars give f32 tiles, index and i32 scalars i32 tiles."""
    if not isinstance(scalar, (Scalar, Index)):
        raise fail(f"tl.splat takes a scalar kernel argument or an index, got {scalar!r}: use tl.full for numbers")
    want = "f32" if str(scalar.type) == "f32" else "i32"
    t = Tile(_add(tile.SplatOp(scalar.value, tile_type(shape, want))).results[0])
    return t if dtype is None or _dtype(dtype) == want else cast(t, dtype)


def iota(shape: Sequence[int], dim: int) -> Tile:
    """An i32 tile whose elements are their index along `dim`."""
    return Tile(_add(tile.IotaOp(dim, tile_type(shape, "i32"))).results[0])


def cast(x: Tile, dtype: str) -> Tile:
    """`x` converted to `dtype` (round to nearest even), same shape."""
    return Tile(_add(tile.CastOp(_tile(x).value, tile_type(x.shape, dtype))).results[0])


def _tile(x) -> Tile:
    if not isinstance(x, Tile):
        raise fail(f"expected a tile, got {x!r}")
    return x


def exp2(x: Tile) -> Tile:
    """2 ** x, element-wise."""
    return Tile(_add(tile.Exp2Op(_tile(x).value)).results[0])


def log2(x: Tile) -> Tile:
    """Element-wise log2(x) (tile.log2)."""
    return Tile(_add(tile.Log2Op(_tile(x).value)).results[0])


def tanh(x: Tile) -> Tile:
    """tanh(x), element-wise."""
    return Tile(_add(tile.TanhOp(_tile(x).value)).results[0])


def maximum(x, y) -> Tile:
    """The element-wise maximum of two tiles (or a tile and a number): relu(x) = maximum(x, 0.0)."""
    return _tile_binary(x, y, tile.MaxOp)


def compare(predicate: str, x, y) -> Tile:
    """An i1 tile: x `predicate` y element-wise (lt, le, gt, ge, eq, ne)."""
    like = x if isinstance(x, Tile) else y
    a, b = _as_tile(x, _tile(like)), _as_tile(y, like)
    return Tile(_add(tile.CmpOp(predicate, a.value, b.value)).results[0])


def where(mask: Tile, x, y) -> Tile:
    """x where `mask` (an i1 tile) is true, else y."""
    like = x if isinstance(x, Tile) else y
    a, b = _as_tile(x, _tile(like)), _as_tile(y, like)
    return Tile(_add(tile.SelectOp(_tile(mask).value, a.value, b.value)).results[0])


def broadcast(x: Tile, shape: Sequence[int], dims: Sequence[int]) -> Tile:
    """`x` repeated to `shape`: input dim k becomes output dim dims[k]."""
    t = tile_type(shape, _tile(x).element)
    return Tile(_add(tile.BroadcastOp(x.value, list(dims), t)).results[0])


def reduce(kind: str, x: Tile, dim: int) -> Tile:
    """The "max" or "sum" of `x` along `dim` (which the result drops)."""
    if not 0 <= dim < _tile(x).value.type.rank:
        raise fail(f"tile.reduce dim = {dim} is not a dimension of a rank-{x.value.type.rank} tile")
    return Tile(_add(tile.ReduceOp(kind, x.value, dim)).results[0])


def mma(x: Tile, y: Tile, acc: Tile) -> Tile:
    """x @ y + acc (`tile.mma`); f32 inputs are multiplied as tf32."""
    precision = "tf32" if _tile(x).dtype == "f32" else None
    return Tile(_add(tile.MmaOp(x.value, _tile(y).value, _tile(acc).value, precision)).results[0])


class Tensor(Value):
    """A `!tile.tensor` kernel argument.  As an annotation: `Tensor[rank, dtype]` or
    `Tensor[rank, dtype, contiguous_dim]`."""

    def __class_getitem__(cls, params) -> TensorType:
        params = params if isinstance(params, tuple) else (params,)
        if not 2 <= len(params) <= 3 or not isinstance(params[0], int):
            raise fail("write a tensor argument's type as tl.Tensor[rank, dtype] or tl.Tensor[rank, dtype, contiguous]")
        try:
            return TensorType(_dtype(params[1]), params[0], params[2] if len(params) == 3 else None)
        except VerifyException as e:
            raise fail(str(e)) from None

    @property
    def rank(self) -> int:
        return self.value.type.rank

    def dim(self, d: int) -> Index:
        """The run-time size of dimension d."""
        return Index(_add(tile.DimOp(self.value, d)).results[0])

    def load(self, indices, shape: Sequence[int]) -> Tile:
        """The tile of `shape` at `indices` (last len(shape) are tile coordinates); zero outside."""
        return load(self, indices, shape)

    def store(self, indices, value: Tile) -> None:
        store(self, indices, value)

    def load_scalar(self, indices=0) -> Scalar:
        """`tile.load_scalar`: the f32 element at `indices` (element indices), read from device
        memory; not masked (it must exist).  A per-tensor scale: `acc * scale.load_scalar(0)`."""
        return Scalar(_add(tile.LoadScalarOp(self.value, _indices(indices))).results[0])


def _indices(indices) -> list[SSAValue]:
    indices = indices if isinstance(indices, (tuple, list)) else (indices,)
    return [to_index(i) for i in indices]


def load(tensor: Tensor, indices, shape: Sequence[int]) -> Tile:
    """`tile.load`: the tile of `shape` at `indices` of `tensor`, zero outside it."""
    if not isinstance(tensor, Tensor):
        raise fail(f"tl.load reads a tensor argument, got {tensor!r}")
    t = tile_type(shape, tensor.value.type.element)
    return Tile(_add(tile.LoadOp(tensor.value, _indices(indices), t)).results[0])


def store(tensor: Tensor, indices, value: Tile) -> None:
    """`tile.store`: write `value` at `indices` of `tensor` (masked at its edges)."""
    if not isinstance(tensor, Tensor):
        raise fail(f"tl.store writes a tensor argument, got {tensor!r}")
    _add(tile.StoreOp(_tile(value).value, tensor.value, _indices(indices)))
