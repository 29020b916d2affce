// RUN: not exo-gpu-opt %s -p check-register-budget 2>&1 | filecheck %s
//
// check-register-budget counts a role's accumulator ranges as assign-registers laid them out:
// run before it, it fails and names the fix.

builtin.module {
  "ptx.entry"() <{sym_name = "early", params = [], maxntid = 128 : i64, smem_bytes = 0 : i64}> ({
    %tid = "ptx.mov"() <{ty = ".u32", source = "%tid.x"}> : () -> !ptx.b32
    %is = "ptx.setp"(%tid) <{cmp = "lt", ty = ".u32", imm = 128 : i64, operandSegmentSizes = array<i32: 1, 0, 0>}> : (!ptx.b32) -> !ptx.pred
    "ptx.if"(%is) <{negate = 0 : i64}> ({
      "ptx.setmaxnreg"() <{action = "dec", count = 232 : i64}> : () -> ()
      %acc = "ptx.acc_undef"() : () -> !ptx.acc<8>
      "ptx.ret"() : () -> ()
    }) : (!ptx.pred) -> ()
    "ptx.ret"() : () -> ()
  }) : () -> ()
}

// CHECK: exo-gpu-opt: error: check-register-budget: kernel early: accumulator registers are not assigned: run assign-registers first
