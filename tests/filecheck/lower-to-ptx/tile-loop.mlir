// RUN: exo-gpu-opt %s -p schedule,insert-syncs,lower-to-ptx | filecheck %s
//
// A tile_loop lowers to a ptx.loop over tiles: from the block index, stepping by the grid
// size, until ceil(M/64) * ceil(N/16) tiles; it carries the ring position (base), and each
// tile's (m, n) block comes from the raster of that tile index.  The K loop's slots are
// counted from base.

builtin.module {
  "tile.gemm"() <{sym_name = "persist", dtype = "tf32", layout_a = "row", layout_b = "col", block_m = 64 : i64, block_n = 16 : i64, block_k = 32 : i64, consumers = 1 : i64, stages = 2 : i64, wait_depth = 1 : i64, consumer_maxnreg = 232 : i64, producer_maxnreg = 40 : i64, accumulate_c = 0 : i64}> : () -> ()
}

// CHECK:       "ptx.setmaxnreg"() <{action = "dec", count = 232 : i64}>
// CHECK:       %[[TILES:[0-9]+]] = "ptx.mul_lo"(%{{[0-9]+}}, %{{[0-9]+}}) <{ty = ".u32"}>
// CHECK-NEXT:  %[[NKA:[0-9]+]] = "ptx.add"(%{{[0-9]+}}) <{ty = ".u32", imm = 31 : i64}>
// CHECK-NEXT:  %[[NK:[0-9]+]] = "ptx.div"(%[[NKA]]) <{ty = ".u32", imm = 32 : i64}>
// CHECK-NEXT:  %[[STEP:[0-9]+]] = "ptx.mov"() <{ty = ".u32", source = "%nctaid.x"}>
// CHECK-NEXT:  %[[T0:[0-9]+]] = "ptx.mov"() <{ty = ".u32", source = "%ctaid.x"}>
// CHECK-NEXT:  %[[B0:[0-9]+]] = "ptx.mov"() <{ty = ".u32", imm = 0 : i64}>
// CHECK-NEXT:  "ptx.loop"(%[[T0]], %[[B0]]) ({
// CHECK-NEXT:  ^bb0(%[[TILE:[0-9]+]]: !ptx.b32, %[[BASE:[0-9]+]]: !ptx.b32):
// CHECK-NEXT:    %[[DONE:[0-9]+]] = "ptx.setp"(%[[TILE]], %[[TILES]]) <{cmp = "ge"
// CHECK-NEXT:    "ptx.break_if"(%[[DONE]])
// The tile's raster starts from the tile index, not the block index.
// CHECK:         "ptx.div"(%[[TILE]], %{{[0-9]+}}) <{ty = ".u32"}>
// CHECK:         %[[END:[0-9]+]] = "ptx.add"(%[[BASE]], %[[NK]]) <{ty = ".u32"}>
// The K loop's first ring position is base + 1 (K block 0 is peeled).
// CHECK:         %[[FIRST:[0-9]+]] = "ptx.add"(%[[BASE]]) <{ty = ".u32", imm = 1 : i64}>
// CHECK-NEXT:    "ptx.rem"(%[[FIRST]]) <{ty = ".u32", imm = 2 : i64}>
// CHECK:         "ptx.next"(%{{[0-9]+}}, %[[END]]) : (!ptx.b32, !ptx.b32) -> ()
