// RUN: exo-gpu-opt %s -p schedule | filecheck %s
//
// f16, only A MN-major (layout_a = col), B K-major as before: A's loads and K steps are the
// MN-major ones (trans_a = 1, 2048 bytes), B keeps one K-major box of N rows and 32-byte
// K steps, and its wgmma carries no trans_b.

builtin.module {
  "tile.gemm"() <{sym_name = "mn_a", dtype = "f16", layout_a = "col", layout_b = "col", block_m = 64 : i64, block_n = 96 : i64, block_k = 64 : i64, consumers = 1 : i64, stages = 2 : i64, wait_depth = 1 : i64, consumer_maxnreg = 232 : i64, producer_maxnreg = 40 : i64, accumulate_c = 0 : i64}> : () -> ()
}

// CHECK:       "tma.load"({{.*}}) <{operand = "A", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 64 : i64, bytes = 8192 : i64, major = "mn"}>
// CHECK-NEXT:  "tma.load"({{.*}}) <{operand = "B", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 96 : i64, bytes = 12288 : i64}>
// CHECK-NEXT:  "warpgroup.yield"
// CHECK:       "wgmma.mma_async"({{.*}}) <{dtype = "f16", k = 16 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 0 : i64, trans_a = 1 : i64, operandSegmentSizes
// CHECK-NEXT:  "wgmma.mma_async"({{.*}}) <{dtype = "f16", k = 16 : i64, a_offset = 2048 : i64, b_offset = 32 : i64, scale_d = 1 : i64, trans_a = 1 : i64, operandSegmentSizes
// CHECK-NOT:   trans_b
