// D = (scale_a * scale_b) * (A @ B) as bf16, fp8 e4m3 inputs: torch._scaled_mm's per-tensor
// scales, one-element f32 tensors read on the device (tile.load_scalar), never on the host.
// A (M x K) row-major, B (K x N) K contiguous (column-major), as fp8 wgmma reads them.
// exo_gpu.gemm(dtype="e4m3", wgmma_n=256, tiles_per_warpgroup=1, wait_depth=0, c_dtype="bf16",
// scaled=True) builds this program; exo_gpu.matmul(a, b, scale_a=, scale_b=) runs it.
builtin.module {
  tile.kernel @gemm_fp8_scaled(%a: !tile.tensor<?x?xf8E4M3FN>, %b: !tile.tensor<?x?xf8E4M3FN, contiguous = 0>, %c: !tile.tensor<?x?xbf16>, %scale_a: !tile.tensor<?xf32>, %scale_b: !tile.tensor<?xf32>) grid(%c tiles 128x256) schedule #tile.schedule<wait_depth = 0> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c128 = arith.constant 128 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c128 : index
    %zero = tile.constant 0.0 : !tile.tile<128x256xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<128x256xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xf8E4M3FN> -> !tile.tile<128x128xf8E4M3FN>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xf8E4M3FN, contiguous = 0> -> !tile.tile<128x256xf8E4M3FN>
      %r = tile.mma %x, %y, %acc0 : !tile.tile<128x128xf8E4M3FN>, !tile.tile<128x256xf8E4M3FN>, !tile.tile<128x256xf32> -> !tile.tile<128x256xf32>
      scf.yield %r : !tile.tile<128x256xf32>
    }
    %sa = tile.load_scalar %scale_a[%c0] : !tile.tensor<?xf32> -> f32
    %sb = tile.load_scalar %scale_b[%c0] : !tile.tensor<?xf32> -> f32
    %0 = tile.splat %sa : f32 -> !tile.tile<128x256xf32>
    %1 = tile.splat %sb : f32 -> !tile.tile<128x256xf32>
    %scale = tile.mul %0, %1 : !tile.tile<128x256xf32>
    %v = tile.mul %scale, %acc : !tile.tile<128x256xf32>
    %2 = tile.cast %v : !tile.tile<128x256xf32> -> !tile.tile<128x256xbf16>
    tile.store %2, %c[%i, %j] : !tile.tile<128x256xbf16>, !tile.tensor<?x?xbf16>
    tile.return
  }
}
