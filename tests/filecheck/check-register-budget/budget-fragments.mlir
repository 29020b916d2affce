// RUN: not exo-gpu-opt %s -p schedule,insert-syncs,lower-to-ptx,tie-loop-carried,assign-registers,check-register-budget 2>&1 | filecheck %s
// RUN: sed 's/a_in_registers = true/a_in_registers = true, wait_depth = 0/' %s | exo-gpu-opt - -p schedule,insert-syncs,lower-to-ptx,tie-loop-carried,assign-registers,check-register-budget | filecheck %s --check-prefix=FITS
//
// With A in registers the budget counts the A fragments live at once: bf16, 2 m64n128
// tiles, 4 RS wgmmas per tile and K block, 4 registers each = 32 per K block; with wait
// depth 1 the K loop holds two sets (unroll = 2), 64 registers.  128 accumulator + 64 + 24
// = 216 > 208, although the same kernel with A from shared memory (152) fits.  With wait
// depth 0 (one set, 32): 128 + 32 + 24 = 184 fits.

builtin.module {
  tile.kernel @rsbudget(%a: !tile.tensor<?x?xbf16>, %b: !tile.tensor<?x?xbf16, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 128x128) schedule #tile.schedule<consumers = 1, stages = 2, a_in_registers = true, maxnreg = [208, 40]> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c64 = arith.constant 64 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c64 : index
    %zero = tile.constant 0.0 : !tile.tile<128x128xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<128x128xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xbf16> -> !tile.tile<128x64xbf16>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xbf16, contiguous = 0> -> !tile.tile<64x128xbf16>
      %r = tile.mma %x, %y, %acc0 : !tile.tile<128x64xbf16>, !tile.tile<64x128xbf16>, !tile.tile<128x128xf32> -> !tile.tile<128x128xf32>
      scf.yield %r : !tile.tile<128x128xf32>
    }
    tile.store %acc, %c[%i, %j] : !tile.tile<128x128xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}

// CHECK: exo-gpu-opt: error: check-register-budget: kernel rsbudget: the warpgroup role at {{.*}} needs 128 accumulator registers + 64 for A fragments + 24 for addressing = 216 per thread, over its setmaxnreg budget of 208: use fewer tiles per warpgroup, a smaller wgmma N, wait depth 0 or A from shared memory
// FITS: "ptx.wgmma_mma_async_rs"{{.*}} -> !ptx.acc<64 at 0>
