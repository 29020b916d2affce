// RUN: exo-gpu-opt %s -p tie-loop-carried,assign-registers,check-register-budget | filecheck %s
//
// Boundary of the budget check: accumulator registers + 24 may equal setmaxnreg;
// one m64n16 tile (8 registers) + 24 = 32 fits a budget of exactly 32.

builtin.module {
  "ptx.entry"() <{sym_name = "budget_ok", params = [], maxntid = 128 : i64, smem_bytes = 0 : i64}> ({
    %tid = "ptx.mov"() <{ty = ".u32", source = "%tid.x"}> : () -> !ptx.b32
    %is = "ptx.setp"(%tid) <{cmp = "lt", ty = ".u32", imm = 128 : i64, operandSegmentSizes = array<i32: 1, 0, 0>}> : (!ptx.b32) -> !ptx.pred
    "ptx.if"(%is) <{negate = 0 : i64}> ({
      "ptx.setmaxnreg"() <{action = "dec", count = 32 : i64}> : () -> ()
      %d = "ptx.mov"() <{ty = ".u64", imm = 0 : i64}> : () -> !ptx.b64
      %t = "ptx.wgmma_mma_async"(%d, %d) <{dtype = "tf32", n = 16 : i64, scale_d = 0 : i64, operandSegmentSizes = array<i32: 0, 1, 1, 0>}> : (!ptx.b64, !ptx.b64) -> !ptx.acc<8>
      "ptx.ret"() : () -> ()
    }) : (!ptx.pred) -> ()
    "ptx.ret"() : () -> ()
  }) : () -> ()
}

// CHECK: "ptx.setmaxnreg"() <{action = "dec", count = 32 : i64}>
// CHECK: %t = "ptx.wgmma_mma_async"(%d, %d) {{.*}} -> !ptx.acc<8 at 0>
