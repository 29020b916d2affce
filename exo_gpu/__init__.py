"""Exo-GPU: an MLIR-style compiler on xDSL for Hopper wgmma GEMM kernels, emitting PTX directly.

Python API (mirrors the `exo-gpu` command line):

    import exo_gpu
    module = exo_gpu.gemm(dtype="tf32", wgmma_n=128, tiles_per_warpgroup=2, consumers=2, stages=4)
    result = exo_gpu.compile(module, cuda="12.3")   # PTX, cubin, and the guard's reports
    c = exo_gpu.matmul(a, b)                         # torch / CUDA-array-interface / DLPack arrays
    exo_gpu.tune(4096, 4096, 4096, "bf16")           # pick and cache the fastest schedule
"""

__version__ = "0.2.0"

from exo_gpu.attention_api import attention, attention_program, compile_attention
from exo_gpu.compiler import Compiled, CompileError, compile, gemm, parse, print_ir
from exo_gpu.errors import ExoGpuError
from exo_gpu.passes import DEFAULT_PIPELINE
from exo_gpu.gpu.matmul import matmul
from exo_gpu.tuner import tune


def run(m: int, n: int, k: int, **kwargs):
    """Compile, run on the GPU and check against float64 (see exo_gpu.gpu.runner.run)."""
    from exo_gpu.errors import check_int
    from exo_gpu.gpu.runner import run as _run

    for name, value in (("m", m), ("n", n), ("k", k)):
        check_int(name, value, 1, 2**31 - 1, "rows/columns of the GEMM")

    return _run(m, n, k, **kwargs)


__all__ = ["__version__", "Compiled", "CompileError", "DEFAULT_PIPELINE", "ExoGpuError", "attention", "attention_program", "compile",
           "compile_attention", "gemm", "matmul", "parse", "print_ir", "run", "tune"]
