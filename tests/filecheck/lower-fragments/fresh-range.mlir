// RUN: exo-gpu-opt %s -p lower-fragments,lower-to-ptx,tie-loop-carried,assign-registers,emit-ptx | filecheck %s
// RUN: exo-gpu-opt %s -p lower-fragments | filecheck %s --check-prefix=IR
//
// The accumulator is read again after the relu (a second store of the raw value), so the
// relu cannot overwrite it: its result gets a fresh range (ptx.acc_fresh, %acc4..%acc7,
// counted in the role's register budget) and the raw accumulator stays in %acc0..%acc3.

builtin.module {
  "warpgroup.kernel"() <{sym_name = "epi", dtype = "bf16", threads = 256 : i64, block_m = 64 : i64, block_n = 8 : i64, block_k = 64 : i64, wait_depth = 0 : i64, raster_group = 8 : i64}> ({
  ^bb0(%0: !tma.tensor_map, %1: !tma.tensor_map, %2: i64, %3: i32, %4: i32, %5: i32):
    "mbarrier.ring"() <{ring = "a", stages = 2 : i64, slot_bytes = 8192 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "mbarrier.ring"() <{ring = "b", stages = 2 : i64, slot_bytes = 1024 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "warpgroup.role"() <{role = "producer", first_warpgroup = 0 : i64, num_warpgroups = 1 : i64, maxnreg = 40 : i64}> ({
      "warpgroup.tile_loop"(%3, %4, %5) ({
      ^bb0(%6: i32, %7: i32):
        "warpgroup.k_loop"(%5) <{start = 0 : i64, block_k = 64 : i64, stages = 2 : i64}> ({
        ^bb0(%8: i32, %9: i32, %10: i32):
          "mbarrier.wait"(%9, %10) <{barrier = "empty", ring = "a"}> : (i32, i32) -> ()
          "mbarrier.arrive_expect_tx"(%9) <{bytes = 8192 : i64, ring = "a"}> : (i32) -> ()
          "tma.load"(%0, %9, %8) <{operand = "A", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 64 : i64, bytes = 8192 : i64, ring = "a"}> : (!tma.tensor_map, i32, i32) -> ()
          "mbarrier.wait"(%9, %10) <{barrier = "empty", ring = "b"}> : (i32, i32) -> ()
          "mbarrier.arrive_expect_tx"(%9) <{bytes = 1024 : i64, ring = "b"}> : (i32) -> ()
          "tma.load"(%1, %9, %8) <{operand = "B", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 8 : i64, bytes = 1024 : i64, ring = "b"}> : (!tma.tensor_map, i32, i32) -> ()
          "warpgroup.yield"() : () -> ()
        }) : (i32) -> ()
        "warpgroup.yield"() : () -> ()
      }) : (i32, i32, i32) -> ()
    }) : () -> ()
    "warpgroup.role"() <{role = "consumer", first_warpgroup = 1 : i64, num_warpgroups = 1 : i64, maxnreg = 232 : i64}> ({
      "warpgroup.tile_loop"(%3, %4, %5) ({
      ^bb0(%11: i32, %12: i32):
        %13, %14 = "warpgroup.ring_slot"(%11) <{stages = 2 : i64}> : (i32) -> (i32, i32)
        "mbarrier.wait"(%13, %14) <{barrier = "full", ring = "a"}> : (i32, i32) -> ()
        "mbarrier.wait"(%13, %14) <{barrier = "full", ring = "b"}> : (i32, i32) -> ()
        wgmma.fence
        %15 = "wgmma.mma_async"(%13) <{dtype = "bf16", k = 16 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 0 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 0, 1, 0, 0>}> : (i32) -> !wgmma.accumulator<m64n8, f32>
        %16 = "wgmma.mma_async"(%15, %13) <{dtype = "bf16", k = 16 : i64, a_offset = 32 : i64, b_offset = 32 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (!wgmma.accumulator<m64n8, f32>, i32) -> !wgmma.accumulator<m64n8, f32>
        %17 = "wgmma.mma_async"(%16, %13) <{dtype = "bf16", k = 16 : i64, a_offset = 64 : i64, b_offset = 64 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (!wgmma.accumulator<m64n8, f32>, i32) -> !wgmma.accumulator<m64n8, f32>
        %18 = "wgmma.mma_async"(%17, %13) <{dtype = "bf16", k = 16 : i64, a_offset = 96 : i64, b_offset = 96 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (!wgmma.accumulator<m64n8, f32>, i32) -> !wgmma.accumulator<m64n8, f32>
        wgmma.commit_group
        %19 = "wgmma.wait_group"(%18) <{pending = 0 : i64}> : (!wgmma.accumulator<m64n8, f32>) -> !wgmma.accumulator<m64n8, f32>
        "mbarrier.arrive"(%13) <{lag = 0 : i64, ring = "a"}> : (i32) -> ()
        "mbarrier.arrive"(%13) <{lag = 0 : i64, ring = "b"}> : (i32) -> ()
        %20 = "warpgroup.k_loop"(%5, %19) <{start = 1 : i64, block_k = 64 : i64, stages = 2 : i64}> ({
        ^bb0(%21: i32, %22: i32, %23: i32, %24: !wgmma.accumulator<m64n8, f32>):
          "mbarrier.wait"(%22, %23) <{barrier = "full", ring = "a"}> : (i32, i32) -> ()
          "mbarrier.wait"(%22, %23) <{barrier = "full", ring = "b"}> : (i32, i32) -> ()
          wgmma.fence
          %25 = "wgmma.mma_async"(%24, %22) <{dtype = "bf16", k = 16 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (!wgmma.accumulator<m64n8, f32>, i32) -> !wgmma.accumulator<m64n8, f32>
          %26 = "wgmma.mma_async"(%25, %22) <{dtype = "bf16", k = 16 : i64, a_offset = 32 : i64, b_offset = 32 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (!wgmma.accumulator<m64n8, f32>, i32) -> !wgmma.accumulator<m64n8, f32>
          %27 = "wgmma.mma_async"(%26, %22) <{dtype = "bf16", k = 16 : i64, a_offset = 64 : i64, b_offset = 64 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (!wgmma.accumulator<m64n8, f32>, i32) -> !wgmma.accumulator<m64n8, f32>
          %28 = "wgmma.mma_async"(%27, %22) <{dtype = "bf16", k = 16 : i64, a_offset = 96 : i64, b_offset = 96 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (!wgmma.accumulator<m64n8, f32>, i32) -> !wgmma.accumulator<m64n8, f32>
          wgmma.commit_group
          %29 = "wgmma.wait_group"(%28) <{pending = 0 : i64}> : (!wgmma.accumulator<m64n8, f32>) -> !wgmma.accumulator<m64n8, f32>
          "mbarrier.arrive"(%22) <{lag = 0 : i64, ring = "a"}> : (i32) -> ()
          "mbarrier.arrive"(%22) <{lag = 0 : i64, ring = "b"}> : (i32) -> ()
          "warpgroup.yield"(%29) : (!wgmma.accumulator<m64n8, f32>) -> ()
        }) : (i32, !wgmma.accumulator<m64n8, f32>) -> !wgmma.accumulator<m64n8, f32>
        %30 = "wgmma.wait_group"(%20) <{pending = 0 : i64}> : (!wgmma.accumulator<m64n8, f32>) -> !wgmma.accumulator<m64n8, f32>
        %31 = wgmma.frag_unary "relu" %30 : !wgmma.accumulator<m64n8, f32>
        "wgmma.store_accumulator"(%31, %2, %3, %4) <{row_offset = 0 : i64, accumulate_c = 0 : i64}> : (!wgmma.accumulator<m64n8, f32>, i64, i32, i32) -> ()
        "wgmma.store_accumulator"(%30, %2, %3, %4) <{row_offset = 0 : i64, accumulate_c = 0 : i64}> : (!wgmma.accumulator<m64n8, f32>, i64, i32, i32) -> ()
        "warpgroup.yield"() : () -> ()
      }) : (i32, i32, i32) -> ()
    }) : () -> ()
  }) : () -> ()
}


// IR:      "ptx.acc_fresh"() : () -> !ptx.acc<4>

// CHECK:       // %acc4..: a fresh range for an epilogue value
// CHECK:       mov.f32 %f[[Z:[0-9]+]], 0f00000000;
// CHECK-NEXT:  max.f32 %acc4, %acc0, %f[[Z]];
// CHECK-NEXT:  max.f32 %acc5, %acc1, %f[[Z]];
// CHECK-NEXT:  max.f32 %acc6, %acc2, %f[[Z]];
// CHECK-NEXT:  max.f32 %acc7, %acc3, %f[[Z]];
// CHECK:       st.global.v2.f32 [%rd{{[0-9]+}}], {%acc4, %acc5};
// CHECK:       st.global.v2.f32 [%rd{{[0-9]+}}], {%acc0, %acc1};
