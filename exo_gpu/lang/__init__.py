"""Tile programs written in Python: `from exo_gpu import lang as tl`.

    @tl.kernel(grid=("c", (128, 256)), schedule=tl.Schedule(consumers=2, wait_depth=0))
    def gemm(a: tl.Tensor[2, "bf16"], b: tl.Tensor[2, "bf16", 0], c: tl.Tensor[2, "f32"]):
        i, j = tl.program_id()
        acc = tl.zeros((128, 256), "f32")
        for kk in tl.range(tl.cdiv(a.dim(1), 64), carry=acc):
            acc = tl.mma(a.load((i, kk), (128, 64)), b.load((kk, j), (64, 256)), acc)
        c.store((i, j), acc)

    gemm.module     # the xDSL ModuleOp holding the tile.kernel
    print(gemm)     # its MLIR text (parses back; feeds exo-gpu-opt and exo-gpu compile)

Tiles support + - * / (with tiles, numbers and f32 scalar arguments), unary -, < <= > >=,
`.to(dtype)`, `.exp2()`, `.log2()`, `.tanh()`, `.max(dim)`, `.sum(dim)`; index values + - * // and
`tl.cdiv`.  An illegal operation raises `tl.KernelError` at the line that wrote it.
`tl.interpret(kernel_or_module, inputs, scalars)` runs a kernel with numpy in float64.
"""

from exo_gpu.dialects.tile.schedule import Schedule, ScheduleError
from exo_gpu.lang.builder import Kernel, f32, i32, index, kernel, program_id, range
from exo_gpu.lang.values import (
    Index,
    KernelError,
    Scalar,
    Tensor,
    Tile,
    broadcast,
    cast,
    cdiv,
    compare,
    exp2,
    full,
    iota,
    load,
    log2,
    maximum,
    mma,
    reduce,
    splat,
    store,
    tanh,
    where,
    zeros,
)


def interpret(kernel_or_module, inputs, scalars=None, name=None):
    """Run a tile kernel on numpy arrays in float64 (see exo_gpu.lang.interpreter)."""
    from exo_gpu.lang.interpreter import interpret as run

    return run(kernel_or_module, inputs, scalars, name)


__all__ = [
    "Schedule", "ScheduleError", "Kernel", "kernel", "program_id", "range", "f32", "i32", "index",
    "Index", "KernelError", "Scalar", "Tensor", "Tile", "broadcast", "cast", "cdiv", "compare", "exp2", "full",
    "iota", "load", "log2", "maximum", "mma", "reduce", "splat", "store", "tanh", "where", "zeros", "interpret",
]
