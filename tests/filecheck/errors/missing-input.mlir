// RUN: not exo-gpu-opt %s.does-not-exist -p schedule 2>&1 | filecheck %s
//
// An unreadable input file is one line of error, not a traceback.

// CHECK: exo-gpu-opt: error: cannot read {{.*}}missing-input.mlir.does-not-exist: No such file or directory
// CHECK-NOT: Traceback
