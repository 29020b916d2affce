// RUN: not exo-gpu-opt %s -p assign-registers 2>&1 | filecheck %s
//
// An mma accumulating into %t0 overwrites %t0's registers in place; reading %t0 afterwards
// would need a copy, which assign-registers never makes: it rejects the IR.

builtin.module {
  "ptx.entry"() <{sym_name = "raw", params = [], maxntid = 128 : i64, smem_bytes = 0 : i64}> ({
    %d = "ptx.mov"() <{ty = ".u64", imm = 0 : i64}> : () -> !ptx.b64
    %t0 = "ptx.wgmma_mma_async"(%d, %d) <{dtype = "tf32", n = 16 : i64, scale_d = 0 : i64, operandSegmentSizes = array<i32: 0, 1, 1, 0>}> : (!ptx.b64, !ptx.b64) -> !ptx.acc<8>
    %t1 = "ptx.wgmma_mma_async"(%t0, %d, %d) <{dtype = "tf32", n = 16 : i64, scale_d = 1 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0>}> : (!ptx.acc<8>, !ptx.b64, !ptx.b64) -> !ptx.acc<8>
    "ptx.st_global_f32"(%d, %t0) <{offset = 0 : i64, element = 0 : i64, operandSegmentSizes = array<i32: 1, 1, 0>}> : (!ptx.b64, !ptx.acc<8>) -> ()
    "ptx.ret"() : () -> ()
  }) : () -> ()
}

// CHECK: exo-gpu-opt: error: assign-registers: ptx.st_global_f32 at loc("{{.*}}read-after-overwrite.mlir":11:5) reads an accumulator after ptx.wgmma_mma_async at loc("{{.*}}read-after-overwrite.mlir":10:5) overwrote its registers
