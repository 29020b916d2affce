// RUN: exo-gpu-opt %s --split-input-file --verify-diagnostics -p schedule | filecheck %s
//
// --split-input-file runs each chunk (separated by the usual five-dash line) on its own; with --verify-diagnostics each
// chunk's error is printed as its result (line numbers are those of the whole file) and the
// run succeeds.

builtin.module {
  "tile.gemm"() <{sym_name = "bad_n", dtype = "tf32", layout_a = "row", layout_b = "col", block_m = 64 : i64, block_n = 100 : i64, block_k = 32 : i64, consumers = 1 : i64, stages = 2 : i64, wait_depth = 1 : i64, consumer_maxnreg = 232 : i64, producer_maxnreg = 40 : i64, accumulate_c = 0 : i64}> : () -> ()
}

// -----

builtin.module {
  "tile.gemm"() <{sym_name = "bad_stages", dtype = "tf32", layout_a = "row", layout_b = "col", block_m = 64 : i64, block_n = 64 : i64, block_k = 32 : i64, consumers = 1 : i64, stages = 0 : i64, wait_depth = 1 : i64, consumer_maxnreg = 232 : i64, producer_maxnreg = 40 : i64, accumulate_c = 0 : i64}> : () -> ()
}

// CHECK: exo-gpu-opt: error: {{.*}}split-input-file.mlir: invalid IR: block_n = 100
// CHECK-NEXT: {{^}}//{{ }}-----
// CHECK: exo-gpu-opt: error: {{.*}}split-input-file.mlir: invalid IR: {{.*}}stages
