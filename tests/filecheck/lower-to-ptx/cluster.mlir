// RUN: exo-gpu-opt %s -p schedule,insert-syncs,lower-to-ptx,tie-loop-carried,assign-registers,check-register-budget,emit-ptx | filecheck %s
//
// cluster_n = 2: two blocks along N share A.  Each loads half of each A box (32 of 64 rows,
// at its cluster rank) multicast to both blocks; B stays its own.  Consumers release a slot
// on the empty barrier of both blocks (one arrival per warp, by mapa + a cluster-scope
// arrive); the barriers are initialised before a cluster barrier, and no block exits before
// the final cluster barrier.  Tiles are walked per cluster.

builtin.module {
  "tile.gemm"() <{sym_name = "pair", dtype = "bf16", layout_a = "row", layout_b = "col", block_m = 128 : i64, block_n = 64 : i64, block_k = 64 : i64, consumers = 2 : i64, stages = 2 : i64, wait_depth = 1 : i64, consumer_maxnreg = 232 : i64, producer_maxnreg = 40 : i64, accumulate_c = 0 : i64, cluster_n = 2 : i64}> : () -> ()
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
