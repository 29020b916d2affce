// RUN: not exo-gpu-opt %s 2>&1 | filecheck %s
//
// wgmma.mma_async with scale_d = 1 reads D, so it needs an accumulator operand.

builtin.module {
  %slot = arith.constant 0 : i32
  %t = "wgmma.mma_async"(%slot) <{dtype = "tf32", k = 8 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 0, 1, 0, 0>}> : (i32) -> !wgmma.accumulator<m64n16, f32>
}

// CHECK: exo-gpu-opt: error: {{.*}}mma-verifier.mlir: invalid IR: scale_d = 1 accumulates into D, so an accumulator operand is required
