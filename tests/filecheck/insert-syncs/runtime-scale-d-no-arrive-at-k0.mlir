// RUN: exo-gpu-opt %s -p insert-syncs | filecheck %s
//
//
// Input: what schedule{scale_d=runtime} produces with wait_depth 1: a K loop that starts at
// K block 0.  insert-syncs puts `mbarrier.arrive(slot) {lag = 1}` unconditionally in every
// iteration, so in K block 0 the consumers arrive on the empty barrier of slot
// (0 - 1) mod stages = stages - 1, a slot no K block has used yet.  That completes a phase
// of empty[stages - 1] early: the producer may then refill slot stages - 1 with K block
// 2*stages - 1 while the consumers still read K block stages - 1 (a shared-memory race), and
// that barrier stays one phase ahead for the rest of the kernel.  In the peeled form the
// loop starts at 1 >= wait_depth, so the problem cannot occur there (insert-syncs already
// skips the arrive in a peeled K block whose index < wait_depth).
//
// Expected: no unconditional lag-1 arrive directly in a K loop that starts at 0.

builtin.module {
  "warpgroup.kernel"() <{sym_name = "rt", dtype = "tf32", threads = 256 : i64, block_m = 64 : i64, block_n = 16 : i64, block_k = 32 : i64, wait_depth = 1 : i64}> ({
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
      %undef = "wgmma.undef_accumulator"() : () -> !wgmma.accumulator<m64n16, f32>
      %res = "warpgroup.k_loop"(%k_size, %undef) <{start = 0 : i64, block_k = 32 : i64, stages = 2 : i64}> ({
      ^bb0(%k: i32, %slot: i32, %phase: i32, %acc: !wgmma.accumulator<m64n16, f32>):
        %ne = arith.cmpi ne, %k, %zero : i32
        %l0 = "wgmma.mma_async"(%acc, %slot, %ne) <{dtype = "tf32", k = 8 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 1, 0>}> : (!wgmma.accumulator<m64n16, f32>, i32, i1) -> !wgmma.accumulator<m64n16, f32>
        %l1 = "wgmma.mma_async"(%l0, %slot) <{dtype = "tf32", k = 8 : i64, a_offset = 32 : i64, b_offset = 32 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (!wgmma.accumulator<m64n16, f32>, i32) -> !wgmma.accumulator<m64n16, f32>
        "warpgroup.yield"(%l1) : (!wgmma.accumulator<m64n16, f32>) -> ()
      }) : (i32, !wgmma.accumulator<m64n16, f32>) -> !wgmma.accumulator<m64n16, f32>
      "wgmma.store_accumulator"(%res, %c, %m, %n) <{row_offset = 0 : i64, accumulate_c = 0 : i64}> : (!wgmma.accumulator<m64n16, f32>, i64, i32, i32) -> ()
    }) : () -> ()
  }) : () -> ()
}

// CHECK:       "warpgroup.k_loop"(%k_size, %undef) <{start = 0 : i64
// CHECK:       wgmma.commit_group
// CHECK-NEXT:  "wgmma.wait_group"(%l1) <{pending = 1 : i64}>
// CHECK-NOT:   "mbarrier.arrive"(%slot) <{lag = 1 : i64}> : (i32) -> ()
// CHECK:       "warpgroup.yield"
