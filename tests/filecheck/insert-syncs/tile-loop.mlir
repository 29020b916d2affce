// RUN: exo-gpu-opt %s -p schedule,insert-syncs | filecheck %s
//
// In a tile_loop the ring carries on from tile to tile: the peeled stage waits on the slot
// of the tile's first K block (ring_slot of the tile_loop's base, with its phase), and after
// the final wait_group 0 the consumer releases the slot of the tile's last K block (the
// loop's lagging arrives never release it, and the next tile's loads wait for it).

builtin.module {
  tile.kernel @persist(%a: !tile.tensor<?x?xf32>, %b: !tile.tensor<?x?xf32, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 64x16) schedule #tile.schedule<consumers = 1, stages = 2, rings = "per_operand"> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c32 = arith.constant 32 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c32 : index
    %zero = tile.constant 0.0 : !tile.tile<64x16xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<64x16xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xf32> -> !tile.tile<64x32xf32>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xf32, contiguous = 0> -> !tile.tile<32x16xf32>
      %r = tile.mma %x, %y, %acc0 {precision = "tf32"} : !tile.tile<64x32xf32>, !tile.tile<32x16xf32>, !tile.tile<64x16xf32> -> !tile.tile<64x16xf32>
      scf.yield %r : !tile.tile<64x16xf32>
    }
    tile.store %acc, %c[%i, %j] : !tile.tile<64x16xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}

// CHECK:         "warpgroup.role"() <{role = "consumer"
// CHECK-NEXT:      "warpgroup.tile_loop"
// CHECK-NEXT:      ^bb0(%[[BASE:[0-9]+]]: i32, %[[END:[0-9]+]]: i32):
// CHECK-NEXT:        %[[SLOT0:[0-9]+]], %[[PHASE0:[0-9]+]] = "warpgroup.ring_slot"(%[[BASE]]) <{stages = 2 : i64}>
// CHECK-NEXT:        "mbarrier.wait"(%[[SLOT0]], %[[PHASE0]]) <{barrier = "full", ring = "a"}>
// CHECK-NEXT:        "mbarrier.wait"(%[[SLOT0]], %[[PHASE0]]) <{barrier = "full", ring = "b"}>
// CHECK-NEXT:        wgmma.fence
// The peeled stage releases nothing: with wait depth 1 there is no K block before it.
// CHECK:             wgmma.commit_group
// CHECK-NEXT:        "wgmma.wait_group"({{.*}}) <{pending = 1 : i64}>
// CHECK-NEXT:        "warpgroup.k_loop"
// CHECK:               "mbarrier.arrive"(%{{[0-9]+}}) <{lag = 1 : i64, ring = "a"}>
// CHECK-NEXT:               "mbarrier.arrive"(%{{[0-9]+}}) <{lag = 1 : i64, ring = "b"}>
// CHECK:             %[[FIN:[0-9]+]] = "wgmma.wait_group"({{.*}}) <{pending = 0 : i64}>
// CHECK-NEXT:        %[[SLOTE:[0-9]+]], %{{[0-9]+}} = "warpgroup.ring_slot"(%[[END]]) <{stages = 2 : i64}>
// CHECK-NEXT:        "mbarrier.arrive"(%[[SLOTE]]) <{lag = 1 : i64, ring = "a"}>
// CHECK-NEXT:        "mbarrier.arrive"(%[[SLOTE]]) <{lag = 1 : i64, ring = "b"}>
// CHECK-NEXT:        "wgmma.store_accumulator"(%[[FIN]],
// CHECK-NEXT:        "warpgroup.yield"() : () -> ()
