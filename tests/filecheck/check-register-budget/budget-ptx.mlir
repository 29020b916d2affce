// RUN: not exo-gpu-opt %s -p tie-loop-carried,assign-registers,check-register-budget 2>&1 | filecheck %s
//
// A role's accumulator registers + 24 for addressing must fit its setmaxnreg budget:
// one m64n32 tile (16 registers) + 24 = 40 > 32.  The error names the role's location.

builtin.module {
  "ptx.entry"() <{sym_name = "budget", params = [], maxntid = 128 : i64, smem_bytes = 0 : i64}> ({
    %tid = "ptx.mov"() <{ty = ".u32", source = "%tid.x"}> : () -> !ptx.b32
    %is = "ptx.setp"(%tid) <{cmp = "lt", ty = ".u32", imm = 128 : i64, operandSegmentSizes = array<i32: 1, 0, 0>}> : (!ptx.b32) -> !ptx.pred
    "ptx.if"(%is) <{negate = 0 : i64}> ({
      "ptx.setmaxnreg"() <{action = "dec", count = 32 : i64}> : () -> ()
      %d = "ptx.mov"() <{ty = ".u64", imm = 0 : i64}> : () -> !ptx.b64
      %t = "ptx.wgmma_mma_async"(%d, %d) <{dtype = "tf32", n = 32 : i64, scale_d = 0 : i64, operandSegmentSizes = array<i32: 0, 1, 1, 0>}> : (!ptx.b64, !ptx.b64) -> !ptx.acc<16>
      "ptx.ret"() : () -> ()
    }) : (!ptx.pred) -> ()
    "ptx.ret"() : () -> ()
  }) : () -> ()
}

// CHECK: exo-gpu-opt: error: check-register-budget: kernel budget: the warpgroup role at loc("{{.*}}budget-ptx.mlir":10:5) needs 16 accumulator registers + 24 for addressing = 40 per thread, over its setmaxnreg budget of 32: use fewer tiles per warpgroup or a smaller wgmma N (ptxas would serialize the pipeline or spill, C7511/C7512)
