// RUN: exo-gpu-opt %s -p schedule --verify-diagnostics | filecheck %s
//
// A syntax error is reported as file:line:col and the parser's message, on one line.
// (The comma after sym_name is missing.)

builtin.module {
  "tile.gemm"() <{sym_name = "g" dtype = "tf32"}> : () -> ()
}

// CHECK: exo-gpu-opt: error: {{.*}}syntax-error.mlir:[[# @LINE - 3]]:34: '}' expected
// CHECK-NOT: Traceback
