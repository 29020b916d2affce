// RUN: exo-gpu-opt %s -p schedule --verify-diagnostics | filecheck %s
//
// block_n = 100 is not a wgmma N (a multiple of 8 from 8 to 256): tile.gemm's verifier
// rejects it when the file is read, before any pass.

builtin.module {
  "tile.gemm"() <{sym_name = "bad_n", dtype = "tf32", layout_a = "row", layout_b = "col", block_m = 64 : i64, block_n = 100 : i64, block_k = 32 : i64, consumers = 1 : i64, stages = 2 : i64, wait_depth = 1 : i64, consumer_maxnreg = 232 : i64, producer_maxnreg = 40 : i64, accumulate_c = 0 : i64}> : () -> ()
}

// CHECK: exo-gpu-opt: error: {{.*}}illegal-block-n.mlir: invalid IR: block_n = 100: wgmma N must be a multiple of 8 from 8 to 256, got 100
