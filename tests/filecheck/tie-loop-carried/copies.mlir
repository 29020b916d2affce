// RUN: exo-gpu-opt %s -p tie-loop-carried | filecheck %s
//
// tie-loop-carried guarantees, checked below: each scalar a ptx.loop carries gets a `mov` of
// its initial value into a fresh register right before the loop, and before ptx.next a
// parallel copy of its next value (all next values read into temporaries first, then moved
// into fresh registers); the loop and ptx.next take those fresh registers.  The carried
// accumulator is never copied: the loop and ptx.next keep the accumulator values as they are.

builtin.module {
  "ptx.entry"() <{sym_name = "carry", params = [], maxntid = 128 : i64, smem_bytes = 0 : i64}> ({
    %k0 = "ptx.mov"() <{ty = ".u32", imm = 0 : i64}> : () -> !ptx.b32
    %s0 = "ptx.mov"() <{ty = ".u32", imm = 3 : i64}> : () -> !ptx.b32
    %acc0 = "ptx.acc_undef"() : () -> !ptx.acc<8>
    %kend, %send, %accend = "ptx.loop"(%k0, %s0, %acc0) ({
    ^bb0(%k: !ptx.b32, %s: !ptx.b32, %acc: !ptx.acc<8>):
      %done = "ptx.setp"(%k, %s) <{cmp = "ge", ty = ".u32", operandSegmentSizes = array<i32: 1, 1, 0>}> : (!ptx.b32, !ptx.b32) -> !ptx.pred
      "ptx.break_if"(%done) : (!ptx.pred) -> ()
      %k1 = "ptx.add"(%k) <{ty = ".u32", imm = 1 : i64}> : (!ptx.b32) -> !ptx.b32
      "ptx.next"(%k1, %k, %acc) : (!ptx.b32, !ptx.b32, !ptx.acc<8>) -> ()
    }) : (!ptx.b32, !ptx.b32, !ptx.acc<8>) -> (!ptx.b32, !ptx.b32, !ptx.acc<8>)
    "ptx.ret"() : () -> ()
  }) : () -> ()
}

// CHECK:      %[[K0:.*]] = "ptx.mov"() <{ty = ".u32", imm = 0 : i64}>
// CHECK-NEXT: %[[S0:.*]] = "ptx.mov"() <{ty = ".u32", imm = 3 : i64}>
// CHECK-NEXT: %[[ACC0:.*]] = "ptx.acc_undef"()
// CHECK-NEXT: %[[KIN:.*]] = "ptx.mov"(%[[K0]]) <{ty = ".b32"}> : (!ptx.b32) -> !ptx.b32
// CHECK-NEXT: %[[SIN:.*]] = "ptx.mov"(%[[S0]]) <{ty = ".b32"}> : (!ptx.b32) -> !ptx.b32
// CHECK-NEXT: {{.*}} = "ptx.loop"(%[[KIN]], %[[SIN]], %[[ACC0]]) ({
// CHECK-NEXT: ^{{.*}}(%[[K:[a-z0-9]+]]: !ptx.b32, %[[S:[a-z0-9]+]]: !ptx.b32, %[[ACC:[a-z0-9]+]]: !ptx.acc<8>):
// CHECK:      %[[K1:.*]] = "ptx.add"(%[[K]])
// The parallel copy: both next values read, then both written.
// CHECK-NEXT: %[[T0:.*]] = "ptx.mov"(%[[K1]]) <{ty = ".b32"}>
// CHECK-NEXT: %[[T1:.*]] = "ptx.mov"(%[[K]]) <{ty = ".b32"}>
// CHECK-NEXT: %[[N0:.*]] = "ptx.mov"(%[[T0]]) <{ty = ".b32"}>
// CHECK-NEXT: %[[N1:.*]] = "ptx.mov"(%[[T1]]) <{ty = ".b32"}>
// CHECK-NEXT: "ptx.next"(%[[N0]], %[[N1]], %[[ACC]])
