// RUN: exo-gpu-opt %s -p lower-to-ptx | filecheck %s
// RUN: exo-gpu-opt %s -p lower-to-ptx,tie-loop-carried,assign-registers,check-register-budget,emit-ptx | filecheck %s --check-prefix=PTX
//
// Input: what schedule,insert-syncs produce for bf16 with an M-major A (layout_a = col) and
// a K-major B (layout_b = col), 1 consumer warpgroup, 1 m64n64 tile, 2 stages.
//
// lower-to-ptx guarantees for an MN-major operand: its TMA box coordinates are (row, k)
// (the tensor map of A^T: M contiguous, rows of K), not (k, row); its smem descriptor has
// LBO = 8192 >> 4 (the stride between 64-element swizzle atoms along M), SBO = 1024 >> 4
// (8 rows of K) and the 128-byte swizzle, while the K-major B keeps LBO = 1; its K steps
// add 2048 >> 4 = 128 to the descriptor (B's add 32 >> 4 = 2); and the wgmma carries
// trans_a = 1, printed as imm-trans-a = 1, imm-trans-b = 0.

builtin.module {
  "warpgroup.kernel"() <{sym_name = "mn", dtype = "bf16", threads = 256 : i64, block_m = 64 : i64, block_n = 64 : i64, block_k = 64 : i64, wait_depth = 1 : i64, raster_group = 8 : i64}> ({
  ^bb0(%0: !tma.tensor_map, %1: !tma.tensor_map, %2: i64, %3: i32, %4: i32, %5: i32):
    "mbarrier.ring"() <{ring = "a", stages = 2 : i64, slot_bytes = 8192 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "mbarrier.ring"() <{ring = "b", stages = 2 : i64, slot_bytes = 8192 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "warpgroup.role"() <{role = "producer", first_warpgroup = 0 : i64, num_warpgroups = 1 : i64, maxnreg = 40 : i64}> ({
      "warpgroup.tile_loop"(%3, %4, %5) ({
      ^bb0(%6: i32, %7: i32):
        "warpgroup.k_loop"(%5) <{start = 0 : i64, block_k = 64 : i64, stages = 2 : i64}> ({
        ^bb0(%8: i32, %9: i32, %10: i32):
          "mbarrier.wait"(%9, %10) <{barrier = "empty", ring = "a"}> : (i32, i32) -> ()
          "mbarrier.arrive_expect_tx"(%9) <{bytes = 8192 : i64, ring = "a"}> : (i32) -> ()
          "tma.load"(%0, %9, %8) <{operand = "A", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 64 : i64, bytes = 8192 : i64, major = "mn", ring = "a"}> : (!tma.tensor_map, i32, i32) -> ()
          "mbarrier.wait"(%9, %10) <{barrier = "empty", ring = "b"}> : (i32, i32) -> ()
          "mbarrier.arrive_expect_tx"(%9) <{bytes = 8192 : i64, ring = "b"}> : (i32) -> ()
          "tma.load"(%1, %9, %8) <{operand = "B", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 64 : i64, bytes = 8192 : i64, ring = "b"}> : (!tma.tensor_map, i32, i32) -> ()
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
        %15 = "wgmma.mma_async"(%13) <{dtype = "bf16", k = 16 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 0 : i64, trans_a = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 0, 1, 0, 0>}> : (i32) -> !wgmma.accumulator<m64n64, f32>
        %16 = "wgmma.mma_async"(%15, %13) <{dtype = "bf16", k = 16 : i64, a_offset = 2048 : i64, b_offset = 32 : i64, scale_d = 1 : i64, trans_a = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (!wgmma.accumulator<m64n64, f32>, i32) -> !wgmma.accumulator<m64n64, f32>
        %17 = "wgmma.mma_async"(%16, %13) <{dtype = "bf16", k = 16 : i64, a_offset = 4096 : i64, b_offset = 64 : i64, scale_d = 1 : i64, trans_a = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (!wgmma.accumulator<m64n64, f32>, i32) -> !wgmma.accumulator<m64n64, f32>
        %18 = "wgmma.mma_async"(%17, %13) <{dtype = "bf16", k = 16 : i64, a_offset = 6144 : i64, b_offset = 96 : i64, scale_d = 1 : i64, trans_a = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (!wgmma.accumulator<m64n64, f32>, i32) -> !wgmma.accumulator<m64n64, f32>
        wgmma.commit_group
        %19 = "wgmma.wait_group"(%18) <{pending = 1 : i64}> : (!wgmma.accumulator<m64n64, f32>) -> !wgmma.accumulator<m64n64, f32>
        %20 = "warpgroup.k_loop"(%5, %19) <{start = 1 : i64, block_k = 64 : i64, stages = 2 : i64}> ({
        ^bb0(%21: i32, %22: i32, %23: i32, %24: !wgmma.accumulator<m64n64, f32>):
          "mbarrier.wait"(%22, %23) <{barrier = "full", ring = "a"}> : (i32, i32) -> ()
          "mbarrier.wait"(%22, %23) <{barrier = "full", ring = "b"}> : (i32, i32) -> ()
          wgmma.fence
          %25 = "wgmma.mma_async"(%24, %22) <{dtype = "bf16", k = 16 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 1 : i64, trans_a = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (!wgmma.accumulator<m64n64, f32>, i32) -> !wgmma.accumulator<m64n64, f32>
          %26 = "wgmma.mma_async"(%25, %22) <{dtype = "bf16", k = 16 : i64, a_offset = 2048 : i64, b_offset = 32 : i64, scale_d = 1 : i64, trans_a = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (!wgmma.accumulator<m64n64, f32>, i32) -> !wgmma.accumulator<m64n64, f32>
          %27 = "wgmma.mma_async"(%26, %22) <{dtype = "bf16", k = 16 : i64, a_offset = 4096 : i64, b_offset = 64 : i64, scale_d = 1 : i64, trans_a = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (!wgmma.accumulator<m64n64, f32>, i32) -> !wgmma.accumulator<m64n64, f32>
          %28 = "wgmma.mma_async"(%27, %22) <{dtype = "bf16", k = 16 : i64, a_offset = 6144 : i64, b_offset = 96 : i64, scale_d = 1 : i64, trans_a = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (!wgmma.accumulator<m64n64, f32>, i32) -> !wgmma.accumulator<m64n64, f32>
          wgmma.commit_group
          %29 = "wgmma.wait_group"(%28) <{pending = 1 : i64}> : (!wgmma.accumulator<m64n64, f32>) -> !wgmma.accumulator<m64n64, f32>
          "mbarrier.arrive"(%22) <{lag = 1 : i64, ring = "a"}> : (i32) -> ()
          "mbarrier.arrive"(%22) <{lag = 1 : i64, ring = "b"}> : (i32) -> ()
          "warpgroup.yield"(%29) : (!wgmma.accumulator<m64n64, f32>) -> ()
        }) : (i32, !wgmma.accumulator<m64n64, f32>) -> !wgmma.accumulator<m64n64, f32>
        %30 = "wgmma.wait_group"(%20) <{pending = 0 : i64}> : (!wgmma.accumulator<m64n64, f32>) -> !wgmma.accumulator<m64n64, f32>
        %31, %32 = "warpgroup.ring_slot"(%12) <{stages = 2 : i64}> : (i32) -> (i32, i32)
        "mbarrier.arrive"(%31) <{lag = 1 : i64, ring = "a"}> : (i32) -> ()
        "mbarrier.arrive"(%31) <{lag = 1 : i64, ring = "b"}> : (i32) -> ()
        "wgmma.store_accumulator"(%30, %2, %3, %4) <{row_offset = 0 : i64, accumulate_c = 0 : i64}> : (!wgmma.accumulator<m64n64, f32>, i64, i32, i32) -> ()
        "warpgroup.yield"() : () -> ()
      }) : (i32, i32, i32) -> ()
    }) : () -> ()
  }) : () -> ()
}

// Producer, K block k: A's box at (c0, c1) = (m block row, k * 64) ...
// CHECK:       %[[AK:[0-9]+]] = "ptx.mul_lo"(%[[K:[0-9]+]]) <{ty = ".u32", imm = 64 : i64}>
// CHECK-NEXT:  %[[AM:[0-9]+]] = "ptx.mul_lo"(%{{[0-9]+}}) <{ty = ".u32", imm = 64 : i64}>
// CHECK-NEXT:  %[[AROW:[0-9]+]] = "ptx.add"(%[[AM]]) <{ty = ".u32", imm = 0 : i64}>
// CHECK-NEXT:  %[[ABAR:[0-9]+]] = "ptx.mad_lo"
// CHECK-NEXT:  "ptx.cp_async_bulk_tensor_2d"(%{{[0-9]+}}, %{{[0-9]+}}, %[[AROW]], %[[AK]], %[[ABAR]])
// ... and B's at (k * 64, n block row), as before.
// CHECK:       %[[BK:[0-9]+]] = "ptx.mul_lo"(%[[K]]) <{ty = ".u32", imm = 64 : i64}>
// CHECK-NEXT:  %[[BN:[0-9]+]] = "ptx.mul_lo"(%{{[0-9]+}}) <{ty = ".u32", imm = 64 : i64}>
// CHECK-NEXT:  %[[BROW:[0-9]+]] = "ptx.add"(%[[BN]]) <{ty = ".u32", imm = 0 : i64}>
// CHECK-NEXT:  %[[BBAR:[0-9]+]] = "ptx.mad_lo"
// CHECK-NEXT:  "ptx.cp_async_bulk_tensor_2d"(%{{[0-9]+}}, %{{[0-9]+}}, %[[BK]], %[[BROW]], %[[BBAR]])

// Consumer: A's descriptor = (1 << 62) | (64 << 32) | (512 << 16); B's = (1 << 62) | (64 << 32) | (1 << 16).
// CHECK:       %[[DA:[0-9]+]] = "ptx.or"(%{{[0-9]+}}) <{ty = ".b64", imm = 4611686293338849280 : i64}>
// CHECK:       %[[DB:[0-9]+]] = "ptx.or"(%{{[0-9]+}}) <{ty = ".b64", imm = 4611686293305360384 : i64}>
// CHECK-NEXT:  %[[M0:[0-9]+]] = "ptx.wgmma_mma_async"(%[[DA]], %[[DB]]) <{dtype = "bf16", n = 64 : i64, scale_d = 0 : i64, trans_a = 1 : i64, operandSegmentSizes
// CHECK-NEXT:  %[[DA1:[0-9]+]] = "ptx.add"(%[[DA]]) <{ty = ".s64", imm = 128 : i64}>
// CHECK-NEXT:  %[[DB1:[0-9]+]] = "ptx.add"(%[[DB]]) <{ty = ".s64", imm = 2 : i64}>
// CHECK-NEXT:  "ptx.wgmma_mma_async"(%[[M0]], %[[DA1]], %[[DB1]]) <{dtype = "bf16", n = 64 : i64, scale_d = 1 : i64, trans_a = 1 : i64, operandSegmentSizes
// CHECK-NEXT:  "ptx.add"(%[[DA]]) <{ty = ".s64", imm = 256 : i64}>
// CHECK-NEXT:  "ptx.add"(%[[DB]]) <{ty = ".s64", imm = 4 : i64}>
// CHECK-NOT:   trans_b

// PTX:         cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%r{{[0-9]+}}], [%rd{{[0-9]+}}, {%[[ROW:r[0-9]+]], %[[KK:r[0-9]+]]}]
// PTX:         wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {{{.*}}}, %rd{{[0-9]+}}, %rd{{[0-9]+}}, 0, 1, 1, 1, 0;
// PTX:         add.s64 %rd{{[0-9]+}}, %rd{{[0-9]+}}, 128;
// PTX:         add.s64 %rd{{[0-9]+}}, %rd{{[0-9]+}}, 2;
// PTX:         wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {{{.*}}}, %rd{{[0-9]+}}, %rd{{[0-9]+}}, 1, 1, 1, 1, 0;
