// RUN: not exo-gpu-opt %s 2>&1 | filecheck %s
//
// An m64nN f16 accumulator is N/4 packed f16x2 registers per thread, not the N/2 of f32:
// ptx.wgmma_mma_async rejects an m64n16 f16 result of 8 registers.

builtin.module {
  %d = "ptx.mov"() <{ty = ".u64", imm = 0 : i64}> : () -> !ptx.b64
  %t = "ptx.wgmma_mma_async"(%d, %d) <{dtype = "f16", n = 16 : i64, scale_d = 0 : i64, operandSegmentSizes = array<i32: 0, 1, 1, 0>}> : (!ptx.b64, !ptx.b64) -> !ptx.acc<8, f16x2>
}

// CHECK: exo-gpu-opt: error: {{.*}}ptx-f16x2-register-count.mlir: invalid IR: m64n16 f16 accumulator has 4 registers, got 8
