// RUN: exo-gpu-opt %s -p schedule --verify-diagnostics | filecheck %s
//
// cluster_m = 2 splits each B box between the two blocks of the pair.  block_n = 24 would
// give halves of 12 rows: a half must be a multiple of 8 rows, so that it starts on a
// 1024-byte 128-byte-swizzle atom.  tile.gemm's verifier rejects it before any pass.

builtin.module {
  "tile.gemm"() <{sym_name = "odd_half", dtype = "tf32", layout_a = "row", layout_b = "col", block_m = 128 : i64, block_n = 24 : i64, block_k = 32 : i64, consumers = 2 : i64, stages = 2 : i64, wait_depth = 1 : i64, consumer_maxnreg = 232 : i64, producer_maxnreg = 40 : i64, accumulate_c = 0 : i64, cluster_m = 2 : i64}> : () -> ()
}

// CHECK: exo-gpu-opt: error: {{.*}}cluster-2x1-block-n.mlir: invalid IR: cluster_m = 2 splits B's block_n = 24 rows in two halves, each a multiple of 8 rows (the 128-byte swizzle atom): use a block_n that is a multiple of 16
