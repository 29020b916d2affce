// RUN: exo-gpu-opt %s -p schedule --verify-diagnostics | filecheck %s
//
// cluster_m = 2 splits each B box between the two blocks of the pair.  block_n = 24 would
// give halves of 12 rows: a half must be a multiple of 8 rows, so that it starts on a
// 1024-byte 128-byte-swizzle atom.  schedule rejects it before any pass.

builtin.module {
  tile.kernel @odd_half(%a: !tile.tensor<?x?xf32>, %b: !tile.tensor<?x?xf32, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 128x24) schedule #tile.schedule<stages = 2, cluster = [2, 1]> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c32 = arith.constant 32 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c32 : index
    %zero = tile.constant 0.0 : !tile.tile<128x24xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<128x24xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xf32> -> !tile.tile<128x32xf32>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xf32, contiguous = 0> -> !tile.tile<32x24xf32>
      %r = tile.mma %x, %y, %acc0 {precision = "tf32"} : !tile.tile<128x32xf32>, !tile.tile<32x24xf32>, !tile.tile<128x24xf32> -> !tile.tile<128x24xf32>
      scf.yield %r : !tile.tile<128x24xf32>
    }
    tile.store %acc, %c[%i, %j] : !tile.tile<128x24xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}

// CHECK: exo-gpu-opt: error: {{.*}}cluster-2x1-block-n.mlir:8:3: tile.kernel @odd_half: cluster_m = 2 splits B's block_n = 24 rows in two halves, each a multiple of 8 rows (the 128-byte swizzle atom): use a block_n that is a multiple of 16
