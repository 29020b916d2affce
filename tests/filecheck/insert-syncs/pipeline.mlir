// RUN: exo-gpu-opt %s -p insert-syncs | filecheck %s
//
// Input: what schedule produces for 1 consumer warpgroup, 1 m64n16 tf32 tile, 2 stages,
// wait_depth 1 (trimmed to 2 wgmma per K block; names added for reading).
//
// insert-syncs guarantees, checked below:
// - consumer, before each stage: mbarrier.wait full on the stage's slot, then wgmma.fence;
// - after it: commit_group, then wait_group 1 (the wait_depth) carrying the stage's
//   accumulator, whose result replaces every later use; then an arrive on the empty barrier
//   of the slot used 1 K block back (none after the peeled K block 0: there is no such slot);
// - after the K loop: wait_group 0 on the loop's result, before the epilogue reads it;
// - producer: before each K block's loads into a ring, mbarrier.wait empty on that ring and
//   one arrive_expect_tx for the bytes of the block's loads into it (A 8192, B 2048).

builtin.module {
  "warpgroup.kernel"() <{sym_name = "small", dtype = "tf32", threads = 256 : i64, block_m = 64 : i64, block_n = 16 : i64, block_k = 32 : i64, wait_depth = 1 : i64}> ({
  ^bb0(%a_map: !tma.tensor_map, %b_map: !tma.tensor_map, %c: i64, %m: i32, %n: i32, %k_size: i32):
    "mbarrier.ring"() <{ring = "a", stages = 2 : i64, slot_bytes = 8192 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "mbarrier.ring"() <{ring = "b", stages = 2 : i64, slot_bytes = 2048 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "warpgroup.role"() <{role = "producer", first_warpgroup = 0 : i64, num_warpgroups = 1 : i64, maxnreg = 40 : i64}> ({
      "warpgroup.k_loop"(%k_size) <{start = 0 : i64, block_k = 32 : i64, stages = 2 : i64}> ({
      ^bb0(%pk: i32, %pslot: i32, %pphase: i32):
        "tma.load"(%a_map, %pslot, %pk) <{operand = "A", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 64 : i64, bytes = 8192 : i64, ring = "a"}> : (!tma.tensor_map, i32, i32) -> ()
        "tma.load"(%b_map, %pslot, %pk) <{operand = "B", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 16 : i64, bytes = 2048 : i64, ring = "b"}> : (!tma.tensor_map, i32, i32) -> ()
        "warpgroup.yield"() : () -> ()
      }) : (i32) -> ()
    }) : () -> ()
    "warpgroup.role"() <{role = "consumer", first_warpgroup = 1 : i64, num_warpgroups = 1 : i64, maxnreg = 232 : i64}> ({
      %zero = arith.constant 0 : i32
      %p0 = "wgmma.mma_async"(%zero) <{dtype = "tf32", k = 8 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 0 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 0, 1, 0, 0>}> : (i32) -> !wgmma.accumulator<m64n16, f32>
      %p1 = "wgmma.mma_async"(%p0, %zero) <{dtype = "tf32", k = 8 : i64, a_offset = 32 : i64, b_offset = 32 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (!wgmma.accumulator<m64n16, f32>, i32) -> !wgmma.accumulator<m64n16, f32>
      %res = "warpgroup.k_loop"(%k_size, %p1) <{start = 1 : i64, block_k = 32 : i64, stages = 2 : i64}> ({
      ^bb0(%k: i32, %slot: i32, %phase: i32, %acc: !wgmma.accumulator<m64n16, f32>):
        %l0 = "wgmma.mma_async"(%acc, %slot) <{dtype = "tf32", k = 8 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (!wgmma.accumulator<m64n16, f32>, i32) -> !wgmma.accumulator<m64n16, f32>
        %l1 = "wgmma.mma_async"(%l0, %slot) <{dtype = "tf32", k = 8 : i64, a_offset = 32 : i64, b_offset = 32 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (!wgmma.accumulator<m64n16, f32>, i32) -> !wgmma.accumulator<m64n16, f32>
        "warpgroup.yield"(%l1) : (!wgmma.accumulator<m64n16, f32>) -> ()
      }) : (i32, !wgmma.accumulator<m64n16, f32>) -> !wgmma.accumulator<m64n16, f32>
      "wgmma.store_accumulator"(%res, %c, %m, %n) <{row_offset = 0 : i64, accumulate_c = 0 : i64}> : (!wgmma.accumulator<m64n16, f32>, i64, i32, i32) -> ()
    }) : () -> ()
  }) : () -> ()
}

// Producer: per ring, wait for the slot to be empty, announce its bytes, then its load.
// CHECK:       ^bb0(%pk: i32, %pslot: i32, %pphase: i32):
// CHECK-NEXT:    "mbarrier.wait"(%pslot, %pphase) <{barrier = "empty", ring = "a"}> : (i32, i32) -> ()
// CHECK-NEXT:    "mbarrier.arrive_expect_tx"(%pslot) <{bytes = 8192 : i64, ring = "a"}> : (i32) -> ()
// CHECK-NEXT:    "tma.load"(%a_map, %pslot, %pk) <{operand = "A"
// CHECK-NEXT:    "mbarrier.wait"(%pslot, %pphase) <{barrier = "empty", ring = "b"}> : (i32, i32) -> ()
// CHECK-NEXT:    "mbarrier.arrive_expect_tx"(%pslot) <{bytes = 2048 : i64, ring = "b"}> : (i32) -> ()
// CHECK-NEXT:    "tma.load"(%b_map, %pslot, %pk) <{operand = "B"
// CHECK-NEXT:    "warpgroup.yield"() : () -> ()

// Peeled K block 0: slot is the constant 0, so the phase is a new constant 0.
// CHECK:       %zero = arith.constant 0 : i32
// CHECK-NEXT:  %[[PHASE0:[a-z0-9_]+]] = arith.constant 0 : i32
// CHECK-NEXT:  "mbarrier.wait"(%zero, %[[PHASE0]]) <{barrier = "full", ring = "a"}> : (i32, i32) -> ()
// CHECK-NEXT:  "mbarrier.wait"(%zero, %[[PHASE0]]) <{barrier = "full", ring = "b"}> : (i32, i32) -> ()
// CHECK-NEXT:  wgmma.fence
// CHECK-NEXT:  %p0 = "wgmma.mma_async"(%zero)
// CHECK-NEXT:  %p1 = "wgmma.mma_async"(%p0, %zero)
// CHECK-NEXT:  wgmma.commit_group
// CHECK-NEXT:  %[[W0:[a-z0-9_]+]] = "wgmma.wait_group"(%p1) <{pending = 1 : i64}> : (!wgmma.accumulator<m64n16, f32>) -> !wgmma.accumulator<m64n16, f32>
// No arrive for K block 0 with wait_depth 1: its groups may still be pending.
// CHECK-NOT:   mbarrier.arrive
// The loop is entered with the wait's result, not the raw mma result.
// CHECK-NEXT:  %res = "warpgroup.k_loop"(%k_size, %[[W0]]) <{start = 1 : i64, block_k = 32 : i64, stages = 2 : i64}>

// Inside the loop: the same, on the loop's slot and phase, and the lagged arrive.
// CHECK-NEXT:  ^bb0(%k: i32, %slot: i32, %phase: i32, %acc: !wgmma.accumulator<m64n16, f32>):
// CHECK-NEXT:    "mbarrier.wait"(%slot, %phase) <{barrier = "full", ring = "a"}> : (i32, i32) -> ()
// CHECK-NEXT:    "mbarrier.wait"(%slot, %phase) <{barrier = "full", ring = "b"}> : (i32, i32) -> ()
// CHECK-NEXT:    wgmma.fence
// CHECK-NEXT:    %l0 = "wgmma.mma_async"(%acc, %slot)
// CHECK-NEXT:    %l1 = "wgmma.mma_async"(%l0, %slot)
// CHECK-NEXT:    wgmma.commit_group
// CHECK-NEXT:    %[[W1:[a-z0-9_]+]] = "wgmma.wait_group"(%l1) <{pending = 1 : i64}>
// CHECK-NEXT:    "mbarrier.arrive"(%slot) <{lag = 1 : i64, ring = "a"}> : (i32) -> ()
// CHECK-NEXT:    "mbarrier.arrive"(%slot) <{lag = 1 : i64, ring = "b"}> : (i32) -> ()
// CHECK-NEXT:    "warpgroup.yield"(%[[W1]]) : (!wgmma.accumulator<m64n16, f32>) -> ()
// CHECK-NEXT:  })

// After the loop, in straight-line code: wait for everything, and store only its result.
// CHECK-NEXT:  %[[FINAL:[a-z0-9_]+]] = "wgmma.wait_group"(%res) <{pending = 0 : i64}> : (!wgmma.accumulator<m64n16, f32>) -> !wgmma.accumulator<m64n16, f32>
// CHECK-NEXT:  "wgmma.store_accumulator"(%[[FINAL]], %c, %m, %n)
