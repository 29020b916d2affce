// RUN: exo-gpu-opt %s -p schedule --verify-diagnostics | filecheck %s
//
// cluster_m = 2 and cluster_n = 2 would make a 2x2 cluster sharing A along N and B along M:
// not supported (each operand is multicast to a pair only).  tile.gemm's verifier rejects it
// when the file is read, before any pass, and says what to use instead.

builtin.module {
  "tile.gemm"() <{sym_name = "quad", dtype = "bf16", layout_a = "row", layout_b = "col", block_m = 128 : i64, block_n = 64 : i64, block_k = 64 : i64, consumers = 2 : i64, stages = 2 : i64, wait_depth = 1 : i64, consumer_maxnreg = 232 : i64, producer_maxnreg = 40 : i64, accumulate_c = 0 : i64, cluster_n = 2 : i64, cluster_m = 2 : i64}> : () -> ()
}

// CHECK: exo-gpu-opt: error: {{.*}}cluster-2x2.mlir: invalid IR: a 2x2 cluster (cluster_m = 2 and cluster_n = 2) is not supported: use cluster_m = 2 (B multicast) or cluster_n = 2 (A multicast), not both
