// RUN: exo-gpu-opt %s -p schedule,insert-syncs | filecheck %s
//
// Ping-pong: the consumers' tile_loop has turns = 2 and each warpgroup owns whole tiles
// (block_m = 64: one m64 tile, no split of rows).  insert-syncs puts an await_turn before the
// tile's first stage and a pass_turn right after the K loop, before the final wait_group 0:
// the other warpgroup may start its K loop while this one's last wgmma still run.  One
// warpgroup consumes each slot, so the empty barriers count 128 arrivals, not 256.

builtin.module {
  tile.kernel @pp(%a: !tile.tensor<?x?xbf16>, %b: !tile.tensor<?x?xbf16, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 64x64) schedule #tile.schedule<kind = "pingpong", stages = 4, rings = "per_operand"> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c64 = arith.constant 64 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c64 : index
    %zero = tile.constant 0.0 : !tile.tile<64x64xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<64x64xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xbf16> -> !tile.tile<64x64xbf16>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xbf16, contiguous = 0> -> !tile.tile<64x64xbf16>
      %r = tile.mma %x, %y, %acc0 : !tile.tile<64x64xbf16>, !tile.tile<64x64xbf16>, !tile.tile<64x64xf32> -> !tile.tile<64x64xf32>
      scf.yield %r : !tile.tile<64x64xf32>
    }
    tile.store %acc, %c[%i, %j] : !tile.tile<64x64xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}

// CHECK:         "mbarrier.ring"() <{ring = "a", stages = 4 : i64, slot_bytes = 8192 : i64, full_count = 1 : i64, empty_count = 128 : i64}>
// CHECK-NEXT:    "mbarrier.ring"() <{ring = "b", stages = 4 : i64, slot_bytes = 8192 : i64, full_count = 1 : i64, empty_count = 128 : i64}>
// CHECK:         "warpgroup.role"() <{role = "producer"
// One box of A per K block: the whole 64-row tile.
// CHECK:           "tma.load"({{.*}}) <{operand = "A", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 64 : i64
// CHECK-NOT:       "tma.load"({{.*}}) <{operand = "A"
// CHECK:         "warpgroup.role"() <{role = "consumer", first_warpgroup = 1 : i64, num_warpgroups = 2 : i64
// CHECK-NEXT:      "warpgroup.tile_loop"{{.*}} <{turns = 2 : i64}>
// CHECK-NEXT:      ^bb0(%[[BASE:[0-9]+]]: i32, %[[END:[0-9]+]]: i32):
// CHECK-NEXT:        warpgroup.await_turn
// CHECK-NEXT:        %[[SLOT0:[0-9]+]], %[[PHASE0:[0-9]+]] = "warpgroup.ring_slot"(%[[BASE]])
// CHECK-NEXT:        "mbarrier.wait"(%[[SLOT0]], %[[PHASE0]]) <{barrier = "full", ring = "a"}>
// CHECK-NEXT:        "mbarrier.wait"(%[[SLOT0]], %[[PHASE0]]) <{barrier = "full", ring = "b"}>
// CHECK:             "warpgroup.k_loop"
// CHECK:             warpgroup.pass_turn
// CHECK-NEXT:        "wgmma.wait_group"({{.*}}) <{pending = 0 : i64}>
// CHECK-NEXT:        "warpgroup.ring_slot"(%[[END]])
