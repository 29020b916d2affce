"""The `tile` dialect: tile programs, the highest level of IR.

A `tile.kernel` is a program run once per output tile of its grid: it loads tiles of global
tensors (`!tile.tensor`), multiplies them (`tile.mma`), transforms them element-wise and
stores them; `scf.for` loops carry accumulator tiles.  `#tile.schedule<...>` on the kernel
says how it maps onto a Hopper thread block.

    types.py        !tile.tensor, !tile.tile
    schedule.py     #tile.schedule, Schedule
    ops.py          kernel, program_id, dim, load, store, mma, constant, splat, iota, return
    elementwise.py  add, sub, mul, div, max, neg, exp2, tanh, select, cmp, cast, broadcast, reduce
    scalar.py       load_scalar (a scale in device memory)
"""

from xdsl.ir import Dialect

from exo_gpu.dialects.tile.elementwise import (
    ELEMENTWISE_OPS,
    AddOp,
    BroadcastOp,
    CastOp,
    CmpOp,
    DivOp,
    Exp2Op,
    Log2Op,
    MaxOp,
    MulOp,
    NegOp,
    ReduceOp,
    SelectOp,
    SubOp,
    TanhOp,
)
from exo_gpu.dialects.tile.ops import (
    ConstantOp,
    DimOp,
    IotaOp,
    KernelOp,
    LoadOp,
    MmaOp,
    ProgramIdOp,
    ReturnOp,
    SplatOp,
    StoreOp,
)
from exo_gpu.dialects.tile.scalar import LoadScalarOp
from exo_gpu.dialects.tile.schedule import Schedule, ScheduleAttr, ScheduleError
from exo_gpu.dialects.tile.types import TensorType, TileType

Tile = Dialect(
    "tile",
    [KernelOp, ReturnOp, ProgramIdOp, DimOp, LoadOp, StoreOp, MmaOp, ConstantOp, SplatOp, IotaOp,
     LoadScalarOp, *ELEMENTWISE_OPS],
    [TensorType, TileType, ScheduleAttr],
)

__all__ = [
    "Tile",
    "KernelOp", "ReturnOp", "ProgramIdOp", "DimOp", "LoadOp", "StoreOp", "MmaOp", "ConstantOp", "SplatOp", "LoadScalarOp",
    "IotaOp", "AddOp", "SubOp", "MulOp", "DivOp", "MaxOp", "NegOp", "Exp2Op", "Log2Op", "TanhOp", "SelectOp", "CmpOp",
    "CastOp", "BroadcastOp", "ReduceOp", "Schedule", "ScheduleAttr", "ScheduleError", "TensorType", "TileType",
]
