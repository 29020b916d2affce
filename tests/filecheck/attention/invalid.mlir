// RUN: exo-gpu-opt %s --split-input-file --verify-diagnostics | filecheck %s
//
// Each chunk breaks one rule of the IR attention added (the last one shows the legal form
// of the one before it); the error names the rule.

// frag_pack_a of an f16 accumulator
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: wgmma.frag_pack_a: the accumulator !wgmma.accumulator<m64n64, f16> must hold f32 elements
builtin.module {
  %x = "wgmma.undef_accumulator"() : () -> !wgmma.accumulator<m64n64, f16>
  %p = wgmma.frag_pack_a %x {chunk = 0 : i64} : !wgmma.accumulator<m64n64, f16> -> !wgmma.fragment_a<m64k16, f16>
}
// -----
// frag_pack_a to a tf32 fragment
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: wgmma.frag_pack_a packs to a bf16 or f16 fragment, not tf32
builtin.module {
  %x = "wgmma.undef_accumulator"() : () -> !wgmma.accumulator<m64n64, f32>
  %p = wgmma.frag_pack_a %x {chunk = 0 : i64} : !wgmma.accumulator<m64n64, f32> -> !wgmma.fragment_a<m64k8, tf32>
}
// -----
// frag_pack_a past the accumulator's last 16 columns
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: wgmma.frag_pack_a: chunk 4 is outside the 4 16-column chunks of !wgmma.accumulator<m64n64, f32>
builtin.module {
  %x = "wgmma.undef_accumulator"() : () -> !wgmma.accumulator<m64n64, f32>
  %p = wgmma.frag_pack_a %x {chunk = 4 : i64} : !wgmma.accumulator<m64n64, f32> -> !wgmma.fragment_a<m64k16, bf16>
}
// -----
// frag_pack_a of a row vector
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: !wgmma.row_vector<m64, f32> should be of base attribute wgmma.accumulator
builtin.module {
  %z = arith.constant 0.0 : f32
  %v = wgmma.frag_splat %z : f32 -> !wgmma.row_vector<m64, f32>
  %p = wgmma.frag_pack_a %v {chunk = 0 : i64} : !wgmma.row_vector<m64, f32> -> !wgmma.fragment_a<m64k16, bf16>
}
// -----
// store_rows at half a tile
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: wgmma.store_rows: row_offset must be a non-negative multiple of 64 (an m64 tile), got 32
builtin.module {
  %z = arith.constant 0.0 : f32
  %v = wgmma.frag_splat %z : f32 -> !wgmma.row_vector<m64, f32>
  %ptr = arith.constant 0 : i64
  %m = arith.constant 0 : i32
  wgmma.store_rows %v, %ptr, %m {row_offset = 32 : i64} : !wgmma.row_vector<m64, f32>, i64, i32
}
// -----
// store_rows of an accumulator
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: !wgmma.accumulator<m64n64, f32> should be of base attribute wgmma.row_vector
builtin.module {
  %x = "wgmma.undef_accumulator"() : () -> !wgmma.accumulator<m64n64, f32>
  %ptr = arith.constant 0 : i64
  %m = arith.constant 0 : i32
  wgmma.store_rows %x, %ptr, %m {row_offset = 0 : i64} : !wgmma.accumulator<m64n64, f32>, i64, i32
}
// -----
// tile_ordinal outside a tile_loop
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: 'warpgroup.tile_ordinal' expects parent op 'warpgroup.tile_loop'
builtin.module {
  %t = warpgroup.tile_ordinal : i32
}
// -----
// tile_ordinal is an i32
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: Expected attribute i32 but got i64
builtin.module {
  %t = warpgroup.tile_ordinal : i64
}
// -----
// mma_async_rs trans_b = 2
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: trans_b must be 0 or 1, got 2
builtin.module {
  %s = arith.constant 0 : i32
  %x = "wgmma.undef_accumulator"() : () -> !wgmma.accumulator<m64n64, f32>
  %a = wgmma.frag_pack_a %x {chunk = 0 : i64} : !wgmma.accumulator<m64n64, f32> -> !wgmma.fragment_a<m64k16, bf16>
  %r = "wgmma.mma_async_rs"(%x, %s, %a) <{dtype = "bf16", k = 16 : i64, b_offset = 0 : i64, scale_d = 1 : i64, b_ring = "v", trans_b = 2 : i64, operandSegmentSizes = array<i32: 1, 1, 1>}> : (!wgmma.accumulator<m64n64, f32>, i32, !wgmma.fragment_a<m64k16, bf16>) -> !wgmma.accumulator<m64n64, f32>
}
// -----
// causal tile_loop with split-K
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: a causal tile_loop cannot split K
builtin.module {
  %m = arith.constant 0 : i32
  "warpgroup.tile_loop"(%m, %m, %m) <{causal = 1 : i64, split_k = 2 : i64}> ({
  ^bb0(%ti: i32, %tj: i32):
    "warpgroup.yield"() : () -> ()
  }) : (i32, i32, i32) -> ()
}
// -----
// mma_async a_slot of type i64
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: operand 'a_slot' at position 1 does not verify
builtin.module {
  %s = arith.constant 0 : i32
  %q = arith.constant 0 : i64
  %r = "wgmma.mma_async"(%s, %q) <{dtype = "bf16", k = 16 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 0 : i64, a_ring = "q", b_ring = "k", operandSegmentSizes = array<i32: 0, 1, 0, 1>}> : (i32, i64) -> !wgmma.accumulator<m64n64, f32>
}
// -----
// tma.load of an unknown operand
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: operand must be A (rows of the tile's M block), B (of its N block) or KV (rows of K block k), got 'Q'
builtin.module {
  "warpgroup.kernel"() <{sym_name = "a", dtype = "bf16", threads = 256 : i64, block_m = 64 : i64, block_n = 64 : i64, block_k = 64 : i64, wait_depth = 1 : i64, raster_group = 1 : i64, batched = 1 : i64, kv_group = 2 : i64}> ({
  ^bb0(%k_map: !tma.tensor_map, %m: i32):
    "mbarrier.ring"() <{ring = "k", stages = 2 : i64, slot_bytes = 8192 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "tma.load"(%k_map, %m, %m) <{operand = "Q", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 64 : i64, bytes = 8192 : i64, ring = "k"}> : (!tma.tensor_map, i32, i32) -> ()
  }) : () -> ()
}
// -----
// tma.load col_offset not a multiple of 8 elements
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: col_offset must be a non-negative multiple of 8 elements (16 bytes), got 4
builtin.module {
  "warpgroup.kernel"() <{sym_name = "a", dtype = "bf16", threads = 256 : i64, block_m = 64 : i64, block_n = 64 : i64, block_k = 64 : i64, wait_depth = 1 : i64, raster_group = 1 : i64, batched = 1 : i64, kv_group = 2 : i64}> ({
  ^bb0(%k_map: !tma.tensor_map, %m: i32):
    "mbarrier.ring"() <{ring = "k", stages = 2 : i64, slot_bytes = 8192 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "tma.load"(%k_map, %m, %m) <{operand = "KV", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 64 : i64, bytes = 8192 : i64, col_offset = 4 : i64, ring = "k"}> : (!tma.tensor_map, i32, i32) -> ()
  }) : () -> ()
}
// -----
// Q's one-stage ring read at the K loop's slot (no a_slot)
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: wgmma.mma_async in a k_loop of 2 stages uses ring 'q' of 1 stages: a K loop's slot indexes every ring it reads, so give them the same stages
builtin.module {
  "warpgroup.kernel"() <{sym_name = "a", dtype = "bf16", threads = 128 : i64, block_m = 64 : i64, block_n = 64 : i64, block_k = 64 : i64, wait_depth = 1 : i64, raster_group = 1 : i64, batched = 1 : i64, kv_group = 2 : i64}> ({
  ^bb0(%m: i32, %n: i32, %keys: i32):
    "mbarrier.ring"() <{ring = "q", stages = 1 : i64, slot_bytes = 8192 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "mbarrier.ring"() <{ring = "k", stages = 2 : i64, slot_bytes = 8192 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "warpgroup.role"() <{role = "consumer", first_warpgroup = 0 : i64, num_warpgroups = 1 : i64, maxnreg = 240 : i64}> ({
      "warpgroup.tile_loop"(%m, %n, %keys) ({
      ^bb0(%ti: i32, %tj: i32):
        "warpgroup.k_loop"(%keys) <{start = 0 : i64, block_k = 64 : i64, stages = 2 : i64}> ({
        ^bb0(%kk: i32, %slot: i32, %phase: i32):
          %s = "wgmma.mma_async"(%slot) <{dtype = "bf16", k = 16 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 0 : i64, a_ring = "q", b_ring = "k", operandSegmentSizes = array<i32: 0, 1, 0, 0>}> : (i32) -> !wgmma.accumulator<m64n64, f32>
          "warpgroup.yield"() : () -> ()
        }) : (i32) -> ()
        "warpgroup.yield"() : () -> ()
      }) : (i32, i32, i32) -> ()
    }) : () -> ()
  }) : () -> ()
}
// -----
// the same read at a_slot (Q's slot, once per tile) is valid
// CHECK: %s = "wgmma.mma_async"(%slot, %ti) <{{.*}}a_ring = "q", b_ring = "k", operandSegmentSizes = array<i32: 0, 1, 0, 1>}> : (i32, i32) -> !wgmma.accumulator<m64n64, f32>
builtin.module {
  "warpgroup.kernel"() <{sym_name = "a", dtype = "bf16", threads = 128 : i64, block_m = 64 : i64, block_n = 64 : i64, block_k = 64 : i64, wait_depth = 1 : i64, raster_group = 1 : i64, batched = 1 : i64, kv_group = 2 : i64}> ({
  ^bb0(%m: i32, %n: i32, %keys: i32):
    "mbarrier.ring"() <{ring = "q", stages = 1 : i64, slot_bytes = 8192 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "mbarrier.ring"() <{ring = "k", stages = 2 : i64, slot_bytes = 8192 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
    "warpgroup.role"() <{role = "consumer", first_warpgroup = 0 : i64, num_warpgroups = 1 : i64, maxnreg = 240 : i64}> ({
      "warpgroup.tile_loop"(%m, %n, %keys) ({
      ^bb0(%ti: i32, %tj: i32):
        "warpgroup.k_loop"(%keys) <{start = 0 : i64, block_k = 64 : i64, stages = 2 : i64}> ({
        ^bb0(%kk: i32, %slot: i32, %phase: i32):
          %s = "wgmma.mma_async"(%slot, %ti) <{dtype = "bf16", k = 16 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 0 : i64, a_ring = "q", b_ring = "k", operandSegmentSizes = array<i32: 0, 1, 0, 1>}> : (i32, i32) -> !wgmma.accumulator<m64n64, f32>
          "warpgroup.yield"() : () -> ()
        }) : (i32) -> ()
        "warpgroup.yield"() : () -> ()
      }) : (i32, i32, i32) -> ()
    }) : () -> ()
  }) : () -> ()
}
// -----
// mma_turn outside a consumer role
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: mma_turn alternates the two warpgroups of a consumer role: use it inside a warpgroup.role "consumer" of 2 warpgroups
builtin.module {
  warpgroup.mma_turn "await"
}
// -----
// mma_turn in a consumer role of one warpgroup: there is nobody to take turns with
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: mma_turn alternates the two warpgroups of a consumer role: use it inside a warpgroup.role "consumer" of 2 warpgroups
"warpgroup.kernel"() <{sym_name = "k", dtype = "bf16", threads = 256 : i64, block_m = 64 : i64, block_n = 64 : i64, block_k = 64 : i64, wait_depth = 0 : i64}> ({
  "warpgroup.role"() <{role = "consumer", first_warpgroup = 1 : i64, num_warpgroups = 1 : i64, maxnreg = 240 : i64}> ({
    warpgroup.mma_turn "start"
  }) : () -> ()
}) : () -> ()
// -----
// an unknown mma_turn action
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: mma_turn action must be one of start, await, pass, got 'wait'
builtin.module {
  warpgroup.mma_turn "wait"
}
// -----
// a k_loop tail without a part
// CHECK: exo-gpu-opt: error: {{.*}}invalid.mlir: invalid IR: k_loop tail (the blocks of part "last") must be in 1..8 and set only with a part, got 2
builtin.module {
  %keys = arith.constant 4 : i32
  "warpgroup.k_loop"(%keys) <{start = 0 : i64, block_k = 64 : i64, stages = 2 : i64, tail = 2 : i64}> ({
  ^bb0(%k: i32, %slot: i32, %phase: i32):
    "warpgroup.yield"() : () -> ()
  }) : (i32) -> ()
}
