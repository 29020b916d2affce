// RUN: exo-gpu-opt %s --split-input-file --verify-diagnostics -p schedule | filecheck %s
//
// Tile programs that schedule does not lower: each error names the file:line:col of the op,
// the rule, and what is supported.

// the K loop must start at 0
// CHECK: exo-gpu-opt: error: {{.*}}tile_errors.mlir:{{[0-9]+}}:{{[0-9]+}}: the K loop must start at 0 with step 1 (supported: a K loop
builtin.module {
  tile.kernel @gemm(%a: !tile.tensor<?x?xbf16>, %b: !tile.tensor<?x?xbf16, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 128x256) schedule #tile.schedule<consumers = 2, stages = 4, wait_depth = 0> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c64 = arith.constant 64 : index
    %nk = arith.ceildivui %k, %c64 : index
    %zero = tile.constant 0.0 : !tile.tile<128x256xf32>
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %acc = scf.for %kk = %c1 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<128x256xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xbf16> -> !tile.tile<128x64xbf16>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xbf16, contiguous = 0> -> !tile.tile<64x256xbf16>
      %r = tile.mma %x, %y, %acc0 : !tile.tile<128x64xbf16>, !tile.tile<64x256xbf16>, !tile.tile<128x256xf32> -> !tile.tile<128x256xf32>
      scf.yield %r : !tile.tile<128x256xf32>
    }
    tile.store %acc, %c[%i, %j] : !tile.tile<128x256xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}

// -----
// an epilogue op with no fragment form
// CHECK: exo-gpu-opt: error: {{.*}}tile_errors.mlir:{{[0-9]+}}:{{[0-9]+}}: 'tile.iota' in a GEMM epilogue is not supported (supported epilogue ops:
builtin.module {
  tile.kernel @gemm(%a: !tile.tensor<?x?xbf16>, %b: !tile.tensor<?x?xbf16, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 128x256) schedule #tile.schedule<consumers = 2, stages = 4, wait_depth = 0> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c64 = arith.constant 64 : index
    %nk = arith.ceildivui %k, %c64 : index
    %zero = tile.constant 0.0 : !tile.tile<128x256xf32>
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<128x256xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xbf16> -> !tile.tile<128x64xbf16>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xbf16, contiguous = 0> -> !tile.tile<64x256xbf16>
      %r = tile.mma %x, %y, %acc0 : !tile.tile<128x64xbf16>, !tile.tile<64x256xbf16>, !tile.tile<128x256xf32> -> !tile.tile<128x256xf32>
      scf.yield %r : !tile.tile<128x256xf32>
    }
    %io = tile.iota {dim = 0} : !tile.tile<128x256xi32>
    %f = tile.cast %io : !tile.tile<128x256xi32> -> !tile.tile<128x256xf32>
    %s = tile.add %acc, %f : !tile.tile<128x256xf32>
    tile.store %s, %c[%i, %j] : !tile.tile<128x256xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}

// -----
// accumulator type and schedule disagree
// CHECK: exo-gpu-opt: error: {{.*}}tile_errors.mlir:{{[0-9]+}}:{{[0-9]+}}: the accumulator tile is f32 but the schedule says accumulate = "f16": make them agree
builtin.module {
  tile.kernel @gemm(%a: !tile.tensor<?x?xbf16>, %b: !tile.tensor<?x?xbf16, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 128x256) schedule #tile.schedule<consumers = 2, stages = 4, wait_depth = 0, accumulate = "f16"> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c64 = arith.constant 64 : index
    %nk = arith.ceildivui %k, %c64 : index
    %zero = tile.constant 0.0 : !tile.tile<128x256xf32>
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<128x256xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xbf16> -> !tile.tile<128x64xbf16>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xbf16, contiguous = 0> -> !tile.tile<64x256xbf16>
      %r = tile.mma %x, %y, %acc0 : !tile.tile<128x64xbf16>, !tile.tile<64x256xbf16>, !tile.tile<128x256xf32> -> !tile.tile<128x256xf32>
      scf.yield %r : !tile.tile<128x256xf32>
    }
    tile.store %acc, %c[%i, %j] : !tile.tile<128x256xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}

// -----
// split-K with a nonlinear epilogue
// CHECK: exo-gpu-opt: error: {{.*}}tile_errors.mlir:{{[0-9]+}}:{{[0-9]+}}: tile.kernel @gemm: split_k = 2 adds partial tiles into C, so only a plain or C += epilogue combines with it: use split_k = 1
builtin.module {
  tile.kernel @gemm(%a: !tile.tensor<?x?xbf16>, %b: !tile.tensor<?x?xbf16, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 128x256) schedule #tile.schedule<consumers = 2, stages = 4, wait_depth = 0, split_k = 2> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c64 = arith.constant 64 : index
    %nk = arith.ceildivui %k, %c64 : index
    %zero = tile.constant 0.0 : !tile.tile<128x256xf32>
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<128x256xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xbf16> -> !tile.tile<128x64xbf16>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xbf16, contiguous = 0> -> !tile.tile<64x256xbf16>
      %r = tile.mma %x, %y, %acc0 : !tile.tile<128x64xbf16>, !tile.tile<64x256xbf16>, !tile.tile<128x256xf32> -> !tile.tile<128x256xf32>
      scf.yield %r : !tile.tile<128x256xf32>
    }
    %th = tile.tanh %acc : !tile.tile<128x256xf32>
    tile.store %th, %c[%i, %j] : !tile.tile<128x256xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}

// -----
// the plan's own rules: 2x1 cluster and an N-major B
// CHECK: exo-gpu-opt: error: {{.*}}tile_errors.mlir:{{[0-9]+}}:{{[0-9]+}}: tile.kernel @gemm: cluster_m = 2 multicasts halves of a K-major B tile: make B's contiguous dimension K
builtin.module {
  tile.kernel @gemm(%a: !tile.tensor<?x?xbf16>, %b: !tile.tensor<?x?xbf16, contiguous = 1>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 128x256) schedule #tile.schedule<consumers = 2, stages = 4, wait_depth = 0, cluster = [2, 1]> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c64 = arith.constant 64 : index
    %nk = arith.ceildivui %k, %c64 : index
    %zero = tile.constant 0.0 : !tile.tile<128x256xf32>
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<128x256xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xbf16> -> !tile.tile<128x64xbf16>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xbf16, contiguous = 1> -> !tile.tile<64x256xbf16>
      %r = tile.mma %x, %y, %acc0 : !tile.tile<128x64xbf16>, !tile.tile<64x256xbf16>, !tile.tile<128x256xf32> -> !tile.tile<128x256xf32>
      scf.yield %r : !tile.tile<128x256xf32>
    }
    tile.store %acc, %c[%i, %j] : !tile.tile<128x256xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}

// -----
// grid must tile the stored tensor by the accumulator
// CHECK: exo-gpu-opt: error: {{.*}}tile_errors.mlir:{{[0-9]+}}:{{[0-9]+}}: the grid must be grid(%c tiles 128x256)
builtin.module {
  tile.kernel @gemm(%a: !tile.tensor<?x?xbf16>, %b: !tile.tensor<?x?xbf16, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 128x128) schedule #tile.schedule<consumers = 2, stages = 4, wait_depth = 0> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c64 = arith.constant 64 : index
    %nk = arith.ceildivui %k, %c64 : index
    %zero = tile.constant 0.0 : !tile.tile<128x256xf32>
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<128x256xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xbf16> -> !tile.tile<128x64xbf16>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xbf16, contiguous = 0> -> !tile.tile<64x256xbf16>
      %r = tile.mma %x, %y, %acc0 : !tile.tile<128x64xbf16>, !tile.tile<64x256xbf16>, !tile.tile<128x256xf32> -> !tile.tile<128x256xf32>
      scf.yield %r : !tile.tile<128x256xf32>
    }
    tile.store %acc, %c[%i, %j] : !tile.tile<128x256xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}
