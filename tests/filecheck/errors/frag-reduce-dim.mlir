// RUN: not exo-gpu-opt %s 2>&1 | filecheck %s
//
// frag_reduce reduces along a row (dim = 1), within a quad of lanes; a column reduction
// would cross warps and is rejected.

builtin.module {
  %x = "wgmma.undef_accumulator"() : () -> !wgmma.accumulator<m64n16, f32>
  %m = wgmma.frag_reduce "max" %x {dim = 0 : i64} : !wgmma.accumulator<m64n16, f32> -> !wgmma.row_vector<m64, f32>
}

// CHECK: exo-gpu-opt: error: {{.*}}frag-reduce-dim.mlir: invalid IR: wgmma.frag_reduce: only dim = 1 (along a row, across columns) is supported, got dim = 0: a column reduction crosses warps
