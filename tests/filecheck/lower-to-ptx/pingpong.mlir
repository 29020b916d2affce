// RUN: exo-gpu-opt %s -p lower-to-ptx | filecheck %s
//
// Input: the ping-pong kernel of insert-syncs/pingpong.mlir after schedule and insert-syncs
// (2 consumer warpgroups taking 64 x 64 bf16 tiles in turn).
//
// Checks: consumer warpgroup r (r = warpgroup - 1) starts at the block's tile ctaid + r * grid
// and ring position r * nk, and steps by 2 * grid tiles and 2 * nk ring positions; its turn
// barrier is named barrier 1 + r, the next turn's is 1 + (r + 1) mod 2; it waits (bar.sync,
// 256 threads: both warpgroups) on every tile but the block's first, and passes the turn
// (bar.arrive) right after the K loop, before wait_group 0, if the block has a next tile.
// The A descriptor and the epilogue's rows are not offset by r: each owns whole tiles.

builtin.module {
  "warpgroup.kernel"() <{sym_name = "pp", dtype = "bf16", threads = 384 : i64, block_m = 64 : i64, block_n = 64 : i64, block_k = 64 : i64, wait_depth = 1 : i64, raster_group = 8 : i64}> ({
  ^bb0(%0: !tma.tensor_map, %1: !tma.tensor_map, %2: i64, %3: i32, %4: i32, %5: i32):
    "mbarrier.ring"() <{ring = "a", stages = 4 : i64, slot_bytes = 8192 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "mbarrier.ring"() <{ring = "b", stages = 4 : i64, slot_bytes = 8192 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "warpgroup.role"() <{role = "producer", first_warpgroup = 0 : i64, num_warpgroups = 1 : i64, maxnreg = 40 : i64}> ({
      "warpgroup.tile_loop"(%3, %4, %5) ({
      ^bb0(%6: i32, %7: i32):
        "warpgroup.k_loop"(%5) <{start = 0 : i64, block_k = 64 : i64, stages = 4 : i64}> ({
        ^bb0(%8: i32, %9: i32, %10: i32):
          "mbarrier.wait"(%9, %10) <{barrier = "empty", ring = "a"}> : (i32, i32) -> ()
          "mbarrier.arrive_expect_tx"(%9) <{bytes = 8192 : i64, ring = "a"}> : (i32) -> ()
          "tma.load"(%0, %9, %8) <{operand = "A", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 64 : i64, bytes = 8192 : i64, ring = "a"}> : (!tma.tensor_map, i32, i32) -> ()
          "mbarrier.wait"(%9, %10) <{barrier = "empty", ring = "b"}> : (i32, i32) -> ()
          "mbarrier.arrive_expect_tx"(%9) <{bytes = 8192 : i64, ring = "b"}> : (i32) -> ()
          "tma.load"(%1, %9, %8) <{operand = "B", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 64 : i64, bytes = 8192 : i64, ring = "b"}> : (!tma.tensor_map, i32, i32) -> ()
          "warpgroup.yield"() : () -> ()
        }) : (i32) -> ()
        "warpgroup.yield"() : () -> ()
      }) : (i32, i32, i32) -> ()
    }) : () -> ()
    "warpgroup.role"() <{role = "consumer", first_warpgroup = 1 : i64, num_warpgroups = 2 : i64, maxnreg = 232 : i64}> ({
      "warpgroup.tile_loop"(%3, %4, %5) <{turns = 2 : i64}> ({
      ^bb0(%11: i32, %12: i32):
        warpgroup.await_turn
        %13, %14 = "warpgroup.ring_slot"(%11) <{stages = 4 : i64}> : (i32) -> (i32, i32)
        "mbarrier.wait"(%13, %14) <{barrier = "full", ring = "a"}> : (i32, i32) -> ()
        "mbarrier.wait"(%13, %14) <{barrier = "full", ring = "b"}> : (i32, i32) -> ()
        wgmma.fence
        %15 = "wgmma.mma_async"(%13) <{dtype = "bf16", k = 16 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 0 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 0, 1, 0, 0>}> : (i32) -> !wgmma.accumulator<m64n64, f32>
        %16 = "wgmma.mma_async"(%15, %13) <{dtype = "bf16", k = 16 : i64, a_offset = 32 : i64, b_offset = 32 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (!wgmma.accumulator<m64n64, f32>, i32) -> !wgmma.accumulator<m64n64, f32>
        %17 = "wgmma.mma_async"(%16, %13) <{dtype = "bf16", k = 16 : i64, a_offset = 64 : i64, b_offset = 64 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (!wgmma.accumulator<m64n64, f32>, i32) -> !wgmma.accumulator<m64n64, f32>
        %18 = "wgmma.mma_async"(%17, %13) <{dtype = "bf16", k = 16 : i64, a_offset = 96 : i64, b_offset = 96 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (!wgmma.accumulator<m64n64, f32>, i32) -> !wgmma.accumulator<m64n64, f32>
        wgmma.commit_group
        %19 = "wgmma.wait_group"(%18) <{pending = 1 : i64}> : (!wgmma.accumulator<m64n64, f32>) -> !wgmma.accumulator<m64n64, f32>
        %20 = "warpgroup.k_loop"(%5, %19) <{start = 1 : i64, block_k = 64 : i64, stages = 4 : i64}> ({
        ^bb0(%21: i32, %22: i32, %23: i32, %24: !wgmma.accumulator<m64n64, f32>):
          "mbarrier.wait"(%22, %23) <{barrier = "full", ring = "a"}> : (i32, i32) -> ()
          "mbarrier.wait"(%22, %23) <{barrier = "full", ring = "b"}> : (i32, i32) -> ()
          wgmma.fence
          %25 = "wgmma.mma_async"(%24, %22) <{dtype = "bf16", k = 16 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (!wgmma.accumulator<m64n64, f32>, i32) -> !wgmma.accumulator<m64n64, f32>
          %26 = "wgmma.mma_async"(%25, %22) <{dtype = "bf16", k = 16 : i64, a_offset = 32 : i64, b_offset = 32 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (!wgmma.accumulator<m64n64, f32>, i32) -> !wgmma.accumulator<m64n64, f32>
          %27 = "wgmma.mma_async"(%26, %22) <{dtype = "bf16", k = 16 : i64, a_offset = 64 : i64, b_offset = 64 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (!wgmma.accumulator<m64n64, f32>, i32) -> !wgmma.accumulator<m64n64, f32>
          %28 = "wgmma.mma_async"(%27, %22) <{dtype = "bf16", k = 16 : i64, a_offset = 96 : i64, b_offset = 96 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (!wgmma.accumulator<m64n64, f32>, i32) -> !wgmma.accumulator<m64n64, f32>
          wgmma.commit_group
          %29 = "wgmma.wait_group"(%28) <{pending = 1 : i64}> : (!wgmma.accumulator<m64n64, f32>) -> !wgmma.accumulator<m64n64, f32>
          "mbarrier.arrive"(%22) <{lag = 1 : i64, ring = "a"}> : (i32) -> ()
          "mbarrier.arrive"(%22) <{lag = 1 : i64, ring = "b"}> : (i32) -> ()
          "warpgroup.yield"(%29) : (!wgmma.accumulator<m64n64, f32>) -> ()
        }) : (i32, !wgmma.accumulator<m64n64, f32>) -> !wgmma.accumulator<m64n64, f32>
        warpgroup.pass_turn
        %30 = "wgmma.wait_group"(%20) <{pending = 0 : i64}> : (!wgmma.accumulator<m64n64, f32>) -> !wgmma.accumulator<m64n64, f32>
        %31, %32 = "warpgroup.ring_slot"(%12) <{stages = 4 : i64}> : (i32) -> (i32, i32)
        "mbarrier.arrive"(%31) <{lag = 1 : i64, ring = "a"}> : (i32) -> ()
        "mbarrier.arrive"(%31) <{lag = 1 : i64, ring = "b"}> : (i32) -> ()
        "wgmma.store_accumulator"(%30, %2, %3, %4) <{row_offset = 0 : i64, accumulate_c = 0 : i64}> : (!wgmma.accumulator<m64n64, f32>, i64, i32, i32) -> ()
        "warpgroup.yield"() : () -> ()
      }) : (i32, i32, i32) -> ()
    }) : () -> ()
  }) : () -> ()
}

// CHECK:       "ptx.setmaxnreg"() <{action = "inc", count = 232 : i64}>
// CHECK:       %[[R:[0-9]+]] = "ptx.sub"(%{{[0-9]+}}) <{ty = ".u32", imm = 1 : i64}>
// The tile count (rows x columns), then nk = ceil(K / 64).
// CHECK:       "ptx.mul_lo"(%{{[0-9]+}}, %{{[0-9]+}}) <{ty = ".u32"}>
// CHECK-NEXT:  "ptx.add"(%{{[0-9]+}}) <{ty = ".u32", imm = 63 : i64}>
// CHECK-NEXT:  %[[NK:[0-9]+]] = "ptx.div"(%{{[0-9]+}}) <{ty = ".u32", imm = 64 : i64}>
// CHECK-NEXT:  %[[GRID:[0-9]+]] = "ptx.mov"() <{ty = ".u32", source = "%nctaid.x"}>
// CHECK-NEXT:  %[[CTA:[0-9]+]] = "ptx.mov"() <{ty = ".u32", source = "%ctaid.x"}>
// CHECK-NEXT:  %[[T0:[0-9]+]] = "ptx.mad_lo"(%[[R]], %[[GRID]], %[[CTA]])
// CHECK-NEXT:  %[[B0:[0-9]+]] = "ptx.mul_lo"(%[[R]], %[[NK]])
// CHECK-NEXT:  %[[MINE:[0-9]+]] = "ptx.add"(%[[R]]) <{ty = ".u32", imm = 1 : i64}>
// CHECK-NEXT:  %[[M2:[0-9]+]] = "ptx.rem"(%[[MINE]]) <{ty = ".u32", imm = 2 : i64}>
// CHECK-NEXT:  %[[NEXT:[0-9]+]] = "ptx.add"(%[[M2]]) <{ty = ".u32", imm = 1 : i64}>
// CHECK-NEXT:  "ptx.loop"(%[[T0]], %[[B0]])
// CHECK-NEXT:  ^bb0(%[[TILE:[0-9]+]]: !ptx.b32, %[[BASE:[0-9]+]]: !ptx.b32):
// CHECK:         %[[NOTFIRST:[0-9]+]] = "ptx.setp"(%[[TILE]], %[[CTA]]) <{cmp = "ne"
// CHECK-NEXT:    "ptx.if"(%[[NOTFIRST]])
// CHECK-NEXT:      "ptx.named_barrier"(%[[MINE]]) <{mode = "sync", count = 256 : i64}>
// CHECK:         "ptx.loop"
// The K loop has issued every wgmma: pass the turn if the block has a next tile, then wait.
// CHECK:         }) : (!ptx.b32, !ptx.b32, !ptx.b32, !ptx.acc<32>) -> (!ptx.b32, !ptx.b32, !ptx.b32, !ptx.acc<32>)
// CHECK-NEXT:    %[[AFTER:[0-9]+]] = "ptx.add"(%[[TILE]], %[[GRID]])
// CHECK-NEXT:    %[[MORE:[0-9]+]] = "ptx.setp"(%[[AFTER]], %{{[0-9]+}}) <{cmp = "lt"
// CHECK-NEXT:    "ptx.if"(%[[MORE]])
// CHECK-NEXT:      "ptx.named_barrier"(%[[NEXT]]) <{mode = "arrive", count = 256 : i64}>
// CHECK:         "ptx.wgmma_wait_group"(%{{[0-9]+}}) <{pending = 0 : i64}>
// Epilogue rows: the tile's first row, not offset by the warpgroup's index.
// CHECK:         %[[ROW:[0-9]+]] = "ptx.mul_lo"(%{{[0-9]+}}) <{ty = ".u32", imm = 64 : i64}>
// CHECK-NEXT:    %{{[0-9]+}} = "ptx.add"(%[[ROW]]) <{ty = ".u32", imm = 0 : i64}>
// The next tile is 2 grids on, its ring position 2 * nk on (end + nk).
// CHECK:         %[[JUMP:[0-9]+]] = "ptx.mul_lo"(%[[GRID]]) <{ty = ".u32", imm = 2 : i64}>
// CHECK-NEXT:    %[[NT:[0-9]+]] = "ptx.add"(%[[TILE]], %[[JUMP]])
// CHECK-NEXT:    %[[NB:[0-9]+]] = "ptx.mad_lo"(%[[NK]], %{{[0-9]+}}) <{ty = ".u32", imm = 1 : i64
// CHECK-NEXT:    "ptx.next"(%[[NT]], %[[NB]])
