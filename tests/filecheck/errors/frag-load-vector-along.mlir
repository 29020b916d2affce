// RUN: not exo-gpu-opt %s 2>&1 | filecheck %s
//
// A vector is broadcast along the rows or the columns of a fragment, nothing else.

builtin.module {
  %p = arith.constant 0 : i64
  %i = arith.constant 0 : i32
  %b = wgmma.frag_load_vector %p[%i], %i {along = "diagonal", dtype = "f32"} : !wgmma.accumulator<m64n16, f32>
}

// CHECK: exo-gpu-opt: error: {{.*}}frag-load-vector-along.mlir: invalid IR: wgmma.frag_load_vector: along must be "row" (one value per row) or "col" (one value per column), got 'diagonal'
