// RUN: not exo-gpu-opt %s 2>&1 | filecheck %s
//
// ptx.wgmma_mma_async with trans_b = 1 on tf32: the PTX instruction has no imm-trans-b
// operand for tf32, so the ptx op's verifier rejects it.

builtin.module {
  %a = "ptx.mov"() <{ty = ".u64", source = "0"}> : () -> !ptx.b64
  %r = "ptx.wgmma_mma_async"(%a, %a) <{dtype = "tf32", n = 16 : i64, scale_d = 0 : i64, trans_b = 1 : i64, operandSegmentSizes = array<i32: 0, 1, 1, 0>}> : (!ptx.b64, !ptx.b64) -> !ptx.acc<8>
}

// CHECK: exo-gpu-opt: error: {{.*}}ptx-mma-trans-tf32.mlir: invalid IR: tf32 wgmma has no imm-trans-a/imm-trans-b operands: trans_a and trans_b must be 0
