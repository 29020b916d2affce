// RUN: not exo-gpu-opt %s -p insert-syncs 2>&1 | filecheck %s
//
// Outside a K loop a stage's slot must be a constant below `stages` (a peeled K block, whose
// phase is 0); slot 2 with stages = 2 is rejected.

builtin.module {
  "warpgroup.kernel"() <{sym_name = "bad", dtype = "tf32", threads = 128 : i64, block_m = 64 : i64, block_n = 16 : i64, block_k = 32 : i64, wait_depth = 1 : i64}> ({
  ^bb0(%a_map: !tma.tensor_map, %b_map: !tma.tensor_map, %c: i64, %m: i32, %n: i32, %k_size: i32):
    "mbarrier.ring"() <{ring = "a", stages = 2 : i64, slot_bytes = 8192 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "mbarrier.ring"() <{ring = "b", stages = 2 : i64, slot_bytes = 2048 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "warpgroup.role"() <{role = "consumer", first_warpgroup = 0 : i64, num_warpgroups = 1 : i64, maxnreg = 232 : i64}> ({
      %two = arith.constant 2 : i32
      %p0 = "wgmma.mma_async"(%two) <{dtype = "tf32", k = 8 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 0 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 0, 1, 0, 0>}> : (i32) -> !wgmma.accumulator<m64n16, f32>
    }) : () -> ()
  }) : () -> ()
}

// CHECK: exo-gpu-opt: error: ring slot 2 outside a K loop is not a peeled iteration (stages = 2)
