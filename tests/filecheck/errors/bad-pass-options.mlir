// RUN: not exo-gpu-opt %s -p 'schedule{scale_d=sometimes}' 2>&1 | filecheck %s --check-prefix=VALUE
// RUN: not exo-gpu-opt %s -p 'schedule{bogus=1}' 2>&1 | filecheck %s --check-prefix=OPTION
//
// Pass options use xdsl-opt syntax; a bad value and an unknown option are both reported.

builtin.module {
}

// VALUE: exo-gpu-opt: error: schedule: scale-d must be 'immediate' or 'runtime', got 'sometimes'
// OPTION: exo-gpu-opt: error: bad options for pass 'schedule': Provided arguments ["bogus"] not found in expected arguments ["scale_d"]
