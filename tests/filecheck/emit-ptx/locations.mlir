// RUN: exo-gpu-opt %s -p emit-ptx | filecheck %s
//
// `.loc` follows the ops' source locations: an explicit loc(...) (as a dumped-and-edited
// stage carries from an earlier file) names that file, an op without one names its line in
// this file.  One `.file` per source, numbered in order of first use; a `.loc` line only
// when the location changes (two consecutive ops at gemm.mlir:7:3 share one).

// CHECK:      .file 1 "gemm.mlir"
// CHECK-NEXT: .file 2 "{{.*}}locations.mlir"
// CHECK:        .reg .b32 %r<3>;
// CHECK-NEXT:   .loc 1 7 3
// CHECK-NEXT:   mov.u32 %r0, 1;
// CHECK-NEXT:   add.u32 %r1, %r0, 2;
// CHECK-NEXT:   .loc 2 [[# @LINE + 8]] 5
// CHECK-NEXT:   add.u32 %r2, %r1, 3;
// CHECK-NEXT:   .loc 1 9 5
// CHECK-NEXT:   ret;
builtin.module {
  "ptx.entry"() <{sym_name = "locs", params = [], maxntid = 128 : i64, smem_bytes = 0 : i64}> ({
    %a = "ptx.mov"() <{ty = ".u32", imm = 1 : i64}> : () -> !ptx.b32<r0> loc("gemm.mlir":7:3)
    %b = "ptx.add"(%a) <{ty = ".u32", imm = 2 : i64}> : (!ptx.b32<r0>) -> !ptx.b32<r1> loc("gemm.mlir":7:3)
    %c = "ptx.add"(%b) <{ty = ".u32", imm = 3 : i64}> : (!ptx.b32<r1>) -> !ptx.b32<r2>
    "ptx.ret"() : () -> () loc("gemm.mlir":9:5)
  }) : () -> ()
}
