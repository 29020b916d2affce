// RUN: not exo-gpu-opt %s -p schedule,insert-syncs,lower-to-ptx,tie-loop-carried,assign-registers,check-register-budget 2>&1 | filecheck %s
//
// bf16, 2 m64n256 tiles per consumer warpgroup: 2 x 128 accumulator registers + 24 = 280
// per thread, over the consumer's setmaxnreg budget of 232.  The kernel itself verifies
// (its budgets fit the register file), so it is assign-registers that rejects it, at the
// location of the tile.gemm the role came from.

builtin.module {
  "tile.gemm"() <{sym_name = "too_big", dtype = "bf16", layout_a = "row", layout_b = "col", block_m = 128 : i64, block_n = 256 : i64, block_k = 64 : i64, consumers = 1 : i64, stages = 3 : i64, wait_depth = 1 : i64, consumer_maxnreg = 232 : i64, producer_maxnreg = 40 : i64, accumulate_c = 0 : i64}> : () -> ()
}

// CHECK: exo-gpu-opt: error: check-register-budget: kernel too_big: the warpgroup role at loc("{{.*}}budget-pipeline.mlir":[[# @LINE - 3]]:3) needs 256 accumulator registers + 24 for addressing = 280 per thread, over its setmaxnreg budget of 232: use fewer tiles per warpgroup or a smaller wgmma N (ptxas would serialize the pipeline or spill, C7511/C7512)
