"""The epilogue of a GEMM tile program as wgmma fragment ops (part of `schedule`).

A tile program's epilogue works on the BM x BN accumulator tile; a consumer warpgroup holds
it as m64 accumulator tiles, each stored by one `wgmma.store_accumulator`.  `translate`
rewrites every epilogue op once per m64 tile, right before that tile's store, on the
fragments (TILE_SPEC, last section):

    tile.constant v              arith.constant v : f32, wgmma.frag_splat
    tile.splat %s (f32 arg)      wgmma.frag_splat of the kernel parameter
    tile.load_scalar %t[c]       wgmma.load_scalar of %t's pointer at byte offset 4c (a rank-1
                                 f32 tensor, constant index); tile.splat of it: frag_splat
    tile.add/sub/mul/div/max     wgmma.frag_binary
    tile.neg/exp2/tanh           wgmma.frag_unary
    tile.load %t[.., %i, %j]     wgmma.frag_load_tile at the tile's origin (row-major %t)
    tile.broadcast (tile.load %v[%j]) {dims = [1]}   wgmma.frag_load_vector along = "col"
    tile.broadcast (tile.load %v[%i]) {dims = [0]}   wgmma.frag_load_vector along = "row"
    tile.cast of a loaded tile to f32, or of the stored value to C's type: the load's
    widening, the store's rounding (store_accumulator's c_dtype)
    an elementwise function of one tile that equals ReLU, GELU (tanh form) or SiLU
                                 wgmma.frag_unary "relu" | "gelu" | "silu" (one op, computed
                                 per element in temporaries, no fresh accumulator range)

The functions are recognised by value, not by spelling: the cone of elementwise ops and
constants that computes a value from one tile x (its intermediate values read nowhere else)
is evaluated on sample points in float64 and compared with each function's formula.

Tensors and scalars that the epilogue reads become extra kernel parameters (after A, B,
C, M, N, K): a tensor's pointer (i64) and the sizes its loads mask with (i32), a scalar's
value (f32); each is appended to the kernel ABI.  A scale read by tile.load_scalar is
passed by its pointer only (the kernel reads it from device memory, once per m64 tile).
Anything else is a located error.
"""

from __future__ import annotations

import math

import numpy as np
from xdsl.dialects import arith
from xdsl.dialects.builtin import Float32Type, FloatAttr, f32, i32, i64
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.utils.exceptions import DiagnosticException

from exo_gpu.dialects import tile
from exo_gpu.dialects import warpgroup as wg
from exo_gpu.dialects.attrs import int_value as _int
from exo_gpu.dialects.fragment import (
    FragBinaryOp,
    FragLoadTileOp,
    FragLoadVectorOp,
    FragSplatOp,
    FragUnaryOp,
    LoadScalarOp,
    TileOriginOp,
)
from exo_gpu.dialects.tile.types import TensorType, TileType, element_name
from exo_gpu.dialects.wgmma import StoreAccumulatorOp
from exo_gpu.passes.gemm_plan import from_attr, to_attr
from exo_gpu.passes.tile_match import GemmMatch, where

BINARY = {tile.AddOp: "add", tile.SubOp: "sub", tile.MulOp: "mul", tile.DivOp: "div", tile.MaxOp: "max"}
UNARY = {tile.NegOp: "neg", tile.Exp2Op: "exp2", tile.Log2Op: "log2", tile.TanhOp: "tanh"}
SUPPORTED = ("supported epilogue ops: tile.constant, tile.splat of an f32 argument or of a tile.load_scalar, "
             "add/sub/mul/div/max, "
             "neg/exp2/tanh, tile.load of a row-major tile at the stored tile, tile.broadcast of a vector "
             "tile.load at the tile's row or column, tile.cast of a load or of the stored value")


def _error(op: Operation, what: str) -> DiagnosticException:
    return DiagnosticException(f"{where(op)}{what} ({SUPPORTED})")


class _Params:
    """The kernel's extra parameters, appended to its entry block on first use."""

    def __init__(self, kernel: wg.KernelOp, source: tile.KernelOp):
        self.kernel, self.source = kernel, source
        self.entry = kernel.body.block
        self.values: dict[tuple, SSAValue] = {}
        self.abi: list[dict] = []
        c_ptr, m, n = self.entry.args[2:5]
        self.c_arg = None  # the stored tensor's argument index (its pointer and sizes exist)
        self.known = {("pointer", None): c_ptr, ("m", None): m, ("n", None): n}

    def get(self, kind: str, arg: int, dim: int = 0) -> SSAValue:
        if arg == self.c_arg and kind in ("pointer", "dim"):
            rank = self.source.args[arg].type.rank  # type: ignore[union-attr]
            if kind == "pointer":
                return self.entry.args[2]
            if dim >= rank - 2:
                return self.entry.args[3 + dim - (rank - 2)]
        key = (kind, arg, dim)
        if key not in self.values:
            ty: Attribute = {"pointer": i64, "dim": i32, "scalar": f32}[kind]
            self.values[key] = self.entry.insert_arg(ty, len(self.entry.args))
            entry = {"kind": kind, "arg": arg}
            if kind == "dim":
                entry["dim"] = dim
            if kind == "scalar":
                entry["type"] = "f32"
            self.abi.append(entry)
        return self.values[key]


FUNCTIONS = {  # frag_unary kinds recognised in epilogues, by their float64 formulas
    "relu": lambda x: np.maximum(x, 0.0),
    "gelu": lambda x: 0.5 * x * (1 + np.tanh(0.7978845608 * (x + 0.044715 * x ** 3))),
    "silu": lambda x: x / (1 + np.exp2(-x * math.log2(math.e))),
}
SAMPLES = np.linspace(-6.0, 6.0, 241)
_EVAL = {tile.AddOp: np.add, tile.SubOp: np.subtract, tile.MulOp: np.multiply, tile.DivOp: np.divide,
         tile.MaxOp: np.maximum, tile.NegOp: np.negative, tile.Exp2Op: np.exp2, tile.TanhOp: np.tanh}


def _cone(root: Operation, ops: set[Operation], x: SSAValue) -> tuple[list[Operation], set[SSAValue]]:
    """The elementwise ops and constants of `ops` that `root` is computed from, stopping at
    `x`, and the values it reads from outside (leaves)."""
    cone: list[Operation] = []
    leaves: set[SSAValue] = set()
    stack = [root]
    while stack:
        op = stack.pop()
        if op in cone:
            continue
        cone.append(op)
        for v in op.operands:
            owner = v.owner
            if v is not x and isinstance(owner, Operation) and owner in ops \
                    and (type(owner) in _EVAL or isinstance(owner, tile.ConstantOp)):
                stack.append(owner)
            else:
                leaves.add(v)
    return cone, leaves


def _evaluate(root: Operation, x: SSAValue) -> np.ndarray:
    memo: dict[SSAValue, np.ndarray] = {x: SAMPLES}

    def value(v: SSAValue) -> np.ndarray:
        if v not in memo:
            op = v.owner
            if isinstance(op, tile.ConstantOp):
                memo[v] = np.full_like(SAMPLES, float(op.number))
            else:
                memo[v] = _EVAL[type(op)](*(value(o) for o in op.operands))  # type: ignore[index]
        return memo[v]

    with np.errstate(all="ignore"):
        return value(root.results[0])


def fused_functions(ops: list[Operation]) -> tuple[dict[Operation, tuple[str, SSAValue]], set[Operation]]:
    """{root op: (frag_unary kind, its input x)} for the cones of `ops` equal to a function of
    FUNCTIONS, and the ops those cones cover (see the module docstring)."""
    pool, roots, covered = set(ops), {}, set()
    inputs = [v for op in ops for v in op.operands if not isinstance(v.owner, Operation) or v.owner not in pool]
    inputs += [r for op in ops for r in op.results]
    for root in reversed(ops):
        if type(root) not in _EVAL or root in covered:
            continue
        for x in inputs:  # the earliest input that alone computes root: the largest cone
            if x is root.results[0]:
                break
            if (kind := _function_of(root, x, pool)) is not None:
                roots[root] = (kind, x)
                covered.update(_cone(root, pool, x)[0])
                break
    return roots, covered


def _function_of(root: Operation, x: SSAValue, pool: set[Operation]) -> str | None:
    """The FUNCTIONS kind that root computes from x alone, or None."""
    cone, leaves = _cone(root, pool, x)
    inner = {r for op in cone if op is not root for r in op.results}
    if leaves != {x} or any(u.operation not in cone for v in inner for u in v.uses):
        return None
    y = _evaluate(root, x)
    for kind, f in FUNCTIONS.items():
        if np.allclose(y, f(SAMPLES), rtol=1e-6, atol=1e-6):
            return kind
    return None


def translate(kernel: wg.KernelOp, found: GemmMatch, source: tile.KernelOp) -> None:
    """Rewrite `found.epilogue` before each store_accumulator of `kernel` (see the module docstring)."""
    stores = [op for op in kernel.walk() if isinstance(op, StoreAccumulatorOp)]
    params = _Params(kernel, source)
    params.c_arg = found.plan.arg_index[2]
    for store in stores:
        _Tile(params, source, found, store).run()
    abi = from_attr(kernel.attributes["abi"])
    abi["params"] += params.abi
    c = abi["args"][params.c_arg]
    if any(isinstance(op, tile.LoadOp) and op.tensor is source.args[params.c_arg] for op in found.epilogue):
        c["access"] = "readwrite"
    kernel.attributes["abi"] = to_attr(abi)


class _Tile:
    """The epilogue of one m64 accumulator tile, inserted before its store."""

    def __init__(self, params: _Params, source: tile.KernelOp, found: GemmMatch, store: StoreAccumulatorOp):
        self.params, self.source, self.found, self.store = params, source, found, store
        self.values: dict[SSAValue, SSAValue] = {found.loop.res[0]: store.acc}
        self.vectors: dict[SSAValue, tile.LoadOp] = {}
        self.origin: TileOriginOp | None = None
        self.acc_type = store.acc.type
        self.ids = list(found.store.indices)

    def add(self, op: Operation) -> Operation:
        op.location = self.current.location
        self.store.parent_block().insert_op_before(op, self.store)  # type: ignore[union-attr]
        return op

    def tile_origin(self) -> TileOriginOp:
        if self.origin is None:
            self.origin = self.add(TileOriginOp(_int(self.store.row_offset)))  # type: ignore[assignment]
        return self.origin  # type: ignore[return-value]

    def run(self) -> None:
        roots, covered = fused_functions(self.found.epilogue)
        for op in self.found.epilogue:
            self.current = op
            if op in roots:
                kind, x = roots[op]
                self.values[op.results[0]] = self.add(FragUnaryOp(kind, self.operand(x, op))).results[0]
            elif op not in covered:
                self.lower(op)
        stored = self.values.get(self.found.stored)
        if stored is None:
            raise _error(self.found.store, "the stored value is not computed from the accumulator")
        self.store.operands[0] = stored

    def arg(self, value: SSAValue, op: Operation) -> int:
        if value not in self.source.args:
            raise _error(op, "epilogue operands must be kernel arguments")
        return self.source.args.index(value)

    def lower(self, op: Operation) -> None:
        if isinstance(op, tile.ConstantOp):
            c = self.add(arith.ConstantOp(FloatAttr(float(op.number), f32)))
            self.values[op.result] = self.add(FragSplatOp(c.results[0], self.acc_type)).results[0]
        elif isinstance(op, tile.SplatOp):
            if not isinstance(op.scalar.type, Float32Type):
                raise _error(op, f"tile.splat of a {op.scalar.type} value is not supported: splat an f32 argument")
            value = self.values.get(op.scalar) or self.params.get("scalar", self.arg(op.scalar, op))
            self.values[op.result] = self.add(FragSplatOp(value, self.acc_type)).results[0]
        elif isinstance(op, tile.LoadScalarOp):
            self.load_scalar(op)
        elif type(op) in BINARY:
            lhs, rhs = (self.operand(v, op) for v in op.operands)
            self.values[op.results[0]] = self.add(FragBinaryOp(BINARY[type(op)], lhs, rhs)).results[0]
        elif type(op) in UNARY:
            self.values[op.results[0]] = self.add(FragUnaryOp(UNARY[type(op)], self.operand(op.operands[0], op))).results[0]
        elif isinstance(op, tile.LoadOp):
            self.load(op)
        elif isinstance(op, tile.BroadcastOp):
            self.broadcast(op)
        elif isinstance(op, tile.CastOp):
            self.cast(op)
        else:
            raise _error(op, f"'{op.name}' in a GEMM epilogue is not supported")

    def operand(self, value: SSAValue, op: Operation) -> SSAValue:
        if value not in self.values:
            raise _error(op, "an epilogue operand is not an accumulator-shaped tile computed here")
        return self.values[value]

    def load(self, op: tile.LoadOp) -> None:
        t = op.tensor.type
        assert isinstance(t, TensorType)
        result = op.result.type
        assert isinstance(result, TileType)
        dtype = element_name(t.element)
        if dtype not in ("f32", "bf16", "f16"):
            raise _error(op, f"an epilogue load of {dtype} is not supported: load f32, bf16 or f16")
        if result.rank == 1:
            if t.rank != 1:
                raise _error(op, "an epilogue vector load must read a rank-1 tensor")
            self.vectors[op.result] = op
            return
        if list(op.indices) != self.ids or t.contiguous != t.rank - 1 or result.shape != self.found.stored.type.shape:  # type: ignore[union-attr]
            raise _error(op, "an epilogue tile.load must read a row-major tensor at the stored tile's indices")
        arg = self.arg(op.tensor, op)
        if t.rank > 2 and op.tensor is not self.found.store.tensor:
            raise _error(op, "a batched epilogue loads tiles of the stored tensor only")
        origin = self.tile_origin()
        rows, cols = self.params.get("dim", arg, t.rank - 2), self.params.get("dim", arg, t.rank - 1)
        ptr = self.params.get("pointer", arg)
        load = FragLoadTileOp(ptr, origin.row, origin.col, cols, rows, cols, self.acc_type, dtype)
        self.values[op.result] = self.add(load).results[0]

    def load_scalar(self, op: tile.LoadScalarOp) -> None:
        t = op.tensor.type
        assert isinstance(t, TensorType)
        index = op.indices[0].owner if len(op.indices) == 1 else None
        if t.rank != 1 or not isinstance(index, arith.ConstantOp) or _int(index.value) < 0:
            raise _error(op, "an epilogue tile.load_scalar must read a rank-1 f32 tensor at a constant index "
                             "(a non-negative arith.constant), e.g. %scale[%c0]")
        ptr = self.params.get("pointer", self.arg(op.tensor, op))
        offset = 4 * _int(index.value)
        self.values[op.result] = self.add(LoadScalarOp(ptr, offset)).results[0]

    def broadcast(self, op: tile.BroadcastOp) -> None:
        load = self.vectors.get(op.operands[0])
        dims = [d.data for d in op.dims.data]
        if load is None or dims not in ([0], [1]):
            raise _error(op, "tile.broadcast must broadcast a vector tile.load along rows ({dims = [1]}) or "
                             "columns ({dims = [0]})")
        along = "col" if dims == [1] else "row"
        if load.indices[-1] is not self.ids[-1 if along == "col" else -2]:
            raise _error(load, f"a vector broadcast along {'columns' if along == 'col' else 'rows'} must be "
                               f"loaded at the tile's {'column' if along == 'col' else 'row'} index")
        t = load.tensor.type
        assert isinstance(t, TensorType)
        arg = self.arg(load.tensor, load)
        origin = self.tile_origin()
        vector = FragLoadVectorOp(self.params.get("pointer", arg), origin.col if along == "col" else origin.row,
                                  self.params.get("dim", arg, t.rank - 1), self.acc_type, along,
                                  element_name(t.element) or "f32")
        self.values[op.results[0]] = self.add(vector).results[0]

    def cast(self, op: tile.CastOp) -> None:
        source = op.operands[0]
        to = element_name(op.results[0].type.element)  # type: ignore[union-attr]
        if isinstance(source.owner, tile.LoadOp) and to == "f32" and source in self.values:
            self.values[op.results[0]] = self.values[source]  # the load widened it
            return
        if op.results[0] is self.found.stored and source in self.values:
            self.values[op.results[0]] = self.values[source]  # store_accumulator rounds to C's type
            return
        raise _error(op, "tile.cast is supported on a loaded tile (to f32) or on the stored value (to C's type)")
