// RUN: exo-gpu-opt %s -p schedule,insert-syncs,lower-to-ptx,tie-loop-carried,assign-registers,check-register-budget,emit-ptx | filecheck %s
//
// cluster_n = 2: two blocks along N share A.  Each loads half of each A box (32 of 64 rows,
// at its cluster rank) multicast to both blocks; B stays its own.  Consumers release a slot
// on the empty barrier of both blocks (one arrival per warp, by mapa + a cluster-scope
// arrive); the barriers are initialised before a cluster barrier, and no block exits before
// the final cluster barrier.  Tiles are walked per cluster.

builtin.module {
  tile.kernel @pair(%a: !tile.tensor<?x?xbf16>, %b: !tile.tensor<?x?xbf16, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 128x64) schedule #tile.schedule<stages = 2, cluster = [1, 2]> {
    %i, %j = tile.program_id : index, index
    %k = tile.dim %a, 1 : index
    %c64 = arith.constant 64 : index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %nk = arith.ceildivui %k, %c64 : index
    %zero = tile.constant 0.0 : !tile.tile<128x64xf32>
    %acc = scf.for %kk = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (!tile.tile<128x64xf32>) {
      %x = tile.load %a[%i, %kk] : !tile.tensor<?x?xbf16> -> !tile.tile<128x64xbf16>
      %y = tile.load %b[%kk, %j] : !tile.tensor<?x?xbf16, contiguous = 0> -> !tile.tile<64x64xbf16>
      %r = tile.mma %x, %y, %acc0 : !tile.tile<128x64xbf16>, !tile.tile<64x64xbf16>, !tile.tile<128x64xf32> -> !tile.tile<128x64xf32>
      scf.yield %r : !tile.tile<128x64xf32>
    }
    tile.store %acc, %c[%i, %j] : !tile.tile<128x64xf32>, !tile.tensor<?x?xf32>
    tile.return
  }
}

// CHECK:       .reqnctapercluster 2, 1, 1
// CHECK:       mov.u32 %[[RANK:r[0-9]+]], %cluster_ctarank;
// empty[s] counts 4 warps x 2 consumer warpgroups x 2 blocks.
// CHECK:       mbarrier.init.shared::cta.b64 [%r{{[0-9]+}}+16], 16;
// CHECK:       barrier.cluster.arrive.release;
// CHECK-NEXT:  barrier.cluster.wait.acquire;
// CHECK:       mov.u32 %r{{[0-9]+}}, %nclusterid.x;
// CHECK-NEXT:  mov.u32 %r{{[0-9]+}}, %clusterid.x;
// The A half of this block: rows and destination moved by rank x 32 rows.
// CHECK:       mad.lo.u32 %r{{[0-9]+}}, %[[RANK]], 32, %r{{[0-9]+}};
// CHECK-NEXT:  mad.lo.u32 %r{{[0-9]+}}, %[[RANK]], 4096, %r{{[0-9]+}};
// CHECK-NEXT:  mov.b16 %[[MASK:rs[0-9]+]], 3;
// CHECK-NEXT:  cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes.multicast::cluster [{{.*}}], [{{.*}}], [{{.*}}], %[[MASK]];
// B is not multicast.
// CHECK:       cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [{{.*}}], [{{.*}}], [%r{{[0-9]+}}];
// Release on both blocks' empty barriers, from lane 0 of each warp.
// CHECK:       mapa.shared::cluster.u32 %r{{[0-9]+}}, %r{{[0-9]+}}, %r{{[0-9]+}};
// CHECK-NEXT:  mbarrier.arrive.shared::cluster.b64 _, [%r{{[0-9]+}}];
// CHECK:       mapa.shared::cluster.u32
// CHECK-NEXT:  mbarrier.arrive.shared::cluster.b64
// The final cluster barrier, then the only ret.
// CHECK:       barrier.cluster.arrive.release;
// CHECK-NEXT:  barrier.cluster.wait.acquire;
// CHECK-NEXT:  ret;
// CHECK-NOT:   ret;
