// RUN: exo-gpu-opt %s -p tie-loop-carried,assign-registers,emit-ptx | not filecheck %s --check-prefix=LOST
//
//
// Loop-carried scalars get one register each and a `mov` per value before ptx.next, emitted
// one after the other.  When the next values are a permutation of the block arguments
// (here a swap: next(%b, %a)) these sequential movs are not a parallel copy: the output is
//     mov.b32 %rA, %rB;
//     mov.b32 %rB, %rA;     <- reads %rA after it was overwritten: a's value is lost
// so both carried values end up equal to b.  The RUN line succeeds only when that lost-copy
// pattern is absent (`not filecheck` with the pattern as LOST checks).  lower-to-ptx never
// produces such a loop (its next values are always fresh k+1/slot/phase computations), but
// hand-edited IR fed to exo-gpu-opt can.

builtin.module {
  "ptx.entry"() <{sym_name = "swap", params = [], maxntid = 128 : i64, smem_bytes = 0 : i64}> ({
    %a0 = "ptx.mov"() <{ty = ".u32", imm = 1 : i64}> : () -> !ptx.b32
    %b0 = "ptx.mov"() <{ty = ".u32", imm = 2 : i64}> : () -> !ptx.b32
    %ra, %rb = "ptx.loop"(%a0, %b0) ({
    ^bb0(%a: !ptx.b32, %b: !ptx.b32):
      %done = "ptx.setp"(%a, %b) <{cmp = "ge", ty = ".u32", operandSegmentSizes = array<i32: 1, 1, 0>}> : (!ptx.b32, !ptx.b32) -> !ptx.pred
      "ptx.break_if"(%done) : (!ptx.pred) -> ()
      "ptx.next"(%b, %a) : (!ptx.b32, !ptx.b32) -> ()
    }) : (!ptx.b32, !ptx.b32) -> (!ptx.b32, !ptx.b32)
    "ptx.ret"() : () -> ()
  }) : () -> ()
}

// LOST:      bra $L__done
// LOST:      mov.b32 [[X:%r[0-9]+]], [[Y:%r[0-9]+]];
// LOST-NEXT: mov.b32 [[Y]], [[X]];
// LOST-NEXT: bra $L__loop
