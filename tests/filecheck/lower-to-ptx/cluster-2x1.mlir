// RUN: exo-gpu-opt %s -p schedule,insert-syncs,lower-to-ptx,tie-loop-carried,assign-registers,check-register-budget,emit-ptx | filecheck %s
//
// cluster_m = 2: two blocks along M share B.  A tile of the walk is the cluster's pair of
// blocks along M: tile rows are ceil(M / (2 x block_m)) and the CTA of cluster rank r takes
// m block 2 x (the raster's row) + r, while N is walked per block.  Each block loads its own
// A boxes and half of the B box (16 of 32 rows, at its rank) multicast to both blocks.
// Consumers release a slot on the empty barrier of both blocks (one arrival per warp, by
// mapa + a CTA-scope remote arrive, never .release.cluster); barrier init and exit go
// through cluster barriers.

builtin.module {
  tile.kernel @mpair(%a: !tile.tensor<?x?xf32>, %b: !tile.tensor<?x?xf32, contiguous = 0>, %c: !tile.tensor<?x?xf32>) grid(%c tiles 128x32) schedule #tile.schedule<stages = 2, cluster = [2, 1]> {
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

// CHECK:       .reqnctapercluster 2, 1, 1
// CHECK:       mov.u32 %[[RANK:r[0-9]+]], %cluster_ctarank;
// empty[s] counts 4 warps x 2 consumer warpgroups x 2 blocks.
// CHECK:       mbarrier.init.shared::cta.b64 [%r{{[0-9]+}}+16], 16;
// CHECK:       barrier.cluster.arrive.release;
// CHECK-NEXT:  barrier.cluster.wait.acquire;
// The producer's tile loop: rows of the walk are pairs of 128-row blocks, columns single blocks.
// CHECK:       add.u32 %r{{[0-9]+}}, %r{{[0-9]+}}, 255;
// CHECK-NEXT:  div.u32 %[[ROWS:r[0-9]+]], %r{{[0-9]+}}, 256;
// CHECK-NEXT:  add.u32 %r{{[0-9]+}}, %r{{[0-9]+}}, 31;
// CHECK-NEXT:  div.u32 %[[COLS:r[0-9]+]], %r{{[0-9]+}}, 32;
// CHECK-NEXT:  mul.lo.u32 %r{{[0-9]+}}, %[[ROWS]], %[[COLS]];
// CHECK:       mov.u32 %r{{[0-9]+}}, %nclusterid.x;
// CHECK-NEXT:  mov.u32 %r{{[0-9]+}}, %clusterid.x;
// The raster's row, then this block's: 2 x row + rank; its n block is the raster's column.
// CHECK:       add.u32 %[[MROW:r[0-9]+]], %r{{[0-9]+}}, %r{{[0-9]+}};
// CHECK-NEXT:  div.u32 %[[NBLK:r[0-9]+]], %r{{[0-9]+}}, %r{{[0-9]+}};
// CHECK-NEXT:  mad.lo.u32 %[[MBLK:r[0-9]+]], %[[MROW]], 2, %[[RANK]];
// A: this block's own boxes, at its m block, not multicast.
// CHECK:       mul.lo.u32 %r{{[0-9]+}}, %[[MBLK]], 128;
// CHECK:       cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [{{.*}}], [{{.*}}], [%r{{[0-9]+}}];
// CHECK:       cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [{{.*}}+8192], [{{.*}}], [%r{{[0-9]+}}];
// B: the half of this block (rows and destination moved by rank x 16 rows) to both blocks.
// CHECK:       mul.lo.u32 %r{{[0-9]+}}, %[[NBLK]], 32;
// CHECK:       mad.lo.u32 %r{{[0-9]+}}, %[[RANK]], 16, %r{{[0-9]+}};
// CHECK-NEXT:  mad.lo.u32 %r{{[0-9]+}}, %[[RANK]], 2048, %r{{[0-9]+}};
// CHECK-NEXT:  mov.b16 %[[MASK:rs[0-9]+]], 3;
// CHECK-NEXT:  cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes.multicast::cluster [{{.*}}], [{{.*}}], [{{.*}}], %[[MASK]];
// Release on both blocks' empty barriers, from lane 0 of each warp, at CTA scope.
// CHECK:       mapa.shared::cluster.u32 %r{{[0-9]+}}, %r{{[0-9]+}}, %r{{[0-9]+}};
// CHECK-NEXT:  mbarrier.arrive.shared::cluster.b64 _, [%r{{[0-9]+}}];
// CHECK:       mapa.shared::cluster.u32
// CHECK-NEXT:  mbarrier.arrive.shared::cluster.b64
// CHECK-NOT:   .release.cluster.shared::cluster
// The final cluster barrier, then the only ret.
// CHECK:       barrier.cluster.arrive.release;
// CHECK-NEXT:  barrier.cluster.wait.acquire;
// CHECK-NEXT:  ret;
// CHECK-NOT:   ret;
