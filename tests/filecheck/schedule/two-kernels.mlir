// RUN: exo-gpu-opt %s -p schedule | filecheck %s
//
// Every tile.kernel of the module becomes its own warpgroup.kernel, in order, named after it.

builtin.module {
  tile.kernel @first(%a: !tile.tensor<?x?xf32>, %b: !tile.tensor<?x?xf32, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 64x16) schedule #tile.schedule<consumers = 1, stages = 2, rings = "per_operand"> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c32 = arith.constant 32 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c32 : index
    %zero = tile.constant 0.0 : !tile.tile<64x16xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<64x16xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xf32> -> !tile.tile<64x32xf32>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xf32, contiguous = 0> -> !tile.tile<32x16xf32>
      %r = tile.mma %x, %y, %acc0 {precision = "tf32"} : !tile.tile<64x32xf32>, !tile.tile<32x16xf32>, !tile.tile<64x16xf32> -> !tile.tile<64x16xf32>
      scf.yield %r : !tile.tile<64x16xf32>
    }
    tile.store %acc, %c[%i, %j] : !tile.tile<64x16xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
  tile.kernel @second(%a: !tile.tensor<?x?xf16>, %b: !tile.tensor<?x?xf16, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 128x64) schedule #tile.schedule<stages = 4, wait_depth = 0, maxnreg = [224, 24], rings = "per_operand"> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c64 = arith.constant 64 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c64 : index
    %zero = tile.constant 0.0 : !tile.tile<128x64xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<128x64xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xf16> -> !tile.tile<128x64xf16>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xf16, contiguous = 0> -> !tile.tile<64x64xf16>
      %r = tile.mma %x, %y, %acc0 : !tile.tile<128x64xf16>, !tile.tile<64x64xf16>, !tile.tile<128x64xf32> -> !tile.tile<128x64xf32>
      scf.yield %r : !tile.tile<128x64xf32>
    }
    tile.store %acc, %c[%i, %j] : !tile.tile<128x64xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}

// CHECK-NOT:  tile.kernel
// CHECK:      "warpgroup.kernel"() <{sym_name = "first", dtype = "tf32", threads = 256 : i64
// CHECK:        "warpgroup.role"() <{role = "producer", first_warpgroup = 0 : i64, num_warpgroups = 1 : i64, maxnreg = 40 : i64}>
// CHECK:        "warpgroup.role"() <{role = "consumer", first_warpgroup = 1 : i64, num_warpgroups = 1 : i64, maxnreg = 232 : i64}>
// CHECK:      "warpgroup.kernel"() <{sym_name = "second", dtype = "f16", threads = 384 : i64, block_m = 128 : i64, block_n = 64 : i64, block_k = 64 : i64, wait_depth = 0 : i64, raster_group = 8 : i64}>
// CHECK:        "warpgroup.role"() <{role = "producer", first_warpgroup = 0 : i64, num_warpgroups = 1 : i64, maxnreg = 24 : i64}>
// CHECK:        "warpgroup.role"() <{role = "consumer", first_warpgroup = 1 : i64, num_warpgroups = 2 : i64, maxnreg = 224 : i64}>
// f16: k = 16, so 4 instructions per 64-wide K block.
// CHECK:          "wgmma.mma_async"({{.*}}) <{dtype = "f16", k = 16 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 0 : i64
// CHECK-NOT:  tile.kernel
