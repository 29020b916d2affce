// RUN: exo-gpu-opt %s -p schedule --verify-diagnostics | filecheck %s
//
// Ping-pong alternates two consumer warpgroups: with one there is nobody to take turns with,
// and tile.gemm's verifier says what to change.

builtin.module {
  "tile.gemm"() <{sym_name = "pp1", dtype = "bf16", layout_a = "row", layout_b = "col", block_m = 64 : i64, block_n = 64 : i64, block_k = 64 : i64, consumers = 1 : i64, stages = 4 : i64, wait_depth = 1 : i64, consumer_maxnreg = 232 : i64, producer_maxnreg = 40 : i64, accumulate_c = 0 : i64, schedule = "pingpong"}> : () -> ()
}

// CHECK: exo-gpu-opt: error: {{.*}}pingpong-one-consumer.mlir: invalid IR: schedule = pingpong alternates two consumer warpgroups: use consumers = 2, got 1
