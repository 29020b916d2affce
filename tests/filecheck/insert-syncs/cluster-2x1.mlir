// RUN: exo-gpu-opt %s -p schedule,insert-syncs | filecheck %s
//
// cluster_m = 2: the peer block's producer multicasts its half of B into this block's
// slots of ring "b" (shared by the cluster), so every consumer release of ring "b" (in the K
// loop and the end-of-tile one) arrives on the empty barrier of both blocks of the cluster
// (cluster = 2), while ring "a", this block's own, is released locally; each full barrier
// expects its whole slot: A (2 x 8192) and the whole B box (4096), not half of it.

builtin.module {
  tile.kernel @mpair(%a: !tile.tensor<?x?xf32>, %b: !tile.tensor<?x?xf32, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 128x32) schedule #tile.schedule<stages = 2, cluster = [2, 1], rings = "per_operand"> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c32 = arith.constant 32 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c32 : index
    %zero = tile.constant 0.0 : !tile.tile<128x32xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<128x32xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xf32> -> !tile.tile<128x32xf32>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xf32, contiguous = 0> -> !tile.tile<32x32xf32>
      %r = tile.mma %x, %y, %acc0 {precision = "tf32"} : !tile.tile<128x32xf32>, !tile.tile<32x32xf32>, !tile.tile<128x32xf32> -> !tile.tile<128x32xf32>
      scf.yield %r : !tile.tile<128x32xf32>
    }
    tile.store %acc, %c[%i, %j] : !tile.tile<128x32xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}

// One ring per operand: A's 16384 bytes and B's 4096 bytes are announced on their own barriers.
// CHECK:       "mbarrier.arrive_expect_tx"(%{{[0-9]+}}) <{bytes = 16384 : i64, ring = "a"}>
// CHECK:       "mbarrier.arrive_expect_tx"(%{{[0-9]+}}) <{bytes = 4096 : i64, ring = "b"}>
// CHECK:       "warpgroup.k_loop"
// CHECK:         "mbarrier.arrive"(%{{[0-9]+}}) <{lag = 1 : i64, ring = "a"}>
// CHECK-NEXT:    "mbarrier.arrive"(%{{[0-9]+}}) <{lag = 1 : i64, cluster = 2 : i64, ring = "b"}>
// CHECK:       "wgmma.wait_group"({{.*}}) <{pending = 0 : i64}>
// CHECK-NEXT:  "warpgroup.ring_slot"
// CHECK-NEXT:  "mbarrier.arrive"(%{{[0-9]+}}) <{lag = 1 : i64, ring = "a"}>
// CHECK-NEXT:  "mbarrier.arrive"(%{{[0-9]+}}) <{lag = 1 : i64, cluster = 2 : i64, ring = "b"}>
