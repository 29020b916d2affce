// RUN: exo-gpu-opt %s -p schedule --verify-diagnostics | filecheck %s
//
// bf16 may be N-major in wgmma (layout_b = row), but B is then loaded as 128-byte swizzle
// atoms of 64 columns, so block_n must be a multiple of 64: N = 16 is rejected by
// schedule, saying what to change.

builtin.module {
  tile.kernel @bf16_row(%a: !tile.tensor<?x?xbf16>, %b: !tile.tensor<?x?xbf16>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 64x16) schedule #tile.schedule<consumers = 1, stages = 2> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c64 = arith.constant 64 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c64 : index
    %zero = tile.constant 0.0 : !tile.tile<64x16xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<64x16xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xbf16> -> !tile.tile<64x64xbf16>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xbf16> -> !tile.tile<64x16xbf16>
      %r = tile.mma %x, %y, %acc0 : !tile.tile<64x64xbf16>, !tile.tile<64x16xbf16>, !tile.tile<64x16xf32> -> !tile.tile<64x16xf32>
      scf.yield %r : !tile.tile<64x16xf32>
    }
    tile.store %acc, %c[%i, %j] : !tile.tile<64x16xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}

// CHECK: exo-gpu-opt: error: {{.*}}bf16-layout-b-row.mlir:8:3: tile.kernel @bf16_row: an N-major B loads B in 64-column swizzle atoms: block_n must be a multiple of 64, got 16
