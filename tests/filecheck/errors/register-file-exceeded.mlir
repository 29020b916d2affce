// RUN: exo-gpu-opt %s -p schedule --verify-diagnostics | filecheck %s
//
// setmaxnreg budgets must fit the 65536-register file: 1 producer and 2 consumer
// warpgroups at 256 registers per thread need 98304.  warpgroup.kernel's verifier rejects
// what schedule built.

builtin.module {
  "tile.gemm"() <{sym_name = "regfile", dtype = "tf32", layout_a = "row", layout_b = "col", block_m = 128 : i64, block_n = 16 : i64, block_k = 32 : i64, consumers = 2 : i64, stages = 2 : i64, wait_depth = 1 : i64, consumer_maxnreg = 256 : i64, producer_maxnreg = 256 : i64, accumulate_c = 0 : i64}> : () -> ()
}

// CHECK: exo-gpu-opt: error: schedule: warpgroup.kernel @regfile: setmaxnreg budgets need 98304 registers (producer 1x128x256 + consumer 2x128x256) but a block has 65536: lower consumer_maxnreg or producer_maxnreg
