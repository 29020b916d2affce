// RUN: exo-gpu-opt %s -p schedule,insert-syncs | filecheck %s
//
// In a tile_loop the ring carries on from tile to tile: the peeled stage waits on the slot
// of the tile's first K block (ring_slot of the tile_loop's base, with its phase), and after
// the final wait_group 0 the consumer releases the slot of the tile's last K block (the
// loop's lagging arrives never release it, and the next tile's loads wait for it).

builtin.module {
  "tile.gemm"() <{sym_name = "persist", dtype = "tf32", layout_a = "row", layout_b = "col", block_m = 64 : i64, block_n = 16 : i64, block_k = 32 : i64, consumers = 1 : i64, stages = 2 : i64, wait_depth = 1 : i64, consumer_maxnreg = 232 : i64, producer_maxnreg = 40 : i64, accumulate_c = 0 : i64}> : () -> ()
}

// CHECK:         "warpgroup.role"() <{role = "consumer"
// CHECK-NEXT:      "warpgroup.tile_loop"
// CHECK-NEXT:      ^bb0(%[[BASE:[0-9]+]]: i32, %[[END:[0-9]+]]: i32):
// CHECK-NEXT:        %[[SLOT0:[0-9]+]], %[[PHASE0:[0-9]+]] = "warpgroup.ring_slot"(%[[BASE]]) <{stages = 2 : i64}>
// CHECK-NEXT:        "mbarrier.wait"(%[[SLOT0]], %[[PHASE0]]) <{barrier = "full"}>
// CHECK-NEXT:        wgmma.fence
// The peeled stage releases nothing: with wait depth 1 there is no K block before it.
// CHECK:             wgmma.commit_group
// CHECK-NEXT:        "wgmma.wait_group"({{.*}}) <{pending = 1 : i64}>
// CHECK-NEXT:        "warpgroup.k_loop"
// CHECK:               "mbarrier.arrive"(%{{[0-9]+}}) <{lag = 1 : i64}>
// CHECK:             %[[FIN:[0-9]+]] = "wgmma.wait_group"({{.*}}) <{pending = 0 : i64}>
// CHECK-NEXT:        %[[SLOTE:[0-9]+]], %{{[0-9]+}} = "warpgroup.ring_slot"(%[[END]]) <{stages = 2 : i64}>
// CHECK-NEXT:        "mbarrier.arrive"(%[[SLOTE]]) <{lag = 1 : i64}>
// CHECK-NEXT:        "wgmma.store_accumulator"(%[[FIN]],
// CHECK-NEXT:        "warpgroup.yield"() : () -> ()
