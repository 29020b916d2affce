// RUN: exo-gpu-opt %s -p schedule | filecheck %s
//
// cluster_m = 2: two blocks along M share B.  The B box (32 rows) is multicast, each block
// of the pair loading half of it; the A boxes stay each block's own (no multicast).  The
// kernel records the cluster along M, and empty[s] counts one arrival per consumer warp of
// both blocks (4 warps x 2 consumer warpgroups x 2 blocks) on ring "b", which the cluster
// shares, and one per consumer thread on ring "a", each block's own.

builtin.module {
  tile.kernel @mpair(%a: !tile.tensor<?x?xf32>, %b: !tile.tensor<?x?xf32, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 128x32) schedule #tile.schedule<stages = 2, cluster = [2, 1], rings = "per_operand"> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c32 = arith.constant 32 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c32 : index
    %zero = tile.constant 0.0 : !tile.tile<128x32xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<128x32xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xf32> -> !tile.tile<128x32xf32>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xf32, contiguous = 0> -> !tile.tile<32x32xf32>
      %r = tile.mma %x, %y, %acc0 {precision = "tf32"} : !tile.tile<128x32xf32>, !tile.tile<32x32xf32>, !tile.tile<128x32xf32> -> !tile.tile<128x32xf32>
      scf.yield %r : !tile.tile<128x32xf32>
    }
    tile.store %acc, %c[%i, %j] : !tile.tile<128x32xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}

// CHECK:       "warpgroup.kernel"() <{sym_name = "mpair", {{.*}}, raster_group = 8 : i64, cluster_m = 2 : i64}>
// CHECK-NEXT:  ^bb0
// CHECK-NEXT:    "mbarrier.ring"() <{ring = "a", stages = 2 : i64, slot_bytes = 16384 : i64, full_count = 1 : i64, empty_count = 256 : i64}>
// CHECK-NEXT:    "mbarrier.ring"() <{ring = "b", stages = 2 : i64, slot_bytes = {{[0-9]+}} : i64, full_count = 1 : i64, empty_count = 16 : i64, multicast = 2 : i64}>
// CHECK:           "tma.load"({{.*}}) <{operand = "A", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 64 : i64, bytes = 8192 : i64, ring = "a"}>
// CHECK-NEXT:      "tma.load"({{.*}}) <{operand = "A", row_offset = 64 : i64, smem_offset = 8192 : i64, box_rows = 64 : i64, bytes = 8192 : i64, ring = "a"}>
// CHECK-NEXT:      "tma.load"({{.*}}) <{operand = "B", row_offset = 0 : i64, smem_offset = 0 : i64, box_rows = 32 : i64, bytes = 4096 : i64, multicast = 2 : i64, ring = "b"}>
// CHECK-NEXT:      "warpgroup.yield"
