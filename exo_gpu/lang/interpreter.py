"""A float64 numpy interpreter of tile programs: the reference for `exo-gpu run FILE`.

`interpret(kernel, inputs, scalars)` runs every program instance of the kernel's grid one
after the other.  Tensors are float64 arrays holding values of their element type: inputs
are rounded to it on entry (bf16, f16, fp8 e4m3/e5m2 by round-to-nearest-even, fp8 saturating),
`tile.cast` rounds, and everything else is exact float64 arithmetic (`tile.mma` included:
tf32 rounding of f32 inputs and the hardware's summation order are not modelled; an f16
accumulator is rounded to f16 after each mma).  Loads read zeros outside a tensor; stores
write only the elements inside it.  Integer tiles (iota, i32 splats) are int64, masks bool.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping

import numpy as np
from xdsl.dialects import arith, scf
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, Operation

from exo_gpu.dialects import tile
from exo_gpu.dialects.tile.types import TensorType, TileType, element_name
from exo_gpu.errors import ExoGpuError


class InterpretError(ExoGpuError):
    """Inputs that do not fit the kernel, or IR the interpreter does not know."""


# (mantissa bits, smallest normal exponent, largest finite value) of the narrow float types.
_FP8 = {"e4m3": (3, -6, 448.0), "e5m2": (2, -14, 57344.0)}


def round_to(x: np.ndarray, dtype: str) -> np.ndarray:
    """`x` rounded to element type `dtype` (nearest even), returned as float64 (ints as int64)."""
    x = np.asarray(x, dtype=np.float64)
    if dtype == "f32":
        return x.astype(np.float32).astype(np.float64)
    if dtype == "f16":
        return x.astype(np.float16).astype(np.float64)
    if dtype == "bf16":
        u = x.astype(np.float32).view(np.uint32).astype(np.uint64)
        u = (u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000
        return u.astype(np.uint32).view(np.float32).astype(np.float64)
    if dtype in _FP8:
        mantissa, min_exp, largest = _FP8[dtype]
        with np.errstate(divide="ignore"):
            e = np.maximum(np.floor(np.log2(np.abs(x))), min_exp)
        q = np.exp2(e - mantissa)
        return np.clip(np.round(x / q) * q, -largest, largest)
    if dtype == "i32":
        return np.trunc(x).astype(np.int64)
    if dtype == "i1":
        return x != 0
    raise InterpretError(f"no rounding to element type '{dtype}'")


def _kernel(program, name: str | None) -> tile.KernelOp:
    if isinstance(program, tile.KernelOp):
        return program
    module = getattr(program, "module", program)
    if not isinstance(module, ModuleOp):
        raise InterpretError(f"interpret takes a tl.Kernel, a tile.kernel or a module, got {type(program).__name__}; "
                             "pass the @tl.kernel function (or its .module)")
    kernels = [op for op in module.walk() if isinstance(op, tile.KernelOp)]
    chosen = [k for k in kernels if name is None or k.sym_name.data == name]
    if len(chosen) != 1:
        names = ", ".join(k.sym_name.data for k in kernels) or "none"
        raise InterpretError(f"name one kernel to run (the module has: {names})" if chosen else
                             f"no tile.kernel @{name} in the module (it has: {names})")
    return chosen[0]


def _arguments(kernel: tile.KernelOp, inputs: Mapping, scalars: Mapping) -> list:
    values = []
    for arg in kernel.args:
        name = arg.name_hint or f"arg{arg.index}"
        if isinstance(arg.type, TensorType):
            if name not in inputs:
                raise InterpretError(f"@{kernel.sym_name.data} needs an array for tensor '{name}' "
                                     f"(rank {arg.type.rank}, {arg.type.element})")
            a = np.asarray(inputs[name])
            if a.ndim != arg.type.rank:
                raise InterpretError(f"tensor '{name}' of @{kernel.sym_name.data} has rank {arg.type.rank}, "
                                     f"got an array of shape {a.shape}")
            values.append(round_to(a, element_name(arg.type.element)))
        else:
            if name not in scalars:
                raise InterpretError(f"@{kernel.sym_name.data} needs a value for scalar '{name}' ({arg.type})")
            v = scalars[name]
            values.append(int(v) if str(arg.type) in ("index", "i32") else float(np.float32(v)))
    return values


def interpret(program, inputs: Mapping[str, np.ndarray], scalars: Mapping[str, float] | None = None,
              name: str | None = None) -> dict[str, np.ndarray]:
    """Run kernel `name` of `program` (a tl.Kernel, a tile.kernel or a module holding one) on
    `inputs` (an array per tensor argument, by name) and `scalars`; return the tensors it
    stores to, by name, as float64 arrays (the inputs are not modified)."""
    kernel = _kernel(program, name)
    args = _arguments(kernel, inputs, scalars or {})
    grid = args[kernel.grid_arg.data]
    tiles = kernel.tiles
    lead = grid.shape[:grid.ndim - len(tiles)]
    counts = [math.ceil(n / t) for n, t in zip(grid.shape[grid.ndim - len(tiles):], tiles)]
    block = kernel.body.block
    for pid in itertools.product(*(range(n) for n in (*lead, *counts))):
        env = dict(zip(block.args, args))
        _run_block(block, env, pid)
    written = {op.tensor for op in kernel.walk() if isinstance(op, tile.StoreOp)}
    return {(a.name_hint or f"arg{a.index}"): args[a.index] for a in block.args if a in written}


def _run_block(block: Block, env: dict, pid: tuple[int, ...]) -> list:
    """Execute `block`'s ops in `env`; the terminator's operand values are returned."""
    for op in block.ops:
        if isinstance(op, (scf.YieldOp, tile.ReturnOp)):
            return [env[v] for v in op.operands]
        if isinstance(op, scf.ForOp):
            _run_for(op, env, pid)
            continue
        run = _OPS.get(type(op))
        if run is None:
            raise InterpretError(f"the interpreter does not know {op.name}")
        results = run(op, [env.get(v) for v in op.operands], pid)
        for r, value in zip(op.results, results if isinstance(results, tuple) else (results,)):
            env[r] = value
    return []


def _run_for(op: scf.ForOp, env: dict, pid) -> None:
    lb, ub, step = env[op.lb], env[op.ub], env[op.step]
    carried = [env[v] for v in op.iter_args]
    body = op.body.block
    for k in range(lb, ub, step):
        inner = dict(env)
        inner.update(zip(body.args, [k, *carried]))
        carried = _run_block(body, inner, pid)
    for r, v in zip(op.results, carried):
        env[r] = v


def _tile_type(op: Operation) -> TileType:
    return op.results[0].type


def _load(op: tile.LoadOp, vals, pid):
    tensor, indices = vals[0], vals[1:]
    shape = _tile_type(op).shape
    out = np.zeros(shape, dtype=np.float64)
    lead = indices[:len(indices) - len(shape)]
    if any(not 0 <= i < n for i, n in zip(lead, tensor.shape)):
        return out
    src = tensor[tuple(lead)]
    starts = [i * s for i, s in zip(indices[len(lead):], shape)]
    part = src[tuple(slice(b, b + s) for b, s in zip(starts, shape))] if all(b >= 0 for b in starts) else src[:0]
    out[tuple(slice(0, n) for n in part.shape)] = part
    return out


def _load_scalar(op: tile.LoadScalarOp, vals, pid):
    tensor, indices = vals[0], tuple(vals[1:])
    if any(not 0 <= i < n for i, n in zip(indices, tensor.shape)):
        name = op.tensor.name_hint or "the tensor"
        raise InterpretError(f"tile.load_scalar reads %{name}{list(indices)}, outside its shape {tensor.shape}; "
                             "fix: pass a tensor holding that element (a scale: one float32 element)")
    return float(tensor[indices])


def _store(op: tile.StoreOp, vals, pid):
    value, tensor, indices = vals[0], vals[1], vals[2:]
    shape = op.value.type.shape
    lead = indices[:len(indices) - len(shape)]
    if any(not 0 <= i < n for i, n in zip(lead, tensor.shape)):
        return ()
    dst = tensor[tuple(lead)] if lead else tensor
    starts = [i * s for i, s in zip(indices[len(lead):], shape)]
    window = dst[tuple(slice(b, b + s) for b, s in zip(starts, shape))]
    window[...] = value[tuple(slice(0, n) for n in window.shape)]
    return ()


def _mma(op: tile.MmaOp, vals, pid):
    x, y, acc = vals
    r = x @ y + acc
    name = element_name(_tile_type(op).element)
    return round_to(r, name) if name == "f16" else r


def _constant(op: tile.ConstantOp, vals, pid):
    t = _tile_type(op)
    kind = np.float64 if isinstance(op.number, float) else np.int64
    if element_name(t.element) == "i1":
        return np.full(t.shape, bool(op.number))
    return np.full(t.shape, op.number, dtype=kind)


def _splat(op: tile.SplatOp, vals, pid):
    t = _tile_type(op)
    return np.full(t.shape, vals[0], dtype=np.float64 if element_name(t.element) == "f32" else np.int64)


def _iota(op: tile.IotaOp, vals, pid):
    t = _tile_type(op)
    d = op.dim.data
    shape = [1] * t.rank
    shape[d] = t.shape[d]
    return np.broadcast_to(np.arange(t.shape[d], dtype=np.int64).reshape(shape), t.shape).copy()


def _broadcast(op: tile.BroadcastOp, vals, pid):
    t = _tile_type(op)
    dims = [d.data for d in op.dims.data]
    shape = [1] * t.rank
    for k, d in enumerate(dims):
        shape[d] = vals[0].shape[k]
    return np.broadcast_to(vals[0].reshape(shape), t.shape).copy()


def _reduce(op: tile.ReduceOp, vals, pid):
    f = np.max if op.kind.data == "max" else np.sum
    return np.asarray(f(vals[0], axis=op.dim.data))


def _cast(op: tile.CastOp, vals, pid):
    return round_to(vals[0], element_name(_tile_type(op).element))


_CMP = {"lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal, "eq": np.equal,
        "ne": np.not_equal}


def _index(fn):
    return lambda op, vals, pid: fn(*vals)


_OPS = {
    tile.ProgramIdOp: lambda op, vals, pid: tuple(pid),
    tile.DimOp: lambda op, vals, pid: vals[0].shape[op.dim.data],
    tile.LoadOp: _load,
    tile.StoreOp: _store,
    tile.LoadScalarOp: _load_scalar,
    tile.MmaOp: _mma,
    tile.ConstantOp: _constant,
    tile.SplatOp: _splat,
    tile.IotaOp: _iota,
    tile.BroadcastOp: _broadcast,
    tile.ReduceOp: _reduce,
    tile.CastOp: _cast,
    tile.AddOp: _index(np.add),
    tile.SubOp: _index(np.subtract),
    tile.MulOp: _index(np.multiply),
    tile.DivOp: _index(np.divide),
    tile.MaxOp: _index(np.maximum),
    tile.NegOp: _index(np.negative),
    tile.Exp2Op: _index(np.exp2),
    tile.Log2Op: _index(np.log2),
    tile.TanhOp: _index(np.tanh),
    tile.SelectOp: _index(np.where),
    tile.CmpOp: lambda op, vals, pid: _CMP[op.predicate.data](*vals),
    arith.ConstantOp: lambda op, vals, pid: op.value.value.data,
    arith.AddiOp: _index(lambda a, b: a + b),
    arith.SubiOp: _index(lambda a, b: a - b),
    arith.MuliOp: _index(lambda a, b: a * b),
    arith.DivUIOp: _index(lambda a, b: a // b),
    arith.RemUIOp: _index(lambda a, b: a % b),
    arith.CeilDivUIOp: _index(lambda a, b: -(-a // b)),
    arith.MinUIOp: _index(min),
    arith.MaxUIOp: _index(max),
    arith.IndexCastOp: _index(lambda a: a),
}
