// RUN: not exo-gpu-opt %s 2>&1 | filecheck %s
//
// The wgmma.mma_async verifier checks the accumulator type against the input type as well:
// tf32 inputs have no f16 accumulator.

builtin.module {
  %slot = arith.constant 0 : i32
  %t = "wgmma.mma_async"(%slot) <{dtype = "tf32", k = 8 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 0 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes = array<i32: 0, 1, 0, 0>}> : (i32) -> !wgmma.accumulator<m64n16, f16>
}

// CHECK: exo-gpu-opt: error: {{.*}}mma-tf32-f16-accumulator.mlir: invalid IR: tf32 wgmma has no f16 accumulator: use accumulator f32, or dtype f16, e4m3 or e5m2 for f16 accumulation
