// RUN: exo-gpu-opt %s -p schedule,insert-syncs | filecheck %s
//
// The default schedule (rings = "shared"): A and B are read by the same stage, so they share
// one ring "ab" whose slot holds A's 128x64 tile (16384 bytes) then B's 256x64 tile (32768
// bytes).  The producer waits for one empty barrier and announces both tiles' bytes on one full
// barrier; a stage waits for one full barrier and releases one empty barrier.  (With
// rings = "per_operand", see pipeline.mlir and cluster-2x1.mlir, each is per ring.)

builtin.module {
  tile.kernel @gemm(%a: !tile.tensor<?x?xbf16>, %b: !tile.tensor<?x?xbf16, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 128x256) schedule #tile.schedule<consumers = 2, stages = 4, wait_depth = 0> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c64 = arith.constant 64 : index
    %nk = arith.ceildivui %k, %c64 : index
    %zero = tile.constant 0.0 : !tile.tile<128x256xf32>
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<128x256xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xbf16> -> !tile.tile<128x64xbf16>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xbf16, contiguous = 0> -> !tile.tile<64x256xbf16>
      %r = tile.mma %x, %y, %acc0 : !tile.tile<128x64xbf16>, !tile.tile<64x256xbf16>, !tile.tile<128x256xf32> -> !tile.tile<128x256xf32>
      scf.yield %r : !tile.tile<128x256xf32>
    }
    tile.store %acc, %c[%i, %j] : !tile.tile<128x256xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}

// CHECK:         "mbarrier.ring"() <{ring = "ab", stages = 4 : i64, slot_bytes = 49152 : i64, full_count = 1 : i64, empty_count = 256 : i64}>
// CHECK-NOT:     "mbarrier.ring"
// CHECK:             "mbarrier.wait"(%[[S:[0-9]+]], %[[P:[0-9]+]]) <{barrier = "empty", ring = "ab"}>
// CHECK-NEXT:        "mbarrier.arrive_expect_tx"(%[[S]]) <{bytes = 49152 : i64, ring = "ab"}>
// CHECK-NEXT:        "tma.load"({{.*}}) <{operand = "A", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 64 : i64, bytes = 8192 : i64, ring = "ab"}>
// CHECK-NEXT:        "tma.load"({{.*}}) <{operand = "A", row_offset = 64 : i64, smem_offset = 8192 : i64, box_rows = 64 : i64, bytes = 8192 : i64, ring = "ab"}>
// B's tile starts 16384 bytes into the slot, after A's.
// CHECK-NEXT:        "tma.load"({{.*}}) <{operand = "B", row_offset = 0 : i64, smem_offset = 16384 : i64, box_rows = 256 : i64, bytes = 32768 : i64, ring = "ab"}>
// CHECK-NEXT:        "warpgroup.yield"
// The peeled stage: one full wait; its wgmmas read A and B from ring "ab", B's tile 16384
// bytes into the slot (b_tile), b_offset counting inside that tile.
// CHECK:           "mbarrier.wait"({{.*}}) <{barrier = "full", ring = "ab"}>
// CHECK-NEXT:      wgmma.fence
// CHECK-NEXT:      "wgmma.mma_async"({{.*}}) <{dtype = "bf16", k = 16 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 0 : i64, a_ring = "ab", b_ring = "ab", b_tile = 16384 : i64
// CHECK:           wgmma.commit_group
// CHECK-NEXT:      "wgmma.wait_group"
// CHECK-NEXT:      "mbarrier.arrive"({{.*}}) <{lag = 0 : i64, ring = "ab"}>
// CHECK-NOT:       "mbarrier.arrive"({{.*}}) <{lag = 0 : i64, ring = "ab"}>
// CHECK:           "warpgroup.k_loop"
