// RUN: exo-gpu-opt %s -p insert-syncs | filecheck %s
//
// Two wgmma groups of one block reading three rings, as attention's S = Q K^T and O = P V
// do: group 1 reads rings "q" and "k", group 2 rings "q" and "v".  Guarantees checked:
// - each ring's full barrier is waited for once, before the first group that reads it;
// - each group is its own commit group; a group whose accumulator a non-wgmma op reads gets
//   its own wait_group right before that read, with as many groups left in flight as were
//   issued after it (group 1: 1, group 2 still running; group 2: 0);
// - a ring is released once, right after the wait that retires the last group reading it
//   ("k" after group 1's wait, "q" and "v" after group 2's);
// - every later read goes through the wait's result.

builtin.module {
  "warpgroup.kernel"() <{sym_name = "chain", dtype = "bf16", threads = 128 : i64, block_m = 64 : i64, block_n = 64 : i64, block_k = 64 : i64, wait_depth = 1 : i64}> ({
  ^bb0(%q_map: !tma.tensor_map, %k_map: !tma.tensor_map, %c: i64, %m: i32, %n: i32, %k_size: i32):
    "mbarrier.ring"() <{ring = "q", stages = 2 : i64, slot_bytes = 8192 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "mbarrier.ring"() <{ring = "k", stages = 2 : i64, slot_bytes = 8192 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "mbarrier.ring"() <{ring = "v", stages = 2 : i64, slot_bytes = 8192 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "warpgroup.role"() <{role = "consumer", first_warpgroup = 0 : i64, num_warpgroups = 1 : i64, maxnreg = 232 : i64}> ({
      %zero = arith.constant 0 : i32
      %s = "wgmma.mma_async"(%zero) <{dtype = "bf16", k = 16 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 0 : i64, a_ring = "q", b_ring = "k", operandSegmentSizes = array<i32: 0, 1, 0, 0>}> : (i32) -> !wgmma.accumulator<m64n64, f32>
      %half = arith.constant 5.000000e-01 : f32
      %o = "wgmma.mma_async"(%zero) <{dtype = "bf16", k = 16 : i64, a_offset = 32 : i64, b_offset = 0 : i64, scale_d = 0 : i64, a_ring = "q", b_ring = "v", operandSegmentSizes = array<i32: 0, 1, 0, 0>}> : (i32) -> !wgmma.accumulator<m64n64, f32>
      %e = wgmma.frag_unary "exp2" %s : !wgmma.accumulator<m64n64, f32>
      "wgmma.store_accumulator"(%e, %c, %m, %n) <{row_offset = 0 : i64, accumulate_c = 0 : i64}> : (!wgmma.accumulator<m64n64, f32>, i64, i32, i32) -> ()
      "wgmma.store_accumulator"(%o, %c, %m, %n) <{row_offset = 0 : i64, accumulate_c = 0 : i64}> : (!wgmma.accumulator<m64n64, f32>, i64, i32, i32) -> ()
    }) : () -> ()
  }) : () -> ()
}

// CHECK:       %zero = arith.constant 0 : i32
// CHECK-NEXT:  %[[PH:[a-z0-9_]+]] = arith.constant 0 : i32
// CHECK-NEXT:  "mbarrier.wait"(%zero, %[[PH]]) <{barrier = "full", ring = "q"}>
// CHECK-NEXT:  "mbarrier.wait"(%zero, %[[PH]]) <{barrier = "full", ring = "k"}>
// CHECK-NEXT:  wgmma.fence
// CHECK-NEXT:  %s = "wgmma.mma_async"(%zero)
// CHECK-NEXT:  wgmma.commit_group
// CHECK-NEXT:  %half = arith.constant
// Group 2 waits only for ring "v": ring "q"'s slot is already known full.
// CHECK-NEXT:  %[[PH2:[a-z0-9_]+]] = arith.constant 0 : i32
// CHECK-NEXT:  "mbarrier.wait"(%zero, %[[PH2]]) <{barrier = "full", ring = "v"}>
// CHECK-NEXT:  wgmma.fence
// CHECK-NEXT:  %o = "wgmma.mma_async"(%zero)
// CHECK-NEXT:  wgmma.commit_group
// Group 1 retired, group 2 left in flight: wait_group 1, then ring "k" released.
// CHECK-NEXT:  %[[S:[a-z0-9_]+]] = "wgmma.wait_group"(%s) <{pending = 1 : i64}>
// CHECK-NEXT:  "mbarrier.arrive"(%zero) <{lag = 0 : i64, ring = "k"}>
// CHECK-NEXT:  %e = wgmma.frag_unary "exp2" %[[S]]
// CHECK-NEXT:  "wgmma.store_accumulator"(%e,
// CHECK-NEXT:  %[[O:[a-z0-9_]+]] = "wgmma.wait_group"(%o) <{pending = 0 : i64}>
// CHECK-NEXT:  "mbarrier.arrive"(%zero) <{lag = 0 : i64, ring = "q"}>
// CHECK-NEXT:  "mbarrier.arrive"(%zero) <{lag = 0 : i64, ring = "v"}>
// CHECK-NEXT:  "wgmma.store_accumulator"(%[[O]],
// CHECK-NOT:   mbarrier.arrive
