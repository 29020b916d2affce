// RUN: not exo-gpu-opt %s 2>&1 | filecheck %s
//
// wgmma.frag_binary is elementwise: both fragments must have one shape.

builtin.module {
  %x = "wgmma.undef_accumulator"() : () -> !wgmma.accumulator<m64n16, f32>
  %y = "wgmma.undef_accumulator"() : () -> !wgmma.accumulator<m64n32, f32>
  %r = wgmma.frag_binary "add" %x, %y : !wgmma.accumulator<m64n16, f32>, !wgmma.accumulator<m64n32, f32>
}

// CHECK: exo-gpu-opt: error: {{.*}}frag-binary-shapes.mlir: invalid IR: wgmma.frag_binary: operands !wgmma.accumulator<m64n16, f32> and !wgmma.accumulator<m64n32, f32> differ: elementwise ops take fragments of one shape
