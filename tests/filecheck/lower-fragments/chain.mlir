// RUN: exo-gpu-opt %s -p lower-fragments,lower-to-ptx,tie-loop-carried,assign-registers,emit-ptx | filecheck %s
// RUN: exo-gpu-opt %s -p lower-fragments | filecheck %s --check-prefix=IR
//
// Elementwise fragment ops on an m64n8 f32 accumulator (4 registers a thread), put by hand
// between the final wait_group and store_accumulator: every binary kind with a splat
// constant, then every unary kind.  Each op is read once by the next, so all but the last
// are virtual: the whole chain is computed per register, in f32 temporaries, and only its
// last instruction writes the register, in place (%acc0..%acc3, no fresh range).  A splat
// is one f32 register (mov.f32 of the constant's bits); gelu and silu are their formulas.

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
        %31 = arith.constant 1.000000e+00 : f32
        %32 = wgmma.frag_splat %31 : f32 -> !wgmma.accumulator<m64n8, f32>
        %33 = wgmma.frag_binary "add" %30, %32 : !wgmma.accumulator<m64n8, f32>, !wgmma.accumulator<m64n8, f32>
        %34 = arith.constant 2.000000e+00 : f32
        %35 = wgmma.frag_splat %34 : f32 -> !wgmma.accumulator<m64n8, f32>
        %36 = wgmma.frag_binary "sub" %33, %35 : !wgmma.accumulator<m64n8, f32>, !wgmma.accumulator<m64n8, f32>
        %37 = arith.constant 3.000000e+00 : f32
        %38 = wgmma.frag_splat %37 : f32 -> !wgmma.accumulator<m64n8, f32>
        %39 = wgmma.frag_binary "mul" %36, %38 : !wgmma.accumulator<m64n8, f32>, !wgmma.accumulator<m64n8, f32>
        %40 = arith.constant 4.000000e+00 : f32
        %41 = wgmma.frag_splat %40 : f32 -> !wgmma.accumulator<m64n8, f32>
        %42 = wgmma.frag_binary "div" %39, %41 : !wgmma.accumulator<m64n8, f32>, !wgmma.accumulator<m64n8, f32>
        %43 = arith.constant -5.000000e+00 : f32
        %44 = wgmma.frag_splat %43 : f32 -> !wgmma.accumulator<m64n8, f32>
        %45 = wgmma.frag_binary "max" %42, %44 : !wgmma.accumulator<m64n8, f32>, !wgmma.accumulator<m64n8, f32>
        %46 = wgmma.frag_unary "neg" %45 : !wgmma.accumulator<m64n8, f32>
        %47 = wgmma.frag_unary "exp2" %46 : !wgmma.accumulator<m64n8, f32>
        %48 = wgmma.frag_unary "tanh" %47 : !wgmma.accumulator<m64n8, f32>
        %49 = wgmma.frag_unary "relu" %48 : !wgmma.accumulator<m64n8, f32>
        %50 = wgmma.frag_unary "gelu" %49 : !wgmma.accumulator<m64n8, f32>
        %51 = wgmma.frag_unary "silu" %50 : !wgmma.accumulator<m64n8, f32>
        "wgmma.store_accumulator"(%51, %2, %3, %4) <{row_offset = 0 : i64, accumulate_c = 0 : i64}> : (!wgmma.accumulator<m64n8, f32>, i64, i32, i32) -> ()
        "warpgroup.yield"() : () -> ()
      }) : (i32, i32, i32) -> ()
    }) : () -> ()
  }) : () -> ()
}


// IR-NOT:  wgmma.frag_
// IR-NOT:  ptx.acc_fresh
// IR:      "wgmma.store_accumulator"

// CHECK:       mov.f32 %f[[ONE:[0-9]+]], 0f3F800000;
// CHECK:       mov.f32 %f[[TWO:[0-9]+]], 0f40000000;
// CHECK:       mov.f32 %f[[THREE:[0-9]+]], 0f40400000;
// CHECK:       mov.f32 %f[[FOUR:[0-9]+]], 0f40800000;
// CHECK:       mov.f32 %f[[M5:[0-9]+]], 0fC0A00000;
// register 0: the whole chain
// CHECK:       add.f32 %f[[A:[0-9]+]], %acc0, %f[[ONE]];
// CHECK-NEXT:  sub.f32 %f[[B:[0-9]+]], %f[[A]], %f[[TWO]];
// CHECK-NEXT:  mul.f32 %f[[C:[0-9]+]], %f[[B]], %f[[THREE]];
// CHECK-NEXT:  div.rn.f32 %f[[D:[0-9]+]], %f[[C]], %f[[FOUR]];
// CHECK-NEXT:  max.f32 %f[[E:[0-9]+]], %f[[D]], %f[[M5]];
// CHECK-NEXT:  neg.f32 %f[[F:[0-9]+]], %f[[E]];
// CHECK-NEXT:  ex2.approx.f32 %f[[G:[0-9]+]], %f[[F]];
// CHECK-NEXT:  tanh.approx.f32 %f[[H:[0-9]+]], %f[[G]];
// relu: max with a zero register
// CHECK-NEXT:  mov.f32 %f[[ZERO:[0-9]+]], 0f00000000;
// CHECK-NEXT:  max.f32 %f[[X:[0-9]+]], %f[[H]], %f[[ZERO]];
// gelu: h + h tanh(k0 x (1 + k1 x^2)), h = x / 2
// CHECK-NEXT:  mul.f32 %f[[X2:[0-9]+]], %f[[X]], %f[[X]];
// CHECK-NEXT:  mov.f32 %f[[K1:[0-9]+]], 0f3D372713;
// CHECK-NEXT:  mov.f32 %f[[G1:[0-9]+]], 0f3F800000;
// CHECK-NEXT:  fma.rn.f32 %f[[P:[0-9]+]], %f[[X2]], %f[[K1]], %f[[G1]];
// CHECK-NEXT:  mul.f32 %f[[Q:[0-9]+]], %f[[P]], %f[[X]];
// CHECK-NEXT:  mov.f32 %f[[K0:[0-9]+]], 0f3F4C422A;
// CHECK-NEXT:  mul.f32 %f[[U:[0-9]+]], %f[[Q]], %f[[K0]];
// CHECK-NEXT:  tanh.approx.f32 %f[[T:[0-9]+]], %f[[U]];
// CHECK-NEXT:  mov.f32 %f[[HALF:[0-9]+]], 0f3F000000;
// CHECK-NEXT:  mul.f32 %f[[HX:[0-9]+]], %f[[X]], %f[[HALF]];
// CHECK-NEXT:  fma.rn.f32 %f[[Y:[0-9]+]], %f[[HX]], %f[[T]], %f[[HX]];
// silu: y * rcp(1 + 2^(-y log2 e)), written into the register
// CHECK-NEXT:  mov.f32 %f[[NL:[0-9]+]], 0fBFB8AA3B;
// CHECK-NEXT:  mul.f32 %f[[L:[0-9]+]], %f[[Y]], %f[[NL]];
// CHECK-NEXT:  ex2.approx.f32 %f[[EX:[0-9]+]], %f[[L]];
// CHECK-NEXT:  add.f32 %f[[DEN:[0-9]+]], %f[[EX]], %f[[G1]];
// CHECK-NEXT:  rcp.approx.ftz.f32 %f[[R:[0-9]+]], %f[[DEN]];
// CHECK-NEXT:  mul.f32 %acc0, %f[[Y]], %f[[R]];
// registers 1..3: the same, the constants reused
// CHECK-NEXT:  add.f32 %f{{[0-9]+}}, %acc1, %f[[ONE]];
// CHECK:       mul.f32 %acc1, %f{{[0-9]+}}, %f{{[0-9]+}};
// CHECK-NEXT:  add.f32 %f{{[0-9]+}}, %acc2, %f[[ONE]];
// CHECK:       mul.f32 %acc2, %f{{[0-9]+}}, %f{{[0-9]+}};
// CHECK-NEXT:  add.f32 %f{{[0-9]+}}, %acc3, %f[[ONE]];
// CHECK:       mul.f32 %acc3, %f{{[0-9]+}}, %f{{[0-9]+}};
// the store reads the same registers
// CHECK:       st.global.v2.f32 [%rd{{[0-9]+}}], {%acc0, %acc1};
// CHECK:       st.global.v2.f32 [%rd{{[0-9]+}}], {%acc2, %acc3};
