// RUN: exo-gpu-opt %s -p tie-loop-carried,assign-registers | filecheck %s
// RUN: exo-gpu-opt %s -p tie-loop-carried,assign-registers | filecheck %s --check-prefix=UNASSIGNED
//
// Input: lower-to-ptx style IR, trimmed to one consumer role: 2 m64n16 tiles (8 f32
// registers each), a peeled K block, a K loop carrying k and both accumulators, the final
// wait_group 0 and one store per tile.
//
// assign-registers guarantees, checked below:
// - each accumulator gets one %acc range for its whole life: tile 0 is `at 0`, tile 1 `at 8`;
//   an mma's result shares its accumulator operand's range, a wait_group's results share
//   its operands', and a loop's carried accumulator, its initial value, its next value and
//   the loop's result share one range;
// - every scalar gets a virtual register of its class (%r for b32, %rd for b64, %p for pred);
// - a loop-carried scalar gets one register, with a mov into it before the loop and before
//   ptx.next (made by tie-loop-carried), shared by the block argument and the loop result.

builtin.module {
  "ptx.entry"() <{sym_name = "regs", params = [".param .u32 regs_param_k"], maxntid = 128 : i64, smem_bytes = 0 : i64}> ({
    %tid = "ptx.mov"() <{ty = ".u32", source = "%tid.x"}> : () -> !ptx.b32
    %is = "ptx.setp"(%tid) <{cmp = "lt", ty = ".u32", imm = 128 : i64, operandSegmentSizes = array<i32: 1, 0, 0>}> : (!ptx.b32) -> !ptx.pred
    "ptx.if"(%is) <{negate = 0 : i64}> ({
      "ptx.setmaxnreg"() <{action = "dec", count = 232 : i64}> : () -> ()
      %nk = "ptx.ld_param"() <{ty = ".u32", param = "regs_param_k"}> : () -> !ptx.b32
      %da = "ptx.mov"() <{ty = ".u64", imm = 0 : i64}> : () -> !ptx.b64
      %db = "ptx.mov"() <{ty = ".u64", imm = 64 : i64}> : () -> !ptx.b64
      "ptx.wgmma_fence"() : () -> ()
      %t0a = "ptx.wgmma_mma_async"(%da, %db) <{dtype = "tf32", n = 16 : i64, scale_d = 0 : i64, operandSegmentSizes = array<i32: 0, 1, 1, 0>}> : (!ptx.b64, !ptx.b64) -> !ptx.acc<8>
      %t0b = "ptx.wgmma_mma_async"(%t0a, %da, %db) <{dtype = "tf32", n = 16 : i64, scale_d = 1 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0>}> : (!ptx.acc<8>, !ptx.b64, !ptx.b64) -> !ptx.acc<8>
      %t1a = "ptx.wgmma_mma_async"(%da, %db) <{dtype = "tf32", n = 16 : i64, scale_d = 0 : i64, operandSegmentSizes = array<i32: 0, 1, 1, 0>}> : (!ptx.b64, !ptx.b64) -> !ptx.acc<8>
      "ptx.wgmma_commit_group"() : () -> ()
      %w0, %w1 = "ptx.wgmma_wait_group"(%t0b, %t1a) <{pending = 1 : i64}> : (!ptx.acc<8>, !ptx.acc<8>) -> (!ptx.acc<8>, !ptx.acc<8>)
      %k0 = "ptx.mov"() <{ty = ".u32", imm = 1 : i64}> : () -> !ptx.b32
      %kend, %r0, %r1 = "ptx.loop"(%k0, %w0, %w1) ({
      ^bb0(%k: !ptx.b32, %a0: !ptx.acc<8>, %a1: !ptx.acc<8>):
        %done = "ptx.setp"(%k, %nk) <{cmp = "ge", ty = ".u32", operandSegmentSizes = array<i32: 1, 1, 0>}> : (!ptx.b32, !ptx.b32) -> !ptx.pred
        "ptx.break_if"(%done) : (!ptx.pred) -> ()
        "ptx.wgmma_fence"() : () -> ()
        %u0 = "ptx.wgmma_mma_async"(%a0, %da, %db) <{dtype = "tf32", n = 16 : i64, scale_d = 1 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0>}> : (!ptx.acc<8>, !ptx.b64, !ptx.b64) -> !ptx.acc<8>
        %u1 = "ptx.wgmma_mma_async"(%a1, %da, %db) <{dtype = "tf32", n = 16 : i64, scale_d = 1 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0>}> : (!ptx.acc<8>, !ptx.b64, !ptx.b64) -> !ptx.acc<8>
        "ptx.wgmma_commit_group"() : () -> ()
        %v0, %v1 = "ptx.wgmma_wait_group"(%u0, %u1) <{pending = 1 : i64}> : (!ptx.acc<8>, !ptx.acc<8>) -> (!ptx.acc<8>, !ptx.acc<8>)
        %k1 = "ptx.add"(%k) <{ty = ".u32", imm = 1 : i64}> : (!ptx.b32) -> !ptx.b32
        "ptx.next"(%k1, %v0, %v1) : (!ptx.b32, !ptx.acc<8>, !ptx.acc<8>) -> ()
      }) : (!ptx.b32, !ptx.acc<8>, !ptx.acc<8>) -> (!ptx.b32, !ptx.acc<8>, !ptx.acc<8>)
      %f0, %f1 = "ptx.wgmma_wait_group"(%r0, %r1) <{pending = 0 : i64}> : (!ptx.acc<8>, !ptx.acc<8>) -> (!ptx.acc<8>, !ptx.acc<8>)
      %c = "ptx.mov"() <{ty = ".u64", imm = 4096 : i64}> : () -> !ptx.b64
      "ptx.st_global_f32"(%c, %f0, %is) <{offset = 0 : i64, element = 0 : i64, operandSegmentSizes = array<i32: 1, 1, 1>}> : (!ptx.b64, !ptx.acc<8>, !ptx.pred) -> ()
      "ptx.st_global_f32"(%c, %f1, %is) <{offset = 4 : i64, element = 7 : i64, operandSegmentSizes = array<i32: 1, 1, 1>}> : (!ptx.b64, !ptx.acc<8>, !ptx.pred) -> ()
      "ptx.ret"() : () -> ()
    }) : (!ptx.pred) -> ()
    "ptx.ret"() : () -> ()
  }) : () -> ()
}

// Scalars: one virtual register each, by class.
// CHECK:       %tid = "ptx.mov"() <{ty = ".u32", source = "%tid.x"}> : () -> !ptx.b32<r0>
// CHECK-NEXT:  %is = "ptx.setp"(%tid) {{.*}} : (!ptx.b32<r0>) -> !ptx.pred<p0>
// CHECK-NEXT:  "ptx.if"(%is) <{negate = 0 : i64}> ({
// CHECK-NEXT:    "ptx.setmaxnreg"()
// CHECK-NEXT:    %nk = "ptx.ld_param"() {{.*}} -> !ptx.b32<[[NK:r[0-9]+]]>
// CHECK-NEXT:    %da = "ptx.mov"() {{.*}} -> !ptx.b64<[[DA:rd[0-9]+]]>
// CHECK-NEXT:    %db = "ptx.mov"() {{.*}} -> !ptx.b64<[[DB:rd[0-9]+]]>
// CHECK-NEXT:    "ptx.wgmma_fence"() : () -> ()
// Tile 0 takes %acc0..%acc7: the scale-d = 0 result and the mma accumulating into it.
// CHECK-NEXT:    %t0a = "ptx.wgmma_mma_async"(%da, %db) {{.*}} : (!ptx.b64<[[DA]]>, !ptx.b64<[[DB]]>) -> !ptx.acc<8 at 0>
// CHECK-NEXT:    %t0b = "ptx.wgmma_mma_async"(%t0a, %da, %db) {{.*}} : (!ptx.acc<8 at 0>, !ptx.b64<[[DA]]>, !ptx.b64<[[DB]]>) -> !ptx.acc<8 at 0>
// Tile 1, live at the same time, gets the next range: %acc8..%acc15.
// CHECK-NEXT:    %t1a = "ptx.wgmma_mma_async"(%da, %db) {{.*}} -> !ptx.acc<8 at 8>
// CHECK-NEXT:    "ptx.wgmma_commit_group"() : () -> ()
// wait_group results keep their operands' ranges.
// CHECK-NEXT:    %w0, %w1 = "ptx.wgmma_wait_group"(%t0b, %t1a) <{pending = 1 : i64}> : (!ptx.acc<8 at 0>, !ptx.acc<8 at 8>) -> (!ptx.acc<8 at 0>, !ptx.acc<8 at 8>)
// The carried scalar k: its own register, set by a mov before the loop...
// CHECK-NEXT:    %k0 = "ptx.mov"() <{ty = ".u32", imm = 1 : i64}> : () -> !ptx.b32<[[K0:r[0-9]+]]>
// CHECK-NEXT:    %{{.*}} = "ptx.mov"(%k0) <{ty = ".b32"}> : (!ptx.b32<[[K0]]>) -> !ptx.b32<[[K:r[0-9]+]]>
// ... and shared by the block argument and the loop's result; the accumulators keep theirs.
// CHECK-NEXT:    %kend, %r0, %r1 = "ptx.loop"(%{{.*}}, %w0, %w1) ({
// CHECK-NEXT:    ^bb0(%k: !ptx.b32<[[K]]>, %a0: !ptx.acc<8 at 0>, %a1: !ptx.acc<8 at 8>):
// CHECK-NEXT:      %done = "ptx.setp"(%k, %nk) {{.*}} : (!ptx.b32<[[K]]>, !ptx.b32<[[NK]]>) -> !ptx.pred<p1>
// CHECK-NEXT:      "ptx.break_if"(%done)
// CHECK-NEXT:      "ptx.wgmma_fence"() : () -> ()
// CHECK-NEXT:      %u0 = "ptx.wgmma_mma_async"(%a0, %da, %db) {{.*}} : (!ptx.acc<8 at 0>, {{.*}}) -> !ptx.acc<8 at 0>
// CHECK-NEXT:      %u1 = "ptx.wgmma_mma_async"(%a1, %da, %db) {{.*}} : (!ptx.acc<8 at 8>, {{.*}}) -> !ptx.acc<8 at 8>
// CHECK-NEXT:      "ptx.wgmma_commit_group"() : () -> ()
// CHECK-NEXT:      %v0, %v1 = "ptx.wgmma_wait_group"(%u0, %u1) {{.*}} -> (!ptx.acc<8 at 0>, !ptx.acc<8 at 8>)
// CHECK-NEXT:      %k1 = "ptx.add"(%k) <{ty = ".u32", imm = 1 : i64}> : (!ptx.b32<[[K]]>) -> !ptx.b32<[[K1:r[0-9]+]]>
// The next k is copied through a temporary into k's register right before ptx.next.
// CHECK-NEXT:      %[[KTMP:.*]] = "ptx.mov"(%k1) <{ty = ".b32"}> : (!ptx.b32<[[K1]]>) -> !ptx.b32<[[T:r[0-9]+]]>
// CHECK-NEXT:      %[[KNEXT:.*]] = "ptx.mov"(%[[KTMP]]) <{ty = ".b32"}> : (!ptx.b32<[[T]]>) -> !ptx.b32<[[K]]>
// CHECK-NEXT:      "ptx.next"(%[[KNEXT]], %v0, %v1) : (!ptx.b32<[[K]]>, !ptx.acc<8 at 0>, !ptx.acc<8 at 8>) -> ()
// CHECK-NEXT:    }) : (!ptx.b32<[[K]]>, !ptx.acc<8 at 0>, !ptx.acc<8 at 8>) -> (!ptx.b32<[[K]]>, !ptx.acc<8 at 0>, !ptx.acc<8 at 8>)
// CHECK-NEXT:    %f0, %f1 = "ptx.wgmma_wait_group"(%r0, %r1) <{pending = 0 : i64}> : (!ptx.acc<8 at 0>, !ptx.acc<8 at 8>) -> (!ptx.acc<8 at 0>, !ptx.acc<8 at 8>)
// CHECK-NEXT:    %c = "ptx.mov"() {{.*}} -> !ptx.b64<[[C:rd[0-9]+]]>
// CHECK-NEXT:    "ptx.st_global_f32"(%c, %f0, %is) {{.*}} : (!ptx.b64<[[C]]>, !ptx.acc<8 at 0>, !ptx.pred<p0>) -> ()
// CHECK-NEXT:    "ptx.st_global_f32"(%c, %f1, %is) {{.*}} : (!ptx.b64<[[C]]>, !ptx.acc<8 at 8>, !ptx.pred<p0>) -> ()

// Nothing anywhere is left without a register.
// UNASSIGNED-NOT: {{!ptx\.(b32|b64|pred|f32)[^<]}}
// UNASSIGNED-NOT: {{!ptx\.acc<[0-9]+>}}
