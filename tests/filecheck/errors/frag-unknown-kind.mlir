// RUN: not exo-gpu-opt %s 2>&1 | filecheck %s
//
// An elementwise function the fragment ops do not have names the ones they do.

builtin.module {
  %x = "wgmma.undef_accumulator"() : () -> !wgmma.accumulator<m64n16, f32>
  %r = wgmma.frag_unary "sqrt" %x : !wgmma.accumulator<m64n16, f32>
}

// CHECK: exo-gpu-opt: error: {{.*}}frag-unknown-kind.mlir: invalid IR: wgmma.frag_unary: unknown kind 'sqrt' (expected one of neg, exp2, log2, tanh, relu, gelu, silu)
