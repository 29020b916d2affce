"""`exo-gpu run` / `exo_gpu.run(...)`: compile a GEMM, run it on the GPU and check it.

The kernel is compiled through the full pipeline and the guard, loaded with cuda-python, run
on the given inputs or on fresh random-normal ones (never zeros), and compared with a float64
numpy reference: ||out - ref|| / ||ref|| under 1e-3 (tf32) or 1e-2 (f16, bf16), or for f16
accumulation 2^-11 * sqrt(K) (see `runtime.tolerance`); NaN never passes, and the output is
poisoned with NaN first so an unwritten element fails (split-K, whose launch zeroes C: a
second run on all-ones inputs must give exactly K everywhere).
"""

from __future__ import annotations

import numpy as np

from exo_gpu.gpu import runtime

from exo_gpu.ptxas import toolchain
from exo_gpu.compiler import CompileError, compile, gemm


def build(dtype: str = "tf32", wgmma_n: int = 128, tiles_per_warpgroup: int = 2, consumers: int = 2,
          stages: int = 4, wait_depth: int = 1, accumulate_c: bool = False, cuda: str = toolchain.DEFAULT_CUDA,
          ptxas: str | None = None, nvdisasm: str | None = None, **options) -> tuple[bytes, runtime.KernelInfo]:
    """Compile one configuration: the cubin and what the runtime must know of it.  `options`
    are the rest of exo_gpu.gemm's arguments (cluster_n, schedule, c_dtype, split_k,
    a_in_registers, layout_a, layout_b, ...)."""
    module = gemm(dtype=dtype, wgmma_n=wgmma_n, tiles_per_warpgroup=tiles_per_warpgroup, consumers=consumers,
                  stages=stages, wait_depth=wait_depth, accumulate_c=accumulate_c, **options)
    name = module.ops.first.sym_name.data  # type: ignore[union-attr]
    result = compile(module, cuda=cuda, ptxas=ptxas, nvdisasm=nvdisasm)
    assert result.cubin is not None
    return result.cubin, runtime.KernelInfo.from_abi(result.abis[name])  # the launch as the IR records it


def run(m: int, n: int, k: int, *, A: np.ndarray | None = None, Bt: np.ndarray | None = None,
        C: np.ndarray | None = None, seed: int | None = None, **config) -> runtime.CheckResult:
    """Compile `config` (exo_gpu.gemm's arguments, cuda=, ptxas=), run it on A (M x K) and Bt
    (N x K, i.e. B transposed), or on fresh random inputs, and check it.  A and Bt are the
    logical matrices whatever layout_a/layout_b say; the device buffers get them in the
    kernel's layouts (A^T row-major for layout_a = col, B = Bt^T row-major for layout_b = row)."""
    cubin, info = build(**config)
    kernel = runtime.load(cubin, info=info)
    try:
        if A is None and Bt is None:
            return runtime.check_gemm(kernel, m, n, k, np.random.default_rng(seed))
        if A is None or Bt is None or A.shape != (m, k) or Bt.shape != (n, k):
            raise CompileError(f"give both A ({m} x {k}) and Bt ({n} x {k}), or neither")
        return runtime.check_inputs(kernel, runtime.to_storage(A, info.dtype), runtime.to_storage(Bt, info.dtype), C)
    finally:
        kernel.unload()


def run_tile(module, name: str, arrays: dict[str, np.ndarray], scalars: dict[str, float] | None = None, *,
             cuda: str = toolchain.DEFAULT_CUDA, ptxas: str | None = None) -> dict[str, np.ndarray]:
    """Compile the tile program `module` (its kernel `name`) through the full pipeline and the
    guard, launch it through the ABI that `schedule` recorded on arrays (logical, one per
    tensor argument, by name) and scalars, and return the tensors it writes (float64)."""
    from exo_gpu.gpu.abi import KernelAbi
    from exo_gpu.gpu.tile_launch import launch_tile, load_tile

    result = compile(module, cuda=cuda, ptxas=ptxas)
    if name not in result.abis:
        raise CompileError(f"kernel {name}: not among the compiled kernels ({', '.join(result.abis)})")
    abi = KernelAbi.from_dict(result.abis[name])
    assert result.cubin is not None
    kernel = load_tile(result.cubin, abi)
    try:
        return launch_tile(kernel, abi, arrays, scalars)
    finally:
        kernel.unload()
