// RUN: exo-gpu-opt %s -p lower-fragments | filecheck %s
// RUN: exo-gpu-opt %s -p lower-fragments,lower-to-ptx,tie-loop-carried,assign-registers,emit-ptx | filecheck %s --check-prefix=PTX
//
// A k_loop carrying a row vector (online softmax's running max, cut down by hand from
// the consumer of `schedule,insert-syncs` on attention_program): lower-fragments carries it as its two
// rows' f32 values (a thread holds rows g and g + 8).  The starting splat becomes one
// constant passed twice, the body's row max is computed per row (16 fmax over the
// thread's registers, then two quad shuffles) and combined with its own carried value,
// the yield passes the two f32, and after the loop the pair is joined back into the row
// vector that wgmma.store_rows reads (lowered by lower-to-ptx).  In the PTX each carried
// row has a register of its own through the loop, and the stores read those registers.

builtin.module {
  "warpgroup.kernel"() <{sym_name = "rowmax", dtype = "bf16", threads = 128 : i64, block_m = 64 : i64, block_n = 64 : i64, block_k = 64 : i64, wait_depth = 0 : i64, raster_group = 1 : i64}> ({
  ^bb0(%q_map: !tma.tensor_map, %k_map: !tma.tensor_map, %out: i64, %m: i32, %n: i32, %keys: i32):
    "mbarrier.ring"() <{ring = "q", stages = 1 : i64, slot_bytes = 8192 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "mbarrier.ring"() <{ring = "k", stages = 2 : i64, slot_bytes = 8192 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "warpgroup.role"() <{role = "consumer", first_warpgroup = 0 : i64, num_warpgroups = 1 : i64, maxnreg = 232 : i64}> ({
      "warpgroup.tile_loop"(%m, %n, %keys) ({
      ^bb0(%ti: i32, %tj: i32):
        %t = warpgroup.tile_ordinal : i32
        %qs, %qp = "warpgroup.ring_slot"(%t) <{stages = 1 : i64}> : (i32) -> (i32, i32)
        %ninf = arith.constant 0xff800000 : f32
        %m0 = wgmma.frag_splat %ninf : f32 -> !wgmma.row_vector<m64, f32>
        "mbarrier.wait"(%qs, %qp) <{barrier = "full", ring = "q"}> : (i32, i32) -> ()
        %mx = "warpgroup.k_loop"(%keys, %m0) <{start = 0 : i64, block_k = 64 : i64, stages = 2 : i64}> ({
        ^bb0(%kk: i32, %slot: i32, %phase: i32, %mprev: !wgmma.row_vector<m64, f32>):
          "mbarrier.wait"(%slot, %phase) <{barrier = "full", ring = "k"}> : (i32, i32) -> ()
          wgmma.fence
          %s0 = "wgmma.mma_async"(%slot, %qs) <{dtype = "bf16", k = 16 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 0 : i64, a_ring = "q", b_ring = "k", operandSegmentSizes = array<i32: 0, 1, 0, 1>}> : (i32, i32) -> !wgmma.accumulator<m64n64, f32>
          wgmma.commit_group
          %s = "wgmma.wait_group"(%s0) <{pending = 0 : i64}> : (!wgmma.accumulator<m64n64, f32>) -> !wgmma.accumulator<m64n64, f32>
          "mbarrier.arrive"(%slot) <{lag = 0 : i64, ring = "k"}> : (i32) -> ()
          %rowmax = wgmma.frag_reduce "max" %s {dim = 1 : i64} : !wgmma.accumulator<m64n64, f32> -> !wgmma.row_vector<m64, f32>
          %mnew = wgmma.frag_binary "max" %mprev, %rowmax : !wgmma.row_vector<m64, f32>, !wgmma.row_vector<m64, f32>
          "warpgroup.yield"(%mnew) : (!wgmma.row_vector<m64, f32>) -> ()
        }) : (i32, !wgmma.row_vector<m64, f32>) -> !wgmma.row_vector<m64, f32>
        "mbarrier.arrive"(%qs) <{lag = 0 : i64, ring = "q"}> : (i32) -> ()
        wgmma.store_rows %mx, %out, %m {row_offset = 0 : i64} : !wgmma.row_vector<m64, f32>, i64, i32
        "warpgroup.yield"() : () -> ()
      }) : (i32, i32, i32) -> ()
    }) : () -> ()
  }) : () -> ()
}

// CHECK:      %ninf = "ptx.fconst"() <{value = 0xff800000 : f32}> : () -> !ptx.f32
// CHECK-NOT:  wgmma.frag_splat
// CHECK:      %[[R0:.*]], %[[R1:.*]] = "warpgroup.k_loop"(%keys, %ninf, %ninf) <{start = 0 : i64, block_k = 64 : i64, stages = 2 : i64}> ({
// CHECK-NEXT: ^bb0(%kk: i32, %slot: i32, %phase: i32, %[[M0:.*]]: !ptx.f32, %[[M1:.*]]: !ptx.f32):
// CHECK:      %[[S:.*]] = builtin.unrealized_conversion_cast %s : !wgmma.accumulator<m64n64, f32> to !ptx.acc<32>
// CHECK-NEXT: ptx.fmax %[[S]][0], %[[S]][1]
// CHECK-COUNT-2: "ptx.shfl_bfly_f32"
// CHECK:      ptx.fmax %[[S]][2], %[[S]][3]
// CHECK-COUNT-2: "ptx.shfl_bfly_f32"
// CHECK:      %[[T1:.*]] = ptx.fmax %{{.*}}, %{{.*}} : !ptx.f32, !ptx.f32 -> !ptx.f32
// CHECK-NEXT: %[[N0:.*]] = ptx.fmax %[[M0]], %{{.*}} : !ptx.f32, !ptx.f32 -> !ptx.f32
// CHECK-NEXT: %[[N1:.*]] = ptx.fmax %[[M1]], %[[T1]] : !ptx.f32, !ptx.f32 -> !ptx.f32
// CHECK-NEXT: "warpgroup.yield"(%[[N0]], %[[N1]]) : (!ptx.f32, !ptx.f32) -> ()
// CHECK-NEXT: }) : (i32, !ptx.f32, !ptx.f32) -> (!ptx.f32, !ptx.f32)
// CHECK-NEXT: %mx = builtin.unrealized_conversion_cast %[[R0]], %[[R1]] : !ptx.f32, !ptx.f32 to !wgmma.row_vector<m64, f32>
// CHECK:      wgmma.store_rows %mx, %out, %m
// CHECK-NOT:  wgmma.frag_

// PTX:      mov.f32 [[INIT:%f[0-9]+]], 0fFF800000;
// PTX:      mov.f32 [[ROW0:%f[0-9]+]], [[INIT]];
// PTX-NEXT: mov.f32 [[ROW1:%f[0-9]+]], [[INIT]];
// PTX-NEXT: $L__loop
// PTX:      max.f32 [[NEW0:%f[0-9]+]], [[ROW0]], %f{{[0-9]+}};
// PTX-NEXT: max.f32 [[NEW1:%f[0-9]+]], [[ROW1]], %f{{[0-9]+}};
// PTX:      mov.f32 [[ROW0]], %f{{[0-9]+}};
// PTX-NEXT: mov.f32 [[ROW1]], %f{{[0-9]+}};
// PTX-NEXT: bra $L__loop
// PTX:      st.global.f32 [%rd{{[0-9]+}}], [[ROW0]];
// PTX:      st.global.f32 [%rd{{[0-9]+}}+32], [[ROW1]];
