// RUN: exo-gpu-opt %s -p schedule,insert-syncs,lower-to-ptx | filecheck %s
//
// A tile_loop lowers to a ptx.loop over tiles: from the block index, stepping by the grid
// size, until ceil(M/64) * ceil(N/16) tiles; it carries the ring position (base), and each
// tile's (m, n) block comes from the raster of that tile index.  The K loop's slots are
// counted from base.

builtin.module {
  tile.kernel @persist(%a: !tile.tensor<?x?xf32>, %b: !tile.tensor<?x?xf32, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 64x16) schedule #tile.schedule<consumers = 1, stages = 2> {
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
