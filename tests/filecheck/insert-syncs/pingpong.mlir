// RUN: exo-gpu-opt %s -p schedule,insert-syncs | filecheck %s
//
// Ping-pong: the consumers' tile_loop has turns = 2 and each warpgroup owns whole tiles
// (block_m = 64: one m64 tile, no split of rows).  insert-syncs puts an await_turn before the
// tile's first stage and a pass_turn right after the K loop, before the final wait_group 0:
// the other warpgroup may start its K loop while this one's last wgmma still run.  One
// warpgroup consumes each slot, so the empty barriers count 128 arrivals, not 256.

builtin.module {
  "tile.gemm"() <{sym_name = "pp", dtype = "bf16", layout_a = "row", layout_b = "col", block_m = 64 : i64, block_n = 64 : i64, block_k = 64 : i64, consumers = 2 : i64, stages = 4 : i64, wait_depth = 1 : i64, consumer_maxnreg = 232 : i64, producer_maxnreg = 40 : i64, accumulate_c = 0 : i64, schedule = "pingpong"}> : () -> ()
}

// CHECK:         "mbarrier.init_ring"() <{stages = 4 : i64, full_count = 1 : i64, empty_count = 128 : i64}>
// CHECK:         "warpgroup.role"() <{role = "producer"
// One box of A per K block: the whole 64-row tile.
// CHECK:           "tma.load"({{.*}}) <{operand = "A", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 64 : i64
// CHECK-NOT:       "tma.load"({{.*}}) <{operand = "A"
// CHECK:         "warpgroup.role"() <{role = "consumer", first_warpgroup = 1 : i64, num_warpgroups = 2 : i64
// CHECK-NEXT:      "warpgroup.tile_loop"{{.*}} <{turns = 2 : i64}>
// CHECK-NEXT:      ^bb0(%[[BASE:[0-9]+]]: i32, %[[END:[0-9]+]]: i32):
// CHECK-NEXT:        warpgroup.await_turn
// CHECK-NEXT:        %[[SLOT0:[0-9]+]], %[[PHASE0:[0-9]+]] = "warpgroup.ring_slot"(%[[BASE]])
// CHECK-NEXT:        "mbarrier.wait"(%[[SLOT0]], %[[PHASE0]]) <{barrier = "full"}>
// CHECK:             "warpgroup.k_loop"
// CHECK:             warpgroup.pass_turn
// CHECK-NEXT:        "wgmma.wait_group"({{.*}}) <{pending = 0 : i64}>
// CHECK-NEXT:        "warpgroup.ring_slot"(%[[END]])
