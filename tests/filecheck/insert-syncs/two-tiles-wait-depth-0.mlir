// RUN: exo-gpu-opt %s -p insert-syncs | filecheck %s
//
// Input: post-schedule IR with 2 m64n8 tiles per consumer warpgroup, 3 stages and
// wait_depth 0 (trimmed to 1 wgmma per tile and K block).
//
// Checks: one stage covers both tiles' mmas (one fence before, one commit after); the
// wait_group carries both accumulators and both later uses read its results; with
// wait_depth 0 the slot is released at once (lag 0), in the peeled K block 0 as well; the
// final wait_group 0 carries both loop results, which both stores read.

builtin.module {
  "warpgroup.kernel"() <{sym_name = "two", dtype = "bf16", threads = 256 : i64, block_m = 128 : i64, block_n = 8 : i64, block_k = 64 : i64, wait_depth = 0 : i64}> ({
  ^bb0(%a_map: !tma.tensor_map, %b_map: !tma.tensor_map, %c: i64, %m: i32, %n: i32, %k_size: i32):
    "mbarrier.ring"() <{ring = "a", stages = 3 : i64, slot_bytes = 16384 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "mbarrier.ring"() <{ring = "b", stages = 3 : i64, slot_bytes = 1024 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "warpgroup.role"() <{role = "producer", first_warpgroup = 0 : i64, num_warpgroups = 1 : i64, maxnreg = 40 : i64}> ({
      "warpgroup.k_loop"(%k_size) <{start = 0 : i64, block_k = 64 : i64, stages = 3 : i64}> ({
      ^bb0(%pk: i32, %pslot: i32, %pphase: i32):
        "tma.load"(%a_map, %pslot, %pk) <{operand = "A", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 128 : i64, bytes = 16384 : i64, ring = "a"}> : (!tma.tensor_map, i32, i32) -> ()
        "tma.load"(%b_map, %pslot, %pk) <{operand = "B", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 8 : i64, bytes = 1024 : i64, ring = "b"}> : (!tma.tensor_map, i32, i32) -> ()
        "warpgroup.yield"() : () -> ()
      }) : (i32) -> ()
    }) : () -> ()
    "warpgroup.role"() <{role = "consumer", first_warpgroup = 1 : i64, num_warpgroups = 1 : i64, maxnreg = 232 : i64}> ({
      %zero = arith.constant 0 : i32
      %t0 = "wgmma.mma_async"(%zero) <{dtype = "bf16", k = 16 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 0 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 0, 1, 0, 0>}> : (i32) -> !wgmma.accumulator<m64n8, f32>
      %t1 = "wgmma.mma_async"(%zero) <{dtype = "bf16", k = 16 : i64, a_offset = 8192 : i64, b_offset = 0 : i64, scale_d = 0 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 0, 1, 0, 0>}> : (i32) -> !wgmma.accumulator<m64n8, f32>
      %r0, %r1 = "warpgroup.k_loop"(%k_size, %t0, %t1) <{start = 1 : i64, block_k = 64 : i64, stages = 3 : i64}> ({
      ^bb0(%k: i32, %slot: i32, %phase: i32, %acc0: !wgmma.accumulator<m64n8, f32>, %acc1: !wgmma.accumulator<m64n8, f32>):
        %u0 = "wgmma.mma_async"(%acc0, %slot) <{dtype = "bf16", k = 16 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (!wgmma.accumulator<m64n8, f32>, i32) -> !wgmma.accumulator<m64n8, f32>
        %u1 = "wgmma.mma_async"(%acc1, %slot) <{dtype = "bf16", k = 16 : i64, a_offset = 8192 : i64, b_offset = 0 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (!wgmma.accumulator<m64n8, f32>, i32) -> !wgmma.accumulator<m64n8, f32>
        "warpgroup.yield"(%u0, %u1) : (!wgmma.accumulator<m64n8, f32>, !wgmma.accumulator<m64n8, f32>) -> ()
      }) : (i32, !wgmma.accumulator<m64n8, f32>, !wgmma.accumulator<m64n8, f32>) -> (!wgmma.accumulator<m64n8, f32>, !wgmma.accumulator<m64n8, f32>)
      "wgmma.store_accumulator"(%r0, %c, %m, %n) <{row_offset = 0 : i64, accumulate_c = 0 : i64}> : (!wgmma.accumulator<m64n8, f32>, i64, i32, i32) -> ()
      "wgmma.store_accumulator"(%r1, %c, %m, %n) <{row_offset = 64 : i64, accumulate_c = 0 : i64}> : (!wgmma.accumulator<m64n8, f32>, i64, i32, i32) -> ()
    }) : () -> ()
  }) : () -> ()
}

// Producer: each ring's slot is awaited empty and its loads' bytes announced before them:
// A's 16384, then B's 1024.
// CHECK:       "mbarrier.wait"(%pslot, %pphase) <{barrier = "empty", ring = "a"}>
// CHECK-NEXT:  "mbarrier.arrive_expect_tx"(%pslot) <{bytes = 16384 : i64, ring = "a"}>
// CHECK:       "mbarrier.wait"(%pslot, %pphase) <{barrier = "empty", ring = "b"}>
// CHECK-NEXT:  "mbarrier.arrive_expect_tx"(%pslot) <{bytes = 1024 : i64, ring = "b"}>

// Peeled K block 0: one stage for both tiles.
// CHECK:       %zero = arith.constant 0 : i32
// CHECK-NEXT:  %[[PH:[a-z0-9_]+]] = arith.constant 0 : i32
// CHECK-NEXT:  "mbarrier.wait"(%zero, %[[PH]]) <{barrier = "full", ring = "a"}>
// CHECK-NEXT:  "mbarrier.wait"(%zero, %[[PH]]) <{barrier = "full", ring = "b"}>
// CHECK-NEXT:  wgmma.fence
// CHECK-NEXT:  %t0 = "wgmma.mma_async"(%zero)
// CHECK-NEXT:  %t1 = "wgmma.mma_async"(%zero)
// CHECK-NEXT:  wgmma.commit_group
// CHECK-NEXT:  %[[W0:[a-z0-9_]+]], %[[W1:[a-z0-9_]+]] = "wgmma.wait_group"(%t0, %t1) <{pending = 0 : i64}> : (!wgmma.accumulator<m64n8, f32>, !wgmma.accumulator<m64n8, f32>) -> (!wgmma.accumulator<m64n8, f32>, !wgmma.accumulator<m64n8, f32>)
// wait_depth 0: slot 0 is released right away, even in the peeled K block.
// CHECK-NEXT:  "mbarrier.arrive"(%zero) <{lag = 0 : i64, ring = "a"}>
// CHECK-NEXT:  "mbarrier.arrive"(%zero) <{lag = 0 : i64, ring = "b"}>
// CHECK-NEXT:  %r0, %r1 = "warpgroup.k_loop"(%k_size, %[[W0]], %[[W1]])

// CHECK-NEXT:  ^bb0(%k: i32, %slot: i32, %phase: i32, %acc0: {{.*}}, %acc1: {{.*}}):
// CHECK-NEXT:    "mbarrier.wait"(%slot, %phase) <{barrier = "full", ring = "a"}>
// CHECK-NEXT:    "mbarrier.wait"(%slot, %phase) <{barrier = "full", ring = "b"}>
// CHECK-NEXT:    wgmma.fence
// CHECK-NEXT:    %u0 = "wgmma.mma_async"(%acc0, %slot)
// CHECK-NEXT:    %u1 = "wgmma.mma_async"(%acc1, %slot)
// CHECK-NEXT:    wgmma.commit_group
// CHECK-NEXT:    %[[V0:[a-z0-9_]+]], %[[V1:[a-z0-9_]+]] = "wgmma.wait_group"(%u0, %u1) <{pending = 0 : i64}>
// CHECK-NEXT:    "mbarrier.arrive"(%slot) <{lag = 0 : i64, ring = "a"}>
// CHECK-NEXT:    "mbarrier.arrive"(%slot) <{lag = 0 : i64, ring = "b"}>
// CHECK-NEXT:    "warpgroup.yield"(%[[V0]], %[[V1]])
// CHECK-NEXT:  })
// CHECK-NEXT:  %[[F0:[a-z0-9_]+]], %[[F1:[a-z0-9_]+]] = "wgmma.wait_group"(%r0, %r1) <{pending = 0 : i64}>
// CHECK-NEXT:  "wgmma.store_accumulator"(%[[F0]], %c, %m, %n) <{row_offset = 0 : i64
// CHECK-NEXT:  "wgmma.store_accumulator"(%[[F1]], %c, %m, %n) <{row_offset = 64 : i64
// Exactly one final wait: none between or after the stores.
// CHECK-NOT:   "wgmma.wait_group"
