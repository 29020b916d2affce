// RUN: exo-gpu-opt %s -p lower-to-ptx | filecheck %s
// RUN: exo-gpu-opt %s -p lower-to-ptx | filecheck %s --check-prefix=NOF32
//
// Input: lower-to-ptx/kernel.mlir with f16 inputs and an f16 accumulator (m64n16k16, 2 wgmma
// per K block): each thread holds the 64 x 16 f16 tile in N/4 = 4 packed f16x2 registers.
//
// lower-to-ptx guarantees, checked below: every wgmma, wait_group and the K loop carry
// !ptx.acc<4, f16x2> (4 registers, not the 8 of f32); the epilogue writes f32 C: each packed
// register r (elements 2r, 2r + 1) is unpacked with ptx.unpack_f16x2 and both halves
// converted with cvt.f32.f16, then stored as a pair (interior block: st.global.v2 of the two
// f32 values) or one by one under bounds checks (edge block).  The fragment layout is the
// f32 one: row half 0 holds registers 0 and 2 (columns 0-1 and 8-9), row half 1 (8 rows
// down) registers 1 and 3.

builtin.module {
  "warpgroup.kernel"() <{sym_name = "small_f16acc", dtype = "f16", threads = 256 : i64, block_m = 64 : i64, block_n = 16 : i64, block_k = 64 : i64, wait_depth = 1 : i64}> ({
  ^bb0(%a_map: !tma.tensor_map, %b_map: !tma.tensor_map, %c: i64, %m: i32, %n: i32, %k_size: i32):
    "mbarrier.ring"() <{ring = "a", stages = 2 : i64, slot_bytes = 8192 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "mbarrier.ring"() <{ring = "b", stages = 2 : i64, slot_bytes = 2048 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "warpgroup.role"() <{role = "producer", first_warpgroup = 0 : i64, num_warpgroups = 1 : i64, maxnreg = 40 : i64}> ({
      "warpgroup.k_loop"(%k_size) <{start = 0 : i64, block_k = 64 : i64, stages = 2 : i64}> ({
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
      %0 = arith.constant 0 : i32
      "mbarrier.wait"(%zero, %0) <{barrier = "full", ring = "a"}> : (i32, i32) -> ()
      "mbarrier.wait"(%zero, %0) <{barrier = "full", ring = "b"}> : (i32, i32) -> ()
      wgmma.fence
      %p0 = "wgmma.mma_async"(%zero) <{dtype = "f16", k = 16 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 0 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 0, 1, 0, 0>}> : (i32) -> !wgmma.accumulator<m64n16, f16>
      %p1 = "wgmma.mma_async"(%p0, %zero) <{dtype = "f16", k = 16 : i64, a_offset = 32 : i64, b_offset = 32 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (!wgmma.accumulator<m64n16, f16>, i32) -> !wgmma.accumulator<m64n16, f16>
      wgmma.commit_group
      %p1_1 = "wgmma.wait_group"(%p1) <{pending = 1 : i64}> : (!wgmma.accumulator<m64n16, f16>) -> !wgmma.accumulator<m64n16, f16>
      %res = "warpgroup.k_loop"(%k_size, %p1_1) <{start = 1 : i64, block_k = 64 : i64, stages = 2 : i64}> ({
      ^bb0(%k: i32, %slot: i32, %phase: i32, %acc: !wgmma.accumulator<m64n16, f16>):
        "mbarrier.wait"(%slot, %phase) <{barrier = "full", ring = "a"}> : (i32, i32) -> ()
        "mbarrier.wait"(%slot, %phase) <{barrier = "full", ring = "b"}> : (i32, i32) -> ()
        wgmma.fence
        %l0 = "wgmma.mma_async"(%acc, %slot) <{dtype = "f16", k = 16 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (!wgmma.accumulator<m64n16, f16>, i32) -> !wgmma.accumulator<m64n16, f16>
        %l1 = "wgmma.mma_async"(%l0, %slot) <{dtype = "f16", k = 16 : i64, a_offset = 32 : i64, b_offset = 32 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (!wgmma.accumulator<m64n16, f16>, i32) -> !wgmma.accumulator<m64n16, f16>
        wgmma.commit_group
        %l1_1 = "wgmma.wait_group"(%l1) <{pending = 1 : i64}> : (!wgmma.accumulator<m64n16, f16>) -> !wgmma.accumulator<m64n16, f16>
        "mbarrier.arrive"(%slot) <{lag = 1 : i64, ring = "a"}> : (i32) -> ()
        "mbarrier.arrive"(%slot) <{lag = 1 : i64, ring = "b"}> : (i32) -> ()
        "warpgroup.yield"(%l1_1) : (!wgmma.accumulator<m64n16, f16>) -> ()
      }) : (i32, !wgmma.accumulator<m64n16, f16>) -> !wgmma.accumulator<m64n16, f16>
      %res_1 = "wgmma.wait_group"(%res) <{pending = 0 : i64}> : (!wgmma.accumulator<m64n16, f16>) -> !wgmma.accumulator<m64n16, f16>
      "wgmma.store_accumulator"(%res_1, %c, %m, %n) <{row_offset = 0 : i64, accumulate_c = 0 : i64}> : (!wgmma.accumulator<m64n16, f16>, i64, i32, i32) -> ()
    }) : () -> ()
  }) : () -> ()
}


// CHECK:       %[[MMA0:[0-9]+]] = "ptx.wgmma_mma_async"(%{{[0-9]+}}, %{{[0-9]+}}) <{dtype = "f16", n = 16 : i64, scale_d = 0 : i64, {{.*}}}> : (!ptx.b64, !ptx.b64) -> !ptx.acc<4, f16x2>
// CHECK:       %[[MMA1:[0-9]+]] = "ptx.wgmma_mma_async"(%[[MMA0]], %{{[0-9]+}}, %{{[0-9]+}}) <{dtype = "f16", n = 16 : i64, scale_d = 1 : i64, {{.*}}}> : (!ptx.acc<4, f16x2>, !ptx.b64, !ptx.b64) -> !ptx.acc<4, f16x2>
// CHECK:       %[[W1:[0-9]+]] = "ptx.wgmma_wait_group"(%[[MMA1]]) <{pending = 1 : i64}> : (!ptx.acc<4, f16x2>) -> !ptx.acc<4, f16x2>
// CHECK:       ^bb{{[0-9]+}}(%{{[0-9]+}}: !ptx.b32, %{{[0-9]+}}: !ptx.b32, %{{[0-9]+}}: !ptx.b32, %[[CARRIED:[0-9]+]]: !ptx.acc<4, f16x2>):
// CHECK:       "ptx.wgmma_mma_async"(%[[CARRIED]], %{{[0-9]+}}, %{{[0-9]+}}) <{dtype = "f16", n = 16 : i64, scale_d = 1 : i64, {{.*}}}> : (!ptx.acc<4, f16x2>, !ptx.b64, !ptx.b64) -> !ptx.acc<4, f16x2>
// CHECK:       }) : (!ptx.b32, !ptx.b32, !ptx.b32, !ptx.acc<4, f16x2>) -> (!ptx.b32, !ptx.b32, !ptx.b32, !ptx.acc<4, f16x2>)
// CHECK-NEXT:  %[[DONE:[0-9]+]] = "ptx.wgmma_wait_group"(%{{[0-9]+}}) <{pending = 0 : i64}> : (!ptx.acc<4, f16x2>) -> !ptx.acc<4, f16x2>

// Interior block: pairs.
// CHECK:       %[[L0:[0-9]+]], %[[H0:[0-9]+]] = "ptx.unpack_f16x2"(%[[DONE]]) <{register = 0 : i64}> : (!ptx.acc<4, f16x2>) -> (!ptx.b16, !ptx.b16)
// CHECK-NEXT:  %[[FL0:[0-9]+]] = "ptx.cvt"(%[[L0]]) <{to = ".f32", from = ".f16"}> : (!ptx.b16) -> !ptx.f32
// CHECK-NEXT:  %[[FH0:[0-9]+]] = "ptx.cvt"(%[[H0]]) <{to = ".f32", from = ".f16"}> : (!ptx.b16) -> !ptx.f32
// CHECK-NEXT:  "ptx.st_global_v2_f32_values"(%[[ROW0:[0-9]+]], %[[FL0]], %[[FH0]]) <{offset = 0 : i64}>
// CHECK-NEXT:  "ptx.unpack_f16x2"(%[[DONE]]) <{register = 2 : i64}>
// CHECK-NEXT:  "ptx.cvt"
// CHECK-NEXT:  "ptx.cvt"
// CHECK-NEXT:  "ptx.st_global_v2_f32_values"(%[[ROW0]], %{{[0-9]+}}, %{{[0-9]+}}) <{offset = 32 : i64}>
// CHECK:       "ptx.unpack_f16x2"(%[[DONE]]) <{register = 1 : i64}>
// CHECK:       "ptx.st_global_v2_f32_values"(%[[ROW1:[0-9]+]], %{{[0-9]+}}, %{{[0-9]+}}) <{offset = 0 : i64}>
// CHECK-NEXT:  "ptx.unpack_f16x2"(%[[DONE]]) <{register = 3 : i64}>
// CHECK:       "ptx.st_global_v2_f32_values"(%[[ROW1]], %{{[0-9]+}}, %{{[0-9]+}}) <{offset = 32 : i64}>

// Edge block: one unpack per pair, each half stored under its own column check.
// CHECK:       %[[EL0:[0-9]+]], %[[EH0:[0-9]+]] = "ptx.unpack_f16x2"(%[[DONE]]) <{register = 0 : i64}>
// CHECK-NEXT:  %[[EFL0:[0-9]+]] = "ptx.cvt"(%[[EL0]]) <{to = ".f32", from = ".f16"}>
// CHECK-NEXT:  %[[EFH0:[0-9]+]] = "ptx.cvt"(%[[EH0]]) <{to = ".f32", from = ".f16"}>
// CHECK:       "ptx.st_global_f32"(%{{[0-9]+}}, %[[EFL0]], %{{[0-9]+}}) <{offset = 0 : i64, {{.*}}}> : (!ptx.b64, !ptx.f32, !ptx.pred) -> ()
// CHECK:       "ptx.st_global_f32"(%{{[0-9]+}}, %[[EFH0]], %{{[0-9]+}}) <{offset = 4 : i64, {{.*}}}> : (!ptx.b64, !ptx.f32, !ptx.pred) -> ()
// CHECK:       "ptx.unpack_f16x2"(%[[DONE]]) <{register = 2 : i64}>
// CHECK:       "ptx.st_global_f32"({{.*}}) <{offset = 36 : i64, {{.*}}}>
// CHECK:       "ptx.unpack_f16x2"(%[[DONE]]) <{register = 1 : i64}>
// CHECK:       "ptx.unpack_f16x2"(%[[DONE]]) <{register = 3 : i64}>
// CHECK:       "ptx.st_global_f32"({{.*}}) <{offset = 36 : i64, {{.*}}}>

// No f32 accumulator anywhere, and nothing reads an f16 accumulator as f32 elements.
// NOF32-NOT:   !ptx.acc<8
// NOF32-NOT:   "ptx.st_global_v2_f32"(
// NOF32-NOT:   element =
