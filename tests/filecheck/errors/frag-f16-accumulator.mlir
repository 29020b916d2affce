// RUN: not exo-gpu-opt %s 2>&1 | filecheck %s
//
// Fragment ops compute in f32: an f16 (packed f16x2) accumulator is rejected, with the fix.

builtin.module {
  %x = "wgmma.undef_accumulator"() : () -> !wgmma.accumulator<m64n16, f16>
  %r = wgmma.frag_unary "relu" %x : !wgmma.accumulator<m64n16, f16>
}

// CHECK: exo-gpu-opt: error: {{.*}}frag-f16-accumulator.mlir: invalid IR: wgmma.frag_unary: operand !wgmma.accumulator<m64n16, f16> holds f16 elements; fragment ops work on f32 accumulators only: accumulate in f32 (accumulate = "f32")
