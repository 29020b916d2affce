// RUN: exo-gpu-opt %s -p schedule --verify-diagnostics | filecheck %s
//
// fp8 wgmma has no imm-trans-b either: an N-major (row-major) B is rejected.

builtin.module {
  tile.kernel @e4m3_row(%a: !tile.tensor<?x?xf8E4M3FN>, %b: !tile.tensor<?x?xf8E4M3FN>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 64x128) schedule #tile.schedule<consumers = 1, stages = 2> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c128 = arith.constant 128 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c128 : index
    %zero = tile.constant 0.0 : !tile.tile<64x128xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<64x128xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xf8E4M3FN> -> !tile.tile<64x128xf8E4M3FN>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xf8E4M3FN> -> !tile.tile<128x128xf8E4M3FN>
      %r = tile.mma %x, %y, %acc0 : !tile.tile<64x128xf8E4M3FN>, !tile.tile<128x128xf8E4M3FN>, !tile.tile<64x128xf32> -> !tile.tile<64x128xf32>
      scf.yield %r : !tile.tile<64x128xf32>
    }
    tile.store %acc, %c[%i, %j] : !tile.tile<64x128xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}

// CHECK: exo-gpu-opt: error: {{.*}}e4m3-layout-b-row.mlir:6:3: tile.kernel @e4m3_row: e4m3 wgmma reads A and B K-major only: make A's contiguous dimension its last (K) and B's its first (K) (got layout_a = row, layout_b = row)
