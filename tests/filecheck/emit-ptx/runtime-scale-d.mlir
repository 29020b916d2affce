// RUN: exo-gpu-opt %s -p emit-ptx | filecheck %s
//
// Run-time scale-d: the predicate register is printed in scale-d's place; an mma without
// one keeps the immediate.  An undefined accumulator (ptx.acc_undef) is no instruction,
// only a comment naming its registers.

// CHECK:        .reg .pred %p<2>;
// CHECK:        .reg .f32 %acc<8>;
// CHECK:        // %acc0.. left undefined: the first wgmma has scale-d = 0
// CHECK-NOT:    mov.f32
// CHECK:        setp.ne.u32 %p1, %r0, 0;
// CHECK-NEXT:   .loc
// CHECK-NEXT:   wgmma.mma_async.sync.aligned.m64n16k8.f32.tf32.tf32 {%acc0, %acc1, %acc2, %acc3, %acc4, %acc5, %acc6, %acc7}, %rd0, %rd0, %p1, 1, 1;
// CHECK-NEXT:   .loc
// CHECK-NEXT:   wgmma.mma_async.sync.aligned.m64n16k8.f32.tf32.tf32 {%acc0, %acc1, %acc2, %acc3, %acc4, %acc5, %acc6, %acc7}, %rd0, %rd0, 1, 1, 1;

builtin.module {
  "ptx.entry"() <{sym_name = "rt", params = [], maxntid = 128 : i64, smem_bytes = 0 : i64}> ({
    %k = "ptx.mov"() <{ty = ".u32", source = "%tid.x"}> : () -> !ptx.b32<r0>
    %d = "ptx.mov"() <{ty = ".u64", imm = 0 : i64}> : () -> !ptx.b64<rd0>
    %undef = "ptx.acc_undef"() : () -> !ptx.acc<8 at 0>
    %p = "ptx.setp"(%k) <{cmp = "eq", ty = ".u32", imm = 7 : i64, operandSegmentSizes = array<i32: 1, 0, 0>}> : (!ptx.b32<r0>) -> !ptx.pred<p0>
    %ne = "ptx.setp"(%k) <{cmp = "ne", ty = ".u32", imm = 0 : i64, operandSegmentSizes = array<i32: 1, 0, 0>}> : (!ptx.b32<r0>) -> !ptx.pred<p1>
    %m0 = "ptx.wgmma_mma_async"(%undef, %d, %d, %ne) <{dtype = "tf32", n = 16 : i64, scale_d = 1 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1>}> : (!ptx.acc<8 at 0>, !ptx.b64<rd0>, !ptx.b64<rd0>, !ptx.pred<p1>) -> !ptx.acc<8 at 0>
    %m1 = "ptx.wgmma_mma_async"(%m0, %d, %d) <{dtype = "tf32", n = 16 : i64, scale_d = 1 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0>}> : (!ptx.acc<8 at 0>, !ptx.b64<rd0>, !ptx.b64<rd0>) -> !ptx.acc<8 at 0>
    "ptx.ret"() : () -> ()
  }) : () -> ()
}
