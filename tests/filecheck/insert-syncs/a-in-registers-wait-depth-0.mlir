// RUN: exo-gpu-opt %s -p insert-syncs | filecheck %s
//
// As a-in-registers.mlir, with wait_depth 0: every stage's wait_group 0 retires its wgmmas
// before the next K block loads its fragments, so the K loop is not unrolled.

builtin.module {
  "warpgroup.kernel"() <{sym_name = "rs", dtype = "bf16", threads = 256 : i64, block_m = 64 : i64, block_n = 16 : i64, block_k = 64 : i64, wait_depth = 0 : i64, raster_group = 8 : i64}> ({
  ^bb0(%0: !tma.tensor_map, %1: !tma.tensor_map, %2: i64, %3: i32, %4: i32, %5: i32):
    "mbarrier.ring"() <{ring = "a", stages = 2 : i64, slot_bytes = 8192 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "mbarrier.ring"() <{ring = "b", stages = 2 : i64, slot_bytes = 2048 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "warpgroup.role"() <{role = "producer", first_warpgroup = 0 : i64, num_warpgroups = 1 : i64, maxnreg = 40 : i64}> ({
      "warpgroup.tile_loop"(%3, %4, %5) ({
      ^bb0(%6: i32, %7: i32):
        "warpgroup.k_loop"(%5) <{start = 0 : i64, block_k = 64 : i64, stages = 2 : i64}> ({
        ^bb0(%8: i32, %9: i32, %10: i32):
          "tma.load"(%0, %9, %8) <{operand = "A", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 64 : i64, bytes = 8192 : i64, ring = "a"}> : (!tma.tensor_map, i32, i32) -> ()
          "tma.load"(%1, %9, %8) <{operand = "B", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 16 : i64, bytes = 2048 : i64, ring = "b"}> : (!tma.tensor_map, i32, i32) -> ()
          "warpgroup.yield"() : () -> ()
        }) : (i32) -> ()
        "warpgroup.yield"() : () -> ()
      }) : (i32, i32, i32) -> ()
    }) : () -> ()
    "warpgroup.role"() <{role = "consumer", first_warpgroup = 1 : i64, num_warpgroups = 1 : i64, maxnreg = 232 : i64}> ({
      "warpgroup.tile_loop"(%3, %4, %5) ({
      ^bb0(%11: i32, %12: i32):
        %13, %14 = "warpgroup.ring_slot"(%11) <{stages = 2 : i64}> : (i32) -> (i32, i32)
        %15 = "wgmma.load_fragment_a"(%13) <{a_offset = 0 : i64, ring = "a"}> : (i32) -> !wgmma.fragment_a<m64k16, bf16>
        %16 = "wgmma.load_fragment_a"(%13) <{a_offset = 32 : i64, ring = "a"}> : (i32) -> !wgmma.fragment_a<m64k16, bf16>
        %17 = "wgmma.load_fragment_a"(%13) <{a_offset = 64 : i64, ring = "a"}> : (i32) -> !wgmma.fragment_a<m64k16, bf16>
        %18 = "wgmma.load_fragment_a"(%13) <{a_offset = 96 : i64, ring = "a"}> : (i32) -> !wgmma.fragment_a<m64k16, bf16>
        %19 = "wgmma.mma_async_rs"(%13, %15) <{dtype = "bf16", k = 16 : i64, b_offset = 0 : i64, scale_d = 0 : i64, b_ring = "b", operandSegmentSizes = array<i32: 0, 1, 1>}> : (i32, !wgmma.fragment_a<m64k16, bf16>) -> !wgmma.accumulator<m64n16, f32>
        %20 = "wgmma.mma_async_rs"(%19, %13, %16) <{dtype = "bf16", k = 16 : i64, b_offset = 32 : i64, scale_d = 1 : i64, b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 1>}> : (!wgmma.accumulator<m64n16, f32>, i32, !wgmma.fragment_a<m64k16, bf16>) -> !wgmma.accumulator<m64n16, f32>
        %21 = "wgmma.mma_async_rs"(%20, %13, %17) <{dtype = "bf16", k = 16 : i64, b_offset = 64 : i64, scale_d = 1 : i64, b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 1>}> : (!wgmma.accumulator<m64n16, f32>, i32, !wgmma.fragment_a<m64k16, bf16>) -> !wgmma.accumulator<m64n16, f32>
        %22 = "wgmma.mma_async_rs"(%21, %13, %18) <{dtype = "bf16", k = 16 : i64, b_offset = 96 : i64, scale_d = 1 : i64, b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 1>}> : (!wgmma.accumulator<m64n16, f32>, i32, !wgmma.fragment_a<m64k16, bf16>) -> !wgmma.accumulator<m64n16, f32>
        %23 = "warpgroup.k_loop"(%5, %22) <{start = 1 : i64, block_k = 64 : i64, stages = 2 : i64}> ({
        ^bb0(%24: i32, %25: i32, %26: i32, %27: !wgmma.accumulator<m64n16, f32>):
          %28 = "wgmma.load_fragment_a"(%25) <{a_offset = 0 : i64, ring = "a"}> : (i32) -> !wgmma.fragment_a<m64k16, bf16>
          %29 = "wgmma.load_fragment_a"(%25) <{a_offset = 32 : i64, ring = "a"}> : (i32) -> !wgmma.fragment_a<m64k16, bf16>
          %30 = "wgmma.load_fragment_a"(%25) <{a_offset = 64 : i64, ring = "a"}> : (i32) -> !wgmma.fragment_a<m64k16, bf16>
          %31 = "wgmma.load_fragment_a"(%25) <{a_offset = 96 : i64, ring = "a"}> : (i32) -> !wgmma.fragment_a<m64k16, bf16>
          %32 = "wgmma.mma_async_rs"(%27, %25, %28) <{dtype = "bf16", k = 16 : i64, b_offset = 0 : i64, scale_d = 1 : i64, b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 1>}> : (!wgmma.accumulator<m64n16, f32>, i32, !wgmma.fragment_a<m64k16, bf16>) -> !wgmma.accumulator<m64n16, f32>
          %33 = "wgmma.mma_async_rs"(%32, %25, %29) <{dtype = "bf16", k = 16 : i64, b_offset = 32 : i64, scale_d = 1 : i64, b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 1>}> : (!wgmma.accumulator<m64n16, f32>, i32, !wgmma.fragment_a<m64k16, bf16>) -> !wgmma.accumulator<m64n16, f32>
          %34 = "wgmma.mma_async_rs"(%33, %25, %30) <{dtype = "bf16", k = 16 : i64, b_offset = 64 : i64, scale_d = 1 : i64, b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 1>}> : (!wgmma.accumulator<m64n16, f32>, i32, !wgmma.fragment_a<m64k16, bf16>) -> !wgmma.accumulator<m64n16, f32>
          %35 = "wgmma.mma_async_rs"(%34, %25, %31) <{dtype = "bf16", k = 16 : i64, b_offset = 96 : i64, scale_d = 1 : i64, b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 1>}> : (!wgmma.accumulator<m64n16, f32>, i32, !wgmma.fragment_a<m64k16, bf16>) -> !wgmma.accumulator<m64n16, f32>
          "warpgroup.yield"(%35) : (!wgmma.accumulator<m64n16, f32>) -> ()
        }) : (i32, !wgmma.accumulator<m64n16, f32>) -> !wgmma.accumulator<m64n16, f32>
        "wgmma.store_accumulator"(%23, %2, %3, %4) <{row_offset = 0 : i64, accumulate_c = 0 : i64}> : (!wgmma.accumulator<m64n16, f32>, i64, i32, i32) -> ()
        "warpgroup.yield"() : () -> ()
      }) : (i32, i32, i32) -> ()
    }) : () -> ()
  }) : () -> ()
}

// CHECK:       "warpgroup.role"() <{role = "consumer"
// CHECK:         "warpgroup.k_loop"({{.*}}) <{start = 1 : i64, block_k = 64 : i64, stages = 2 : i64}>
// CHECK-NOT:     unroll
// CHECK-COUNT-4:   "wgmma.load_fragment_a"
// CHECK-NEXT:      wgmma.fence
// CHECK-COUNT-4:   "wgmma.mma_async_rs"
// CHECK-NEXT:      wgmma.commit_group
// CHECK-NEXT:      "wgmma.wait_group"({{.*}}) <{pending = 0 : i64}>
