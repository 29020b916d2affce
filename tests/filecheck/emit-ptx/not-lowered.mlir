// RUN: not exo-gpu-opt %s -p emit-ptx 2>&1 | filecheck %s
//
// A module without a ptx.entry (here still tile IR) cannot be printed as PTX.

builtin.module {
  "tile.gemm"() <{sym_name = "g", dtype = "tf32", layout_a = "row", layout_b = "col", block_m = 64 : i64, block_n = 16 : i64, block_k = 32 : i64, consumers = 1 : i64, stages = 2 : i64, wait_depth = 1 : i64, consumer_maxnreg = 232 : i64, producer_maxnreg = 40 : i64, accumulate_c = 0 : i64}> : () -> ()
}

// CHECK: exo-gpu-opt: error: emit-ptx: the module has no ptx.entry: run the pipeline up to assign-registers first
