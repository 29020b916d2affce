// RUN: exo-gpu-opt %s -p 'schedule{scale_d=runtime}' | filecheck %s
//
// schedule{scale_d=runtime}: the K loop is not peeled.  It starts at 0 from undefined
// accumulators (wgmma.undef_accumulator, no instruction), and scale-d is the run-time
// predicate k != 0 (arith.cmpi ne) passed to the mma as its third operand.

builtin.module {
  tile.kernel @rt(%a: !tile.tensor<?x?xf32>, %b: !tile.tensor<?x?xf32, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 64x16) schedule #tile.schedule<consumers = 1, stages = 2, rings = "per_operand"> {
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

// CHECK:        "warpgroup.role"() <{role = "consumer", first_warpgroup = 1 : i64, num_warpgroups = 1 : i64, maxnreg = 232 : i64}>
// CHECK-NEXT:     "warpgroup.tile_loop"
// CHECK-NEXT:     ^bb0
// CHECK-NEXT:     "warpgroup.ring_slot"
// No peeled iteration: the accumulator starts undefined...
// CHECK-NEXT:     %[[UNDEF:[0-9]+]] = "wgmma.undef_accumulator"() : () -> !wgmma.accumulator<m64n16, f32>
// ... and the loop starts at K block 0.
// CHECK-NEXT:     %[[RES:[0-9]+]] = "warpgroup.k_loop"(%{{[0-9]+}}, %[[UNDEF]]) <{start = 0 : i64, block_k = 32 : i64, stages = 2 : i64}>
// CHECK-NEXT:     ^bb0(%[[K:[0-9]+]]: i32, %[[SLOT:[0-9]+]]: i32, %{{[0-9]+}}: i32, %[[ACC:[0-9]+]]: !wgmma.accumulator<m64n16, f32>):
// scale-d = (k != 0), computed once per iteration, feeds the mma as its run-time operand.
// CHECK-NEXT:       %[[ZERO:[0-9]+]] = arith.constant 0 : i32
// CHECK-NEXT:       %[[NE:[0-9]+]] = arith.cmpi ne, %[[K]], %[[ZERO]] : i32
// CHECK-NEXT:       %[[M0:[0-9]+]] = "wgmma.mma_async"(%[[ACC]], %[[SLOT]], %[[NE]]) <{dtype = "tf32", k = 8 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 1, 0>}> : (!wgmma.accumulator<m64n16, f32>, i32, i1) -> !wgmma.accumulator<m64n16, f32>
// CHECK-NEXT:       "wgmma.mma_async"(%[[M0]], %[[SLOT]]
// CHECK-NEXT:       "wgmma.mma_async"
// CHECK-NEXT:       %[[M3:[0-9]+]] = "wgmma.mma_async"({{.*}}a_offset = 96 : i64
// CHECK-NEXT:       "warpgroup.yield"(%[[M3]])
// CHECK-NEXT:     })
// CHECK-NEXT:     "wgmma.store_accumulator"(%[[RES]],
// CHECK-NOT:    "wgmma.mma_async"
