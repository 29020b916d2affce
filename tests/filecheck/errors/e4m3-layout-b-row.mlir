// RUN: exo-gpu-opt %s -p schedule --verify-diagnostics | filecheck %s
//
// fp8 wgmma has no imm-trans-b either: an N-major (row-major) B is rejected.

builtin.module {
  "tile.gemm"() <{sym_name = "e4m3_row", dtype = "e4m3", layout_a = "row", layout_b = "row", block_m = 64 : i64, block_n = 128 : i64, block_k = 128 : i64, consumers = 1 : i64, stages = 2 : i64, wait_depth = 1 : i64, consumer_maxnreg = 232 : i64, producer_maxnreg = 40 : i64, accumulate_c = 0 : i64}> : () -> ()
}

// CHECK: exo-gpu-opt: error: {{.*}}e4m3-layout-b-row.mlir: invalid IR: e4m3 wgmma reads A and B K-major only: use layout_a = row and layout_b = col (got layout_a = row, layout_b = row)
