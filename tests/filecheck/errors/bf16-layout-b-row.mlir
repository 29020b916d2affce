// RUN: not exo-gpu-opt %s -p schedule 2>&1 | filecheck %s
//
// bf16 may be MN-major in wgmma, so tile.gemm accepts layout_b = row, but schedule does not
// build transposed shared-memory tiles yet and says so.

builtin.module {
  "tile.gemm"() <{sym_name = "bf16_row", dtype = "bf16", layout_a = "row", layout_b = "row", block_m = 64 : i64, block_n = 16 : i64, block_k = 64 : i64, consumers = 1 : i64, stages = 2 : i64, wait_depth = 1 : i64, consumer_maxnreg = 232 : i64, producer_maxnreg = 40 : i64, accumulate_c = 0 : i64}> : () -> ()
}

// CHECK: exo-gpu-opt: error: tile.gemm @bf16_row: layout_a = row, layout_b = row needs MN-major (transposed) shared-memory tiles, which schedule does not build yet: use layout_a = row, layout_b = col (K-major A and B)
