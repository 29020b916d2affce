// RUN: exo-gpu-opt %s -p schedule --verify-diagnostics | filecheck %s
//
// cluster_m = 2 and cluster_n = 2 would make a 2x2 cluster sharing A along N and B along M:
// not supported (each operand is multicast to a pair only).  the schedule attribute rejects it
// when the file is read, before any pass, and says what to use instead.

builtin.module {
  tile.kernel @quad(%a: !tile.tensor<?x?xbf16>, %b: !tile.tensor<?x?xbf16, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 128x64) schedule #tile.schedule<stages = 2, cluster = [2, 2]> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c64 = arith.constant 64 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c64 : index
    %zero = tile.constant 0.0 : !tile.tile<128x64xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<128x64xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xbf16> -> !tile.tile<128x64xbf16>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xbf16, contiguous = 0> -> !tile.tile<64x64xbf16>
      %r = tile.mma %x, %y, %acc0 : !tile.tile<128x64xbf16>, !tile.tile<64x64xbf16>, !tile.tile<128x64xf32> -> !tile.tile<128x64xf32>
      scf.yield %r : !tile.tile<128x64xf32>
    }
    tile.store %acc, %c[%i, %j] : !tile.tile<128x64xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}

// CHECK: exo-gpu-opt: error: {{.*}}cluster-2x2.mlir:8:{{[0-9]+}}: schedule cluster must be [1, 1], [1, 2] or [2, 1] (blocks along M, N), got [2, 2]
