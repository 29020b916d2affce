// RUN: exo-gpu-opt %s -p assign-registers | filecheck %s
// RUN: exo-gpu-opt %s -p assign-registers,emit-ptx | filecheck %s --check-prefix=PTX
//
// Packed f16 accumulators: an m64n64 f16 tile is N/4 = 16 f16x2 registers per thread (an f32
// one would be 32).  One role holds two f16 tiles (through a wait_group) and one m64n16 f32
// tile (8 registers), with a setmaxnreg budget of exactly 16 + 16 + 8 + 24 (addressing) + 24
// (the f16 epilogue's conversions) = 88: it fits only because the f16 tiles count 16
// registers each.
//
// assign-registers guarantees, checked below: f16x2 ranges are `%hacc` ranges laid end to end
// from 0 (tile 0 `at 0`, tile 1 `at 16`), apart from the f32 `%acc` ranges (`at 0`); an
// mma's result and a wait_group's results keep their operand's range; emit-ptx declares
// `.reg .f32 %acc<8>` and `.reg .f16x2 %hacc<32>` and unpacks a register with mov.b32.

builtin.module {
  "ptx.entry"() <{sym_name = "packed", params = [], maxntid = 128 : i64, smem_bytes = 0 : i64}> ({
    %tid = "ptx.mov"() <{ty = ".u32", source = "%tid.x"}> : () -> !ptx.b32
    %is = "ptx.setp"(%tid) <{cmp = "lt", ty = ".u32", imm = 128 : i64, operandSegmentSizes = array<i32: 1, 0, 0>}> : (!ptx.b32) -> !ptx.pred
    "ptx.if"(%is) <{negate = 0 : i64}> ({
      "ptx.setmaxnreg"() <{action = "dec", count = 88 : i64}> : () -> ()
      %d = "ptx.mov"() <{ty = ".u64", imm = 0 : i64}> : () -> !ptx.b64
      "ptx.wgmma_fence"() : () -> ()
      %h0a = "ptx.wgmma_mma_async"(%d, %d) <{dtype = "f16", n = 64 : i64, scale_d = 0 : i64, operandSegmentSizes = array<i32: 0, 1, 1, 0>}> : (!ptx.b64, !ptx.b64) -> !ptx.acc<16, f16x2>
      %h0b = "ptx.wgmma_mma_async"(%h0a, %d, %d) <{dtype = "f16", n = 64 : i64, scale_d = 1 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0>}> : (!ptx.acc<16, f16x2>, !ptx.b64, !ptx.b64) -> !ptx.acc<16, f16x2>
      %h1 = "ptx.wgmma_mma_async"(%d, %d) <{dtype = "e4m3", n = 64 : i64, scale_d = 0 : i64, operandSegmentSizes = array<i32: 0, 1, 1, 0>}> : (!ptx.b64, !ptx.b64) -> !ptx.acc<16, f16x2>
      %f = "ptx.wgmma_mma_async"(%d, %d) <{dtype = "bf16", n = 16 : i64, scale_d = 0 : i64, operandSegmentSizes = array<i32: 0, 1, 1, 0>}> : (!ptx.b64, !ptx.b64) -> !ptx.acc<8>
      "ptx.wgmma_commit_group"() : () -> ()
      %w0, %w1, %w2 = "ptx.wgmma_wait_group"(%h0b, %h1, %f) <{pending = 0 : i64}> : (!ptx.acc<16, f16x2>, !ptx.acc<16, f16x2>, !ptx.acc<8>) -> (!ptx.acc<16, f16x2>, !ptx.acc<16, f16x2>, !ptx.acc<8>)
      %lo, %hi = "ptx.unpack_f16x2"(%w1) <{register = 15 : i64}> : (!ptx.acc<16, f16x2>) -> (!ptx.b16, !ptx.b16)
      %x = "ptx.cvt"(%hi) <{to = ".f32", from = ".f16"}> : (!ptx.b16) -> !ptx.f32
      "ptx.ret"() : () -> ()
    }) : (!ptx.pred) -> ()
    "ptx.ret"() : () -> ()
  }) : () -> ()
}

// CHECK:      %h0a = "ptx.wgmma_mma_async"(%d, %d) {{.*}} -> !ptx.acc<16, f16x2 at 0>
// CHECK-NEXT: %h0b = "ptx.wgmma_mma_async"(%h0a, %d, %d) {{.*}} : (!ptx.acc<16, f16x2 at 0>, !ptx.b64<rd0>, !ptx.b64<rd0>) -> !ptx.acc<16, f16x2 at 0>
// CHECK-NEXT: %h1 = "ptx.wgmma_mma_async"(%d, %d) {{.*}} -> !ptx.acc<16, f16x2 at 16>
// CHECK-NEXT: %f = "ptx.wgmma_mma_async"(%d, %d) {{.*}} -> !ptx.acc<8 at 0>
// CHECK:      %w0, %w1, %w2 = "ptx.wgmma_wait_group"(%h0b, %h1, %f) {{.*}} -> (!ptx.acc<16, f16x2 at 0>, !ptx.acc<16, f16x2 at 16>, !ptx.acc<8 at 0>)
// CHECK-NEXT: %lo, %hi = "ptx.unpack_f16x2"(%w1) <{register = 15 : i64}> : (!ptx.acc<16, f16x2 at 16>) -> (!ptx.b16<rs0>, !ptx.b16<rs1>)

// PTX:        .reg .f32 %acc<8>;
// PTX-NEXT:   .reg .f16x2 %hacc<32>;
// PTX:        wgmma.mma_async.sync.aligned.m64n64k16.f16.f16.f16 {%hacc0, {{.*}}, %hacc15}, %rd0, %rd0, 0, 1, 1, 0, 0;
// PTX:        wgmma.mma_async.sync.aligned.m64n64k32.f16.e4m3.e4m3 {%hacc16, {{.*}}, %hacc31}, %rd0, %rd0, 0, 1, 1;
// PTX:        wgmma.mma_async.sync.aligned.m64n16k16.f32.bf16.bf16 {%acc0, %acc1, %acc2, %acc3, %acc4, %acc5, %acc6, %acc7}, %rd0, %rd0, 0, 1, 1, 0, 0;
// PTX:        mov.b32 {%rs0, %rs1}, %hacc31;
// PTX:        cvt.f32.f16 %f0, %rs1;
