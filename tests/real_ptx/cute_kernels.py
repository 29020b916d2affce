"""CuTe DSL (nvidia-cutlass-dsl) wgmma kernels for exo-gpu's real-compiler cases, compiled to sm_90a PTX
without a GPU:  CUTE_DSL_ARCH=sm_90a CUTE_DSL_KEEP_PTX=1 CUTE_DSL_DUMP_DIR=OUT python cute_kernels.py OUT

One warpgroup computes a 64x128 f32 tile over K: each K tile is copied to 128-byte-swizzled shared memory
by the threads, then wgmma (m64n128k16 f16) from shared memory, commit, wait_group 0.  `zero_fill` picks how
the accumulator starts: zeroed in registers (acc.fill) with ACCUMULATE always on, or not initialised with
ACCUMULATE off for the first wgmma (CuTe's run-time scale-d field).
"""

import json
import os
import sys
from pathlib import Path

import numpy as np
import cutlass, cutlass.cute as cute
from cutlass.cute.runtime import from_dlpack
from cutlass.cute.nvgpu import warpgroup
from cutlass.memory.smem import SmemAllocator

BM, BN, BK = 64, 128, 64

@cute.kernel
def wgmma_gemm(tiled_mma: cute.TiledMma, gA: cute.Tensor, gB: cute.Tensor, gC: cute.Tensor,
               sA_layout: cute.ComposedLayout, sB_layout: cute.ComposedLayout, zero_fill: cutlass.Constexpr):
    tidx, _, _ = cute.arch.thread_idx()
    smem = SmemAllocator()
    sA = smem.allocate_tensor(cutlass.Float16, sA_layout.outer, 1024, swizzle=sA_layout.inner)
    sB = smem.allocate_tensor(cutlass.Float16, sB_layout.outer, 1024, swizzle=sB_layout.inner)
    thr = tiled_mma.get_slice(tidx)
    tCsA = thr.partition_A(sA)
    tCsB = thr.partition_B(sB)
    tCrA = tiled_mma.make_fragment_A(tCsA)
    tCrB = tiled_mma.make_fragment_B(tCsB)
    acc = cute.make_rmem_tensor(tiled_mma.partition_shape_C((BM, BN)), cutlass.Float32)
    if cutlass.const_expr(zero_fill):
        acc.fill(0.0)
    tiled_mma.set(warpgroup.Field.ACCUMULATE, zero_fill)
    k_tiles = cute.size(gA, mode=[1]) // BK
    for kt in range(k_tiles):
        for i in range(tidx, BM * BK, 128):
            sA[i % BM, i // BM] = gA[i % BM, kt * BK + i // BM]
        for i in range(tidx, BN * BK, 128):
            sB[i % BN, i // BN] = gB[i % BN, kt * BK + i // BN]
        cute.arch.sync_threads()
        warpgroup.fence()
        for kb in cutlass.range_constexpr(cute.size(tCrA, mode=[2])):
            cute.gemm(tiled_mma, acc, tCrA[None, None, kb], tCrB[None, None, kb], acc)
            tiled_mma.set(warpgroup.Field.ACCUMULATE, True)
        warpgroup.commit_group()
        warpgroup.wait_group(0)
        cute.arch.sync_threads()
    tCgC = thr.partition_C(gC)
    cute.autovec_copy(acc, tCgC)

@cute.jit
def host(a: cute.Tensor, b: cute.Tensor, c: cute.Tensor, zero_fill: cutlass.Constexpr):
    op = warpgroup.MmaF16BF16Op(cutlass.Float16, cutlass.Float32, (64, BN, 16), warpgroup.OperandSource.SMEM,
                                cute.nvgpu.OperandMajorMode.K, cute.nvgpu.OperandMajorMode.K)
    tiled_mma = cute.make_tiled_mma(op)
    atom = warpgroup.make_smem_layout_atom(warpgroup.SmemLayoutAtomKind.K_SW128, cutlass.Float16)
    sA_layout = cute.tile_to_shape(atom, (BM, BK), (0, 1))
    sB_layout = cute.tile_to_shape(atom, (BN, BK), (0, 1))
    wgmma_gemm(tiled_mma, a, b, c, sA_layout, sB_layout, zero_fill).launch(grid=[1, 1, 1], block=[128, 1, 1], smem=65536)

def main(outdir: str) -> int:
    out = Path(outdir)
    a = np.zeros((BM, 256), dtype=np.float16)
    b = np.zeros((BN, 256), dtype=np.float16)
    c = np.zeros((BM, BN), dtype=np.float32)
    for name, zero_fill in (("cute_wgmma_zero_fill", True), ("cute_wgmma_accumulate_field", False)):
        before = set(Path(os.environ["CUTE_DSL_DUMP_DIR"]).glob("*.ptx"))
        cute.compile(host, from_dlpack(a), from_dlpack(b), from_dlpack(c), zero_fill)
        (new,) = set(Path(os.environ["CUTE_DSL_DUMP_DIR"]).glob("*.ptx")) - before
        new.rename(out / f"{name}.ptx")
        meta = {"compiler": "cutlass-dsl", "version": cutlass.__version__, "source": "cute_kernels.py",
                "kernel": name, "zero_fill": zero_fill, "target": "CUTE_DSL_ARCH=sm_90a"}
        (out / f"{name}.meta.json").write_text(json.dumps(meta, indent=1) + "\n")
        print(f"cutlass-dsl {cutlass.__version__}: {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
