"""`@tl.kernel`: a Python function that builds a `tile.kernel`, and `tl.range`, its loops.

The decorator runs the function once, at decoration, with wrapped arguments (`Tensor`,
`Scalar`, `Index`); each tile operation it calls appends one verified op.  Loops are Python
`for` loops over `tl.range(...)`: the body runs once and becomes an `scf.for` body; the
tiles named in `carry=` are loop-carried (`iter_args`): inside the body the variable is the
iteration's value, whatever the body assigns to the same variable is yielded, and after the
loop the variable holds the loop's result:

    acc = tl.zeros((128, 256), "f32")
    for kk in tl.range(tl.cdiv(a.dim(1), 64), carry=acc):
        acc = tl.mma(a.load((i, kk), (128, 64)), b.load((kk, j), (64, 256)), acc)
    c.store((i, j), acc)
"""

from __future__ import annotations

import builtins
import inspect
import sys
from collections.abc import Callable, Sequence

from xdsl.dialects import scf
from xdsl.dialects.builtin import IndexType, ModuleOp, f32 as _f32, i32 as _i32
from xdsl.ir import Block, Region
from xdsl.utils.exceptions import VerifyException

from exo_gpu.dialects import tile
from exo_gpu.dialects.tile.schedule import Schedule, ScheduleError
from exo_gpu.dialects.tile.types import TensorType
from exo_gpu.lang.values import Builder, Index, KernelError, Scalar, Tensor, Tile, Value, fail, to_index

# Scalar argument annotations: `alpha: tl.f32`, `n: tl.index` (or the strings).
f32, i32, index = "f32", "i32", "index"
_SCALARS = {"f32": _f32, "i32": _i32, "index": IndexType()}


class Kernel:
    """A built tile kernel: `.op` (the tile.kernel), `.module` (a ModuleOp holding it),
    `.mlir()` / `str(k)` (its MLIR text, which `exo-gpu-opt` and `exo-gpu compile` read)."""

    def __init__(self, op: tile.KernelOp, fn: Callable):
        self.op = op
        self.module = ModuleOp([op])
        self.fn = fn
        self.name = op.sym_name.data

    @property
    def schedule(self) -> Schedule:
        return self.op.schedule_value

    def mlir(self) -> str:
        from exo_gpu.compiler import print_ir

        return print_ir(self.module)

    def __str__(self) -> str:
        return self.mlir()

    def __repr__(self) -> str:
        return f"<tile kernel @{self.name}>"


def kernel(fn: Callable | None = None, *, grid: tuple[str, Sequence[int] | int], schedule: Schedule | None = None,
           name: str | None = None):
    """Decorator: build a tile kernel from `fn`.  `grid = ("c", (128, 256))`: one program
    instance per 128x256 tile of argument c (times its leading, batch, dims); `schedule`:
    a `tl.Schedule` (default: all defaults).  Arguments are annotated `tl.Tensor[rank, dtype]`,
    `tl.Tensor[rank, dtype, contiguous]`, `tl.f32`, `tl.i32` or `tl.index`."""

    def build(fn: Callable) -> Kernel:
        if not callable(fn) or not hasattr(fn, "__name__"):
            raise fail(f"@tl.kernel decorates a function (def name(args): ...), got {type(fn).__name__} {fn!r}")
        return _build(fn, grid, schedule, name or fn.__name__)

    return build if fn is None else build(fn)


def _arg_types(fn: Callable) -> tuple[list[str], list]:
    names, types = [], []
    for p in inspect.signature(fn).parameters.values():
        ann = p.annotation
        if isinstance(ann, str) and ann not in _SCALARS:
            try:
                ann = eval(ann, fn.__globals__)  # `from __future__ import annotations`
            except Exception as e:
                raise fail(f"argument '{p.name}' of {fn.__name__}: cannot evaluate its annotation {ann!r}: {e}") from None
        if isinstance(ann, TensorType):
            types.append(ann)
        elif isinstance(ann, str) and ann in _SCALARS:
            types.append(_SCALARS[ann])
        else:
            raise fail(f"argument '{p.name}' of {fn.__name__} needs a type: tl.Tensor[rank, dtype], tl.f32, tl.i32 "
                       f"or tl.index")
        names.append(p.name)
    return names, types


def _build(fn: Callable, grid, schedule: Schedule | None, name: str) -> Kernel:
    names, types = _arg_types(fn)
    if not (isinstance(grid, tuple) and len(grid) == 2 and grid[0] in names):
        raise fail(f"grid must be (tensor argument name, tile sizes), e.g. grid=(\"{names[-1] if names else 'c'}\", "
                   f"(128, 256)), got {grid!r}")
    tiles = (grid[1],) if isinstance(grid[1], int) else tuple(grid[1])
    if schedule is not None and not isinstance(schedule, Schedule):
        raise fail(f"schedule must be a tl.Schedule(...), got {schedule!r}")
    op = tile.KernelOp(name, types, names.index(grid[0]), tiles, schedule, names)
    if Builder.current is not None:
        raise fail("a @tl.kernel cannot be built inside another one")
    builder = Builder()
    builder.kernel = op
    builder.push(op.body.block, tile.ReturnOp())
    Builder.current = builder
    try:
        args = [Tensor(a) if isinstance(a.type, TensorType) else Index(a) if isinstance(a.type, IndexType)
                else Scalar(a) for a in op.body.block.args]
        if _call_naming(fn, args) is not None:
            raise fail(f"{fn.__name__} returned a value: a kernel's results are written with tl.store")
        if len(builder.blocks) != 1:
            raise fail("a tl.range loop was left early (break or return): tile loops run all their iterations")
    finally:
        Builder.current = None
    try:
        op.verify()
    except VerifyException as e:
        file, line = fn.__code__.co_filename, fn.__code__.co_firstlineno
        raise KernelError(f"{file}:{line}: {str(e).strip().splitlines()[0]}") from None
    return Kernel(op, fn)


def _call_naming(fn: Callable, args: list):
    """fn(*args), then name the SSA values left in its local variables after them (`%acc`)."""
    captured: dict = {}
    previous = sys.getprofile()

    def hook(frame, event, arg):
        if event == "return" and frame.f_code is fn.__code__:
            captured.update(frame.f_locals)
        if previous is not None:
            previous(frame, event, arg)

    sys.setprofile(hook)
    try:
        result = fn(*args)
    finally:
        sys.setprofile(previous)
    name_values(captured)
    return result


def name_values(local_vars: dict) -> None:
    """Give each IR value held by a Python variable that variable's name (if it has none)."""
    for name, v in local_vars.items():
        if isinstance(v, Value) and v.value.name_hint is None and name.isidentifier() and not name.startswith("_"):
            v.value.name_hint = name


def program_id() -> tuple[Index, ...]:
    """This program instance's grid coordinates: batch indices, then tile row and column."""
    b = Builder.get()
    rank = b.kernel.grid_tensor.type.rank
    return tuple(Index(v) for v in b.add(tile.ProgramIdOp(rank)).results)


def range(*bounds, carry: Tile | Sequence[Tile] = ()):
    """`for k in tl.range(stop)` / `tl.range(start, stop[, step])`: an `scf.for` over index
    values; `carry=acc` (or a tuple) makes local tile variables loop-carried (module docstring)."""
    if not 1 <= len(bounds) <= 3:
        raise fail("tl.range takes (stop), (start, stop) or (start, stop, step)")
    start, stop, step = (0, bounds[0], 1) if len(bounds) == 1 else (*bounds, 1)[:3]
    carried = (carry,) if isinstance(carry, Tile) else tuple(carry)
    if not all(isinstance(c, Tile) for c in carried):
        raise fail("carry= takes tiles (local variables holding tiles)")
    frame = sys._getframe(1)
    names = [[n for n, v in frame.f_locals.items() if v is c] for c in carried]
    if any(not n for n in names):
        raise fail("each carry= tile must be held by a local variable (the loop updates that variable)")
    return _loop(frame, names, carried, start, stop, step)


def _loop(frame, names: list[list[str]], carried: tuple[Tile, ...], start, stop, step):
    b = Builder.get()
    lb, ub, st = to_index(start), to_index(stop), to_index(step)
    body = Block(arg_types=[IndexType(), *(c.value.type for c in carried)])
    loop = scf.ForOp(lb, ub, st, [c.value for c in carried], Region(body))
    b.insert(loop)
    initial = [c.value for c in carried]
    for c, arg, n in zip(carried, body.args[1:], names):
        c.value = arg
        arg.name_hint = n[-1]
    b.push(body, scf.YieldOp(*(c.value for c in carried)))
    yield Index(body.args[0])
    updated = [_updated(frame, c, n) for c, n in zip(carried, names)]
    for c, u, n in zip(carried, updated, names):
        if u.value.type != c.value.type:
            raise fail(f"the loop carries '{n[0]}' as {c.value.type} but its body leaves it {u.value.type}: "
                       f"keep its type (tl.cast)")
    name_values(frame.f_locals)  # the body's variables name the body's values
    placeholder = b.pop()
    placeholder.operands = [u.value for u in updated]
    try:
        loop.verify()
    except VerifyException as e:
        raise fail(str(e).strip().splitlines()[0]) from None
    for c, u, v0, r in zip(carried, updated, initial, loop.results):
        u.value = r  # the variable, after the loop, is the loop's result
        if c is not u:
            c.value = v0  # other names of the initial tile keep it


def _updated(frame, c: Tile, names: builtins.list[str]) -> Tile:
    """What the body left in the variable(s) that held carried tile `c`."""
    now = frame.f_locals
    changed = [now[n] for n in names if n in now and now[n] is not c]
    if len({id(v) for v in changed}) > 1:
        raise fail(f"carried tile held by {', '.join(names)} was given different values in the loop: keep one name")
    value = changed[0] if changed else c
    if not isinstance(value, Tile):
        raise fail(f"loop-carried variable '{names[0]}' must stay a tile, got {value!r}")
    return value


__all__ = ["Kernel", "kernel", "program_id", "range", "f32", "i32", "index", "Schedule", "ScheduleError"]
