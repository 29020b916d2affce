// RUN: exo-gpu-opt %s -p schedule,insert-syncs | filecheck %s
//
// cluster_m = 2: the peer block's producer multicasts its half of B into this block's
// slots, so every consumer release (in the K loop and the end-of-tile one) arrives on the
// empty barrier of both blocks of the cluster (cluster = 2), and the full barrier still
// expects the whole slot: A (2 x 8192) + the whole B box (4096), not half of it.

builtin.module {
  "tile.gemm"() <{sym_name = "mpair", dtype = "tf32", layout_a = "row", layout_b = "col", block_m = 128 : i64, block_n = 32 : i64, block_k = 32 : i64, consumers = 2 : i64, stages = 2 : i64, wait_depth = 1 : i64, consumer_maxnreg = 232 : i64, producer_maxnreg = 40 : i64, accumulate_c = 0 : i64, cluster_m = 2 : i64}> : () -> ()
}

// CHECK:       "mbarrier.arrive_expect_tx"(%{{[0-9]+}}) <{bytes = 20480 : i64}>
// CHECK:       "warpgroup.k_loop"
// CHECK:         "mbarrier.arrive"(%{{[0-9]+}}) <{lag = 1 : i64, cluster = 2 : i64}>
// CHECK:       "wgmma.wait_group"({{.*}}) <{pending = 0 : i64}>
// CHECK-NEXT:  "warpgroup.ring_slot"
// CHECK-NEXT:  "mbarrier.arrive"(%{{[0-9]+}}) <{lag = 1 : i64, cluster = 2 : i64}>
// CHECK-NOT:   "mbarrier.arrive"(%{{[0-9]+}}) <{lag = 1 : i64}>
