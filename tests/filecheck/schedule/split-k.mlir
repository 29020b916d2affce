// RUN: exo-gpu-opt %s -p schedule | filecheck %s
//
// split_k = 4: both roles' tile_loops walk (tile, split) work units (split_k on the
// tile_loop); the consumer still peels its first K block (scale_d = 0, no accumulator
// operand) and runs its K loop from 1, and its epilogue adds the partial tile into C
// atomically (atomic_add = 1).  Nothing else changes: the K loops, loads and mmas are
// those of an unsplit kernel.

builtin.module {
  tile.kernel @split(%a: !tile.tensor<?x?xf32>, %b: !tile.tensor<?x?xf32, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 64x16) schedule #tile.schedule<consumers = 1, stages = 2, split_k = 4, rings = "per_operand"> {
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

// CHECK:       "warpgroup.kernel"() <{sym_name = "split", {{.*}}}> ({
// CHECK-NEXT:  ^bb0(%[[A:[0-9]+]]: !tma.tensor_map, %[[B:[0-9]+]]: !tma.tensor_map, %[[C:[0-9]+]]: i64, %[[M:[0-9]+]]: i32, %[[N:[0-9]+]]: i32, %[[K:[0-9]+]]: i32):
// CHECK:         "warpgroup.role"() <{role = "producer", {{.*}}}> ({
// CHECK-NEXT:      "warpgroup.tile_loop"(%[[M]], %[[N]], %[[K]]) <{split_k = 4 : i64}> ({
// CHECK-NEXT:      ^bb0(%{{.*}}: i32, %{{.*}}: i32):
// CHECK-NEXT:        "warpgroup.k_loop"(%[[K]]) <{start = 0 : i64, block_k = 32 : i64, stages = 2 : i64}> ({
// CHECK-NEXT:        ^bb0(%[[PK:[0-9]+]]: i32, %[[PSLOT:[0-9]+]]: i32, %{{.*}}: i32):
// CHECK-NEXT:          "tma.load"(%[[A]], %[[PSLOT]], %[[PK]]) <{operand = "A"
// CHECK-NEXT:          "tma.load"(%[[B]], %[[PSLOT]], %[[PK]]) <{operand = "B"
// CHECK:         "warpgroup.role"() <{role = "consumer", {{.*}}}> ({
// CHECK-NEXT:      "warpgroup.tile_loop"(%[[M]], %[[N]], %[[K]]) <{split_k = 4 : i64}> ({
// CHECK-NEXT:      ^bb0(%[[BASE:[0-9]+]]: i32, %{{.*}}: i32):
// CHECK-NEXT:        %[[FIRST:[0-9]+]], %{{.*}} = "warpgroup.ring_slot"(%[[BASE]]) <{stages = 2 : i64}>
// The peeled first K block of the work unit stays: scale_d = 0, no accumulator operand.
// CHECK-NEXT:        %{{[0-9]+}} = "wgmma.mma_async"(%[[FIRST]]) <{dtype = "tf32", k = 8 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 0 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 0, 1, 0, 0>}>
// CHECK:             %[[RES:[0-9]+]] = "warpgroup.k_loop"(%[[K]], %{{[0-9]+}}) <{start = 1 : i64, block_k = 32 : i64, stages = 2 : i64}>
// CHECK:             "wgmma.store_accumulator"(%[[RES]], %[[C]], %[[M]], %[[N]]) <{row_offset = 0 : i64, accumulate_c = 0 : i64, atomic_add = 1 : i64}>
// CHECK-NEXT:        "warpgroup.yield"() : () -> ()
