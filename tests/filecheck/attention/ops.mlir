// RUN: exo-gpu-opt %s | exo-gpu-opt - | filecheck %s
//
// The IR attention added prints as it parses (a round trip through the printer, twice):
// warpgroup.kernel kv_group, tile_loop causal, warpgroup.tile_ordinal, tma.load of operand
// KV and col_offset, wgmma.mma_async reading A at a_slot (the fourth operand segment),
// wgmma.frag_pack_a, wgmma.mma_async_rs trans_b, frag_splat to a row vector, frag_unary
// log2, a k_loop carrying a row vector, wgmma.store_rows.  Cut down by hand from `schedule` of
// attention_program(128, "f16", causal=True, kv_group=4) (one consumer, one wgmma each).

builtin.module {
  "warpgroup.kernel"() <{sym_name = "attention", dtype = "f16", threads = 256 : i64, block_m = 64 : i64, block_n = 128 : i64, block_k = 64 : i64, wait_depth = 1 : i64, raster_group = 1 : i64, batched = 1 : i64, kv_group = 4 : i64}> ({
  ^bb0(%q_map: !tma.tensor_map, %k_map: !tma.tensor_map, %o_ptr: i64, %m: i32, %n: i32, %keys: i32, %batch: i32, %v_map: !tma.tensor_map, %lse_ptr: i64, %scale: f32):
    "mbarrier.ring"() <{ring = "q", stages = 1 : i64, slot_bytes = 16384 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "mbarrier.ring"() <{ring = "k", stages = 2 : i64, slot_bytes = 16384 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "mbarrier.ring"() <{ring = "v", stages = 2 : i64, slot_bytes = 16384 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "warpgroup.role"() <{role = "producer", first_warpgroup = 0 : i64, num_warpgroups = 1 : i64, maxnreg = 24 : i64}> ({
      "warpgroup.tile_loop"(%m, %n, %keys) <{causal = 1 : i64}> ({
      ^bb0(%ti: i32, %tj: i32):
        %t = warpgroup.tile_ordinal : i32
        %qs, %qp = "warpgroup.ring_slot"(%t) <{stages = 1 : i64}> : (i32) -> (i32, i32)
        %c0 = arith.constant 0 : i32
        "tma.load"(%q_map, %qs, %c0) <{operand = "A", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 64 : i64, bytes = 8192 : i64, ring = "q"}> : (!tma.tensor_map, i32, i32) -> ()
        "tma.load"(%q_map, %qs, %c0) <{operand = "A", row_offset = 0 : i64, smem_offset = 8192 : i64, box_rows = 64 : i64, bytes = 8192 : i64, col_offset = 64 : i64, ring = "q"}> : (!tma.tensor_map, i32, i32) -> ()
        "warpgroup.k_loop"(%keys) <{start = 0 : i64, block_k = 64 : i64, stages = 2 : i64}> ({
        ^bb0(%kk: i32, %slot: i32, %phase: i32):
          "tma.load"(%k_map, %slot, %kk) <{operand = "KV", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 64 : i64, bytes = 8192 : i64, ring = "k"}> : (!tma.tensor_map, i32, i32) -> ()
          "tma.load"(%k_map, %slot, %kk) <{operand = "KV", row_offset = 0 : i64, smem_offset = 8192 : i64, box_rows = 64 : i64, bytes = 8192 : i64, col_offset = 64 : i64, ring = "k"}> : (!tma.tensor_map, i32, i32) -> ()
          "tma.load"(%v_map, %slot, %kk) <{operand = "KV", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 64 : i64, bytes = 8192 : i64, ring = "v"}> : (!tma.tensor_map, i32, i32) -> ()
          "tma.load"(%v_map, %slot, %kk) <{operand = "KV", row_offset = 0 : i64, smem_offset = 8192 : i64, box_rows = 64 : i64, bytes = 8192 : i64, col_offset = 64 : i64, ring = "v"}> : (!tma.tensor_map, i32, i32) -> ()
          "warpgroup.yield"() : () -> ()
        }) : (i32) -> ()
        "warpgroup.yield"() : () -> ()
      }) : (i32, i32, i32) -> ()
    }) : () -> ()
    "warpgroup.role"() <{role = "consumer", first_warpgroup = 1 : i64, num_warpgroups = 1 : i64, maxnreg = 240 : i64}> ({
      "warpgroup.tile_loop"(%m, %n, %keys) <{causal = 1 : i64}> ({
      ^bb0(%ci: i32, %cj: i32):
        %ct = warpgroup.tile_ordinal : i32
        %cqs, %cqp = "warpgroup.ring_slot"(%ct) <{stages = 1 : i64}> : (i32) -> (i32, i32)
        %zero = arith.constant 0.000000e+00 : f32
        %o0 = wgmma.frag_splat %zero : f32 -> !wgmma.accumulator<m64n128, f32>
        %l0 = wgmma.frag_splat %zero : f32 -> !wgmma.row_vector<m64, f32>
        %o, %l = "warpgroup.k_loop"(%keys, %o0, %l0) <{start = 0 : i64, block_k = 64 : i64, stages = 2 : i64}> ({
        ^bb0(%ck: i32, %cslot: i32, %cphase: i32, %acc: !wgmma.accumulator<m64n128, f32>, %lprev: !wgmma.row_vector<m64, f32>):
          %s = "wgmma.mma_async"(%cslot, %cqs) <{dtype = "f16", k = 16 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 0 : i64, a_ring = "q", b_ring = "k", operandSegmentSizes = array<i32: 0, 1, 0, 1>}> : (i32, i32) -> !wgmma.accumulator<m64n64, f32>
          %p = wgmma.frag_unary "exp2" %s : !wgmma.accumulator<m64n64, f32>
          %rowsum = wgmma.frag_reduce "sum" %p {dim = 1 : i64} : !wgmma.accumulator<m64n64, f32> -> !wgmma.row_vector<m64, f32>
          %lnew = wgmma.frag_binary "add" %lprev, %rowsum : !wgmma.row_vector<m64, f32>, !wgmma.row_vector<m64, f32>
          %p3 = wgmma.frag_pack_a %p {chunk = 3 : i64} : !wgmma.accumulator<m64n64, f32> -> !wgmma.fragment_a<m64k16, f16>
          %pv = "wgmma.mma_async_rs"(%acc, %cslot, %p3) <{dtype = "f16", k = 16 : i64, b_offset = 6144 : i64, scale_d = 1 : i64, b_ring = "v", trans_b = 1 : i64, operandSegmentSizes = array<i32: 1, 1, 1>}> : (!wgmma.accumulator<m64n128, f32>, i32, !wgmma.fragment_a<m64k16, f16>) -> !wgmma.accumulator<m64n128, f32>
          "warpgroup.yield"(%pv, %lnew) : (!wgmma.accumulator<m64n128, f32>, !wgmma.row_vector<m64, f32>) -> ()
        }) : (i32, !wgmma.accumulator<m64n128, f32>, !wgmma.row_vector<m64, f32>) -> (!wgmma.accumulator<m64n128, f32>, !wgmma.row_vector<m64, f32>)
        %lg = wgmma.frag_unary "log2" %l : !wgmma.row_vector<m64, f32>
        wgmma.store_rows %lg, %lse_ptr, %m {row_offset = 64 : i64} : !wgmma.row_vector<m64, f32>, i64, i32
        "warpgroup.yield"() : () -> ()
      }) : (i32, i32, i32) -> ()
    }) : () -> ()
  }) : () -> ()
}

// CHECK:      "warpgroup.kernel"() <{sym_name = "attention", dtype = "f16", {{.*}}, batched = 1 : i64, kv_group = 4 : i64}>
// CHECK:      "warpgroup.tile_loop"(%m, %n, %keys) <{causal = 1 : i64}> ({
// CHECK-NEXT: ^bb0(%ti: i32, %tj: i32):
// CHECK-NEXT: %t = warpgroup.tile_ordinal : i32
// CHECK-NEXT: %qs, %qp = "warpgroup.ring_slot"(%t) <{stages = 1 : i64}> : (i32) -> (i32, i32)
// CHECK:      "tma.load"(%q_map, %qs, %c0) <{operand = "A", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 64 : i64, bytes = 8192 : i64, ring = "q"}>
// CHECK-NEXT: "tma.load"(%q_map, %qs, %c0) <{operand = "A", row_offset = 0 : i64, smem_offset = 8192 : i64, box_rows = 64 : i64, bytes = 8192 : i64, col_offset = 64 : i64, ring = "q"}>
// CHECK:      "tma.load"(%k_map, %slot, %kk) <{operand = "KV", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 64 : i64, bytes = 8192 : i64, ring = "k"}>
// CHECK-NEXT: "tma.load"(%k_map, %slot, %kk) <{operand = "KV", row_offset = 0 : i64, smem_offset = 8192 : i64, box_rows = 64 : i64, bytes = 8192 : i64, col_offset = 64 : i64, ring = "k"}>
// CHECK-NEXT: "tma.load"(%v_map, %slot, %kk) <{operand = "KV", {{.*}}, ring = "v"}>
// CHECK-NEXT: "tma.load"(%v_map, %slot, %kk) <{operand = "KV", {{.*}}, col_offset = 64 : i64, ring = "v"}>
// CHECK:      "warpgroup.tile_loop"(%m, %n, %keys) <{causal = 1 : i64}> ({
// CHECK-NEXT: ^bb0(%ci: i32, %cj: i32):
// CHECK-NEXT: %ct = warpgroup.tile_ordinal : i32
// CHECK:      %l0 = wgmma.frag_splat %zero : f32 -> !wgmma.row_vector<m64, f32>
// CHECK-NEXT: %o, %l = "warpgroup.k_loop"(%keys, %o0, %l0) <{start = 0 : i64, block_k = 64 : i64, stages = 2 : i64}> ({
// CHECK-NEXT: ^bb0(%ck: i32, %cslot: i32, %cphase: i32, %acc: !wgmma.accumulator<m64n128, f32>, %lprev: !wgmma.row_vector<m64, f32>):
// CHECK-NEXT: %s = "wgmma.mma_async"(%cslot, %cqs) <{dtype = "f16", k = 16 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 0 : i64, a_ring = "q", b_ring = "k", operandSegmentSizes = array<i32: 0, 1, 0, 1>}> : (i32, i32) -> !wgmma.accumulator<m64n64, f32>
// CHECK:      %p3 = wgmma.frag_pack_a %p {chunk = 3 : i64} : !wgmma.accumulator<m64n64, f32> -> !wgmma.fragment_a<m64k16, f16>
// CHECK-NEXT: %pv = "wgmma.mma_async_rs"(%acc, %cslot, %p3) <{dtype = "f16", k = 16 : i64, b_offset = 6144 : i64, scale_d = 1 : i64, b_ring = "v", trans_b = 1 : i64, operandSegmentSizes = array<i32: 1, 1, 1>}> : (!wgmma.accumulator<m64n128, f32>, i32, !wgmma.fragment_a<m64k16, f16>) -> !wgmma.accumulator<m64n128, f32>
// CHECK-NEXT: "warpgroup.yield"(%pv, %lnew) : (!wgmma.accumulator<m64n128, f32>, !wgmma.row_vector<m64, f32>) -> ()
// CHECK-NEXT: }) : (i32, !wgmma.accumulator<m64n128, f32>, !wgmma.row_vector<m64, f32>) -> (!wgmma.accumulator<m64n128, f32>, !wgmma.row_vector<m64, f32>)
// CHECK-NEXT: %lg = wgmma.frag_unary "log2" %l : !wgmma.row_vector<m64, f32>
// CHECK-NEXT: wgmma.store_rows %lg, %lse_ptr, %m {row_offset = 64 : i64} : !wgmma.row_vector<m64, f32>, i64, i32
