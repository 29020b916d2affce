// RUN: exo-gpu-opt %s -p lower-to-ptx | filecheck %s
//
// Input: post-insert-syncs IR with 2 consumer warpgroups (block_m 128 = 64 rows each, one
// m64n16 tile), 2 stages, 384 threads; trimmed to 2 wgmma per K block.
//
// Checks: with 384 threads the entry budget is 65536 / 384 -> 168 registers, so the
// producer decreases to 40 and the consumers *increase* to 232 (setmaxnreg.inc); the
// consumer role is the warpgroup range [1, 3) (setp ge, then setp lt .and); the producer
// loads one A box per consumer warpgroup (rows +0 and +64, smem +0 and +8192); each
// consumer's A descriptor and epilogue rows are offset by its index in the role.

builtin.module {
  "warpgroup.kernel"() <{sym_name = "two_wg", dtype = "tf32", threads = 384 : i64, block_m = 128 : i64, block_n = 16 : i64, block_k = 32 : i64, wait_depth = 1 : i64}> ({
  ^bb0(%a_map: !tma.tensor_map, %b_map: !tma.tensor_map, %c: i64, %m: i32, %n: i32, %k_size: i32):
    "mbarrier.ring"() <{ring = "a", stages = 2 : i64, slot_bytes = 16384 : i64, full_count = 1 : i64, empty_count = 256 : i64}> : () -> ()
    "mbarrier.ring"() <{ring = "b", stages = 2 : i64, slot_bytes = 2048 : i64, full_count = 1 : i64, empty_count = 256 : i64}> : () -> ()
    "warpgroup.role"() <{role = "producer", first_warpgroup = 0 : i64, num_warpgroups = 1 : i64, maxnreg = 40 : i64}> ({
      "warpgroup.k_loop"(%k_size) <{start = 0 : i64, block_k = 32 : i64, stages = 2 : i64}> ({
      ^bb0(%pk: i32, %pslot: i32, %pphase: i32):
        "mbarrier.wait"(%pslot, %pphase) <{barrier = "empty", ring = "a"}> : (i32, i32) -> ()
        "mbarrier.arrive_expect_tx"(%pslot) <{bytes = 16384 : i64, ring = "a"}> : (i32) -> ()
        "tma.load"(%a_map, %pslot, %pk) <{operand = "A", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 64 : i64, bytes = 8192 : i64, ring = "a"}> : (!tma.tensor_map, i32, i32) -> ()
        "tma.load"(%a_map, %pslot, %pk) <{operand = "A", row_offset = 64 : i64, smem_offset = 8192 : i64, box_rows = 64 : i64, bytes = 8192 : i64, ring = "a"}> : (!tma.tensor_map, i32, i32) -> ()
        "mbarrier.wait"(%pslot, %pphase) <{barrier = "empty", ring = "b"}> : (i32, i32) -> ()
        "mbarrier.arrive_expect_tx"(%pslot) <{bytes = 2048 : i64, ring = "b"}> : (i32) -> ()
        "tma.load"(%b_map, %pslot, %pk) <{operand = "B", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 16 : i64, bytes = 2048 : i64, ring = "b"}> : (!tma.tensor_map, i32, i32) -> ()
        "warpgroup.yield"() : () -> ()
      }) : (i32) -> ()
    }) : () -> ()
    "warpgroup.role"() <{role = "consumer", first_warpgroup = 1 : i64, num_warpgroups = 2 : i64, maxnreg = 232 : i64}> ({
      %zero = arith.constant 0 : i32
      %0 = arith.constant 0 : i32
      "mbarrier.wait"(%zero, %0) <{barrier = "full", ring = "a"}> : (i32, i32) -> ()
      "mbarrier.wait"(%zero, %0) <{barrier = "full", ring = "b"}> : (i32, i32) -> ()
      wgmma.fence
      %p0 = "wgmma.mma_async"(%zero) <{dtype = "tf32", k = 8 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 0 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 0, 1, 0, 0>}> : (i32) -> !wgmma.accumulator<m64n16, f32>
      %p1 = "wgmma.mma_async"(%p0, %zero) <{dtype = "tf32", k = 8 : i64, a_offset = 32 : i64, b_offset = 32 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (!wgmma.accumulator<m64n16, f32>, i32) -> !wgmma.accumulator<m64n16, f32>
      wgmma.commit_group
      %p1_1 = "wgmma.wait_group"(%p1) <{pending = 1 : i64}> : (!wgmma.accumulator<m64n16, f32>) -> !wgmma.accumulator<m64n16, f32>
      %res = "warpgroup.k_loop"(%k_size, %p1_1) <{start = 1 : i64, block_k = 32 : i64, stages = 2 : i64}> ({
      ^bb0(%k: i32, %slot: i32, %phase: i32, %acc: !wgmma.accumulator<m64n16, f32>):
        "mbarrier.wait"(%slot, %phase) <{barrier = "full", ring = "a"}> : (i32, i32) -> ()
        "mbarrier.wait"(%slot, %phase) <{barrier = "full", ring = "b"}> : (i32, i32) -> ()
        wgmma.fence
        %l0 = "wgmma.mma_async"(%acc, %slot) <{dtype = "tf32", k = 8 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (!wgmma.accumulator<m64n16, f32>, i32) -> !wgmma.accumulator<m64n16, f32>
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

// CHECK:       "ptx.entry"() <{sym_name = "two_wg", {{.*}}maxntid = 384 : i64, smem_bytes = 37952 : i64}>
// CHECK-NEXT:    %[[TID:[0-9]+]] = "ptx.mov"() <{ty = ".u32", source = "%tid.x"}>
// CHECK-NEXT:    %[[WG:[0-9]+]] = "ptx.shr"(%[[TID]]) <{ty = ".u32", imm = 7 : i64}>
// CHECK-NEXT:    "ptx.mov"() <{ty = ".u32", source = "exo_smem"}>
// CHECK-NEXT:    "ptx.add"
// CHECK-NEXT:    %[[SMEM:[0-9]+]] = "ptx.and"({{.*}}) <{ty = ".b32", imm = -1024 : i64}>
// CHECK:         %[[PID:[0-9]+]] = "ptx.mov"() <{ty = ".u32", source = "%ctaid.x"}>
// CHECK:         %[[GROUP:[0-9]+]] = "ptx.div"(%[[PID]], %{{[0-9]+}}) <{ty = ".u32"}>
// CHECK-NEXT:    %[[FIRST:[0-9]+]] = "ptx.mul_lo"(%[[GROUP]]) <{ty = ".u32", imm = 8 : i64}>
// CHECK:         %[[CTAY:[0-9]+]] = "ptx.add"(%[[FIRST]], %{{[0-9]+}}) <{ty = ".u32"}>
// The empty barriers wait for all 256 consumer threads.
// CHECK:         "ptx.mbarrier_init"({{.*}}) <{offset = 16 : i64, count = 256 : i64}>
// CHECK:         "ptx.mbarrier_init"({{.*}}) <{offset = 24 : i64, count = 256 : i64}>

// CHECK:         %[[ISPROD:[0-9]+]] = "ptx.setp"(%[[WG]]) <{cmp = "eq", ty = ".u32", imm = 0 : i64
// CHECK-NEXT:    "ptx.if"(%[[ISPROD]])
// CHECK-NEXT:      "ptx.setmaxnreg"() <{action = "dec", count = 40 : i64}>
// CHECK:             "ptx.mbarrier_arrive_expect_tx"({{.*}}) <{bytes = 16384 : i64}>
// A box of consumer warpgroup 0: rows ctaid.y * 128 + 0, at the start of the slot's A tile.
// CHECK-NEXT:        %[[A0:[0-9]+]] = "ptx.mad_lo"(%{{[0-9]+}}, %[[SMEM]]) <{ty = ".u32", imm = 16384 : i64
// CHECK-NEXT:        "ptx.mul_lo"
// CHECK-NEXT:        %[[R0:[0-9]+]] = "ptx.mul_lo"(%[[CTAY]]) <{ty = ".u32", imm = 128 : i64}>
// CHECK-NEXT:        %[[ROW0:[0-9]+]] = "ptx.add"(%[[R0]]) <{ty = ".u32", imm = 0 : i64}>
// CHECK-NEXT:        "ptx.mad_lo"
// CHECK-NEXT:        "ptx.cp_async_bulk_tensor_2d"(%[[A0]], {{.*}}, %[[ROW0]], {{.*}}) <{dst_offset = 0 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0>}>
// A box of consumer warpgroup 1: 64 rows further, 8192 bytes into the slot's A tile.
// CHECK-NEXT:        %[[A1:[0-9]+]] = "ptx.mad_lo"(%{{[0-9]+}}, %[[SMEM]]) <{ty = ".u32", imm = 16384 : i64
// CHECK-NEXT:        "ptx.mul_lo"
// CHECK-NEXT:        %[[R1:[0-9]+]] = "ptx.mul_lo"(%[[CTAY]]) <{ty = ".u32", imm = 128 : i64}>
// CHECK-NEXT:        %[[ROW1:[0-9]+]] = "ptx.add"(%[[R1]]) <{ty = ".u32", imm = 64 : i64}>
// CHECK-NEXT:        "ptx.mad_lo"
// CHECK-NEXT:        "ptx.cp_async_bulk_tensor_2d"(%[[A1]], {{.*}}, %[[ROW1]], {{.*}}) <{dst_offset = 8192 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0>}>

// Consumers: warpgroups 1 and 2.
// CHECK:         %[[GE:[0-9]+]] = "ptx.setp"(%[[WG]]) <{cmp = "ge", ty = ".u32", imm = 1 : i64
// CHECK-NEXT:    %[[IN:[0-9]+]] = "ptx.setp"(%[[WG]], %[[GE]]) <{cmp = "lt", ty = ".u32", imm = 3 : i64, operandSegmentSizes = array<i32: 1, 0, 1>}>
// CHECK-NEXT:    "ptx.if"(%[[IN]]) <{negate = 0 : i64}>
// CHECK-NEXT:      "ptx.setmaxnreg"() <{action = "inc", count = 232 : i64}> : () -> ()
// CHECK-NEXT:      "ptx.and"(%[[TID]]) <{ty = ".b32", imm = 127 : i64}>
// CHECK-NEXT:      %[[IDX:[0-9]+]] = "ptx.sub"(%[[WG]]) <{ty = ".u32", imm = 1 : i64}>
// This warpgroup's A rows: smem + index * 64 rows * 128 bytes, then slot * 16384.
// CHECK:           %[[ABASE:[0-9]+]] = "ptx.mad_lo"(%[[IDX]], %[[SMEM]]) <{ty = ".u32", imm = 8192 : i64
// CHECK-NEXT:      "ptx.mad_lo"(%{{[0-9]+}}, %[[ABASE]]) <{ty = ".u32", imm = 16384 : i64
// Epilogue rows: ctaid.y * 128 + index * 64.
// CHECK:           %[[EROW:[0-9]+]] = "ptx.mul_lo"(%[[CTAY]]) <{ty = ".u32", imm = 128 : i64}>
// CHECK-NEXT:      "ptx.mad_lo"(%[[IDX]], %[[EROW]]) <{ty = ".u32", imm = 64 : i64
// Exactly two roles, so exactly two setmaxnreg.
// CHECK-NOT:       "ptx.setmaxnreg"
