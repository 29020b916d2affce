// RUN: exo-gpu-opt %s -p schedule --verify-diagnostics | filecheck %s
//
// Ping-pong alternates two consumer warpgroups: with one there is nobody to take turns with,
// and the schedule attribute's verifier says what to change when the file is read.

builtin.module {
  tile.kernel @pp1(%a: !tile.tensor<?x?xbf16>, %b: !tile.tensor<?x?xbf16, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 64x64) schedule #tile.schedule<consumers = 1, kind = "pingpong", stages = 4> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c64 = arith.constant 64 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c64 : index
    %zero = tile.constant 0.0 : !tile.tile<64x64xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<64x64xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xbf16> -> !tile.tile<64x64xbf16>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xbf16, contiguous = 0> -> !tile.tile<64x64xbf16>
      %r = tile.mma %x, %y, %acc0 : !tile.tile<64x64xbf16>, !tile.tile<64x64xbf16>, !tile.tile<64x64xf32> -> !tile.tile<64x64xf32>
      scf.yield %r : !tile.tile<64x64xf32>
    }
    tile.store %acc, %c[%i, %j] : !tile.tile<64x64xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}

// CHECK: exo-gpu-opt: error: {{.*}}pingpong-one-consumer.mlir:7:{{[0-9]+}}: schedule kind = "pingpong" alternates two consumer warpgroups: use consumers = 2, got 1
