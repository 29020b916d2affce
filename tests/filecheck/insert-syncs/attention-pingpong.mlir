// RUN: exo-gpu-opt %s -p insert-syncs | filecheck %s
//
// The kernel of attention.mlir with the consumers ping-ponged (#tile.schedule<kind =
// "pingpong">): `schedule` puts warpgroup.mma_turn "await" before a block's S wgmmas and
// "pass" after them, and "start" before the tile loop.  insert-syncs must keep the turn around
// exactly the issue of the group: the full-slot wait and the fence after the await, the
// commit before the pass, and the wait_group (which blocks until S is done) after the pass, so
// the other warpgroup can issue while this one waits and runs its softmax.

builtin.module {
  "warpgroup.kernel"() <{sym_name = "attention", dtype = "bf16", threads = 384 : i64, block_m = 128 : i64, block_n = 64 : i64, block_k = 64 : i64, wait_depth = 1 : i64, raster_group = 1 : i64, batched = 1 : i64, kv_group = 2 : i64}> ({
  ^bb0(%q_map: !tma.tensor_map, %k_map: !tma.tensor_map, %o_ptr: i64, %m: i32, %n: i32, %keys: i32, %batch: i32, %v_map: !tma.tensor_map, %lse_ptr: i64, %scale: f32):
    "mbarrier.ring"() <{ring = "q", stages = 1 : i64, slot_bytes = 16384 : i64, full_count = 1 : i64, empty_count = 256 : i64}> : () -> ()
    "mbarrier.ring"() <{ring = "k", stages = 2 : i64, slot_bytes = 8192 : i64, full_count = 1 : i64, empty_count = 256 : i64}> : () -> ()
    "mbarrier.ring"() <{ring = "v", stages = 2 : i64, slot_bytes = 8192 : i64, full_count = 1 : i64, empty_count = 256 : i64}> : () -> ()
    "warpgroup.role"() <{role = "producer", first_warpgroup = 0 : i64, num_warpgroups = 1 : i64, maxnreg = 24 : i64}> ({
      "warpgroup.tile_loop"(%m, %n, %keys) <{causal = 1 : i64}> ({
      ^bb0(%ti: i32, %tj: i32):
        %t = warpgroup.tile_ordinal : i32
        %qs, %qp = "warpgroup.ring_slot"(%t) <{stages = 1 : i64}> : (i32) -> (i32, i32)
        %c0 = arith.constant 0 : i32
        "tma.load"(%q_map, %qs, %c0) <{operand = "A", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 128 : i64, bytes = 16384 : i64, ring = "q"}> : (!tma.tensor_map, i32, i32) -> ()
        "warpgroup.k_loop"(%keys) <{start = 0 : i64, block_k = 64 : i64, stages = 2 : i64}> ({
        ^bb0(%kk: i32, %slot: i32, %phase: i32):
          "tma.load"(%k_map, %slot, %kk) <{operand = "KV", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 64 : i64, bytes = 8192 : i64, ring = "k"}> : (!tma.tensor_map, i32, i32) -> ()
          "tma.load"(%v_map, %slot, %kk) <{operand = "KV", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 64 : i64, bytes = 8192 : i64, ring = "v"}> : (!tma.tensor_map, i32, i32) -> ()
          "warpgroup.yield"() : () -> ()
        }) : (i32) -> ()
        "warpgroup.yield"() : () -> ()
      }) : (i32, i32, i32) -> ()
    }) : () -> ()
    "warpgroup.role"() <{role = "consumer", first_warpgroup = 1 : i64, num_warpgroups = 2 : i64, maxnreg = 240 : i64}> ({
      warpgroup.mma_turn "start"
      "warpgroup.tile_loop"(%m, %n, %keys) <{causal = 1 : i64}> ({
      ^bb0(%ti: i32, %tj: i32):
        %t = warpgroup.tile_ordinal : i32
        %qs, %qp = "warpgroup.ring_slot"(%t) <{stages = 1 : i64}> : (i32) -> (i32, i32)
        %zero = arith.constant 0.000000e+00 : f32
        %o0 = wgmma.frag_splat %zero : f32 -> !wgmma.accumulator<m64n64, f32>
        %ninf = arith.constant 0xff800000 : f32
        %m0 = wgmma.frag_splat %ninf : f32 -> !wgmma.row_vector<m64, f32>
        %l0 = wgmma.frag_splat %zero : f32 -> !wgmma.row_vector<m64, f32>
        %o, %mx, %l = "warpgroup.k_loop"(%keys, %o0, %m0, %l0) <{start = 0 : i64, block_k = 64 : i64, stages = 2 : i64}> ({
        ^bb0(%kk: i32, %slot: i32, %phase: i32, %acc: !wgmma.accumulator<m64n64, f32>, %mprev: !wgmma.row_vector<m64, f32>, %lprev: !wgmma.row_vector<m64, f32>):
          warpgroup.mma_turn "await"
          %s0 = "wgmma.mma_async"(%slot, %qs) <{dtype = "bf16", k = 16 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 0 : i64, a_ring = "q", b_ring = "k", operandSegmentSizes = array<i32: 0, 1, 0, 1>}> : (i32, i32) -> !wgmma.accumulator<m64n64, f32>
          %s = "wgmma.mma_async"(%s0, %slot, %qs) <{dtype = "bf16", k = 16 : i64, a_offset = 32 : i64, b_offset = 32 : i64, scale_d = 1 : i64, a_ring = "q", b_ring = "k", operandSegmentSizes = array<i32: 1, 1, 0, 1>}> : (!wgmma.accumulator<m64n64, f32>, i32, i32) -> !wgmma.accumulator<m64n64, f32>
          warpgroup.mma_turn "pass"
          %rowmax = wgmma.frag_reduce "max" %s {dim = 1 : i64} : !wgmma.accumulator<m64n64, f32> -> !wgmma.row_vector<m64, f32>
          %mnew = wgmma.frag_binary "max" %mprev, %rowmax : !wgmma.row_vector<m64, f32>, !wgmma.row_vector<m64, f32>
          %d = wgmma.frag_binary "sub" %s, %mnew : !wgmma.accumulator<m64n64, f32>, !wgmma.row_vector<m64, f32>
          %p = wgmma.frag_unary "exp2" %d : !wgmma.accumulator<m64n64, f32>
          %dm = wgmma.frag_binary "sub" %mprev, %mnew : !wgmma.row_vector<m64, f32>, !wgmma.row_vector<m64, f32>
          %alpha = wgmma.frag_unary "exp2" %dm : !wgmma.row_vector<m64, f32>
          %la = wgmma.frag_binary "mul" %lprev, %alpha : !wgmma.row_vector<m64, f32>, !wgmma.row_vector<m64, f32>
          %rowsum = wgmma.frag_reduce "sum" %p {dim = 1 : i64} : !wgmma.accumulator<m64n64, f32> -> !wgmma.row_vector<m64, f32>
          %lnew = wgmma.frag_binary "add" %la, %rowsum : !wgmma.row_vector<m64, f32>, !wgmma.row_vector<m64, f32>
          %scaled = wgmma.frag_binary "mul" %acc, %alpha : !wgmma.accumulator<m64n64, f32>, !wgmma.row_vector<m64, f32>
          %p0 = wgmma.frag_pack_a %p {chunk = 0 : i64} : !wgmma.accumulator<m64n64, f32> -> !wgmma.fragment_a<m64k16, bf16>
          %p1 = wgmma.frag_pack_a %p {chunk = 1 : i64} : !wgmma.accumulator<m64n64, f32> -> !wgmma.fragment_a<m64k16, bf16>
          %pv0 = "wgmma.mma_async_rs"(%scaled, %slot, %p0) <{dtype = "bf16", k = 16 : i64, b_offset = 0 : i64, scale_d = 1 : i64, b_ring = "v", trans_b = 1 : i64, operandSegmentSizes = array<i32: 1, 1, 1>}> : (!wgmma.accumulator<m64n64, f32>, i32, !wgmma.fragment_a<m64k16, bf16>) -> !wgmma.accumulator<m64n64, f32>
          %pv = "wgmma.mma_async_rs"(%pv0, %slot, %p1) <{dtype = "bf16", k = 16 : i64, b_offset = 2048 : i64, scale_d = 1 : i64, b_ring = "v", trans_b = 1 : i64, operandSegmentSizes = array<i32: 1, 1, 1>}> : (!wgmma.accumulator<m64n64, f32>, i32, !wgmma.fragment_a<m64k16, bf16>) -> !wgmma.accumulator<m64n64, f32>
          "warpgroup.yield"(%pv, %mnew, %lnew) : (!wgmma.accumulator<m64n64, f32>, !wgmma.row_vector<m64, f32>, !wgmma.row_vector<m64, f32>) -> ()
        }) : (i32, !wgmma.accumulator<m64n64, f32>, !wgmma.row_vector<m64, f32>, !wgmma.row_vector<m64, f32>) -> (!wgmma.accumulator<m64n64, f32>, !wgmma.row_vector<m64, f32>, !wgmma.row_vector<m64, f32>)
        %out = wgmma.frag_binary "div" %o, %l : !wgmma.accumulator<m64n64, f32>, !wgmma.row_vector<m64, f32>
        "wgmma.store_accumulator"(%out, %o_ptr, %m, %n) <{row_offset = 0 : i64, accumulate_c = 0 : i64, c_dtype = "bf16"}> : (!wgmma.accumulator<m64n64, f32>, i64, i32, i32) -> ()
        %lg = wgmma.frag_unary "log2" %l : !wgmma.row_vector<m64, f32>
        %lse = wgmma.frag_binary "add" %mx, %lg : !wgmma.row_vector<m64, f32>, !wgmma.row_vector<m64, f32>
        wgmma.store_rows %lse, %lse_ptr, %m {row_offset = 0 : i64} : !wgmma.row_vector<m64, f32>, i64, i32
        "warpgroup.yield"() : () -> ()
      }) : (i32, i32, i32) -> ()
    }) : () -> ()
  }) : () -> ()
}

// CHECK:      "warpgroup.role"() <{role = "consumer"
// CHECK-NEXT: warpgroup.mma_turn "start"
// CHECK-NEXT: "warpgroup.tile_loop"
// CHECK:      warpgroup.mma_turn "await"
// CHECK-NEXT: "mbarrier.wait"(%slot_1, %phase_1) <{barrier = "full", ring = "k"}>
// CHECK-NEXT: wgmma.fence
// CHECK-NEXT: %s0 = "wgmma.mma_async"(%slot_1, %qs_1)
// CHECK-NEXT: %s = "wgmma.mma_async"(%s0, %slot_1, %qs_1)
// CHECK-NEXT: wgmma.commit_group
// CHECK-NEXT: warpgroup.mma_turn "pass"
// CHECK-NEXT: %s_1 = "wgmma.wait_group"(%s) <{pending = 0 : i64}>
// CHECK-NEXT: "mbarrier.arrive"(%slot_1) <{lag = 0 : i64, ring = "k"}>
// CHECK-NEXT: %rowmax = wgmma.frag_reduce "max" %s_1
// CHECK-NOT:  warpgroup.mma_turn
// CHECK:      "warpgroup.yield"(%pv_1, %mnew, %lnew)
