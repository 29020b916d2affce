// RUN: exo-gpu-opt %s -p schedule | filecheck %s
//
// Every tile.gemm of the module becomes its own warpgroup.kernel, in order, named after it.

builtin.module {
  "tile.gemm"() <{sym_name = "first", dtype = "tf32", layout_a = "row", layout_b = "col", block_m = 64 : i64, block_n = 16 : i64, block_k = 32 : i64, consumers = 1 : i64, stages = 2 : i64, wait_depth = 1 : i64, consumer_maxnreg = 232 : i64, producer_maxnreg = 40 : i64, accumulate_c = 0 : i64}> : () -> ()
  "tile.gemm"() <{sym_name = "second", dtype = "f16", layout_a = "row", layout_b = "col", block_m = 128 : i64, block_n = 64 : i64, block_k = 64 : i64, consumers = 2 : i64, stages = 4 : i64, wait_depth = 0 : i64, consumer_maxnreg = 224 : i64, producer_maxnreg = 24 : i64, accumulate_c = 0 : i64}> : () -> ()
}

// CHECK-NOT:  "tile.gemm"
// CHECK:      "warpgroup.kernel"() <{sym_name = "first", dtype = "tf32", threads = 256 : i64
// CHECK:        "warpgroup.role"() <{role = "producer", first_warpgroup = 0 : i64, num_warpgroups = 1 : i64, maxnreg = 40 : i64}>
// CHECK:        "warpgroup.role"() <{role = "consumer", first_warpgroup = 1 : i64, num_warpgroups = 1 : i64, maxnreg = 232 : i64}>
// CHECK:      "warpgroup.kernel"() <{sym_name = "second", dtype = "f16", threads = 384 : i64, block_m = 128 : i64, block_n = 64 : i64, block_k = 64 : i64, stages = 4 : i64, a_slot_bytes = 16384 : i64, b_slot_bytes = 8192 : i64, wait_depth = 0 : i64, raster_group = 8 : i64}>
// CHECK:        "warpgroup.role"() <{role = "producer", first_warpgroup = 0 : i64, num_warpgroups = 1 : i64, maxnreg = 24 : i64}>
// CHECK:        "warpgroup.role"() <{role = "consumer", first_warpgroup = 1 : i64, num_warpgroups = 2 : i64, maxnreg = 224 : i64}>
// f16: k = 16, so 4 instructions per 64-wide K block.
// CHECK:          "wgmma.mma_async"({{.*}}) <{dtype = "f16", k = 16 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 0 : i64
// CHECK-NOT:  "tile.gemm"
