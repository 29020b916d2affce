// RUN: not exo-gpu-opt %s 2>&1 | filecheck %s
//
// The accumulator type itself is checked against the wgmma table: m64n100 is not a shape.

builtin.module {
  %acc = "wgmma.undef_accumulator"() : () -> !wgmma.accumulator<m64n100, f32>
}

// CHECK: exo-gpu-opt: error: {{.*}}illegal-accumulator-shape.mlir: invalid IR: accumulator m64n100 is not a wgmma shape (M must be 64, N a multiple of 8 from 8 to 256)
