// RUN: exo-gpu-opt %s -p schedule --verify-diagnostics | filecheck %s
//
// tf32 wgmma has no transpose bits: A and B must be K-major (layout_a = row,
// layout_b = col).  layout_b = row is rejected by tile.gemm's verifier.

builtin.module {
  "tile.gemm"() <{sym_name = "tf32_row", dtype = "tf32", layout_a = "row", layout_b = "row", block_m = 64 : i64, block_n = 16 : i64, block_k = 32 : i64, consumers = 1 : i64, stages = 2 : i64, wait_depth = 1 : i64, consumer_maxnreg = 232 : i64, producer_maxnreg = 40 : i64, accumulate_c = 0 : i64}> : () -> ()
}

// CHECK: exo-gpu-opt: error: {{.*}}tf32-layout-b-row.mlir: invalid IR: tf32 wgmma reads A and B K-major only: use layout_a = row and layout_b = col (got layout_a = row, layout_b = row)
