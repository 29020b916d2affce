// RUN: not exo-gpu-opt %s -p emit-ptx 2>&1 | filecheck %s
//
// A module without a ptx.entry (here still tile IR) cannot be printed as PTX: the error
// names the kernel, where it is, and the passes to run first.

builtin.module {
  tile.kernel @g(%a: !tile.tensor<?x?xf32>, %b: !tile.tensor<?x?xf32, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 64x16) schedule #tile.schedule<consumers = 1, stages = 2> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c32 = arith.constant 32 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c32 : index
    %zero = tile.constant 0.0 : !tile.tile<64x16xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<64x16xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xf32> -> !tile.tile<64x32xf32>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xf32, contiguous = 0> -> !tile.tile<32x16xf32>
      %r = tile.mma %x, %y, %acc0 {precision = "tf32"} : !tile.tile<64x32xf32>, !tile.tile<32x16xf32>, !tile.tile<64x16xf32> -> !tile.tile<64x16xf32>
      scf.yield %r : !tile.tile<64x16xf32>
    }
    tile.store %acc, %c[%i, %j] : !tile.tile<64x16xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}

// CHECK: exo-gpu-opt: error: emit-ptx: tile.kernel @g at loc("{{.*}}not-lowered.mlir":7:3) is tile-level IR (tile.kernel), but emit-ptx takes PTX-level IR after assign-registers (ptx.entry with PTX registers): run schedule, insert-syncs, lower-fragments, lower-to-ptx, tie-loop-carried, assign-registers before emit-ptx
