// RUN: exo-gpu-opt %s -p schedule --verify-diagnostics | filecheck %s
//
// wgmma accumulates bf16 (and tf32) inputs in f32 only; f16 accumulation exists for f16,
// e4m3 and e5m2 inputs.  schedule rejects the combination before any pass
// runs, in one line that says what to change.

builtin.module {
  tile.kernel @bf16_acc16(%a: !tile.tensor<?x?xbf16>, %b: !tile.tensor<?x?xbf16, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 64x16) schedule #tile.schedule<consumers = 1, stages = 2, accumulate = "f16"> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c64 = arith.constant 64 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c64 : index
    %zero = tile.constant 0.0 : !tile.tile<64x16xf16>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<64x16xf16>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xbf16> -> !tile.tile<64x64xbf16>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xbf16, contiguous = 0> -> !tile.tile<64x16xbf16>
      %r = tile.mma %x, %y, %acc0 : !tile.tile<64x64xbf16>, !tile.tile<64x16xbf16>, !tile.tile<64x16xf16> -> !tile.tile<64x16xf16>
      scf.yield %r : !tile.tile<64x16xf16>
    }
    %0 = tile.cast %acc : !tile.tile<64x16xf16> -> !tile.tile<64x16xf32>
    tile.store %0, %c[%i, %j] : !tile.tile<64x16xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}

// CHECK: exo-gpu-opt: error: {{.*}}bf16-f16-accumulator.mlir: invalid IR: tile.mma: bf16 wgmma has no f16 accumulator: use accumulator f32, or dtype f16, e4m3 or e5m2 for f16 accumulation
// CHECK-NOT: Traceback
