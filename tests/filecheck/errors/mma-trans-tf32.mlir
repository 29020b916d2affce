// RUN: not exo-gpu-opt %s 2>&1 | filecheck %s
//
// wgmma.mma_async with trans_a = 1 on tf32: tf32 wgmma has no transpose bits, so the
// verifier rejects it at construction.

builtin.module {
  %slot = arith.constant 0 : i32
  %t = "wgmma.mma_async"(%slot) <{dtype = "tf32", k = 8 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 0 : i64, trans_a = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 0, 1, 0, 0>}> : (i32) -> !wgmma.accumulator<m64n16, f32>
}

// CHECK: exo-gpu-opt: error: {{.*}}mma-trans-tf32.mlir: invalid IR: tf32 wgmma has no transpose bits: trans_a must be 0 (MN-major operands are f16 and bf16 only)
