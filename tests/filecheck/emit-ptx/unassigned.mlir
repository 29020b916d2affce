// RUN: not exo-gpu-opt %s -p emit-ptx 2>&1 | filecheck %s
//
// emit-ptx requires every register assigned: a value still `!ptx.b32` is an error.

builtin.module {
  "ptx.entry"() <{sym_name = "unassigned", params = [], maxntid = 128 : i64, smem_bytes = 0 : i64}> ({
    %a = "ptx.mov"() <{ty = ".u32", imm = 1 : i64}> : () -> !ptx.b32
    "ptx.ret"() : () -> ()
  }) : () -> ()
}

// CHECK: exo-gpu-opt: error: emit-ptx: a value of type !ptx.b32 has no PTX register: run assign-registers first
