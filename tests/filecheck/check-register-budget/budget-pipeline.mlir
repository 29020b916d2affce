// RUN: not exo-gpu-opt %s -p schedule,insert-syncs,lower-to-ptx,tie-loop-carried,assign-registers,check-register-budget 2>&1 | filecheck %s
//
// bf16, 2 m64n256 tiles per consumer warpgroup: 2 x 128 accumulator registers + 24 = 280
// per thread, over the consumer's setmaxnreg budget of 232.  The kernel itself verifies
// (its budgets fit the register file), so it is assign-registers that rejects it, at the
// location of the tile.kernel the role came from.

builtin.module {
  tile.kernel @too_big(%a: !tile.tensor<?x?xbf16>, %b: !tile.tensor<?x?xbf16, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 128x256) schedule #tile.schedule<consumers = 1, stages = 3> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c64 = arith.constant 64 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c64 : index
    %zero = tile.constant 0.0 : !tile.tile<128x256xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<128x256xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xbf16> -> !tile.tile<128x64xbf16>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xbf16, contiguous = 0> -> !tile.tile<64x256xbf16>
      %r = tile.mma %x, %y, %acc0 : !tile.tile<128x64xbf16>, !tile.tile<64x256xbf16>, !tile.tile<128x256xf32> -> !tile.tile<128x256xf32>
      scf.yield %r : !tile.tile<128x256xf32>
    }
    tile.store %acc, %c[%i, %j] : !tile.tile<128x256xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}

// CHECK: exo-gpu-opt: error: check-register-budget: kernel too_big: the warpgroup role at loc("{{.*}}budget-pipeline.mlir":9:3) needs 256 accumulator registers + 24 for addressing = 280 per thread, over its setmaxnreg budget of 232: use fewer tiles per warpgroup or a smaller wgmma N (ptxas would serialize the pipeline or spill, C7511/C7512)
