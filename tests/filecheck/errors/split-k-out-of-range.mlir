// RUN: exo-gpu-opt %s -p schedule --verify-diagnostics | filecheck %s
//
// split_k = 17: tile.gemm's verifier takes 1..16 K ranges per output tile, and rejects
// the file when it is read, before any pass.

builtin.module {
  "tile.gemm"() <{sym_name = "bad_split", dtype = "tf32", layout_a = "row", layout_b = "col", block_m = 64 : i64, block_n = 16 : i64, block_k = 32 : i64, consumers = 1 : i64, stages = 2 : i64, wait_depth = 1 : i64, consumer_maxnreg = 232 : i64, producer_maxnreg = 40 : i64, accumulate_c = 0 : i64, split_k = 17 : i64}> : () -> ()
}

// CHECK: exo-gpu-opt: error: {{.*}}split-k-out-of-range.mlir: invalid IR: split_k must be in 1..16 (K ranges per output tile), got 17
