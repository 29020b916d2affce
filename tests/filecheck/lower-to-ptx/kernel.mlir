// RUN: exo-gpu-opt %s -p lower-to-ptx | filecheck %s
// RUN: exo-gpu-opt %s -p lower-to-ptx | filecheck %s --check-prefix=NOHIGH
//
// Input: what insert-syncs produces for 1 consumer warpgroup, 1 m64n16 tf32 tile, 2 stages,
// wait_depth 1 (trimmed to 2 wgmma per K block).
//
// lower-to-ptx guarantees, checked below: one ptx.entry with the GEMM parameters, .maxntid =
// threads and the ring's dynamic shared memory; the ring's mbarriers initialised by thread 0
// then bar.sync; each role a branch on the warpgroup index that starts with setmaxnreg
// (256 threads: the entry budget is 65536 / 256 = 256 registers, so both roles *decrease*);
// the producer on one elected thread; each K loop a ptx.loop carrying (k, slot, phase) and
// the accumulators; mbarrier waits as try_wait.parity spin loops (empty barriers with the
// phase flipped); wgmma with scale-d immediates and the accumulator flowing through mma,
// wait_group and the loop; the lagged arrive on the empty barrier of the previous slot.

builtin.module {
  "warpgroup.kernel"() <{sym_name = "small", dtype = "tf32", threads = 256 : i64, block_m = 64 : i64, block_n = 16 : i64, block_k = 32 : i64, wait_depth = 1 : i64}> ({
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

// CHECK:       "ptx.entry"() <{sym_name = "small", params = [".param .align 64 .b8 small_param_a[128]", ".param .align 64 .b8 small_param_b[128]", ".param .u64 small_param_c", ".param .u32 small_param_m", ".param .u32 small_param_n", ".param .u32 small_param_k"], maxntid = 256 : i64, smem_bytes = 21568 : i64}> ({
// CHECK-NEXT:    %[[TID:[0-9]+]] = "ptx.mov"() <{ty = ".u32", source = "%tid.x"}> : () -> !ptx.b32
// CHECK-NEXT:    %[[WG:[0-9]+]] = "ptx.shr"(%[[TID]]) <{ty = ".u32", imm = 7 : i64}> : (!ptx.b32) -> !ptx.b32
// Shared memory is 1024-byte aligned: ring "a"'s 2 x 8192 bytes of tiles, ring "b"'s 2 x 2048,
// then ring "a"'s 4 mbarriers (at 20480) and ring "b"'s (at 20512).
// CHECK-NEXT:    %[[RAW:[0-9]+]] = "ptx.mov"() <{ty = ".u32", source = "exo_smem"}>
// CHECK-NEXT:    %[[UP:[0-9]+]] = "ptx.add"(%[[RAW]]) <{ty = ".u32", imm = 1023 : i64}>
// CHECK-NEXT:    %[[SMEM:[0-9]+]] = "ptx.and"(%[[UP]]) <{ty = ".b32", imm = -1024 : i64}>
// CHECK-NEXT:    %[[BARS:[0-9]+]] = "ptx.add"(%[[SMEM]]) <{ty = ".u32", imm = 20480 : i64}>
// CHECK-NEXT:    %[[BBARS:[0-9]+]] = "ptx.add"(%[[SMEM]]) <{ty = ".u32", imm = 20512 : i64}>
// Tensor maps by generic address of the parameter, C as a global pointer, M, N, K loaded.
// CHECK-NEXT:    %[[PA:[0-9]+]] = "ptx.mov"() <{ty = ".u64", source = "small_param_a"}>
// CHECK-NEXT:    %[[AMAP:[0-9]+]] = "ptx.cvta_param"(%[[PA]])
// CHECK-NEXT:    %[[PB:[0-9]+]] = "ptx.mov"() <{ty = ".u64", source = "small_param_b"}>
// CHECK-NEXT:    %[[BMAP:[0-9]+]] = "ptx.cvta_param"(%[[PB]])
// CHECK-NEXT:    %[[PC:[0-9]+]] = "ptx.ld_param"() <{ty = ".u64", param = "small_param_c"}>
// CHECK-NEXT:    %[[C:[0-9]+]] = "ptx.cvta_to_global"(%[[PC]])
// CHECK-NEXT:    %[[M:[0-9]+]] = "ptx.ld_param"() <{ty = ".u32", param = "small_param_m"}>
// CHECK-NEXT:    %[[N:[0-9]+]] = "ptx.ld_param"() <{ty = ".u32", param = "small_param_n"}>
// CHECK-NEXT:    %[[K:[0-9]+]] = "ptx.ld_param"() <{ty = ".u32", param = "small_param_k"}>
// The 1-D raster: groups of 8 block rows walked column by column.  CTAY is the block row.
// CHECK-NEXT:    %[[PID:[0-9]+]] = "ptx.mov"() <{ty = ".u32", source = "%ctaid.x"}>
// CHECK-NEXT:    %[[MR:[0-9]+]] = "ptx.add"(%[[M]]) <{ty = ".u32", imm = 63 : i64}>
// CHECK-NEXT:    %[[ROWS:[0-9]+]] = "ptx.div"(%[[MR]]) <{ty = ".u32", imm = 64 : i64}>
// CHECK-NEXT:    %[[NR:[0-9]+]] = "ptx.add"(%[[N]]) <{ty = ".u32", imm = 15 : i64}>
// CHECK-NEXT:    %[[COLS:[0-9]+]] = "ptx.div"(%[[NR]]) <{ty = ".u32", imm = 16 : i64}>
// CHECK-NEXT:    %[[WIDTH:[0-9]+]] = "ptx.mul_lo"(%[[COLS]]) <{ty = ".u32", imm = 8 : i64}>
// CHECK-NEXT:    %[[GROUP:[0-9]+]] = "ptx.div"(%[[PID]], %[[WIDTH]]) <{ty = ".u32"}>
// CHECK-NEXT:    %[[FIRST:[0-9]+]] = "ptx.mul_lo"(%[[GROUP]]) <{ty = ".u32", imm = 8 : i64}>
// CHECK-NEXT:    %[[LEFT:[0-9]+]] = "ptx.sub"(%[[ROWS]], %[[FIRST]]) <{ty = ".u32"}>
// CHECK-NEXT:    %[[HEIGHT:[0-9]+]] = "ptx.min"(%[[LEFT]]) <{ty = ".u32", imm = 8 : i64}>
// CHECK-NEXT:    %[[LOCAL:[0-9]+]] = "ptx.rem"(%[[PID]], %[[WIDTH]]) <{ty = ".u32"}>
// CHECK-NEXT:    %[[INROW:[0-9]+]] = "ptx.rem"(%[[LOCAL]], %[[HEIGHT]]) <{ty = ".u32"}>
// CHECK-NEXT:    %[[CTAY:[0-9]+]] = "ptx.add"(%[[FIRST]], %[[INROW]]) <{ty = ".u32"}>
// CHECK-NEXT:    %[[CTAX:[0-9]+]] = "ptx.div"(%[[LOCAL]], %[[HEIGHT]]) <{ty = ".u32"}>

// mbarrier.ring "a": thread 0 initialises full[s] (count 1) and empty[s] (count 128).
// CHECK-NEXT:    %[[T0:[0-9]+]] = "ptx.setp"(%[[TID]]) <{cmp = "eq", ty = ".u32", imm = 0 : i64
// CHECK-NEXT:    "ptx.if"(%[[T0]]) <{negate = 0 : i64}> ({
// CHECK-NEXT:      "ptx.mbarrier_init"(%[[BARS]]) <{offset = 0 : i64, count = 1 : i64}>
// CHECK-NEXT:      "ptx.mbarrier_init"(%[[BARS]]) <{offset = 16 : i64, count = 128 : i64}>
// CHECK-NEXT:      "ptx.mbarrier_init"(%[[BARS]]) <{offset = 8 : i64, count = 1 : i64}>
// CHECK-NEXT:      "ptx.mbarrier_init"(%[[BARS]]) <{offset = 24 : i64, count = 128 : i64}>
// CHECK-NEXT:    }) : (!ptx.pred) -> ()
// Ring "b", the last: then the fence and one block barrier for both.
// CHECK-NEXT:    %[[T1:[0-9]+]] = "ptx.setp"(%[[TID]]) <{cmp = "eq", ty = ".u32", imm = 0 : i64
// CHECK-NEXT:    "ptx.if"(%[[T1]]) <{negate = 0 : i64}> ({
// CHECK-NEXT:      "ptx.mbarrier_init"(%[[BBARS]]) <{offset = 0 : i64, count = 1 : i64}>
// CHECK-NEXT:      "ptx.mbarrier_init"(%[[BBARS]]) <{offset = 16 : i64, count = 128 : i64}>
// CHECK-NEXT:      "ptx.mbarrier_init"(%[[BBARS]]) <{offset = 8 : i64, count = 1 : i64}>
// CHECK-NEXT:      "ptx.mbarrier_init"(%[[BBARS]]) <{offset = 24 : i64, count = 128 : i64}>
// CHECK-NEXT:      "ptx.fence_mbarrier_init"() : () -> ()
// CHECK-NEXT:    }) : (!ptx.pred) -> ()
// CHECK-NEXT:    "ptx.bar_sync"() : () -> ()

// Producer role: warpgroup 0, setmaxnreg first, then one elected thread.
// CHECK-NEXT:    %[[ISPROD:[0-9]+]] = "ptx.setp"(%[[WG]]) <{cmp = "eq", ty = ".u32", imm = 0 : i64
// CHECK-NEXT:    "ptx.if"(%[[ISPROD]]) <{negate = 0 : i64}> ({
// CHECK-NEXT:      "ptx.setmaxnreg"() <{action = "dec", count = 40 : i64}> : () -> ()
// CHECK-NEXT:      %[[PLT:[0-9]+]] = "ptx.and"(%[[TID]]) <{ty = ".b32", imm = 127 : i64}>
// CHECK-NEXT:      "ptx.sub"(%[[WG]]) <{ty = ".u32", imm = 0 : i64}>
// CHECK-NEXT:      %[[ELECT:[0-9]+]] = "ptx.setp"(%[[PLT]]) <{cmp = "eq", ty = ".u32", imm = 0 : i64
// CHECK-NEXT:      "ptx.if"(%[[ELECT]]) <{negate = 0 : i64}> ({
// K blocks: ceil(K / 32); the loop carries (k, slot, phase) = (0, 0, 0).
// CHECK-NEXT:        %[[KR:[0-9]+]] = "ptx.add"(%[[K]]) <{ty = ".u32", imm = 31 : i64}>
// CHECK-NEXT:        %[[NK:[0-9]+]] = "ptx.div"(%[[KR]]) <{ty = ".u32", imm = 32 : i64}>
// CHECK-NEXT:        %[[I0:[0-9]+]] = "ptx.mov"() <{ty = ".u32", imm = 0 : i64}>
// CHECK-NEXT:        %[[I1:[0-9]+]] = "ptx.mov"() <{ty = ".u32", imm = 0 : i64}>
// CHECK-NEXT:        %[[I2:[0-9]+]] = "ptx.mov"() <{ty = ".u32", imm = 0 : i64}>
// CHECK-NEXT:        "ptx.loop"(%[[I0]], %[[I1]], %[[I2]]) ({
// CHECK-NEXT:        ^bb0(%[[PK:[0-9]+]]: !ptx.b32, %[[PSLOT:[0-9]+]]: !ptx.b32, %[[PPHASE:[0-9]+]]: !ptx.b32):
// CHECK-NEXT:          %[[DONE:[0-9]+]] = "ptx.setp"(%[[PK]], %[[NK]]) <{cmp = "ge", ty = ".u32"
// CHECK-NEXT:          "ptx.break_if"(%[[DONE]]) : (!ptx.pred) -> ()
// Wait for ring "a"'s empty[slot] (at bars + 8 * stages + 8 * slot) with the flipped phase.
// CHECK-NEXT:          %[[FULLB:[0-9]+]] = "ptx.mad_lo"(%[[PSLOT]], %[[BARS]]) <{ty = ".u32", imm = 8 : i64
// CHECK-NEXT:          %[[EMPTYB:[0-9]+]] = "ptx.add"(%[[FULLB]]) <{ty = ".u32", imm = 16 : i64}>
// CHECK-NEXT:          %[[PAR:[0-9]+]] = "ptx.xor"(%[[PPHASE]]) <{ty = ".b32", imm = 1 : i64}>
// CHECK-NEXT:          "ptx.label"() <{label = "[[WAIT1:\$L_wait_[0-9]+]]"}>
// CHECK-NEXT:          %[[READY:[0-9]+]] = "ptx.mbarrier_try_wait_parity"(%[[EMPTYB]], %[[PAR]])
// CHECK-NEXT:          "ptx.bra"(%[[READY]]) <{target = "[[WAIT1]]", negate = 1 : i64, uniform = 0 : i64}>
// CHECK-NEXT:          %[[FB:[0-9]+]] = "ptx.mad_lo"(%[[PSLOT]], %[[BARS]]) <{ty = ".u32", imm = 8 : i64
// CHECK-NEXT:          "ptx.mbarrier_arrive_expect_tx"(%[[FB]]) <{bytes = 8192 : i64}>
// The A box: slot * 8192 into the A tiles, at (k * 32, ctaid.y * 64 + 0).
// CHECK-NEXT:          %[[ADST:[0-9]+]] = "ptx.mad_lo"(%[[PSLOT]], %[[SMEM]]) <{ty = ".u32", imm = 8192 : i64
// CHECK-NEXT:          %[[AK:[0-9]+]] = "ptx.mul_lo"(%[[PK]]) <{ty = ".u32", imm = 32 : i64}>
// CHECK-NEXT:          %[[AROW0:[0-9]+]] = "ptx.mul_lo"(%[[CTAY]]) <{ty = ".u32", imm = 64 : i64}>
// CHECK-NEXT:          %[[AROW:[0-9]+]] = "ptx.add"(%[[AROW0]]) <{ty = ".u32", imm = 0 : i64}>
// CHECK-NEXT:          %[[AMBAR:[0-9]+]] = "ptx.mad_lo"(%[[PSLOT]], %[[BARS]]) <{ty = ".u32", imm = 8 : i64
// CHECK-NEXT:          "ptx.cp_async_bulk_tensor_2d"(%[[ADST]], %[[AMAP]], %[[AK]], %[[AROW]], %[[AMBAR]]) <{dst_offset = 0 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0>}>
// Then ring "b": its empty[slot], its 2048 bytes announced, and the B box past ring "a"'s 2
// tiles (16384 bytes), slot * 2048.
// CHECK-NEXT:          %[[BFULLB:[0-9]+]] = "ptx.mad_lo"(%[[PSLOT]], %[[BBARS]]) <{ty = ".u32", imm = 8 : i64
// CHECK-NEXT:          %[[BEMPTYB:[0-9]+]] = "ptx.add"(%[[BFULLB]]) <{ty = ".u32", imm = 16 : i64}>
// CHECK-NEXT:          %[[BPAR:[0-9]+]] = "ptx.xor"(%[[PPHASE]]) <{ty = ".b32", imm = 1 : i64}>
// CHECK-NEXT:          "ptx.label"() <{label = "[[WAITB:\$L_wait_[0-9]+]]"}>
// CHECK-NEXT:          %[[BREADY:[0-9]+]] = "ptx.mbarrier_try_wait_parity"(%[[BEMPTYB]], %[[BPAR]])
// CHECK-NEXT:          "ptx.bra"(%[[BREADY]]) <{target = "[[WAITB]]", negate = 1 : i64, uniform = 0 : i64}>
// CHECK-NEXT:          %[[BFB:[0-9]+]] = "ptx.mad_lo"(%[[PSLOT]], %[[BBARS]]) <{ty = ".u32", imm = 8 : i64
// CHECK-NEXT:          "ptx.mbarrier_arrive_expect_tx"(%[[BFB]]) <{bytes = 2048 : i64}>
// CHECK-NEXT:          %[[BBASE:[0-9]+]] = "ptx.add"(%[[SMEM]]) <{ty = ".u32", imm = 16384 : i64}>
// CHECK-NEXT:          "ptx.mad_lo"(%[[PSLOT]], %[[BBASE]]) <{ty = ".u32", imm = 2048 : i64
// CHECK:               "ptx.cp_async_bulk_tensor_2d"({{.*}}, %[[BMAP]],
// Next (k, slot, phase) = (k + 1, (k + 1) mod 2, ((k + 1) / 2) mod 2).
// CHECK-NEXT:          %[[K1:[0-9]+]] = "ptx.add"(%[[PK]]) <{ty = ".u32", imm = 1 : i64}>
// CHECK-NEXT:          %[[S1:[0-9]+]] = "ptx.rem"(%[[K1]]) <{ty = ".u32", imm = 2 : i64}>
// CHECK-NEXT:          %[[Q1:[0-9]+]] = "ptx.div"(%[[K1]]) <{ty = ".u32", imm = 2 : i64}>
// CHECK-NEXT:          %[[P1:[0-9]+]] = "ptx.and"(%[[Q1]]) <{ty = ".b32", imm = 1 : i64}>
// CHECK-NEXT:          "ptx.next"(%[[K1]], %[[S1]], %[[P1]])
// CHECK-NEXT:        })
// CHECK-NEXT:      })
// CHECK-NEXT:      "ptx.ret"() : () -> ()
// CHECK-NEXT:    })

// Consumer role: warpgroup 1, its own budget.
// CHECK-NEXT:    %[[ISCONS:[0-9]+]] = "ptx.setp"(%[[WG]]) <{cmp = "eq", ty = ".u32", imm = 1 : i64
// CHECK-NEXT:    "ptx.if"(%[[ISCONS]]) <{negate = 0 : i64}> ({
// CHECK-NEXT:      "ptx.setmaxnreg"() <{action = "dec", count = 232 : i64}> : () -> ()
// CHECK-NEXT:      "ptx.and"(%[[TID]]) <{ty = ".b32", imm = 127 : i64}>
// CHECK-NEXT:      %[[ROLEIDX:[0-9]+]] = "ptx.sub"(%[[WG]]) <{ty = ".u32", imm = 1 : i64}>
// Peeled K block 0: slot 0, phase 0, full[0] of ring "a" then of ring "b" waited for.
// CHECK-NEXT:      %[[SLOT0:[0-9]+]] = "ptx.mov"() <{ty = ".u32", imm = 0 : i64}>
// CHECK-NEXT:      %[[PHASE0:[0-9]+]] = "ptx.mov"() <{ty = ".u32", imm = 0 : i64}>
// CHECK-NEXT:      %[[FULL0:[0-9]+]] = "ptx.mad_lo"(%[[SLOT0]], %[[BARS]]) <{ty = ".u32", imm = 8 : i64
// CHECK-NEXT:      "ptx.label"() <{label = "[[WAIT2:\$L_wait_[0-9]+]]"}>
// CHECK-NEXT:      %[[R2:[0-9]+]] = "ptx.mbarrier_try_wait_parity"(%[[FULL0]], %[[PHASE0]])
// CHECK-NEXT:      "ptx.bra"(%[[R2]]) <{target = "[[WAIT2]]", negate = 1 : i64, uniform = 0 : i64}>
// CHECK-NEXT:      %[[BFULL0:[0-9]+]] = "ptx.mad_lo"(%[[SLOT0]], %[[BBARS]]) <{ty = ".u32", imm = 8 : i64
// CHECK-NEXT:      "ptx.label"() <{label = "[[WAIT2B:\$L_wait_[0-9]+]]"}>
// CHECK-NEXT:      %[[R2B:[0-9]+]] = "ptx.mbarrier_try_wait_parity"(%[[BFULL0]], %[[PHASE0]])
// CHECK-NEXT:      "ptx.bra"(%[[R2B]]) <{target = "[[WAIT2B]]", negate = 1 : i64, uniform = 0 : i64}>
// CHECK-NEXT:      "ptx.wgmma_fence"() : () -> ()
// Descriptors: this warpgroup's A rows and the slot's B tile, 128B swizzle (bit 62),
// SBO 1024 bytes (64 << 32), LBO 1 (1 << 16).
// CHECK-NEXT:      %[[ABASE:[0-9]+]] = "ptx.mad_lo"(%[[ROLEIDX]], %[[SMEM]]) <{ty = ".u32", imm = 8192 : i64
// CHECK-NEXT:      %[[AADDR:[0-9]+]] = "ptx.mad_lo"(%[[SLOT0]], %[[ABASE]]) <{ty = ".u32", imm = 8192 : i64
// CHECK:           "ptx.and"(%[[AADDR]]) <{ty = ".b32", imm = 262143 : i64}>
// CHECK-NEXT:      "ptx.cvt"
// CHECK-NEXT:      "ptx.shr"({{.*}}) <{ty = ".u64", imm = 4 : i64}>
// CHECK-NEXT:      %[[DA:[0-9]+]] = "ptx.or"({{.*}}) <{ty = ".b64", imm = 4611686293305360384 : i64}>
// CHECK:           %[[DB:[0-9]+]] = "ptx.or"({{.*}}) <{ty = ".b64", imm = 4611686293305360384 : i64}>
// scale-d immediate 0: no accumulator operand; the next k8 step accumulates into it.
// CHECK-NEXT:      %[[D0:[0-9]+]] = "ptx.wgmma_mma_async"(%[[DA]], %[[DB]]) <{dtype = "tf32", n = 16 : i64, scale_d = 0 : i64, operandSegmentSizes = array<i32: 0, 1, 1, 0>}> : (!ptx.b64, !ptx.b64) -> !ptx.acc<8>
// The second k8 step reads 32 bytes further along K: descriptors + 2 (16-byte units).
// CHECK-NEXT:      %[[DA1:[0-9]+]] = "ptx.add"(%[[DA]]) <{ty = ".s64", imm = 2 : i64}>
// CHECK-NEXT:      %[[DB1:[0-9]+]] = "ptx.add"(%[[DB]]) <{ty = ".s64", imm = 2 : i64}>
// CHECK-NEXT:      %[[D1:[0-9]+]] = "ptx.wgmma_mma_async"(%[[D0]], %[[DA1]], %[[DB1]]) <{dtype = "tf32", n = 16 : i64, scale_d = 1 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0>}> : (!ptx.acc<8>, !ptx.b64, !ptx.b64) -> !ptx.acc<8>
// CHECK-NEXT:      "ptx.wgmma_commit_group"() : () -> ()
// CHECK-NEXT:      %[[W0:[0-9]+]] = "ptx.wgmma_wait_group"(%[[D1]]) <{pending = 1 : i64}> : (!ptx.acc<8>) -> !ptx.acc<8>

// The K loop from 1: (k, slot, phase) = (1, 1, 0) and the accumulator.
// CHECK-NEXT:      "ptx.add"(%[[K]]) <{ty = ".u32", imm = 31 : i64}>
// CHECK-NEXT:      %[[CNK:[0-9]+]] = "ptx.div"
// CHECK-NEXT:      %[[J0:[0-9]+]] = "ptx.mov"() <{ty = ".u32", imm = 1 : i64}>
// CHECK-NEXT:      %[[J1:[0-9]+]] = "ptx.mov"() <{ty = ".u32", imm = 1 : i64}>
// CHECK-NEXT:      %[[J2:[0-9]+]] = "ptx.mov"() <{ty = ".u32", imm = 0 : i64}>
// CHECK-NEXT:      %{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}}, %[[LACC:[0-9]+]] = "ptx.loop"(%[[J0]], %[[J1]], %[[J2]], %[[W0]]) ({
// CHECK-NEXT:      ^bb0(%[[CK:[0-9]+]]: !ptx.b32, %[[CSLOT:[0-9]+]]: !ptx.b32, %[[CPHASE:[0-9]+]]: !ptx.b32, %[[CACC:[0-9]+]]: !ptx.acc<8>):
// CHECK-NEXT:        %[[CDONE:[0-9]+]] = "ptx.setp"(%[[CK]], %[[CNK]]) <{cmp = "ge"
// CHECK-NEXT:        "ptx.break_if"(%[[CDONE]])
// CHECK-NEXT:        %[[CFULL:[0-9]+]] = "ptx.mad_lo"(%[[CSLOT]], %[[BARS]]) <{ty = ".u32", imm = 8 : i64
// CHECK-NEXT:        "ptx.label"() <{label = "[[WAIT3:\$L_wait_[0-9]+]]"}>
// CHECK-NEXT:        %[[R3:[0-9]+]] = "ptx.mbarrier_try_wait_parity"(%[[CFULL]], %[[CPHASE]])
// CHECK-NEXT:        "ptx.bra"(%[[R3]]) <{target = "[[WAIT3]]", negate = 1 : i64, uniform = 0 : i64}>
// CHECK-NEXT:        %[[CFULLB:[0-9]+]] = "ptx.mad_lo"(%[[CSLOT]], %[[BBARS]]) <{ty = ".u32", imm = 8 : i64
// CHECK-NEXT:        "ptx.label"() <{label = "[[WAIT3B:\$L_wait_[0-9]+]]"}>
// CHECK-NEXT:        %[[R3B:[0-9]+]] = "ptx.mbarrier_try_wait_parity"(%[[CFULLB]], %[[CPHASE]])
// CHECK-NEXT:        "ptx.bra"(%[[R3B]]) <{target = "[[WAIT3B]]", negate = 1 : i64, uniform = 0 : i64}>
// CHECK-NEXT:        "ptx.wgmma_fence"() : () -> ()
// CHECK:             %[[E0:[0-9]+]] = "ptx.wgmma_mma_async"(%[[CACC]], {{.*}}scale_d = 1 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0>}>
// CHECK:             %[[E1:[0-9]+]] = "ptx.wgmma_mma_async"(%[[E0]], {{.*}}scale_d = 1 : i64
// CHECK-NEXT:        "ptx.wgmma_commit_group"() : () -> ()
// CHECK-NEXT:        %[[W1:[0-9]+]] = "ptx.wgmma_wait_group"(%[[E1]]) <{pending = 1 : i64}>
// Release the slot used 1 K block back in both rings: empty[(slot + 2 - 1) mod 2].
// CHECK-NEXT:        %[[PREV:[0-9]+]] = "ptx.add"(%[[CSLOT]]) <{ty = ".u32", imm = 1 : i64}>
// CHECK-NEXT:        %[[PREVS:[0-9]+]] = "ptx.rem"(%[[PREV]]) <{ty = ".u32", imm = 2 : i64}>
// CHECK-NEXT:        %[[PREVB:[0-9]+]] = "ptx.mad_lo"(%[[PREVS]], %[[BARS]]) <{ty = ".u32", imm = 8 : i64
// CHECK-NEXT:        "ptx.mbarrier_arrive"(%[[PREVB]]) <{offset = 16 : i64}>
// CHECK-NEXT:        %[[PREVB2:[0-9]+]] = "ptx.add"(%[[CSLOT]]) <{ty = ".u32", imm = 1 : i64}>
// CHECK-NEXT:        %[[PREVS2:[0-9]+]] = "ptx.rem"(%[[PREVB2]]) <{ty = ".u32", imm = 2 : i64}>
// CHECK-NEXT:        %[[PREVBB:[0-9]+]] = "ptx.mad_lo"(%[[PREVS2]], %[[BBARS]]) <{ty = ".u32", imm = 8 : i64
// CHECK-NEXT:        "ptx.mbarrier_arrive"(%[[PREVBB]]) <{offset = 16 : i64}>
// CHECK:             "ptx.next"({{.*}}, %[[W1]]) : (!ptx.b32, !ptx.b32, !ptx.b32, !ptx.acc<8>) -> ()
// CHECK-NEXT:      })
// After the loop: wait_group 0 on the loop's accumulator; the epilogue stores its result.
// CHECK-NEXT:      %[[FIN:[0-9]+]] = "ptx.wgmma_wait_group"(%[[LACC]]) <{pending = 0 : i64}>
// CHECK-NOT:       "ptx.wgmma
// A block inside C (N even) stores element pairs unchecked; an edge block checks each one.
// CHECK:           %[[INSIDE:[0-9]+]] = "ptx.setp"({{.*}}) <{cmp = "eq", ty = ".u32", imm = 0 : i64
// CHECK-NEXT:      "ptx.if"(%[[INSIDE]]) <{negate = 0 : i64}> ({
// CHECK:             "ptx.st_global_v2_f32"({{.*}}, %[[FIN]]) <{offset = 0 : i64, element = 0 : i64}>
// CHECK:             "ptx.st_global_v2_f32"({{.*}}, %[[FIN]]) <{offset = 32 : i64, element = 6 : i64}>
// CHECK-NEXT:      }) : (!ptx.pred) -> ()
// CHECK-NEXT:      "ptx.if"(%[[INSIDE]]) <{negate = 1 : i64}> ({
// CHECK:             "ptx.st_global_f32"({{.*}}, %[[FIN]], {{.*}}) <{offset = 0 : i64, element = 0 : i64
// CHECK:             "ptx.st_global_f32"({{.*}}, %[[FIN]], {{.*}}) <{offset = 36 : i64, element = 7 : i64
// CHECK-NEXT:      }) : (!ptx.pred) -> ()
// CHECK-NEXT:      "ptx.ret"() : () -> ()
// CHECK-NEXT:    })
// CHECK-NEXT:    "ptx.ret"() : () -> ()
// CHECK-NEXT:  })

// No op or type of the higher dialects is left anywhere.
// NOHIGH-NOT:  "warpgroup.
// NOHIGH-NOT:  wgmma.
// NOHIGH-NOT:  mbarrier.
// NOHIGH-NOT:  tma.
// NOHIGH-NOT:  arith.
