// RUN: exo-gpu-opt %s -p schedule | filecheck %s
//
// f16, only A MN-major (layout_a = col), B K-major as before: A's loads and K steps are the
// MN-major ones (trans_a = 1, 2048 bytes), B keeps one K-major box of N rows and 32-byte
// K steps, and its wgmma carries no trans_b.

builtin.module {
  tile.kernel @mn_a(%a: !tile.tensor<?x?xf16, contiguous = 0>, %b: !tile.tensor<?x?xf16, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 64x96) schedule #tile.schedule<consumers = 1, stages = 2, rings = "per_operand"> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c64 = arith.constant 64 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c64 : index
    %zero = tile.constant 0.0 : !tile.tile<64x96xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<64x96xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xf16, contiguous = 0> -> !tile.tile<64x64xf16>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xf16, contiguous = 0> -> !tile.tile<64x96xf16>
      %r = tile.mma %x, %y, %acc0 : !tile.tile<64x64xf16>, !tile.tile<64x96xf16>, !tile.tile<64x96xf32> -> !tile.tile<64x96xf32>
      scf.yield %r : !tile.tile<64x96xf32>
    }
    tile.store %acc, %c[%i, %j] : !tile.tile<64x96xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}

// CHECK:       "tma.load"({{.*}}) <{operand = "A", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 64 : i64, bytes = 8192 : i64, major = "mn", ring = "a"}>
// CHECK-NEXT:  "tma.load"({{.*}}) <{operand = "B", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 96 : i64, bytes = 12288 : i64, ring = "b"}>
// CHECK-NEXT:  "warpgroup.yield"
// CHECK:       "wgmma.mma_async"({{.*}}) <{dtype = "f16", k = 16 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 0 : i64, trans_a = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes
// CHECK-NEXT:  "wgmma.mma_async"({{.*}}) <{dtype = "f16", k = 16 : i64, a_offset = 2048 : i64, b_offset = 32 : i64, scale_d = 1 : i64, trans_a = 1 : i64, a_ring = "a", b_ring = "b", operandSegmentSizes
// CHECK-NOT:   trans_b
