// RUN: exo-gpu-opt %s -p schedule --verify-diagnostics | filecheck %s
//
// bf16 may be N-major in wgmma (layout_b = row), but B is then loaded as 128-byte swizzle
// atoms of 64 columns, so block_n must be a multiple of 64: N = 16 is rejected by
// tile.gemm's verifier, saying what to change.

builtin.module {
  "tile.gemm"() <{sym_name = "bf16_row", dtype = "bf16", layout_a = "row", layout_b = "row", block_m = 64 : i64, block_n = 16 : i64, block_k = 64 : i64, consumers = 1 : i64, stages = 2 : i64, wait_depth = 1 : i64, consumer_maxnreg = 232 : i64, producer_maxnreg = 40 : i64, accumulate_c = 0 : i64}> : () -> ()
}

// CHECK: exo-gpu-opt: error: {{.*}}bf16-layout-b-row.mlir: invalid IR: layout_b = row (N-major B) loads B in 64-column swizzle atoms: block_n must be a multiple of 64, got 16
