// RUN: exo-gpu-opt %s -p schedule --verify-diagnostics | filecheck %s
//
// setmaxnreg budgets must fit the 65536-register file: 1 producer and 2 consumer
// warpgroups at 256 registers per thread need 98304.  The schedule attribute rejects it
// when the file is read (warpgroup.kernel's verifier would reject what schedule built).

builtin.module {
  tile.kernel @regfile(%a: !tile.tensor<?x?xf32>, %b: !tile.tensor<?x?xf32, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 128x16) schedule #tile.schedule<stages = 2, maxnreg = [256, 256]> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c32 = arith.constant 32 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c32 : index
    %zero = tile.constant 0.0 : !tile.tile<128x16xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<128x16xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xf32> -> !tile.tile<128x32xf32>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xf32, contiguous = 0> -> !tile.tile<32x16xf32>
      %r = tile.mma %x, %y, %acc0 {precision = "tf32"} : !tile.tile<128x32xf32>, !tile.tile<32x16xf32>, !tile.tile<128x16xf32> -> !tile.tile<128x16xf32>
      scf.yield %r : !tile.tile<128x16xf32>
    }
    tile.store %acc, %c[%i, %j] : !tile.tile<128x16xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}

// CHECK: exo-gpu-opt: error: {{.*}}register-file-exceeded.mlir:8:{{[0-9]+}}: schedule maxnreg = [256, 256] needs 98304 registers for 2 consumers and a producer but a block has 65536: lower them
