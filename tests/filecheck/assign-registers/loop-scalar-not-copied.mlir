// RUN: not exo-gpu-opt %s -p assign-registers 2>&1 | filecheck %s
// RUN: exo-gpu-opt %s -p tie-loop-carried,assign-registers | filecheck %s --check-prefix=COPIED
//
// assign-registers applies the ties the ops declare (ptx.loop: initial value -> carried
// argument -> result; ptx.next: next value -> carried argument) and makes no copies: a
// carried scalar must come in registers of its own, which tie-loop-carried makes.  Without
// them (here %k1 is also read by the setp after it) the pass fails and names the fix; after
// tie-loop-carried the carried scalar, its copies and the loop's result are one register.

builtin.module {
  "ptx.entry"() <{sym_name = "nocopy", params = [], maxntid = 128 : i64, smem_bytes = 0 : i64}> ({
    %k0 = "ptx.mov"() <{ty = ".u32", imm = 0 : i64}> : () -> !ptx.b32
    %kend = "ptx.loop"(%k0) ({
    ^bb0(%k: !ptx.b32):
      %k1 = "ptx.add"(%k) <{ty = ".u32", imm = 1 : i64}> : (!ptx.b32) -> !ptx.b32
      %done = "ptx.setp"(%k1) <{cmp = "ge", ty = ".u32", imm = 8 : i64, operandSegmentSizes = array<i32: 1, 0, 0>}> : (!ptx.b32) -> !ptx.pred
      "ptx.break_if"(%done) : (!ptx.pred) -> ()
      "ptx.next"(%k1) : (!ptx.b32) -> ()
    }) : (!ptx.b32) -> !ptx.b32
    "ptx.ret"() : () -> ()
  }) : () -> ()
}

// CHECK: exo-gpu-opt: error: assign-registers: ptx.next at loc("{{.*}}loop-scalar-not-copied.mlir":18:7) carries a scalar without a register of its own: run tie-loop-carried first

// COPIED:      "ptx.mov"() <{ty = ".u32", imm = 0 : i64}> : () -> !ptx.b32<[[K0:r[0-9]+]]>
// COPIED-NEXT: "ptx.mov"(%{{.*}}) <{ty = ".b32"}> : (!ptx.b32<[[K0]]>) -> !ptx.b32<[[K:r[0-9]+]]>
// COPIED-NEXT: "ptx.loop"(%{{.*}}) ({
// COPIED-NEXT: ^{{.*}}(%{{.*}}: !ptx.b32<[[K]]>):
// COPIED:      "ptx.next"(%{{.*}}) : (!ptx.b32<[[K]]>) -> ()
// COPIED-NEXT: }) : (!ptx.b32<[[K]]>) -> !ptx.b32<[[K]]>
