// RUN: not exo-gpu-opt %s 2>&1 | filecheck %s
//
// The instruction's k must be the one of its input type (tf32: k = 8).

builtin.module {
  %slot = arith.constant 0 : i32
  %t = "wgmma.mma_async"(%slot) <{dtype = "tf32", k = 16 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 0 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 0, 1, 0, 0>}> : (i32) -> !wgmma.accumulator<m64n16, f32>
}

// CHECK: exo-gpu-opt: error: {{.*}}mma-wrong-k.mlir: invalid IR: wgmma with tf32 inputs has k=8, got k=16
