// RUN: exo-gpu-opt %s -p schedule | filecheck %s
// RUN: exo-gpu-opt %s -p schedule | filecheck %s --check-prefix=NOSYNC
//
// The smallest kernel: 1 consumer warpgroup, 1 m64n16 tile, 2 stages.  tf32 has k = 8 and
// block_k = 32, so each K block is 4 wgmma instructions.
//
// schedule guarantees: a producer role (warpgroup 0) and a consumer role with their own
// setmaxnreg budgets, each walking the block's tiles in a tile_loop; the K loop's iteration 0 peeled, so scale-d is an immediate: 0 on the
// first mma of the tile (no accumulator operand) and 1 on every later one; the K loop starts
// at 1 and carries the accumulator; no synchronisation at all.

builtin.module {
  tile.kernel @small(%a: !tile.tensor<?x?xf32>, %b: !tile.tensor<?x?xf32, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 64x16) schedule #tile.schedule<consumers = 1, stages = 2, rings = "per_operand"> {
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

// CHECK-NOT:   tile.kernel
// CHECK:       "warpgroup.kernel"() <{sym_name = "small", dtype = "tf32", threads = 256 : i64, block_m = 64 : i64, block_n = 16 : i64, block_k = 32 : i64, wait_depth = 1 : i64, raster_group = 8 : i64}> ({
// CHECK-NEXT:  ^bb0(%[[A:[0-9]+]]: !tma.tensor_map, %[[B:[0-9]+]]: !tma.tensor_map, %[[C:[0-9]+]]: i64, %[[M:[0-9]+]]: i32, %[[N:[0-9]+]]: i32, %[[K:[0-9]+]]: i32):
// CHECK-NEXT:    "mbarrier.ring"() <{ring = "a", stages = 2 : i64, slot_bytes = 8192 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()
// CHECK-NEXT:    "mbarrier.ring"() <{ring = "b", stages = 2 : i64, slot_bytes = 2048 : i64, full_count = 1 : i64, empty_count = 128 : i64}> : () -> ()

// Producer: warpgroup 0, its own budget; for each tile of the block, one K loop from 0 of
// one A box and one B box.
// CHECK-NEXT:    "warpgroup.role"() <{role = "producer", first_warpgroup = 0 : i64, num_warpgroups = 1 : i64, maxnreg = 40 : i64}> ({
// CHECK-NEXT:      "warpgroup.tile_loop"(%[[M]], %[[N]], %[[K]]) ({
// CHECK-NEXT:      ^bb0(%{{.*}}: i32, %{{.*}}: i32):
// CHECK-NEXT:        "warpgroup.k_loop"(%[[K]]) <{start = 0 : i64, block_k = 32 : i64, stages = 2 : i64}> ({
// CHECK-NEXT:        ^bb0(%[[PK:[0-9]+]]: i32, %[[PSLOT:[0-9]+]]: i32, %{{.*}}: i32):
// CHECK-NEXT:          "tma.load"(%[[A]], %[[PSLOT]], %[[PK]]) <{operand = "A", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 64 : i64, bytes = 8192 : i64, ring = "a"}>
// CHECK-NEXT:          "tma.load"(%[[B]], %[[PSLOT]], %[[PK]]) <{operand = "B", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 16 : i64, bytes = 2048 : i64, ring = "b"}>
// CHECK-NEXT:          "warpgroup.yield"() : () -> ()
// CHECK-NEXT:        }) : (i32) -> ()
// CHECK-NEXT:        "warpgroup.yield"() : () -> ()
// CHECK-NEXT:      }) : (i32, i32, i32) -> ()
// CHECK-NEXT:    }) : () -> ()

// Consumer: warpgroup 1, its budget; for each tile, K block 0 peeled in the ring slot of the
// tile's first K block.
// CHECK-NEXT:    "warpgroup.role"() <{role = "consumer", first_warpgroup = 1 : i64, num_warpgroups = 1 : i64, maxnreg = 232 : i64}> ({
// CHECK-NEXT:      "warpgroup.tile_loop"(%[[M]], %[[N]], %[[K]]) ({
// CHECK-NEXT:      ^bb0(%[[BASE:[0-9]+]]: i32, %{{.*}}: i32):
// CHECK-NEXT:        %[[FIRST:[0-9]+]], %{{.*}} = "warpgroup.ring_slot"(%[[BASE]]) <{stages = 2 : i64}>
// First mma of the tile: scale_d = 0 and no accumulator operand (only the slot).
// CHECK-NEXT:        %[[P0:[0-9]+]] = "wgmma.mma_async"(%[[FIRST]]) <{dtype = "tf32", k = 8 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 0 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 0, 1, 0, 0>}> : (i32) -> !wgmma.accumulator<m64n16, f32>
// Every later mma of K block 0 accumulates (scale_d = 1) into the previous result.
// CHECK-NEXT:        %[[P1:[0-9]+]] = "wgmma.mma_async"(%[[P0]], %[[FIRST]]) <{dtype = "tf32", k = 8 : i64, a_offset = 32 : i64, b_offset = 32 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}>
// CHECK-NEXT:        %[[P2:[0-9]+]] = "wgmma.mma_async"(%[[P1]], %[[FIRST]]) <{dtype = "tf32", k = 8 : i64, a_offset = 64 : i64, b_offset = 64 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}>
// CHECK-NEXT:        %[[P3:[0-9]+]] = "wgmma.mma_async"(%[[P2]], %[[FIRST]]) <{dtype = "tf32", k = 8 : i64, a_offset = 96 : i64, b_offset = 96 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}>

// The K loop starts at 1 and carries the accumulator; all its mmas have scale_d = 1.
// CHECK-NEXT:        %[[RES:[0-9]+]] = "warpgroup.k_loop"(%[[K]], %[[P3]]) <{start = 1 : i64, block_k = 32 : i64, stages = 2 : i64}> ({
// CHECK-NEXT:        ^bb0(%{{.*}}: i32, %[[SLOT:[0-9]+]]: i32, %{{.*}}: i32, %[[ACC:[0-9]+]]: !wgmma.accumulator<m64n16, f32>):
// CHECK-NEXT:          %[[L0:[0-9]+]] = "wgmma.mma_async"(%[[ACC]], %[[SLOT]]) <{dtype = "tf32", k = 8 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}>
// CHECK-NEXT:          %[[L1:[0-9]+]] = "wgmma.mma_async"(%[[L0]], %[[SLOT]]) <{{.*}}a_offset = 32 : i64, b_offset = 32 : i64, scale_d = 1 : i64
// CHECK-NEXT:          %[[L2:[0-9]+]] = "wgmma.mma_async"(%[[L1]], %[[SLOT]]) <{{.*}}a_offset = 64 : i64, b_offset = 64 : i64, scale_d = 1 : i64
// CHECK-NEXT:          %[[L3:[0-9]+]] = "wgmma.mma_async"(%[[L2]], %[[SLOT]]) <{{.*}}a_offset = 96 : i64, b_offset = 96 : i64, scale_d = 1 : i64
// CHECK-NEXT:          "warpgroup.yield"(%[[L3]]) : (!wgmma.accumulator<m64n16, f32>) -> ()
// CHECK-NEXT:        }) : (i32, !wgmma.accumulator<m64n16, f32>) -> !wgmma.accumulator<m64n16, f32>
// The epilogue stores the loop's result.
// CHECK-NEXT:        "wgmma.store_accumulator"(%[[RES]], %[[C]], %[[M]], %[[N]]) <{row_offset = 0 : i64, accumulate_c = 0 : i64}>
// CHECK-NEXT:        "warpgroup.yield"() : () -> ()
// CHECK-NEXT:      }) : (i32, i32, i32) -> ()
// CHECK-NEXT:    }) : () -> ()
// The kernel ABI, for the host: tensor maps of A (box 32 K x 64 rows) and B (32 K x 16 rows),
// the C pointer, M and N from C's dims, K from A's; the shared memory and threads of the
// block; one block per SM walking C's 64x16 tiles.
// CHECK-NEXT:  }) {abi = {kernel = "small", args = [{name = "a", kind = "tensor", element = "f32", rank = 2 : i64, contiguous = 1 : i64, access = "read"}, {name = "b", kind = "tensor", element = "f32", rank = 2 : i64, contiguous = 0 : i64, access = "read"}, {name = "c", kind = "tensor", element = "f32", rank = 2 : i64, contiguous = 1 : i64, access = "write"}], params = [{kind = "tensor_map", arg = 0 : i64, dtype = "tf32", box = [32 : i64, 64 : i64], swizzle = 128 : i64}, {kind = "tensor_map", arg = 1 : i64, dtype = "tf32", box = [32 : i64, 16 : i64], swizzle = 128 : i64}, {kind = "pointer", arg = 2 : i64}, {kind = "dim", arg = 2 : i64, dim = 0 : i64}, {kind = "dim", arg = 2 : i64, dim = 1 : i64}, {kind = "dim", arg = 0 : i64, dim = 1 : i64}], smem_bytes = 21568 : i64, threads = 256 : i64, cluster = [1 : i64, 1 : i64, 1 : i64], grid = {rule = "persistent", tensor = 2 : i64, block = [64 : i64, 16 : i64], cluster_tiles = [1 : i64, 1 : i64], split_k = 1 : i64, batch_dims = 0 : i64}, zero_before_launch = [], schedule = {kind = "cooperative", consumers = 1 : i64, stages = 2 : i64, wait_depth = 1 : i64, a_in_registers = 0 : i64, accumulator = "f32", rings = "per_operand"}}, schedule = #tile.schedule<consumers = 1, kind = "cooperative", stages = 2, wait_depth = 1, cluster = [1, 1], split_k = 1, a_in_registers = false, raster_group = 8, maxnreg = [232, 40], scale_d = "immediate", accumulate = "f32", rings = "per_operand", overlap = false>} : () -> ()
// CHECK-NEXT: }

// No synchronisation anywhere: that is insert-syncs' job.
// NOSYNC-NOT: mbarrier.wait
// NOSYNC-NOT: mbarrier.arrive
// NOSYNC-NOT: wgmma.fence
// NOSYNC-NOT: wgmma.commit_group
// NOSYNC-NOT: wgmma.wait_group
