// RUN: exo-gpu-opt %s -p schedule | filecheck %s
//
// 2 consumer warpgroups, each owning 128 rows = 2 m64n8 tiles; bf16 (k = 16, block_k = 64).
// Checks: one A box per consumer warpgroup (its rows and its smem offset) and one B box per
// K block; every tile's first mma of K block 0 has scale_d = 0 (no accumulator operand),
// the K loop carries one accumulator per tile, and each tile is stored at its row offset.

builtin.module {
  tile.kernel @two(%a: !tile.tensor<?x?xbf16>, %b: !tile.tensor<?x?xbf16, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 256x8) schedule #tile.schedule<stages = 3, wait_depth = 0, rings = "per_operand"> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c64 = arith.constant 64 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c64 : index
    %zero = tile.constant 0.0 : !tile.tile<256x8xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<256x8xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xbf16> -> !tile.tile<256x64xbf16>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xbf16, contiguous = 0> -> !tile.tile<64x8xbf16>
      %r = tile.mma %x, %y, %acc0 : !tile.tile<256x64xbf16>, !tile.tile<64x8xbf16>, !tile.tile<256x8xf32> -> !tile.tile<256x8xf32>
      scf.yield %r : !tile.tile<256x8xf32>
    }
    %0 = tile.load %c[%i, %j] : !tile.tensor<?x?xf32> -> !tile.tile<256x8xf32>
    %1 = tile.add %acc, %0 : !tile.tile<256x8xf32>
    tile.store %1, %c[%i, %j] : !tile.tile<256x8xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}

// 1 producer + 2 consumer warpgroups; the empty barriers count every consumer thread.
// CHECK:       "warpgroup.kernel"() <{sym_name = "two", dtype = "bf16", threads = 384 : i64, block_m = 256 : i64, block_n = 8 : i64, block_k = 64 : i64, wait_depth = 0 : i64, raster_group = 8 : i64}>
// CHECK-NEXT:  ^bb0(%[[A:[0-9]+]]: !tma.tensor_map, %[[B:[0-9]+]]: !tma.tensor_map, %{{.*}}: i64, %{{.*}}: i32, %{{.*}}: i32, %[[K:[0-9]+]]: i32):
// CHECK-NEXT:    "mbarrier.ring"() <{ring = "a", stages = 3 : i64, slot_bytes = 32768 : i64, full_count = 1 : i64, empty_count = 256 : i64}>
// CHECK-NEXT:    "mbarrier.ring"() <{ring = "b", stages = 3 : i64, slot_bytes = 1024 : i64, full_count = 1 : i64, empty_count = 256 : i64}>

// CHECK-NEXT:    "warpgroup.role"() <{role = "producer", first_warpgroup = 0 : i64, num_warpgroups = 1 : i64, maxnreg = 40 : i64}>
// CHECK-NEXT:      "warpgroup.tile_loop"
// CHECK-NEXT:      ^bb0
// CHECK-NEXT:      "warpgroup.k_loop"(%[[K]]) <{start = 0 : i64, block_k = 64 : i64, stages = 3 : i64}>
// CHECK-NEXT:      ^bb0(%[[PK:[0-9]+]]: i32, %[[PSLOT:[0-9]+]]: i32, %{{.*}}: i32):
// CHECK-NEXT:        "tma.load"(%[[A]], %[[PSLOT]], %[[PK]]) <{operand = "A", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 128 : i64, bytes = 16384 : i64, ring = "a"}>
// CHECK-NEXT:        "tma.load"(%[[A]], %[[PSLOT]], %[[PK]]) <{operand = "A", row_offset = 128 : i64, smem_offset = 16384 : i64, box_rows = 128 : i64, bytes = 16384 : i64, ring = "a"}>
// CHECK-NEXT:        "tma.load"(%[[B]], %[[PSLOT]], %[[PK]]) <{operand = "B", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 8 : i64, bytes = 1024 : i64, ring = "b"}>
// CHECK-NEXT:        "warpgroup.yield"() : () -> ()

// CHECK:         "warpgroup.role"() <{role = "consumer", first_warpgroup = 1 : i64, num_warpgroups = 2 : i64, maxnreg = 232 : i64}>
// CHECK-NEXT:      "warpgroup.tile_loop"
// CHECK-NEXT:      ^bb0
// CHECK-NEXT:      %[[ZERO:[0-9]+]], %{{[0-9]+}} = "warpgroup.ring_slot"
// Tile 0 (A rows 0..63 of the warpgroup's slice).
// CHECK-NEXT:      %[[T0A:[0-9]+]] = "wgmma.mma_async"(%[[ZERO]]) <{dtype = "bf16", k = 16 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 0 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 0, 1, 0, 0>}>
// CHECK-NEXT:      %[[T0B:[0-9]+]] = "wgmma.mma_async"(%[[T0A]], %[[ZERO]]) <{{.*}}a_offset = 32 : i64, b_offset = 32 : i64, scale_d = 1 : i64
// CHECK-NEXT:      %[[T0C:[0-9]+]] = "wgmma.mma_async"(%[[T0B]], %[[ZERO]]) <{{.*}}a_offset = 64 : i64, b_offset = 64 : i64, scale_d = 1 : i64
// CHECK-NEXT:      %[[T0D:[0-9]+]] = "wgmma.mma_async"(%[[T0C]], %[[ZERO]]) <{{.*}}a_offset = 96 : i64, b_offset = 96 : i64, scale_d = 1 : i64
// Tile 1 (64 rows x 128 bytes further into A): starts over with scale_d = 0.
// CHECK-NEXT:      %[[T1A:[0-9]+]] = "wgmma.mma_async"(%[[ZERO]]) <{dtype = "bf16", k = 16 : i64, a_offset = 8192 : i64, b_offset = 0 : i64, scale_d = 0 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 0, 1, 0, 0>}>
// CHECK-NEXT:      %[[T1B:[0-9]+]] = "wgmma.mma_async"(%[[T1A]], %[[ZERO]]) <{{.*}}a_offset = 8224 : i64, b_offset = 32 : i64, scale_d = 1 : i64
// CHECK-NEXT:      %[[T1C:[0-9]+]] = "wgmma.mma_async"(%[[T1B]], %[[ZERO]]) <{{.*}}a_offset = 8256 : i64, b_offset = 64 : i64, scale_d = 1 : i64
// CHECK-NEXT:      %[[T1D:[0-9]+]] = "wgmma.mma_async"(%[[T1C]], %[[ZERO]]) <{{.*}}a_offset = 8288 : i64, b_offset = 96 : i64, scale_d = 1 : i64
// The loop carries both tiles' accumulators, each chained through its own 4 mmas.
// CHECK-NEXT:      %[[R0:[0-9]+]], %[[R1:[0-9]+]] = "warpgroup.k_loop"(%[[K]], %[[T0D]], %[[T1D]]) <{start = 1 : i64, block_k = 64 : i64, stages = 3 : i64}>
// CHECK-NEXT:      ^bb0(%{{.*}}: i32, %[[SLOT:[0-9]+]]: i32, %{{.*}}: i32, %[[ACC0:[0-9]+]]: !wgmma.accumulator<m64n8, f32>, %[[ACC1:[0-9]+]]: !wgmma.accumulator<m64n8, f32>):
// CHECK-NEXT:        %[[L0:[0-9]+]] = "wgmma.mma_async"(%[[ACC0]], %[[SLOT]]) <{{.*}}a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 1 : i64
// CHECK-NEXT:        %{{.*}} = "wgmma.mma_async"(%[[L0]], %[[SLOT]])
// CHECK-NEXT:        %{{.*}} = "wgmma.mma_async"
// CHECK-NEXT:        %[[L3:[0-9]+]] = "wgmma.mma_async"({{.*}}a_offset = 96 : i64, b_offset = 96 : i64, scale_d = 1 : i64
// CHECK-NEXT:        %[[M0:[0-9]+]] = "wgmma.mma_async"(%[[ACC1]], %[[SLOT]]) <{{.*}}a_offset = 8192 : i64, b_offset = 0 : i64, scale_d = 1 : i64
// CHECK-NEXT:        %{{.*}} = "wgmma.mma_async"(%[[M0]], %[[SLOT]])
// CHECK-NEXT:        %{{.*}} = "wgmma.mma_async"
// CHECK-NEXT:        %[[M3:[0-9]+]] = "wgmma.mma_async"({{.*}}a_offset = 8288 : i64, b_offset = 96 : i64, scale_d = 1 : i64
// CHECK-NEXT:        "warpgroup.yield"(%[[L3]], %[[M3]])
// CHECK-NEXT:      })
// CHECK-NEXT:      "wgmma.store_accumulator"(%[[R0]], {{.*}}) <{row_offset = 0 : i64, accumulate_c = 1 : i64}>
// CHECK-NEXT:      "wgmma.store_accumulator"(%[[R1]], {{.*}}) <{row_offset = 64 : i64, accumulate_c = 1 : i64}>
