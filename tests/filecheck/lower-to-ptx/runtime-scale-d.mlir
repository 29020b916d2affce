// RUN: exo-gpu-opt %s -p lower-to-ptx | filecheck %s
//
// Input: post-insert-syncs IR of the run-time scale-d form (K loop from 0, undefined
// initial accumulator, scale-d = (k != 0) on the tile's first mma of each K block).
//
// Checks: the undefined accumulator is a ptx.acc_undef (no instruction) that enters the
// loop as its initial value; (k, slot, phase) start at (0, 0, 0); arith.cmpi ne becomes
// setp.ne on the loop's k, and that predicate is the mma's scale-d operand (4th operand
// segment), while an mma without a run-time scale-d keeps its immediate.

builtin.module {
  "warpgroup.kernel"() <{sym_name = "rt", dtype = "tf32", threads = 256 : i64, block_m = 64 : i64, block_n = 16 : i64, block_k = 32 : i64, wait_depth = 1 : i64}> ({
  ^bb0(%a_map: !tma.tensor_map, %b_map: !tma.tensor_map, %c: i64, %m: i32, %n: i32, %k_size: i32):
    "mbarrier.ring"() <{ring = "a", stages = 2 : i64, slot_bytes = 8192 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "mbarrier.ring"() <{ring = "b", stages = 2 : i64, slot_bytes = 2048 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "warpgroup.role"() <{role = "producer", first_warpgroup = 0 : i64, num_warpgroups = 1 : i64, maxnreg = 40 : i64}> ({
      "warpgroup.k_loop"(%k_size) <{start = 0 : i64, block_k = 32 : i64, stages = 2 : i64}> ({
      ^bb0(%pk: i32, %pslot: i32, %pphase: i32):
        "mbarrier.wait"(%pslot, %pphase) <{barrier = "empty", ring = "a"}> : (i32, i32) -> ()
        "mbarrier.arrive_expect_tx"(%pslot) <{bytes = 8192 : i64, ring = "a"}> : (i32) -> ()
        "tma.load"(%a_map, %pslot, %pk) <{operand = "A", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 64 : i64, bytes = 8192 : i64, ring = "a"}> : (!tma.tensor_map, i32, i32) -> ()
        "mbarrier.wait"(%pslot, %pphase) <{barrier = "empty", ring = "b"}> : (i32, i32) -> ()
        "mbarrier.arrive_expect_tx"(%pslot) <{bytes = 2048 : i64, ring = "b"}> : (i32) -> ()
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
        "mbarrier.wait"(%slot, %phase) <{barrier = "full", ring = "a"}> : (i32, i32) -> ()
        "mbarrier.wait"(%slot, %phase) <{barrier = "full", ring = "b"}> : (i32, i32) -> ()
        wgmma.fence
        %l0 = "wgmma.mma_async"(%acc, %slot, %ne) <{dtype = "tf32", k = 8 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 1, 0>}> : (!wgmma.accumulator<m64n16, f32>, i32, i1) -> !wgmma.accumulator<m64n16, f32>
        %l1 = "wgmma.mma_async"(%l0, %slot) <{dtype = "tf32", k = 8 : i64, a_offset = 32 : i64, b_offset = 32 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (!wgmma.accumulator<m64n16, f32>, i32) -> !wgmma.accumulator<m64n16, f32>
        wgmma.commit_group
        %l1_1 = "wgmma.wait_group"(%l1) <{pending = 1 : i64}> : (!wgmma.accumulator<m64n16, f32>) -> !wgmma.accumulator<m64n16, f32>
        "mbarrier.arrive"(%slot) <{lag = 1 : i64, ring = "a"}> : (i32) -> ()
        "mbarrier.arrive"(%slot) <{lag = 1 : i64, ring = "b"}> : (i32) -> ()
        "warpgroup.yield"(%l1_1) : (!wgmma.accumulator<m64n16, f32>) -> ()
      }) : (i32, !wgmma.accumulator<m64n16, f32>) -> !wgmma.accumulator<m64n16, f32>
      %res_1 = "wgmma.wait_group"(%res) <{pending = 0 : i64}> : (!wgmma.accumulator<m64n16, f32>) -> !wgmma.accumulator<m64n16, f32>
      "wgmma.store_accumulator"(%res_1, %c, %m, %n) <{row_offset = 0 : i64, accumulate_c = 0 : i64}> : (!wgmma.accumulator<m64n16, f32>, i64, i32, i32) -> ()
    }) : () -> ()
  }) : () -> ()
}

// CHECK:         "ptx.setmaxnreg"() <{action = "dec", count = 232 : i64}>
// CHECK:         %[[ZERO:[0-9]+]] = "ptx.mov"() <{ty = ".u32", imm = 0 : i64}>
// CHECK-NEXT:    %[[UNDEF:[0-9]+]] = "ptx.acc_undef"() : () -> !ptx.acc<8>
// CHECK-NEXT:    "ptx.add"
// CHECK-NEXT:    "ptx.div"
// CHECK-NEXT:    %[[K0:[0-9]+]] = "ptx.mov"() <{ty = ".u32", imm = 0 : i64}>
// CHECK-NEXT:    %[[S0:[0-9]+]] = "ptx.mov"() <{ty = ".u32", imm = 0 : i64}>
// CHECK-NEXT:    %[[P0:[0-9]+]] = "ptx.mov"() <{ty = ".u32", imm = 0 : i64}>
// CHECK-NEXT:    "ptx.loop"(%[[K0]], %[[S0]], %[[P0]], %[[UNDEF]])
// CHECK-NEXT:    ^bb0(%[[K:[0-9]+]]: !ptx.b32, %{{[0-9]+}}: !ptx.b32, %{{[0-9]+}}: !ptx.b32, %[[ACC:[0-9]+]]: !ptx.acc<8>):
// CHECK-NEXT:      "ptx.setp"
// CHECK-NEXT:      "ptx.break_if"
// CHECK-NEXT:      %[[NE:[0-9]+]] = "ptx.setp"(%[[K]], %[[ZERO]]) <{cmp = "ne", ty = ".u32", operandSegmentSizes = array<i32: 1, 1, 0>}>
// CHECK:           %[[M0:[0-9]+]] = "ptx.wgmma_mma_async"(%[[ACC]], %{{[0-9]+}}, %{{[0-9]+}}, %[[NE]]) <{dtype = "tf32", n = 16 : i64, scale_d = 1 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1>}> : (!ptx.acc<8>, !ptx.b64, !ptx.b64, !ptx.pred) -> !ptx.acc<8>
// CHECK:           "ptx.wgmma_mma_async"(%[[M0]], %{{[0-9]+}}, %{{[0-9]+}}) <{dtype = "tf32", n = 16 : i64, scale_d = 1 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0>}>
