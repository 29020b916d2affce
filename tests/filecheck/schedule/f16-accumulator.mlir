// RUN: exo-gpu-opt %s -p schedule | filecheck %s
//
// An f16 accumulator tile with `accumulate = "f16"` (f16 inputs, 1 consumer, 2 m64n16 tiles, 2 stages):
// every accumulator value of the kernel is !wgmma.accumulator<m64n16, f16>, the peeled first
// mma of each tile, the K loop's carried values and results, and the epilogue's operands.

builtin.module {
  tile.kernel @acc16(%a: !tile.tensor<?x?xf16>, %b: !tile.tensor<?x?xf16, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 128x16) schedule #tile.schedule<consumers = 1, stages = 2, accumulate = "f16", rings = "per_operand"> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c64 = arith.constant 64 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c64 : index
    %zero = tile.constant 0.0 : !tile.tile<128x16xf16>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<128x16xf16>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xf16> -> !tile.tile<128x64xf16>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xf16, contiguous = 0> -> !tile.tile<64x16xf16>
      %r = tile.mma %x, %y, %acc0 : !tile.tile<128x64xf16>, !tile.tile<64x16xf16>, !tile.tile<128x16xf16> -> !tile.tile<128x16xf16>
      scf.yield %r : !tile.tile<128x16xf16>
    }
    %0 = tile.cast %acc : !tile.tile<128x16xf16> -> !tile.tile<128x16xf32>
    tile.store %0, %c[%i, %j] : !tile.tile<128x16xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}

// CHECK:       "warpgroup.kernel"() <{sym_name = "acc16", dtype = "f16",
// CHECK:       %[[T0:[0-9]+]] = "wgmma.mma_async"(%{{[0-9]+}}) <{dtype = "f16", k = 16 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 0 : i64, {{.*}}}> : (i32) -> !wgmma.accumulator<m64n16, f16>
// CHECK-COUNT-3: "wgmma.mma_async"(%{{[0-9]+}}, %{{[0-9]+}}) <{dtype = "f16", k = 16 : i64, {{.*}} scale_d = 1 : i64, {{.*}}}> : (!wgmma.accumulator<m64n16, f16>, i32) -> !wgmma.accumulator<m64n16, f16>
// CHECK-NEXT:  %[[T1:[0-9]+]] = "wgmma.mma_async"(%{{[0-9]+}}) <{dtype = "f16", k = 16 : i64, a_offset = 8192 : i64, b_offset = 0 : i64, scale_d = 0 : i64, {{.*}}}> : (i32) -> !wgmma.accumulator<m64n16, f16>
// CHECK:       ^bb{{[0-9]+}}(%{{[0-9]+}}: i32, %{{[0-9]+}}: i32, %{{[0-9]+}}: i32, %{{[0-9]+}}: !wgmma.accumulator<m64n16, f16>, %{{[0-9]+}}: !wgmma.accumulator<m64n16, f16>):
// CHECK:       }) : (i32, !wgmma.accumulator<m64n16, f16>, !wgmma.accumulator<m64n16, f16>) -> (!wgmma.accumulator<m64n16, f16>, !wgmma.accumulator<m64n16, f16>)
// CHECK-NEXT:  "wgmma.store_accumulator"(%{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}}) <{row_offset = 0 : i64, accumulate_c = 0 : i64}> : (!wgmma.accumulator<m64n16, f16>, i64, i32, i32) -> ()
// CHECK-NEXT:  "wgmma.store_accumulator"(%{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}}) <{row_offset = 64 : i64, accumulate_c = 0 : i64}> : (!wgmma.accumulator<m64n16, f16>, i64, i32, i32) -> ()
// CHECK-NOT:   f32>
