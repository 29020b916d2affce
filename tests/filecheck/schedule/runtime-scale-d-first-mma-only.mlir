// RUN: exo-gpu-opt %s -p 'schedule{scale_d=runtime}' | filecheck %s
//
//
// wgmma computes D = A * B + (scale-d ? D : 0).  With scale_d=runtime only the *first*
// instruction of each tile in a K block may take the run-time predicate (k != 0): the later
// ones of the same K block must accumulate (scale_d = 1, no run-time operand), as in the
// peeled form.  schedule currently passes the predicate to every mma of the stage, so in
// K block 0 each of the 4 k8 steps overwrites D and only the last one survives:
// C = A[:, 24:32] @ B[24:32, :] + (K blocks 1..), a wrong result.

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

// CHECK:        %[[NE:[0-9]+]] = arith.cmpi ne, %{{[0-9]+}}, %{{[0-9]+}} : i32
// CHECK-NEXT:   %[[M0:[0-9]+]] = "wgmma.mma_async"(%{{[0-9]+}}, %{{[0-9]+}}, %[[NE]]) <{{.*}}a_offset = 0 : i64{{.*}}a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 1, 0>}>
// CHECK-NEXT:   %[[M1:[0-9]+]] = "wgmma.mma_async"(%[[M0]], %{{[0-9]+}}) <{{.*}}a_offset = 32 : i64, b_offset = 32 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}>
// CHECK-NEXT:   %[[M2:[0-9]+]] = "wgmma.mma_async"(%[[M1]], %{{[0-9]+}}) <{{.*}}a_offset = 64 : i64, b_offset = 64 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}>
// CHECK-NEXT:   %[[M3:[0-9]+]] = "wgmma.mma_async"(%[[M2]], %{{[0-9]+}}) <{{.*}}a_offset = 96 : i64, b_offset = 96 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 0, 0>}>
