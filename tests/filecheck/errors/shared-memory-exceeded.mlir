// RUN: exo-gpu-opt %s -p schedule --verify-diagnostics | filecheck %s
//
// 8 stages of a 64 x 256 tf32 block: 8 x (8192 + 32768) + 8 x 16 + 1024 = 328832 bytes of
// shared memory, over the 227 KiB (232448 bytes) a block may use.  warpgroup.kernel's
// verifier rejects what schedule built.

builtin.module {
  tile.kernel @smem(%a: !tile.tensor<?x?xf32>, %b: !tile.tensor<?x?xf32, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 64x256) schedule #tile.schedule<consumers = 1, stages = 8, rings = "per_operand"> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c32 = arith.constant 32 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c32 : index
    %zero = tile.constant 0.0 : !tile.tile<64x256xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<64x256xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xf32> -> !tile.tile<64x32xf32>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xf32, contiguous = 0> -> !tile.tile<32x256xf32>
      %r = tile.mma %x, %y, %acc0 {precision = "tf32"} : !tile.tile<64x32xf32>, !tile.tile<32x256xf32>, !tile.tile<64x256xf32> -> !tile.tile<64x256xf32>
      scf.yield %r : !tile.tile<64x256xf32>
    }
    tile.store %acc, %c[%i, %j] : !tile.tile<64x256xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}

// CHECK: exo-gpu-opt: error: schedule: warpgroup.kernel @smem: shared memory 328960 bytes exceeds the 232448-byte limit: use fewer stages or a smaller block
