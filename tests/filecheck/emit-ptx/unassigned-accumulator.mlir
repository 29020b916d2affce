// RUN: not exo-gpu-opt %s -p emit-ptx 2>&1 | filecheck %s
//
// An accumulator range without `at N` has no %acc registers yet: emit-ptx refuses it.

builtin.module {
  "ptx.entry"() <{sym_name = "unassigned_acc", params = [], maxntid = 128 : i64, smem_bytes = 0 : i64}> ({
    %d = "ptx.mov"() <{ty = ".u64", imm = 0 : i64}> : () -> !ptx.b64<rd0>
    %t = "ptx.wgmma_mma_async"(%d, %d) <{dtype = "tf32", n = 16 : i64, scale_d = 0 : i64, operandSegmentSizes = array<i32: 0, 1, 1, 0>}> : (!ptx.b64<rd0>, !ptx.b64<rd0>) -> !ptx.acc<8>
    "ptx.ret"() : () -> ()
  }) : () -> ()
}

// CHECK: exo-gpu-opt: error: emit-ptx: a value of type !ptx.acc<8> has no PTX register: run assign-registers first
