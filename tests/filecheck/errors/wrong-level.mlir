// RUN: exo-gpu-opt %s -p lower-to-ptx --verify-diagnostics | filecheck %s --check-prefix=TILE
// RUN: exo-gpu-opt %s -p schedule,lower-to-ptx --verify-diagnostics | filecheck %s --check-prefix=NOSYNC
// RUN: exo-gpu-opt %s -p schedule,insert-syncs,insert-syncs --verify-diagnostics | filecheck %s --check-prefix=TWICE
// RUN: exo-gpu-opt %s -p schedule,schedule --verify-diagnostics | filecheck %s --check-prefix=RESCHEDULE
// RUN: exo-gpu-opt %s -p schedule,insert-syncs,lower-to-ptx,tie-loop-carried,assign-registers,assign-registers --verify-diagnostics | filecheck %s --check-prefix=ASSIGNED
// RUN: exo-gpu-opt %s -p schedule,insert-syncs,lower-to-ptx,verify-wgmma-pipeline --verify-diagnostics | filecheck %s --check-prefix=VERIFY
// RUN: exo-gpu-opt %s -p emit-ptx --verify-diagnostics | filecheck %s --check-prefix=EMIT
//
// Every pass checks that its input is at its level (tile -> warpgroup -> synced -> ptx ->
// assigned) and names the kernel, its location and the passes to run (or drop) instead of
// doing nothing or emitting PTX with no fence, commit or wait.

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

// TILE: exo-gpu-opt: error: lower-to-ptx: tile.kernel @g at loc("{{.*}}wrong-level.mlir":14:3) is tile-level IR (tile.kernel), but lower-to-ptx takes warpgroup-level IR after insert-syncs (warpgroup.kernel with its fences and waits): run schedule, insert-syncs before lower-to-ptx
// NOSYNC: exo-gpu-opt: error: lower-to-ptx: warpgroup.kernel @g at loc("{{.*}}wrong-level.mlir":14:3) is warpgroup-level IR before insert-syncs (warpgroup.kernel without fences or waits), but {{.*}}: run insert-syncs before lower-to-ptx
// TWICE: exo-gpu-opt: error: insert-syncs: warpgroup.kernel @g at loc("{{.*}}wrong-level.mlir":14:3) is warpgroup-level IR after insert-syncs {{.*}}: it is already past insert-syncs: drop insert-syncs from the pipeline (run each pass once, in order)
// RESCHEDULE: exo-gpu-opt: error: schedule: warpgroup.kernel @g at loc("{{.*}}wrong-level.mlir":14:3) is warpgroup-level IR {{.*}}: it is already past schedule: drop schedule from the pipeline
// ASSIGNED: exo-gpu-opt: error: assign-registers: ptx.entry @g at loc("{{.*}}wrong-level.mlir":14:3) is PTX-level IR after assign-registers {{.*}}: it is already past assign-registers: drop assign-registers from the pipeline
// VERIFY: exo-gpu-opt: error: verify-wgmma-pipeline: ptx.entry @g at loc("{{.*}}wrong-level.mlir":14:3) is PTX-level IR before assign-registers {{.*}}: run tie-loop-carried, assign-registers before verify-wgmma-pipeline
// EMIT: exo-gpu-opt: error: emit-ptx: tile.kernel @g at loc("{{.*}}wrong-level.mlir":14:3) is tile-level IR {{.*}}: run schedule, insert-syncs, lower-fragments, lower-to-ptx, tie-loop-carried, assign-registers before emit-ptx
