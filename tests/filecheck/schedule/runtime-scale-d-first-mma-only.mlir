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
  "tile.gemm"() <{sym_name = "rt", dtype = "tf32", layout_a = "row", layout_b = "col", block_m = 64 : i64, block_n = 16 : i64, block_k = 32 : i64, consumers = 1 : i64, stages = 2 : i64, wait_depth = 1 : i64, consumer_maxnreg = 232 : i64, producer_maxnreg = 40 : i64, accumulate_c = 0 : i64}> : () -> ()
}

// CHECK:        %[[NE:[0-9]+]] = arith.cmpi ne, %{{[0-9]+}}, %{{[0-9]+}} : i32
// CHECK-NEXT:   %[[M0:[0-9]+]] = "wgmma.mma_async"(%{{[0-9]+}}, %{{[0-9]+}}, %[[NE]]) <{{.*}}a_offset = 0 : i64{{.*}}operandSegmentSizes = array<i32: 1, 1, 1>}>
// CHECK-NEXT:   %[[M1:[0-9]+]] = "wgmma.mma_async"(%[[M0]], %{{[0-9]+}}) <{{.*}}a_offset = 32 : i64, b_offset = 32 : i64, scale_d = 1 : i64, operandSegmentSizes = array<i32: 1, 1, 0>}>
// CHECK-NEXT:   %[[M2:[0-9]+]] = "wgmma.mma_async"(%[[M1]], %{{[0-9]+}}) <{{.*}}a_offset = 64 : i64, b_offset = 64 : i64, scale_d = 1 : i64, operandSegmentSizes = array<i32: 1, 1, 0>}>
// CHECK-NEXT:   %[[M3:[0-9]+]] = "wgmma.mma_async"(%[[M2]], %{{[0-9]+}}) <{{.*}}a_offset = 96 : i64, b_offset = 96 : i64, scale_d = 1 : i64, operandSegmentSizes = array<i32: 1, 1, 0>}>
