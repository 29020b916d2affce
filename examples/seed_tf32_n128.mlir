builtin.module {
  "tile.gemm"() <{sym_name = "gemm_tf32_m256n128_c2_s4_w1", dtype = "tf32", layout_a = "row", layout_b = "col", block_m = 256 : i64, block_n = 128 : i64, block_k = 32 : i64, consumers = 2 : i64, stages = 4 : i64, wait_depth = 1 : i64, consumer_maxnreg = 232 : i64, producer_maxnreg = 40 : i64, accumulate_c = 0 : i64, raster_group = 8 : i64, cluster_n = 1 : i64}> : () -> ()
}
