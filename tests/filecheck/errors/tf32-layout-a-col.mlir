// RUN: exo-gpu-opt %s -p schedule --verify-diagnostics | filecheck %s
//
// tf32 wgmma has no imm-trans-a: an M-major (column-major) A is rejected by the schedule
// pass, as for fp8; only f16 and bf16 take MN-major operands.

builtin.module {
  tile.kernel @tf32_col(%a: !tile.tensor<?x?xf32, contiguous = 0>, %b: !tile.tensor<?x?xf32, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 64x64) schedule #tile.schedule<consumers = 1, stages = 2> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c32 = arith.constant 32 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c32 : index
    %zero = tile.constant 0.0 : !tile.tile<64x64xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<64x64xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xf32, contiguous = 0> -> !tile.tile<64x32xf32>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xf32, contiguous = 0> -> !tile.tile<32x64xf32>
      %r = tile.mma %x, %y, %acc0 {precision = "tf32"} : !tile.tile<64x32xf32>, !tile.tile<32x64xf32>, !tile.tile<64x64xf32> -> !tile.tile<64x64xf32>
      scf.yield %r : !tile.tile<64x64xf32>
    }
    tile.store %acc, %c[%i, %j] : !tile.tile<64x64xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}

// CHECK: exo-gpu-opt: error: {{.*}}tf32-layout-a-col.mlir:7:3: tile.kernel @tf32_col: tf32 wgmma reads A and B K-major only: make A's contiguous dimension its last (K) and B's its first (K) (got layout_a = col, layout_b = col)
