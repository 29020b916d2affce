// RUN: exo-gpu-opt %s -p lower-fragments,lower-to-ptx,tie-loop-carried,assign-registers,emit-ptx | filecheck %s
//
// Masks before a row softmax: frag_iota gives each register's row or column index (plus a
// base) as f32 (cvt.rn.f32.u32 of the thread's index), frag_splat of the i32 N gives N as
// f32, and frag_select is setp.CMP.f32 then selp.f32: a causal mask on the tile's local
// indices (column <= row) and an edge mask on global columns (column < N), -inf elsewhere.
// The masked value is read twice (rowmax, subtraction), so it is written in place, register
// by register: the first select into a temporary, the second into the register.

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
        %33 = arith.constant 0 : i32
        %34 = wgmma.frag_iota %33 {dim = 0 : i64} : !wgmma.accumulator<m64n8, f32>
        %35 = wgmma.frag_iota %33 {dim = 1 : i64} : !wgmma.accumulator<m64n8, f32>
        %36 = wgmma.frag_iota %32 {dim = 1 : i64} : !wgmma.accumulator<m64n8, f32>
        %37 = arith.constant 0xff800000 : f32
        %38 = wgmma.frag_splat %37 : f32 -> !wgmma.accumulator<m64n8, f32>
        %39 = wgmma.frag_select "le" %35, %34, %30, %38 : !wgmma.accumulator<m64n8, f32>, !wgmma.accumulator<m64n8, f32>, !wgmma.accumulator<m64n8, f32>, !wgmma.accumulator<m64n8, f32> -> !wgmma.accumulator<m64n8, f32>
        %40 = wgmma.frag_splat %4 : i32 -> !wgmma.accumulator<m64n8, f32>
        %41 = wgmma.frag_select "lt" %36, %40, %39, %38 : !wgmma.accumulator<m64n8, f32>, !wgmma.accumulator<m64n8, f32>, !wgmma.accumulator<m64n8, f32>, !wgmma.accumulator<m64n8, f32> -> !wgmma.accumulator<m64n8, f32>
        %42 = wgmma.frag_reduce "max" %41 {dim = 1 : i64} : !wgmma.accumulator<m64n8, f32> -> !wgmma.row_vector<m64, f32>
        %43 = wgmma.frag_binary "sub" %41, %42 : !wgmma.accumulator<m64n8, f32>, !wgmma.row_vector<m64, f32>
        %44 = wgmma.frag_unary "exp2" %43 : !wgmma.accumulator<m64n8, f32>
        %45 = wgmma.frag_reduce "sum" %44 {dim = 1 : i64} : !wgmma.accumulator<m64n8, f32> -> !wgmma.row_vector<m64, f32>
        %46 = wgmma.frag_binary "div" %44, %45 : !wgmma.accumulator<m64n8, f32>, !wgmma.row_vector<m64, f32>
        "wgmma.store_accumulator"(%46, %2, %3, %4) <{row_offset = 0 : i64, accumulate_c = 0 : i64}> : (!wgmma.accumulator<m64n8, f32>, i64, i32, i32) -> ()
        "warpgroup.yield"() : () -> ()
      }) : (i32, i32, i32) -> ()
    }) : () -> ()
  }) : () -> ()
}


// CHECK:       mov.f32 %f[[NINF:[0-9]+]], 0fFF800000;
// CHECK:       mul.lo.u32 %r[[TC:[0-9]+]], %r{{[0-9]+}}, 2;
// CHECK-NEXT:  add.u32 %r[[GC:[0-9]+]], %r{{[0-9]+}}, %r[[TC]];
// CHECK-NEXT:  cvt.rn.f32.u32 %f[[COL:[0-9]+]], %r[[GC]];
// CHECK-NEXT:  cvt.rn.f32.u32 %f[[N:[0-9]+]], %r{{[0-9]+}};
// CHECK-NEXT:  add.u32 %r[[LC:[0-9]+]], %r{{[0-9]+}}, %r[[TC]];
// CHECK-NEXT:  cvt.rn.f32.u32 %f[[LCOL:[0-9]+]], %r[[LC]];
// CHECK-NEXT:  add.u32 %r[[LR:[0-9]+]], %r{{[0-9]+}}, %r{{[0-9]+}};
// CHECK-NEXT:  cvt.rn.f32.u32 %f[[ROW:[0-9]+]], %r[[LR]];
// CHECK-NEXT:  setp.le.f32 %p[[C0:[0-9]+]], %f[[LCOL]], %f[[ROW]];
// CHECK-NEXT:  selp.f32 %f[[T0:[0-9]+]], %acc0, %f[[NINF]], %p[[C0]];
// CHECK-NEXT:  setp.lt.f32 %p[[E0:[0-9]+]], %f[[COL]], %f[[N]];
// CHECK-NEXT:  selp.f32 %acc0, %f[[T0]], %f[[NINF]], %p[[E0]];
// CHECK:       selp.f32 %acc1, %f{{[0-9]+}}, %f[[NINF]], %p{{[0-9]+}};
// register 2: the row 8 below
// CHECK:       add.u32 %r[[LR8:[0-9]+]], %r[[LR]], 8;
// CHECK-NEXT:  cvt.rn.f32.u32 %f[[ROW8:[0-9]+]], %r[[LR8]];
// CHECK-NEXT:  setp.le.f32 %p{{[0-9]+}}, %f[[LCOL]], %f[[ROW8]];
// CHECK-NEXT:  selp.f32 %f{{[0-9]+}}, %acc2, %f[[NINF]], %p{{[0-9]+}};
// CHECK:       selp.f32 %acc3, %f{{[0-9]+}}, %f[[NINF]], %p{{[0-9]+}};
// CHECK:       max.f32 %f{{[0-9]+}}, %acc0, %acc1;
