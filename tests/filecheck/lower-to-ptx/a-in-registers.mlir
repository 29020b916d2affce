// RUN: exo-gpu-opt %s -p lower-to-ptx | filecheck %s
//
// Input: the insert-syncs output of a bf16 kernel with A in registers (1 consumer, 1 m64n16
// tile, 2 stages, wait_depth 1, K loop unroll = 2).
//
// Checks: once per consumer thread, its ldmatrix row (lane l of warp w: row
// 16w + l % 8 + (l & 8), times 128 bytes) and its swizzled 16-byte chunk
// ((l / 16) ^ (l % 8)) * 16, xor 32/64/96 for the other K offsets; each K block's 4
// fragments as ldmatrix.x4 before the wgmma.fence, each read by one
// ptx.wgmma_mma_async_rs (4 A registers + the B descriptor); the K loop's body lowered
// twice (unroll = 2), each copy with its own ldmatrix results and a break before it.

builtin.module {
  "warpgroup.kernel"() <{sym_name = "rs", dtype = "bf16", threads = 256 : i64, block_m = 64 : i64, block_n = 16 : i64, block_k = 64 : i64, wait_depth = 1 : i64, raster_group = 8 : i64}> ({
  ^bb0(%0: !tma.tensor_map, %1: !tma.tensor_map, %2: i64, %3: i32, %4: i32, %5: i32):
    "mbarrier.ring"() <{ring = "a", stages = 2 : i64, slot_bytes = 8192 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "mbarrier.ring"() <{ring = "b", stages = 2 : i64, slot_bytes = 2048 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "warpgroup.role"() <{role = "producer", first_warpgroup = 0 : i64, num_warpgroups = 1 : i64, maxnreg = 40 : i64}> ({
      "warpgroup.tile_loop"(%3, %4, %5) ({
      ^bb0(%6: i32, %7: i32):
        "warpgroup.k_loop"(%5) <{start = 0 : i64, block_k = 64 : i64, stages = 2 : i64}> ({
        ^bb0(%8: i32, %9: i32, %10: i32):
          "mbarrier.wait"(%9, %10) <{barrier = "empty", ring = "a"}> : (i32, i32) -> ()
          "mbarrier.arrive_expect_tx"(%9) <{bytes = 8192 : i64, ring = "a"}> : (i32) -> ()
          "tma.load"(%0, %9, %8) <{operand = "A", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 64 : i64, bytes = 8192 : i64, ring = "a"}> : (!tma.tensor_map, i32, i32) -> ()
          "mbarrier.wait"(%9, %10) <{barrier = "empty", ring = "b"}> : (i32, i32) -> ()
          "mbarrier.arrive_expect_tx"(%9) <{bytes = 2048 : i64, ring = "b"}> : (i32) -> ()
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
        "mbarrier.wait"(%13, %14) <{barrier = "full", ring = "a"}> : (i32, i32) -> ()
        "mbarrier.wait"(%13, %14) <{barrier = "full", ring = "b"}> : (i32, i32) -> ()
        %15 = "wgmma.load_fragment_a"(%13) <{a_offset = 0 : i64, ring = "a"}> : (i32) -> !wgmma.fragment_a<m64k16, bf16>
        %16 = "wgmma.load_fragment_a"(%13) <{a_offset = 32 : i64, ring = "a"}> : (i32) -> !wgmma.fragment_a<m64k16, bf16>
        %17 = "wgmma.load_fragment_a"(%13) <{a_offset = 64 : i64, ring = "a"}> : (i32) -> !wgmma.fragment_a<m64k16, bf16>
        %18 = "wgmma.load_fragment_a"(%13) <{a_offset = 96 : i64, ring = "a"}> : (i32) -> !wgmma.fragment_a<m64k16, bf16>
        wgmma.fence
        %19 = "wgmma.mma_async_rs"(%13, %15) <{dtype = "bf16", k = 16 : i64, b_offset = 0 : i64, scale_d = 0 : i64, b_ring = "b", operandSegmentSizes = array<i32: 0, 1, 1>}> : (i32, !wgmma.fragment_a<m64k16, bf16>) -> !wgmma.accumulator<m64n16, f32>
        %20 = "wgmma.mma_async_rs"(%19, %13, %16) <{dtype = "bf16", k = 16 : i64, b_offset = 32 : i64, scale_d = 1 : i64, b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 1>}> : (!wgmma.accumulator<m64n16, f32>, i32, !wgmma.fragment_a<m64k16, bf16>) -> !wgmma.accumulator<m64n16, f32>
        %21 = "wgmma.mma_async_rs"(%20, %13, %17) <{dtype = "bf16", k = 16 : i64, b_offset = 64 : i64, scale_d = 1 : i64, b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 1>}> : (!wgmma.accumulator<m64n16, f32>, i32, !wgmma.fragment_a<m64k16, bf16>) -> !wgmma.accumulator<m64n16, f32>
        %22 = "wgmma.mma_async_rs"(%21, %13, %18) <{dtype = "bf16", k = 16 : i64, b_offset = 96 : i64, scale_d = 1 : i64, b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 1>}> : (!wgmma.accumulator<m64n16, f32>, i32, !wgmma.fragment_a<m64k16, bf16>) -> !wgmma.accumulator<m64n16, f32>
        wgmma.commit_group
        %23 = "wgmma.wait_group"(%22) <{pending = 1 : i64}> : (!wgmma.accumulator<m64n16, f32>) -> !wgmma.accumulator<m64n16, f32>
        %24 = "warpgroup.k_loop"(%5, %23) <{start = 1 : i64, block_k = 64 : i64, stages = 2 : i64, unroll = 2 : i64}> ({
        ^bb0(%25: i32, %26: i32, %27: i32, %28: !wgmma.accumulator<m64n16, f32>):
          "mbarrier.wait"(%26, %27) <{barrier = "full", ring = "a"}> : (i32, i32) -> ()
          "mbarrier.wait"(%26, %27) <{barrier = "full", ring = "b"}> : (i32, i32) -> ()
          %29 = "wgmma.load_fragment_a"(%26) <{a_offset = 0 : i64, ring = "a"}> : (i32) -> !wgmma.fragment_a<m64k16, bf16>
          %30 = "wgmma.load_fragment_a"(%26) <{a_offset = 32 : i64, ring = "a"}> : (i32) -> !wgmma.fragment_a<m64k16, bf16>
          %31 = "wgmma.load_fragment_a"(%26) <{a_offset = 64 : i64, ring = "a"}> : (i32) -> !wgmma.fragment_a<m64k16, bf16>
          %32 = "wgmma.load_fragment_a"(%26) <{a_offset = 96 : i64, ring = "a"}> : (i32) -> !wgmma.fragment_a<m64k16, bf16>
          wgmma.fence
          %33 = "wgmma.mma_async_rs"(%28, %26, %29) <{dtype = "bf16", k = 16 : i64, b_offset = 0 : i64, scale_d = 1 : i64, b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 1>}> : (!wgmma.accumulator<m64n16, f32>, i32, !wgmma.fragment_a<m64k16, bf16>) -> !wgmma.accumulator<m64n16, f32>
          %34 = "wgmma.mma_async_rs"(%33, %26, %30) <{dtype = "bf16", k = 16 : i64, b_offset = 32 : i64, scale_d = 1 : i64, b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 1>}> : (!wgmma.accumulator<m64n16, f32>, i32, !wgmma.fragment_a<m64k16, bf16>) -> !wgmma.accumulator<m64n16, f32>
          %35 = "wgmma.mma_async_rs"(%34, %26, %31) <{dtype = "bf16", k = 16 : i64, b_offset = 64 : i64, scale_d = 1 : i64, b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 1>}> : (!wgmma.accumulator<m64n16, f32>, i32, !wgmma.fragment_a<m64k16, bf16>) -> !wgmma.accumulator<m64n16, f32>
          %36 = "wgmma.mma_async_rs"(%35, %26, %32) <{dtype = "bf16", k = 16 : i64, b_offset = 96 : i64, scale_d = 1 : i64, b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 1>}> : (!wgmma.accumulator<m64n16, f32>, i32, !wgmma.fragment_a<m64k16, bf16>) -> !wgmma.accumulator<m64n16, f32>
          wgmma.commit_group
          %37 = "wgmma.wait_group"(%36) <{pending = 1 : i64}> : (!wgmma.accumulator<m64n16, f32>) -> !wgmma.accumulator<m64n16, f32>
          "mbarrier.arrive"(%26) <{lag = 1 : i64, ring = "a"}> : (i32) -> ()
          "mbarrier.arrive"(%26) <{lag = 1 : i64, ring = "b"}> : (i32) -> ()
          "warpgroup.yield"(%37) : (!wgmma.accumulator<m64n16, f32>) -> ()
        }) : (i32, !wgmma.accumulator<m64n16, f32>) -> !wgmma.accumulator<m64n16, f32>
        %38 = "wgmma.wait_group"(%24) <{pending = 0 : i64}> : (!wgmma.accumulator<m64n16, f32>) -> !wgmma.accumulator<m64n16, f32>
        %39, %40 = "warpgroup.ring_slot"(%12) <{stages = 2 : i64}> : (i32) -> (i32, i32)
        "mbarrier.arrive"(%39) <{lag = 1 : i64, ring = "a"}> : (i32) -> ()
        "mbarrier.arrive"(%39) <{lag = 1 : i64, ring = "b"}> : (i32) -> ()
        "wgmma.store_accumulator"(%38, %2, %3, %4) <{row_offset = 0 : i64, accumulate_c = 0 : i64}> : (!wgmma.accumulator<m64n16, f32>, i64, i32, i32) -> ()
        "warpgroup.yield"() : () -> ()
      }) : (i32, i32, i32) -> ()
    }) : () -> ()
  }) : () -> ()
}

// CHECK:       "ptx.setmaxnreg"() <{action = "dec", count = 232 : i64}>
// CHECK:       %[[LT:[0-9]+]] = "ptx.and"(%{{[0-9]+}}) <{ty = ".b32", imm = 127 : i64}>
// CHECK:       %[[RI:[0-9]+]] = "ptx.sub"
// CHECK-NEXT:  %[[LANE:[0-9]+]] = "ptx.and"(%[[LT]]) <{ty = ".b32", imm = 31 : i64}>
// CHECK-NEXT:  %[[WARP:[0-9]+]] = "ptx.shr"(%[[LT]]) <{ty = ".u32", imm = 5 : i64}>
// CHECK-NEXT:  %[[L8:[0-9]+]] = "ptx.and"(%[[LANE]]) <{ty = ".b32", imm = 7 : i64}>
// CHECK-NEXT:  %[[H:[0-9]+]] = "ptx.and"(%[[LANE]]) <{ty = ".b32", imm = 8 : i64}>
// CHECK-NEXT:  %[[R:[0-9]+]] = "ptx.add"(%[[L8]], %[[H]])
// CHECK-NEXT:  %[[R16:[0-9]+]] = "ptx.mad_lo"(%[[WARP]], %[[R]]) <{ty = ".u32", imm = 16 : i64
// CHECK-NEXT:  %[[TR:[0-9]+]] = "ptx.mad_lo"(%[[RI]], %[[R16]]) <{ty = ".u32", imm = 64 : i64
// CHECK-NEXT:  %[[ROWB:[0-9]+]] = "ptx.shl"(%[[TR]]) <{ty = ".b32", imm = 7 : i64}>
// CHECK-NEXT:  %[[KC:[0-9]+]] = "ptx.shr"(%[[LANE]]) <{ty = ".u32", imm = 4 : i64}>
// CHECK-NEXT:  %[[LR:[0-9]+]] = "ptx.and"(%[[LANE]]) <{ty = ".b32", imm = 7 : i64}>
// CHECK-NEXT:  %[[X:[0-9]+]] = "ptx.xor"(%[[KC]], %[[LR]])
// CHECK-NEXT:  %[[C0:[0-9]+]] = "ptx.shl"(%[[X]]) <{ty = ".b32", imm = 4 : i64}>
// CHECK-NEXT:  %[[C32:[0-9]+]] = "ptx.xor"(%[[C0]]) <{ty = ".b32", imm = 32 : i64}>
// CHECK-NEXT:  %[[C64:[0-9]+]] = "ptx.xor"(%[[C0]]) <{ty = ".b32", imm = 64 : i64}>
// CHECK-NEXT:  %[[C96:[0-9]+]] = "ptx.xor"(%[[C0]]) <{ty = ".b32", imm = 96 : i64}>
// CHECK:       %[[RA:[0-9]+]] = "ptx.add"(%{{[0-9]+}}, %[[ROWB]])
// CHECK-NEXT:  %[[SA:[0-9]+]] = "ptx.mad_lo"(%{{[0-9]+}}, %[[RA]]) <{ty = ".u32", imm = 8192 : i64
// CHECK-NEXT:  %[[A0:[0-9]+]] = "ptx.add"(%[[SA]], %[[C0]])
// CHECK-NEXT:  %[[F0:[0-9]+]], %[[F1:[0-9]+]], %[[F2:[0-9]+]], %[[F3:[0-9]+]] = "ptx.ldmatrix_x4"(%[[A0]]) <{offset = 0 : i64}>
// CHECK:       "ptx.ldmatrix_x4"
// CHECK:       "ptx.ldmatrix_x4"
// CHECK:       "ptx.ldmatrix_x4"
// CHECK-NEXT:  "ptx.wgmma_fence"
// CHECK:       "ptx.wgmma_mma_async_rs"(%[[F0]], %[[F1]], %[[F2]], %[[F3]], %{{[0-9]+}}) <{dtype = "bf16", n = 16 : i64, scale_d = 0 : i64, operandSegmentSizes = array<i32: 0, 4, 1>}>
// CHECK:       "ptx.loop"
// CHECK:         "ptx.break_if"
// CHECK-COUNT-4:   "ptx.ldmatrix_x4"
// CHECK-NEXT:      "ptx.wgmma_fence"
// CHECK:           "ptx.wgmma_mma_async_rs"
// CHECK:           "ptx.wgmma_wait_group"
// CHECK:           "ptx.break_if"
// CHECK-COUNT-4:   "ptx.ldmatrix_x4"
// CHECK-NEXT:      "ptx.wgmma_fence"
// CHECK:           "ptx.wgmma_mma_async_rs"
// CHECK:           "ptx.wgmma_wait_group"
// CHECK-NOT:       "ptx.ldmatrix_x4"
// CHECK:           "ptx.next"
