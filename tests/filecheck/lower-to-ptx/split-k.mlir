// RUN: exo-gpu-opt %s -p schedule,insert-syncs,lower-to-ptx | filecheck %s
// RUN: exo-gpu-opt %s -p schedule,insert-syncs,lower-to-ptx,tie-loop-carried,assign-registers,check-register-budget,emit-ptx | filecheck %s --check-prefix=PTX
//
// split_k = 4: the tile loop walks work units u < tiles * S' (S' = min(4, nk)), u = split
// * tiles + tile: the raster gets u mod tiles, the unit's K range is
// [s*nk/S', (s+1)*nk/S') (never empty), the ring advances by its length, the K loop runs
// that many K blocks and the loads read K block k_begin + k.  The epilogue adds into C with
// red.relaxed.gpu.global.add.f32: unchecked inside C, predicated at an edge; no store.

builtin.module {
  tile.kernel @split(%a: !tile.tensor<?x?xf32>, %b: !tile.tensor<?x?xf32, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 64x16) schedule #tile.schedule<consumers = 1, stages = 2, split_k = 4> {
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

// Producer: the tile count, nk, the clamped split count and the work units.
// CHECK:       "ptx.setmaxnreg"() <{action = "dec", count = 40 : i64}>
// CHECK:       %[[TILES:[0-9]+]] = "ptx.mul_lo"(%{{[0-9]+}}, %{{[0-9]+}}) <{ty = ".u32"}>
// CHECK-NEXT:  %[[NKA:[0-9]+]] = "ptx.add"(%{{[0-9]+}}) <{ty = ".u32", imm = 31 : i64}>
// CHECK-NEXT:  %[[NK:[0-9]+]] = "ptx.div"(%[[NKA]]) <{ty = ".u32", imm = 32 : i64}>
// CHECK:       %[[SPLITS:[0-9]+]] = "ptx.min"(%[[NK]]) <{ty = ".u32", imm = 4 : i64}>
// CHECK-NEXT:  %[[UNITS:[0-9]+]] = "ptx.mul_lo"(%[[TILES]], %[[SPLITS]]) <{ty = ".u32"}>
// CHECK-NEXT:  "ptx.loop"
// CHECK-NEXT:  ^bb0(%[[UNIT:[0-9]+]]: !ptx.b32, %[[BASE:[0-9]+]]: !ptx.b32):
// CHECK-NEXT:    %[[DONE:[0-9]+]] = "ptx.setp"(%[[UNIT]], %[[UNITS]]) <{cmp = "ge"
// CHECK-NEXT:    "ptx.break_if"(%[[DONE]])
// CHECK-NEXT:    %[[S:[0-9]+]] = "ptx.div"(%[[UNIT]], %[[TILES]]) <{ty = ".u32"}>
// CHECK-NEXT:    %[[TILE:[0-9]+]] = "ptx.rem"(%[[UNIT]], %[[TILES]]) <{ty = ".u32"}>
// The raster maps the tile index, not the unit index.
// CHECK-NEXT:    "ptx.mul_lo"
// CHECK-NEXT:    "ptx.div"(%[[TILE]], %{{[0-9]+}})
// CHECK:         %[[FIRST:[0-9]+]] = "ptx.mul_lo"(%[[S]], %[[NK]]) <{ty = ".u32"}>
// CHECK-NEXT:    %[[KB:[0-9]+]] = "ptx.div"(%[[FIRST]], %[[SPLITS]]) <{ty = ".u32"}>
// CHECK-NEXT:    %[[NEXT:[0-9]+]] = "ptx.add"(%[[FIRST]], %[[NK]]) <{ty = ".u32"}>
// CHECK-NEXT:    %[[KE:[0-9]+]] = "ptx.div"(%[[NEXT]], %[[SPLITS]]) <{ty = ".u32"}>
// CHECK-NEXT:    %[[COUNT:[0-9]+]] = "ptx.sub"(%[[KE]], %[[KB]]) <{ty = ".u32"}>
// CHECK-NEXT:    %[[END:[0-9]+]] = "ptx.add"(%[[BASE]], %[[COUNT]]) <{ty = ".u32"}>
// The K loop runs COUNT K blocks; its loads read K block KB + k.
// CHECK:         "ptx.loop"
// CHECK-NEXT:    ^bb0(%[[PK:[0-9]+]]: !ptx.b32, %{{[0-9]+}}: !ptx.b32, %{{[0-9]+}}: !ptx.b32):
// CHECK-NEXT:      %[[KDONE:[0-9]+]] = "ptx.setp"(%[[PK]], %[[COUNT]]) <{cmp = "ge"
// CHECK:           %[[KA:[0-9]+]] = "ptx.add"(%[[PK]], %[[KB]]) <{ty = ".u32"}>
// CHECK-NEXT:      "ptx.mul_lo"(%[[KA]]) <{ty = ".u32", imm = 32 : i64}>
// CHECK:           "ptx.cp_async_bulk_tensor_2d"
// CHECK:           %[[KB2:[0-9]+]] = "ptx.add"(%[[PK]], %[[KB]]) <{ty = ".u32"}>
// CHECK-NEXT:      "ptx.mul_lo"(%[[KB2]]) <{ty = ".u32", imm = 32 : i64}>
// CHECK:           "ptx.cp_async_bulk_tensor_2d"
// The next unit's ring position is END, and the unit index steps by the grid size.
// CHECK:         "ptx.next"(%{{[0-9]+}}, %[[END]]) : (!ptx.b32, !ptx.b32) -> ()

// Consumer: the same units and ranges; the peeled first K block keeps scale_d = 0.
// CHECK:       "ptx.setmaxnreg"() <{action = "dec", count = 232 : i64}>
// CHECK:       "ptx.min"(%{{[0-9]+}}) <{ty = ".u32", imm = 4 : i64}>
// CHECK:       "ptx.wgmma_mma_async"(%{{[0-9]+}}, %{{[0-9]+}}) <{dtype = "tf32", n = 16 : i64, scale_d = 0 : i64
// CHECK-NOT:   "ptx.st_global
// CHECK:       "ptx.red_global_add_f32"(%{{[0-9]+}}, %{{[0-9]+}}) <{offset = 0 : i64, element = 0 : i64
// CHECK:       "ptx.if"(%{{[0-9]+}}) <{negate = 1 : i64}>
// CHECK:       "ptx.red_global_add_f32"(%{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}}) <{offset = 0 : i64, element = 0 : i64
// CHECK-NOT:   "ptx.st_global

// PTX:         wgmma.wait_group.sync.aligned 0;
// PTX-NOT:     st.global
// PTX:         red.relaxed.gpu.global.add.f32 [%rd{{[0-9]+}}], %acc0;
// PTX-NEXT:    red.relaxed.gpu.global.add.f32 [%rd{{[0-9]+}}+4], %acc1;
// PTX:         @%p{{[0-9]+}} red.relaxed.gpu.global.add.f32 [%rd{{[0-9]+}}], %acc0;
// PTX-NOT:     st.global
