// RUN: exo-gpu-opt %s -p schedule | filecheck %s
//
// cluster_m = 2: two blocks along M share B.  The B box (32 rows) is multicast, each block
// of the pair loading half of it; the A boxes stay each block's own (no multicast).  The
// kernel records the cluster along M, and empty[s] counts one arrival per consumer warp of
// both blocks (4 warps x 2 consumer warpgroups x 2 blocks).

builtin.module {
  "tile.gemm"() <{sym_name = "mpair", dtype = "tf32", layout_a = "row", layout_b = "col", block_m = 128 : i64, block_n = 32 : i64, block_k = 32 : i64, consumers = 2 : i64, stages = 2 : i64, wait_depth = 1 : i64, consumer_maxnreg = 232 : i64, producer_maxnreg = 40 : i64, accumulate_c = 0 : i64, cluster_m = 2 : i64}> : () -> ()
}

// CHECK:       "warpgroup.kernel"() <{sym_name = "mpair", {{.*}}, raster_group = 8 : i64, cluster_m = 2 : i64}>
// CHECK-NEXT:  ^bb0
// CHECK-NEXT:    "mbarrier.init_ring"() <{stages = 2 : i64, full_count = 1 : i64, empty_count = 16 : i64}>
// CHECK:           "tma.load"({{.*}}) <{operand = "A", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 64 : i64, bytes = 8192 : i64}>
// CHECK-NEXT:      "tma.load"({{.*}}) <{operand = "A", row_offset = 64 : i64, smem_offset = 8192 : i64, box_rows = 64 : i64, bytes = 8192 : i64}>
// CHECK-NEXT:      "tma.load"({{.*}}) <{operand = "B", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 32 : i64, bytes = 4096 : i64, multicast = 2 : i64}>
// CHECK-NEXT:      "warpgroup.yield"
