// RUN: not exo-gpu-opt %s -p assign-registers 2>&1 | filecheck %s
//
// One accumulator fed to two mmas that both accumulate into it: both results would have
// to live in its registers, which needs a copy: rejected.

builtin.module {
  "ptx.entry"() <{sym_name = "twice", params = [], maxntid = 128 : i64, smem_bytes = 0 : i64}> ({
    %d = "ptx.mov"() <{ty = ".u64", imm = 0 : i64}> : () -> !ptx.b64
    %t0 = "ptx.wgmma_mma_async"(%d, %d) <{dtype = "tf32", n = 16 : i64, scale_d = 0 : i64, operandSegmentSizes = array<i32: 0, 1, 1, 0>}> : (!ptx.b64, !ptx.b64) -> !ptx.acc<8>
    %t1 = "ptx.wgmma_mma_async"(%t0, %d, %d) <{dtype = "tf32", n = 16 : i64, scale_d = 1 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0>}> : (!ptx.acc<8>, !ptx.b64, !ptx.b64) -> !ptx.acc<8>
    %t2 = "ptx.wgmma_mma_async"(%t0, %d, %d) <{dtype = "tf32", n = 16 : i64, scale_d = 1 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0>}> : (!ptx.acc<8>, !ptx.b64, !ptx.b64) -> !ptx.acc<8>
    "ptx.ret"() : () -> ()
  }) : () -> ()
}

// CHECK: exo-gpu-opt: error: assign-registers: accumulator at loc("{{.*}}carried-twice.mlir":11:5) is carried into two places (ptx.wgmma_mma_async and ptx.wgmma_mma_async); keeping it in one register range would need a copy
