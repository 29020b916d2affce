// RUN: exo-gpu-opt %s -p lower-fragments,lower-to-ptx,tie-loop-carried,assign-registers,emit-ptx | filecheck %s
//
// A bias along M (frag_load_vector along = "row", f32), as the left operand.  Each thread
// loads its two rows, row0 + 16 warp + lane / 4 and 8 below (+32 bytes), masked at M, and
// adds them to its registers of that row (0, 1: first row; 2, 3: the row 8 below).

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
        %31, %32 = wgmma.tile_origin {row_offset = 0 : i64} : i32, i32
        %33 = wgmma.frag_load_vector %2[%31], %3 {along = "row", dtype = "f32"} : !wgmma.accumulator<m64n8, f32>
        %34 = wgmma.frag_binary "add" %33, %30 : !wgmma.accumulator<m64n8, f32>, !wgmma.accumulator<m64n8, f32>
        "wgmma.store_accumulator"(%34, %2, %3, %4) <{row_offset = 0 : i64, accumulate_c = 0 : i64}> : (!wgmma.accumulator<m64n8, f32>, i64, i32, i32) -> ()
        "warpgroup.yield"() : () -> ()
      }) : (i32, i32, i32) -> ()
    }) : () -> ()
  }) : () -> ()
}


// CHECK:       wgmma.wait_group.sync.aligned 0;
// CHECK:       wgmma.wait_group.sync.aligned 0;
// CHECK:       mov.u32 %r[[TID:[0-9]+]], %tid.x;
// CHECK-NEXT:  and.b32 %r[[LANE:[0-9]+]], %r[[TID]], 31;
// CHECK-NEXT:  shr.u32 %r[[W0:[0-9]+]], %r[[TID]], 5;
// CHECK-NEXT:  and.b32 %r[[WARP:[0-9]+]], %r[[W0]], 3;
// CHECK-NEXT:  shr.u32 %r[[G:[0-9]+]], %r[[LANE]], 2;
// CHECK-NEXT:  mad.lo.u32 %r[[TR:[0-9]+]], %r[[WARP]], 16, %r[[G]];
// CHECK:       add.u32 %r[[R:[0-9]+]], %r{{[0-9]+}}, %r[[TR]];
// CHECK:       setp.lt.u32 %p[[OK0:[0-9]+]], %r[[R]], %r[[M:[0-9]+]];
// CHECK-NEXT:  mov.f32 %f[[B0:[0-9]+]], 0f00000000;
// CHECK-NEXT:  @%p[[OK0]] ld.global.f32 %f[[B0]], [%rd[[ADDR:[0-9]+]]];
// CHECK-NEXT:  add.f32 %acc0, %f[[B0]], %acc0;
// CHECK-NEXT:  add.f32 %acc1, %f[[B0]], %acc1;
// CHECK-NEXT:  add.u32 %r[[R8:[0-9]+]], %r[[R]], 8;
// CHECK-NEXT:  setp.lt.u32 %p[[OK1:[0-9]+]], %r[[R8]], %r[[M]];
// CHECK-NEXT:  mov.f32 %f[[B1:[0-9]+]], 0f00000000;
// CHECK-NEXT:  @%p[[OK1]] ld.global.f32 %f[[B1]], [%rd[[ADDR]]+32];
// CHECK-NEXT:  add.f32 %acc2, %f[[B1]], %acc2;
// CHECK-NEXT:  add.f32 %acc3, %f[[B1]], %acc3;
