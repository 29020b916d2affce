// RUN: exo-gpu-opt %s -p schedule | filecheck %s
//
// MN-major A and B (bf16, layout_a = col: M contiguous; layout_b = row: N contiguous), one
// consumer warpgroup with 2 m64 tiles, N = 128.
//
// schedule guarantees for an MN-major operand: its loads are 128-byte swizzle atoms, one
// `major = "mn"` box of 64 M (N) elements by block_k = 64 rows of K (8192 bytes) per m64
// tile of A (per 64 columns of B), each atom 8192 bytes after the previous one in the slot;
// every wgmma has trans_a = trans_b = 1 and steps K by 16 rows of 128 bytes (2048 bytes,
// not the K-major 32); the slots take the same bytes as K-major ones.

builtin.module {
  tile.kernel @mn(%a: !tile.tensor<?x?xbf16, contiguous = 0>, %b: !tile.tensor<?x?xbf16>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 128x128) schedule #tile.schedule<consumers = 1, stages = 2, rings = "per_operand"> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c64 = arith.constant 64 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c64 : index
    %zero = tile.constant 0.0 : !tile.tile<128x128xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<128x128xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xbf16, contiguous = 0> -> !tile.tile<128x64xbf16>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xbf16> -> !tile.tile<64x128xbf16>
      %r = tile.mma %x, %y, %acc0 : !tile.tile<128x64xbf16>, !tile.tile<64x128xbf16>, !tile.tile<128x128xf32> -> !tile.tile<128x128xf32>
      scf.yield %r : !tile.tile<128x128xf32>
    }
    tile.store %acc, %c[%i, %j] : !tile.tile<128x128xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}

// CHECK:       "warpgroup.kernel"() <{sym_name = "mn", dtype = "bf16", threads = 256 : i64, block_m = 128 : i64, block_n = 128 : i64, block_k = 64 : i64, wait_depth = 1 : i64, raster_group = 8 : i64}> ({
// CHECK-NEXT:  ^bb0(%[[A:[0-9]+]]: !tma.tensor_map, %[[B:[0-9]+]]: !tma.tensor_map,
// CHECK:         ^bb0(%[[PK:[0-9]+]]: i32, %[[PSLOT:[0-9]+]]: i32, %{{.*}}: i32):
// CHECK-NEXT:      "tma.load"(%[[A]], %[[PSLOT]], %[[PK]]) <{operand = "A", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 64 : i64, bytes = 8192 : i64, major = "mn", ring = "a"}>
// CHECK-NEXT:      "tma.load"(%[[A]], %[[PSLOT]], %[[PK]]) <{operand = "A", row_offset = 64 : i64, smem_offset = 8192 : i64, box_rows = 64 : i64, bytes = 8192 : i64, major = "mn", ring = "a"}>
// CHECK-NEXT:      "tma.load"(%[[B]], %[[PSLOT]], %[[PK]]) <{operand = "B", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 64 : i64, bytes = 8192 : i64, major = "mn", ring = "b"}>
// CHECK-NEXT:      "tma.load"(%[[B]], %[[PSLOT]], %[[PK]]) <{operand = "B", row_offset = 64 : i64, smem_offset = 8192 : i64, box_rows = 64 : i64, bytes = 8192 : i64, major = "mn", ring = "b"}>
// CHECK-NEXT:      "warpgroup.yield"() : () -> ()

// Peeled K block 0: tile 0 reads A at 0, 2048, 4096, 6144; tile 1 at 8192 + the same.
// CHECK:       %[[S:[0-9]+]], %{{.*}} = "warpgroup.ring_slot"
// CHECK-NEXT:  %[[T0:[0-9]+]] = "wgmma.mma_async"(%[[S]]) <{dtype = "bf16", k = 16 : i64, a_offset = 0 : i64, b_offset = 0 : i64, scale_d = 0 : i64, trans_a = 1 : i64, trans_b = 1 : i64,
// CHECK-NEXT:  "wgmma.mma_async"(%[[T0]], %[[S]]) <{dtype = "bf16", k = 16 : i64, a_offset = 2048 : i64, b_offset = 2048 : i64, scale_d = 1 : i64, trans_a = 1 : i64, trans_b = 1 : i64,
// CHECK-NEXT:  "wgmma.mma_async"({{.*}}) <{dtype = "bf16", k = 16 : i64, a_offset = 4096 : i64, b_offset = 4096 : i64, scale_d = 1 : i64, trans_a = 1 : i64, trans_b = 1 : i64,
// CHECK-NEXT:  "wgmma.mma_async"({{.*}}) <{dtype = "bf16", k = 16 : i64, a_offset = 6144 : i64, b_offset = 6144 : i64, scale_d = 1 : i64, trans_a = 1 : i64, trans_b = 1 : i64,
// CHECK-NEXT:  "wgmma.mma_async"(%[[S]]) <{dtype = "bf16", k = 16 : i64, a_offset = 8192 : i64, b_offset = 0 : i64, scale_d = 0 : i64, trans_a = 1 : i64, trans_b = 1 : i64,
// CHECK-NEXT:  "wgmma.mma_async"({{.*}}) <{dtype = "bf16", k = 16 : i64, a_offset = 10240 : i64, b_offset = 2048 : i64, scale_d = 1 : i64, trans_a = 1 : i64, trans_b = 1 : i64,
// CHECK-NEXT:  "wgmma.mma_async"({{.*}}) <{dtype = "bf16", k = 16 : i64, a_offset = 12288 : i64, b_offset = 4096 : i64, scale_d = 1 : i64, trans_a = 1 : i64, trans_b = 1 : i64,
// CHECK-NEXT:  "wgmma.mma_async"({{.*}}) <{dtype = "bf16", k = 16 : i64, a_offset = 14336 : i64, b_offset = 6144 : i64, scale_d = 1 : i64, trans_a = 1 : i64, trans_b = 1 : i64,
// CHECK-NEXT:  "warpgroup.k_loop"
