// C[b] = alpha * A[b] @ B[b] + beta * C[b] for a batch of f32 GEMMs (tf32 wgmma).
// The grid covers C's batch dimension too: %bt is the batch index, %i, %j the tile.
builtin.module {
  tile.kernel @batched_gemm(%a: !tile.tensor<?x?x?xf32>, %b: !tile.tensor<?x?x?xf32, contiguous = 1>, %c: !tile.tensor<?x?x?xf32>, %alpha: f32, %beta: f32) grid(%c tiles 128x128) schedule #tile.schedule<consumers = 2, wait_depth = 1> {
    %bt, %i, %j = tile.program_id : index, index, index
    %k = tile.dim %a, 2 : index
    %c32 = arith.constant 32 : index
    %nk = arith.ceildivui %k, %c32 : index
    %zero = tile.constant 0.0 : !tile.tile<128x128xf32>
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<128x128xf32>) {
      %x = tile.load %a[%bt, %i, %kk] : !tile.tensor<?x?x?xf32> -> !tile.tile<128x32xf32>
      %y = tile.load %b[%bt, %kk, %j] : !tile.tensor<?x?x?xf32, contiguous = 1> -> !tile.tile<32x128xf32>
      %r = tile.mma %x, %y, %acc0 {precision = "tf32"} : !tile.tile<128x32xf32>, !tile.tile<32x128xf32>, !tile.tile<128x128xf32> -> !tile.tile<128x128xf32>
      scf.yield %r : !tile.tile<128x128xf32>
    }
    %sa = tile.splat %alpha : f32 -> !tile.tile<128x128xf32>
    %ab = tile.mul %sa, %acc : !tile.tile<128x128xf32>
    %cold = tile.load %c[%bt, %i, %j] : !tile.tensor<?x?x?xf32> -> !tile.tile<128x128xf32>
    %sb = tile.splat %beta : f32 -> !tile.tile<128x128xf32>
    %bc = tile.mul %sb, %cold : !tile.tile<128x128xf32>
    %out = tile.add %ab, %bc : !tile.tile<128x128xf32>
    tile.store %out, %c[%bt, %i, %j] : !tile.tile<128x128xf32>, !tile.tensor<?x?x?xf32>
    tile.return
  }
}
