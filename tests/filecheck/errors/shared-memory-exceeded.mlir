// RUN: exo-gpu-opt %s -p schedule --verify-diagnostics | filecheck %s
//
// 8 stages of a 64 x 256 tf32 block: 8 x (8192 + 32768) + 8 x 16 + 1024 = 328832 bytes of
// shared memory, over the 227 KiB (232448 bytes) a block may use.  warpgroup.kernel's
// verifier rejects what schedule built.

builtin.module {
  "tile.gemm"() <{sym_name = "smem", dtype = "tf32", layout_a = "row", layout_b = "col", block_m = 64 : i64, block_n = 256 : i64, block_k = 32 : i64, consumers = 1 : i64, stages = 8 : i64, wait_depth = 1 : i64, consumer_maxnreg = 232 : i64, producer_maxnreg = 40 : i64, accumulate_c = 0 : i64}> : () -> ()
}

// CHECK: exo-gpu-opt: error: schedule: warpgroup.kernel @smem: shared memory 328832 bytes exceeds the 232448-byte limit: use fewer stages or a smaller block
