// RUN: exo-gpu-opt %s -p lower-fragments,lower-to-ptx,tie-loop-carried,assign-registers,emit-ptx | filecheck %s
// RUN: exo-gpu-opt %s -p lower-fragments | filecheck %s --check-prefix=IR
// RUN: exo-gpu-opt %s -p lower-fragments | exo-gpu-opt - -p lower-to-ptx,tie-loop-carried,assign-registers,emit-ptx | filecheck %s --check-prefix=TEXT
//
// Row reductions and row-vector broadcasts (a softmax): p = exp2(x - rowmax(x)),
// p / rowsum(p).  A thread holds two rows (registers 0, 1 and 2, 3): it combines its own
// elements of each, then the quad's 4 lanes by shfl.sync.bfly 1 and 2.  x - max is read
// once (by exp2), so it is computed where exp2 writes p, in place over x (the max has
// read x before); the division reads each register's row total, in place over p.

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
        %31 = wgmma.frag_reduce "max" %30 {dim = 1 : i64} : !wgmma.accumulator<m64n8, f32> -> !wgmma.row_vector<m64, f32>
        %32 = wgmma.frag_binary "sub" %30, %31 : !wgmma.accumulator<m64n8, f32>, !wgmma.row_vector<m64, f32>
        %33 = wgmma.frag_unary "exp2" %32 : !wgmma.accumulator<m64n8, f32>
        %34 = wgmma.frag_reduce "sum" %33 {dim = 1 : i64} : !wgmma.accumulator<m64n8, f32> -> !wgmma.row_vector<m64, f32>
        %35 = wgmma.frag_binary "div" %33, %34 : !wgmma.accumulator<m64n8, f32>, !wgmma.row_vector<m64, f32>
        "wgmma.store_accumulator"(%35, %2, %3, %4) <{row_offset = 0 : i64, accumulate_c = 0 : i64}> : (!wgmma.accumulator<m64n8, f32>, i64, i32, i32) -> ()
        "warpgroup.yield"() : () -> ()
      }) : (i32, i32, i32) -> ()
    }) : () -> ()
  }) : () -> ()
}


// CHECK:       wgmma.wait_group.sync.aligned 0;
// CHECK:       wgmma.wait_group.sync.aligned 0;
// CHECK:       max.f32 %f[[A:[0-9]+]], %acc0, %acc1;
// CHECK-NEXT:  shfl.sync.bfly.b32 %f[[S1:[0-9]+]], %f[[A]], 1, 0x1f, 0xffffffff;
// CHECK-NEXT:  max.f32 %f[[A1:[0-9]+]], %f[[A]], %f[[S1]];
// CHECK-NEXT:  shfl.sync.bfly.b32 %f[[S2:[0-9]+]], %f[[A1]], 2, 0x1f, 0xffffffff;
// CHECK-NEXT:  max.f32 %f[[MAX0:[0-9]+]], %f[[A1]], %f[[S2]];
// CHECK-NEXT:  max.f32 %f[[B:[0-9]+]], %acc2, %acc3;
// CHECK-NEXT:  shfl.sync.bfly.b32 %f[[T1:[0-9]+]], %f[[B]], 1, 0x1f, 0xffffffff;
// CHECK-NEXT:  max.f32 %f[[B1:[0-9]+]], %f[[B]], %f[[T1]];
// CHECK-NEXT:  shfl.sync.bfly.b32 %f[[T2:[0-9]+]], %f[[B1]], 2, 0x1f, 0xffffffff;
// CHECK-NEXT:  max.f32 %f[[MAX1:[0-9]+]], %f[[B1]], %f[[T2]];
// CHECK:       sub.f32 %f[[D0:[0-9]+]], %acc0, %f[[MAX0]];
// CHECK-NEXT:  ex2.approx.f32 %acc0, %f[[D0]];
// CHECK-NEXT:  sub.f32 %f[[D1:[0-9]+]], %acc1, %f[[MAX0]];
// CHECK-NEXT:  ex2.approx.f32 %acc1, %f[[D1]];
// CHECK-NEXT:  sub.f32 %f[[D2:[0-9]+]], %acc2, %f[[MAX1]];
// CHECK-NEXT:  ex2.approx.f32 %acc2, %f[[D2]];
// CHECK-NEXT:  sub.f32 %f[[D3:[0-9]+]], %acc3, %f[[MAX1]];
// CHECK-NEXT:  ex2.approx.f32 %acc3, %f[[D3]];
// CHECK:       add.f32 %f[[T:[0-9]+]], %acc0, %acc1;
// CHECK-NEXT:  shfl.sync.bfly.b32 %f{{[0-9]+}}, %f[[T]], 1, 0x1f, 0xffffffff;
// CHECK:       shfl.sync.bfly.b32 %f{{[0-9]+}}, %f{{[0-9]+}}, 2, 0x1f, 0xffffffff;
// CHECK-NEXT:  add.f32 %f[[SUM0:[0-9]+]], %f{{[0-9]+}}, %f{{[0-9]+}};
// CHECK-NEXT:  add.f32 %f[[C:[0-9]+]], %acc2, %acc3;
// CHECK-NEXT:  shfl.sync.bfly.b32 %f[[U1:[0-9]+]], %f[[C]], 1, 0x1f, 0xffffffff;
// CHECK-NEXT:  add.f32 %f[[C1:[0-9]+]], %f[[C]], %f[[U1]];
// CHECK-NEXT:  shfl.sync.bfly.b32 %f[[U2:[0-9]+]], %f[[C1]], 2, 0x1f, 0xffffffff;
// CHECK-NEXT:  add.f32 %f[[SUM1:[0-9]+]], %f[[C1]], %f[[U2]];
// CHECK-NEXT:  .loc
// CHECK-NEXT:  div.rn.f32 %acc0, %acc0, %f[[SUM0]];
// CHECK-NEXT:  div.rn.f32 %acc1, %acc1, %f[[SUM0]];
// CHECK-NEXT:  div.rn.f32 %acc2, %acc2, %f[[SUM1]];
// CHECK-NEXT:  div.rn.f32 %acc3, %acc3, %f[[SUM1]];

// IR:          %[[ACC:[0-9]+]] = builtin.unrealized_conversion_cast %{{[0-9]+}} : !wgmma.accumulator<m64n8, f32> to !ptx.acc<4>
// IR-NEXT:     %[[M:[0-9]+]] = ptx.fmax %[[ACC]][0], %[[ACC]][1] : !ptx.acc<4>, !ptx.acc<4> -> !ptx.f32
// IR-NEXT:     %{{[0-9]+}} = "ptx.shfl_bfly_f32"(%[[M]]) <{mask = 1 : i64}> : (!ptx.f32) -> !ptx.f32
// IR:          %[[D:[0-9]+]] = ptx.fsub %[[X:[0-9]+]][0], %{{[0-9]+}} : !ptx.acc<4>, !ptx.f32 -> !ptx.f32
// IR-NEXT:     %[[P0:[0-9]+]] = ptx.ex2 %[[D]] into %[[X]][0] : !ptx.f32 -> !ptx.acc<4>
// IR-NEXT:     %[[D1:[0-9]+]] = ptx.fsub %[[P0]][1], %{{[0-9]+}} : !ptx.acc<4>, !ptx.f32 -> !ptx.f32
// IR-NEXT:     %{{[0-9]+}} = ptx.ex2 %[[D1]] into %[[P0]][1] : !ptx.f32 -> !ptx.acc<4>
// IR-NOT:      wgmma.frag_

// TEXT:        max.f32 %f{{[0-9]+}}, %acc0, %acc1;
// TEXT:        shfl.sync.bfly.b32 %f{{[0-9]+}}, %f{{[0-9]+}}, 2, 0x1f, 0xffffffff;
// TEXT:        ex2.approx.f32 %acc0, %f{{[0-9]+}};
// TEXT:        ex2.approx.f32 %acc3, %f{{[0-9]+}};
// TEXT:        div.rn.f32 %acc0, %acc0, %f{{[0-9]+}};
// TEXT:        div.rn.f32 %acc3, %acc3, %f{{[0-9]+}};
// TEXT:        st.global.v2.f32 [%rd{{[0-9]+}}], {%acc0, %acc1};
