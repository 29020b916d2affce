// RUN: not exo-gpu-opt %s -p assign-registers 2>&1 | filecheck %s
//
//
// A loop that passes its two carried accumulators to ptx.next swapped ties arg0 to arg1's
// range and arg1 to arg0's, so union-find merges the two tiles into ONE range: %t0 and %t1,
// both live, are both given %acc0..%acc7 (`!ptx.acc<8 at 0>`) and the pass succeeds,
// silently.  Keeping each accumulator in one range here would need a copy (a swap), so by
// the pass's own guarantee ("an IR that would need a copy ... is rejected") it must fail.
// (lower-to-ptx never produces such a loop; hand-edited IR fed to exo-gpu-opt can.)

builtin.module {
  "ptx.entry"() <{sym_name = "accswap", params = [], maxntid = 128 : i64, smem_bytes = 0 : i64}> ({
    %d = "ptx.mov"() <{ty = ".u64", imm = 0 : i64}> : () -> !ptx.b64
    %t0 = "ptx.wgmma_mma_async"(%d, %d) <{dtype = "tf32", n = 16 : i64, scale_d = 0 : i64, operandSegmentSizes = array<i32: 0, 1, 1, 0>}> : (!ptx.b64, !ptx.b64) -> !ptx.acc<8>
    %t1 = "ptx.wgmma_mma_async"(%d, %d) <{dtype = "tf32", n = 16 : i64, scale_d = 0 : i64, operandSegmentSizes = array<i32: 0, 1, 1, 0>}> : (!ptx.b64, !ptx.b64) -> !ptx.acc<8>
    %r0, %r1 = "ptx.loop"(%t0, %t1) ({
    ^bb0(%a0: !ptx.acc<8>, %a1: !ptx.acc<8>):
      %p = "ptx.setp"(%d, %d) <{cmp = "eq", ty = ".u64", operandSegmentSizes = array<i32: 1, 1, 0>}> : (!ptx.b64, !ptx.b64) -> !ptx.pred
      "ptx.break_if"(%p) : (!ptx.pred) -> ()
      "ptx.next"(%a1, %a0) : (!ptx.acc<8>, !ptx.acc<8>) -> ()
    }) : (!ptx.acc<8>, !ptx.acc<8>) -> (!ptx.acc<8>, !ptx.acc<8>)
    "ptx.ret"() : () -> ()
  }) : () -> ()
}

// CHECK: exo-gpu-opt: error: assign-registers:
