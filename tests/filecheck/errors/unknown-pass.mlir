// RUN: not exo-gpu-opt %s -p schedule,frobnicate 2>&1 | filecheck %s
// RUN: not exo-gpu-opt %s -p schedule --print-ir-after=frobnicate 2>&1 | filecheck %s --check-prefix=AFTER
//
// A pipeline naming a pass that does not exist fails before any pass runs and lists the
// passes there are; so does --print-ir-after with an unknown name.

builtin.module {
}

// CHECK: exo-gpu-opt: error: unknown pass 'frobnicate': available passes are schedule, insert-syncs, lower-fragments, lower-to-ptx, tie-loop-carried, assign-registers, check-register-budget, emit-ptx
// AFTER: exo-gpu-opt: error: --print-ir-after: unknown pass 'frobnicate': available passes are schedule, insert-syncs, lower-fragments, lower-to-ptx, tie-loop-carried, assign-registers, check-register-budget, emit-ptx
