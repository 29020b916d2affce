// RUN: exo-gpu-opt %s -p schedule | filecheck %s
//
// tile.gemm's `accumulator = "f16"` (f16 inputs, 1 consumer, 2 m64n16 tiles, 2 stages):
// every accumulator value of the kernel is !wgmma.accumulator<m64n16, f16>, the peeled first
// mma of each tile, the K loop's carried values and results, and the epilogue's operands.

builtin.module {
  "tile.gemm"() <{sym_name = "acc16", dtype = "f16", layout_a = "row", layout_b = "col", block_m = 128 : i64, block_n = 16 : i64, block_k = 64 : i64, consumers = 1 : i64, stages = 2 : i64, wait_depth = 1 : i64, consumer_maxnreg = 232 : i64, producer_maxnreg = 40 : i64, accumulate_c = 0 : i64, accumulator = "f16"}> : () -> ()
}

// CHECK:       "warpgroup.kernel"() <{sym_name = "acc16", dtype = "f16",
// CHECK:       %[[T0:[0-9]+]] = "wgmma.mma_async"(%{{[0-9]+}}) <{dtype = "f16", k = 16 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 0 : i64, {{.*}}}> : (i32) -> !wgmma.accumulator<m64n16, f16>
// CHECK-COUNT-3: "wgmma.mma_async"(%{{[0-9]+}}, %{{[0-9]+}}) <{dtype = "f16", k = 16 : i64, {{.*}} scale_d = 1 : i64, {{.*}}}> : (!wgmma.accumulator<m64n16, f16>, i32) -> !wgmma.accumulator<m64n16, f16>
// CHECK-NEXT:  %[[T1:[0-9]+]] = "wgmma.mma_async"(%{{[0-9]+}}) <{dtype = "f16", k = 16 : i64, a_offset = 8192 : i64, b_offset = 0 : i64, scale_d = 0 : i64, {{.*}}}> : (i32) -> !wgmma.accumulator<m64n16, f16>
// CHECK:       ^bb{{[0-9]+}}(%{{[0-9]+}}: i32, %{{[0-9]+}}: i32, %{{[0-9]+}}: i32, %{{[0-9]+}}: !wgmma.accumulator<m64n16, f16>, %{{[0-9]+}}: !wgmma.accumulator<m64n16, f16>):
// CHECK:       }) : (i32, !wgmma.accumulator<m64n16, f16>, !wgmma.accumulator<m64n16, f16>) -> (!wgmma.accumulator<m64n16, f16>, !wgmma.accumulator<m64n16, f16>)
// CHECK-NEXT:  "wgmma.store_accumulator"(%{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}}) <{row_offset = 0 : i64, accumulate_c = 0 : i64}> : (!wgmma.accumulator<m64n16, f16>, i64, i32, i32) -> ()
// CHECK-NEXT:  "wgmma.store_accumulator"(%{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}}) <{row_offset = 64 : i64, accumulate_c = 0 : i64}> : (!wgmma.accumulator<m64n16, f16>, i64, i32, i32) -> ()
// CHECK-NOT:   f32>
