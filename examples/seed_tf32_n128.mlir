builtin.module {
  tile.kernel @gemm_tf32_m256n128_c2_s4_w1(%a: !tile.tensor<?x?xf32>, %b: !tile.tensor<?x?xf32, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 256x128) schedule #tile.schedule<stages = 4> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c32 = arith.constant 32 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c32 : index
    %zero = tile.constant 0.0 : !tile.tile<256x128xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<256x128xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xf32> -> !tile.tile<256x32xf32>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xf32, contiguous = 0> -> !tile.tile<32x128xf32>
      %r = tile.mma %x, %y, %acc0 {precision = "tf32"} : !tile.tile<256x32xf32>, !tile.tile<32x128xf32>, !tile.tile<256x128xf32> -> !tile.tile<256x128xf32>
      scf.yield %r : !tile.tile<256x128xf32>
    }
    tile.store %acc, %c[%i, %j] : !tile.tile<256x128xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}
