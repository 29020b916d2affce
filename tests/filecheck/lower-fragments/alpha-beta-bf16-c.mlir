// RUN: exo-gpu-opt %s -p lower-fragments,lower-to-ptx,tie-loop-carried,assign-registers,emit-ptx | filecheck %s
// RUN: exo-gpu-opt %s -p lower-fragments | filecheck %s --check-prefix=IR
//
// alpha * acc + beta * C with C a bf16 tile (frag_load_tile): alpha * acc and beta * C are
// each read once, by the add, so they are virtual and the add computes everything per
// register, writing it in place: the accumulator register times alpha, then C's element
// loaded (16 bits, masked by row < M and column < N, 0 elsewhere), widened exactly
// (cvt.f32.bf16), times beta, added into the register.  C costs no registers beyond a few
// temporaries.  Rows are ld elements apart (mul.wide by N), elements 2 bytes (shl 1).

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
        %31 = arith.constant 1.500000e+00 : f32
        %32 = wgmma.frag_splat %31 : f32 -> !wgmma.accumulator<m64n8, f32>
        %33 = wgmma.frag_binary "mul" %30, %32 : !wgmma.accumulator<m64n8, f32>, !wgmma.accumulator<m64n8, f32>
        %34, %35 = wgmma.tile_origin {row_offset = 0 : i64} : i32, i32
        %36 = wgmma.frag_load_tile %2[%34, %35], %4, %3, %4 {dtype = "bf16"} : !wgmma.accumulator<m64n8, f32>
        %37 = arith.constant 5.000000e-01 : f32
        %38 = wgmma.frag_splat %37 : f32 -> !wgmma.accumulator<m64n8, f32>
        %39 = wgmma.frag_binary "mul" %36, %38 : !wgmma.accumulator<m64n8, f32>, !wgmma.accumulator<m64n8, f32>
        %40 = wgmma.frag_binary "add" %33, %39 : !wgmma.accumulator<m64n8, f32>, !wgmma.accumulator<m64n8, f32>
        "wgmma.store_accumulator"(%40, %2, %3, %4) <{row_offset = 0 : i64, accumulate_c = 0 : i64}> : (!wgmma.accumulator<m64n8, f32>, i64, i32, i32) -> ()
        "warpgroup.yield"() : () -> ()
      }) : (i32, i32, i32) -> ()
    }) : () -> ()
  }) : () -> ()
}


// IR-NOT:  ptx.acc_fresh
// IR-NOT:  wgmma.frag_

// CHECK:       mov.f32 %f[[ALPHA:[0-9]+]], 0f3FC00000;
// CHECK:       mov.f32 %f[[BETA:[0-9]+]], 0f3F000000;
// CHECK:       mul.f32 %f[[AX:[0-9]+]], %acc0, %f[[ALPHA]];
// CHECK:       setp.lt.u32 %p[[ROW0:[0-9]+]], %r[[R:[0-9]+]], %r[[M:[0-9]+]];
// CHECK-NEXT:  mul.wide.u32 %rd{{[0-9]+}}, %r[[R]], %r[[N:[0-9]+]];
// CHECK:       shl.b64 %rd{{[0-9]+}}, %rd{{[0-9]+}}, 1;
// CHECK-NEXT:  add.s64 %rd[[A0:[0-9]+]], %rd{{[0-9]+}}, %rd{{[0-9]+}};
// CHECK-NEXT:  setp.lt.and.u32 %p[[OK:[0-9]+]], %r[[COL:[0-9]+]], %r[[N]], %p[[ROW0]];
// CHECK-NEXT:  mov.b16 %rs[[H:[0-9]+]], 0;
// CHECK-NEXT:  @%p[[OK]] ld.global.b16 %rs[[H]], [%rd[[A0]]];
// CHECK-NEXT:  cvt.f32.bf16 %f[[C:[0-9]+]], %rs[[H]];
// CHECK-NEXT:  mul.f32 %f[[BC:[0-9]+]], %f[[C]], %f[[BETA]];
// CHECK-NEXT:  add.f32 %acc0, %f[[AX]], %f[[BC]];
// CHECK-NEXT:  mul.f32 %f[[AX1:[0-9]+]], %acc1, %f[[ALPHA]];
// CHECK-NEXT:  add.u32 %r[[COL1:[0-9]+]], %r[[COL]], 1;
// CHECK-NEXT:  setp.lt.and.u32 %p[[OK1:[0-9]+]], %r[[COL1]], %r[[N]], %p[[ROW0]];
// CHECK-NEXT:  mov.b16 %rs[[H1:[0-9]+]], 0;
// CHECK-NEXT:  @%p[[OK1]] ld.global.b16 %rs[[H1]], [%rd[[A0]]+2];
// CHECK-NEXT:  cvt.f32.bf16 %f[[C1:[0-9]+]], %rs[[H1]];
// CHECK-NEXT:  mul.f32 %f[[BC1:[0-9]+]], %f[[C1]], %f[[BETA]];
// CHECK-NEXT:  add.f32 %acc1, %f[[AX1]], %f[[BC1]];
// the second row of the thread: 8 rows below, its own address and row mask
// CHECK-NEXT:  mul.f32 %f{{[0-9]+}}, %acc2, %f[[ALPHA]];
// CHECK-NEXT:  add.u32 %r[[R8:[0-9]+]], %r[[R]], 8;
// CHECK-NEXT:  setp.lt.u32 %p[[ROW1:[0-9]+]], %r[[R8]], %r[[M]];
// CHECK:       setp.lt.and.u32 %p{{[0-9]+}}, %r[[COL]], %r[[N]], %p[[ROW1]];
// CHECK:       add.f32 %acc2, %f{{[0-9]+}}, %f{{[0-9]+}};
// CHECK:       setp.lt.and.u32 %p{{[0-9]+}}, %r[[COL1]], %r[[N]], %p[[ROW1]];
// CHECK:       add.f32 %acc3, %f{{[0-9]+}}, %f{{[0-9]+}};
