// RUN: not exo-gpu-opt %s -p tie-loop-carried,assign-registers,check-register-budget 2>&1 | filecheck %s
//
// With f16 accumulators a role needs 24 registers more beside them than with f32 ones (its
// epilogue converts each packed pair to two f32 registers): one m64n64 f16 tile (16 f16x2
// registers) + 24 + 24 = 64 > 56, where an f32 tile of 16 registers would fit 16 + 24 = 40.

builtin.module {
  "ptx.entry"() <{sym_name = "budget16", params = [], maxntid = 128 : i64, smem_bytes = 0 : i64}> ({
    %tid = "ptx.mov"() <{ty = ".u32", source = "%tid.x"}> : () -> !ptx.b32
    %is = "ptx.setp"(%tid) <{cmp = "lt", ty = ".u32", imm = 128 : i64, operandSegmentSizes = array<i32: 1, 0, 0>}> : (!ptx.b32) -> !ptx.pred
    "ptx.if"(%is) <{negate = 0 : i64}> ({
      "ptx.setmaxnreg"() <{action = "dec", count = 56 : i64}> : () -> ()
      %d = "ptx.mov"() <{ty = ".u64", imm = 0 : i64}> : () -> !ptx.b64
      %t = "ptx.wgmma_mma_async"(%d, %d) <{dtype = "f16", n = 64 : i64, scale_d = 0 : i64, operandSegmentSizes = array<i32: 0, 1, 1, 0>}> : (!ptx.b64, !ptx.b64) -> !ptx.acc<16, f16x2>
      "ptx.ret"() : () -> ()
    }) : (!ptx.pred) -> ()
    "ptx.ret"() : () -> ()
  }) : () -> ()
}

// CHECK: exo-gpu-opt: error: check-register-budget: kernel budget16: the warpgroup role at loc("{{.*}}budget-f16x2.mlir":11:5) needs 16 accumulator registers + 48 for addressing and the f16 epilogue's conversions = 64 per thread, over its setmaxnreg budget of 56: use fewer tiles per warpgroup or a smaller wgmma N (ptxas would serialize the pipeline or spill, C7511/C7512)
