// RUN: exo-gpu-opt %s -p emit-ptx | filecheck %s
//
// Input: assigned ptx IR (every value has its register), as assign-registers leaves it.
// emit-ptx prints PTX text.  Checks: the .version/.target header, one .file per source and
// the extern shared ring; the entry with its parameters and .maxntid; `.reg` declarations
// sized from the registers actually used (%p0..2, %r0..3, %rd0, %acc0..15); before each
// instruction a `.loc 1 LINE COL` naming the line of this file the op is on (the CHECK line
// above each op says which); ptx.if as a negated branch around its body; ptx.loop as a
// head label, a conditional branch out, a branch back and a done label; wgmma.mma_async
// with its accumulator registers listed, scale-d as an immediate and, for bf16 only, the
// two transpose immediates; an accumulator element read as its own %acc register.

// CHECK:      .version 8.0
// CHECK-NEXT: .target sm_90a
// CHECK-NEXT: .address_size 64
// CHECK-EMPTY:
// CHECK-NEXT: .file 1 "{{.*}}emit-ptx{{/|\\}}kernel.mlir"
// CHECK-NEXT: .extern .shared .align 1024 .b8 exo_smem[];
// CHECK-EMPTY:
// CHECK-NEXT: .visible .entry emit(
// CHECK-NEXT:   .param .u32 emit_param_k
// CHECK-NEXT: )
// CHECK-NEXT: .maxntid 256, 1, 1
// CHECK-NEXT: .minnctapersm 1
// CHECK-NEXT: {
// CHECK-NEXT:   .reg .pred %p<3>;
// CHECK-NEXT:   .reg .b32 %r<4>;
// CHECK-NEXT:   .reg .b64 %rd<1>;
// CHECK-NEXT:   .reg .f32 %acc<16>;

builtin.module {
  "ptx.entry"() <{sym_name = "emit", params = [".param .u32 emit_param_k"], maxntid = 256 : i64, smem_bytes = 21536 : i64}> ({
// CHECK-NEXT:   .loc 1 [[# @LINE + 2]] 5
// CHECK-NEXT:   mov.u32 %r0, %tid.x;
    %tid = "ptx.mov"() <{ty = ".u32", source = "%tid.x"}> : () -> !ptx.b32<r0>
// CHECK-NEXT:   .loc 1 [[# @LINE + 2]] 5
// CHECK-NEXT:   setp.ge.u32 %p0, %r0, 128;
    %is = "ptx.setp"(%tid) <{cmp = "ge", ty = ".u32", imm = 128 : i64, operandSegmentSizes = array<i32: 1, 0, 0>}> : (!ptx.b32<r0>) -> !ptx.pred<p0>
// ptx.if: skip the body when the condition does not hold.
// CHECK-NEXT:   .loc 1 [[# @LINE + 2]] 5
// CHECK-NEXT:   @!%p0 bra [[SKIP:\$L__skip[0-9]+]];
    "ptx.if"(%is) <{negate = 0 : i64}> ({
// CHECK-NEXT:   .loc 1 [[# @LINE + 2]] 7
// CHECK-NEXT:   setmaxnreg.inc.sync.aligned.u32 232;
      "ptx.setmaxnreg"() <{action = "inc", count = 232 : i64}> : () -> ()
// CHECK-NEXT:   .loc 1 [[# @LINE + 2]] 7
// CHECK-NEXT:   ld.param.u32 %r1, [emit_param_k];
      %nk = "ptx.ld_param"() <{ty = ".u32", param = "emit_param_k"}> : () -> !ptx.b32<r1>
// CHECK-NEXT:   .loc 1 [[# @LINE + 2]] 7
// CHECK-NEXT:   mov.u64 %rd0, 0;
      %d = "ptx.mov"() <{ty = ".u64", imm = 0 : i64}> : () -> !ptx.b64<rd0>
// An mbarrier spin loop as lower-to-ptx builds it: label, try_wait, branch back if not ready.
// CHECK-NEXT:   .loc 1 [[# @LINE + 2]] 7
// CHECK-NEXT: $L_wait_1:
      "ptx.label"() <{label = "$L_wait_1"}> : () -> ()
// CHECK-NEXT:   .loc 1 [[# @LINE + 2]] 7
// CHECK-NEXT:   mbarrier.try_wait.parity.shared::cta.b64 %p1, [%r0], %r1;
      %ready = "ptx.mbarrier_try_wait_parity"(%tid, %nk) : (!ptx.b32<r0>, !ptx.b32<r1>) -> !ptx.pred<p1>
// CHECK-NEXT:   .loc 1 [[# @LINE + 2]] 7
// CHECK-NEXT:   @!%p1 bra $L_wait_1;
      "ptx.bra"(%ready) <{target = "$L_wait_1", negate = 1 : i64, uniform = 0 : i64}> : (!ptx.pred<p1>) -> ()
// CHECK-NEXT:   .loc 1 [[# @LINE + 2]] 7
// CHECK-NEXT:   wgmma.fence.sync.aligned;
      "ptx.wgmma_fence"() : () -> ()
// tf32: no transpose immediates; scale-d 0.
// CHECK-NEXT:   .loc 1 [[# @LINE + 2]] 7
// CHECK-NEXT:   wgmma.mma_async.sync.aligned.m64n16k8.f32.tf32.tf32 {%acc0, %acc1, %acc2, %acc3, %acc4, %acc5, %acc6, %acc7}, %rd0, %rd0, 0, 1, 1;
      %t0 = "ptx.wgmma_mma_async"(%d, %d) <{dtype = "tf32", n = 16 : i64, scale_d = 0 : i64, operandSegmentSizes = array<i32: 0, 1, 1, 0>}> : (!ptx.b64<rd0>, !ptx.b64<rd0>) -> !ptx.acc<8 at 0>
// bf16: k16, the range at 8, and the two transpose immediates (0: K-major).
// CHECK-NEXT:   .loc 1 [[# @LINE + 2]] 7
// CHECK-NEXT:   wgmma.mma_async.sync.aligned.m64n16k16.f32.bf16.bf16 {%acc8, %acc9, %acc10, %acc11, %acc12, %acc13, %acc14, %acc15}, %rd0, %rd0, 0, 1, 1, 0, 0;
      %t1 = "ptx.wgmma_mma_async"(%d, %d) <{dtype = "bf16", n = 16 : i64, scale_d = 0 : i64, operandSegmentSizes = array<i32: 0, 1, 1, 0>}> : (!ptx.b64<rd0>, !ptx.b64<rd0>) -> !ptx.acc<8 at 8>
// CHECK-NEXT:   .loc 1 [[# @LINE + 2]] 7
// CHECK-NEXT:   wgmma.commit_group.sync.aligned;
      "ptx.wgmma_commit_group"() : () -> ()
// CHECK-NEXT:   .loc 1 [[# @LINE + 2]] 7
// CHECK-NEXT:   wgmma.wait_group.sync.aligned 1;
      %w0, %w1 = "ptx.wgmma_wait_group"(%t0, %t1) <{pending = 1 : i64}> : (!ptx.acc<8 at 0>, !ptx.acc<8 at 8>) -> (!ptx.acc<8 at 0>, !ptx.acc<8 at 8>)
// CHECK-NEXT:   .loc 1 [[# @LINE + 2]] 7
// CHECK-NEXT:   mov.u32 %r2, 1;
      %k0 = "ptx.mov"() <{ty = ".u32", imm = 1 : i64}> : () -> !ptx.b32<r2>
// ptx.loop: a head label...
// CHECK-NEXT:   .loc 1 [[# @LINE + 2]] 7
// CHECK-NEXT: [[LOOP:\$L__loop[0-9]+]]:
      %kend, %r0, %r1 = "ptx.loop"(%k0, %w0, %w1) ({
      ^bb0(%k: !ptx.b32<r2>, %a0: !ptx.acc<8 at 0>, %a1: !ptx.acc<8 at 8>):
// CHECK-NEXT:   .loc 1 [[# @LINE + 2]] 9
// CHECK-NEXT:   setp.ge.u32 %p2, %r2, %r1;
        %done = "ptx.setp"(%k, %nk) <{cmp = "ge", ty = ".u32", operandSegmentSizes = array<i32: 1, 1, 0>}> : (!ptx.b32<r2>, !ptx.b32<r1>) -> !ptx.pred<p2>
// ... ptx.break_if as a branch to the done label...
// CHECK-NEXT:   .loc 1 [[# @LINE + 2]] 9
// CHECK-NEXT:   @%p2 bra [[DONE:\$L__done[0-9]+]];
        "ptx.break_if"(%done) : (!ptx.pred<p2>) -> ()
// CHECK-NEXT:   .loc 1 [[# @LINE + 2]] 9
// CHECK-NEXT:   wgmma.mma_async.sync.aligned.m64n16k8.f32.tf32.tf32 {%acc0, %acc1, %acc2, %acc3, %acc4, %acc5, %acc6, %acc7}, %rd0, %rd0, 1, 1, 1;
        %u0 = "ptx.wgmma_mma_async"(%a0, %d, %d) <{dtype = "tf32", n = 16 : i64, scale_d = 1 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0>}> : (!ptx.acc<8 at 0>, !ptx.b64<rd0>, !ptx.b64<rd0>) -> !ptx.acc<8 at 0>
// CHECK-NEXT:   .loc 1 [[# @LINE + 2]] 9
// CHECK-NEXT:   add.u32 %r3, %r2, 1;
        %k1 = "ptx.add"(%k) <{ty = ".u32", imm = 1 : i64}> : (!ptx.b32<r2>) -> !ptx.b32<r3>
// CHECK-NEXT:   .loc 1 [[# @LINE + 2]] 9
// CHECK-NEXT:   mov.b32 %r2, %r3;
        %kn = "ptx.mov"(%k1) <{ty = ".b32"}> : (!ptx.b32<r3>) -> !ptx.b32<r2>
// ... ptx.next as the branch back, then the done label.
// CHECK-NEXT:   .loc 1 [[# @LINE + 3]] 9
// CHECK-NEXT:   bra [[LOOP]];
// CHECK-NEXT: [[DONE]]:
        "ptx.next"(%kn, %u0, %a1) : (!ptx.b32<r2>, !ptx.acc<8 at 0>, !ptx.acc<8 at 8>) -> ()
      }) : (!ptx.b32<r2>, !ptx.acc<8 at 0>, !ptx.acc<8 at 8>) -> (!ptx.b32<r2>, !ptx.acc<8 at 0>, !ptx.acc<8 at 8>)
// CHECK-NEXT:   .loc 1 [[# @LINE + 2]] 7
// CHECK-NEXT:   wgmma.wait_group.sync.aligned 0;
      %f0, %f1 = "ptx.wgmma_wait_group"(%r0, %r1) <{pending = 0 : i64}> : (!ptx.acc<8 at 0>, !ptx.acc<8 at 8>) -> (!ptx.acc<8 at 0>, !ptx.acc<8 at 8>)
// Element 7 of the range at 8 is %acc15.
// CHECK-NEXT:   .loc 1 [[# @LINE + 2]] 7
// CHECK-NEXT:   @%p0 st.global.f32 [%rd0+28], %acc15;
      "ptx.st_global_f32"(%d, %f1, %is) <{offset = 28 : i64, element = 7 : i64, operandSegmentSizes = array<i32: 1, 1, 1>}> : (!ptx.b64<rd0>, !ptx.acc<8 at 8>, !ptx.pred<p0>) -> ()
// CHECK-NEXT:   .loc 1 [[# @LINE + 3]] 7
// CHECK-NEXT:   ret;
// CHECK-NEXT: [[SKIP]]:
      "ptx.ret"() : () -> ()
    }) : (!ptx.pred<p0>) -> ()
// CHECK-NEXT:   .loc 1 [[# @LINE + 3]] 5
// CHECK-NEXT:   ret;
// CHECK-NEXT: }
    "ptx.ret"() : () -> ()
  }) : () -> ()
}
