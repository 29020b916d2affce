// RUN: exo-gpu-opt %s -p schedule | filecheck %s
//
// A from registers (a_in_registers = 1): bf16, 1 consumer warpgroup, 1 m64n16 tile, k = 16,
// block_k = 64, so each K block is 4 RS wgmmas.
//
// schedule guarantees: each K block first loads all its A fragments from the ring slot
// (one wgmma.load_fragment_a per wgmma, a_offset = the K byte offset), then issues the
// wgmma.mma_async_rs ops that read them, B still at b_offset in the slot; scale-d 0 on the
// tile's first wgmma only; no synchronisation.

builtin.module {
  tile.kernel @rs(%a: !tile.tensor<?x?xbf16>, %b: !tile.tensor<?x?xbf16, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 64x16) schedule #tile.schedule<consumers = 1, stages = 2, a_in_registers = true, rings = "per_operand"> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c64 = arith.constant 64 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c64 : index
    %zero = tile.constant 0.0 : !tile.tile<64x16xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<64x16xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xbf16> -> !tile.tile<64x64xbf16>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xbf16, contiguous = 0> -> !tile.tile<64x16xbf16>
      %r = tile.mma %x, %y, %acc0 : !tile.tile<64x64xbf16>, !tile.tile<64x16xbf16>, !tile.tile<64x16xf32> -> !tile.tile<64x16xf32>
      scf.yield %r : !tile.tile<64x16xf32>
    }
    tile.store %acc, %c[%i, %j] : !tile.tile<64x16xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}

// CHECK:       %[[SLOT:[0-9]+]], %{{[0-9]+}} = "warpgroup.ring_slot"
// CHECK-NEXT:  %[[F0:[0-9]+]] = "wgmma.load_fragment_a"(%[[SLOT]]) <{a_offset = 0 : i64, ring = "a"}> : (i32) -> !wgmma.fragment_a<m64k16, bf16>
// CHECK-NEXT:  %[[F1:[0-9]+]] = "wgmma.load_fragment_a"(%[[SLOT]]) <{a_offset = 32 : i64, ring = "a"}> : (i32) -> !wgmma.fragment_a<m64k16, bf16>
// CHECK-NEXT:  %[[F2:[0-9]+]] = "wgmma.load_fragment_a"(%[[SLOT]]) <{a_offset = 64 : i64, ring = "a"}>
// CHECK-NEXT:  %[[F3:[0-9]+]] = "wgmma.load_fragment_a"(%[[SLOT]]) <{a_offset = 96 : i64, ring = "a"}>
// CHECK-NEXT:  %[[D0:[0-9]+]] = "wgmma.mma_async_rs"(%[[SLOT]], %[[F0]]) <{dtype = "bf16", k = 16 : i64, b_offset = 0 : i64, scale_d = 0 : i64, b_ring = "b", operandSegmentSizes = array<i32: 0, 1, 1>}> : (i32, !wgmma.fragment_a<m64k16, bf16>) -> !wgmma.accumulator<m64n16, f32>
// CHECK-NEXT:  %[[D1:[0-9]+]] = "wgmma.mma_async_rs"(%[[D0]], %[[SLOT]], %[[F1]]) <{dtype = "bf16", k = 16 : i64, b_offset = 32 : i64, scale_d = 1 : i64, b_ring = "b", operandSegmentSizes = array<i32: 1, 1, 1>}>
// CHECK-NEXT:  %[[D2:[0-9]+]] = "wgmma.mma_async_rs"(%[[D1]], %[[SLOT]], %[[F2]]) <{dtype = "bf16", k = 16 : i64, b_offset = 64 : i64, scale_d = 1 : i64
// CHECK-NEXT:  %[[D3:[0-9]+]] = "wgmma.mma_async_rs"(%[[D2]], %[[SLOT]], %[[F3]]) <{dtype = "bf16", k = 16 : i64, b_offset = 96 : i64, scale_d = 1 : i64
// CHECK-NEXT:  "warpgroup.k_loop"(%{{[0-9]+}}, %[[D3]]) <{start = 1 : i64, block_k = 64 : i64, stages = 2 : i64}> ({
// CHECK-NEXT:  ^{{.*}}(%{{[0-9]+}}: i32, %[[LS:[0-9]+]]: i32, %{{[0-9]+}}: i32, %[[ACC:[0-9]+]]: !wgmma.accumulator<m64n16, f32>):
// CHECK-NEXT:    %[[G0:[0-9]+]] = "wgmma.load_fragment_a"(%[[LS]]) <{a_offset = 0 : i64, ring = "a"}>
// CHECK-NEXT:    "wgmma.load_fragment_a"(%[[LS]]) <{a_offset = 32 : i64, ring = "a"}>
// CHECK-NEXT:    "wgmma.load_fragment_a"(%[[LS]]) <{a_offset = 64 : i64, ring = "a"}>
// CHECK-NEXT:    "wgmma.load_fragment_a"(%[[LS]]) <{a_offset = 96 : i64, ring = "a"}>
// CHECK-NEXT:    "wgmma.mma_async_rs"(%[[ACC]], %[[LS]], %[[G0]]) <{dtype = "bf16", k = 16 : i64, b_offset = 0 : i64, scale_d = 1 : i64
// CHECK-NOT:     wgmma.fence
// CHECK:         "warpgroup.yield"
