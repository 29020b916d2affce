// RUN: exo-gpu-opt %s -p schedule --verify-diagnostics | filecheck %s
//
// block_n = 100 is not a wgmma N (a multiple of 8 from 8 to 256): schedule
// rejects it when the file is read, before any pass.

builtin.module {
  tile.kernel @bad_n(%a: !tile.tensor<?x?xf32>, %b: !tile.tensor<?x?xf32, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 64x100) schedule #tile.schedule<consumers = 1, stages = 2> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c32 = arith.constant 32 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c32 : index
    %zero = tile.constant 0.0 : !tile.tile<64x100xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<64x100xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xf32> -> !tile.tile<64x32xf32>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xf32, contiguous = 0> -> !tile.tile<32x100xf32>
      %r = tile.mma %x, %y, %acc0 {precision = "tf32"} : !tile.tile<64x32xf32>, !tile.tile<32x100xf32>, !tile.tile<64x100xf32> -> !tile.tile<64x100xf32>
      scf.yield %r : !tile.tile<64x100xf32>
    }
    tile.store %acc, %c[%i, %j] : !tile.tile<64x100xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}

// CHECK: exo-gpu-opt: error: {{.*}}illegal-block-n.mlir:7:3: tile.kernel @bad_n: block_n = 100: wgmma N must be a multiple of 8 from 8 to 256, got 100
