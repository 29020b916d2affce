// RUN: exo-gpu-opt %s -p schedule --verify-diagnostics | filecheck %s
//
// A syntax error is reported as file:line:col and the parser's message, on one line.
// (The comma between the kernel's arguments is missing.)

builtin.module {
  tile.kernel @g(%a: !tile.tensor<?x?xf32> %c: !tile.tensor<?x?xf32>) grid(%c tiles 64x64) {
}

// CHECK: exo-gpu-opt: error: {{.*}}syntax-error.mlir:[[# @LINE - 3]]:44: ')' expected
// CHECK-NOT: Traceback
