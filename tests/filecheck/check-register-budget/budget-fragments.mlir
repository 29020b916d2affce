// RUN: not exo-gpu-opt %s -p schedule,insert-syncs,lower-to-ptx,tie-loop-carried,assign-registers,check-register-budget 2>&1 | filecheck %s
// RUN: sed 's/wait_depth = 1/wait_depth = 0/' %s | exo-gpu-opt - -p schedule,insert-syncs,lower-to-ptx,tie-loop-carried,assign-registers,check-register-budget | filecheck %s --check-prefix=FITS
//
// With A in registers the budget counts the A fragments live at once: bf16, 2 m64n128
// tiles, 4 RS wgmmas per tile and K block, 4 registers each = 32 per K block; with wait
// depth 1 the K loop holds two sets (unroll = 2), 64 registers.  128 accumulator + 64 + 24
// = 216 > 208, although the same kernel with A from shared memory (152) fits.  With wait
// depth 0 (one set, 32): 128 + 32 + 24 = 184 fits.

builtin.module {
  "tile.gemm"() <{sym_name = "rsbudget", dtype = "bf16", layout_a = "row", layout_b = "col", block_m = 128 : i64, block_n = 128 : i64, block_k = 64 : i64, consumers = 1 : i64, stages = 2 : i64, wait_depth = 1 : i64, consumer_maxnreg = 208 : i64, producer_maxnreg = 40 : i64, accumulate_c = 0 : i64, a_in_registers = 1 : i64}> : () -> ()
}

// CHECK: exo-gpu-opt: error: check-register-budget: kernel rsbudget: the warpgroup role at {{.*}} needs 128 accumulator registers + 64 for A fragments + 24 for addressing = 216 per thread, over its setmaxnreg budget of 208: use fewer tiles per warpgroup, a smaller wgmma N, wait depth 0 or A from shared memory
// FITS: "ptx.wgmma_mma_async_rs"{{.*}} -> !ptx.acc<64 at 0>
